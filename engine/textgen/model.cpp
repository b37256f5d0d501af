#include "textgen/model.h"

#include "core/error.h"
#include "textgen/shape_tokens.h"

#include <cmath>

namespace kiln::textgen {

namespace nn = torch::nn;

void ModelConfig::validate(const std::string& what) const {
    auto check = [&](bool ok, const char* name, int value) {
        if (!ok) throw Error(what + ": model " + name + " " + std::to_string(value) + " is out of range");
    };
    check(width >= 16 && width <= 2048, "width", width);
    check(heads >= 1 && heads <= 64 && width % heads == 0, "heads", heads);
    check(textLayers >= 1 && textLayers <= 32, "textLayers", textLayers);
    check(layers >= 1 && layers <= 64, "layers", layers);
    check(mlpRatio >= 1 && mlpRatio <= 8, "mlpRatio", mlpRatio);
    check(maxWords >= 2 && maxWords <= 256, "maxWords", maxWords);
    check(parts == 8 || parts == 27 || parts == 64 || parts == 125 || parts == 216, "parts", parts);
    if (vocabSize < 4 || vocabSize > 1000000) throw Error(what + ": model vocabulary size " + std::to_string(vocabSize) + " is out of range");
}

AttentionImpl::AttentionImpl(int width, int heads) : m_heads(heads) {
    m_qkv = register_module("qkv", nn::Linear(width, 3 * width));
    m_out = register_module("out", nn::Linear(width, width));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& keep) {
    const auto b = x.size(0), l = x.size(1), d = x.size(2), dh = d / m_heads;
    const auto qkv = m_qkv->forward(x).view({b, l, 3, m_heads, dh}).permute({2, 0, 3, 1, 4});
    const auto q = qkv[0], k = qkv[1], v = qkv[2];
    auto scores = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(dh)));
    scores = scores.masked_fill(keep.logical_not().view({b, 1, 1, l}), -1e9);
    const auto out = torch::matmul(torch::softmax(scores, -1), v).transpose(1, 2).reshape({b, l, d});
    return m_out->forward(out);
}

TextBlockImpl::TextBlockImpl(int width, int heads, int mlpRatio) {
    m_norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({width})));
    m_norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({width})));
    m_attn = register_module("attn", Attention(width, heads));
    m_fc1 = register_module("fc1", nn::Linear(width, width * mlpRatio));
    m_fc2 = register_module("fc2", nn::Linear(width * mlpRatio, width));
}

torch::Tensor TextBlockImpl::forward(torch::Tensor x, const torch::Tensor& keep) {
    x = x + m_attn->forward(m_norm1->forward(x), keep);
    return x + m_fc2->forward(torch::gelu(m_fc1->forward(m_norm2->forward(x))));
}

DiTBlockImpl::DiTBlockImpl(int width, int heads, int mlpRatio) {
    m_norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({width}).elementwise_affine(false).eps(1e-6)));
    m_norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({width}).elementwise_affine(false).eps(1e-6)));
    m_attn = register_module("attn", Attention(width, heads));
    m_fc1 = register_module("fc1", nn::Linear(width, width * mlpRatio));
    m_fc2 = register_module("fc2", nn::Linear(width * mlpRatio, width));
    m_modulation = register_module("modulation", nn::Linear(width, 6 * width));
    // adaLN-Zero: every block starts as the identity.
    torch::NoGradGuard noGrad;
    m_modulation->weight.zero_();
    m_modulation->bias.zero_();
}

torch::Tensor DiTBlockImpl::forward(torch::Tensor x, const torch::Tensor& keep, const torch::Tensor& cond) {
    const auto m = m_modulation->forward(torch::silu(cond)).unsqueeze(1).chunk(6, -1);
    const auto h1 = m_norm1->forward(x) * (1 + m[1]) + m[0];
    x = x + m[2] * m_attn->forward(h1, keep);
    const auto h2 = m_norm2->forward(x) * (1 + m[4]) + m[3];
    return x + m[5] * m_fc2->forward(torch::gelu(m_fc1->forward(h2)));
}

