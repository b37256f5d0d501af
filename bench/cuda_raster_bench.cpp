// kiln-cuda-bench: the CUDA splat rasterizer (engine/optimize/splat_raster_kernels.cuh) on a real
// GPU, without LibTorch, so it runs on any machine with an NVIDIA driver.
//  1. Agreement: each case runs through the nvcc-built kernels on the GPU and through the same
//     kernel source on the CPU emulation of CUDA blocks (which the tests hold to the CPU kernels
//     bit for bit): tile lists, image, final transmittance and every gradient are compared.
//  2. Speed: one 3DGS iteration's rasterizer work (forward, then backward from a loss gradient)
//     on the object-like clouds of `kiln bench fit`, timed with CUDA events, median of --repeat.
// Exit status 1 when a case disagrees beyond the tolerance, 2 when there is no GPU.
#include "cuda_gpu.h"

#include "core/camera.h"
#include "core/error.h"
#include "optimize/splat_raster_device.h"
#include "optimize/splat_raster_kernels.h"
#include "optimize/max_relative.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

// Last: the emulator defines CUDA's keywords as macros, which no other header should see.
#include "optimize/cuda_emulator.h"
#include "optimize/splat_raster_kernels.cuh"

using namespace kiln;
using namespace kiln::optimize;

namespace {

struct HostCloud {
    std::vector<float> means, logScales, rotations, opacity, sh;
    int count() const { return int(opacity.size()); }
    SplatParams params(const float* const* base, int degree) const {
        return {base[0], base[1], base[2], base[3], base[4], std::int64_t(opacity.size()), 16, degree};
    }
    const float* const* host() const {
        static thread_local const float* p[5];
        p[0] = means.data(), p[1] = logScales.data(), p[2] = rotations.data(), p[3] = opacity.data(), p[4] = sh.data();
        return p;
    }
};

// `kiln bench fit`'s object: a unit ball of small, mostly opaque Gaussians (spacing from the count).
HostCloud objectCloud(int n, unsigned seed, float scaleFactor = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const float spacing = scaleFactor * 0.55f * std::cbrt(4.19f / float(n));
    HostCloud c;
    for (int i = 0; i < n; ++i) {
        float d[3] = {g(rng), g(rng), g(rng)};
        const float len = std::max(1e-6f, std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
        const float r = std::cbrt(u(rng));
        for (float v : d) c.means.push_back(v / len * r);
        for (int k = 0; k < 3; ++k) c.logScales.push_back(std::log(spacing) + 0.3f * g(rng));
        for (int k = 0; k < 4; ++k) c.rotations.push_back(g(rng));
        c.opacity.push_back(g(rng) + 1.0f);
        for (int k = 0; k < 48; ++k) c.sh.push_back(0.3f * g(rng));
    }
    return c;
}

RasterCamera cameraFor(int width, int height) {
    const core::Camera camera = core::Camera::lookAt({0.0f, 0.5f, 3.0f}, {0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, 0.8f);
    return makeRasterCamera(camera, width, height);
}

// The cloud's five arrays in one device allocation; gradients likewise.
struct DeviceCloud {
    float* base[5]{};
    DeviceCloud(bench::GpuArena& arena, const HostCloud& c) {
        const std::vector<float>* arrays[5] = {&c.means, &c.logScales, &c.rotations, &c.opacity, &c.sh};
        for (int k = 0; k < 5; ++k) {
            base[k] = static_cast<float*>(arena.allocate(arrays[k]->size() * sizeof(float)));
            bench::toDevice(base[k], arrays[k]->data(), arrays[k]->size() * sizeof(float));
        }
    }
};

struct Grads {
    std::vector<float> arrays[6];
    explicit Grads(const HostCloud& c) {
        const std::size_t n = std::size_t(c.count());
        const std::size_t sizes[6] = {n * 3, n * 3, n * 4, n, n * 48, n * 2};
        for (int k = 0; k < 6; ++k) arrays[k].assign(sizes[k], 0.0f);
    }
    SplatGradients view(float* const* p) const { return {p[0], p[1], p[2], p[3], p[4], p[5]}; }
};

using kiln::test::maxRelative;

template <class T>
std::vector<T> fromDevice(const T* p, std::size_t n) {
    std::vector<T> v(n);
    if (n) bench::toHost(v.data(), p, n * sizeof(T));
    return v;
}

// One case on both implementations; true when they agree within the tolerances.
bool agree(const char* what, const HostCloud& c, int width, int height, int degree, bench::GpuArena& arena) {
    const RasterCamera cam = cameraFor(width, height);
    const float bg[3] = {0.2f, 0.3f, 0.4f};
    const std::size_t pixels = std::size_t(width) * std::size_t(height), n = std::size_t(c.count());

    // Reference: the kernel source on the CPU emulation.
    const SplatParams hp = c.params(c.host(), degree);
    cuda_emulator::Backend emu;
    DeviceRasterState ref;
    std::vector<float> refImage(pixels * 3);
    device::rasterizeForward(emu, hp, cam, bg, ref, refImage.data());
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> dLdImage(pixels * 3);
    for (float& v : dLdImage) v = u(rng);
    Grads refGrads(c);
    float* refPtrs[6];
    for (int k = 0; k < 6; ++k) refPtrs[k] = refGrads.arrays[k].data();
    device::rasterizeBackward(emu, hp, cam, bg, ref, dLdImage.data(), refGrads.view(refPtrs));

    // The GPU.
    arena.reset();
    const DeviceCloud dc(arena, c);
    const SplatParams dp = c.params(dc.base, degree);
    float* image = static_cast<float*>(arena.allocate(pixels * 3 * sizeof(float)));
    float* dImage = static_cast<float*>(arena.allocate(pixels * 3 * sizeof(float)));
    bench::toDevice(dImage, dLdImage.data(), pixels * 3 * sizeof(float));
    Grads gpuGrads(c);
    float* devPtrs[6];
    for (int k = 0; k < 6; ++k) {
        devPtrs[k] = static_cast<float*>(arena.allocate(gpuGrads.arrays[k].size() * sizeof(float)));
        bench::zeroDevice(devPtrs[k], gpuGrads.arrays[k].size() * sizeof(float));
    }
    DeviceRasterState s;
    cudaRasterizeForward(dp, cam, bg, arena, s, image, 0, nullptr);
    cudaRasterizeBackward(dp, cam, bg, s, arena, dImage, gpuGrads.view(devPtrs), 0, nullptr);
    bench::synchronize();
    for (int k = 0; k < 6; ++k) gpuGrads.arrays[k] = fromDevice(devPtrs[k], gpuGrads.arrays[k].size());

    const std::vector<float> gpuImage = fromDevice(image, pixels * 3), gpuT = fromDevice(s.finalT, pixels), refT(ref.finalT, ref.finalT + pixels);
    const std::vector<std::uint32_t> gpuIds = fromDevice(s.ids, s.listSize), refIds(ref.ids, ref.ids + ref.listSize);
    std::size_t sameIds = 0;
    for (std::size_t i = 0; i < std::min(gpuIds.size(), refIds.size()); ++i) sameIds += gpuIds[i] == refIds[i];
    float imageErr = 0.0f, tErr = 0.0f;
    std::size_t off = 0;  // values off by more than rounding
    for (std::size_t i = 0; i < gpuImage.size(); ++i) {
        const float e = std::abs(gpuImage[i] - refImage[i]);
        imageErr = std::max(imageErr, e);
        off += e > 1e-5f;
    }
    for (std::size_t i = 0; i < pixels; ++i) tErr = std::max(tErr, std::abs(gpuT[i] - refT[i]));
    const char* names[6] = {"means", "logScales", "rotations", "opacity", "sh", "means2D"};
    float worstGrad = 0.0f;
    std::string gradText;
    for (int k = 0; k < 6; ++k) {
        const float e = maxRelative(gpuGrads.arrays[k], refGrads.arrays[k]);
        worstGrad = std::max(worstGrad, e);
        char buf[64];
        std::snprintf(buf, sizeof buf, " %s %.1e", names[k], double(e));
        gradText += buf;
    }
    // nvcc contracts a*b+c into fused multiply-adds and the host compiler does not, so the last
    // bits differ; where a splat's alpha sits at the 1/255 cut-off (or a pixel's transmittance at
    // the early stop), that flips whether it is drawn: one splat's 1/255 share of one pixel. So:
    // at most 1 in 1000 values off by more than rounding, none by more than 2/255 (colours past
    // 1 allowed), gradients within 1e-3 of the largest.
    const bool ok = s.listSize == ref.listSize && off * 1000 <= gpuImage.size() && imageErr <= 2.0f / 255.0f && tErr <= 1e-4f && worstGrad <= 1e-3f;
    std::printf("%-44s %s: %u/%u tile entries, %.4f %% in the same order; image max error %.1e, %zu of %zu values off by > 1e-5; "
                "final T %.1e; gradients (max relative):%s\n",
                what, ok ? "agree" : "DISAGREE", s.listSize, ref.listSize, 100.0 * double(sameIds) / double(std::max<std::size_t>(1, refIds.size())),
                double(imageErr), off, gpuImage.size(), double(tErr), gradText.c_str());
    (void)n;
    return ok;
}

void timeIterations(int splats, int width, int height, int repeat, bench::GpuArena& arena) {
    const HostCloud c = objectCloud(splats, 11);
    const RasterCamera cam = cameraFor(width, height);
    const float bg[3] = {1.0f, 1.0f, 1.0f};
    const std::size_t pixels = std::size_t(width) * std::size_t(height);
    arena.reset();
    const DeviceCloud dc(arena, c);
    const SplatParams p = c.params(dc.base, 3);
    float* image = static_cast<float*>(arena.allocate(pixels * 3 * sizeof(float)));
    float* dImage = static_cast<float*>(arena.allocate(pixels * 3 * sizeof(float)));
    std::vector<float> d(pixels * 3, 1.0f / float(pixels * 3));
    bench::toDevice(dImage, d.data(), d.size() * sizeof(float));
    Grads sizes(c);
    float* g[6];
    for (int k = 0; k < 6; ++k) g[k] = static_cast<float*>(arena.allocate(sizes.arrays[k].size() * sizeof(float)));
    const SplatGradients grads = sizes.view(g);
    const std::size_t mark = arena.used();
    bench::GpuTimer timer;
    std::vector<float> fwd, bwd;
    DeviceRasterState s;
    // Warm-up: at least two iterations and a quarter of a second, so the GPU's clocks have risen.
    const auto warmStart = std::chrono::steady_clock::now();
    int warmUp = 0;
    for (int i = 0; i < warmUp + repeat; ++i) {
        const bool warming = warmUp == i && (i < 2 || std::chrono::steady_clock::now() - warmStart < std::chrono::milliseconds(250));
        if (warming) ++warmUp;
        arena.reset(mark);
        for (int k = 0; k < 6; ++k) bench::zeroDevice(g[k], sizes.arrays[k].size() * sizeof(float));
        timer.start();
        cudaRasterizeForward(p, cam, bg, arena, s, image, 0, nullptr);  // reads the list size back: one sync inside
        const float f = timer.stopMs();
        timer.start();
        cudaRasterizeBackward(p, cam, bg, s, arena, dImage, grads, 0, nullptr);
        const float b = timer.stopMs();
        if (warming) continue;
        fwd.push_back(f);
        bwd.push_back(b);
    }
    std::sort(fwd.begin(), fwd.end());
    std::sort(bwd.begin(), bwd.end());
    const float f = fwd[fwd.size() / 2], b = bwd[bwd.size() / 2];
    std::printf("CUDA %4dx%-4d %8d splats  %8.3f ms/iteration  (forward %.3f, backward %.3f)  %8.0f iterations/s  %10u tile entries  %6.0f MiB\n",
                width, height, splats, double(f + b), double(f), double(b), 1000.0 / double(f + b), s.listSize, double(arena.peak()) / 1048576.0);
}

} // namespace

int main(int argc, char** argv) {
    int repeat = 20;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = std::atoi(argv[++i]);
            if (repeat < 1 || repeat > 10000) {
                std::fprintf(stderr, "kiln-cuda-bench: --repeat must be between 1 and 10000\n");
                return 1;
            }
        } else {
            std::fprintf(stderr, "usage: kiln-cuda-bench [--repeat N]\n");
            return 1;
        }
    }
    std::string name;
    try {
        name = bench::gpuName();
    } catch (const std::exception& e) {
        std::printf("kiln-cuda-bench: not measured: %s\n", e.what());
        return 2;
    }
    try {
        std::printf("kiln-cuda-bench on %s\n", name.c_str());
        bench::GpuArena arena(std::size_t(16) << 30);
        bool ok = true;
        std::printf("agreement with the same kernels on the CPU emulation:\n");
        ok &= agree("400 splats, 70x45 (edge tiles), SH 3", objectCloud(400, 1), 70, 45, 3, arena);
        ok &= agree("700 large splats, 40x40 (lists > 2 batches), SH 0", objectCloud(700, 2, 6.0f), 40, 40, 0, arena);
        ok &= agree("5000 splats, 160x120, SH 3", objectCloud(5000, 3), 160, 120, 3, arena);
        ok &= agree("20000 splats, 256x256, SH 3", objectCloud(20000, 4), 256, 256, 3, arena);
        std::printf("speed: one iteration's rasterizer (forward + backward), median of %d, CUDA events:\n", repeat);
        for (const auto& [w, h] : {std::pair{200, 200}, std::pair{400, 400}, std::pair{800, 800}, std::pair{1920, 1080}})
            for (const int splats : {50000, 200000, 1000000}) timeIterations(splats, w, h, repeat, arena);
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln-cuda-bench: %s\n", e.what());
        return 1;
    }
}
