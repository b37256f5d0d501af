#pragma once

// The generator network (LibTorch). Only engine/textgen .cpp files include this header.
//
// A rectified-flow (flow matching, Lipman et al. 2023; Liu et al. 2023) transformer over shape
// tokens: x_t = (1 - t) x_0 + t eps, the network predicts the velocity eps - x_0. Conditioning as in
// DiT (Peebles & Xie 2023): adaLN-Zero modulation from time + pooled text, plus the text tokens
// in the same attention sequence so every part token can read individual words.
#include "models/blocks.h"
#include "textgen/model_config.h"

#include <torch/torch.h>

namespace kiln::textgen {

class TextToShapeImpl : public torch::nn::Module {
public:
    explicit TextToShapeImpl(const ModelConfig& config);

    struct TextEncoding {
        torch::Tensor tokens;  // B x L x D
        torch::Tensor keep;    // B x L bool
        torch::Tensor pooled;  // B x D
    };
    // words: B x L int64 word ids, 0 = padding; every row has at least one word.
    TextEncoding encodeText(const torch::Tensor& words);
    // x: B x (parts + 1) x kTokenDim noisy tokens at time t (B floats in [0, 1]); returns the velocity.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const TextEncoding& text);

    const ModelConfig& config() const { return m_config; }

private:
    ModelConfig m_config;
    torch::nn::Embedding m_wordEmbed{nullptr};
    torch::Tensor m_wordPos, m_tokenPos, m_textType;
    torch::nn::ModuleList m_textBlocks{nullptr}, m_blocks{nullptr};
    torch::nn::LayerNorm m_textNorm{nullptr}, m_finalNorm{nullptr};
    torch::nn::Linear m_tokenIn{nullptr}, m_time1{nullptr}, m_time2{nullptr}, m_pooledIn{nullptr}, m_finalModulation{nullptr}, m_out{nullptr};
};
TORCH_MODULE(TextToShape);

// Pads word-id lists to one B x L tensor (0 = padding).
torch::Tensor padWords(const std::vector<std::vector<std::int64_t>>& words);

} // namespace kiln::textgen
