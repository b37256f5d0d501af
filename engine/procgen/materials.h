#pragma once

// Procedural PBR materials for the library: each kind turns a point on a part into base colour,
// roughness, metallic and a bump height (for the normal map), from solid noise in the part's own
// frame (wood grain runs along the part's long axis). Colours are named, so captions can say them.

#include <glm/vec3.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::procgen {

enum class MaterialKind : std::uint8_t { Wood, Metal, Painted, Rusty, Stone, Ceramic, Plastic, Fabric, Glass, Leather, Rubber, Paper };
inline constexpr int kMaterialKinds = 12;

// A named colour. `linear` is what textures are built from; srgb is the 8-bit display value.
struct PaletteColour {
    std::string name;       // one word: "red", "dark" (wood), "golden" (metal)
    glm::vec3 linear{0.0f};
    std::uint8_t srgb[3] = {0, 0, 0};
};

struct MaterialInfo {
    MaterialKind kind;
    std::string word;              // caption adjective: "wooden", "metal", "painted", "rusty", ...
    std::string noun;              // "wood", "metal", "paint", "rusty metal", ...
    std::vector<int> colours;      // palette indices this material comes in
    float roughness = 0.5f;        // typical (the texture varies around it)
    float metallic = 0.0f;
};

const std::vector<PaletteColour>& palette();
const std::vector<MaterialInfo>& materials();  // indexed by MaterialKind
const MaterialInfo& materialInfo(MaterialKind kind);
int paletteIndex(const std::string& name);     // -1 when unknown

// What a part is made of.
struct MaterialSpec {
    MaterialKind kind = MaterialKind::Wood;
    int colour = 0;  // palette index; one of materialInfo(kind).colours
    bool operator==(const MaterialSpec&) const = default;
};

// A part's own frame for solid textures: wood grain and brushing run along `axis`.
struct MaterialFrame {
    glm::vec3 origin{0.0f};
    glm::vec3 axis{0.0f, 1.0f, 0.0f};  // unit
    std::uint32_t seed = 0;
};

struct SurfacePoint {
    glm::vec3 albedo{0.5f};  // linear RGB
    float roughness = 0.5f;
    float metallic = 0.0f;
    float height = 0.0f;     // bump, metres (about a millimetre)
};

SurfacePoint evaluateMaterial(const MaterialSpec& material, const MaterialFrame& frame, const glm::vec3& position);

} // namespace kiln::procgen
