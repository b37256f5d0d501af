#include "optimize/field_fitter.h"

#include "core/color.h"
#include "core/error.h"
#include "core/gaussian_cloud.h"
#include "core/sh.h"

#include <torch/torch.h>

#include <glm/geometric.hpp>
#include <glm/gtc/type_ptr.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <random>

namespace kiln::optimize {

namespace {

using torch::indexing::Slice;

constexpr std::int64_t kEvalChunk = 1 << 16;  // samples per no-grad network evaluation
constexpr int kSegment = 32;                   // samples per ray per round of early-terminating marching

// Rays of one batch: origin, unit direction, and the segment [tNear, tFar] inside the box.
struct Rays {
    std::vector<glm::vec3> origin, dir;
    std::vector<float> tNear, tFar, jitter;
    std::size_t size() const { return origin.size(); }
    void push(glm::vec3 o, glm::vec3 d, const core::Bounds& box, float j) {
        // Slab test (Kay & Kajiya 1986).
        float t0 = 0.0f, t1 = std::numeric_limits<float>::max();
        for (int a = 0; a < 3; ++a) {
            const float inv = 1.0f / (std::abs(d[a]) > 1e-12f ? d[a] : 1e-12f);
            float ta = (box.min[a] - o[a]) * inv, tb = (box.max[a] - o[a]) * inv;
            if (ta > tb) std::swap(ta, tb);
            t0 = std::max(t0, ta);
            t1 = std::min(t1, tb);
        }
        origin.push_back(o);
        dir.push_back(d);
        tNear.push_back(t0);
        tFar.push_back(t1 > t0 ? t1 : t0);  // a miss is an empty segment
        jitter.push_back(j);
    }
};

void pixelRay(const RasterCamera& cam, float u, float v, glm::vec3& o, glm::vec3& d) {
    const glm::vec3 dc((u - cam.cx) / cam.fx, -(v - cam.cy) / cam.fy, -1.0f);
    // view = [R | t] column-major; world direction = R^T dc.
    for (int i = 0; i < 3; ++i) d[i] = cam.view[i * 4 + 0] * dc.x + cam.view[i * 4 + 1] * dc.y + cam.view[i * 4 + 2] * dc.z;
    d = glm::normalize(d);
    o = glm::make_vec3(cam.position);
}

// Samples of a batch, packed ray by ray.
struct Samples {
    std::vector<float> pos;            // S x 3, world
    std::vector<std::int64_t> ray;     // S, non-decreasing
    std::vector<std::int64_t> first;   // S: index of the first sample of the same ray
    std::vector<std::int32_t> step;    // S: lattice index k of the sample
    std::int64_t count() const { return std::int64_t(ray.size()); }
};

// Adam (Kingma & Ba 2015) over one tensor with a scalar learning rate.
struct Adam {
    torch::Tensor value, m, v;
    float baseLr = 0.0f;
    void init(torch::Tensor p, float lr) {
        value = p.contiguous().set_requires_grad(true);
        m = torch::zeros_like(value);
        v = torch::zeros_like(value);
        baseLr = lr;
    }
    void step(int t, float lrScale) {
        if (!value.grad().defined()) return;
        torch::NoGradGuard ng;
        const torch::Tensor g = value.grad();
        constexpr double b1 = 0.9, b2 = 0.99, eps = 1e-15;
        m.mul_(b1).add_(g, 1.0 - b1);
        v.mul_(b2).addcmul_(g, g, 1.0 - b2);
        const double c1 = 1.0 - std::pow(b1, t), c2 = 1.0 - std::pow(b2, t);
        value.addcdiv_(m, (v / c2).sqrt_().add_(eps), -double(baseLr * lrScale) / c1);
        value.mutable_grad().reset();
    }
};

// Emission-absorption compositing (NeRF eq. 3) of packed samples. The transmittance before each
// sample is exp(-(exclusive prefix sum of sigma * delta within its ray)); the global prefix sum is
// taken in double so subtracting a ray's starting offset keeps float precision.
struct Composite {
    torch::Tensor color;    // R x 3, without background
    torch::Tensor opacity;  // R
    torch::Tensor transBefore, alpha;  // S
};

Composite composite(const torch::Tensor& sigma, const torch::Tensor& rgb, const torch::Tensor& delta, const torch::Tensor& ray,
                    const torch::Tensor& first, std::int64_t rayCount) {
    Composite c;
    const torch::Tensor sd = (sigma * delta).to(torch::kFloat64);
    const torch::Tensor ex = sd.cumsum(0) - sd;
    c.transBefore = torch::exp(-(ex - ex.index_select(0, first))).to(torch::kFloat32);
    c.alpha = 1.0 - torch::exp(-sigma * delta);
    const torch::Tensor w = c.transBefore * c.alpha;
    c.color = torch::zeros({rayCount, 3}).index_add(0, ray, w.unsqueeze(1) * rgb);
    c.opacity = torch::zeros({rayCount}).index_add(0, ray, w);
    return c;
}

torch::Tensor fromVec(std::vector<float>& v, std::initializer_list<std::int64_t> shape) {
    return torch::from_blob(v.data(), shape, torch::kFloat32);
}
torch::Tensor fromVec(std::vector<std::int64_t>& v) { return torch::from_blob(v.data(), {std::int64_t(v.size())}, torch::kInt64); }

} // namespace

struct FieldModel::Impl {
    core::Bounds box;  // cubic
    float side = 1.0f;
    std::vector<Adam> planes;  // per level 3 x C x R x R: planes XY, XZ, YZ
    Adam w1, b1, w2, b2, w3, b3;
    int occRes = 64;
    std::vector<std::uint8_t> occ, hull;
    std::vector<float> occDensity;
    float dt = 0.01f;
    int maxSamples = 1024;
    float termination = 1e-3f;

