#include "optimize/splat_fitter.h"

#include "core/error.h"
#include "models/compute.h"
#include "optimize/splat_raster.h"
#include "optimize/ssim.h"

#include <glm/common.hpp>
#include <glm/geometric.hpp>
#include <glm/gtc/type_ptr.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <unordered_map>

namespace kiln::optimize {

namespace {

using torch::indexing::Slice;

// Adam (Kingma & Ba 2015) with per-element learning rates; its moments live beside the
// parameters so densification can index, append and drop them together.
struct AdamParam {
    torch::Tensor value, m, v, lr;  // lr broadcasts against value
    void init(torch::Tensor p, torch::Tensor learningRate) {
        value = p.contiguous().set_requires_grad(true);
        m = torch::zeros_like(value);
        v = torch::zeros_like(value);
        lr = std::move(learningRate);
    }
    void step(int t) {
        if (!value.grad().defined()) return;
        const torch::Tensor g = value.grad();
        constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-15;
        m.mul_(b1).add_(g, 1.0 - b1);
        v.mul_(b2).addcmul_(g, g, 1.0 - b2);
        const double c1 = 1.0 - std::pow(b1, t), c2 = 1.0 - std::pow(b2, t);
        value.sub_(lr * (m / c1) / ((v / c2).sqrt() + eps));
        value.mutable_grad().reset();
    }
    void keep(const torch::Tensor& mask) {
        value = value.detach().index({mask}).contiguous().set_requires_grad(true);
        m = m.index({mask}).contiguous();
        v = v.index({mask}).contiguous();
    }
    void append(const torch::Tensor& extra) {
        value = torch::cat({value.detach(), extra}).contiguous().set_requires_grad(true);
        m = torch::cat({m, torch::zeros_like(extra)});
        v = torch::cat({v, torch::zeros_like(extra)});
    }
};

torch::Tensor gaussianWindow() {
    torch::Tensor x = torch::arange(11, torch::kFloat32) - 5.0;
    torch::Tensor g = torch::exp(-(x * x) / (2.0 * 1.5 * 1.5));
    g = g / g.sum();
    return torch::outer(g, g).expand({3, 1, 11, 11}).contiguous();
}

// SSIM (Wang et al. 2004) with an 11x11 Gaussian window, as in the 3DGS loss; inputs H x W x 3.
torch::Tensor ssimTensor(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& window) {
    const torch::Tensor x = a.permute({2, 0, 1}).unsqueeze(0), y = b.permute({2, 0, 1}).unsqueeze(0);
    auto blur = [&](const torch::Tensor& t) { return torch::conv2d(t, window, {}, 1, 5, 1, 3); };
    const torch::Tensor mx = blur(x), my = blur(y);
    const torch::Tensor sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
    constexpr double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
    const torch::Tensor map = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
    return map.mean();
}

// Mean SSIM of two H x W x 3 CPU images as an autograd node: ssimWithGradient gives the value and
// its gradient in one pass of separable blurs (the convolution graph above took about a quarter of a
// 200x200 fit iteration); the gradient is kept for backward.
class SsimFunction : public torch::autograd::Function<SsimFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& image, const torch::Tensor& target) {
        const torch::Tensor a = image.detach().contiguous(), b = target.detach().contiguous();
        torch::Tensor grad = torch::empty_like(a);
        const double value = ssimWithGradient(a.data_ptr<float>(), b.data_ptr<float>(), int(a.size(1)), int(a.size(0)), grad.data_ptr<float>());
        ctx->save_for_backward({grad});
        return torch::tensor(float(value));
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list gradOut) {
        return {ctx->get_saved_variables()[0] * gradOut[0], torch::Tensor()};
    }
};

// The training loss's SSIM term: the fused CPU pass, the convolution graph on other devices.
torch::Tensor ssimLoss(const torch::Tensor& image, const torch::Tensor& target, const torch::Tensor& window) {
    if (image.device().is_cpu() && image.scalar_type() == torch::kFloat32) return SsimFunction::apply(image, target);
    return ssimTensor(image, target, window);
}

torch::Tensor targetTensor(const core::Image& image, glm::vec3 bg) {
    std::vector<float> px = targetPixels(image, bg);
    return torch::from_blob(px.data(), {image.height, image.width, 3}).clone();
}

