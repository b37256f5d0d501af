#pragma once

// Network building blocks every Kiln generator shares (LibTorch). Only .cpp files of engine/models
// and of the generators include this header: it pulls in <torch/torch.h>.
//
// Transformers are pre-norm (Xiong et al. 2020). Conditioning follows DiT (Peebles & Xie 2023):
// adaLN-Zero modulation from a conditioning vector, each block starting as the identity.

#include <torch/torch.h>

namespace kiln::models {

// Multi-head attention. Self-attention when `context` is the input itself; `keep` masks
// context positions (false = padding, never attended to).
class AttentionImpl : public torch::nn::Module {
public:
    AttentionImpl(int width, int heads);
    // x: B x L x D; keep: B x L bool.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keep);

private:
    int m_heads;
    torch::nn::Linear m_qkv{nullptr}, m_out{nullptr};
};
TORCH_MODULE(Attention);

// Queries from x (B x L x D), keys and values from context (B x S x C); contextKeep: B x S bool or
// an undefined tensor (no padding).
class CrossAttentionImpl : public torch::nn::Module {
public:
    CrossAttentionImpl(int width, int contextWidth, int heads);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& contextKeep = {});

private:
    int m_heads;
    torch::nn::Linear m_q{nullptr}, m_kv{nullptr}, m_out{nullptr};
};
TORCH_MODULE(CrossAttention);

// Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)).
class TransformerBlockImpl : public torch::nn::Module {
public:
    TransformerBlockImpl(int width, int heads, int mlpRatio);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& keep);

private:
    torch::nn::LayerNorm m_norm1{nullptr}, m_norm2{nullptr};
    Attention m_attn{nullptr};
    torch::nn::Linear m_fc1{nullptr}, m_fc2{nullptr};
};
TORCH_MODULE(TransformerBlock);

// Pre-norm cross-attention block: x + xattn(norm(x), context), then x + mlp(norm(x)).
class CrossBlockImpl : public torch::nn::Module {
public:
    CrossBlockImpl(int width, int contextWidth, int heads, int mlpRatio);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& context, const torch::Tensor& contextKeep = {});

private:
    torch::nn::LayerNorm m_norm1{nullptr}, m_normContext{nullptr}, m_norm2{nullptr};
    CrossAttention m_attn{nullptr};
    torch::nn::Linear m_fc1{nullptr}, m_fc2{nullptr};
};
TORCH_MODULE(CrossBlock);

// DiT block with adaLN-Zero: shift/scale/gate of both sub-layers from `cond` (B x D).
class DiTBlockImpl : public torch::nn::Module {
public:
    DiTBlockImpl(int width, int heads, int mlpRatio);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& keep, const torch::Tensor& cond);

private:
    torch::nn::LayerNorm m_norm1{nullptr}, m_norm2{nullptr};
    Attention m_attn{nullptr};
    torch::nn::Linear m_fc1{nullptr}, m_fc2{nullptr}, m_modulation{nullptr};
};
TORCH_MODULE(DiTBlock);

// Sinusoidal embedding of diffusion/flow time t in [0, 1] (B) -> B x dim, with the frequencies of
// Vaswani et al. 2017 applied to t scaled to the usual 0..1000 range.
torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim);

// Fourier positional features of 3D points: the points and sin/cos of pi 2^k points for k < `bands`
// (NeRF, Mildenhall et al. 2020): .. x 3 -> .. x (3 + 6 bands).
torch::Tensor fourierFeatures(const torch::Tensor& points, int bands);

} // namespace kiln::models
