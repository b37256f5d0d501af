#pragma once

// Texture generation that keeps the artist's UVs (torch-free header). The mesh is encoded into the
// shared latent from its geometry, the text model samples an appearance for it under the prompt
// with the anchors held (TextTo3dGenerator::sampleAppearance), and the decoder's base colour,
// roughness and metallic are evaluated at the 3D point behind every texel of the mesh's own UV
// layout: one map set per material, texels shared by overlapping or mirrored UVs averaged, texels
// an island border only touches covered too (conservative rasterisation), gutters filled by
// pull-push. Positions, normals, UVs and indices are never touched.

#include "core/mesh.h"
#include "core/progress.h"

#include "models/photo_projection.h"
#include "models/shape_latent.h"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::models {

class TextTo3dGenerator;

struct MeshTextureOptions {
    std::uint64_t seed = 0;
    int steps = 16;            // sampler steps, 1..1000
    float guidance = 3.0f;     // classifier-free guidance, 0..20
    int resolution = 1024;     // texels per side of each map: a power of two, 256..4096
    int surfaceSamples = 4096; // points of the mesh's surface the encoder reads
    // (0, 1]: 1 samples the appearance from noise; less starts from the mesh's own encoded
    // appearance (its materials' factors and vertex colours) noised to this time (SDEdit).
    float strength = 1.0f;
    // The encoder reads a neutral grey instead of the materials' factors (measurements, where
    // the factors would hand it the answer).
    bool neutralAppearance = false;
    // A tangent-space normal map of the relief of the prompt's materials that have one (wood grain,
    // rust, stone, fabric weave, leather; an object taken to be about a metre), on the texels whose
    // decoded roughness and metallic are that material's; smooth materials get none.
    bool normalMaps = true;
    // A photo of the object (--photo), projected onto the texels its camera sees and blended into
    // the generated base colour by how squarely each faces it; the unseen side stays generated.
    // Its foreground: the image's alpha, else the matting pack, else GrabCut (models/matting.h).
    std::filesystem::path photo;
    // Or the photo in memory (U8/F32 RGB(A), sRGB) with its foreground (F32, one channel, its
    // size): used instead of `photo` when not empty (image-to-3d's refinement).
    core::Image photoImage, photoMatte;
    // Its camera as an orbit view (photo_projection.h); NaN yaw: found by the mesh's silhouette.
    float photoYaw = std::numeric_limits<float>::quiet_NaN(), photoPitch = 0.0f, photoFov = 40.0f;
};

// One material's new maps (the material's index in the mesh; -1: triangles without a material).
struct MaterialMaps {
    int material = -1;
    core::Image baseColor;          // RGB, sRGB-encoded, resolution x resolution
    core::Image metallicRoughness;  // RGB: G roughness, B metallic (glTF)
    core::Image normal;             // RGB tangent space (glTF), or empty: no material named calls for one
    std::size_t texels = 0;         // texels the layout covers (before the gutters are filled)
    int udimTile = 1001;            // the UDIM tile the material's triangles lie in (1001: the unit square)
};

struct MeshTextureResult {
    std::vector<MaterialMaps> maps;          // per material the triangles use, in material order
    std::vector<int> untextured;             // materials whose triangles have no UV area: left as they are
    std::vector<std::string> unknownWords;   // prompt words the model has never seen
    std::vector<std::pair<std::string, double>> stageSeconds;  // encode, sampling, [photo,] texels, fill
    ShapeLatent latent;                      // the appearance sampled (in the mesh's frame), decoded into the maps
    std::optional<PhotoView> photoView;      // with a photo: the camera used (given or found)
    double photoTexels = 0.0;                // with a photo: fraction of texels that take it at weight >= 0.5
    double seconds = 0.0;
};

// Throws kiln::Error naming `what` and the reason when the mesh cannot be textured in its own
// layout: no triangles, no UVs (the message names --unwrap), UVs outside the unit square that are
// not UDIM tiles (negative, wrapping, or a triangle across a tile border), or a degenerate
// (zero-area) surface.
void checkTextureLayout(const core::Mesh& mesh, const std::string& what);

// A UDIM tile's corner in Kiln's UVs (glTF's: v points down, so the DCCs' v = 1 - v): tile
// 1001 + u + 10 v covers u in [u, u + 1] and, in Kiln's v, [-v, 1 - v].
glm::vec2 udimOffset(int tile);

