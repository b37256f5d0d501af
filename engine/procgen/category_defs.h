#pragma once

// Internal to kiln_procgen: the category table. Each category is its CategoryInfo (name, styles,
// parts, material groups, size range, editable proportions) and a shape function that builds it
// part by part from the builder's primitives, in metres, +Y up (generate() grounds and centres it).

#include "procgen/asset_builder.h"
#include "procgen/procgen.h"
#include "procgen/shape_rng.h"

#include <numbers>
#include <string>
#include <vector>

namespace kiln::procgen::detail {

inline constexpr float kPi = std::numbers::pi_v<float>;

// What a shape function reports for the caption besides the geometry.
struct ShapeNotes {
    std::string sizeWord;  // "tall", "short", "small", "large", "wide", "long", "low" or empty
};

using ShapeFn = void (*)(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes);

struct CategoryDef {
    CategoryInfo info;
    ShapeFn build;
};

// Appended in a fixed order (dataset category indices depend on it).
void addFurniture(std::vector<CategoryDef>& out);
void addVessels(std::vector<CategoryDef>& out);
void addNature(std::vector<CategoryDef>& out);
void addProps(std::vector<CategoryDef>& out);

const std::vector<CategoryDef>& categoryDefs();

// Caption word for a proportion t in [0, 1]: `low` in the lower quarter, `high` in the upper.
inline std::string extremeWord(float t, const char* low, const char* high) {
    if (t < 0.25f) return low;
    if (t > 0.75f) return high;
    return {};
}

// Shorthands for material lists.
using MK = MaterialKind;

} // namespace kiln::procgen::detail
