#pragma once

#include <string>

namespace kiln::optimize {

// One fitting iteration's work (forward, L1 + D-SSIM loss, backward) on a synthetic cloud of
// `splats` Gaussians seen at `size` x `size`, averaged over `iterations`, on the CPU kernels or
// (cuda, where rasterizerHasCuda()) the CUDA kernels. Used by `kiln bench fit`.
struct FitBenchResult {
    double msPerIteration = 0.0;
    double forwardMs = 0.0;
    double backwardMs = 0.0;
};
FitBenchResult benchmarkSplatIteration(int splats, int size, int iterations, bool cuda = false);

// Whether the CUDA path can run here (rasterizerHasCuda, without LibTorch headers), and if not,
// why, in words.
bool fitHasCuda();
std::string fitCudaStatus();

} // namespace kiln::optimize
