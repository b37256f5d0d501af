// The CUDA kernels of the splat rasterizer (engine/optimize/splat_raster_kernels.cuh), run on a
// CPU emulation of CUDA thread blocks, against the CPU kernels: same tile lists, bit-identical
// images (both use splat_raster_math.h in the same order), gradients equal up to the order of
// the atomic additions. Covers partial edge tiles, tiles with more splats than a block holds
// (several shared-memory batches), early termination at full opacity, splats behind the camera
// and off screen, and empty inputs. On a machine with a CUDA LibTorch and a GPU, the real CUDA
// path is compared with the CPU too.
#include "core/camera.h"
#include "optimize/splat_raster.h"
#include "optimize/splat_raster_device.h"
#include "optimize/splat_raster_kernels.h"
#include "optimize/max_relative.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <cmath>
#include <random>
#include <tuple>

// Last: the emulator defines CUDA's keywords as macros, which no other header should see.
#include "optimize/cuda_emulator.h"
#include "optimize/splat_raster_kernels.cuh"

using namespace kiln::optimize;

namespace {

struct HostCloud {
    std::vector<float> means, logScales, rotations, opacity, sh;
    int coeffStride = 16;
    SplatParams params(int degree) const {
        return {means.data(), logScales.data(), rotations.data(), opacity.data(), sh.data(), std::int64_t(opacity.size()), coeffStride, degree};
    }
};

// n splats in a box around the origin; `spread` scales the box, `opacityLo/Hi` the opacities.
HostCloud randomCloud(int n, unsigned seed, float spread, float opacityLo, float opacityHi) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::normal_distribution<float> g(0.0f, 1.0f);
    HostCloud c;
    for (int i = 0; i < n; ++i) {
        c.means.insert(c.means.end(), {(u(rng) - 0.5f) * 1.2f * spread, (u(rng) - 0.5f) * 1.2f * spread, (u(rng) - 0.5f) * 0.8f * spread});
        for (int k = 0; k < 3; ++k) c.logScales.push_back(std::log(0.04f + 0.12f * u(rng)));
        for (int k = 0; k < 4; ++k) c.rotations.push_back(g(rng));
        const float o = opacityLo + (opacityHi - opacityLo) * u(rng);
        c.opacity.push_back(std::log(o / (1.0f - o)));
        for (int k = 0; k < 48; ++k) c.sh.push_back(0.4f * g(rng));
    }
    return c;
}

