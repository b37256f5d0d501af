#include "optimize/fit_bench.h"

#include "core/camera.h"
#include "optimize/splat_raster.h"

#include <chrono>
#include <cmath>

namespace kiln::optimize {

FitBenchResult benchmarkSplatIteration(int splats, int size, int iterations, bool cuda) {
    torch::manual_seed(7);
    const torch::Device device = cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    // An object-like cloud: a unit ball of small, mostly opaque Gaussians, 3 units from the camera.
    torch::Tensor dir = torch::randn({splats, 3});
    torch::Tensor means = (dir / dir.norm(2, 1, true) * torch::rand({splats, 1}).pow(1.0 / 3.0)).to(device).requires_grad_(true);
    const float spacing = 0.55f * std::cbrt(4.19f / float(splats));
    torch::Tensor logScales = (torch::log(torch::full({splats, 3}, spacing)) + 0.3 * torch::randn({splats, 3})).to(device).requires_grad_(true);
    torch::Tensor rotations = torch::randn({splats, 4}).to(device).requires_grad_(true);
    torch::Tensor opacity = (torch::randn({splats}) + 1.0).to(device).requires_grad_(true);
    torch::Tensor sh = (0.3 * torch::randn({splats, 16, 3})).to(device).requires_grad_(true);
    const core::Camera camera = core::Camera::lookAt({0.0f, 0.5f, 3.0f}, {0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, 0.8f);
    const RasterCamera cam = makeRasterCamera(camera, size, size);
    const torch::Tensor target = torch::rand({size, size, 3}).to(device);
    FitBenchResult r;
    for (int i = 0; i <= iterations; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        torch::Tensor means2D = torch::zeros({splats, 2}, torch::TensorOptions().device(device).requires_grad(true));
        auto out = rasterizeSplats(means, logScales, rotations, opacity, sh, means2D, cam, glm::vec3(1.0f), 3);
        const torch::Tensor loss = (out.image - target).abs().mean();
        (void)loss.item<float>();  // waits for the device
        const auto t1 = std::chrono::steady_clock::now();
        loss.backward();
        (void)means.grad()[0][0].item<float>();
        const auto t2 = std::chrono::steady_clock::now();
        for (auto* p : {&means, &logScales, &rotations, &opacity, &sh}) p->mutable_grad().reset();
        if (i == 0) continue;  // warm-up
        r.forwardMs += std::chrono::duration<double, std::milli>(t1 - t0).count();
        r.backwardMs += std::chrono::duration<double, std::milli>(t2 - t1).count();
    }
    r.forwardMs /= iterations;
    r.backwardMs /= iterations;
    r.msPerIteration = r.forwardMs + r.backwardMs;
    return r;
}

bool fitHasCuda() { return rasterizerHasCuda(); }

std::string fitCudaStatus() {
#if defined(KILN_HAVE_CUDA)
    if (rasterizerHasCuda()) return "available (" + std::to_string(torch::cuda::device_count()) + " device(s))";
    return "the CUDA kernels are built, but LibTorch sees no CUDA device (a CPU-only LibTorch, such as Debian's, or no GPU)";
#else
    return "this build has no CUDA kernels (no CUDA compiler when it was configured)";
#endif
}

} // namespace kiln::optimize