float sceneExtent(const std::vector<TrainView>& views) {
    glm::vec3 centre(0.0f);
    for (const auto& v : views) centre += glm::make_vec3(v.camera.position);
    centre /= float(views.size());
    float radius = 0.0f;
    for (const auto& v : views) radius = std::max(radius, glm::length(glm::make_vec3(v.camera.position) - centre));
    return std::max(radius * 1.1f, 1e-3f);
}

// The trainable Gaussians, each attribute with its Adam state.
struct TrainedSplats {
    AdamParam means, scales, rots, opac, sh;  // sh: N x 16 x 3, degrees above the active one stay zero
    std::array<AdamParam*, 5> all() { return {&means, &scales, &rots, &opac, &sh}; }
};

core::GaussianCloud toCloud(const TrainedSplats& p, int degree) {
    torch::NoGradGuard ng;
    core::GaussianCloud cloud;
    const std::size_t n = std::size_t(p.means.value.size(0));
    cloud.resize(n, degree);
    const int coeffs = cloud.coeffCount();
    auto host = [](const torch::Tensor& t) { return t.to(torch::kCPU).contiguous(); };
    std::memcpy(glm::value_ptr(cloud.positions[0]), host(p.means.value).data_ptr<float>(), n * 12);
    std::memcpy(glm::value_ptr(cloud.logScales[0]), host(p.scales.value).data_ptr<float>(), n * 12);
    std::memcpy(glm::value_ptr(cloud.rotations[0]), host(p.rots.value).data_ptr<float>(), n * 16);
    std::memcpy(cloud.opacityLogits.data(), host(p.opac.value).data_ptr<float>(), n * 4);
    const torch::Tensor shActive = host(p.sh.value.index({Slice(), Slice(0, coeffs)}));
    std::memcpy(cloud.sh.data(), shActive.data_ptr<float>(), n * std::size_t(coeffs) * 12);
    return cloud;
}

// The starting Gaussians: at the given points (with their colours, grey without), or at random
// points in the box, carved to the silhouettes; isotropic at the points' mean spacing, opacity
// 0.1, colour in the DC coefficient.
TrainedSplats initialSplats(const std::vector<TrainView>& views, const SplatFitOptions& o, float extent, const torch::TensorOptions& on) {
    torch::Tensor means, colors;
    if (!o.initPoints.empty()) {
        const auto n = std::int64_t(o.initPoints.size());
        means = torch::from_blob(const_cast<float*>(glm::value_ptr(o.initPoints[0])), {n, 3}).clone();
        colors = o.initColors.size() == o.initPoints.size()
                     ? torch::from_blob(const_cast<float*>(glm::value_ptr(o.initColors[0])), {n, 3}).clone()
                     : torch::full({n, 3}, 0.5f);
    } else {
        if (!o.initBounds.valid) throw Error("splat fit: give initial points or bounds to sample them in");
        const torch::Tensor lo = torch::tensor({o.initBounds.min.x, o.initBounds.min.y, o.initBounds.min.z});
        const torch::Tensor size = torch::tensor({o.initBounds.size().x, o.initBounds.size().y, o.initBounds.size().z});
        means = lo + torch::rand({o.initialCount, 3}) * size;
        colors = torch::rand({o.initialCount, 3});
        if (o.carveWithAlpha) {
            const auto n = means.size(0);
            std::vector<glm::vec3> points(static_cast<std::size_t>(n)), cols(static_cast<std::size_t>(n));
            std::memcpy(points.data(), means.data_ptr<float>(), std::size_t(n) * 12);
            std::memcpy(cols.data(), colors.data_ptr<float>(), std::size_t(n) * 12);
            carveToSilhouettes(views, points, cols);
            means = torch::from_blob(points.data(), {std::int64_t(points.size()), 3}).clone();
            colors = torch::from_blob(cols.data(), {std::int64_t(cols.size()), 3}).clone();
        }
        if (means.size(0) == 0) throw Error("splat fit: no initial point lies inside every view's silhouette (check the poses)");
    }
    const std::int64_t n0 = means.size(0);
    means = means.contiguous();
    std::vector<glm::vec3> points(static_cast<std::size_t>(n0));
    std::memcpy(points.data(), means.data_ptr<float>(), std::size_t(n0) * 12);
    std::vector<float> scales = neighbourScales(points);
    for (float& v : scales) v = std::log(v);
    const torch::Tensor logScales = torch::from_blob(scales.data(), {n0, 1}).clone().expand({n0, 3}).contiguous();

    TrainedSplats p;
    p.means.init(means.to(on.device()), torch::tensor(o.lrMeansStart * extent));
    p.scales.init(logScales.to(on.device()), torch::tensor(o.lrScale));
    p.rots.init(torch::cat({torch::ones({n0, 1}, on), torch::zeros({n0, 3}, on)}, 1), torch::tensor(o.lrRotation));
    p.opac.init(torch::full({n0}, std::log(0.1f / 0.9f), on), torch::tensor(o.lrOpacity));
    torch::Tensor sh = torch::zeros({n0, 16, 3});
    sh.index_put_({Slice(), 0}, (colors - 0.5) / core::kShC0);
    torch::Tensor shLr = torch::full({1, 16, 1}, o.lrRest);
    shLr.index_put_({0, 0, 0}, o.lrDc);
    p.sh.init(sh.to(on.device()), shLr.to(on.device()));
    return p;
}

