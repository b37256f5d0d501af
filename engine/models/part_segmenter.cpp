#include "models/part_segmenter.h"

#include "core/error.h"
#include "geometry/mesh_regions.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/blocks.h"
#include "models/manifest.h"
#include "models/mesh_texture.h"
#include "models/torch_weights.h"
#include "models/training.h"
#include "procgen/dataset.h"
#include "procgen/procgen.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <glm/geometric.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

namespace nn = torch::nn;

constexpr int kBands = 4;         // Fourier octaves of anchors and points
constexpr int kHeads = 4;
constexpr float kLocalSigma = 0.08f;  // the local read's Gaussian, normalised frame (about half a token spacing)
constexpr const char* kFormat = "kiln-part-segmenter";

struct PartNetImpl : nn::Module {
    PartNetImpl(int channels, int width, int parts, int groups) {
        const int pe = 3 + 6 * kBands;
        tokenIn = register_module("tokenIn", nn::Linear(channels + pe, width));
        self1 = register_module("self1", TransformerBlock(width, kHeads, 2));
        self2 = register_module("self2", TransformerBlock(width, kHeads, 2));
        pointIn = register_module("pointIn", nn::Linear(pe, width));
        localIn = register_module("localIn", nn::Linear(width, width));
        cross = register_module("cross", CrossBlock(width, width, kHeads, 2));
        norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({width})));
        partHead = register_module("partHead", nn::Linear(width, parts));
        groupHead = register_module("groupHead", nn::Linear(width, groups));
    }
    // values: B x T x C (in units of their spread), anchors: B x T x 3, points: B x P x 3.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& values, const torch::Tensor& anchors, const torch::Tensor& points) {
        auto t = tokenIn->forward(torch::cat({values, fourierFeatures(anchors, kBands)}, -1));
        const torch::Tensor none;
        t = self1->forward(t, none);
        t = self2->forward(t, none);
        const auto d2 = (points.unsqueeze(2) - anchors.unsqueeze(1)).pow(2).sum(-1);  // B x P x T
        const auto w = torch::softmax(-d2 / (2.0f * kLocalSigma * kLocalSigma), -1);
        auto p = pointIn->forward(fourierFeatures(points, kBands)) + localIn->forward(torch::matmul(w, t));
        p = cross->forward(p, t);
        p = norm->forward(p);
        return {partHead->forward(p), groupHead->forward(p)};
    }
    nn::Linear tokenIn{nullptr}, pointIn{nullptr}, localIn{nullptr}, partHead{nullptr}, groupHead{nullptr};
    TransformerBlock self1{nullptr}, self2{nullptr};
    CrossBlock cross{nullptr};
    nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(PartNet);

// The library's words: every category's part names and group nouns, sorted, each once.
void libraryWords(std::vector<std::string>& parts, std::vector<std::string>& groups) {
    std::set<std::string> p, g;
    for (const auto& c : procgen::categories()) {
        for (const auto& s : c.slots) p.insert(s.name);
        for (const auto& gr : c.groups) g.insert(gr.noun);
    }
    parts.assign(p.begin(), p.end());
    groups.assign(g.begin(), g.end());
}

torch::Tensor valuesTensor(const ShapeLatent& l, const LatentStatistics& st) {
    auto v = torch::from_blob(const_cast<float*>(l.values.data()), {1, l.tokens, l.channels}).clone();
    if (int(st.mean.size()) == l.channels && int(st.stdev.size()) == l.channels) {
        const auto mean = torch::from_blob(const_cast<float*>(st.mean.data()), {l.channels}).clone();
        const auto sd = torch::from_blob(const_cast<float*>(st.stdev.data()), {l.channels}).clone().clamp_min(1e-6);
        v = (v - mean) / sd;
    }
    return v;
}

torch::Tensor anchorsTensor(const ShapeLatent& l) { return torch::from_blob(const_cast<float*>(l.anchors.data()), {1, l.tokens, 3}).clone(); }

// Surface points of a procedural asset, area-weighted, with the part and group word of each.
struct LabelledPoints {
    std::vector<float> points;  // n x 3, normalised frame
    std::vector<std::int64_t> part, group;
};

