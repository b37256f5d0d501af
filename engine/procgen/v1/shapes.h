#pragma once

// Internal to kiln_procgen: the category table. Each category is a name, its styles (with the
// phrase captions use for them), the materials that make sense for it and a shape function.

#include "mesh_builder.h"
#include "procgen/v1/procgen.h"

#include <string>
#include <vector>

namespace kiln::procgen::v1::detail {

struct StyleDef {
    std::string name;    // id: "round-legs"
    std::string phrase;  // caption phrase: "with four round legs"
};

// What a shape function reports back for the caption besides the geometry.
struct ShapeNotes {
    std::string sizeWord;  // "tall", "short", "small", "large", "wide", "long" or empty
};

// Builds the shape in the builder's current colour, in metres, +Y up (finish() re-centres it).
using ShapeFn = void (*)(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes);

struct CategoryDef {
    std::string name;
    std::vector<StyleDef> styles;
    std::vector<MaterialKind> materials;
    ShapeFn build;
};

// Appended in a fixed order (the dataset's category indices depend on it).
void addFurniture(std::vector<CategoryDef>& out);  // chair stool table bench shelf lamp
void addVessels(std::vector<CategoryDef>& out);    // mug bowl vase bottle barrel crate
void addNature(std::vector<CategoryDef>& out);     // mushroom tree rock candle sword cactus

const std::vector<CategoryDef>& categoryDefs();

// Caption word for a proportion t in [0, 1): `low` in the lower third, `high` in the upper third.
inline std::string extremeWord(float t, const char* low, const char* high) {
    if (t < 0.3f) return low;
    if (t > 0.7f) return high;
    return {};
}

// Colour of small accents (candle flame) that stay the same whatever colour is prompted.
inline constexpr glm::vec3 kFlameColour{1.0f, 0.55f, 0.08f};
inline constexpr glm::vec3 kWickColour{0.02f, 0.02f, 0.02f};

} // namespace kiln::procgen::v1::detail