// Per-Gaussian statistics adaptive density control decides on, gathered since the last decision.
struct DensityStats {
    torch::Tensor gradAccum, gradCount, maxRadii;
    DensityStats(std::int64_t n, const torch::TensorOptions& on)
        : gradAccum(torch::zeros({n}, on)), gradCount(torch::zeros({n}, on)), maxRadii(torch::zeros({n}, on)) {}

    void accumulate(const RasterOutput& out, const torch::Tensor& means2D, const RasterCamera& cam) {
        const torch::Tensor visible = out.radii > 0;
        // NDC-scaled screen-space gradient, the statistic of the reference implementation.
        const torch::Tensor g = means2D.grad().norm(2, 1) * (0.5f * float(std::max(cam.width, cam.height)));
        gradAccum.add_(torch::where(visible, g, torch::zeros_like(g)));
        gradCount.add_(visible.to(torch::kFloat32));
        maxRadii = torch::maximum(maxRadii, out.radii.to(torch::kFloat32));
    }
};

// Two samples drawn from each Gaussian in `idx`, at scale / 1.6 (the reference's split), in the
// order means, scales, rotations, opacities, SH.
std::array<torch::Tensor, 5> splitSamples(const TrainedSplats& p, const torch::Tensor& idx) {
    const torch::Tensor sc = p.scales.value.index({idx}).exp().repeat({2, 1});
    const torch::Tensor q = p.rots.value.index({idx}).repeat({2, 1});
    const torch::Tensor qn = q / q.norm(2, 1, true);
    const torch::Tensor w = qn.select(1, 0), x = qn.select(1, 1), y = qn.select(1, 2), z = qn.select(1, 3);
    const torch::Tensor R = torch::stack({1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                                          2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                                          2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}, 1)
                                 .view({-1, 3, 3});
    const torch::Tensor offs = torch::bmm(R, (torch::randn_like(sc) * sc).unsqueeze(2)).squeeze(2);
    return {p.means.value.index({idx}).repeat({2, 1}) + offs, (sc / 1.6f).log(), q, p.opac.value.index({idx}).repeat({2}),
            p.sh.value.index({idx}).repeat({2, 1, 1})};
}

// Adaptive density control (3DGS section 5.2): Gaussians with a large view-space gradient are
// cloned when small and split when large; then the split originals, transparent Gaussians and,
// with `pruneLarge` (after the first opacity reset), huge ones are removed.
void densifyAndPrune(TrainedSplats& p, const DensityStats& stats, const SplatFitOptions& o, float extent, bool pruneLarge,
                     const torch::TensorOptions& on) {
    const torch::Tensor avg = stats.gradAccum / stats.gradCount.clamp_min(1.0f);
    const torch::Tensor maxScale = std::get<0>(p.scales.value.exp().max(1));
    const bool room = std::size_t(p.means.value.size(0)) < o.maxSplats;
    const torch::Tensor hot = (avg >= o.densifyGradThreshold) & torch::tensor(room);
    const torch::Tensor small = maxScale <= o.percentDense * extent;
    const torch::Tensor cloneMask = hot & small, splitMask = hot & ~small;
    std::array<torch::Tensor, 5> added = splitSamples(p, splitMask.nonzero().squeeze(1));
    const torch::Tensor cIdx = cloneMask.nonzero().squeeze(1);
    const std::array<AdamParam*, 5> params = p.all();
    for (std::size_t k = 0; k < params.size(); ++k) added[k] = torch::cat({added[k], params[k]->value.index({cIdx})});
    const std::int64_t addedCount = added[0].size(0);
    for (std::size_t k = 0; k < params.size(); ++k) params[k]->append(added[k]);

    torch::Tensor remove = torch::cat({splitMask, torch::zeros({addedCount}, on.dtype(torch::kBool))});
    remove |= torch::sigmoid(p.opac.value) < o.minOpacity;
    if (pruneLarge) {
        const torch::Tensor big = std::get<0>(p.scales.value.exp().max(1)) > 0.1f * extent;
        const torch::Tensor bigScreen = torch::cat({stats.maxRadii, torch::zeros({addedCount}, on)}) > 20.0f;
        remove |= big | bigScreen;
    }
    const torch::Tensor keep = ~remove;
    for (AdamParam* param : params) param->keep(keep);
}