// `balance` of them drawn part by part (a part chosen uniformly, then a point on it by area), so
// small parts (trims, handles) are seen as often as big ones; the rest by area over the whole.
LabelledPoints labelledPoints(const procgen::ProcAsset& a, const LatentFrame& frame, int count, float balance, std::uint64_t seed,
                              const std::map<std::string, int>& partIndex, const std::map<std::string, int>& groupIndex) {
    const core::Mesh& m = a.mesh;
    const procgen::CategoryInfo& cat = procgen::categories()[std::size_t(a.params.category)];
    std::vector<double> cumulative(m.triangleCount());
    double total = 0.0;
    for (std::size_t t = 0; t < cumulative.size(); ++t) {
        const glm::vec3 p0 = m.positions[m.indices[3 * t]], p1 = m.positions[m.indices[3 * t + 1]], p2 = m.positions[m.indices[3 * t + 2]];
        total += 0.5 * double(glm::length(glm::cross(p1 - p0, p2 - p0)));
        cumulative[t] = total;
    }
    // Each part's triangles are one range (PartInfo::firstTriangle, triangleCount).
    std::vector<const procgen::PartInfo*> parts;
    for (const auto& p : a.parts) {
        const double lo = p.firstTriangle == 0 ? 0.0 : cumulative[p.firstTriangle - 1];
        if (p.triangleCount > 0 && cumulative[p.firstTriangle + p.triangleCount - 1] > lo) parts.push_back(&p);
    }
    LabelledPoints out;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const int balanced = parts.empty() ? 0 : int(std::lround(double(balance) * double(count)));
    for (int i = 0; i < count; ++i) {
        double lo = 0.0, hi = total;
        if (i < balanced) {
            const procgen::PartInfo& p = *parts[std::min(parts.size() - 1, std::size_t(u(rng) * double(parts.size())))];
            lo = p.firstTriangle == 0 ? 0.0 : cumulative[p.firstTriangle - 1];
            hi = cumulative[p.firstTriangle + p.triangleCount - 1];
        }
        const auto t = std::size_t(std::lower_bound(cumulative.begin(), cumulative.end(), lo + u(rng) * (hi - lo)) - cumulative.begin());
        const std::size_t tri = std::min(t, cumulative.size() - 1);
        double r1 = u(rng), r2 = u(rng);
        if (r1 + r2 > 1.0) r1 = 1.0 - r1, r2 = 1.0 - r2;
        const glm::vec3 p0 = m.positions[m.indices[3 * tri]], p1 = m.positions[m.indices[3 * tri + 1]], p2 = m.positions[m.indices[3 * tri + 2]];
        const glm::vec3 p = frame.toNormalised(p0 + float(r1) * (p1 - p0) + float(r2) * (p2 - p0));
        out.points.insert(out.points.end(), {p.x, p.y, p.z});
        const procgen::PartInfo& part = a.parts[a.triangleParts[tri]];
        out.part.push_back(partIndex.at(part.slot));
        out.group.push_back(groupIndex.at(cat.groups[std::size_t(part.group)].noun));
    }
    return out;
}

} // namespace

std::string singularWord(std::string w) {
    if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's') w.pop_back();
    return w;
}

struct PartSegmenter::Impl {
    PartNet net{nullptr};
    std::vector<std::string> parts, groups;
    LatentStatistics statistics;
    std::string name;
    int tokens = 0;
};

