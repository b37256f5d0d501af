#pragma once

// Image -> latent: the text-to-latent flow (text_to_latent.h) conditioned on framed photos
// (image_views.h) instead of words. A small convolutional stem turns each view into a grid of
// tokens (GRM/VFusion3D read pixels the same way, one token per patch), each with a learned
// position and a view embedding; the views' tokens are concatenated and read by the flow's
// condition blocks, so every latent token attends to every patch of every photo (cross-attention
// by joint attention, as the text model reads words). The unconditional branch of classifier-free
// guidance is the text model's own empty prompt, so a flow trained on text starts the image model.
// Includes <torch/torch.h>.

#include "models/text_model_file.h"
#include "models/text_to_latent.h"

#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace kiln::models {

struct ImageToLatentConfig {
    int imageSize = 64;    // framed views are imageSize^2 (multiple of 8)
    int maxViews = 4;      // photos read jointly
    int stemWidth = 64;    // the stem's first feature width (then 2x, 4x)

    int tokensPerView() const { return (imageSize / 8) * (imageSize / 8); }
    void validate(const std::string& what) const;
};

// An image-to-3d model folder: config.json (this), flow.json (the flow's text-model config: its
// architecture, latent statistics, autoencoder, sampler settings), weights.safetensors, manifest.
struct ImageModelFile {
    ImageToLatentConfig image;
    TextModelFile flow;
    std::string trainingJson = "{}";
};
ImageModelFile readImageModelFile(const std::filesystem::path& dir);
void writeImageModelConfig(const ImageModelFile& model, const std::filesystem::path& dir);

class ImageToLatentImpl : public torch::nn::Module {
public:
    ImageToLatentImpl(const TextToLatentConfig& flow, const ImageToLatentConfig& image);

    // views: B x V x 4 x S x S (framed RGB over grey + alpha, 0..1), V <= maxViews; keep: B x V bool
    // (a view left out where false; every row keeps at least one).
    TextToLatentImpl::TextEncoding encodeViews(const torch::Tensor& views, const torch::Tensor& keep);
    // `condition` with the rows where `drop` (B bool) is set replaced by the unconditional branch
    // (the empty prompt: its one token first, the rest masked out): classifier-free guidance's
    // condition dropout in training and its unconditional row in sampling.
    TextToLatentImpl::TextEncoding withEmptyWhere(TextToLatentImpl::TextEncoding condition, const torch::Tensor& drop);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const TextToLatentImpl::TextEncoding& condition);

    TextToLatent& flow() { return m_flow; }
    const ImageToLatentConfig& config() const { return m_config; }

private:
    ImageToLatentConfig m_config;
    TextToLatent m_flow{nullptr};
    torch::nn::Sequential m_stem{nullptr};
    torch::Tensor m_patchPos, m_viewEmbed;
};
TORCH_MODULE(ImageToLatent);

// Framed views (image_views.h FramedView images, F32 4 channels) as one item's V x 4 x S x S tensor.
torch::Tensor viewsTensor(const std::vector<const core::Image*>& views, int size);

} // namespace kiln::models
