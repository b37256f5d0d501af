#pragma once

namespace kiln::optimize {

// One fitting iteration's work (forward, L1 + D-SSIM loss, backward) on a synthetic cloud of
// `splats` Gaussians seen at `size` x `size`, averaged over `iterations`. Used by `kiln bench fit`.
struct FitBenchResult {
    double msPerIteration = 0.0;
    double forwardMs = 0.0;
    double backwardMs = 0.0;
};
FitBenchResult benchmarkSplatIteration(int splats, int size, int iterations);

} // namespace kiln::optimize
