#include "models/blocks.h"

#include <cmath>

namespace kiln::models {

namespace nn = torch::nn;

namespace {

// softmax(q k^T / sqrt(dh)) v over heads; q: B x H x L x dh, k/v: B x H x S x dh, keep: B x S.
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& keep) {
    auto scores = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(q.size(-1))));
    if (keep.defined()) scores = scores.masked_fill(keep.logical_not().view({keep.size(0), 1, 1, keep.size(1)}), -1e9);
    return torch::matmul(torch::softmax(scores, -1), v);
}

} // namespace

AttentionImpl::AttentionImpl(int width, int heads) : m_heads(heads) {
    m_qkv = register_module("qkv", nn::Linear(width, 3 * width));
    m_out = register_module("out", nn::Linear(width, width));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& keep) {
    const auto b = x.size(0), l = x.size(1), d = x.size(2), dh = d / m_heads;
    const auto qkv = m_qkv->forward(x).view({b, l, 3, m_heads, dh}).permute({2, 0, 3, 1, 4});
    const auto out = attend(qkv[0], qkv[1], qkv[2], keep).transpose(1, 2).reshape({b, l, d});
    return m_out->forward(out);
}

CrossAttentionImpl::CrossAttentionImpl(int width, int contextWidth, int heads) : m_heads(heads) {
    m_q = register_module("q", nn::Linear(width, width));
    m_kv = register_module("kv", nn::Linear(contextWidth, 2 * width));
    m_out = register_module("out", nn::Linear(width, width));
}

torch::Tensor CrossAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& contextKeep) {
    const auto b = x.size(0), l = x.size(1), d = x.size(2), s = context.size(1), dh = d / m_heads;
    const auto q = m_q->forward(x).view({b, l, m_heads, dh}).transpose(1, 2);
    const auto kv = m_kv->forward(context).view({b, s, 2, m_heads, dh}).permute({2, 0, 3, 1, 4});
    const auto out = attend(q, kv[0], kv[1], contextKeep).transpose(1, 2).reshape({b, l, d});
    return m_out->forward(out);
}

TransformerBlockImpl::TransformerBlockImpl(int width, int heads, int mlpRatio) {
    m_norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({width})));
    m_norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({width})));
    m_attn = register_module("attn", Attention(width, heads));
    m_fc1 = register_module("fc1", nn::Linear(width, width * mlpRatio));
    m_fc2 = register_module("fc2", nn::Linear(width * mlpRatio, width));
}

torch::Tensor TransformerBlockImpl::forward(torch::Tensor x, const torch::Tensor& keep) {
    x = x + m_attn->forward(m_norm1->forward(x), keep);
    return x + m_fc2->forward(torch::gelu(m_fc1->forward(m_norm2->forward(x))));
}

CrossBlockImpl::CrossBlockImpl(int width, int contextWidth, int heads, int mlpRatio) {
    m_norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({width})));
    m_normContext = register_module("norm_context", nn::LayerNorm(nn::LayerNormOptions({contextWidth})));
    m_norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({width})));
    m_attn = register_module("attn", CrossAttention(width, contextWidth, heads));
    m_fc1 = register_module("fc1", nn::Linear(width, width * mlpRatio));
    m_fc2 = register_module("fc2", nn::Linear(width * mlpRatio, width));
}

torch::Tensor CrossBlockImpl::forward(torch::Tensor x, const torch::Tensor& context, const torch::Tensor& contextKeep) {
    x = x + m_attn->forward(m_norm1->forward(x), m_normContext->forward(context), contextKeep);
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

torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim) {
    const auto half = dim / 2;
    const auto freqs = torch::exp(torch::arange(half, t.options()) * (-std::log(10000.0) / double(half)));
    const auto angles = (t * 1000.0).unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({torch::sin(angles), torch::cos(angles)}, 1);
}

torch::Tensor fourierFeatures(const torch::Tensor& points, int bands) {
    std::vector<torch::Tensor> parts{points};
    if (bands == 0) return points;
    // sin/cos of the first octave, the rest by the double-angle identities
    // sin 2a = 2 sin a cos a, cos 2a = 1 - 2 sin^2 a: one transcendental pair instead of `bands`.
    auto s = torch::sin(points * M_PI), c = torch::cos(points * M_PI);
    for (int i = 0; i < bands; ++i) {
        parts.push_back(s);
        parts.push_back(c);
        if (i + 1 < bands) {
            auto s2 = 2.0 * s * c;
            c = 1.0 - 2.0 * s * s;
            s = s2;
        }
    }
    return torch::cat(parts, -1);
}

} // namespace kiln::models