// The reference's opacity reset: every opacity down to at most 0.01, its Adam moments cleared.
void resetOpacity(AdamParam& opac) {
    opac.value.detach().clamp_max_(std::log(0.01f / 0.99f));
    opac.m.zero_();
    opac.v.zero_();
}

} // namespace

std::vector<float> neighbourScales(const std::vector<glm::vec3>& points) {
    const std::size_t n = points.size();
    std::vector<float> out(n);
    if (n == 0) return out;
    // A hash grid at about the points' typical spacing, from the box of their 5th-95th
    // percentiles (outliers far away would make a whole-box spacing huge).
    glm::vec3 lo(0.0f), hi(0.0f);
    for (int axis = 0; axis < 3; ++axis) {
        std::vector<float> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = points[i][axis];
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(n / 20), v.end());
        lo[axis] = v[n / 20];
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(n - 1 - n / 20), v.end());
        hi[axis] = v[n - 1 - n / 20];
    }
    const glm::vec3 size = glm::max(hi - lo, glm::vec3(1e-6f));
    const float cell = std::max(1e-6f, std::cbrt(size.x * size.y * size.z / float(std::max<std::size_t>(1, n * 9 / 10))));
    auto key = [&](const glm::ivec3& c) {
        return (std::uint64_t(std::uint32_t(c.x) & 0x1fffff) << 42) | (std::uint64_t(std::uint32_t(c.y) & 0x1fffff) << 21) |
               std::uint64_t(std::uint32_t(c.z) & 0x1fffff);
    };
    auto cellOf = [&](const glm::vec3& p) { return glm::ivec3(glm::floor(p / cell)); };
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> grid;
    grid.reserve(n);
    for (std::size_t i = 0; i < n; ++i) grid[key(cellOf(points[i]))].push_back(std::uint32_t(i));
    constexpr int kMaxRing = 6;
    for (std::size_t i = 0; i < n; ++i) {
        const glm::ivec3 c = cellOf(points[i]);
        float best[3] = {INFINITY, INFINITY, INFINITY};  // squared, ascending
        for (int ring = 0; ring <= kMaxRing; ++ring) {
            // Points in cells further out are at least (ring - 1) cells away.
            if (ring > 0 && best[2] <= float(ring - 1) * float(ring - 1) * cell * cell) break;
            for (int dz = -ring; dz <= ring; ++dz)
                for (int dy = -ring; dy <= ring; ++dy)
                    for (int dx = -ring; dx <= ring; ++dx) {
                        if (std::max({std::abs(dx), std::abs(dy), std::abs(dz)}) != ring) continue;  // the shell only
                        const auto it = grid.find(key(c + glm::ivec3(dx, dy, dz)));
                        if (it == grid.end()) continue;
                        for (const std::uint32_t j : it->second) {
                            if (j == i) continue;
                            const glm::vec3 d = points[j] - points[i];
                            float d2 = glm::dot(d, d);
                            if (d2 >= best[2]) continue;
                            best[2] = d2;
                            if (best[2] < best[1]) std::swap(best[2], best[1]);
                            if (best[1] < best[0]) std::swap(best[1], best[0]);
                        }
                    }
        }
        const float cap = float(kMaxRing) * cell;
        float sum = 0.0f;
        for (float d2 : best) sum += std::min(d2, cap * cap);
        out[i] = std::max(std::sqrt(sum / 3.0f), 1e-4f * cell);
    }
    return out;
}