    float cellSize() const { return side / float(occRes); }

    // (density, raw rgb logits) for normalised points in [-1, 1]^3, S x 3.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& xn) const {
        const torch::Tensor g = torch::stack({xn.index({Slice(), torch::tensor({0, 1})}), xn.index({Slice(), torch::tensor({0, 2})}),
                                              xn.index({Slice(), torch::tensor({1, 2})})})
                                    .unsqueeze(1);  // 3 x 1 x S x 2
        std::vector<torch::Tensor> feats;
        for (const Adam& p : planes) {
            const torch::Tensor s = torch::grid_sampler(p.value, g, 0, 1, true);  // bilinear, border, align corners
            // K-Planes: Hadamard product of the three planes' features localises them in 3D.
            feats.push_back((s[0] * s[1] * s[2]).squeeze(1).t());
        }
        const torch::Tensor f = torch::cat(feats, 1);
        torch::Tensor h = torch::relu(torch::addmm(b1.value, f, w1.value));
        h = torch::relu(torch::addmm(b2.value, h, w2.value));
        const torch::Tensor o = torch::addmm(b3.value, h, w3.value);
        // Truncated exponential density (instant-ngp): exp with its argument clamped.
        const torch::Tensor sigma = torch::exp(o.select(1, 0).clamp(-15.0, 15.0));
        return {sigma, torch::sigmoid(o.index({Slice(), Slice(1, 4)}))};
    }

    torch::Tensor normalise(const torch::Tensor& p) const {
        const torch::Tensor lo = torch::tensor({box.min.x, box.min.y, box.min.z});
        return (p - lo) * (2.0f / side) - 1.0f;
    }

    // No-grad evaluation in chunks; density zero where the occupancy grid says empty when `masked`.
    void evaluate(const float* pos, std::int64_t n, float* density, float* rgb, bool masked, const core::CancelToken* cancel = nullptr) const {
        torch::NoGradGuard ng;
        for (std::int64_t b = 0; b < n; b += kEvalChunk) {
            if (cancel) cancel->throwIfCancelled();
            const std::int64_t m = std::min(kEvalChunk, n - b);
            const torch::Tensor p = torch::from_blob(const_cast<float*>(pos + b * 3), {m, 3});
            auto [s, c] = forward(normalise(p));
            s = s.contiguous();
            std::copy(s.data_ptr<float>(), s.data_ptr<float>() + m, density + b);
            if (rgb) {
                c = c.contiguous();
                std::copy(c.data_ptr<float>(), c.data_ptr<float>() + m * 3, rgb + b * 3);
            }
        }
        if (masked)
            for (std::int64_t i = 0; i < n; ++i)
                if (!occupied(glm::make_vec3(pos + i * 3))) density[i] = 0.0f;
    }

    int cellOf(glm::vec3 p, glm::ivec3& c) const {
        const glm::vec3 q = (p - box.min) / cellSize();
        for (int a = 0; a < 3; ++a) c[a] = std::clamp(int(std::floor(q[a])), 0, occRes - 1);
        return c.x + occRes * (c.y + occRes * c.z);
    }
    bool occupied(glm::vec3 p) const {
        const glm::vec3 q = (p - box.min) / cellSize();
        if (q.x < 0 || q.y < 0 || q.z < 0 || q.x >= occRes || q.y >= occRes || q.z >= occRes) return false;
        glm::ivec3 c;
        return occ[std::size_t(cellOf(p, c))] != 0;
    }

    // Marches ray r from lattice index `k` (sample t = tNear + (k + jitter) dt), emitting up to
    // `maxCount` samples in occupied cells with k < kLimit; empty cells are jumped over to their
    // exit (a 3D DDA step). Returns the next k, or -1 when the ray has left the box.
    int march(const Rays& rays, std::size_t r, int k, int kLimit, int maxCount, std::vector<std::int32_t>& out) const {
        const glm::vec3 o = rays.origin[r], d = rays.dir[r];
        const float t0 = rays.tNear[r], j = rays.jitter[r], cs = cellSize();
        int emitted = 0;
        while (emitted < maxCount) {
            if (k >= kLimit) return k;
            const float t = t0 + (float(k) + j) * dt;
            if (t >= rays.tFar[r]) return -1;
            glm::ivec3 c;
            const int cell = cellOf(o + d * t, c);
            if (occ[std::size_t(cell)]) {
                out.push_back(k++);
                ++emitted;
                continue;
            }
            float tExit = std::numeric_limits<float>::max();
            for (int a = 0; a < 3; ++a) {
                if (d[a] > 1e-9f) tExit = std::min(tExit, (box.min[a] + float(c[a] + 1) * cs - o[a]) / d[a]);
                else if (d[a] < -1e-9f) tExit = std::min(tExit, (box.min[a] + float(c[a]) * cs - o[a]) / d[a]);
            }
            const float kf = std::ceil((tExit - t0) / dt - j);
            k = std::max(k + 1, kf > 2e9f ? std::numeric_limits<int>::max() - 1 : int(kf));
        }
        return k;
    }

