#pragma once

// Text-guided editing of an artist's mesh in the shared latent (torch-free header), MV-Edit's
// recipe with a 3D-consistent prior by construction: the mesh is encoded (its own appearance:
// material factors, textures, vertex colours), its tokens noised part-way (the strength) and
// denoised under the edit prompt (TextTo3dGenerator::sampleEdit); tokens whose anchors lie on the
// region the artist keeps (clear of the edited surface by about a token's spacing) are held at
// their own noised values at every step (RePaint) and come back bit for bit. The result is written back honouring the mesh:
//   appearance: geometry, topology and UVs untouched; the new appearance baked into the mesh's own
//               UV layout (or its vertex colours when it has no UVs); the kept region's texels
//               (vertex colours) are the input's own, byte for byte;
//   shape:      a new mesh decoded from the edited latent where the edit changed the shape, its
//               look carried over from the input wherever the new surface lies on the old one;
//               the kept region's triangles copied unchanged from the input (with a kept region
//               the object's size is held, so the region stays where it is; without one the
//               prompt may resize it about its centre: "a tall vase", "a sofa");
//   both:       as shape, with the edited latent's own appearance everywhere it is not kept.

#include "core/asset.h"
#include "core/image.h"
#include "core/mesh.h"
#include "core/progress.h"
#include "models/mesh_texture.h"
#include "models/shape_latent.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln::models {

class TextTo3dGenerator;
class PartSegmenter;

enum class EditMode { Appearance, Shape, Both };
EditMode parseEditMode(const std::string& text);  // kiln::Error naming the choices
const char* toString(EditMode mode);

// The part of the mesh the edit must not touch: the triangles whose three corners lie in `box`
// (the mesh's own coordinates), whose UV centre a mask image (white: keep) marks, or that are
// marked one by one.
struct KeepRegion {
    std::optional<core::Bounds> box;
    std::optional<core::Image> mask;    // in the mesh's UV space (v down, glTF), any size
    std::vector<std::uint8_t> triangles;  // or per triangle, 1: keep (the studio's painted selection)
    bool empty() const { return !box && !mask && triangles.empty(); }
};

// "x0,y0,z0,x1,y1,z1" -> a box; kiln::Error naming --keep-box otherwise.
core::Bounds parseKeepBox(const std::string& text);

// An instruction's parts: the materials and submeshes of `mesh` whose names share a word with an
// instruction-style prompt (one that starts with make, turn, paint, change, colour or give), plural
// or singular ("wheels" names "Wheels", "leg" names "legs (black metal)"); empty for a description
// ("a red chair with black legs") or when no name matches. Per triangle, 1: named.
std::vector<std::uint8_t> namedPartTriangles(const core::Mesh& mesh, const std::string& prompt, std::vector<std::string>* names = nullptr);

// The words of an instruction-style prompt that may name a part (singular, lower case: "make the
// legs red" -> {"leg"}), without the instruction's own words, colours and materials; empty for a
// description.
std::vector<std::string> instructionPartWords(const std::string& prompt);

// Per triangle, whether the region keeps it. Throws kiln::Error when a mask is given and the mesh
// has no UVs, or when the region keeps every triangle or none ("nothing to edit" / "keeps nothing").
std::vector<std::uint8_t> keptTriangles(const core::Mesh& mesh, const KeepRegion& keep);

// Marks made on one triangulation of a surface (per triangle of `from`) carried to another of the
// same surface (`to`: the same mesh read by another importer, its triangles reordered or its
// vertices split): each triangle of `to` takes the mark of the triangle of `from` nearest its
// centre. Throws kiln::Error when `marks` does not have one entry per triangle of `from`.
std::vector<std::uint8_t> transferTriangleMarks(const core::Mesh& from, const std::vector<std::uint8_t>& marks, const core::Mesh& to);

struct MeshEditOptions {
    std::uint64_t seed = 0;
    int steps = 16;
    float guidance = 3.0f;
    float strength = 0.6f;  // 0..1 (0 exclusive): how far the asset is noised before the prompt denoises it
    EditMode mode = EditMode::Appearance;
    KeepRegion keep;
    // Appearance mode: texels per side of the new maps; 0: each material's own base-colour texture
    // size (so kept texels are the input's own), else 1024.
    int resolution = 0;
    bool normalMaps = true;
    // An instruction ("make the wheels black", "paint the legs blue") that names parts of the mesh
    // by its materials' or submeshes' names edits those parts only: the rest is kept, as if the
    // artist had marked it (only without an explicit region; false: the whole asset).
    bool matchParts = true;
    // When the mesh has no part of that name, the part segmenter (if given) finds the parts the
    // instruction names on the encoded shape ("make the legs red" on one unnamed mesh).
    const PartSegmenter* parts = nullptr;
    int surfaceSamples = 8192;
    // The edit's sampler: FlowEdit (the asset moved by the difference between the prompt's and
    // `source`'s velocities; `source` describes the asset as it is, empty: unconditional) instead
    // of SDEdit (the asset noised to `strength` and denoised under the prompt).
    bool flowEdit = false;
    std::string source;
    // Shape modes: meshing, faces, texture size (splats are not made); a NaN surface bias (the
    // default here) decodes at the text model's own level.
    DecodeOptions decode = [] {
        DecodeOptions d;
        d.surfaceBias = std::numeric_limits<float>::quiet_NaN();
        return d;
    }();
};

struct MeshEditResult {
    core::Mesh mesh;                   // the edited mesh, in the input's units and place
    std::vector<MaterialMaps> maps;    // appearance mode with UVs: the new maps (kept texels restored)
    bool vertexColours = false;        // appearance mode without UVs: the edit went into vertex colours
    ShapeLatent before, after;         // the asset's encoding and its edit (kept tokens identical)
    std::vector<std::uint8_t> keptTokens;     // per token
    std::vector<std::uint8_t> keptTriangle;   // per triangle of the input (empty: no region)
    std::size_t keptTexels = 0;        // appearance mode: texels restored from the input
    std::vector<std::string> namedParts;  // the materials / submeshes the instruction named (matchParts), or its part words
    std::size_t partsFound = 0;           // triangles the part segmenter found for those words (0: it was not used)
    std::vector<std::string> unknownWords;
    std::vector<std::pair<std::string, double>> stageSeconds;  // encode, sampling, then write-back stages
    double seconds = 0.0;
};

// What a shape edit of `asset` starts from (MeshEditOptions::source): the text the artist gave, else
// the prompt Kiln generated the asset from (text-to-3d), else none ("": SDEdit).
std::string editSource(const std::string& given, const core::Provenance& asset);

// Throws kiln::Error (empty prompt, no known word, strength outside (0, 1], no triangles, a region
// that keeps everything or nothing, a mask without UVs, a mesh whose UVs cannot be textured in
// appearance mode) or kiln::Cancelled; polls `cancel`.
MeshEditResult editMesh(const TextTo3dGenerator& generator, const core::Mesh& mesh, const std::string& prompt, const MeshEditOptions& options,
                        core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::models
