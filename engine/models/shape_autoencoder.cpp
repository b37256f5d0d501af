#include "models/shape_autoencoder.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/latent_data.h"

#include <nlohmann/json.hpp>

namespace kiln::models {

namespace nn = torch::nn;

void ShapeAutoencoderConfig::validate(const std::string& what) const {
    auto check = [&](bool ok, const char* name, int value) {
        if (!ok) throw Error(what + ": autoencoder " + name + " " + std::to_string(value) + " is out of range");
    };
    check(tokens >= 8 && tokens <= 4096, "tokens", tokens);
    check(channels >= 1 && channels <= 256, "channels", channels);
    check(width >= 16 && width <= 2048, "width", width);
    check(heads >= 1 && heads <= 64 && width % heads == 0, "heads", heads);
    check(encoderLayers >= 0 && encoderLayers <= 32, "encoderLayers", encoderLayers);
    check(decoderLayers >= 0 && decoderLayers <= 32, "decoderLayers", decoderLayers);
    check(pointNeighbours >= 1 && pointNeighbours <= 256, "pointNeighbours", pointNeighbours);
    check(queryNeighbours >= 1 && queryNeighbours <= tokens, "queryNeighbours", queryNeighbours);
    check(queryWidth >= 8 && queryWidth <= 1024, "queryWidth", queryWidth);
    check(frequencies >= 0 && frequencies <= 16, "frequencies", frequencies);
}

torch::Tensor farthestPointSample(const torch::Tensor& points, int count) {
    torch::NoGradGuard noGrad;
    const auto p = points.to(torch::kFloat).contiguous();
    const std::int64_t n = p.size(0);
    if (count > n) throw Error("farthest point sampling: " + std::to_string(count) + " of " + std::to_string(n) + " points");
    const auto acc = p.accessor<float, 2>();
    std::vector<float> dist(std::size_t(n), 1e30f);
    auto out = torch::empty({count}, torch::kLong);
    auto o = out.accessor<std::int64_t, 1>();
    float cx = 0, cy = 0, cz = 0;
    for (std::int64_t i = 0; i < n; ++i) cx += acc[i][0], cy += acc[i][1], cz += acc[i][2];
    cx /= float(n), cy /= float(n), cz /= float(n);
    std::int64_t current = 0;
    float best = -1.0f;
    for (std::int64_t i = 0; i < n; ++i) {
        const float d = (acc[i][0] - cx) * (acc[i][0] - cx) + (acc[i][1] - cy) * (acc[i][1] - cy) + (acc[i][2] - cz) * (acc[i][2] - cz);
        if (d > best) best = d, current = i;
    }
    for (int k = 0; k < count; ++k) {
        o[k] = current;
        const float x = acc[current][0], y = acc[current][1], z = acc[current][2];
        std::int64_t next = 0;
        float far = -1.0f;
        for (std::int64_t i = 0; i < n; ++i) {
            const float d = (acc[i][0] - x) * (acc[i][0] - x) + (acc[i][1] - y) * (acc[i][1] - y) + (acc[i][2] - z) * (acc[i][2] - z);
            float& di = dist[std::size_t(i)];
            if (d < di) di = d;
            if (di > far) far = di, next = i;
        }
        current = next;
    }
    return out;
}

namespace {

int featureWidth(int frequencies) { return 3 + 6 * frequencies; }

// Octaves of the relative position a query reads from a token (coarser than the anchors' own).
constexpr int kRelativeBands = 4;

// Gathers rows of `values` (B x M x D) by `index` (B x Q x K) -> B x Q x K x D.
torch::Tensor gatherRows(const torch::Tensor& values, const torch::Tensor& index) {
    const auto b = values.size(0), m = values.size(1), d = values.size(2), q = index.size(1), k = index.size(2);
    const auto flat = (index + torch::arange(b, index.options()).view({b, 1, 1}) * m).reshape({-1});
    return values.reshape({b * m, d}).index_select(0, flat).view({b, q, k, d});
}

} // namespace

ShapeAutoencoderImpl::ShapeAutoencoderImpl(const ShapeAutoencoderConfig& c) : m_config(c) {
    c.validate("shape-autoencoder");
    const int d = c.width, pe = featureWidth(c.frequencies);
    m_pointIn = register_module("point_in", nn::Linear(kSurfaceFeatures - 3 + pe, d));
    m_localIn = register_module("local_in", nn::Linear(nn::LinearOptions(pe, d).bias(false)));
    m_localOut = register_module("local_out", nn::Linear(d, d));
    m_anchorPos = register_module("anchor_pos", nn::Linear(pe, d));
    m_encoderBlocks = register_module("encoder_blocks", nn::ModuleList());
    for (int i = 0; i < c.encoderLayers; ++i) m_encoderBlocks->push_back(TransformerBlock(d, c.heads, 4));
    m_encoderNorm = register_module("encoder_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
    m_head = register_module("head", nn::Linear(d, 2 * c.channels));
    m_latentIn = register_module("latent_in", nn::Linear(c.channels, d));
    m_decoderPos = register_module("decoder_pos", nn::Linear(pe, d));
    m_decoderBlocks = register_module("decoder_blocks", nn::ModuleList());
    for (int i = 0; i < c.decoderLayers; ++i) m_decoderBlocks->push_back(TransformerBlock(d, c.heads, 4));
    m_decoderNorm = register_module("decoder_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
    const int qw = c.queryWidth, rel = featureWidth(kRelativeBands);
    m_tokenProject = register_module("token_project", nn::Linear(d, qw));
    m_query1 = register_module("query1", nn::Linear(nn::LinearOptions(rel, qw).bias(false)));
    m_query2 = register_module("query2", nn::Linear(qw, qw));
    m_queryWeight = register_module("query_weight", nn::Linear(qw, 1));
    m_out1 = register_module("out1", nn::Linear(qw, qw));
    m_out2 = register_module("out2", nn::Linear(qw, 6));
    // Neighbours further away count less: a learned sharpness of exp(-s |q - a|^2).
    m_distanceScale = register_parameter("distance_scale", torch::full({1}, 4.0f));
}

ShapeAutoencoderImpl::Encoding ShapeAutoencoderImpl::encode(const torch::Tensor& surface) {
    const auto b = surface.size(0), n = surface.size(1);
    const int m = m_config.tokens, k = std::min<int>(m_config.pointNeighbours, int(n));
    if (n < m) throw Error("shape autoencoder: needs at least " + std::to_string(m) + " surface samples, got " + std::to_string(n));
    const auto positions = surface.slice(2, 0, 3);
    std::vector<torch::Tensor> anchorIdx;
    for (std::int64_t i = 0; i < b; ++i) anchorIdx.push_back(farthestPointSample(positions[i].detach().cpu(), m).to(surface.device()));
    const auto idx = torch::stack(anchorIdx);  // B x M
    const auto anchors = torch::gather(positions, 1, idx.unsqueeze(-1).expand({b, m, 3}));
    // Point features: appearance and normal with the position's Fourier features.
    const auto pointFeatures = m_pointIn->forward(torch::cat({fourierFeatures(positions, m_config.frequencies), surface.slice(2, 3)}, -1));
    // Each anchor's k nearest samples, relative positions, a shared MLP, max-pooled (PointNet).
    const auto dist = torch::cdist(anchors, positions);  // B x M x N
    const auto near = std::get<1>(dist.topk(k, -1, false, true));  // B x M x k
    const auto neighbourFeatures = gatherRows(pointFeatures, near);  // B x M x k x D
    const auto neighbourPos = gatherRows(positions, near);           // B x M x k x 3
    const auto rel = (neighbourPos - anchors.unsqueeze(2)) * 8.0;   // local scale: ~0.1 of the frame -> ~1
    // One layer on (point feature + relative position), max over the neighbours, one more layer:
    // the point's own part of the first layer is computed once per point, not once per pair.
    auto h = torch::gelu(neighbourFeatures + m_localIn->forward(fourierFeatures(rel, m_config.frequencies))).amax(2);
    h = m_localOut->forward(h);  // B x M x D
    h = h + m_anchorPos->forward(fourierFeatures(anchors, m_config.frequencies));
    const auto keep = torch::ones({b, m}, surface.options().dtype(torch::kBool));
    for (const auto& block : *m_encoderBlocks) h = block->as<TransformerBlock>()->forward(h, keep);
    const auto stats = m_head->forward(m_encoderNorm->forward(h)).chunk(2, -1);
    return {anchors, stats[0], stats[1].clamp(-12.0, 6.0)};
}

torch::Tensor ShapeAutoencoderImpl::decodeTokens(const torch::Tensor& anchors, const torch::Tensor& latent) {
    auto h = m_latentIn->forward(latent) + m_decoderPos->forward(fourierFeatures(anchors, m_config.frequencies));
    const auto keep = torch::ones({latent.size(0), latent.size(1)}, latent.options().dtype(torch::kBool));
    for (const auto& block : *m_decoderBlocks) h = block->as<TransformerBlock>()->forward(h, keep);
    return m_tokenProject->forward(m_decoderNorm->forward(h));  // the tokens' part of the query's first layer
}

torch::Tensor ShapeAutoencoderImpl::query(const torch::Tensor& tokens, const torch::Tensor& anchors, const torch::Tensor& points) {
    const int k = m_config.queryNeighbours;
    const auto d2 = torch::cdist(points, anchors).square();  // B x Q x M
    const auto nearest = d2.topk(k, -1, false, true);
    const auto nd2 = std::get<0>(nearest), idx = std::get<1>(nearest);  // B x Q x K
    const auto feats = gatherRows(tokens, idx);                          // B x Q x K x W
    const auto rel = (points.unsqueeze(2) - gatherRows(anchors, idx)) * 8.0;
    // Two layers on (token feature, relative position); the token's part of the first was
    // computed once per token. Only relative positions enter: the field near a token depends on
    // where the point is from the token, never on where it is in the frame (absolute positions at
    // high frequency made the field striped).
    auto h = torch::gelu(feats + m_query1->forward(fourierFeatures(rel, kRelativeBands)));
    h = torch::gelu(m_query2->forward(h));
    // Softmax over the K neighbours: learned relevance minus distance.
    const auto logits = m_queryWeight->forward(h).squeeze(-1) - torch::nn::functional::softplus(m_distanceScale) * nd2 * 64.0;
    const auto w = torch::softmax(logits, -1).unsqueeze(-1);
    const auto pooled = (w * h).sum(2);  // B x Q x W
    const auto out = m_out2->forward(torch::gelu(m_out1->forward(pooled)));
    return out;
}

torch::Tensor ShapeAutoencoderImpl::appearance(const torch::Tensor& field) { return torch::sigmoid(field.slice(-1, 1, 6)); }

} // namespace kiln::models

namespace kiln::models {

LatentStatistics latentStatistics(ShapeAutoencoderImpl& model, const std::vector<ShapeSample>& samples) {
    torch::NoGradGuard noGrad;
    const bool wasTraining = model.is_training();
    model.eval();
    const int c = model.config().channels;
    std::vector<torch::Tensor> latents, anchors;
    std::vector<float> logSizes;
    const std::size_t limit = std::min<std::size_t>(samples.size(), 512);
    for (std::size_t i = 0; i < limit; i += 16) {
        std::vector<torch::Tensor> surface;
        for (std::size_t j = i; j < std::min(limit, i + 16); ++j) {
            const auto& s = samples[j];
            surface.push_back(torch::from_blob(const_cast<float*>(s.surface.data()), {std::int64_t(s.surface.size() / kSurfaceFeatures), kSurfaceFeatures}).clone());
            logSizes.push_back(s.logSize);
        }
        const auto enc = model.encode(torch::stack(surface));
        latents.push_back(enc.mean.reshape({-1, c}));
        anchors.push_back(enc.anchors.reshape({-1, 3}));
    }
    if (wasTraining) model.train();
    LatentStatistics st;
    if (latents.empty()) {
        st.mean.assign(std::size_t(c), 0.0f);
        st.stdev.assign(std::size_t(c), 1.0f);
        return st;
    }
    const auto all = torch::cat(latents), a = torch::cat(anchors);
    const auto mean = all.mean(0), stdev = all.std(0).clamp_min(1e-4);
    st.mean.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + c);
    st.stdev.assign(stdev.data_ptr<float>(), stdev.data_ptr<float>() + c);
    st.anchorStd = a.std().item<float>();
    const auto ls = torch::tensor(logSizes);
    st.logSizeMean = ls.mean().item<float>();
    st.logSizeStd = logSizes.size() > 1 ? std::max(1e-3f, ls.std().item<float>()) : 1.0f;
    return st;
}

void writeShapeAutoencoderConfig(const std::filesystem::path& path, const ShapeAutoencoderConfig& c, const LatentStatistics& s,
                                 const std::string& recipeJson) {
    nlohmann::ordered_json j;
    j["format"] = "kiln-shape-autoencoder";
    j["version"] = 1;
    j["model"] = {{"tokens", c.tokens},         {"channels", c.channels},         {"width", c.width},
                  {"heads", c.heads},           {"encoderLayers", c.encoderLayers}, {"decoderLayers", c.decoderLayers},
                  {"pointNeighbours", c.pointNeighbours}, {"queryNeighbours", c.queryNeighbours}, {"queryWidth", c.queryWidth},
                  {"frequencies", c.frequencies}};
    j["latent"] = {{"mean", s.mean}, {"std", s.stdev}, {"anchorStd", s.anchorStd}, {"logSizeMean", s.logSizeMean}, {"logSizeStd", s.logSizeStd}};
    j["extent"] = kLatentExtent;
    j["training"] = nlohmann::ordered_json::parse(recipeJson);
    const std::string text = j.dump(1) + "\n";
    io::writeAtomically(path, true, [&](const std::filesystem::path& tmp) {
        io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    });
}

void readShapeAutoencoderConfig(const std::filesystem::path& path, ShapeAutoencoderConfig& c, LatentStatistics& s) {
    if (!std::filesystem::is_regular_file(path)) throw Error(path.string() + ": missing (not a shape-autoencoder model folder)");
    const auto bytes = io::readFileBytes(path);
    try {
        const auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
        if (j.at("format").get<std::string>() != "kiln-shape-autoencoder") throw Error(path.string() + ": format is not kiln-shape-autoencoder");
        if (j.at("version").get<int>() != 1) throw Error(path.string() + ": unsupported version " + j.at("version").dump());
        const auto& m = j.at("model");
        c.tokens = m.at("tokens");
        c.channels = m.at("channels");
        c.width = m.at("width");
        c.heads = m.at("heads");
        c.encoderLayers = m.at("encoderLayers");
        c.decoderLayers = m.at("decoderLayers");
        c.pointNeighbours = m.at("pointNeighbours");
        c.queryNeighbours = m.at("queryNeighbours");
        c.queryWidth = m.at("queryWidth");
        c.frequencies = m.at("frequencies");
        const auto& l = j.at("latent");
        s.mean = l.at("mean").get<std::vector<float>>();
        s.stdev = l.at("std").get<std::vector<float>>();
        s.anchorStd = l.at("anchorStd");
        s.logSizeMean = l.at("logSizeMean");
        s.logSizeStd = l.at("logSizeStd");
    } catch (const nlohmann::json::exception& e) {
        throw Error(path.string() + ": malformed model config (" + e.what() + ")");
    }
    c.validate(path.string());
    if (s.mean.size() != std::size_t(c.channels) || s.stdev.size() != std::size_t(c.channels))
        throw Error(path.string() + ": latent statistics do not match the channel count");
}

} // namespace kiln::models
