#include "models/shape_autoencoder.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/latent_data.h"

#include <nlohmann/json.hpp>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <tuple>

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
    check(planeResolution >= 4 && planeResolution <= 512, "planeResolution", planeResolution);
    check(planeChannels >= 4 && planeChannels <= 512, "planeChannels", planeChannels);
    check(queryWidth >= 8 && queryWidth <= 1024, "queryWidth", queryWidth);
    check(frequencies >= 0 && frequencies <= 16, "frequencies", frequencies);
    check(appearanceNeighbours >= 0 && appearanceNeighbours <= 64 && appearanceNeighbours <= tokens, "appearanceNeighbours", appearanceNeighbours);
    check(localNeighbours >= 0 && localNeighbours <= 64 && localNeighbours <= tokens, "localNeighbours", localNeighbours);
    check(localWidth >= 4 && localWidth <= 512, "localWidth", localWidth);
    check(fineResolution == 0 || (fineResolution > planeResolution && fineResolution <= 512), "fineResolution", fineResolution);
    check(fineChannels >= 1 && fineChannels <= 256, "fineChannels", fineChannels);
    check(lookKeys >= 0 && lookKeys <= 256 && (lookKeys == 0 || appearanceNeighbours > 0), "lookKeys", lookKeys);
    check(detailTokens == 0 || (detailTokens > tokens && detailTokens <= 4096), "detailTokens", detailTokens);
    if (!(targetThinWall >= 0.0f && targetThinWall <= 0.1f))
        throw Error(what + ": autoencoder training.thinWall " + std::to_string(targetThinWall) + " is out of range (0 to 0.1)");
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

// Octaves of the absolute position a query adds to what it reads from the planes: enough for
// detail inside a texel, too few to stripe the field.
constexpr int kQueryBands = 3;
// Width of a token's splat on the planes, in texels (anchors are ~2-4 texels apart at R = 32).
constexpr double kSplatTexels = 1.5;
// Width of the blend of token appearance around a point (normalised frame; anchors of 128 tokens
// lie ~0.1-0.2 apart on a typical asset).
constexpr double kLookSigma = 0.06;
// The local geometry read: relative positions scaled so a neighbouring anchor (~0.1-0.2 away) is
// ~1, with octaves down to ~0.03 of the frame (about the F-score's 1 % of the diagonal); the
// pooling's distance term is as wide as the appearance blend (the gate learns the rest).
constexpr double kNearScale = 8.0;
constexpr int kNearBands = 4;
// The three planes: which two coordinates each one spans.
constexpr int kPlaneAxes[3][2] = {{0, 1}, {0, 2}, {1, 2}};

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
    const int p = c.planeChannels, r = c.planeResolution, qw = c.queryWidth;
    m_tokenProject = register_module("token_project", nn::Linear(d, p));
    // Planes carry the splatted features and the splat density; three 3x3 convolutions spread them
    // (shared by the three planes).
    const int hidden = std::max(p, 48);
    m_planeNet = register_module("plane_net", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(p + 1, hidden, 3).padding(1)), nn::GELU(),
                                                             nn::Conv2d(nn::Conv2dOptions(hidden, hidden, 3).padding(1)), nn::GELU(),
                                                             nn::Conv2d(nn::Conv2dOptions(hidden, hidden, 3).padding(2).dilation(2)), nn::GELU(),
                                                             nn::Conv2d(nn::Conv2dOptions(hidden, p, 3).padding(1))));
    m_out1 = register_module("out1", nn::Linear(3 * p + featureWidth(kQueryBands), qw));
    m_out2 = register_module("out2", nn::Linear(qw, qw));
    m_out3 = register_module("out3", nn::Linear(qw, 6));
    if (c.appearanceNeighbours > 0) m_look = register_module("look", nn::Linear(d, kAppearanceChannels));
    if (c.localNeighbours > 0) {
        const int l = c.localWidth;
        m_nearFeat = register_module("near_feat", nn::Linear(d, l));
        m_nearRel = register_module("near_rel", nn::Linear(nn::LinearOptions(featureWidth(kNearBands), l).bias(false)));
        m_nearHidden = register_module("near_hidden", nn::Linear(l, l));
        m_nearGate = register_module("near_gate", nn::Linear(l, 1));
        // Starts at zero: a decoder fine-tuned with the local read begins exactly where its source was.
        m_nearOut = register_module("near_out", nn::Linear(l, qw));
        torch::NoGradGuard noGrad;
        m_nearOut->weight.zero_();
        m_nearOut->bias.zero_();
    }
    if (c.lookKeys > 0) {
        // The appearance blend's attention: a key per token, a query per point from the query MLP.
        // The query starts at zero, so the blend starts as the distance weights alone (the source's).
        m_lookKey = register_module("look_key", nn::Linear(d, c.lookKeys));
        m_lookQuery = register_module("look_query", nn::Linear(qw, c.lookKeys));
        torch::NoGradGuard noGrad;
        m_lookQuery->weight.zero_();
        m_lookQuery->bias.zero_();
    }
    if (c.fineResolution > 0) {
        const int fc = c.fineChannels, fh = 32;
        m_fineProject = register_module("fine_project", nn::Linear(d, fc));
        m_fineNet = register_module("fine_net", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(p + fc + 1, fh, 3).padding(1)), nn::GELU(),
                                                               nn::Conv2d(nn::Conv2dOptions(fh, fh, 3).padding(1)), nn::GELU(),
                                                               nn::Conv2d(nn::Conv2dOptions(fh, fc, 3).padding(1))));
        m_fineOut = register_module("fine_out", nn::Linear(3 * fc, qw));
        torch::NoGradGuard noGrad;
        m_fineOut->weight.zero_();
        m_fineOut->bias.zero_();
    }
    auto pixelCentres = [](int n) {
        const auto centres = (torch::arange(n, torch::kFloat) + 0.5) * (2.0 / n) - 1.0;
        const auto grid = torch::meshgrid({centres, centres}, "ij");  // [iy][ix]
        return torch::stack({grid[1].reshape({-1}), grid[0].reshape({-1})}, -1);  // (x, y)
    };
    m_pixelCentres = register_buffer("pixel_centres", pixelCentres(r));
    if (c.fineResolution > 0) m_finePixelCentres = register_buffer("fine_pixel_centres", pixelCentres(c.fineResolution));
}