    // Samples for the rays in `active`, from their current k (kNext), each capped.
    Samples gather(const Rays& rays, const std::vector<std::int64_t>& active, std::vector<int>& kNext, const std::vector<int>& kLimit,
                   int perRay) const {
        const auto n = std::int64_t(active.size());
        std::vector<std::vector<std::int32_t>> ks(active.size());
#pragma omp parallel for schedule(dynamic, 64)
        for (std::int64_t a = 0; a < n; ++a) {
            const auto r = std::size_t(active[std::size_t(a)]);
            ks[std::size_t(a)].reserve(std::size_t(perRay));
            kNext[r] = march(rays, r, kNext[r], kLimit.empty() ? std::numeric_limits<int>::max() : kLimit[r], perRay, ks[std::size_t(a)]);
        }
        Samples s;
        std::size_t total = 0;
        for (const auto& v : ks) total += v.size();
        s.pos.resize(total * 3);
        s.ray.resize(total);
        s.first.resize(total);
        s.step.resize(total);
        std::size_t at = 0;
        for (std::size_t a = 0; a < ks.size(); ++a) {
            const auto r = std::size_t(active[a]);
            const std::size_t start = at;
            for (std::int32_t k : ks[a]) {
                const glm::vec3 p = rays.origin[r] + rays.dir[r] * (rays.tNear[r] + (float(k) + rays.jitter[r]) * dt);
                s.pos[at * 3] = p.x;
                s.pos[at * 3 + 1] = p.y;
                s.pos[at * 3 + 2] = p.z;
                s.ray[at] = std::int64_t(a);
                s.first[at] = std::int64_t(start);
                s.step[at] = k;
                ++at;
            }
        }
        return s;
    }

    // No-grad rendering with early termination: rays march in rounds of kSegment samples and
    // stop once transmittance falls below `termination`. Returns colour over background (R x 3) and,
    // per ray, the last lattice index that contributed (kStop, -1 for none).
    void renderNoGrad(const Rays& rays, glm::vec3 bg, std::vector<float>* rgbOut, std::vector<int>* kStop, const core::CancelToken* cancel = nullptr) const {
        torch::NoGradGuard ng;
        const std::size_t n = rays.size();
        std::vector<int> kNext(n, 0);
        std::vector<float> trans(n, 1.0f);
        std::vector<float> col(n * 3, 0.0f);
        if (kStop) kStop->assign(n, -1);
        std::vector<int> used(n, 0);
        std::vector<std::int64_t> active;
        for (std::size_t r = 0; r < n; ++r)
            if (rays.tFar[r] > rays.tNear[r]) active.push_back(std::int64_t(r));
        while (!active.empty()) {
            const int perRay = std::max(kSegment, int(kEvalChunk / std::max<std::int64_t>(1, std::int64_t(active.size()))));
            const int take = std::min(perRay, maxSamples);
            Samples s = gather(rays, active, kNext, {}, take);
            if (s.count() > 0) {
                std::vector<float> sigma(std::size_t(s.count())), rgb(std::size_t(s.count()) * 3);
                evaluate(s.pos.data(), s.count(), sigma.data(), rgb.data(), false, cancel);
                // Sequential compositing per ray (cheap next to the network).
                for (std::int64_t i = 0; i < s.count(); ++i) {
                    const auto r = std::size_t(active[std::size_t(s.ray[std::size_t(i)])]);
                    if (trans[r] < termination) continue;
                    const float a = 1.0f - std::exp(-sigma[std::size_t(i)] * dt);
                    const float w = trans[r] * a;
                    for (int c = 0; c < 3; ++c) col[r * 3 + std::size_t(c)] += w * rgb[std::size_t(i) * 3 + std::size_t(c)];
                    trans[r] *= 1.0f - a;
                    if (kStop) (*kStop)[r] = s.step[std::size_t(i)];
                }
            }
            std::vector<std::int64_t> still;
            for (std::int64_t r : active) {
                auto& u = used[std::size_t(r)];
                u += take;
                if (kNext[std::size_t(r)] >= 0 && trans[std::size_t(r)] >= termination && u < maxSamples) still.push_back(r);
            }
            active.swap(still);
        }
        if (rgbOut) {
            rgbOut->resize(n * 3);
            for (std::size_t r = 0; r < n; ++r)
                for (int c = 0; c < 3; ++c) (*rgbOut)[r * 3 + std::size_t(c)] = col[r * 3 + std::size_t(c)] + trans[r] * bg[c];
        }
    }

    // Occupancy update (instant-ngp section 4): one random point per cell, running max with decay.
    void updateOccupancy(std::mt19937_64& rng, float decay, const core::CancelToken& cancel) {
        const std::size_t cells = occ.size();
        std::vector<float> pts(cells * 3);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        const float cs = cellSize();
        for (std::size_t i = 0; i < cells; ++i) {
            const int x = int(i % std::size_t(occRes)), y = int((i / std::size_t(occRes)) % std::size_t(occRes)), z = int(i / std::size_t(occRes * occRes));
            pts[i * 3] = box.min.x + (float(x) + u(rng)) * cs;
            pts[i * 3 + 1] = box.min.y + (float(y) + u(rng)) * cs;
            pts[i * 3 + 2] = box.min.z + (float(z) + u(rng)) * cs;
        }
        std::vector<float> sigma(cells);
        evaluate(pts.data(), std::int64_t(cells), sigma.data(), nullptr, false, &cancel);
        // Occupied when a single marching step there would be at least 1 % opaque.
        const float threshold = 0.01f / dt;
        for (std::size_t i = 0; i < cells; ++i) {
            occDensity[i] = hull[i] ? std::max(occDensity[i] * decay, sigma[i]) : 0.0f;
            occ[i] = occDensity[i] > threshold ? 1 : 0;
        }
    }
};