void carveToSilhouettes(const std::vector<TrainView>& views, std::vector<glm::vec3>& points, std::vector<glm::vec3>& colors) {
    const std::size_t n = points.size();
    if (colors.size() != n) colors.assign(n, glm::vec3(0.5f));
    std::vector<std::uint8_t> keep(n, 1), coloured(n, 0);
    bool anyAlpha = false;
    for (const auto& v : views) {
        if (v.image.channels != 4) continue;
        anyAlpha = true;
        const glm::mat4 view = glm::make_mat4(v.camera.view);
        for (std::size_t i = 0; i < n; ++i) {
            if (!keep[i]) continue;
            const glm::vec3 t = glm::vec3(view * glm::vec4(points[i], 1.0f));
            const float d = -t.z;
            if (d <= v.camera.znear) continue;
            const int x = int(std::floor(v.camera.fx * t.x / d + v.camera.cx)), y = int(std::floor(-v.camera.fy * t.y / d + v.camera.cy));
            if (x < 0 || y < 0 || x >= v.image.width || y >= v.image.height) continue;
            const std::size_t px = (std::size_t(y) * std::size_t(v.image.width) + std::size_t(x)) * 4;
            if (v.image.u8[px + 3] < 128) {
                keep[i] = 0;
            } else if (!coloured[i]) {
                for (int c = 0; c < 3; ++c) colors[i][c] = v.image.u8[px + std::size_t(c)] / 255.0f;
                coloured[i] = 1;
            }
        }
    }
    if (!anyAlpha) return;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (keep[i]) {
            points[kept] = points[i];
            colors[kept++] = colors[i];
        }
    points.resize(kept);
    colors.resize(kept);
}

std::vector<float> targetPixels(const core::Image& image, glm::vec3 bg) {
    if (image.type != core::PixelType::U8 || (image.channels != 3 && image.channels != 4))
        throw Error("training images must be 8-bit RGB or RGBA");
    std::vector<float> out(image.pixelCount() * 3);
    for (std::size_t p = 0; p < image.pixelCount(); ++p) {
        const float a = image.channels == 4 ? image.u8[p * 4 + 3] / 255.0f : 1.0f;
        for (int c = 0; c < 3; ++c)
            out[p * 3 + std::size_t(c)] = image.u8[p * std::size_t(image.channels) + std::size_t(c)] / 255.0f * a + bg[c] * (1.0f - a);
    }
    return out;
}

std::vector<float> renderCloud(const core::GaussianCloud& cloud, const RasterCamera& camera, glm::vec3 background) {
    torch::NoGradGuard ng;
    const auto n = std::int64_t(cloud.size());
    const int coeffs = cloud.coeffCount();
    auto img = rasterizeSplats(torch::from_blob(const_cast<float*>(glm::value_ptr(cloud.positions[0])), {n, 3}),
                               torch::from_blob(const_cast<float*>(glm::value_ptr(cloud.logScales[0])), {n, 3}),
                               torch::from_blob(const_cast<float*>(glm::value_ptr(cloud.rotations[0])), {n, 4}),
                               torch::from_blob(const_cast<float*>(cloud.opacityLogits.data()), {n}),
                               torch::from_blob(const_cast<float*>(cloud.sh.data()), {n, coeffs, 3}), torch::zeros({n, 2}), camera, background,
                               cloud.shDegree)
                   .image.contiguous();
    return std::vector<float>(img.data_ptr<float>(), img.data_ptr<float>() + img.numel());
}

double psnr(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) throw Error("PSNR of images of different sizes");
    double se = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = double(std::clamp(a[i], 0.0f, 1.0f)) - double(std::clamp(b[i], 0.0f, 1.0f));
        se += d * d;
    }
    return 10.0 * std::log10(1.0 / std::max(se / double(a.size()), 1e-12));
}

double ssim(const std::vector<float>& a, const std::vector<float>& b, int width, int height) {
    if (a.size() != std::size_t(width) * std::size_t(height) * 3 || b.size() != a.size()) throw Error("ssim: the images' sizes differ");
    std::vector<float> ca(a.size()), cb(b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        ca[i] = std::clamp(a[i], 0.0f, 1.0f);
        cb[i] = std::clamp(b[i], 0.0f, 1.0f);
    }
    return ssimWithGradient(ca.data(), cb.data(), width, height, nullptr);
}

