#pragma once

// `kiln train image-to-3d`: the image-to-latent flow (image_to_latent.h) on a procedural dataset:
// every training asset rendered from several random views (image_views.h: random orbit camera,
// key light and exposure; framed as at generation time) paired with its latent. Starts from a
// text-to-3d model's flow (same autoencoder) or from scratch. Writes a model folder (config.json,
// flow.json, weights.safetensors, manifest.json, loss.csv/png, checkpoint.pt). Torch-free header.

#include "core/progress.h"

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

namespace kiln::models {

struct ImageTrainOptions {
    std::filesystem::path data;          // dataset folder (kiln dataset build)
    std::filesystem::path autoencoder;   // shape-autoencoder model folder
    std::filesystem::path out;
    std::filesystem::path initFrom;      // a text-to-3d model whose flow starts this one (empty: from scratch)
    int items = 0;                       // 0: every train item
    int viewsPerItem = 6;                // rendered once, before training
    int imageSize = 64;
    int steps = 4000;
    int batch = 32;
    double learningRate = 2e-4;
    int warmupSteps = 200;
    double conditionDropout = 0.1;       // views dropped for classifier-free guidance
    // Shares of steps whose items are seen through 1, 2, 3 and 4 views (joint conditioning).
    std::vector<double> viewMix{0.6, 0.25, 0.1, 0.05};
    double emaDecay = 0.999;
    std::uint64_t seed = 0;
    int checkpointEvery = 250;
    int threads = 0;
    bool resume = false, overwrite = false;
    int width = 128, heads = 4, layers = 8, textLayers = 2;  // from scratch only
};

struct ImageTrainResult {
    int steps = 0, trainItems = 0;
    double seconds = 0.0, renderSeconds = 0.0, secondsPerStep = 0.0, finalLoss = 0.0;
    std::vector<std::pair<int, double>> curve;
};

ImageTrainResult trainImageToLatent(const ImageTrainOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::models