torch::Tensor ShapeAutoencoderImpl::splatPlanes(const torch::Tensor& anchors, const torch::Tensor& f, const torch::Tensor& centres, int r, double sigma) const {
    const auto b = anchors.size(0);
    const auto p = f.size(-1);
    std::vector<torch::Tensor> planes;
    for (const auto& axes : kPlaneAxes) {
        const auto uv = torch::stack({anchors.select(-1, axes[0]), anchors.select(-1, axes[1])}, -1);  // B x M x 2
        const auto d2 = torch::cdist(centres.unsqueeze(0).expand({b, r * r, 2}), uv).square();  // B x R^2 x M
        const auto w = torch::exp(d2 * (-0.5 / (sigma * sigma)));
        const auto features = torch::bmm(w, f);                       // B x R^2 x P
        const auto density = w.sum(-1, true);                          // B x R^2 x 1
        planes.push_back(torch::cat({features, density}, -1).permute({0, 2, 1}).reshape({b, p + 1, r, r}));
    }
    return torch::stack(planes, 1).reshape({3 * b, p + 1, r, r});
}

ShapeAutoencoderImpl::Encoding ShapeAutoencoderImpl::encode(const torch::Tensor& surface, int tokens) {
    const auto b = surface.size(0), n = surface.size(1);
    const int m = tokens > 0 ? tokens : m_config.tokens, k = std::min<int>(m_config.pointNeighbours, int(n));
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

ShapeAutoencoderImpl::Decoded ShapeAutoencoderImpl::decodeTokens(const torch::Tensor& anchors, const torch::Tensor& latent) {
    auto h = m_latentIn->forward(latent) + m_decoderPos->forward(fourierFeatures(anchors, m_config.frequencies));
    const auto b = latent.size(0);
    const auto keep = torch::ones({b, latent.size(1)}, latent.options().dtype(torch::kBool));
    for (const auto& block : *m_decoderBlocks) h = block->as<TransformerBlock>()->forward(h, keep);
    const auto normed = m_decoderNorm->forward(h);
    const auto f = m_tokenProject->forward(normed);  // B x M x P
    const int r = m_config.planeResolution, p = m_config.planeChannels;
    // The three planes of every shape through the CNN as one batch of 3B images.
    const auto out = m_planeNet->forward(splatPlanes(anchors, f, m_pixelCentres, r, kSplatTexels * 2.0 / r));
    Decoded d;
    d.planes = out.view({b, 3, p, r, r});
    if (m_fineNet) {
        namespace F = torch::nn::functional;
        const int rf = m_config.fineResolution, fc = m_config.fineChannels;
        const auto up = F::interpolate(out, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{rf, rf}).mode(torch::kBilinear).align_corners(false));
        const auto splat = splatPlanes(anchors, m_fineProject->forward(normed), m_finePixelCentres, rf, kSplatTexels * 2.0 / rf);
        d.fine = m_fineNet->forward(torch::cat({up, splat}, 1)).view({b, 3, fc, rf, rf});
    }
    d.anchors = anchors;
    if (m_look) d.look = m_look->forward(normed);
    if (m_lookKey) d.lookKey = m_lookKey->forward(normed);
    if (m_nearFeat) d.local = m_nearFeat->forward(normed);
    return d;
}

