#include "models/shape_latent.h"

#include "core/color.h"
#include "core/error.h"
#include "core/pull_push.h"
#include "core/sha256.h"
#include "geometry/decimate.h"
#include "geometry/marching_cubes.h"
#include "geometry/mesh_cleanup.h"
#include "geometry/metrics.h"
#include "geometry/surface_splats.h"
#include "geometry/uv_raster.h"
#include "geometry/uv_unwrap.h"
#include "models/manifest.h"
#include "models/shape_autoencoder.h"
#include "models/torch_weights.h"
#include "models/training.h"

#include <glm/geometric.hpp>

#include <chrono>
#include <cmath>
#include <functional>

namespace fs = std::filesystem;

namespace kiln::models {

struct ShapeLatentModel::Impl {
    fs::path dir;
    ModelManifest manifest;
    ShapeAutoencoderConfig config;
    LatentStatistics stats;
    ShapeAutoencoder net{nullptr};
};

ShapeLatentModel::ShapeLatentModel(const fs::path& dir) : m_impl(std::make_unique<Impl>()) {
    m_impl->dir = dir;
    m_impl->manifest = verifyModelFolder(dir, "shape-autoencoder");
    readShapeAutoencoderConfig(dir / "config.json", m_impl->config, m_impl->stats);
    m_impl->net = ShapeAutoencoder(m_impl->config);
    loadModuleWeights(*m_impl->net, dir / "weights.safetensors");
    m_impl->net->eval();
}

ShapeLatentModel::~ShapeLatentModel() = default;

int ShapeLatentModel::tokens() const { return m_impl->config.tokens; }
int ShapeLatentModel::detailTokens() const { return m_impl->config.detailTokens > 0 ? m_impl->config.detailTokens : m_impl->config.tokens; }
void ShapeLatentModel::requireTokenCount(int count, const std::string& what) const {
    if (count == tokens() || count == detailTokens()) return;
    throw Error(what + ": " + name() + " encodes " + std::to_string(tokens()) +
                (detailTokens() != tokens() ? " or " + std::to_string(detailTokens()) : std::string()) + " tokens, not " + std::to_string(count));
}
int ShapeLatentModel::channels() const { return m_impl->config.channels; }
const LatentStatistics& ShapeLatentModel::statistics() const { return m_impl->stats; }
const fs::path& ShapeLatentModel::dir() const { return m_impl->dir; }
std::string ShapeLatentModel::name() const { return m_impl->manifest.name + " v" + m_impl->manifest.version; }
std::string ShapeLatentModel::encoderSha256() const {
    std::vector<std::uint8_t> bytes;
    for (const auto& p : m_impl->net->named_parameters()) {
        if (!ShapeAutoencoderImpl::encoderParameter(p.key())) continue;
        const auto t = p.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
        bytes.insert(bytes.end(), p.key().begin(), p.key().end());
        bytes.push_back(0);
        const auto* data = reinterpret_cast<const std::uint8_t*>(t.data_ptr<float>());
        bytes.insert(bytes.end(), data, data + t.numel() * std::int64_t(sizeof(float)));
    }
    return core::sha256Hex(bytes);
}

std::string ShapeLatentModel::licence() const { return m_impl->manifest.licence; }

ShapeLatent ShapeLatentModel::encode(const std::vector<float>& input, const LatentFrame& frame, int count) const {
    if (count == 0) count = tokens();
    requireTokenCount(count, "shape latent");
    const std::int64_t n = std::int64_t(input.size() / kSurfaceFeatures);
    if (n < count || input.size() % kSurfaceFeatures != 0)
        throw Error("shape latent: needs at least " + std::to_string(count) + " surface samples to encode, got " + std::to_string(n));
    torch::NoGradGuard noGrad;
    const auto surface = torch::from_blob(const_cast<float*>(input.data()), {1, n, kSurfaceFeatures}).clone();
    const auto enc = m_impl->net->encode(surface, count);
    ShapeLatent l;
    l.tokens = count;
    l.channels = channels();
    const auto a = enc.anchors.contiguous(), z = enc.mean.contiguous();
    l.anchors.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
    l.values.assign(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
    l.frame = frame;
    return l;
}

ShapeLatent ShapeLatentModel::encode(const procgen::ProcAsset& asset, std::uint64_t seed, int samples, int tokens) const {
    const LatentFrame frame = latentFrame(core::computeBounds(asset.mesh));
    return encode(encoderInput(procgen::sampleSurface(asset, samples, seed), frame), frame, tokens);
}

namespace {

torch::Tensor latentTensor(const std::vector<float>& v, int rows, int cols) {
    if (v.size() != std::size_t(rows) * std::size_t(cols)) throw Error("shape latent: token data does not match its size");
    return torch::from_blob(const_cast<float*>(v.data()), {1, rows, cols}).clone();
}

// A latent to refine must be this autoencoder's: its token count and channels.
void requireLatentOf(const ShapeLatentModel& ae, const ShapeLatent& l, const std::string& what) {
    ae.requireTokenCount(l.tokens, what);
    if (l.channels != ae.channels() || l.values.size() != std::size_t(l.tokens) * std::size_t(ae.channels()) || l.anchors.size() != std::size_t(l.tokens) * 3)
        throw Error(what + " is not this autoencoder's (" + std::to_string(l.tokens) + " x " + std::to_string(l.channels) + " tokens)");
}

// How a latent descends a loss (both refinements): its channels in units of each one's spread,
// and with anchorRate > 0 its anchors at their own Adam rate, each kept within anchorBound of
// where it started. `loss(anchors, unit, step)` gives the step's loss (the decoder reads
// anchors and unit * scale). Only the latent's gradients: the network is not touched.
ShapeLatent descendLatent(const ShapeLatent& start, const std::vector<float>& stdev, int steps, float learningRate, float anchorRate, float anchorBound,
                          const std::function<torch::Tensor(const torch::Tensor& anchors, const torch::Tensor& unit, int step)>& loss,
                          const core::CancelToken& cancel) {
    const int m = start.tokens, c = start.channels;
    const auto startAnchors = latentTensor(start.anchors, m, 3);
    const bool moveAnchors = anchorRate > 0.0f;
    auto anchors = startAnchors.clone().requires_grad_(moveAnchors);
    // Adam's step is about the rate in every coordinate: scaled per channel, each moves by a
    // like fraction of its spread.
    const auto scale = torch::tensor(stdev).view({1, 1, c});
    auto unit = (latentTensor(start.values, m, c) / scale).requires_grad_(true);
    std::vector<torch::Tensor> fitted{unit};
    std::vector<torch::optim::OptimizerParamGroup> groups{torch::optim::OptimizerParamGroup({unit})};
    if (moveAnchors) {
        fitted.push_back(anchors);
        groups.emplace_back(std::vector<torch::Tensor>{anchors}, std::make_unique<torch::optim::AdamOptions>(anchorRate));
    }
    torch::optim::Adam optimiser(groups, torch::optim::AdamOptions(learningRate));
    for (int step = 0; step < steps; ++step) {
        cancel.throwIfCancelled();
        const auto grads = torch::autograd::grad({loss(anchors, unit, step)}, fitted);
        for (std::size_t i = 0; i < fitted.size(); ++i) fitted[i].mutable_grad() = grads[i];
        optimiser.step();
        if (moveAnchors) {
            // Each anchor stays within the bound of where it started.
            torch::NoGradGuard noGrad;
            const auto moved = anchors - startAnchors;
            anchors.copy_(startAnchors + moved * (anchorBound / moved.norm(2, -1, true).clamp_min(anchorBound)));
        }
    }
    ShapeLatent l = start;
    const auto z = (unit.detach() * scale).contiguous();
    l.values.assign(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
    if (moveAnchors) {
        const auto a = anchors.detach().contiguous();
        l.anchors.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
    }
    return l;
}

} // namespace

ShapeLatent ShapeLatentModel::refine(const ShapeLatent& start, const procgen::ProcAsset& asset, const RefineOptions& o,
                                     const core::CancelToken& cancel) const {
    if (o.steps < 0 || o.steps > 100000 || !(o.learningRate > 0.0f) || o.queryPoints < 1 || o.appearancePoints < 1 || !(o.anchorRate >= 0.0f) ||
        !(o.anchorBound > 0.0f && o.anchorBound <= 0.5f))
        throw Error("shape latent: a refinement option is out of range");
    requireLatentOf(*this, start, "shape latent: the latent to refine");
    if (o.steps == 0) return start;
    ShapeSampleOptions so;
    so.queryPoints = o.queryPoints;
    so.appearancePoints = o.appearancePoints;
    so.mix = QueryMix::Banded;
    so.thinWall = m_impl->config.targetThinWall;
    ShapeSample targets;
    const auto scale = torch::tensor(m_impl->stats.stdev).view({1, 1, channels()});
    return descendLatent(
        start, m_impl->stats.stdev, o.steps, o.learningRate, o.anchorRate, o.anchorBound,
        [&](const torch::Tensor& anchors, const torch::Tensor& unit, int step) {
            makeShapeTargets(asset, start.frame, so, o.seed * 0x9E3779B97F4A7C15ull + std::uint64_t(step), targets);
            const std::int64_t q = std::int64_t(targets.occupancy.size()), a = std::int64_t(targets.appearance.size() / kAppearanceChannels);
            const auto points = torch::cat({torch::from_blob(targets.queries.data(), {1, q, 3}), torch::from_blob(targets.appearancePoints.data(), {1, a, 3})}, 1);
            const auto occupancy = torch::from_blob(targets.occupancy.data(), {1, q});
            const auto look = torch::from_blob(targets.appearance.data(), {1, a, kAppearanceChannels});
            const auto field = m_impl->net->query(m_impl->net->decodeTokens(anchors, unit * scale), points);
            // The decoder's training loss, appearance weighted as it was trained (2).
            const auto terms = ShapeAutoencoderImpl::fieldLoss(field, q, occupancy, look);
            return terms.occupancy + 2.0 * terms.appearance;
        },
        cancel);
}

ShapeLatent ShapeLatentModel::refineToSilhouette(const ShapeLatent& start, const std::vector<SilhouetteRay>& rays, const SilhouetteOptions& o,
                                                 SilhouetteReport* report, const core::CancelToken& cancel) const {
    if (o.steps < 0 || o.steps > 10000 || !(o.learningRate > 0.0f) || !(o.anchorRate >= 0.0f) || !(o.anchorBound > 0.0f && o.anchorBound <= 0.5f) ||
        o.samples < 2 || o.samples > 256 || !(o.keep >= 0.0f))
        throw Error("shape latent: a silhouette refinement option is out of range");
    requireLatentOf(*this, start, "shape latent: the latent to refine");
    const int m = start.tokens;
    // Where each ray crosses the decoder's domain [-1, 1]^3 (slab test); rays that miss it see
    // nothing whatever the latent, so they drop out.
    std::vector<float> origin, direction, t0, t1, target;
    for (const SilhouetteRay& r : rays) {
        float lo = 0.0f, hi = 1e30f;
        for (int a = 0; a < 3; ++a) {
            const float d = r.direction[a];
            if (std::abs(d) < 1e-9f) {
                if (std::abs(r.origin[a]) > 1.0f) hi = -1.0f;
                continue;
            }
            float ta = (-1.0f - r.origin[a]) / d, tb = (1.0f - r.origin[a]) / d;
            if (ta > tb) std::swap(ta, tb);
            lo = std::max(lo, ta), hi = std::min(hi, tb);
        }
        if (!(hi > lo)) continue;
        for (int a = 0; a < 3; ++a) origin.push_back(r.origin[a]), direction.push_back(r.direction[a]);
        t0.push_back(lo), t1.push_back(hi), target.push_back(std::clamp(r.inside, 0.0f, 1.0f));
    }
    if (target.empty()) throw Error("shape latent: no silhouette ray crosses the latent's domain");
    const std::int64_t n = std::int64_t(target.size()), k = o.samples;
    const auto o3 = torch::from_blob(origin.data(), {n, 1, 3}).clone(), d3 = torch::from_blob(direction.data(), {n, 1, 3}).clone();
    const auto near = torch::from_blob(t0.data(), {n, 1}).clone(), far = torch::from_blob(t1.data(), {n, 1}).clone();
    const auto want = torch::from_blob(target.data(), {n}).clone();
    const auto startAnchors = latentTensor(start.anchors, m, 3);
    const auto scale = torch::tensor(m_impl->stats.stdev).view({1, 1, channels()});
    const auto startUnit = latentTensor(start.values, m, channels()) / scale;
    // -log(1 - P(hit)) = sum of softplus(logit) along the ray.
    auto missDepth = [&](const torch::Tensor& a, const torch::Tensor& u, const at::Generator& gen) {
        const auto jitter = gen.defined() ? torch::rand({n, k}, gen) : torch::full({n, k}, 0.5);
        const auto t = near + (far - near) * (torch::arange(k, torch::kFloat).view({1, k}) + jitter) / double(k);
        const auto points = (o3 + d3 * t.unsqueeze(-1)).view({1, n * k, 3});
        const auto logits = m_impl->net->query(m_impl->net->decodeTokens(a, u * scale), points, false).select(-1, 0).view({n, k});
        return torch::softplus(logits).sum(1);
    };
    auto iouOf = [&](const torch::Tensor& depth) {
        const auto hit = depth >= std::log(2.0), inside = want >= 0.5;
        const double both = (hit & inside).sum().item<double>(), either = (hit | inside).sum().item<double>();
        return either > 0 ? both / either : 1.0;
    };
    if (report) {
        torch::NoGradGuard noGrad;
        report->iouBefore = report->iouAfter = iouOf(missDepth(startAnchors, startUnit, {}));
    }
    if (o.steps == 0) return start;
    ShapeLatent l = descendLatent(
        start, m_impl->stats.stdev, o.steps, o.learningRate, o.anchorRate, o.anchorBound,
        [&](const torch::Tensor& anchors, const torch::Tensor& unit, int step) {
            const auto depth = missDepth(anchors, unit, stepGenerator(o.seed, step)).clamp_min(1e-6);
            const auto hitLoss = -torch::log(-torch::expm1(-depth));  // -log P(hit)
            return (want * hitLoss + (1.0 - want) * depth).mean() + o.keep * (unit - startUnit).square().mean();
        },
        cancel);
    if (report) {
        torch::NoGradGuard noGrad;
        report->iouAfter = iouOf(missDepth(latentTensor(l.anchors, m, 3), latentTensor(l.values, m, channels()) / scale, {}));
    }
    return l;
}

struct ShapeLatentModel::Prepared::Data {
    ShapeAutoencoderImpl::Decoded decoded;  // decodeTokens()' output for the latent
};

ShapeLatentModel::Prepared::Prepared(std::unique_ptr<Data> data) : m_data(std::move(data)) {}
ShapeLatentModel::Prepared::Prepared(Prepared&&) noexcept = default;
ShapeLatentModel::Prepared& ShapeLatentModel::Prepared::operator=(Prepared&&) noexcept = default;
ShapeLatentModel::Prepared::~Prepared() = default;

ShapeLatentModel::Prepared ShapeLatentModel::prepare(const ShapeLatent& l) const {
    torch::NoGradGuard noGrad;
    const auto anchors = latentTensor(l.anchors, l.tokens, 3), values = latentTensor(l.values, l.tokens, l.channels);
    auto data = std::make_unique<Prepared::Data>();
    data->decoded = m_impl->net->decodeTokens(anchors, values);
    return Prepared(std::move(data));
}

void ShapeLatentModel::field(const ShapeLatent& l, const std::vector<glm::vec3>& points, std::vector<float>* occ, std::vector<glm::vec3>* albedo,
                             std::vector<float>* rough, std::vector<float>* metal) const {
    field(prepare(l), points, occ, albedo, rough, metal);
}

void ShapeLatentModel::field(const Prepared& prepared, const std::vector<glm::vec3>& points, std::vector<float>* occ, std::vector<glm::vec3>* albedo,
                             std::vector<float>* rough, std::vector<float>* metal) const {
    torch::NoGradGuard noGrad;
    const auto& tokens = prepared.m_data->decoded;
    if (occ) occ->resize(points.size());
    if (albedo) albedo->resize(points.size());
    if (rough) rough->resize(points.size());
    if (metal) metal->resize(points.size());
    constexpr std::size_t kChunk = 16384;
    for (std::size_t start = 0; start < points.size(); start += kChunk) {
        const std::size_t count = std::min(kChunk, points.size() - start);
        const auto q = torch::from_blob(const_cast<glm::vec3*>(points.data() + start), {1, std::int64_t(count), 3}, torch::kFloat);
        const auto out = m_impl->net->query(tokens, q, albedo || rough || metal).contiguous();
        const float* f = out.data_ptr<float>();
        for (std::size_t i = 0; i < count; ++i) {
            const float* r = f + 6 * i;
            if (occ) (*occ)[start + i] = r[0];
            auto sig = [](float x) { return 1.0f / (1.0f + std::exp(-x)); };
            if (albedo) (*albedo)[start + i] = {sig(r[1]), sig(r[2]), sig(r[3])};
            if (rough) (*rough)[start + i] = sig(r[4]);
            if (metal) (*metal)[start + i] = sig(r[5]);
        }
    }
}

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

std::uint8_t toByte(float v) { return std::uint8_t(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f); }

} // namespace

std::vector<float> ShapeLatentModel::occupancyGrid(const Prepared& l, int res, float bias, const core::CancelToken& cancel) const {
    if (res < 2 || res > 512) throw Error("occupancy grid: resolution " + std::to_string(res) + " is outside 2..512");
    // Halving only while even, so doubling lands on `res` exactly (45 or 33 are evaluated densely;
    // halving 45 to 22 used to refine to 88 and fail in marching cubes).
    int coarse = res;
    while (coarse > 32 && coarse % 2 == 0) coarse /= 2;
    auto at = [](int n, int x, int y, int z) { return (std::size_t(z) * std::size_t(n + 1) + std::size_t(y)) * std::size_t(n + 1) + std::size_t(x); };
    auto coord = [](int n, int i) { return -1.0f + 2.0f * float(i) / float(n); };
    std::vector<glm::vec3> pts;
    for (int z = 0; z <= coarse; ++z)
        for (int y = 0; y <= coarse; ++y)
            for (int x = 0; x <= coarse; ++x) pts.push_back({coord(coarse, x), coord(coarse, y), coord(coarse, z)});
    std::vector<float> grid;
    field(l, pts, &grid);
    for (float& v : grid) v += bias;
    int n = coarse;
    while (n < res) {
        cancel.throwIfCancelled();
        const int m = 2 * n;
        std::vector<float> fine(std::size_t(m + 1) * std::size_t(m + 1) * std::size_t(m + 1));
        std::vector<std::uint8_t> need(fine.size(), 0);
        // Coarse cells that the surface crosses, or nearly (|logit| small), with a one-cell margin.
        std::vector<std::uint8_t> active(std::size_t(n) * std::size_t(n) * std::size_t(n), 0);
        for (int z = 0; z < n; ++z)
            for (int y = 0; y < n; ++y)
                for (int x = 0; x < n; ++x) {
                    bool in = false, out = false, nearZero = false;
                    for (int c = 0; c < 8; ++c) {
                        const float v = grid[at(n, x + (c & 1), y + ((c >> 1) & 1), z + (c >> 2))];
                        in |= v > 0.0f;
                        out |= v <= 0.0f;
                        nearZero |= std::abs(v) < 2.0f;
                    }
                    // A one-cell margin at the intermediate levels, where a part thinner than a
                    // cell can hide between samples; none at the last level, whose active cells are
                    // already a shell around the surface the previous level found (its crossed
                    // edges are completed below): 30-50 % fewer reads for the same mesh
                    // (bench/results/issue14_wip.md, session 19).
                    const int margin = m == res ? 0 : 1;
                    if ((in && out) || nearZero)
                        for (int dz = -margin; dz <= margin; ++dz)
                            for (int dy = -margin; dy <= margin; ++dy)
                                for (int dx = -margin; dx <= margin; ++dx) {
                                    const int xx = x + dx, yy = y + dy, zz = z + dz;
                                    if (xx >= 0 && yy >= 0 && zz >= 0 && xx < n && yy < n && zz < n)
                                        active[(std::size_t(zz) * std::size_t(n) + std::size_t(yy)) * std::size_t(n) + std::size_t(xx)] = 1;
                                }
                }
        // Every fine sample: interpolated from the coarse grid; those in active cells re-evaluated.
        pts.clear();
        std::vector<std::size_t> where;
        for (int z = 0; z <= m; ++z)
            for (int y = 0; y <= m; ++y)
                for (int x = 0; x <= m; ++x) {
                    const int cx = std::min(x / 2, n - 1), cy = std::min(y / 2, n - 1), cz = std::min(z / 2, n - 1);
                    const float fx = float(x) / 2.0f - float(cx), fy = float(y) / 2.0f - float(cy), fz = float(z) / 2.0f - float(cz);
                    float v = 0.0f;
                    for (int c = 0; c < 8; ++c) {
                        const float w = ((c & 1) ? fx : 1 - fx) * (((c >> 1) & 1) ? fy : 1 - fy) * ((c >> 2) ? fz : 1 - fz);
                        v += w * grid[at(n, cx + (c & 1), cy + ((c >> 1) & 1), cz + (c >> 2))];
                    }
                    const std::size_t k = at(m, x, y, z);
                    fine[k] = v;
                    if (active[(std::size_t(cz) * std::size_t(n) + std::size_t(cy)) * std::size_t(n) + std::size_t(cx)]) {
                        pts.push_back({coord(m, x), coord(m, y), coord(m, z)});
                        where.push_back(k);
                    }
                }
        std::vector<float> values;
        field(l, pts, &values);
        for (std::size_t i = 0; i < where.size(); ++i) fine[where[i]] = values[i] + bias;
        if (m == res) {
            // Marching cubes places each vertex from the two values at the ends of the edge the
            // surface crosses: read the field at any such end that was only interpolated (about a
            // tenth of them without the margin), until none is left, so the mesh is the one a
            // dense evaluation gives.
            std::vector<std::uint8_t> exact(fine.size(), 0);
            for (const std::size_t k : where) exact[k] = 1;
            for (int pass = 0; pass < 8; ++pass) {
                cancel.throwIfCancelled();
                pts.clear();
                where.clear();
                auto mark = [&](std::size_t k, int x, int y, int z) {
                    if (exact[k]) return;
                    exact[k] = 1;
                    pts.push_back({coord(m, x), coord(m, y), coord(m, z)});
                    where.push_back(k);
                };
                for (int z = 0; z <= m; ++z)
                    for (int y = 0; y <= m; ++y)
                        for (int x = 0; x <= m; ++x) {
                            const std::size_t k = at(m, x, y, z);
                            const bool inside = fine[k] > 0.0f;
                            if (x < m && (fine[k + 1] > 0.0f) != inside) mark(k, x, y, z), mark(k + 1, x + 1, y, z);
                            if (y < m && (fine[at(m, x, y + 1, z)] > 0.0f) != inside) mark(k, x, y, z), mark(at(m, x, y + 1, z), x, y + 1, z);
                            if (z < m && (fine[at(m, x, y, z + 1)] > 0.0f) != inside) mark(k, x, y, z), mark(at(m, x, y, z + 1), x, y, z + 1);
                        }
                if (pts.empty()) break;
                field(l, pts, &values);
                for (std::size_t i = 0; i < where.size(); ++i) fine[where[i]] = values[i] + bias;
            }
        }
        grid = std::move(fine);
        n = m;
    }
    // Nothing solid on the domain's faces, so the surface is closed.
    for (int z = 0; z <= n; ++z)
        for (int y = 0; y <= n; ++y)
            for (int x = 0; x <= n; ++x)
                if (x == 0 || y == 0 || z == 0 || x == n || y == n || z == n) grid[at(n, x, y, z)] = -10.0f;
    return grid;
}

core::GaussianCloud ShapeLatentModel::previewSplats(const ShapeLatent& l) const {
    // The field on a coarse grid: the solid cells next to empty ones, as small splats.
    constexpr int n = 24;
    std::vector<glm::vec3> grid;
    for (int z = 0; z < n; ++z)
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x) grid.push_back(glm::vec3(x, y, z) * (2.0f / float(n - 1)) - glm::vec3(1.0f));
    std::vector<float> occ;
    std::vector<glm::vec3> albedo;
    field(l, grid, &occ, &albedo);
    auto solid = [&](int x, int y, int z) { return x >= 0 && y >= 0 && z >= 0 && x < n && y < n && z < n && occ[std::size_t((z * n + y) * n + x)] > 0.0f; };
    core::GaussianCloud cloud;
    std::vector<std::size_t> keep;
    for (int z = 0; z < n; ++z)
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x)
                if (solid(x, y, z) && (!solid(x + 1, y, z) || !solid(x - 1, y, z) || !solid(x, y + 1, z) || !solid(x, y - 1, z) || !solid(x, y, z + 1) ||
                                       !solid(x, y, z - 1)))
                    keep.push_back(std::size_t((z * n + y) * n + x));
    cloud.resize(keep.size(), 0);
    const float radius = std::log(1.2f / float(n) / l.frame.scale);
    for (std::size_t i = 0; i < keep.size(); ++i) {
        cloud.positions[i] = l.frame.fromNormalised(grid[keep[i]]);
        cloud.logScales[i] = glm::vec3(radius);
        cloud.rotations[i] = {1, 0, 0, 0};
        cloud.opacityLogits[i] = 3.0f;
        for (int c = 0; c < 3; ++c) cloud.sh[i * 3 + std::size_t(c)] = (core::srgbFromLinear(albedo[keep[i]][c]) - 0.5f) / core::kShC0;
    }
    return cloud;
}

