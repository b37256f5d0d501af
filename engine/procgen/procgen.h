#pragma once

// Kiln's procedural asset library (v2): parametric categories of everyday objects, each asset a
// set of named parts with their own procedural PBR materials baked into one UV atlas, with
// captions that say what every part is made of. It is the training data of every Kiln generator
// and the ground truth of their evaluation. Deterministic: the same AssetParams always give the
// same mesh, textures and captions.

#include "core/gaussian_cloud.h"
#include "core/mesh.h"
#include "procgen/materials.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kiln::procgen {

// One discrete style of a category (it changes the shape, and the caption names it).
struct StyleInfo {
    std::string name;    // id: "armrests"
    std::string phrase;  // caption phrase: "with armrests"
};

// A part of a category ("seat", "legs"). Parts of one material group share a material.
struct PartSlot {
    std::string name;
    int group = 0;
};

// A group of parts that share one material ("the seat and back", "the frame").
struct MaterialGroup {
    std::string noun;                       // caption noun: "seat", "legs", "frame"
    bool plural = false;                    // "legs" (black metal legs) vs "seat" (a dark wooden seat)
    std::vector<MaterialKind> materials;    // what it may be made of
    std::vector<int> colours;               // palette indices it may have (empty: any its material comes in)
};

// The colours group `g` may have in material `kind`: the material's, narrowed by the group's.
std::vector<int> groupColours(const MaterialGroup& g, MaterialKind kind);

// A proportion an edit can change ("legs" longer or shorter).
struct EditableKnob {
    std::string knob;      // Knobs name: "leg-length"
    std::string more;      // "make the legs longer"
    std::string less;      // "make the legs shorter"
};

struct CategoryInfo {
    std::string name;                       // caption noun, one word: "chair"
    std::string family;                     // "furniture", "vessel", "nature", "prop", "tool", "structure"
    std::vector<StyleInfo> styles;          // >= 3
    std::vector<PartSlot> slots;            // every part the category can have
    std::vector<MaterialGroup> groups;      // >= 1
    float minSize = 0.0f, maxSize = 0.0f;   // range of the largest dimension, metres
    std::vector<EditableKnob> editable;
};

const std::vector<CategoryInfo>& categories();  // >= 36
int categoryIndex(const std::string& name);     // -1 when unknown

// Everything that determines an asset.
struct AssetParams {
    int category = 0;
    int style = 0;
    std::vector<MaterialSpec> materials;   // one per material group of the category
    std::uint64_t shapeSeed = 0;           // drives every continuous proportion
    std::map<std::string, float> knobs;    // proportions set explicitly (edits), position in range
    bool operator==(const AssetParams&) const = default;
};

struct PartInfo {
    std::string slot;
    int group = 0;
    MaterialSpec material;
    std::uint32_t firstTriangle = 0, triangleCount = 0;  // its triangles in the asset's mesh
    MaterialFrame frame;                                 // its solid-texture frame
};

struct ProcAsset {
    AssetParams params;
    // +Y up, resting on y = 0, centred on x/z, metres. One submesh and material per part, all
    // sharing one atlas: textures 0 base colour, 1 metallic-roughness, 2 normal (when baked).
    core::Mesh mesh;
    std::vector<PartInfo> parts;
    std::vector<std::uint16_t> triangleParts;  // part index of every triangle
    std::map<std::string, float> knobs;        // every proportion's position in its range
    std::string caption;                       // "a chair with a dark wooden seat and black metal legs"
    std::vector<std::string> paraphrases;      // >= 3 other wordings of the same
    float atlasDensity = 0.0f;                 // texels per metre
};

struct GenerateOptions {
    int textureSize = 512;  // atlas texels per side; 0 = no textures (geometry, UVs, captions only)
};

// Throws kiln::Error on out-of-range indices or a material a group does not allow.
ProcAsset generate(const AssetParams& params, const GenerateOptions& options = {});

// Uniformly random style and shape seed; materials: one for the whole asset, or per group.
AssetParams randomParams(int category, std::uint64_t seed);

// Captions of `params` (the first is the caption, then the paraphrases), without building it.
std::vector<std::string> captions(const AssetParams& params, const std::map<std::string, float>& knobs = {});

// The material of part `part` of `asset` at a point on its surface.
SurfacePoint surfaceAt(const ProcAsset& asset, int part, const glm::vec3& position);

// Area-weighted surface samples with their appearance, stratified (each triangle its expected
// share, golden-ratio points inside), deterministic.
struct SurfaceSamples {
    std::vector<glm::vec3> positions, normals, albedo;  // albedo linear
    std::vector<float> roughness, metallic;
    std::vector<std::uint16_t> part;
};
SurfaceSamples sampleSurface(const ProcAsset& asset, int count, std::uint64_t seed);

// Flat Gaussian splats on the surface coloured by the material (sRGB DC, as 3DGS stores them).
core::GaussianCloud sampleSplats(const ProcAsset& asset, int count, std::uint64_t seed);

// The dataset's splits: (category, first group's colour, first group's material) triples held
// out of training, and whole categories held out for generalisation tests.
bool isHeldOutTriple(int category, int colour, MaterialKind material, double fraction);
const std::vector<std::string>& heldOutCategories();

} // namespace kiln::procgen
