#pragma once

// What every `kiln train` loop shares: the learning-rate schedule, exponential moving averages of
// weights, loss files (loss.csv and a loss.png chart), atomic LibTorch checkpoints and a random
// generator per step (so a resumed run draws exactly what the uninterrupted run drew).
// Includes <torch/torch.h>.

#include <nlohmann/json.hpp>
#include "core/progress.h"

#include <torch/torch.h>

#include <chrono>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kiln::models {

// Linear warm-up to `peak`, then cosine decay to 10 % of it (Loshchilov & Hutter 2017).
double learningRateAt(double peak, int warmupSteps, int totalSteps, int step);

// ema <- decay ema + (1 - decay) model, parameter by parameter (buffers copied).
void updateEma(torch::nn::Module& ema, const torch::nn::Module& model, double decay);
// to <- from, parameter by parameter, and buffers unless `buffers` is false (a network whose
// derived buffers have another size, e.g. another plane resolution).
void copyWeights(torch::nn::Module& to, const torch::nn::Module& from, bool buffers = true);

std::vector<double> smoothed(const std::vector<float>& values, int window);
// loss.csv (step, loss, smoothed loss, learning rate and any extra named columns) and loss.png.
void writeLossFiles(const std::filesystem::path& dir, const std::vector<float>& losses, const std::vector<float>& rates);

// Saves through a temporary file so an interrupted save never leaves a truncated checkpoint.
void saveArchive(torch::serialize::OutputArchive& archive, const std::filesystem::path& path);

// checkpoint.pt: model, EMA model, optimizer state, the step reached and the loss and learning-rate
// histories, so --resume continues exactly where the run stopped.
struct CheckpointState {
    int step = 0;
    std::vector<float> losses, rates;
};
void saveCheckpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::nn::Module& ema, torch::optim::Optimizer& optimizer,
                    const CheckpointState& state);
// Throws kiln::Error naming the file when it does not match the model.
CheckpointState loadCheckpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::nn::Module& ema, torch::optim::Optimizer& optimizer);

// Prepares a model folder for a run: with `resume` it needs checkpoint.pt; otherwise a non-empty
// folder is refused unless `overwrite`, which removes the files a run writes.
void prepareTrainingFolder(const std::filesystem::path& out, bool resume, bool overwrite);

// The recipe fields every trainer records; each adds its own after them.
struct RecipeBasics {
    std::filesystem::path data;
    std::size_t trainItems = 0;
    int steps = 0, stepsDone = 0, batch = 0, warmupSteps = 0, threads = 0;
    double learningRate = 0.0, emaDecay = 0.0;
    std::uint64_t seed = 0;
};
nlohmann::ordered_json trainingRecipe(const RecipeBasics& basics);

// manifest.json of a folder a trainer wrote: the slot, the folder's name, the step as version,
// the recipe, and the checksums of every file in it.
void writeTrainedManifest(const std::filesystem::path& out, const std::string& slot, int step, const std::string& recipeJson);

// What a flow trainer does after backward(): gradients clipped to norm 1, the optimiser's step,
// the EMA updated (decay 0.99 for the first 500 steps, then `emaDecay`), the loss and rate kept.
void flowOptimiserStep(torch::nn::Module& model, torch::nn::Module& ema, torch::optim::Optimizer& optimizer, int step, double emaDecay,
                       float loss, float rate, std::vector<float>& losses, std::vector<float>& rates);
// "step N/M  loss L" at most every 500 ms and at the last step, at 0.1..0.99 of the job.
void reportTrainingStep(core::Progress& progress, int step, int steps, float loss, std::chrono::steady_clock::time_point& lastReport);
// The loss smoothed over 100 steps: its last value and about ten points of its curve (step, loss).
void summariseLosses(const std::vector<float>& losses, double* finalLoss, std::vector<std::pair<int, double>>* curve);

// Runs work(i) for every i < count on `threads` worker threads (the training data's renders:
// procedural geometry and the CPU rasteriser) while the calling thread runs `alongside` (may be
// empty), then reports "<stage> k/count" at 0..0.1 of the job until the workers are done. The
// first failure stops every worker and is thrown as kiln::Error("<what>: <name(i)>: <reason>").
// Polls `cancel`.
void forEachOnWorkers(std::size_t count, int threads, const std::function<void(std::size_t)>& work, const std::function<std::string(std::size_t)>& name,
                      const std::function<void()>& alongside, const std::string& stage, const std::string& what, core::Progress& progress,
                      const core::CancelToken& cancel);

// A CPU generator whose state depends only on (seed, step).
at::Generator stepGenerator(std::uint64_t seed, int step);

// Configures LibTorch's threads for training (threads <= 0: all cores) and returns the count.
int trainingThreads(int threads);

} // namespace kiln::models