RasterCamera camera(int width, int height) {
    const auto cam = kiln::core::Camera::lookAt({0.4f, 0.3f, 3.0f}, {0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, 0.7f);
    return makeRasterCamera(cam, width, height);
}

struct Grads {
    std::vector<float> means, logScales, rotations, opacity, sh, means2D;
    explicit Grads(const HostCloud& c)
        : means(c.means.size()), logScales(c.logScales.size()), rotations(c.rotations.size()), opacity(c.opacity.size()), sh(c.sh.size()),
          means2D(c.opacity.size() * 2) {}
    SplatGradients view() { return {means.data(), logScales.data(), rotations.data(), opacity.data(), sh.data(), means2D.data()}; }
};

template <class T>
std::vector<T> copy(const T* p, std::size_t n) {
    return std::vector<T>(p, p + n);
}

using kiln::test::maxRelative;

// The CPU kernels with their scalar blend loop (the one with expf, as CUDA's), for the scope.
struct ScalarRaster {
    ScalarRaster() { forceScalarRaster(true); }
    ~ScalarRaster() { forceScalarRaster(false); }
};

// Runs both paths on one cloud and checks every buffer the forward pass leaves and every gradient.
void expectSame(const HostCloud& c, const RasterCamera& cam, int degree, const char* what) {
    SCOPED_TRACE(what);
    const ScalarRaster scalar;
    const float bg[3] = {0.2f, 0.3f, 0.4f};
    const SplatParams p = c.params(degree);
    const std::size_t pixels = std::size_t(cam.width) * std::size_t(cam.height);

    RasterState cpu;
    std::vector<float> cpuImage(pixels * 3);
    rasterizeForward(p, cam, bg, cpu, cpuImage.data());

    kiln::cuda_emulator::Backend be;
    DeviceRasterState dev;
    std::vector<float> devImage(pixels * 3, -1.0f);
    device::rasterizeForward(be, p, cam, bg, dev, devImage.data());

    const std::size_t n = c.opacity.size();
    ASSERT_EQ(dev.listSize, cpu.ids.size());
    EXPECT_EQ(copy(dev.radius, n), cpu.radius);
    EXPECT_EQ(copy(dev.ids, dev.listSize), cpu.ids) << "tile lists in (tile, depth) order";
    // Tiles without splats: the CPU keeps its cursor there, the GPU path (0, 0); both are empty.
    std::vector<std::uint32_t> ranges = copy(dev.tileRanges, cpu.tileRanges.size()), cpuRanges = cpu.tileRanges;
    for (std::size_t t = 0; t < ranges.size(); t += 2)
        if (cpuRanges[t] == cpuRanges[t + 1]) cpuRanges[t] = cpuRanges[t + 1] = 0;
    EXPECT_EQ(ranges, cpuRanges);
    EXPECT_EQ(copy(dev.lastContributor, pixels), cpu.lastContributor);
    EXPECT_EQ(copy(dev.finalT, pixels), cpu.finalT);
    EXPECT_EQ(devImage, cpuImage) << "the same formulas in the same order give the same bits";

    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> dLdImage(pixels * 3);
    for (float& v : dLdImage) v = u(rng);
    Grads gCpu(c), gDev(c);
    SplatGradients vCpu = gCpu.view();
    rasterizeBackward(p, cam, bg, cpu, dLdImage.data(), vCpu);
    device::rasterizeBackward(be, p, cam, bg, dev, dLdImage.data(), gDev.view());
    EXPECT_LT(maxRelative(gDev.means, gCpu.means), 1e-4f) << "means";
    EXPECT_LT(maxRelative(gDev.logScales, gCpu.logScales), 1e-4f) << "logScales";
    EXPECT_LT(maxRelative(gDev.rotations, gCpu.rotations), 1e-4f) << "rotations";
    EXPECT_LT(maxRelative(gDev.opacity, gCpu.opacity), 1e-4f) << "opacity";
    EXPECT_LT(maxRelative(gDev.sh, gCpu.sh), 1e-4f) << "sh";
    EXPECT_LT(maxRelative(gDev.means2D, gCpu.means2D), 1e-4f) << "means2D";
    float total = 0.0f;
    for (float v : gCpu.means) total += std::abs(v);
    EXPECT_GT(total, 0.0f) << "the case has gradients to compare";
}

} // namespace

TEST(SplatRasterCuda, EmulatedKernelsMatchCpuKernels) {
    // 70 x 45: edge tiles are partly outside the image.
    expectSame(randomCloud(200, 1, 1.0f, 0.1f, 0.8f), camera(70, 45), 3, "random cloud, SH degree 3");
    expectSame(randomCloud(200, 2, 1.0f, 0.1f, 0.8f), camera(70, 45), 0, "random cloud, SH degree 0");
}