torch::Tensor ShapeAutoencoderImpl::query(const Decoded& decoded, const torch::Tensor& points, bool withAppearance) {
    namespace F = torch::nn::functional;
    const auto b = points.size(0), q = points.size(1);
    // The three planes' bilinear reads at the points: B x Q x 3P. Training reads through
    // grid_sample (differentiable); inference through readPlanesBilinear, the same reads from a
    // channels-last copy in one pass over the points (a third of a decode's query time went to
    // six grid_samples and their reshapes).
    const bool differentiable = torch::GradMode::is_enabled() || !points.device().is_cpu() || points.scalar_type() != torch::kFloat;
    auto readPlanes = [&](const torch::Tensor& planes) {
        if (!differentiable) return readPlanesBilinear(planes, points);
        std::vector<torch::Tensor> reads;
        for (int k = 0; k < 3; ++k) {
            const auto grid = torch::stack({points.select(-1, kPlaneAxes[k][0]), points.select(-1, kPlaneAxes[k][1])}, -1).view({b, q, 1, 2});
            const auto sampled = F::grid_sample(planes.select(1, k), grid,
                                                F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
            reads.push_back(sampled.squeeze(-1).permute({0, 2, 1}));  // B x Q x P
        }
        return torch::cat(reads, -1);
    };
    std::vector<torch::Tensor> reads{readPlanes(decoded.planes)};
    reads.push_back(fourierFeatures(points, kQueryBands));
    // The tokens nearest each point, shared by the local geometry read and the appearance blend.
    const int lookK = withAppearance && decoded.look.defined() ? std::min<int>(m_config.appearanceNeighbours, int(decoded.anchors.size(1))) : 0;
    const int nearK = decoded.local.defined() ? std::min<int>(m_config.localNeighbours, int(decoded.anchors.size(1))) : 0;
    torch::Tensor near2, index;
    if (lookK > 0 || nearK > 0) {
        const auto d2 = torch::cdist(points, decoded.anchors).square();  // B x Q x M
        std::tie(near2, index) = d2.topk(std::max(lookK, nearK), -1, false, true);  // B x Q x k, nearest first
    }
    auto pre = m_out1->forward(torch::cat(reads, -1));
    if (decoded.fine.defined()) pre = pre + m_fineOut->forward(readPlanes(decoded.fine));
    if (nearK > 0) {
        // Per (point, token) pair: the token's features and the point's offset from its anchor
        // through one hidden layer; pooled with weights from the distance and a learned gate.
        const auto idx = index.slice(-1, 0, nearK), dist2 = near2.slice(-1, 0, nearK);
        const auto rel = (points.unsqueeze(2) - gatherRows(decoded.anchors, idx)) * kNearScale;  // B x Q x k x 3
        auto h = torch::gelu(gatherRows(decoded.local, idx) + m_nearRel->forward(fourierFeatures(rel, kNearBands)));
        h = torch::gelu(m_nearHidden->forward(h));  // B x Q x k x L
        const auto w = torch::softmax(dist2 * (-0.5 / (kLookSigma * kLookSigma)) + m_nearGate->forward(h).squeeze(-1), -1).unsqueeze(-1);
        pre = pre + m_nearOut->forward((h * w).sum(2));
    }
    auto h = torch::gelu(pre);
    h = torch::gelu(m_out2->forward(h));
    auto out = m_out3->forward(h);
    if (lookK > 0) {
        // Each point's nearest tokens' appearance, weighted by a Gaussian of the distance to their
        // anchors (normalised over the neighbours), added to the planes' appearance logits.
        // With keys, each point's query (from the query MLP: what the planes say is here) adds to the
        // weights, so a point on a red panel can take the panel's tokens' colour over a nearer
        // golden strap's instead of the cell of whichever anchor is nearest.
        const auto idx = index.slice(-1, 0, lookK);
        auto logits = near2.slice(-1, 0, lookK) * (-0.5 / (kLookSigma * kLookSigma));
        if (decoded.lookKey.defined())
            logits = logits + (gatherRows(decoded.lookKey, idx) * m_lookQuery->forward(h).unsqueeze(2)).sum(-1) / std::sqrt(double(m_config.lookKeys));
        const auto w = torch::softmax(logits, -1).unsqueeze(-1);
        const auto look = (gatherRows(decoded.look, idx) * w).sum(2);  // B x Q x 5
        out = torch::cat({out.slice(-1, 0, 1), out.slice(-1, 1) + look}, -1);
    }
    return out;
}

torch::Tensor readPlanesBilinear(const torch::Tensor& planes, const torch::Tensor& points) {
    TORCH_CHECK(planes.dim() == 5 && planes.size(1) == 3 && points.dim() == 3 && points.size(2) == 3 && planes.size(0) == points.size(0),
                "readPlanesBilinear: planes B x 3 x P x R x R and points B x Q x 3");
    const std::int64_t b = planes.size(0), p = planes.size(2), h = planes.size(3), w = planes.size(4), q = points.size(1);
    const auto last = planes.to(torch::kFloat).permute({0, 1, 3, 4, 2}).contiguous();  // B x 3 x R x R x P
    const auto pts = points.to(torch::kFloat).contiguous();
    auto out = torch::empty({b, q, 3 * p}, pts.options());
    const float* src = last.data_ptr<float>();
    const float* xyz = pts.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    at::parallel_for(0, b * q, 2048, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const std::int64_t batch = i / q;
            const float* pt = xyz + i * 3;
            float* row = dst + i * 3 * p;
            for (int k = 0; k < 3; ++k) {
                // grid_sample's unnormalisation with align_corners = false, then border padding
                // (the coordinate clipped to the edge texels' centres).
                const float ix = std::clamp(((pt[kPlaneAxes[k][0]] + 1.0f) * float(w) - 1.0f) * 0.5f, 0.0f, float(w - 1));
                const float iy = std::clamp(((pt[kPlaneAxes[k][1]] + 1.0f) * float(h) - 1.0f) * 0.5f, 0.0f, float(h - 1));
                const std::int64_t x0 = std::int64_t(std::floor(ix)), y0 = std::int64_t(std::floor(iy));
                const std::int64_t x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
                const float fx = ix - float(x0), fy = iy - float(y0);
                const float wNW = (1.0f - fx) * (1.0f - fy), wNE = fx * (1.0f - fy), wSW = (1.0f - fx) * fy, wSE = fx * fy;
                const float* plane = src + (batch * 3 + k) * h * w * p;
                const float* nw = plane + (y0 * w + x0) * p;
                const float* ne = plane + (y0 * w + x1) * p;
                const float* sw = plane + (y1 * w + x0) * p;
                const float* se = plane + (y1 * w + x1) * p;
                float* o = row + k * p;
                for (std::int64_t c = 0; c < p; ++c) o[c] = nw[c] * wNW + ne[c] * wNE + sw[c] * wSW + se[c] * wSE;
            }
        }
    });
    return out;
}

