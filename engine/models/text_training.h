#pragma once

// `kiln train text-to-3d`: the text-to-latent flow on a procedural dataset, with the shape
// autoencoder that defines the latent. Writes a model folder (config.json, weights.safetensors,
// manifest.json, loss.csv/png, checkpoint.pt). Torch-free header.

#include "core/progress.h"

#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

namespace kiln::models {

struct TextTrainOptions {
    std::filesystem::path data;          // dataset folder (kiln dataset build)
    std::filesystem::path autoencoder;   // shape-autoencoder model folder
    std::filesystem::path out;
    // A trained text model to start from: its weights, architecture and vocabulary, with a fresh
    // optimiser and schedule (for a model folder without its checkpoint, e.g. a bundled one). Its
    // latent must be this autoencoder's (same encoder), and every training caption's words known
    // to it. Not with `resume`.
    std::filesystem::path initFrom;
    // With initFrom: the flow's depth after growing it (0: the source's). The source's blocks come
    // first; the new ones follow as adaLN-Zero identities, so the run starts exactly at the source.
    int growLayers = 0;
    // With a deepened source: train only the added blocks and the output head after them; every
    // weight the source had before them (text encoder, embeddings, its blocks) stays as it was.
    // The backward pass then runs through the added blocks alone. A resumed run keeps it.
    bool freezeSource = false;
    int items = 0;                       // 0: every train item
    int steps = 8000;
    int batch = 32;
    double learningRate = 4e-4;
    int warmupSteps = 300;
    double conditionDropout = 0.1;       // prompts dropped for classifier-free guidance
    // Weight of the anchors' (and the log size's) squared error in the flow loss against 1 for each
    // latent channel. The decoder draws the surface where the anchors are: anchors 0.03 off (0.07
    // of their spread) cost a reconstruction 0.13 F-score, while half a spread of noise on every
    // channel costs none (kiln bench latent --anchor-noise / --latent-noise). Equal weights give
    // the 16 channels 84 % of the loss. 1..100.
    double anchorWeight = 1.0;
    // This fraction of each batch learns the appearance of a given shape: its anchors and size
    // row enter x_t clean (as the asset's own) and only its channels are noised and scored. The
    // model then samples the appearance of an artist's mesh conditioned on the mesh itself
    // (texturing, appearance edits) instead of RePaint's approximation. 0..1.
    double shapeGivenFraction = 0.0;
    double emaDecay = 0.999;
    std::uint64_t seed = 0;
    int checkpointEvery = 250;
    int threads = 0;
    bool resume = false, overwrite = false;
    bool ordered = true;                 // tokens along a Morton curve with index embeddings
    int width = 160, heads = 4, layers = 6, textLayers = 2;
};

struct TextTrainResult {
    int steps = 0, trainItems = 0;
    double seconds = 0.0, encodeSeconds = 0.0, secondsPerStep = 0.0, finalLoss = 0.0;
    std::vector<std::pair<int, double>> curve;
};

TextTrainResult trainTextToLatent(const TextTrainOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::models
