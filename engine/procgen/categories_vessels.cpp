// Vessels categories of the procedural library (procgen/category_defs.h).
#include "procgen/category_defs.h"

namespace kiln::procgen::detail {

void addVessels(std::vector<CategoryDef>& out) { (void)out; }

} // namespace kiln::procgen::detail