bool ShapeAutoencoderImpl::encoderParameter(const std::string& name) {
    static const char* const kEncoder[] = {"point_in.", "local_in.", "local_out.", "anchor_pos.", "encoder_blocks.", "encoder_norm.", "head."};
    for (const char* prefix : kEncoder)
        if (name.rfind(prefix, 0) == 0) return true;
    return false;
}

torch::Tensor ShapeAutoencoderImpl::appearance(const torch::Tensor& field) { return torch::sigmoid(field.slice(-1, 1, 6)); }

ShapeAutoencoderImpl::FieldLoss ShapeAutoencoderImpl::fieldLoss(const torch::Tensor& field, std::int64_t queries, const torch::Tensor& occupancy,
                                                                const torch::Tensor& look) {
    return {torch::binary_cross_entropy_with_logits(field.slice(1, 0, queries).select(-1, 0), occupancy),
            (appearance(field.slice(1, queries)) - look).abs().mean()};
}

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
    const int version = c.detailTokens > 0 ? 7 : c.lookKeys > 0 ? 6 : c.fineResolution > 0 ? 5 : c.localNeighbours > 0 ? 4 : c.appearanceNeighbours > 0 ? 3 : 2;
    j["version"] = version;
    j["model"] = {{"tokens", c.tokens},         {"channels", c.channels},         {"width", c.width},
                  {"heads", c.heads},           {"encoderLayers", c.encoderLayers}, {"decoderLayers", c.decoderLayers},
                  {"pointNeighbours", c.pointNeighbours}, {"planeResolution", c.planeResolution}, {"planeChannels", c.planeChannels},
                  {"queryWidth", c.queryWidth},
                  {"frequencies", c.frequencies}};
    if (version >= 3) j["model"]["appearanceNeighbours"] = c.appearanceNeighbours;
    if (version >= 4) {
        j["model"]["localNeighbours"] = c.localNeighbours;
        j["model"]["localWidth"] = c.localWidth;
    }
    if (version >= 5) {
        j["model"]["fineResolution"] = c.fineResolution;
        j["model"]["fineChannels"] = c.fineChannels;
    }
    if (version >= 6) j["model"]["lookKeys"] = c.lookKeys;
    if (version >= 7) j["model"]["detailTokens"] = c.detailTokens;
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
        const int version = j.at("version").get<int>();
        if (version < 2 || version > 7) throw Error(path.string() + ": unsupported version " + j.at("version").dump() + " (this Kiln reads versions 2 to 7)");
        const auto& m = j.at("model");
        c.tokens = m.at("tokens");
        c.channels = m.at("channels");
        c.width = m.at("width");
        c.heads = m.at("heads");
        c.encoderLayers = m.at("encoderLayers");
        c.decoderLayers = m.at("decoderLayers");
        c.pointNeighbours = m.at("pointNeighbours");
        c.planeResolution = m.at("planeResolution");
        c.planeChannels = m.at("planeChannels");
        c.queryWidth = m.at("queryWidth");
        c.frequencies = m.at("frequencies");
        c.appearanceNeighbours = version >= 3 ? m.at("appearanceNeighbours").get<int>() : 0;
        c.localNeighbours = version >= 4 ? m.at("localNeighbours").get<int>() : 0;
        c.localWidth = version >= 4 ? m.at("localWidth").get<int>() : c.localWidth;
        c.fineResolution = version >= 5 ? m.at("fineResolution").get<int>() : 0;
        c.fineChannels = version >= 5 ? m.at("fineChannels").get<int>() : c.fineChannels;
        c.lookKeys = version >= 6 ? m.at("lookKeys").get<int>() : 0;
        c.detailTokens = version >= 7 ? m.at("detailTokens").get<int>() : 0;
        c.targetThinWall = j.contains("training") ? j["training"].value("thinWall", 0.0f) : 0.0f;
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