FieldModel::FieldModel(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
FieldModel::~FieldModel() = default;
const core::Bounds& FieldModel::bounds() const { return m_impl->box; }
const std::vector<std::uint8_t>& FieldModel::occupancy() const { return m_impl->occ; }
int FieldModel::occupancyResolution() const { return m_impl->occRes; }
float FieldModel::surfaceDensity() const { return std::log(2.0f) / m_impl->dt; }

void FieldModel::evaluate(const std::vector<glm::vec3>& points, std::vector<float>& density, std::vector<glm::vec3>& color) const {
    density.assign(points.size(), 0.0f);
    color.assign(points.size(), glm::vec3(0.0f));
    if (points.empty()) return;
    m_impl->evaluate(glm::value_ptr(points[0]), std::int64_t(points.size()), density.data(), glm::value_ptr(color[0]), false);
}

std::vector<float> FieldModel::render(const RasterCamera& cam, glm::vec3 background, const core::CancelToken* cancel) const {
    std::vector<float> image(std::size_t(cam.width) * std::size_t(cam.height) * 3);
    // Rows in blocks so the sample buffers stay small.
    const int rowsPerBlock = std::max(1, 16384 / std::max(1, cam.width));
    for (int y0 = 0; y0 < cam.height; y0 += rowsPerBlock) {
        Rays rays;
        const int y1 = std::min(cam.height, y0 + rowsPerBlock);
        for (int y = y0; y < y1; ++y)
            for (int x = 0; x < cam.width; ++x) {
                glm::vec3 o, d;
                pixelRay(cam, float(x) + 0.5f, float(y) + 0.5f, o, d);
                rays.push(o, d, m_impl->box, 0.5f);
            }
        std::vector<float> rgb;
        m_impl->renderNoGrad(rays, background, &rgb, nullptr, cancel);
        std::copy(rgb.begin(), rgb.end(), image.begin() + std::ptrdiff_t(y0) * cam.width * 3);
    }
    return image;
}

core::Bounds FieldModel::occupiedBounds() const {
    const Impl& m = *m_impl;
    core::Bounds b;
    const float cs = m.cellSize();
    for (int z = 0; z < m.occRes; ++z)
        for (int y = 0; y < m.occRes; ++y)
            for (int x = 0; x < m.occRes; ++x)
                if (m.occ[std::size_t(x + m.occRes * (y + m.occRes * z))]) {
                    b.extend(m.box.min + glm::vec3(x - 1, y - 1, z - 1) * cs);
                    b.extend(m.box.min + glm::vec3(x + 2, y + 2, z + 2) * cs);
                }
    if (!b.valid) return m.box;
    b.min = glm::max(b.min, m.box.min);
    b.max = glm::min(b.max, m.box.max);
    return b;
}

void FieldModel::sampleCorners(const core::Bounds& b, glm::ivec3 dims, std::vector<float>& density, std::vector<glm::vec3>& linearColor,
                               const core::CancelToken* cancel) const {
    if (!b.valid || dims.x < 2 || dims.y < 2 || dims.z < 2) throw Error("radiance field: sampling grid needs valid bounds and 2+ points per axis");
    const std::size_t n = std::size_t(dims.x) * std::size_t(dims.y) * std::size_t(dims.z);
    std::vector<float> pts(n * 3);
    const glm::vec3 step = b.size() / glm::vec3(dims - 1);
    for (std::size_t i = 0; i < n; ++i) {
        const int x = int(i % std::size_t(dims.x)), y = int((i / std::size_t(dims.x)) % std::size_t(dims.y)), z = int(i / (std::size_t(dims.x) * std::size_t(dims.y)));
        const glm::vec3 p = b.min + glm::vec3(x, y, z) * step;
        pts[i * 3] = p.x;
        pts[i * 3 + 1] = p.y;
        pts[i * 3 + 2] = p.z;
    }
    density.resize(n);
    std::vector<float> rgb(n * 3);
    m_impl->evaluate(pts.data(), std::int64_t(n), density.data(), rgb.data(), true, cancel);
    linearColor.resize(n);
    for (std::size_t i = 0; i < n; ++i) linearColor[i] = glm::vec3(core::linearFromSrgb(rgb[i * 3]), core::linearFromSrgb(rgb[i * 3 + 1]), core::linearFromSrgb(rgb[i * 3 + 2]));
}

core::RadianceField FieldModel::bake(int resolution, const core::CancelToken* cancel) const {
    if (resolution < 2 || resolution > 1024) throw Error("radiance field bake: resolution must be between 2 and 1024");
    const core::Bounds ob = occupiedBounds();
    const float cell = std::max({ob.size().x, ob.size().y, ob.size().z}) / float(resolution);
    core::RadianceField f;
    f.resolution = glm::max(glm::ivec3(2), glm::ivec3(glm::ceil(ob.size() / cell - 1e-3f)));
    f.bounds.extend(ob.center() - 0.5f * glm::vec3(f.resolution) * cell);
    f.bounds.extend(ob.center() + 0.5f * glm::vec3(f.resolution) * cell);
    // Cell centres are the corner points of a grid shrunk by half a cell.
    core::Bounds centres;
    centres.extend(f.bounds.min + 0.5f * cell);
    centres.extend(f.bounds.max - 0.5f * cell);
    sampleCorners(centres, f.resolution, f.density, f.color, cancel);
    return f;
}

core::Bounds boundsFromCameras(const std::vector<TrainView>& views) {
    if (views.empty()) throw Error("radiance field: no views to place the scene box");
    // The point closest to every optical axis, in least squares: sum_i (I - d_i d_i^T)(p - c_i) = 0.
    glm::mat3 a(0.0f);
    glm::vec3 b(0.0f), mean(0.0f);
    for (const auto& v : views) {
        const glm::vec3 c = glm::make_vec3(v.camera.position);
        const glm::vec3 d = -glm::normalize(glm::vec3(v.camera.view[2], v.camera.view[6], v.camera.view[10]));
        const glm::mat3 proj = glm::mat3(1.0f) - glm::outerProduct(d, d);
        a += proj;
        b += proj * c;
        mean += c;
    }
    glm::vec3 centre = mean / float(views.size());
    if (std::abs(glm::determinant(a)) > 1e-6f) centre = glm::inverse(a) * b;
    float radius = 0.0f;
    for (const auto& v : views) radius += glm::distance(glm::make_vec3(v.camera.position), centre) / float(views.size());
    core::Bounds box;
    box.extend(centre - glm::vec3(0.45f * radius));
    box.extend(centre + glm::vec3(0.45f * radius));
    return box;
}

namespace {

// Cells whose projected footprint holds no opaque pixel in some RGBA view that sees them whole are
// outside the visual hull. Footprints are the 2D boxes of the projected cell corners, tested in
// O(1) with a summed-area table of (alpha > 0) per view.
std::vector<std::uint8_t> carveHull(const std::vector<TrainView>& views, const core::Bounds& box, int res) {
    const std::size_t cells = std::size_t(res) * std::size_t(res) * std::size_t(res);
    std::vector<std::uint8_t> hull(cells, 1);
    const float cs = box.size().x / float(res);
    for (const auto& v : views) {
        if (v.image.channels != 4) continue;
        const int w = v.image.width, h = v.image.height;
        std::vector<std::int32_t> sat(std::size_t(w + 1) * std::size_t(h + 1), 0);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const int opaque = v.image.u8[(std::size_t(y) * std::size_t(w) + std::size_t(x)) * 4 + 3] > 0 ? 1 : 0;
                sat[std::size_t(y + 1) * std::size_t(w + 1) + std::size_t(x + 1)] = opaque + sat[std::size_t(y) * std::size_t(w + 1) + std::size_t(x + 1)] +
                                                                                  sat[std::size_t(y + 1) * std::size_t(w + 1) + std::size_t(x)] -
                                                                                  sat[std::size_t(y) * std::size_t(w + 1) + std::size_t(x)];
            }
        const glm::mat4 view = glm::make_mat4(v.camera.view);
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < std::int64_t(cells); ++i) {
            if (!hull[std::size_t(i)]) continue;
            const int x = int(i % res), y = int((i / res) % res), z = int(i / (std::int64_t(res) * res));
            float u0 = 1e30f, u1 = -1e30f, v0 = 1e30f, v1 = -1e30f;
            bool behind = false;
            for (int c = 0; c < 8; ++c) {
                const glm::vec3 p = box.min + glm::vec3(x + (c & 1), y + ((c >> 1) & 1), z + ((c >> 2) & 1)) * cs;
                const glm::vec3 t = glm::vec3(view * glm::vec4(p, 1.0f));
                if (-t.z <= 1e-4f) {
                    behind = true;
                    break;
                }
                const float u = v.camera.fx * t.x / -t.z + v.camera.cx, vv = -v.camera.fy * t.y / -t.z + v.camera.cy;
                u0 = std::min(u0, u);
                u1 = std::max(u1, u);
                v0 = std::min(v0, vv);
                v1 = std::max(v1, vv);
            }
            // Only a footprint wholly inside the image proves emptiness.
            if (behind || u0 < 0.0f || v0 < 0.0f || u1 > float(w) || v1 > float(h)) continue;
            const int xa = int(std::floor(u0)), xb = std::min(w, int(std::ceil(u1))), ya = int(std::floor(v0)), yb = std::min(h, int(std::ceil(v1)));
            const auto at = [&](int xx, int yy) { return sat[std::size_t(yy) * std::size_t(w + 1) + std::size_t(xx)]; };
            if (at(xb, yb) - at(xa, yb) - at(xb, ya) + at(xa, ya) == 0) hull[std::size_t(i)] = 0;
        }
    }
    return hull;
}