PartSegmenter::PartSegmenter(const fs::path& dir, const ShapeLatentModel* autoencoder) : m_impl(std::make_unique<Impl>()) {
    const ModelManifest manifest = verifyModelFolder(dir, "part-segmenter");
    m_impl->name = manifest.name + " " + manifest.version;
    nlohmann::json config;
    try {
        std::ifstream in(dir / "config.json");
        config = nlohmann::json::parse(in);
        if (config.at("format").get<std::string>() != kFormat) throw Error("format is not " + std::string(kFormat));
        m_impl->parts = config.at("partWords").get<std::vector<std::string>>();
        m_impl->groups = config.at("groupWords").get<std::vector<std::string>>();
        m_impl->statistics.mean = config.at("latent").at("mean").get<std::vector<float>>();
        m_impl->statistics.stdev = config.at("latent").at("std").get<std::vector<float>>();
        const int width = config.at("width").get<int>();
        const int channels = config.at("latent").at("channels").get<int>();
        if (m_impl->parts.empty() || m_impl->groups.empty() || width < 8 || width > 1024 || channels < 1 || channels > 1024 ||
            int(m_impl->statistics.mean.size()) != channels || int(m_impl->statistics.stdev.size()) != channels)
            throw Error("config.json's sizes are out of range");
        if (autoencoder && config.at("autoencoder").at("encoderSha256").get<std::string>() != autoencoder->encoderSha256())
            throw Error("it was trained on another autoencoder's latent than " + autoencoder->name() + "'s");
        m_impl->tokens = config.value("tokens", 0);
        if (m_impl->tokens < 0 || m_impl->tokens > 4096) throw Error("config.json's token count is out of range");
        if (autoencoder && m_impl->tokens != 0) autoencoder->requireTokenCount(m_impl->tokens, "it reads latents of " + std::to_string(m_impl->tokens) + " tokens");
        m_impl->net = PartNet(channels, width, int(m_impl->parts.size()), int(m_impl->groups.size()));
    } catch (const Error& e) {
        throw Error("part segmenter " + dir.string() + ": " + e.what());
    } catch (const std::exception& e) {
        throw Error("part segmenter " + dir.string() + ": config.json: " + e.what());
    }
    loadModuleWeights(*m_impl->net, dir / "weights.safetensors");
    m_impl->net->eval();
}

PartSegmenter::~PartSegmenter() = default;

const std::vector<std::string>& PartSegmenter::partWords() const { return m_impl->parts; }
const std::vector<std::string>& PartSegmenter::groupWords() const { return m_impl->groups; }
std::string PartSegmenter::name() const { return m_impl->name; }
int PartSegmenter::tokens() const { return m_impl->tokens; }

PartSegmenter::Labels PartSegmenter::label(const ShapeLatent& latent, const std::vector<glm::vec3>& points) const {
    if (latent.tokens <= 0 || int(latent.anchors.size()) != 3 * latent.tokens || int(latent.values.size()) != latent.tokens * latent.channels)
        throw Error("part segmenter: a malformed latent");
    if (m_impl->tokens != 0 && latent.tokens != m_impl->tokens)
        throw Error("part segmenter: a latent of " + std::to_string(latent.tokens) + " tokens, the model reads " + std::to_string(m_impl->tokens));
    if (latent.channels != int(m_impl->statistics.mean.size()))
        throw Error("part segmenter: a latent of " + std::to_string(latent.channels) + " channels, the model reads " + std::to_string(m_impl->statistics.mean.size()));
    torch::NoGradGuard noGrad;
    const auto values = valuesTensor(latent, m_impl->statistics);
    const auto anchors = anchorsTensor(latent);
    Labels out;
    out.part.reserve(points.size());
    out.group.reserve(points.size());
    constexpr std::size_t kChunk = 4096;
    for (std::size_t first = 0; first < points.size(); first += kChunk) {
        const std::size_t n = std::min(kChunk, points.size() - first);
        const auto p = torch::from_blob(const_cast<float*>(&points[first].x), {1, std::int64_t(n), 3}).clone();
        const auto [part, group] = m_impl->net->forward(values, anchors, p);
        const auto pa = part.argmax(-1).reshape({-1}).contiguous(), ga = group.argmax(-1).reshape({-1}).contiguous();
        const std::int64_t* pp = pa.data_ptr<std::int64_t>();
        const std::int64_t* gp = ga.data_ptr<std::int64_t>();
        for (std::size_t i = 0; i < n; ++i) {
            out.part.push_back(int(pp[i]));
            out.group.push_back(int(gp[i]));
        }
    }
    return out;
}