DecodedAsset ShapeLatentModel::decode(const ShapeLatent& l, const DecodeOptions& o, const core::CancelToken& cancel) const {
    if (o.resolution < 32 || o.resolution > 512) throw Error("decode: resolution " + std::to_string(o.resolution) + " is outside 32..512");
    if (o.textureSize < 64 || o.textureSize > 4096 || (o.textureSize & (o.textureSize - 1)))
        throw Error("decode: texture size " + std::to_string(o.textureSize) + " is not a power of two from 64 to 4096");
    DecodedAsset out;
    auto t = std::chrono::steady_clock::now();
    // 1. The occupancy field, hierarchically (the decoder's planes once for every read below).
    const Prepared prepared = prepare(l);
    if (!std::isfinite(o.surfaceBias) || std::abs(o.surfaceBias) > 8.0f) throw Error("decode: surface bias " + std::to_string(o.surfaceBias) + " is outside -8..8");
    const std::vector<float> grid = occupancyGrid(prepared, o.resolution, o.surfaceBias, cancel);
    out.stageSeconds.emplace_back("field", secondsSince(t));
    cancel.throwIfCancelled();
    // 2. Marching cubes, back to metres, small pieces dropped.
    t = std::chrono::steady_clock::now();
    core::Bounds domain;
    domain.min = glm::vec3(-1.0f);
    domain.max = glm::vec3(1.0f);
    domain.valid = true;
    auto meshAt = [&](const std::vector<float>& g, int res) {
        core::Mesh m = geometry::marchingCubes(g, glm::ivec3(res + 1), domain, 0.0f, nullptr, geometry::IsoSide::Above);
        if (m.indices.empty()) throw Error("decode: the latent decodes to empty space (no surface)");
        for (auto& p : m.positions) p = l.frame.fromNormalised(p);
        return geometry::removeSmallComponents(m, o.minComponent);
    };
    core::Mesh mesh = meshAt(grid, o.resolution);
    out.stageSeconds.emplace_back("meshing", secondsSince(t));
    cancel.throwIfCancelled();
    // 3. Decimation, kept only while the surface stays closed and manifold.
    t = std::chrono::steady_clock::now();
    // A bounded error keeps thin parts from collapsing into each other (which is what makes a
    // simplified surface non-manifold); where the bound stops short of the budget, a looser one.
    // A part a cell or two thick that a collapse flattens can leave two walls touching along an
    // edge (four faces on it) while the surface still encloses the solid exactly: such edges are
    // split apart by a ten-thousandth of the object's size (geometry::splitNonManifold) rather than
    // the decimation thrown away (the coarser remeshing below loses thin boards: a bookshelf's
    // reconstruction fell from F-score 0.99 to 0.96 that way).
    auto closedOrSplit = [&](core::Mesh& d) {
        const auto report = geometry::analyse(d);
        if (report.watertight) return true;
        if (report.boundaryEdges != 0 || report.nonManifoldEdges == 0) return false;
        const glm::vec3 extent = core::computeBounds(d).size();
        core::Mesh split = geometry::splitNonManifold(d, 1e-4f * std::max({extent.x, extent.y, extent.z, 1e-6f}));
        if (!geometry::analyse(split).watertight) return false;
        d = std::move(split);
        return true;
    };
    auto decimateClosed = [&](core::Mesh& m) {
        if (m.triangleCount() <= o.maxFaces) return;
        // Where a collapse leaves two walls meeting along an edge, stopping a little later (within
        // the quarter over budget accepted below) usually avoids it.
        const std::size_t targets[] = {o.maxFaces, o.maxFaces * 27 / 25, o.maxFaces * 29 / 25, o.maxFaces * 31 / 25};
        for (const float error : {0.002f, 0.005f, 0.02f}) {
            for (const std::size_t target : targets) {
                core::Mesh d = geometry::decimate(m, target, error);
                const bool reached = d.triangleCount() <= target;
                if (closedOrSplit(d)) {
                    m = std::move(d);
                    break;
                }
                if (!reached) break;  // the bound stopped it short: a larger target changes nothing
            }
            if (m.triangleCount() <= o.maxFaces * 5 / 4) break;
        }
    };
    decimateClosed(mesh);
    // Where no bound reaches the budget with a closed surface (bumpy sampled shapes), mesh the
    // field again at the resolution whose marching cubes fit it (faces grow with its square).
    for (int res = o.resolution, attempt = 0; attempt < 3 && mesh.triangleCount() > o.maxFaces * 5 / 4; ++attempt) {
        const double shrink = std::sqrt(double(o.maxFaces) / double(mesh.triangleCount()));
        const int next = std::max(8, std::min(res - 1, int(double(res) * shrink * 0.95)));
        if (next >= res || next < 8) break;
        core::Mesh coarser = meshAt(occupancyGrid(prepared, next, o.surfaceBias, cancel), next);
        res = next;
        if (!geometry::analyse(coarser).watertight) continue;
        decimateClosed(coarser);
        mesh = std::move(coarser);
    }
    const auto report = geometry::analyse(mesh);
    out.watertight = report.watertight;
    out.components = report.components;
    out.stageSeconds.emplace_back("decimation", secondsSince(t));
    cancel.throwIfCancelled();
    // 4. UV layout.
    t = std::chrono::steady_clock::now();
    geometry::UnwrapResult unwrapped = geometry::unwrapMesh(mesh, {.coneDegrees = 55.0f, .atlasSize = o.textureSize, .padding = std::max(4, o.textureSize / 128)});
    mesh = std::move(unwrapped.mesh);
    out.stageSeconds.emplace_back("unwrap", secondsSince(t));
    cancel.throwIfCancelled();
    // 5. Appearance at the texels of a (coarser) atlas, filled by pull-push, upsampled to the
    // texture size: base colour (sRGB) and metallic-roughness maps.
    t = std::chrono::steady_clock::now();
    const int as = std::min(o.appearanceSize, o.textureSize);
    const geometry::UvRaster raster = geometry::rasterizeUv(mesh, as);
    std::vector<glm::vec3> pts;
    std::vector<std::size_t> texels;
    for (std::size_t k = 0; k < raster.triangle.size(); ++k)
        if (raster.covered(k)) {
            pts.push_back(l.frame.toNormalised(raster.position(mesh, k)));
            texels.push_back(k);
        }
    std::vector<glm::vec3> albedo;
    std::vector<float> rough, metal;
    field(prepared, pts, nullptr, &albedo, &rough, &metal);
    const std::size_t n = std::size_t(as) * std::size_t(as);
    std::vector<float> maps(n * 5, 0.0f);
    std::vector<std::uint8_t> covered(n, 0);
    for (std::size_t i = 0; i < texels.size(); ++i) {
        float* v = maps.data() + 5 * texels[i];
        v[0] = albedo[i].r, v[1] = albedo[i].g, v[2] = albedo[i].b, v[3] = rough[i], v[4] = metal[i];
        covered[texels[i]] = 1;
    }
    core::pullPushFill(maps, covered, as, as, 5);
    const int ts = o.textureSize;
    core::Image base = core::Image::makeU8(ts, ts, 3), mr = core::Image::makeU8(ts, ts, 3);
    const float scale = float(as) / float(ts);
    for (int y = 0; y < ts; ++y)
        for (int x = 0; x < ts; ++x) {
            // Bilinear from the appearance atlas (texel centres aligned).
            const float sx = std::clamp((float(x) + 0.5f) * scale - 0.5f, 0.0f, float(as - 1)), sy = std::clamp((float(y) + 0.5f) * scale - 0.5f, 0.0f, float(as - 1));
            const int x0 = int(sx), y0 = int(sy), x1 = std::min(x0 + 1, as - 1), y1 = std::min(y0 + 1, as - 1);
            const float fx = sx - float(x0), fy = sy - float(y0);
            float v[5];
            for (int c = 0; c < 5; ++c) {
                auto px = [&](int xx, int yy) { return maps[(std::size_t(yy) * std::size_t(as) + std::size_t(xx)) * 5 + std::size_t(c)]; };
                v[c] = (1 - fy) * ((1 - fx) * px(x0, y0) + fx * px(x1, y0)) + fy * ((1 - fx) * px(x0, y1) + fx * px(x1, y1));
            }
            const std::size_t k = (std::size_t(y) * std::size_t(ts) + std::size_t(x)) * 3;
            appearanceTexel(v, &base.u8[k], &mr.u8[k]);
        }
    mesh.textures.clear();
    mesh.textures.push_back({"basecolor.png", std::move(base), {}, {}});
    mesh.textures.push_back({"metallic_roughness.png", std::move(mr), {}, {}});
    core::Material mat;
    mat.name = "generated";
    mat.baseColorTexture = 0;
    mat.metallicRoughnessTexture = 1;
    mat.metallicFactor = 1.0f;
    mat.roughnessFactor = 1.0f;
    mesh.materials = {mat};
    mesh.colors.clear();
    mesh.submeshes.clear();
    core::Submesh sub;
    sub.name = "generated";
    sub.indexCount = std::uint32_t(mesh.indices.size());
    sub.vertexCount = std::uint32_t(mesh.positions.size());
    sub.material = 0;
    mesh.submeshes.push_back(sub);
    mesh.validate("decoded latent");
    out.stageSeconds.emplace_back("bake", secondsSince(t));
    // 6. Splats on the surface, coloured by the same field.
    if (o.splats) {
        t = std::chrono::steady_clock::now();
        out.splats = geometry::splatsOnSurface(mesh, o.splatCount, [&](const std::vector<glm::vec3>& p, std::vector<glm::vec3>& colour) {
            std::vector<glm::vec3> q;
            for (const auto& x : p) q.push_back(l.frame.toNormalised(x));
            field(prepared, q, nullptr, &colour);
        });
        out.stageSeconds.emplace_back("splats", secondsSince(t));
    }
    out.mesh = std::move(mesh);
    return out;
}

