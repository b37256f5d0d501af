#pragma once

// Samplers for rectified-flow / flow-matching generators (Lipman et al. 2023; Liu et al. 2023):
// x_t = (1 - t) x_0 + t eps, the network predicts the velocity v = eps - x_0, and sampling
// integrates dx/dt = v from t = 1 (noise) to t = 0 (data). Includes <torch/torch.h>.

#include "core/progress.h"

#include <torch/torch.h>

#include <functional>

namespace kiln::models {

// Classifier-free guidance (Ho & Salimans 2022): v = v_uncond + w (v_cond - v_uncond).
// `stacked` is [cond; uncond] along dim 0 (2B rows), or just cond (B rows) when w == 1.
torch::Tensor guidedVelocity(const torch::Tensor& stacked, float guidance);

struct FlowSampleOptions {
    int steps = 32;
    float tStart = 1.0f;  // < 1 starts part-way (SDEdit-style edits start from a noised asset)
};

// Called before each step with the step index, t, the current x_t and its velocity; may report
// progress or previews (x0 estimate = x_t - t v).
using FlowStepFn = std::function<void(int step, float t, const torch::Tensor& x, const torch::Tensor& v)>;
// Replaces x after each step (RePaint-style constraints: kept tokens reset to their re-noised
// originals at the new time). Returns the constrained x.
using FlowConstraintFn = std::function<torch::Tensor(const torch::Tensor& x, float tNext)>;

// Euler integration from tStart to 0. `velocity(x, t)` returns the (already guided) velocity.
// Polls `cancel` every step (kiln::Cancelled).
torch::Tensor sampleFlowEuler(torch::Tensor x, const FlowSampleOptions& options,
                              const std::function<torch::Tensor(const torch::Tensor& x, float t)>& velocity,
                              const core::CancelToken& cancel, const FlowStepFn& onStep = {}, const FlowConstraintFn& constrain = {});

} // namespace kiln::models