// The CPU forward pass blends eight pixels at a time with AVX2 where the CPU has it; it must form
// the image, the contribution lists and the gradients the scalar loop does, up to the
// polynomial exponential's ~1e-6 (a pixel may keep or drop a splat right at a cut-off).
TEST(SplatRasterCuda, VectorizedForwardMatchesScalar) {
    if (!rasterVectorized()) GTEST_SKIP() << "this CPU has no AVX2 + FMA";
    const float bg[3] = {0.2f, 0.3f, 0.4f};
    for (const auto& [cloud, w, h] : {std::tuple{randomCloud(300, 4, 1.0f, 0.1f, 0.9f), 70, 45},
                                      std::tuple{randomCloud(700, 3, 0.6f, 0.5f, 0.98f), 40, 40}}) {
        const RasterCamera cam = camera(w, h);
        const SplatParams p = cloud.params(3);
        const std::size_t pixels = std::size_t(w) * std::size_t(h);
        RasterState simd, scalar;
        std::vector<float> simdImage(pixels * 3), scalarImage(pixels * 3);
        rasterizeForward(p, cam, bg, simd, simdImage.data());
        {
            const ScalarRaster force;
            EXPECT_FALSE(rasterVectorized());
            rasterizeForward(p, cam, bg, scalar, scalarImage.data());
        }
        EXPECT_TRUE(rasterVectorized());
        EXPECT_LT(maxRelative(simdImage, scalarImage), 1e-4f);
        EXPECT_LT(maxRelative(simd.finalT, scalar.finalT), 1e-4f);
        // The vectorized pass records per group of eight pixels (entry, lane mask); a pixel's list
        // is the entries whose mask has its lane.
        ASSERT_TRUE(simd.grouped);
        ASSERT_FALSE(scalar.grouped);
        std::size_t sameLists = 0, total = 0;
        for (int py = 0; py < h; ++py)
            for (int px = 0; px < w; ++px) {
                const std::size_t i = std::size_t(py) * std::size_t(w) + std::size_t(px);
                const std::size_t g = rasterGroup(px, py, tilesAcross(w));
                std::vector<std::uint32_t> listed;
                for (std::uint32_t j = 0; j < simd.groupCount[g]; ++j) {
                    const std::uint32_t record = simd.groupRecords[simd.groupOffset[g] + j];
                    if (record >> (px % kGroupWidth) & 1u) listed.push_back(record >> 8);
                }
                total += scalar.contribCount[i];
                const auto from = scalar.contribK.begin() + std::ptrdiff_t(scalar.contribOffset[i]);
                sameLists += listed == std::vector<std::uint32_t>(from, from + std::ptrdiff_t(scalar.contribCount[i]));
            }
        EXPECT_GT(total, pixels * 2) << "the case composites several splats per pixel";
        EXPECT_GE(double(sameLists), 0.99 * double(pixels)) << "pixels that composited the same splats";

        std::mt19937 rng(7);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        std::vector<float> dLdImage(pixels * 3);
        for (float& v : dLdImage) v = u(rng);
        Grads gSimd(cloud), gScalar(cloud);
        SplatGradients vSimd = gSimd.view(), vScalar = gScalar.view();
        rasterizeBackward(p, cam, bg, simd, dLdImage.data(), vSimd);
        rasterizeBackward(p, cam, bg, scalar, dLdImage.data(), vScalar);
        EXPECT_LT(maxRelative(gSimd.means, gScalar.means), 1e-3f) << "means";
        EXPECT_LT(maxRelative(gSimd.logScales, gScalar.logScales), 1e-3f) << "logScales";
        EXPECT_LT(maxRelative(gSimd.opacity, gScalar.opacity), 1e-3f) << "opacity";
        EXPECT_LT(maxRelative(gSimd.sh, gScalar.sh), 1e-3f) << "sh";
    }
}

// A splat far to the side of the view and just past the near plane (a real capture's outliers,
// seen by a camera beside them): its EWA Jacobian at x/d in the thousands made the screen
// covariance ~1e13, the conic gradient's det^2 overflowed and the fit's means went NaN (the bird
// capture at iteration 757). The Jacobian is now taken at x/d, y/d clamped to 1.3x the half field
// of view, as the 3DGS reference does; the gradients stay finite.
TEST(SplatRasterCuda, SplatsOffScreenNearTheImagePlaneHaveFiniteGradients) {
    // Splats just past the near plane, at x/d from 2 to 5000 beside the view, scales 0.01 to 10.
    const RasterCamera cam = camera(64, 48);
    const float* v = cam.view;
    HostCloud c = randomCloud(0, 9, 1.0f, 0.3f, 0.9f);
    for (float d : {0.0101f, 0.011f, 0.02f, 0.1f, 0.5f})
        for (float xd : {2.0f, 20.0f, 200.0f, 5000.0f, 1e5f})
            for (float scale : {0.01f, 0.3f, 3.0f, 10.0f, 100.0f}) {
                // Camera space (-x, 0.3 x, -d), back to world through the view matrix.
                const float pc[3] = {-xd * d - v[12], 0.3f * xd * d - v[13], -d - v[14]};
                for (int k = 0; k < 3; ++k) c.means.push_back(v[k * 4] * pc[0] + v[k * 4 + 1] * pc[1] + v[k * 4 + 2] * pc[2]);
                for (int k = 0; k < 3; ++k) c.logScales.push_back(std::log(scale * (k == 0 ? 1.0f : 0.5f)));
                c.rotations.insert(c.rotations.end(), {0.9f, 0.1f, 0.3f, -0.2f});
                c.opacity.push_back(2.0f);
                for (int k = 0; k < 48; ++k) c.sh.push_back(0.1f);
            }
    const float bg[3] = {0.2f, 0.3f, 0.4f};
    RasterState s;
    std::vector<float> image(64 * 48 * 3);
    rasterizeForward(c.params(2), cam, bg, s, image.data());
    const auto drawn = std::count_if(s.radius.begin(), s.radius.end(), [](int r) { return r > 0; });
    ASSERT_GE(drawn, 5) << "some of them must reach the image for the case to mean something";
    std::vector<float> dLdImage(image.size(), 0.5f);
    Grads g(c);
    SplatGradients view = g.view();
    rasterizeBackward(c.params(2), cam, bg, s, dLdImage.data(), view);
    for (const auto* grad : {&g.means, &g.logScales, &g.rotations, &g.opacity, &g.sh, &g.means2D})
        for (std::size_t i = 0; i < grad->size(); ++i) ASSERT_TRUE(std::isfinite((*grad)[i])) << "value " << i;
}

