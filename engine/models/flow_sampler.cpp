#include "models/flow_sampler.h"

#include "core/error.h"

namespace kiln::models {

torch::Tensor guidedVelocity(const torch::Tensor& stacked, float guidance) {
    if (guidance == 1.0f) return stacked;
    const auto b = stacked.size(0) / 2;
    const auto cond = stacked.slice(0, 0, b), uncond = stacked.slice(0, b, 2 * b);
    return uncond + guidance * (cond - uncond);
}

torch::Tensor sampleFlowEuler(torch::Tensor x, const FlowSampleOptions& o,
                              const std::function<torch::Tensor(const torch::Tensor& x, float t)>& velocity,
                              const core::CancelToken& cancel, const FlowStepFn& onStep, const FlowConstraintFn& constrain) {
    if (o.steps < 1) throw Error("sampler: needs at least one step");
    if (!(o.tStart > 0.0f && o.tStart <= 1.0f)) throw Error("sampler: start time must be in (0, 1]");
    const float dt = o.tStart / float(o.steps);
    for (int i = 0; i < o.steps; ++i) {
        cancel.throwIfCancelled();
        const float t = o.tStart - float(i) * dt;
        const auto v = velocity(x, t);
        if (onStep) onStep(i, t, x, v);
        x = x - dt * v;
        if (constrain) x = constrain(x, std::max(0.0f, t - dt));
    }
    return x;
}

} // namespace kiln::models