void appearanceTexel(const float* v, std::uint8_t* base, std::uint8_t* metallicRoughness) {
    for (int c = 0; c < 3; ++c) base[c] = toByte(core::srgbFromLinear(v[c]));
    metallicRoughness[0] = 255;
    metallicRoughness[1] = toByte(v[3]);
    metallicRoughness[2] = toByte(v[4]);
}

ReconstructionScore scoreReconstruction(const ShapeLatentModel& ae, const ShapeLatent& latent, const core::Mesh& decoded, const procgen::ProcAsset& original) {
    ReconstructionScore r;
    const geometry::InsideTest inside = assetSolid(original);
    const std::function<bool(const glm::vec3&)> solid = [&](const glm::vec3& p) { return inside.inside(p); };
    r.fScore = geometry::meshFScore(decoded, original.mesh, 0.01, 5, 400000, solid);
    const procgen::SurfaceSamples s = procgen::sampleSurface(original, 1024, 9);
    std::vector<glm::vec3> q, truth;
    for (const std::size_t i : visibleSamples(s, solid, geometry::buriedTestStep(original.mesh, 0.01))) {
        q.push_back(latent.frame.toNormalised(s.positions[i]));
        truth.push_back(s.albedo[i]);
    }
    if (q.empty()) return r;
    std::vector<glm::vec3> albedo;
    ae.field(latent, q, nullptr, &albedo);
    double de = 0.0;
    for (std::size_t k = 0; k < q.size(); ++k) de += core::deltaE76(albedo[k], truth[k]);
    r.albedoDeltaE = de / double(q.size());
    return r;
}

} // namespace kiln::models