std::vector<std::uint8_t> PartSegmenter::trianglesNamed(const ShapeLatent& latent, const core::Mesh& mesh, const std::vector<std::string>& words,
                                                        std::vector<std::string>* matched, float smoothness) const {
    // A word names the parts of that name and the material groups of that name alike: the
    // library's instructions name groups ("the frame" of a chair is its legs and armrests, "the
    // seat" its seat and backrest), an artist as often a part ("the handle").
    std::set<int> parts, groups;
    for (const std::string& w : words) {
        const std::string s = singularWord(w);
        bool found = false;
        for (std::size_t i = 0; i < m_impl->parts.size(); ++i)
            if (singularWord(m_impl->parts[i]) == s) parts.insert(int(i)), found = true;
        for (std::size_t i = 0; i < m_impl->groups.size(); ++i)
            if (singularWord(m_impl->groups[i]) == s) groups.insert(int(i)), found = true;
        if (found && matched) matched->push_back(w);
    }
    if (parts.empty() && groups.empty()) return {};
    // Each triangle votes with points spread over it, more on large ones (a big panel triangle under
    // a thin band is mostly panel): its centre and up to 23 more, in proportion to its area against
    // the mean (4 on a mean triangle, at least 3, on meshes of up to 1638 triangles).
    const std::size_t tris = mesh.triangleCount();
    std::vector<float> area(tris);
    double total = 0.0;
    for (std::size_t t = 0; t < tris; ++t) {
        const glm::vec3 a = mesh.positions[mesh.indices[3 * t]], b = mesh.positions[mesh.indices[3 * t + 1]], c = mesh.positions[mesh.indices[3 * t + 2]];
        area[t] = 0.5f * glm::length(glm::cross(b - a, c - a));
        total += double(area[t]);
    }
    const double mean = tris > 0 ? total / double(tris) : 0.0;
    // About kLabelPoints points in all: a mesh of many triangles gets fewer extra points a triangle,
    // one of 8192 or more its centres alone (the cut below makes up for the weaker evidence: on
    // 20000-face decoded shells, centres alone find the same regions as 5 points a triangle, in a
    // sixth of the time; bench/results/issue16_edit.md).
    constexpr double kLabelPoints = 8192.0;
    const double perMean = tris > 0 ? std::clamp((kLabelPoints - double(tris)) / double(tris), 0.0, 4.0) : 4.0;
    const int leastExtra = std::min(3, int(perMean));
    std::vector<glm::vec3> points;
    std::vector<std::size_t> first(tris + 1, 0);
    for (std::size_t t = 0; t < tris; ++t) {
        const glm::vec3 a = mesh.positions[mesh.indices[3 * t]], b = mesh.positions[mesh.indices[3 * t + 1]], c = mesh.positions[mesh.indices[3 * t + 2]];
        const int extra = mean > 0.0 ? std::clamp(int(std::lround(perMean * double(area[t]) / mean)), leastExtra, 23) : leastExtra;
        points.push_back(latent.frame.toNormalised((a + b + c) / 3.0f));
        for (int k = 1; k <= extra; ++k) {
            // The R2 low-discrepancy sequence, folded into the triangle.
            float u = std::fmod(0.5f + 0.7548777f * float(k), 1.0f), v = std::fmod(0.5f + 0.5698403f * float(k), 1.0f);
            if (u + v > 1.0f) u = 1.0f - u, v = 1.0f - v;
            points.push_back(latent.frame.toNormalised(a + u * (b - a) + v * (c - a)));
        }
        first[t + 1] = points.size();
    }
    const Labels l = label(latent, points);
    // The share of a triangle's points that say so, pulled towards a half (one point is weak evidence).
    std::vector<float> inside(tris);
    for (std::size_t t = 0; t < tris; ++t) {
        std::size_t votes = 0;
        for (std::size_t k = first[t]; k < first[t + 1]; ++k) votes += parts.count(l.part[k]) || groups.count(l.group[k]);
        inside[t] = (float(votes) + 0.5f) / (float(first[t + 1] - first[t]) + 1.0f);
    }
    // Ridges cost ten times the bend of valleys: parts meet in valleys (36 held-out assets' 109
    // words: IoU 0.841 with both alike, 0.855 so; their decoded shells 0.721 and 0.723).
    return geometry::cutRegion(mesh, inside, {.smoothness = smoothness, .convexity = 0.1f});
}