TEST(SplatRasterCuda, ManySplatsPerTileUseSeveralBatches) {
    // 700 splats over a 40 x 40 image: every tile's list is longer than one 256-splat batch, and
    // opaque splats stop most pixels early (the block keeps going until all its pixels stop).
    const HostCloud c = randomCloud(700, 3, 0.6f, 0.5f, 0.98f);
    const RasterCamera cam = camera(40, 40);
    RasterState cpu;
    std::vector<float> image(40 * 40 * 3);
    rasterizeForward(c.params(1), cam, std::array<float, 3>{0, 0, 0}.data(), cpu, image.data());
    std::uint32_t longest = 0, earlyStops = 0;
    for (std::size_t t = 0; t * 2 < cpu.tileRanges.size(); ++t) longest = std::max(longest, cpu.tileRanges[t * 2 + 1] - cpu.tileRanges[t * 2]);
    for (float T : cpu.finalT) earlyStops += T < 1e-3f;
    ASSERT_GT(longest, 512u) << "the case must span three batches";
    ASSERT_GT(earlyStops, 100u) << "the case must stop pixels early";
    expectSame(c, cam, 1, "dense opaque cloud");
}

TEST(SplatRasterCuda, SplatsBehindTheCameraOrOffScreenAndEmptyInputs) {
    // A quarter of the splats moved behind the camera, a quarter far to the side, in front of the
    // camera but outside the image. (Not splats a hair in front of the near plane: their
    // gradients are sums of huge terms that cancel, and any two summation orders, CPU or GPU,
    // differ there by percents.)
    HostCloud c = randomCloud(120, 4, 1.0f, 0.1f, 0.9f);
    for (std::size_t i = 0; i < c.opacity.size(); ++i) {
        if (i % 4 == 1) c.means[i * 3 + 2] += 10.0f;
        if (i % 4 == 2) c.means[i * 3] -= 20.0f;
    }
    const RasterCamera cam = camera(48, 33);
    RasterState cpu;
    std::vector<float> image(48 * 33 * 3);
    const float bg[3] = {0, 0, 0};
    rasterizeForward(c.params(2), cam, bg, cpu, image.data());
    const auto drawn = std::count_if(cpu.radius.begin(), cpu.radius.end(), [](int r) { return r > 0; });
    ASSERT_GT(drawn, 40);
    ASSERT_LE(drawn, 60) << "the moved splats must be culled";
    expectSame(c, cam, 2, "culled splats");

    // No splats at all, and splats that are all culled: the background, no tile lists.
    for (const HostCloud& empty : {randomCloud(0, 5, 1.0f, 0.1f, 0.9f), [] {
             HostCloud behind = randomCloud(10, 6, 0.2f, 0.1f, 0.9f);
             for (std::size_t i = 0; i < behind.means.size(); i += 3) behind.means[i + 2] += 10.0f;  // behind the camera at z = 3
             return behind;
         }()}) {
        kiln::cuda_emulator::Backend be;
        DeviceRasterState dev;
        const float bg2[3] = {0.25f, 0.5f, 0.75f};
        std::vector<float> img(20 * 17 * 3, -1.0f);
        device::rasterizeForward(be, empty.params(0), camera(20, 17), bg2, dev, img.data());
        EXPECT_EQ(dev.listSize, 0u);
        for (std::size_t k = 0; k < img.size(); ++k) ASSERT_EQ(img[k], bg2[k % 3]);
        Grads g(empty);
        std::vector<float> dL(img.size(), 1.0f);
        device::rasterizeBackward(be, empty.params(0), camera(20, 17), bg2, dev, dL.data(), g.view());
        for (float v : g.means) EXPECT_EQ(v, 0.0f);
    }
}