core::GaussianCloud previewCloud(const core::RadianceField& f) {
    core::GaussianCloud cloud;
    const glm::vec3 cell = f.bounds.size() / glm::vec3(f.resolution);
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < f.cellCount(); ++i)
        if (1.0f - std::exp(-f.density[i] * cell.x) > 0.3f) keep.push_back(i);
    cloud.resize(keep.size(), 0);
    for (std::size_t j = 0; j < keep.size(); ++j) {
        const std::size_t i = keep[j];
        const int x = int(i % std::size_t(f.resolution.x)), y = int((i / std::size_t(f.resolution.x)) % std::size_t(f.resolution.y)),
                  z = int(i / (std::size_t(f.resolution.x) * std::size_t(f.resolution.y)));
        cloud.positions[j] = f.bounds.min + (glm::vec3(x, y, z) + 0.5f) * cell;
        cloud.logScales[j] = glm::log(0.5f * cell);
        cloud.rotations[j] = glm::vec4(1, 0, 0, 0);
        cloud.opacityLogits[j] = 3.0f;
        for (int c = 0; c < 3; ++c) {
            // Back to display space for SH DC.
            cloud.sh[j * 3 + std::size_t(c)] = (core::srgbFromLinear(f.color[i][c]) - 0.5f) / core::kShC0;
        }
    }
    return cloud;
}

