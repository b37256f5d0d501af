#include "models/text_to_latent.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>

namespace kiln::models {

namespace nn = torch::nn;

void TextToLatentConfig::validate(const std::string& what) const {
    auto check = [&](bool ok, const char* name, std::int64_t value) {
        if (!ok) throw Error(what + ": model " + name + " " + std::to_string(value) + " is out of range");
    };
    check(width >= 16 && width <= 2048 && width % 2 == 0, "width", width);
    check(heads >= 1 && heads <= 64 && width % heads == 0, "heads", heads);
    check(textLayers >= 1 && textLayers <= 32, "textLayers", textLayers);
    check(layers >= 1 && layers <= 64, "layers", layers);
    check(mlpRatio >= 1 && mlpRatio <= 8, "mlpRatio", mlpRatio);
    check(maxWords >= 2 && maxWords <= 256, "maxWords", maxWords);
    check(tokens >= 1 && tokens <= 4096, "tokens", tokens);
    check(tokenDim >= 4 && tokenDim <= 512, "tokenDim", tokenDim);
    check(vocabSize >= 4 && vocabSize <= 1000000, "vocabSize", vocabSize);
}

TextToLatentImpl::TextToLatentImpl(const TextToLatentConfig& c) : m_config(c) {
    c.validate("text-to-3d");
    const int d = c.width;
    m_wordEmbed = register_module("word_embed", nn::Embedding(c.vocabSize, d));
    m_wordPos = register_parameter("word_pos", torch::randn({c.maxWords, d}) * 0.02);
    m_textType = register_parameter("text_type", torch::randn({d}) * 0.02);
    m_globalType = register_parameter("global_type", torch::randn({d}) * 0.02);
    if (c.ordered) m_tokenPos = register_parameter("token_pos", torch::randn({c.tokens, d}) * 0.02);
    m_textBlocks = register_module("text_blocks", nn::ModuleList());
    for (int i = 0; i < c.textLayers; ++i) m_textBlocks->push_back(TransformerBlock(d, c.heads, c.mlpRatio));
    m_textNorm = register_module("text_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
    m_tokenIn = register_module("token_in", nn::Linear(c.tokenDim, d));
    m_time1 = register_module("time1", nn::Linear(d, d));
    m_time2 = register_module("time2", nn::Linear(d, d));
    m_pooledIn = register_module("pooled_in", nn::Linear(d, d));
    m_blocks = register_module("blocks", nn::ModuleList());
    for (int i = 0; i < c.layers; ++i) m_blocks->push_back(DiTBlock(d, c.heads, c.mlpRatio));
    m_finalNorm = register_module("final_norm", nn::LayerNorm(nn::LayerNormOptions({d}).elementwise_affine(false).eps(1e-6)));
    m_finalModulation = register_module("final_modulation", nn::Linear(d, 2 * d));
    m_out = register_module("out", nn::Linear(d, c.tokenDim));
    torch::NoGradGuard noGrad;
    m_finalModulation->weight.zero_();
    m_finalModulation->bias.zero_();
    m_out->weight.zero_();
    m_out->bias.zero_();
}

TextToLatentImpl::TextEncoding TextToLatentImpl::encodeText(const torch::Tensor& words) {
    const auto l = std::min<std::int64_t>(words.size(1), m_config.maxWords);
    const auto ids = words.slice(1, 0, l);
    return encodeEmbedded(m_wordEmbed->forward(ids) + m_wordPos.slice(0, 0, l).unsqueeze(0), ids.ne(0));
}

TextToLatentImpl::TextEncoding TextToLatentImpl::encodeEmbedded(torch::Tensor x, const torch::Tensor& keep) {
    TextEncoding enc;
    enc.keep = keep;
    for (const auto& block : *m_textBlocks) x = block->as<TransformerBlock>()->forward(x, enc.keep);
    enc.tokens = m_textNorm->forward(x);
    const auto w = enc.keep.to(torch::kFloat).unsqueeze(-1);
    enc.pooled = (enc.tokens * w).sum(1) / w.sum(1).clamp_min(1.0);
    return enc;
}

torch::Tensor TextToLatentImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const TextEncoding& text) {
    const int d = m_config.width;
    const auto temb = m_time2->forward(torch::silu(m_time1->forward(timestepEmbedding(t, d))));
    const auto cond = temb + m_pooledIn->forward(text.pooled);
    auto h = m_tokenIn->forward(x);
    // The last token is the global (size) token: it is told apart by a type embedding.
    const auto n = x.size(1);
    const auto typeRow = torch::zeros({n, d}, h.options());
    h = h + torch::cat({m_tokenPos.defined() ? m_tokenPos.slice(0, 0, n - 1) : typeRow.slice(0, 0, n - 1), m_globalType.unsqueeze(0)}, 0).unsqueeze(0);
    auto seq = torch::cat({text.tokens + m_textType, h}, 1);
    const auto keep = torch::cat({text.keep, torch::ones({x.size(0), n}, x.options().dtype(torch::kBool))}, 1);
    for (const auto& block : *m_blocks) seq = block->as<DiTBlock>()->forward(seq, keep, cond);
    seq = seq.slice(1, text.tokens.size(1));
    const auto m = m_finalModulation->forward(torch::silu(cond)).unsqueeze(1).chunk(2, -1);
    return m_out->forward(m_finalNorm->forward(seq) * (1 + m[1]) + m[0]);
}

torch::Tensor padWordIds(const std::vector<std::vector<std::int64_t>>& words) {
    std::size_t longest = 1;
    for (const auto& w : words) longest = std::max(longest, w.size());
    auto out = torch::zeros({std::int64_t(words.size()), std::int64_t(longest)}, torch::kLong);
    auto acc = out.accessor<std::int64_t, 2>();
    for (std::size_t i = 0; i < words.size(); ++i)
        for (std::size_t j = 0; j < words[i].size(); ++j) acc[std::int64_t(i)][std::int64_t(j)] = words[i][j];
    return out;
}

std::vector<int> mortonOrder(const float* anchors, int count) {
    // 10 bits per axis over [-1.25, 1.25] (anchors of the normalised frame lie within about +-1).
    auto quantise = [](float v) { return std::uint32_t(std::clamp((v + 1.25f) / 2.5f, 0.0f, 1.0f) * 1023.0f + 0.5f); };
    std::vector<std::pair<std::uint32_t, int>> keys(std::size_t(std::max(count, 0)));
    for (int i = 0; i < count; ++i) {
        const std::uint32_t q[3] = {quantise(anchors[i * 3 + 1]), quantise(anchors[i * 3 + 2]), quantise(anchors[i * 3 + 0])};  // y, z, x
        std::uint32_t code = 0;
        for (int bit = 9; bit >= 0; --bit)
            for (int axis = 0; axis < 3; ++axis) code = (code << 1) | ((q[axis] >> bit) & 1u);
        keys[std::size_t(i)] = {code, i};
    }
    std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<int> order;
    order.reserve(keys.size());
    for (const auto& k : keys) order.push_back(k.second);
    return order;
}

std::vector<float> unitTokens(const ShapeLatent& l, const LatentStatistics& st, bool ordered, float logSize, std::vector<int>* orderOut) {
    const int m = l.tokens, c = l.channels, dim = 3 + c;
    std::vector<int> order(static_cast<std::size_t>(m));
    for (int t = 0; t < m; ++t) order[std::size_t(t)] = t;
    if (ordered) order = mortonOrder(l.anchors.data(), m);
    std::vector<float> tokens(std::size_t(m + 1) * std::size_t(dim), 0.0f);
    for (int t = 0; t < m; ++t) {
        const auto src = std::size_t(order[std::size_t(t)]);
        for (int k = 0; k < 3; ++k) tokens[std::size_t(t * dim + k)] = l.anchors[src * 3 + std::size_t(k)] / st.anchorStd;
        for (int ch = 0; ch < c; ++ch)
            tokens[std::size_t(t * dim + 3 + ch)] = (l.values[src * std::size_t(c) + std::size_t(ch)] - st.mean[std::size_t(ch)]) / st.stdev[std::size_t(ch)];
    }
    tokens[std::size_t(m * dim)] = (logSize - st.logSizeMean) / st.logSizeStd;
    if (orderOut) *orderOut = std::move(order);
    return tokens;
}

ShapeLatent latentFromUnitTokens(const float* p, const TextModelFile& mf) {
    const int dim = mf.config.tokenDim;
    ShapeLatent l;
    l.tokens = mf.config.tokens;
    l.channels = dim - 3;
    for (int i = 0; i < l.tokens; ++i) {
        for (int k = 0; k < 3; ++k) l.anchors.push_back(p[i * dim + k] * mf.stats.anchorStd);
        for (int c = 0; c < l.channels; ++c) l.values.push_back(p[i * dim + 3 + c] * mf.stats.stdev[std::size_t(c)] + mf.stats.mean[std::size_t(c)]);
    }
    const float logSize = p[l.tokens * dim] * mf.stats.logSizeStd + mf.stats.logSizeMean;
    l.frame.centre = glm::vec3(0.0f);
    l.frame.scale = kLatentExtent / std::exp(std::clamp(logSize, std::log(0.01f), std::log(20.0f)));
    return l;
}

} // namespace kiln::models
