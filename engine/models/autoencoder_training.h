#pragma once

// `kiln train shape-autoencoder`: trains the shared 3D latent on the procedural library (v2) and
// writes a model folder: config.json (architecture, latent statistics, recipe), weights.safetensors
// (EMA weights), manifest.json, loss.csv / loss.png, checkpoint.pt (resume). Torch-free header.

#include "core/progress.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kiln::models {

struct AutoencoderTrainOptions {
    std::filesystem::path data;   // a dataset folder (kiln dataset build); its "train" items are used
    std::filesystem::path out;    // the model folder
    int items = 0;                // 0: every train item; else the first N
    int steps = 4000;
    int batch = 16;
    double learningRate = 5e-4;
    int warmupSteps = 200;
    double klWeight = 1e-4;
    double appearanceWeight = 2.0;
    double emaDecay = 0.999;
    std::uint64_t seed = 0;
    int checkpointEvery = 250;
    int threads = 0;              // 0: all cores
    bool resume = false;
    bool overwrite = false;
    // Fine-tune only the decoder of this model folder: its architecture and weights are the start,
    // the encoder stays frozen (so its latent space and statistics, and any generator trained on
    // them, stay valid) and each item is encoded once before training. Empty: train both.
    std::filesystem::path decoderFrom;
    // With decoderFrom: texels per side of the decoder's feature planes (0: the source's). The
    // plane network is convolutional, so the source's weights start a finer (or coarser) decoder.
    int planeResolution = 0;
    // With decoderFrom: add finer planes at this resolution (ShapeAutoencoderConfig::fineResolution;
    // 0: the source's). They start at zero, so the fine-tune begins exactly where the source was.
    int fineResolution = 0;
    // Tokens each query's local geometry read visits (ShapeAutoencoderConfig::localNeighbours);
    // -1: the source's with decoderFrom, none for a new model. Adding it to a source without one
    // fine-tunes a decoder that starts exactly where the source was (its output layer is zero).
    int localNeighbours = -1;
    // Keys for the appearance blend (ShapeAutoencoderConfig::lookKeys); -1: the source's with
    // decoderFrom, none for a new model. Added to a source without them, the fine-tune starts
    // exactly at the source (the points' queries start at zero).
    int lookKeys = -1;
    // Draw each step's occupancy and appearance targets afresh (from the item and the step) instead
    // of one fixed set per item made before training; the next step's are made on another thread.
    bool freshQueries = false;
    bool bandedQueries = false;   // QueryMix::Banded instead of QueryMix::Surface (latent_data.h)
    // Minimum thickness of the occupancy targets (ShapeSampleOptions::thinWall, normalised frame;
    // 0: the solid as it is).
    float thinWall = 0.0f;
    // Each training item's anchors moved by Gaussian noise of a spread drawn uniformly from 0 to
    // this (normalised frame) before the decoder reads them; the targets stay the asset's. A
    // generator's anchors are a little off the surface, and a decoder that has only seen exact ones
    // draws each stray anchor as a lump; this one learns to draw the surface the tokens agree on.
    // 0: exact anchors.
    float anchorJitter = 0.0f;
    // With decoderFrom: teach the decoder a second, larger token count as well
    // (ShapeAutoencoderConfig::detailTokens): every other step's items are encoded with this many
    // anchors instead of the model's `tokens`. 0: the source's only count.
    int detailTokens = 0;
    // With detailTokens: one step in this many is at the detail count (2: every other step).
    int detailEvery = 2;
    // Architecture (ShapeAutoencoderConfig).
    int tokens = 128, channels = 16, width = 128, heads = 4, encoderLayers = 2, decoderLayers = 4;
};

struct AutoencoderTrainResult {
    int steps = 0, trainItems = 0, validationItems = 0;
    double seconds = 0.0, secondsPerStep = 0.0, dataSeconds = 0.0;
    double finalLoss = 0.0;
    double finalOccupancyLoss = 0.0, finalAppearanceLoss = 0.0;  // training terms, mean of the last 50 steps
    double validationIoU = 0.0;          // occupancy IoU of the EMA model on validation items
    double validationDetailIoU = 0.0;    // the same at detailTokens (when trained with them)
    double validationAppearanceL1 = 0.0;
    std::vector<std::pair<int, double>> curve;  // smoothed loss by step
};

// Throws kiln::Error (bad options, missing data, an existing folder without overwrite or resume)
// or kiln::Cancelled (the last checkpoint stays).
AutoencoderTrainResult trainShapeAutoencoder(const AutoencoderTrainOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::models
