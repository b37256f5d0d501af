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

TextToShapeImpl::TextToShapeImpl(const ModelConfig& config) : m_config(config) {
    config.validate("text-to-3d");
    const int d = config.width;
    m_wordEmbed = register_module("word_embed", nn::Embedding(config.vocabSize, d));
    m_wordPos = register_parameter("word_pos", torch::randn({config.maxWords, d}) * 0.02);
    m_tokenPos = register_parameter("token_pos", torch::randn({config.parts + 1, d}) * 0.02);
    m_textType = register_parameter("text_type", torch::randn({d}) * 0.02);
    m_textBlocks = register_module("text_blocks", nn::ModuleList());
    for (int i = 0; i < config.textLayers; ++i) m_textBlocks->push_back(models::TransformerBlock(d, config.heads, config.mlpRatio));
    m_textNorm = register_module("text_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
    m_tokenIn = register_module("token_in", nn::Linear(kTokenDim, d));
    m_time1 = register_module("time1", nn::Linear(d, d));
    m_time2 = register_module("time2", nn::Linear(d, d));
    m_pooledIn = register_module("pooled_in", nn::Linear(d, d));
    m_blocks = register_module("blocks", nn::ModuleList());
    for (int i = 0; i < config.layers; ++i) m_blocks->push_back(models::DiTBlock(d, config.heads, config.mlpRatio));
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
    for (const auto& block : *m_textBlocks) x = block->as<models::TransformerBlock>()->forward(x, enc.keep);
    enc.tokens = m_textNorm->forward(x);
    const auto w = enc.keep.to(torch::kFloat).unsqueeze(-1);
    enc.pooled = (enc.tokens * w).sum(1) / w.sum(1).clamp_min(1.0);
    return enc;
}

torch::Tensor TextToShapeImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const TextEncoding& text) {
    const int d = m_config.width;
    const auto temb = m_time2->forward(torch::silu(m_time1->forward(models::timestepEmbedding(t, d))));
    const auto cond = temb + m_pooledIn->forward(text.pooled);

    const auto shape = m_tokenIn->forward(x) + m_tokenPos.unsqueeze(0);
    const auto textTokens = text.tokens + m_textType;
    auto h = torch::cat({textTokens, shape}, 1);
    const auto keep = torch::cat({text.keep, torch::ones({x.size(0), x.size(1)}, x.options().dtype(torch::kBool))}, 1);
    for (const auto& block : *m_blocks) h = block->as<models::DiTBlock>()->forward(h, keep, cond);
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
