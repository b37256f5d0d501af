#pragma once

// Text -> latent: a rectified-flow transformer over the shared latent's tokens, conditioned on a
// prompt (DiT, Peebles & Xie 2023: adaLN-Zero from time + pooled text; the text's word tokens
// join the attention sequence so every latent token can read individual words). The latent
// tokens are either a set (no position: the model is permutation-equivariant over them) or, in
// ordered models, sorted along a Morton curve of their anchors with a learned embedding per index,
// which tells the model which region of the object each token usually covers. One extra "global" token carries the asset's real size. Includes <torch/torch.h>.

#include "models/blocks.h"
#include "models/text_model_file.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::models {

class TextToLatentImpl : public torch::nn::Module {
public:
    explicit TextToLatentImpl(const TextToLatentConfig& config);

    struct TextEncoding {
        torch::Tensor tokens;  // B x L x W
        torch::Tensor keep;    // B x L bool
        torch::Tensor pooled;  // B x W
    };
    // words: B x L word ids (0 = padding); every row has at least one id.
    TextEncoding encodeText(const torch::Tensor& words);
    // Any condition as a sequence the text's blocks read (B x L x width, already position-
    // embedded) with its keep mask (B x L bool): how the image model feeds the same flow.
    TextEncoding encodeEmbedded(torch::Tensor x, const torch::Tensor& keep);
    // x: B x (tokens + 1) x tokenDim at time t (B, in [0, 1]); returns the velocity.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const TextEncoding& text);

    const TextToLatentConfig& config() const { return m_config; }

private:
    TextToLatentConfig m_config;
    torch::nn::Embedding m_wordEmbed{nullptr};
    torch::Tensor m_wordPos, m_textType, m_globalType, m_tokenPos;
    torch::nn::ModuleList m_textBlocks{nullptr}, m_blocks{nullptr};
    torch::nn::LayerNorm m_textNorm{nullptr}, m_finalNorm{nullptr};
    torch::nn::Linear m_tokenIn{nullptr}, m_time1{nullptr}, m_time2{nullptr}, m_pooledIn{nullptr}, m_finalModulation{nullptr}, m_out{nullptr};
};
TORCH_MODULE(TextToLatent);

// Pads word-id lists to one B x L tensor (0 = padding).
torch::Tensor padWordIds(const std::vector<std::vector<std::int64_t>>& words);

// The order ordered models keep their tokens in: indices of `anchors` (M x 3, normalised frame)
// along a Morton curve, y (up) the most significant axis. Ties keep their original order.
std::vector<int> mortonOrder(const float* anchors, int count);

// A latent as the text model's unit-scale tokens, (tokens + 1) x (3 + channels) floats: row t is
// the latent's token order[t] (mortonOrder for ordered models, else 0, 1, ...), anchors divided by
// stats.anchorStd and channels standardised; the last row holds the standardised log of the
// asset's largest side (metres) in its first column, zeros elsewhere. `order` receives the order.
std::vector<float> unitTokens(const ShapeLatent& latent, const LatentStatistics& stats, bool ordered, float logSize, std::vector<int>* order = nullptr);

// The inverse of unitTokens for a model file's statistics: (tokens + 1) x tokenDim unit-scale
// floats back to the autoencoder's latent, its frame centred at the origin and scaled to the size
// the last row holds (clamped to 1 cm .. 20 m).
ShapeLatent latentFromUnitTokens(const float* tokens, const TextModelFile& model);

} // namespace kiln::models