namespace {

void emulatedForward(const SplatParams& p, const RasterCamera& cam, const float bg[3], DeviceAllocator& allocator, DeviceRasterState& s, float* image,
                     int, void*) {
    kiln::cuda_emulator::Backend be([&](std::size_t bytes) { return allocator.allocate(bytes); });
    device::rasterizeForward(be, p, cam, bg, s, image);
}

void emulatedBackward(const SplatParams& p, const RasterCamera& cam, const float bg[3], const DeviceRasterState& s, DeviceAllocator& allocator,
                      const float* dLdImage, const SplatGradients& grads, int, void*) {
    kiln::cuda_emulator::Backend be([&](std::size_t bytes) { return allocator.allocate(bytes); });
    device::rasterizeBackward(be, p, cam, bg, s, dLdImage, grads);
}

const DeviceKernels kEmulated{emulatedForward, emulatedBackward};

// While alive, rasterizeSplats runs CPU tensors through the emulated CUDA kernels.
struct EmulatedDevicePath {
    EmulatedDevicePath() { setDeviceKernelsForCpuTensors(&kEmulated); }
    ~EmulatedDevicePath() { setDeviceKernelsForCpuTensors(nullptr); }
};

struct TorchCloud {
    std::vector<torch::Tensor> params;  // means, logScales, rotations, opacity logits, sh
    explicit TorchCloud(const HostCloud& c) {
        const auto n = std::int64_t(c.opacity.size());
        auto tensor = [](const std::vector<float>& v, std::vector<std::int64_t> shape) {
            return torch::from_blob(const_cast<float*>(v.data()), shape).clone().requires_grad_(true);
        };
        params = {tensor(c.means, {n, 3}), tensor(c.logScales, {n, 3}), tensor(c.rotations, {n, 4}), tensor(c.opacity, {n}), tensor(c.sh, {n, 16, 3})};
    }
    TorchCloud(std::vector<torch::Tensor> p) : params(std::move(p)) {}
    // The same parameters on `device`, as new leaves.
    TorchCloud to(torch::Device device) const {
        std::vector<torch::Tensor> moved;
        for (const auto& t : params) moved.push_back(t.detach().to(device).requires_grad_(true));
        return TorchCloud(std::move(moved));
    }
    RasterOutput render(const RasterCamera& cam, torch::Tensor means2D) const {
        return rasterizeSplats(params[0], params[1], params[2], params[3], params[4], means2D, cam, glm::vec3(0.2f, 0.3f, 0.4f), 3);
    }
};

} // namespace