// Throws on options the fitter cannot run with and on views whose image and camera disagree.
void checkFieldInput(const std::vector<TrainView>& views, const FieldFitOptions& o) {
    if (views.empty()) throw Error("radiance field fit: no training views");
    if (o.iterations < 1) throw Error("radiance field fit: iterations must be at least 1");
    if (o.raysPerBatch < 1 || o.raysPerBatch > (1 << 20)) throw Error("radiance field fit: rays per batch must be 1..1048576");
    if (o.planeResolutions.empty() || o.planeChannels < 1 || o.hiddenWidth < 1) throw Error("radiance field fit: the model needs at least one plane level, channel and hidden unit");
    for (int r : o.planeResolutions)
        if (r < 2 || r > 2048) throw Error("radiance field fit: plane resolution must be 2..2048");
    if (o.occupancyResolution < 1 || o.occupancyResolution > 512) throw Error("radiance field fit: occupancy resolution must be 1..512");
    if (o.stepsPerSide < 2) throw Error("radiance field fit: steps per side must be at least 2");
    for (const auto& v : views) {
        if (v.image.width != v.camera.width || v.image.height != v.camera.height || v.image.width < 1 || v.image.height < 1)
            throw Error("radiance field fit: a view's image and camera sizes differ");
    }
}

// The model's cubic box around `given` (side `side`), its visual hull and marching parameters.
void placeBox(FieldModel::Impl& m, const std::vector<TrainView>& views, const FieldFitOptions& o, const core::Bounds& given, float side) {
    m.box.extend(given.center() - glm::vec3(0.5f * side));
    m.box.extend(given.center() + glm::vec3(0.5f * side));
    m.side = side;
    m.occRes = o.occupancyResolution;
    const std::size_t cells = std::size_t(m.occRes) * std::size_t(m.occRes) * std::size_t(m.occRes);
    m.hull = o.carveWithAlpha ? carveHull(views, m.box, m.occRes) : std::vector<std::uint8_t>(cells, 1);
    if (o.carveWithAlpha && !o.bounds.valid) {
        // A box derived from cameras is loose: shrink it (cubic, two cells of margin) to the visual
        // hull so the planes' texels and the marching steps land on the object, then carve again.
        core::Bounds hb;
        const float cs = m.cellSize();
        for (std::size_t i = 0; i < cells; ++i)
            if (m.hull[i]) {
                const glm::vec3 c(float(i % std::size_t(m.occRes)), float((i / std::size_t(m.occRes)) % std::size_t(m.occRes)), float(i / std::size_t(m.occRes * m.occRes)));
                hb.extend(m.box.min + (c - 2.0f) * cs);
                hb.extend(m.box.min + (c + 3.0f) * cs);
            }
        if (!hb.valid) throw Error("radiance field fit: no part of the scene box lies inside every view's silhouette (check the poses)");
        const float s2 = std::min(side, std::max({hb.size().x, hb.size().y, hb.size().z}));
        m.box = {};
        m.box.extend(hb.center() - glm::vec3(0.5f * s2));
        m.box.extend(hb.center() + glm::vec3(0.5f * s2));
        m.side = s2;
        m.hull = carveHull(views, m.box, m.occRes);
    }
    m.dt = m.side / float(o.stepsPerSide);
    m.maxSamples = o.maxSamplesPerRay;
    m.termination = o.terminationTransmittance;
    m.occ = m.hull;
    m.occDensity.assign(cells, 0.0f);
}

// Starting weights: K-Planes features uniform in [0.1, 0.5] so the products start non-zero, the
// MLP He-initialised (Kaiming) with zero biases.
void initNetwork(FieldModel::Impl& m, const FieldFitOptions& o) {
    for (int r : o.planeResolutions) {
        Adam p;
        p.init(torch::rand({3, o.planeChannels, r, r}) * 0.4 + 0.1, o.lrPlanes);
        m.planes.push_back(std::move(p));
    }
    const std::int64_t in = std::int64_t(o.planeResolutions.size()) * o.planeChannels, hid = o.hiddenWidth;
    auto kaiming = [](std::int64_t fanIn, std::int64_t fanOut) { return torch::randn({fanIn, fanOut}) * std::sqrt(2.0 / double(fanIn)); };
    m.w1.init(kaiming(in, hid), o.lrMlp);
    m.b1.init(torch::zeros({hid}), o.lrMlp);
    m.w2.init(kaiming(hid, hid), o.lrMlp);
    m.b2.init(torch::zeros({hid}), o.lrMlp);
    m.w3.init(torch::randn({hid, 4}) * std::sqrt(1.0 / double(hid)), o.lrMlp);
    m.b3.init(torch::zeros({4}), o.lrMlp);
}

// Every view's pixels composited over the background, and random training rays through them.
class TargetPixels {
public:
    TargetPixels(const std::vector<TrainView>& views, glm::vec3 background) {
        for (const auto& v : views) {
            m_pixels.push_back(targetPixels(v.image, background));
            m_offset.push_back(m_offset.back() + v.image.pixelCount());
        }
        m_pickPixel = std::uniform_int_distribution<std::size_t>(0, m_offset.back() - 1);
    }

