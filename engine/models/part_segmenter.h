#pragma once

// Parts of a shape read from its latent (slot "part-segmenter"). A small network Kiln trains on
// its procedural library: from a latent's tokens (the shared autoencoder's encoding of a mesh) it
// names the part under any surface point with the library's words for parts (legs, seat,
// backrest, shade, lid, handle, ...) and for the material groups they belong to (frame, base,
// ...). Editing uses it when an instruction names a part the artist's mesh has no name for
// ("make the legs red" on a chair that is one unnamed mesh). Torch-free header.
//
// The network: each token (its channels in units of their spread, its anchor's Fourier features)
// through two self-attention blocks; each point (Fourier features) reads the tokens near it
// (Gaussian weights of the distance to their anchors) and then all of them (cross-attention),
// and two heads give its part and group word.

#include "core/mesh.h"
#include "core/progress.h"
#include "models/shape_latent.h"

#include <glm/vec3.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kiln::models {

class PartSegmenter {
public:
    // Verifies the folder (manifest, slot "part-segmenter") and loads it; kiln::Error naming the
    // folder and what is wrong. `autoencoder`, when given, must be the encoder it was trained on.
    explicit PartSegmenter(const std::filesystem::path& dir, const ShapeLatentModel* autoencoder = nullptr);
    ~PartSegmenter();
    PartSegmenter(const PartSegmenter&) = delete;
    PartSegmenter& operator=(const PartSegmenter&) = delete;

    const std::vector<std::string>& partWords() const;   // "legs", "seat", ...
    const std::vector<std::string>& groupWords() const;  // "frame", "seat", ...
    std::string name() const;                            // manifest name and version
    // The token count it reads (a mesh is encoded at it for the segmenter); 0: the autoencoder's
    // generator count (models trained before the count was recorded).
    int tokens() const;

    struct Labels {
        std::vector<int> part, group;  // per point: indices into partWords() / groupWords()
    };
    // Points in the latent's normalised frame. The latent has tokens() tokens (when not 0).
    Labels label(const ShapeLatent& latent, const std::vector<glm::vec3>& points) const;

    // Per triangle of `mesh` (in the units `latent.frame` maps to), 1 where one of `words` names
    // its part or its material group (plural or singular: "leg" names "legs"). Empty when none of
    // `words` is one of the model's. Each triangle's points vote; the region is then cut along the
    // mesh's structure (geometry::cutRegion with `smoothness`; 0: each triangle by its own votes).
    std::vector<std::uint8_t> trianglesNamed(const ShapeLatent& latent, const core::Mesh& mesh, const std::vector<std::string>& words,
                                             std::vector<std::string>* matched = nullptr, float smoothness = kRegionSmoothness) const;
    static constexpr float kRegionSmoothness = 4.0f;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// "legs" and "leg" alike: a trailing s dropped (not from "ss" or words of three letters or less).
std::string singularWord(std::string word);

struct PartSegmenterTrainOptions {
    std::filesystem::path data, autoencoder, out;
    int items = 2000;        // training assets (the dataset's train split, in order)
    int validationItems = 200;
    int points = 1024;       // labelled surface points per asset
    int steps = 3000;
    int batch = 16;
    int pointsPerStep = 512;  // of each asset's points, per step
    int width = 96;
    // Of each training asset's points, the share drawn part by part (each part as often) rather
    // than by area, so small parts are learnt too. Validation points are always by area.
    float partBalance = 0.0f;
    // The token count assets are encoded with: the autoencoder's generator count (0) or its
    // detail count (ShapeLatentModel::detailTokens: finer anchors for parts that lie over others).
    int tokens = 0;
    double learningRate = 1e-3;
    std::uint64_t seed = 0;
    int threads = 0;
    bool overwrite = false;
};
struct PartSegmenterTrainResult {
    int items = 0, validationItems = 0, steps = 0;
    double prepareSeconds = 0.0, seconds = 0.0;
    double partAccuracy = 0.0, groupAccuracy = 0.0;  // on held-out assets' surface points
    std::vector<float> lossCurve;                     // per step
};
PartSegmenterTrainResult trainPartSegmenter(const PartSegmenterTrainOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::models