TextToShapeImpl::TextToShapeImpl(const ModelConfig& config) : m_config(config) {
    config.validate("text-to-3d");
    const int d = config.width;
    m_wordEmbed = register_module("word_embed", nn::Embedding(config.vocabSize, d));
    m_wordPos = register_parameter("word_pos", torch::randn({config.maxWords, d}) * 0.02);
    m_tokenPos = register_parameter("token_pos", torch::randn({config.parts + 1, d}) * 0.02);
    m_textType = register_parameter("text_type", torch::randn({d}) * 0.02);
    m_textBlocks = register_module("text_blocks", nn::ModuleList());
    for (int i = 0; i < config.textLayers; ++i) m_textBlocks->push_back(TextBlock(d, config.heads, config.mlpRatio));
    m_textNorm = register_module("text_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
    m_tokenIn = register_module("token_in", nn::Linear(kTokenDim, d));
    m_time1 = register_module("time1", nn::Linear(d, d));
    m_time2 = register_module("time2", nn::Linear(d, d));
    m_pooledIn = register_module("pooled_in", nn::Linear(d, d));
    m_blocks = register_module("blocks", nn::ModuleList());
    for (int i = 0; i < config.layers; ++i) m_blocks->push_back(DiTBlock(d, config.heads, config.mlpRatio));
    m_finalNorm = register_module("final_norm", nn::LayerNorm(nn::LayerNormOptions({d}).elementwise_affine(false).eps(1e-6)));
    m_finalModulation = register_module("final_modulation", nn::Linear(d, 2 * d));
    m_out = register_module("out", nn::Linear(d, kTokenDim));
    torch::NoGradGuard noGrad;
    m_finalModulation->weight.zero_();
    m_finalModulation->bias.zero_();
    m_out->weight.zero_();
    m_out->bias.zero_();
}

TextToShapeImpl::TextEncoding TextToShapeImpl::encodeText(const torch::Tensor& words) {
    const auto l = std::min<std::int64_t>(words.size(1), m_config.maxWords);
    const auto ids = words.slice(1, 0, l);
    TextEncoding enc;
    enc.keep = ids.ne(0);
    auto x = m_wordEmbed->forward(ids) + m_wordPos.slice(0, 0, l).unsqueeze(0);
    for (const auto& block : *m_textBlocks) x = block->as<TextBlock>()->forward(x, enc.keep);
    enc.tokens = m_textNorm->forward(x);
    const auto w = enc.keep.to(torch::kFloat).unsqueeze(-1);
    enc.pooled = (enc.tokens * w).sum(1) / w.sum(1).clamp_min(1.0);
    return enc;
}

torch::Tensor TextToShapeImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const TextEncoding& text) {
    const int d = m_config.width;
    // Sinusoidal embedding of t (Vaswani et al. 2017 frequencies), scaled to the usual 0..1000 range.
    const auto half = d / 2;
    const auto freqs = torch::exp(torch::arange(half, t.options()) * (-std::log(10000.0) / double(half)));
    const auto angles = (t * 1000.0).unsqueeze(1) * freqs.unsqueeze(0);
    const auto temb = m_time2->forward(torch::silu(m_time1->forward(torch::cat({torch::sin(angles), torch::cos(angles)}, 1))));
    const auto cond = temb + m_pooledIn->forward(text.pooled);

    const auto shape = m_tokenIn->forward(x) + m_tokenPos.unsqueeze(0);
    const auto textTokens = text.tokens + m_textType;
    auto h = torch::cat({textTokens, shape}, 1);
    const auto keep = torch::cat({text.keep, torch::ones({x.size(0), x.size(1)}, x.options().dtype(torch::kBool))}, 1);
    for (const auto& block : *m_blocks) h = block->as<DiTBlock>()->forward(h, keep, cond);
    h = h.slice(1, text.tokens.size(1));
    const auto m = m_finalModulation->forward(torch::silu(cond)).unsqueeze(1).chunk(2, -1);
    return m_out->forward(m_finalNorm->forward(h) * (1 + m[1]) + m[0]);
}

torch::Tensor padWords(const std::vector<std::vector<std::int64_t>>& words) {
    std::size_t longest = 1;
    for (const auto& w : words) longest = std::max(longest, w.size());
    auto out = torch::zeros({std::int64_t(words.size()), std::int64_t(longest)}, torch::kLong);
    auto acc = out.accessor<std::int64_t, 2>();
    for (std::size_t i = 0; i < words.size(); ++i)
        for (std::size_t j = 0; j < words[i].size(); ++j) acc[std::int64_t(i)][std::int64_t(j)] = words[i][j];
    return out;
}

} // namespace kiln::textgen