TEST(SplatRasterCuda, AutogradThroughDeviceKernelsMatchesCpu) {
    const ScalarRaster scalar;  // the emulated kernels use expf, bit for bit as the scalar loop
    // The device path of the LibTorch wrapper (buffers from LibTorch's allocator, the state kept
    // in the autograd context, gradients back in argument order), with the emulated kernels.
    const TorchCloud c(randomCloud(150, 9, 1.0f, 0.1f, 0.8f));
    const RasterCamera cam = camera(50, 40);
    const torch::Tensor weights = torch::rand({40, 50, 3});
    torch::Tensor m2dCpu = torch::zeros({150, 2}, torch::requires_grad()), m2dDev = torch::zeros({150, 2}, torch::requires_grad());
    const RasterOutput cpu = c.render(cam, m2dCpu);
    std::vector<torch::Tensor> inputsCpu = c.params, inputsDev = c.params;
    inputsCpu.push_back(m2dCpu);
    inputsDev.push_back(m2dDev);
    const auto gCpu = torch::autograd::grad({(cpu.image * weights).sum()}, inputsCpu);
    RasterOutput dev;
    std::vector<torch::Tensor> gDev;
    {
        EmulatedDevicePath emulated;
        dev = c.render(cam, m2dDev);
        gDev = torch::autograd::grad({(dev.image * weights).sum()}, inputsDev);
    }
    EXPECT_TRUE(torch::equal(dev.image, cpu.image));
    EXPECT_TRUE(torch::equal(dev.radii, cpu.radii));
    const char* names[] = {"means", "logScales", "rotations", "opacity", "sh", "means2D"};
    for (std::size_t k = 0; k < gCpu.size(); ++k) {
        const float scale = gCpu[k].abs().max().item<float>();
        ASSERT_GT(scale, 0.0f) << names[k];
        EXPECT_LT((gDev[k] - gCpu[k]).abs().max().item<float>() / scale, 1e-4f) << names[k];
    }
}

TEST(SplatRasterCuda, FitThroughDeviceKernelsTracksCpuFit) {
    const ScalarRaster scalar;  // the emulated kernels use expf, bit for bit as the scalar loop
    // Twenty Adam steps towards another cloud's image, once per path: the device path's buffers
    // live across forward and backward, iteration after iteration, and it learns like the CPU.
    const RasterCamera cam = camera(32, 32);
    torch::Tensor target;
    {
        torch::NoGradGuard ng;
        target = TorchCloud(randomCloud(80, 10, 1.0f, 0.3f, 0.9f)).render(cam, torch::zeros({80, 2})).image;
    }
    auto fit = [&](bool emulated) {
        std::unique_ptr<EmulatedDevicePath> path = emulated ? std::make_unique<EmulatedDevicePath>() : nullptr;
        TorchCloud c(randomCloud(80, 11, 1.0f, 0.3f, 0.9f));
        torch::optim::Adam adam(c.params, torch::optim::AdamOptions(0.02));
        std::vector<float> losses;
        for (int it = 0; it < 20; ++it) {
            adam.zero_grad();
            const torch::Tensor loss = (c.render(cam, torch::zeros({80, 2}, torch::requires_grad())).image - target).abs().mean();
            loss.backward();
            adam.step();
            losses.push_back(loss.item<float>());
        }
        return losses;
    };
    const std::vector<float> cpu = fit(false), dev = fit(true);
    EXPECT_LT(cpu.back(), 0.7f * cpu.front()) << "the fit must learn for the comparison to mean something";
    for (std::size_t it = 0; it < cpu.size(); ++it) EXPECT_NEAR(dev[it], cpu[it], 1e-3f * cpu.front()) << "iteration " << it;
}

TEST(SplatRasterCuda, RealCudaPathMatchesCpu) {
    if (!rasterizerHasCuda()) GTEST_SKIP() << "this build has no CUDA path (no CUDA LibTorch or no GPU)";
    const TorchCloud cpu(randomCloud(3000, 8, 1.0f, 0.1f, 0.9f));
    const TorchCloud gpu = cpu.to(torch::kCUDA);
    const RasterCamera cam = camera(200, 150);
    const RasterOutput outCpu = cpu.render(cam, torch::zeros({3000, 2}));
    const RasterOutput outGpu = gpu.render(cam, torch::zeros({3000, 2}, torch::kCUDA));
    EXPECT_LT((outGpu.image.cpu() - outCpu.image).abs().max().item<float>(), 1e-4f);
    EXPECT_TRUE(torch::equal(outGpu.radii.cpu(), outCpu.radii));
    const torch::Tensor w = torch::rand({150, 200, 3});
    auto gCpu = torch::autograd::grad({(outCpu.image * w).sum()}, cpu.params);
    auto gGpu = torch::autograd::grad({(outGpu.image * w.to(torch::kCUDA)).sum()}, gpu.params);
    for (std::size_t k = 0; k < gCpu.size(); ++k) {
        const float scale = gCpu[k].abs().max().item<float>() + 1e-6f;
        EXPECT_LT((gGpu[k].cpu() - gCpu[k]).abs().max().item<float>() / scale, 1e-3f) << "input " << k;
    }
}