    // `count` rays through uniformly chosen pixels of all views (at a random point inside the
    // pixel, with a random marching offset) into `rays`; returns their target colours, count x 3.
    std::vector<float> sampleBatch(const std::vector<TrainView>& views, const core::Bounds& box, int count, std::mt19937_64& rng, Rays& rays) {
        std::vector<float> target(std::size_t(count) * 3);
        for (int r = 0; r < count; ++r) {
            const std::size_t p = m_pickPixel(rng);
            const std::size_t vi = std::size_t(std::upper_bound(m_offset.begin(), m_offset.end(), p) - m_offset.begin()) - 1;
            const std::size_t local = p - m_offset[vi];
            const RasterCamera& cam = views[vi].camera;
            const float u = float(local % std::size_t(cam.width)) + m_unit(rng), v = float(local / std::size_t(cam.width)) + m_unit(rng);
            glm::vec3 org, dir;
            pixelRay(cam, u, v, org, dir);
            rays.push(org, dir, box, m_unit(rng));
            for (int c = 0; c < 3; ++c) target[std::size_t(r) * 3 + std::size_t(c)] = m_pixels[vi][local * 3 + std::size_t(c)];
        }
        return target;
    }

private:
    std::vector<std::vector<float>> m_pixels;
    std::vector<std::size_t> m_offset{0};  // first pixel of each view in one numbering of all
    std::uniform_int_distribution<std::size_t> m_pickPixel;
    std::uniform_real_distribution<float> m_unit{0.0f, 1.0f};
};

// Per ray, one past the last lattice index that contributes before the ray saturates (a no-grad
// render with early termination), so training marches no further.
std::vector<int> sampleLimits(const FieldModel::Impl& m, const Rays& rays, glm::vec3 background, const core::CancelToken& cancel) {
    std::vector<int> kStop;
    m.renderNoGrad(rays, background, nullptr, &kStop, &cancel);
    cancel.throwIfCancelled();
    std::vector<int> kLimit(rays.size());
    for (std::size_t r = 0; r < rays.size(); ++r) kLimit[r] = kStop[r] + 1;
    return kLimit;
}

// The batch's colours over the background, R x 3, differentiable in the model's weights.
torch::Tensor predictBatch(const FieldModel::Impl& m, Samples& s, int rayCount, glm::vec3 background) {
    const torch::Tensor bg = torch::tensor({background.x, background.y, background.z});
    if (s.count() == 0) return bg.expand({rayCount, 3});
    const torch::Tensor pos = fromVec(s.pos, {s.count(), 3});
    auto [sigma, rgb] = m.forward(m.normalise(pos));
    const Composite c = composite(sigma, rgb, torch::full({s.count()}, m.dt), fromVec(s.ray), fromVec(s.first), rayCount);
    return c.color + (1.0 - c.opacity).unsqueeze(1) * bg;
}

// Mean squared error, plus total variation of the planes (K-Planes' spatial smoothness) when
// `planeTv` > 0.
torch::Tensor batchLoss(const FieldModel::Impl& m, const torch::Tensor& pred, const torch::Tensor& target, float planeTv) {
    torch::Tensor loss = (pred - target).pow(2).mean();
    if (planeTv > 0.0f) {
        for (const Adam& p : m.planes) {
            const torch::Tensor& v = p.value;
            const torch::Tensor dx = v.index({Slice(), Slice(), Slice(), Slice(1)}) - v.index({Slice(), Slice(), Slice(), Slice(0, -1)});
            const torch::Tensor dy = v.index({Slice(), Slice(), Slice(1)}) - v.index({Slice(), Slice(), Slice(0, -1)});
            loss = loss + planeTv * (dx.pow(2).mean() + dy.pow(2).mean());
        }
    }
    return loss;
}

// Seconds spent in each stage of an iteration, summed over a report window (when enabled).
class StageTimer {
public:
    explicit StageTimer(bool enabled) : m_enabled(enabled) {}
    // Adds the time since the previous lap to `stage`.
    void lap(int stage) {
        if (!m_enabled) return;
        const auto now = std::chrono::steady_clock::now();
        m_seconds[stage] += std::chrono::duration<double>(now - m_tick).count();
        m_tick = now;
    }
    void print(int it, double psnr, double samplesPerRay) {
        if (!m_enabled) return;
        const double* t = m_seconds;
        std::fprintf(stderr, "it %d psnr %.2f spr %.1f | rays %.3f prepass %.3f march %.3f fwd %.3f bwd %.3f adam %.3f occ %.3f s\n", it, psnr,
                     samplesPerRay, t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
        std::fill(m_seconds, m_seconds + 7, 0.0);
    }

private:
    bool m_enabled;
    double m_seconds[7] = {0, 0, 0, 0, 0, 0, 0};
    std::chrono::steady_clock::time_point m_tick = std::chrono::steady_clock::now();
};

} // namespace