// Per triangle, the material its submesh draws it with (-1: none).
std::vector<int> triangleMaterials(const core::Mesh& mesh);

// Texture `index` of the mesh, when it exists and has pixels; else null.
const core::Image* meshTexture(const core::Mesh& mesh, int index);

// What a material shows at a point: its factors times its base-colour texture (linear albedo) and
// metallic-roughness texture (G roughness, B metallic, glTF) at `uv` (wrapped into the unit
// square); the factors alone when `uv` is null.
struct MaterialLook {
    glm::vec3 albedo{1.0f};
    float roughness = 1.0f, metallic = 1.0f;
};
MaterialLook materialLook(const core::Mesh& mesh, const core::Material& material, const glm::vec2* uv);

// The triangles drawn with `material`, as a mesh over all of `mesh`'s vertices (positions in
// `frame`'s normalised coordinates when given), its UVs moved from UDIM tile `tile` into the unit
// square: one material's layout alone, to rasterise. `triangles`, when given, gets each layout
// triangle's index in `mesh`.
core::Mesh materialLayout(const core::Mesh& mesh, int material, int tile, const LatentFrame* frame = nullptr,
                          std::vector<std::uint32_t>* triangles = nullptr);

// UDIM tiles: per triangle, the tile its UVs lie in, 1001 + u + 10 v with v up as in the DCCs
// (Kiln's UVs are glTF's, v down: the unit square is tile 1001). Throws kiln::Error naming `what`
// when a triangle crosses a tile border or lies outside the tiles (u 0..10, v 0..100).
std::vector<int> udimTiles(const core::Mesh& mesh, const std::string& what);

// A UDIM layout ready to texture: every material whose triangles lie in several tiles gets one
// material per tile (a copy named "name.1002"; the first tile keeps the original), its submeshes
// split by tile with the triangles' order kept within each. Positions, normals, UVs and the
// triangles themselves are untouched; a unit-square layout comes back as it was. Each tile's maps
// then read the same UVs through the glTF sampler's repeat wrap, so any viewer draws the tiles
// without UDIM support. Throws as udimTiles.
core::Mesh splitUdimMaterials(const core::Mesh& mesh, const std::string& what);

// Throws kiln::Error unless `resolution` is a power of two from 256 to 4096.
void checkTextureResolution(int resolution);

// Generates the maps, per material in its UDIM tile (every material's triangles must lie in one:
// splitUdimMaterials). `mesh` in any units and orientation (encoded in its own bounds' frame).
// Throws kiln::Error (see the checks above, an empty prompt, no known word, options out of range)
// or kiln::Cancelled; polls `cancel`.
MeshTextureResult generateMeshTexture(const TextTo3dGenerator& generator, const core::Mesh& mesh, const std::string& prompt,
                                      const MeshTextureOptions& options, core::Progress& progress, const core::CancelToken& cancel);

// The maps of an appearance latent of `mesh` (its encoding, sampled or edited; `look.frame` is the
// mesh's) in the mesh's own layout, as generateMeshTexture makes them after sampling: `prompt`
// names the materials whose relief gets a normal map; options.photo is blended in where given.
MeshTextureResult bakeLatentIntoLayout(const ShapeLatentModel& autoencoder, const ShapeLatent& look, const core::Mesh& mesh, const std::string& prompt,
                                       const MeshTextureOptions& options, core::Progress& progress, const core::CancelToken& cancel);

// `mesh` encoded into the shared latent at the generators' token count (or `tokens`: one of the
// counts the autoencoder encodes, ShapeLatentModel::encode), in its own bounds' frame, from
// `samples` stratified surface points with the appearance its materials give (factors,
// base-colour and metallic-roughness textures, vertex colours; a neutral grey when asked).
ShapeLatent encodeMesh(const ShapeLatentModel& autoencoder, const core::Mesh& mesh, int samples, bool neutralAppearance = false, int tokens = 0);

// `mesh` with the maps as its materials' base colour and metallic-roughness textures (factors 1,
// the base colour factor's alpha kept) and normal maps where made and the material has none; triangles without a material get a new one. Vertex
// colours are dropped (glTF multiplies them into the base colour); positions, normals, UVs, the
// indices, the submeshes and the materials' other textures are left exactly as they are.
core::Mesh applyMaterialMaps(const core::Mesh& mesh, const std::vector<MaterialMaps>& maps);

} // namespace kiln::models