SplatFitResult fitSplats(const std::vector<TrainView>& views, const SplatFitOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    if (views.empty()) throw Error("splat fit: no training views");
    if (o.iterations < 1) throw Error("splat fit: iterations must be at least 1");
    if (o.maxShDegree < 0 || o.maxShDegree > 3) throw Error("splat fit: SH degree must be 0..3");
    const auto t0 = std::chrono::steady_clock::now();
    // The GPU when this build has the CUDA kernels and LibTorch sees a device; the CPU otherwise.
    const torch::Device device = o.useCuda && rasterizerHasCuda() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    const auto on = torch::TensorOptions().device(device);
    torch::manual_seed(o.seed);
    std::mt19937_64 rng(o.seed);

    std::vector<torch::Tensor> targets;
    for (const auto& v : views) {
        if (v.image.width != v.camera.width || v.image.height != v.camera.height) throw Error("splat fit: a view's image and camera sizes differ");
        targets.push_back(targetTensor(v.image, o.background).to(device));
    }
    const float extent = sceneExtent(views);
    TrainedSplats p = initialSplats(views, o, extent, on);
    DensityStats stats(p.means.value.size(0), on);
    const torch::Tensor window = gaussianWindow().to(device);
    const int densifyUntil = o.iterations * o.densifyUntilFraction / 100;
    SplatFitResult result;
    int degree = 0;
    double psnrSum = 0.0;
    int psnrCount = 0;
    // Views in a fresh random order each epoch (the reference's viewpoint stack): every view once
    // per pass, not drawn with replacement. Fisher-Yates on the seeded engine, so every platform
    // draws the same order.
    std::vector<std::size_t> order(views.size());
    std::size_t nextView = order.size();
    models::LoadAdaptiveThreads threads(o.adaptThreadsToLoad && device.is_cpu());

    for (int it = 1; it <= o.iterations; ++it) {
        cancel.throwIfCancelled();
        threads.update();
        if (it % o.shDegreeInterval == 0) degree = std::min(degree + 1, o.maxShDegree);
        const double frac = double(it - 1) / std::max(1, o.iterations - 1);
        // Log-linear decay of the position learning rate (reference get_expon_lr_func).
        p.means.lr = torch::tensor(float(std::exp(std::log(o.lrMeansStart) * (1 - frac) + std::log(o.lrMeansEnd) * frac) * extent));

        if (nextView == order.size()) {
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
            for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[std::size_t(rng() % i)]);
            nextView = 0;
        }
        const std::size_t vi = order[nextView++];
        const RasterCamera& cam = views[vi].camera;
        torch::Tensor means2D = torch::zeros({p.means.value.size(0), 2}, on.requires_grad(true));
        auto out = rasterizeSplats(p.means.value, p.scales.value, p.rots.value, p.opac.value, p.sh.value, means2D, cam, o.background, degree);
        const torch::Tensor l1 = (out.image - targets[vi]).abs().mean();
        const torch::Tensor loss = (1.0 - o.lambdaDssim) * l1 + o.lambdaDssim * (1.0 - ssimLoss(out.image, targets[vi], window));
        loss.backward();
        {
            torch::NoGradGuard ng;
            const double mse = (out.image - targets[vi]).pow(2).mean().item<double>();
            psnrSum += 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
            ++psnrCount;
            if (it <= densifyUntil) stats.accumulate(out, means2D, cam);
            for (AdamParam* param : p.all()) param->step(it);
            if (it >= o.densifyFrom && it <= densifyUntil && it % o.densifyInterval == 0) {
                densifyAndPrune(p, stats, o, extent, it > o.opacityResetInterval, on);
                stats = DensityStats(p.means.value.size(0), on);
            }
            if (it % o.opacityResetInterval == 0 && it <= densifyUntil) resetOpacity(p.opac);
        }
        if (it % 100 == 0 || it == o.iterations) {
            result.trainPsnr.emplace_back(it, psnrSum / std::max(1, psnrCount));
            psnrSum = 0.0;
            psnrCount = 0;
            progress.report("fitting splats (" + std::to_string(p.means.value.size(0)) + " Gaussians)", float(it) / float(o.iterations));
        }
        if (o.previewInterval > 0 && it % o.previewInterval == 0) progress.preview(core::Asset::fromGaussians("preview", toCloud(p, degree)));
    }
    result.cloud = toCloud(p, o.maxShDegree);
    result.iterations = o.iterations;
    result.device = device.is_cuda() ? "cuda" : "cpu";
    result.loadSamples = threads.samples();
    result.loadReducedSamples = threads.reducedSamples();
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

} // namespace kiln::optimize
