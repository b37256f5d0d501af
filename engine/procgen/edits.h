#pragma once

// Edit pairs: an asset and the same asset changed in one way (a part recoloured, a part's material
// changed, a proportion longer or shorter, another style, a related category), with everything
// else the same seed, and the instruction that describes the change. Ground truth for
// text-guided editing.

#include "procgen/procgen.h"

#include <string>
#include <vector>

namespace kiln::procgen {

enum class EditKind : std::uint8_t { Recolour, Material, Proportion, Style, Category };
const char* toString(EditKind kind);

struct EditPair {
    EditKind kind = EditKind::Recolour;
    AssetParams before, after;
    std::string instruction;  // "make the legs black", "give it armrests", "make it a chair"
    int group = -1;           // Recolour, Material: the material group that changed
    std::string knob;         // Proportion: the knob that changed
};

// Every single-step edit the library can make of `params` (recolours to every other colour of
// the group's material, other materials, each editable knob both ways where it has room, every
// other style, related categories).
std::vector<EditPair> possibleEdits(const AssetParams& params);

// One of possibleEdits, chosen by `seed` with the kinds balanced.
EditPair randomEdit(const AssetParams& params, std::uint64_t seed);

// Categories an asset can turn into, keeping its materials by group order ("stool" -> "chair").
const std::vector<std::pair<std::string, std::string>>& relatedCategories();

} // namespace kiln::procgen
