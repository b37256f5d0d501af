#pragma once

// `kiln eval text-to-3d`: an honest evaluation of text -> 3D on held-out captions of the
// procedural library (held-out seeds and held-out (category, colour, material) triples):
// - attribute accuracy by the judge (a CNN trained on renders: models/judge.h), per category;
// - distance to the data: Chamfer from the generated shape to the nearest training asset of its
//   category, over the same for the held-out real asset (1 = as close as real data), and 1-NNA
//   between generated and real sets (50 % is ideal);
// - watertight manifold meshes, and one connected piece where the real asset is one;
// - the autoencoder's reconstruction of held-out assets: F-score at 1 % of the diagonal, albedo ΔE,
//   and the reconstructions' own distance to the data (the floor of the generated meshes');
// - diversity against the data's own, and latency per stage.
// Torch-free header.

#include "core/image.h"
#include "core/progress.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace kiln::models {

struct TextEvalOptions {
    std::filesystem::path data;                   // dataset folder
    std::filesystem::path model, autoencoder, judge;  // empty: the defaults for their slots
    int perCategory = 2;                          // held-out captions per category (seed split, then triples)
    int references = 16;                          // training assets per category for the distance
    int diversityPrompts = 10, seeds = 4;
    int latencyRuns = 3;                          // prompts timed (spread evenly over the held-out prompts)
    int reconstructions = 45;                     // held-out assets for the autoencoder's measures
    int refineSteps = 0;                          // > 0: each also re-scored with its encoding refined (ShapeLatentModel::refine)
    // The count the held-out assets are encoded with: 0, the autoencoder's detail count (how an
    // artist's asset is reconstructed); its generator count measures the floor of what the
    // generators' latent can carry (the text model diffuses that count).
    int reconstructionTokens = 0;
    int resolution = 128;
    int sheetPrompts = 36;                        // 0 = no contact sheet
    // The sampler (0 / NaN: the model's own steps, guidance and surface level).
    int steps = 0;
    float guidance = std::numeric_limits<float>::quiet_NaN(), surfaceBias = std::numeric_limits<float>::quiet_NaN();
    float temperature = std::numeric_limits<float>::quiet_NaN();
    std::uint64_t seed = 0;  // the seed each prompt is sampled with
    int candidates = 0;      // TextTo3dOptions::candidates (0: its default)
};

struct CategoryScore {
    std::string category;
    int prompts = 0, categoryHits = 0, colourHits = 0, materialHits = 0, watertight = 0, connectedWhenReal = 0, realConnected = 0;
    double medianRatio = 0.0;  // distance to the data, generated / real
};

struct TextEvalReport {
    int prompts = 0;
    double categoryAccuracy = 0.0, colourAccuracy = 0.0, materialAccuracy = 0.0;
    double judgeCategoryCeiling = 0.0, judgeColourCeiling = 0.0, judgeMaterialCeiling = 0.0;  // the judge on the real held-out assets
    double medianRatio = 0.0, worstCategoryRatio = 0.0;
    double medianRatioLow = 0.0, medianRatioHigh = 0.0;  // 95 % bootstrap interval of medianRatio over the prompts
    std::string worstCategory;
    double oneNna = 0.0;
    double watertightFraction = 0.0, connectedFraction = 0.0;  // connected: among prompts whose real asset is one piece
    double reconstructionFScore = 0.0, reconstructionFScoreMin = 0.0, albedoDeltaE = 0.0;
    int reconstructionTokens = 0;  // tokens each held-out asset was encoded with (the autoencoder's detail count)
    double reconstructionMedianRatio = 0.0;  // distance to the data of the reconstructions (the latent's own floor)
    int refineSteps = 0;
    double refinedFScore = 0.0, refinedFScoreMin = 0.0, refinedAlbedoDeltaE = 0.0;  // with the encodings refined
    struct Reconstruction {
        std::string category;
        double fScore = 0.0, albedoDeltaE = 0.0, ratio = 0.0;
        double refinedFScore = 0.0, refinedAlbedoDeltaE = 0.0;  // when refineSteps > 0
    };
    std::vector<Reconstruction> reconstructionScores;  // one per reconstructed held-out asset
    double diversity = 0.0, dataDiversity = 0.0, diversityFloor = 0.0;
    double latencyMedian = 0.0, latencyMax = 0.0;  // over the prompts timed
    double candidatesTried = 0.0;                  // mean candidates a held-out prompt tried
    int samplerSteps = 0, samplerCandidates = 1;
    double samplerGuidance = 0.0, samplerSurfaceBias = 0.0, samplerTemperature = 1.0;  // what the prompts were sampled with
    std::map<std::string, double> latencyStages;
    std::vector<CategoryScore> categories;
    struct PromptScore {
        std::string caption, category;
        double ratio = 0.0;         // distance to the data, generated / real
        std::size_t components = 0;  // connected pieces of the generated mesh
        bool realConnected = false; // the real asset is one piece
        bool categoryHit = false, colourHit = false, materialHit = false;
    };
    std::vector<PromptScore> perPrompt;  // one per held-out prompt, in order
    std::vector<std::string> misses;  // "caption -> judged category, colour, material"
    core::Image sheet;                // generated beside real, one pair per prompt
    std::string json() const;
};

TextEvalReport evaluateTextTo3d(const TextEvalOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::models
