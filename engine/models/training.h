#pragma once

// What every `kiln train` loop shares: the learning-rate schedule, exponential moving averages of
// weights, loss files (loss.csv and a loss.png chart), atomic LibTorch checkpoints and a random
// generator per step (so a resumed run draws exactly what the uninterrupted run drew).
// Includes <torch/torch.h>.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln::models {

// Linear warm-up to `peak`, then cosine decay to 10 % of it (Loshchilov & Hutter 2017).
double learningRateAt(double peak, int warmupSteps, int totalSteps, int step);

// ema <- decay ema + (1 - decay) model, parameter by parameter (buffers copied).
void updateEma(torch::nn::Module& ema, const torch::nn::Module& model, double decay);
void copyWeights(torch::nn::Module& to, const torch::nn::Module& from);

std::vector<double> smoothed(const std::vector<float>& values, int window);
// loss.csv (step, loss, smoothed loss, learning rate and any extra named columns) and loss.png.
void writeLossFiles(const std::filesystem::path& dir, const std::vector<float>& losses, const std::vector<float>& rates);

// Saves through a temporary file so an interrupted save never leaves a truncated checkpoint.
void saveArchive(torch::serialize::OutputArchive& archive, const std::filesystem::path& path);

// A CPU generator whose state depends only on (seed, step).
at::Generator stepGenerator(std::uint64_t seed, int step);

// Configures LibTorch's threads for training (threads <= 0: all cores) and returns the count.
int trainingThreads(int threads);

} // namespace kiln::models
