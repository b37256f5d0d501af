#include "core/sh.h"

#include "core/sh_basis.h"

namespace kiln::core {

void evalShBasis(const glm::vec3& d, float out[16]) { shBasis(d.x, d.y, d.z, out); }

} // namespace kiln::core