PartSegmenterTrainResult trainPartSegmenter(const PartSegmenterTrainOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.points < o.pointsPerStep || o.pointsPerStep < 16) throw Error("train part-segmenter: --points must be at least the points per step (16 or more)");
    if (fs::exists(o.out) && !fs::is_empty(o.out) && !o.overwrite) throw Error(o.out.string() + ": folder is not empty (use --force to replace it)");
    const int threads = trainingThreads(o.threads);
    torch::manual_seed(o.seed);
    const ShapeLatentModel ae(o.autoencoder);
    const int tokens = o.tokens > 0 ? o.tokens : ae.tokens();
    ae.requireTokenCount(tokens, "train part-segmenter: --tokens " + std::to_string(tokens));
    const procgen::Dataset ds = procgen::readDataset(o.data);
    std::vector<procgen::DatasetItem> train, val;
    for (const auto& it : ds.items) {
        if (it.split == "train" && int(train.size()) < o.items) train.push_back(it);
        else if (it.split == "val" && int(val.size()) < o.validationItems) val.push_back(it);
    }
    if (train.empty()) throw Error(o.data.string() + ": no training items");
    std::vector<std::string> partWords, groupWords;
    libraryWords(partWords, groupWords);
    std::map<std::string, int> partIndex, groupIndex;
    for (std::size_t i = 0; i < partWords.size(); ++i) partIndex[partWords[i]] = int(i);
    for (std::size_t i = 0; i < groupWords.size(); ++i) groupIndex[groupWords[i]] = int(i);

    // Each asset as editing sees a mesh: built with its textures, encoded by encodeMesh (the same
    // surface samples and token count), and its surface points labelled by the part they lie on.
    struct Example {
        ShapeLatent latent;
        LabelledPoints points;
    };
    const auto prepare = [&](const std::vector<procgen::DatasetItem>& items, std::uint64_t salt, float balance, float from, float to) {
        std::vector<Example> out(items.size());
        std::vector<procgen::ProcAsset> assets(items.size());
        forEachOnWorkers(
            items.size(), threads,
            [&](std::size_t i) {
                assets[i] = procgen::generate(items[i].params, {.textureSize = 128});
                const LatentFrame frame = latentFrame(core::computeBounds(assets[i].mesh));
                out[i].points = labelledPoints(assets[i], frame, o.points, balance, o.seed * 1000003ull + salt + i, partIndex, groupIndex);
            },
            [&](std::size_t i) { return items[i].id; }, {}, "building", "assets", progress, cancel);
        for (std::size_t i = 0; i < items.size(); ++i) {
            cancel.throwIfCancelled();
            out[i].latent = encodeMesh(ae, assets[i].mesh, 8192, false, tokens);
            if (i % 50 == 0)
                progress.report("encoding " + std::to_string(i + 1) + "/" + std::to_string(items.size()), from + (to - from) * float(i + 1) / float(items.size()));
        }
        return out;
    };
    const std::vector<Example> trainSet = prepare(train, 0, o.partBalance, 0.0f, 0.25f);
    const std::vector<Example> valSet = prepare(val, 7777777, 0.0f, 0.25f, 0.3f);  // validation points by area
    PartSegmenterTrainResult result;
    result.items = int(trainSet.size());
    result.validationItems = int(valSet.size());
    result.prepareSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const LatentStatistics& st = ae.statistics();
    const int channels = ae.channels();
    PartNet net(channels, o.width, int(partWords.size()), int(groupWords.size()));
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(o.learningRate).weight_decay(1e-4));
    const auto batchOf = [&](const std::vector<Example>& set, const std::vector<std::int64_t>& which, int pointCount, at::Generator* gen) {
        std::vector<torch::Tensor> v, a, p, lp, lg;
        for (const std::int64_t i : which) {
            const Example& e = set[std::size_t(i)];
            v.push_back(valuesTensor(e.latent, st));
            a.push_back(anchorsTensor(e.latent));
            auto pts = torch::from_blob(const_cast<float*>(e.points.points.data()), {1, o.points, 3}).clone();
            auto part = torch::from_blob(const_cast<std::int64_t*>(e.points.part.data()), {1, o.points}, torch::kLong).clone();
            auto group = torch::from_blob(const_cast<std::int64_t*>(e.points.group.data()), {1, o.points}, torch::kLong).clone();
            if (gen) {
                const auto pick = torch::randperm(o.points, *gen, torch::kLong).slice(0, 0, pointCount);
                pts = pts.index_select(1, pick);
                part = part.index_select(1, pick);
                group = group.index_select(1, pick);
            }
            p.push_back(pts);
            lp.push_back(part);
            lg.push_back(group);
        }
        return std::make_tuple(torch::cat(v), torch::cat(a), torch::cat(p), torch::cat(lp), torch::cat(lg));
    };
    net->train();
    std::vector<float> rates;
    const auto n = std::int64_t(trainSet.size());
    float smoothed = 0.0f;
    for (int step = 0; step < o.steps; ++step) {
        cancel.throwIfCancelled();
        at::Generator gen = stepGenerator(o.seed, step);
        const auto idx = torch::randint(n, {std::min<std::int64_t>(o.batch, n)}, gen, torch::kLong);
        std::vector<std::int64_t> which(std::size_t(idx.size(0)));
        for (std::size_t k = 0; k < which.size(); ++k) which[k] = idx[std::int64_t(k)].item<std::int64_t>();
        auto [v, a, p, lp, lg] = batchOf(trainSet, which, o.pointsPerStep, &gen);
        const double lr = learningRateAt(o.learningRate, 100, o.steps, step);
        for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        opt.zero_grad();
        const auto [part, group] = net->forward(v, a, p);
        const auto loss = torch::cross_entropy_loss(part.reshape({-1, part.size(-1)}), lp.reshape({-1})) +
                          torch::cross_entropy_loss(group.reshape({-1, group.size(-1)}), lg.reshape({-1}));
        loss.backward();
        opt.step();
        const float l = loss.item<float>();
        result.lossCurve.push_back(l);
        rates.push_back(float(lr));
        smoothed = step == 0 ? l : 0.98f * smoothed + 0.02f * l;
        if (step % 20 == 0)
            progress.report("step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) + "  loss " + std::to_string(smoothed),
                            0.3f + 0.65f * float(step + 1) / float(o.steps));
    }
    // Held-out assets: every labelled point.
    net->eval();
    {
        torch::NoGradGuard noGrad;
        double partHits = 0.0, groupHits = 0.0, count = 0.0;
        for (std::size_t i = 0; i < valSet.size(); ++i) {
            auto [v, a, p, lp, lg] = batchOf(valSet, {std::int64_t(i)}, o.points, nullptr);
            const auto [part, group] = net->forward(v, a, p);
            partHits += part.argmax(-1).eq(lp).sum().item<double>();
            groupHits += group.argmax(-1).eq(lg).sum().item<double>();
            count += double(lp.numel());
        }
        if (count > 0.0) result.partAccuracy = partHits / count, result.groupAccuracy = groupHits / count;
    }
    fs::create_directories(o.out);
    saveModuleWeights(*net, o.out / "weights.safetensors", true, {{"slot", "part-segmenter"}});
    result.steps = o.steps;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nlohmann::ordered_json recipe{{"data", o.data.string()},
                                        {"autoencoder", ae.name()},
                                        {"items", result.items},
                                        {"points", o.points},
                                        {"steps", o.steps},
                                        {"batch", o.batch},
                                        {"pointsPerStep", o.pointsPerStep},
                                        {"width", o.width},
                                        {"partBalance", o.partBalance},
                                        {"tokens", tokens},
                                        {"learningRate", o.learningRate},
                                        {"seed", std::to_string(o.seed)},
                                        {"seconds", result.seconds},
                                        {"heldOut", {{"items", result.validationItems}, {"part", result.partAccuracy}, {"group", result.groupAccuracy}}}};
    nlohmann::ordered_json config{{"format", kFormat},
                                  {"width", o.width},
                                  {"tokens", tokens},
                                  {"partWords", partWords},
                                  {"groupWords", groupWords},
                                  {"latent", {{"channels", channels}, {"mean", st.mean}, {"std", st.stdev}}},
                                  {"autoencoder", {{"name", ae.name()}, {"encoderSha256", ae.encoderSha256()}}},
                                  {"recipe", recipe}};
    const std::string text = config.dump(1) + "\n";
    io::writeAtomically(o.out / "config.json", true, [&](const fs::path& tmp) {
        io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    });
    writeLossFiles(o.out, result.lossCurve, rates);
    writeTrainedManifest(o.out, "part-segmenter", o.steps, recipe.dump());
    progress.report("done", 1.0f);
    return result;
}

} // namespace kiln::models