FieldFitResult fitField(const std::vector<TrainView>& views, const FieldFitOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    checkFieldInput(views, o);
    core::Bounds given = o.bounds.valid ? o.bounds : boundsFromCameras(views);
    const glm::vec3 size = given.size();
    const float side = std::max({size.x, size.y, size.z});
    if (!given.valid || !(side > 0.0f) || !std::isfinite(side)) throw Error("radiance field fit: the scene box is empty");

    const auto t0 = std::chrono::steady_clock::now();
    torch::manual_seed(o.seed);
    std::mt19937_64 rng(o.seed);
    auto model = std::make_unique<FieldModel>(std::make_unique<FieldModel::Impl>());
    FieldModel::Impl& m = model->impl();
    placeBox(m, views, o, given, side);
    initNetwork(m, o);
    TargetPixels targets(views, o.background);

    FieldFitResult result;
    double psnrSum = 0.0, samplesSum = 0.0;
    int window = 0;
    const int R = o.raysPerBatch;
    // KILN_FIELD_PROFILE=1 prints where an iteration's time goes (rays, pre-pass, marching, forward, backward, Adam, occupancy).
    StageTimer timer(std::getenv("KILN_FIELD_PROFILE") != nullptr);
    for (int it = 1; it <= o.iterations; ++it) {
        cancel.throwIfCancelled();
        // Warm-up then exponential decay of the learning rate.
        const double frac = double(it - 1) / std::max(1, o.iterations - 1);
        const float lrScale = float(std::min(1.0, double(it) / std::max(1, o.warmupIterations)) * std::pow(double(o.lrEndFactor), frac));

        Rays rays;
        std::vector<float> target = targets.sampleBatch(views, m.box, R, rng, rays);
        timer.lap(0);
        // Early termination for training: a no-grad pass finds the last sample each ray needs.
        std::vector<int> kLimit;
        if (o.earlyStopTraining) kLimit = sampleLimits(m, rays, o.background, cancel);
        timer.lap(1);
        std::vector<std::int64_t> all(static_cast<std::size_t>(R));
        for (int r = 0; r < R; ++r) all[std::size_t(r)] = r;
        std::vector<int> kNext(std::size_t(R), 0);
        Samples s = m.gather(rays, all, kNext, kLimit, m.maxSamples);
        samplesSum += double(s.count()) / R;

        timer.lap(2);
        const torch::Tensor tgt = fromVec(target, {R, 3});
        const torch::Tensor pred = predictBatch(m, s, R, o.background);
        const torch::Tensor loss = batchLoss(m, pred, tgt, o.planeTv);
        cancel.throwIfCancelled();
        timer.lap(3);
        if (loss.requires_grad()) loss.backward();
        timer.lap(4);
        {
            torch::NoGradGuard ng;
            const double mse = (pred.clamp(0, 1) - tgt).pow(2).mean().item<double>();
            psnrSum += 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
            ++window;
            for (Adam& p : m.planes) p.step(it, lrScale);
            for (Adam* p : {&m.w1, &m.b1, &m.w2, &m.b2, &m.w3, &m.b3}) p->step(it, lrScale);
        }
        timer.lap(5);
        if (it >= o.occupancyWarmup && it % std::max(1, o.occupancyInterval) == 0) m.updateOccupancy(rng, o.occupancyDecay, cancel);
        timer.lap(6);

        if (it % std::max(1, o.reportInterval) == 0 || it == o.iterations) {
            result.trainPsnr.emplace_back(it, psnrSum / std::max(1, window));
            result.samplesPerRay = samplesSum / std::max(1, window);
            psnrSum = samplesSum = 0.0;
            window = 0;
            progress.report("fitting radiance field", float(it) / float(o.iterations));
            timer.print(it, result.trainPsnr.back().second, result.samplesPerRay);
        }
        if (o.onCheckpoint && o.checkpointInterval > 0 && (it % o.checkpointInterval == 0 || it == o.iterations)) o.onCheckpoint(it, *model);
        if (o.previewInterval > 0 && it % o.previewInterval == 0 && it < o.iterations) {
            progress.preview(core::Asset::fromGaussians("preview", previewCloud(model->bake(48, &cancel))));
        }
    }
    std::size_t occupied = 0;
    for (std::uint8_t c : m.occ) occupied += c;
    result.occupiedFraction = double(occupied) / double(m.occ.size());
    for (Adam& p : m.planes) p.value = p.value.detach();
    for (Adam* p : {&m.w1, &m.b1, &m.w2, &m.b2, &m.w3, &m.b3}) p->value = p->value.detach();
    result.model = std::shared_ptr<const FieldModel>(std::move(model));
    result.iterations = o.iterations;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

void compositeForTest(const std::vector<float>& sigma, const std::vector<float>& rgb, const std::vector<float>& delta,
                      const std::vector<std::int64_t>& rayOfSample, int rayCount, glm::vec3 background, const std::vector<float>& dLdColor,
                      std::vector<float>& color, std::vector<float>& dSigma, std::vector<float>& dRgb) {
    const auto n = std::int64_t(sigma.size());
    std::vector<std::int64_t> first(sigma.size());
    for (std::int64_t i = 0; i < n; ++i)
        first[std::size_t(i)] = (i > 0 && rayOfSample[std::size_t(i)] == rayOfSample[std::size_t(i - 1)]) ? first[std::size_t(i - 1)] : i;
    std::vector<std::int64_t> ray = rayOfSample;
    const torch::Tensor s = torch::tensor(sigma).requires_grad_(true);
    const torch::Tensor c = torch::tensor(rgb).view({n, 3}).requires_grad_(true);
    const torch::Tensor d = torch::tensor(delta);
    const Composite comp = composite(s, c, d, fromVec(ray).clone(), fromVec(first).clone(), rayCount);
    const torch::Tensor bg = torch::tensor({background.x, background.y, background.z});
    const torch::Tensor out = (comp.color + (1.0 - comp.opacity).unsqueeze(1) * bg).contiguous();
    color.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
    const torch::Tensor g = torch::tensor(dLdColor).view({rayCount, 3});
    (out * g).sum().backward();
    const torch::Tensor gs = s.grad().contiguous(), gc = c.grad().contiguous();
    dSigma.assign(gs.data_ptr<float>(), gs.data_ptr<float>() + gs.numel());
    dRgb.assign(gc.data_ptr<float>(), gc.data_ptr<float>() + gc.numel());
}

} // namespace kiln::optimize
