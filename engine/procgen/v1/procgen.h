#pragma once

// Kiln's procedural asset library: parametric generators for everyday object categories, each
// sample a clean vertex-coloured Mesh plus captions generated from its parameters. It is the
// training data of the text->3D generator (engine/textgen) and the reference shapes of its
// evaluation. Deterministic: the same AssetParams always give the same mesh and captions.

#include "core/gaussian_cloud.h"
#include "core/mesh.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kiln::procgen::v1 {

// A named colour of the palette captions use. rgb is linear (what Mesh::colors and splat SH
// DC store); srgb is the 8-bit display value.
struct PaletteColour {
    std::string name;          // "red", "dark green" is not used: single words only
    float rgb[3];              // linear RGB 0..1
    std::uint8_t srgb[3];      // 8-bit sRGB display value (rgb is its linearisation)
};

enum class MaterialKind : std::uint8_t { Wood, Metal, Ceramic, Stone, Plastic };

struct MaterialInfo {
    MaterialKind kind;
    std::string name;          // caption word: "wooden", "metal", "ceramic", "stone", "plastic"
    float roughness;
    float metalness;
    std::string noun;          // "wood", "metal", "ceramic", "stone", "plastic" ("made of wood")
};

// One discrete style of a category (it changes the shape, and the caption names it).
struct StyleInfo {
    std::string name;          // short id, "round-legs"
    std::string phrase;        // what captions say for it: "with four round legs"
};

struct CategoryInfo {
    std::string name;                       // caption noun, single word: "chair"
    std::vector<StyleInfo> styles;          // >= 2
    std::vector<MaterialKind> materials;    // materials that make sense for this category
};

const std::vector<PaletteColour>& palette();        // >= 12 colours, distinct in Lab
const std::vector<MaterialInfo>& materials();       // indexed by MaterialKind
const std::vector<CategoryInfo>& categories();      // >= 16 categories

// Everything that determines a sample. `shapeSeed` drives the continuous proportions
// (heights, radii, part counts) within the category's ranges.
struct AssetParams {
    int category = 0;          // index into categories()
    int style = 0;             // index into categories()[category].styles
    int colour = 0;            // index into palette()
    MaterialKind material = MaterialKind::Wood;
    std::uint64_t shapeSeed = 0;
};

struct ProcAsset {
    AssetParams params;
    core::Mesh mesh;                        // +Y up, resting on y = 0, centred on x/z, metres
    std::string caption;                    // "a short round blue ceramic vase"
    std::vector<std::string> paraphrases;   // >= 3 other wordings naming the same
                                            // category, colour, style and material
};

// Throws kiln::Error on out-of-range indices or a material the category does not allow.
ProcAsset generate(const AssetParams& params);

// Uniformly random style, colour, allowed material and shape seed for `category`.
AssetParams randomParams(int category, std::mt19937_64& rng);

// The train/validation split of the dataset: whether the (category, style, colour) combination
// is held out for validation. A fixed hash of the triple (independent of any dataset seed) picks
// about `valFraction` of the triples; when valFraction > 0 every category gets at least one
// validation triple and keeps at least one training triple. Throws on out-of-range indices.
bool isValidationTriple(int category, int style, int colour, double valFraction);

// Gaussian splats on the surface: area-weighted samples (stratified so coverage is even),
// each flat along the surface normal (thin scale on the normal axis, tangent scale from the
// sample spacing), opacity near 1, SH degree 0 colour from the vertex colour sRGB-encoded (splat
// colours are display values, as in 3DGS). Deterministic.
// Splats are in the mesh's own frame (+Y up, metres); tangent log-scale log(sqrt(area / count)),
// normal log-scale that minus log(20); opacity logit(0.95).
core::GaussianCloud sampleSplats(const core::Mesh& mesh, int count, std::uint64_t seed);

// Area-weighted surface points with their colours (linear RGB), deterministic. Stratified:
// systematic sampling along the cumulative area (each triangle gets its expected count, rounded)
// paired with a golden-ratio sequence inside the triangle. Normals are the geometric face
// normals, turned to agree with the vertex normals. Throws on a mesh without surface area.
struct SurfaceSample {
    std::vector<glm::vec3> positions;
    std::vector<glm::vec3> normals;
    std::vector<glm::vec3> colours;
};
SurfaceSample sampleSurface(const core::Mesh& mesh, int count, std::uint64_t seed);

} // namespace kiln::procgen::v1
