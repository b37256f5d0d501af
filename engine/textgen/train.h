#pragma once

#include "core/progress.h"
#include "textgen/model_config.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kiln::textgen {

struct TrainOptions {
    std::filesystem::path data;    // a dataset folder from `kiln dataset build`
    std::filesystem::path out;     // model folder (created)
    ModelConfig model;             // vocabSize is set from the data
    int steps = 4000;
    int batch = 64;
    float learningRate = 5e-4f;
    int warmupSteps = 200;
    float weightDecay = 0.01f;
    float conditionDropout = 0.1f; // prompts replaced by the empty prompt (classifier-free guidance)
    float emaDecay = 0.999f;
    int checkpointEvery = 500;
    std::uint64_t seed = 0;
    bool resume = false;           // continue from out/checkpoint.pt
    bool overwrite = false;        // replace an existing model folder
};

struct TrainResult {
    int steps = 0;
    int trainItems = 0, validationItems = 0;
    double seconds = 0.0;
    double loadSeconds = 0.0;      // reading the data and fitting shape tokens
    double secondsPerStep = 0.0;
    double finalLoss = 0.0;        // mean of the last 100 steps
    std::vector<std::pair<int, double>> curve;  // step, smoothed loss
};

// Trains the text -> shape-token flow transformer and writes a model folder: config.json,
// weights.pt (EMA weights), checkpoint.pt (+ optimizer state, for --resume), loss.csv, loss.png.
// Deterministic for a seed and thread count. Throws kiln::Error or kiln::Cancelled (the last
// checkpoint stays usable).
TrainResult trainTextTo3d(const TrainOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::textgen
