#include "models/image_to_latent.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/tokenizer.h"

#include <nlohmann/json.hpp>

namespace kiln::models {

namespace nn = torch::nn;

void ImageToLatentConfig::validate(const std::string& what) const {
    if (imageSize < 16 || imageSize > 512 || imageSize % 8 != 0) throw Error(what + ": image size " + std::to_string(imageSize) + " is out of range");
    if (maxViews < 1 || maxViews > 8) throw Error(what + ": maxViews " + std::to_string(maxViews) + " is out of range");
    if (stemWidth < 8 || stemWidth > 512) throw Error(what + ": stemWidth " + std::to_string(stemWidth) + " is out of range");
}

ImageModelFile readImageModelFile(const std::filesystem::path& dir) {
    const auto path = dir / "config.json";
    if (!std::filesystem::is_directory(dir)) throw Error(dir.string() + ": no such model folder");
    if (!std::filesystem::is_regular_file(path)) throw Error(path.string() + ": missing (not a Kiln image-to-3d model)");
    ImageModelFile m;
    try {
        const auto bytes = io::readFileBytes(path);
        const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end());
        if (doc.at("format").get<std::string>() != "kiln-image-to-latent") throw Error(path.string() + ": format is not kiln-image-to-latent");
        if (doc.at("version").get<int>() != 1) throw Error(path.string() + ": unsupported version " + doc.at("version").dump());
        const auto& a = doc.at("image");
        m.image.imageSize = a.at("imageSize");
        m.image.maxViews = a.at("maxViews");
        m.image.stemWidth = a.at("stemWidth");
        if (doc.contains("training")) m.trainingJson = doc.at("training").dump();
    } catch (const nlohmann::json::exception& e) {
        throw Error(path.string() + ": malformed model config (" + e.what() + ")");
    }
    m.image.validate(path.string());
    m.flow = readTextModelFile(dir, "flow.json");
    return m;
}

void writeImageModelConfig(const ImageModelFile& m, const std::filesystem::path& dir) {
    nlohmann::ordered_json doc;
    doc["format"] = "kiln-image-to-latent";
    doc["version"] = 1;
    doc["image"] = {{"imageSize", m.image.imageSize}, {"maxViews", m.image.maxViews}, {"stemWidth", m.image.stemWidth}};
    doc["training"] = nlohmann::ordered_json::parse(m.trainingJson);
    const std::string text = doc.dump(1) + "\n";
    io::writeAtomically(dir / "config.json", true, [&](const std::filesystem::path& tmp) {
        io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    });
    writeTextModelConfig(m.flow, dir, "flow.json");
}

namespace {

// conv 3x3 (stride), GroupNorm, SiLU.
void addConv(nn::Sequential& s, int in, int out, int stride) {
    s->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1)));
    s->push_back(nn::GroupNorm(nn::GroupNormOptions(std::min(8, out), out)));
    s->push_back(nn::SiLU());
}

} // namespace

ImageToLatentImpl::ImageToLatentImpl(const TextToLatentConfig& flow, const ImageToLatentConfig& image) : m_config(image) {
    image.validate("image-to-3d");
    m_flow = register_module("flow", TextToLatent(flow));
    const int w = image.stemWidth, d = flow.width;
    nn::Sequential stem;
    addConv(stem, 4, w / 2, 1);
    addConv(stem, w / 2, w, 2);
    addConv(stem, w, w, 1);
    addConv(stem, w, 2 * w, 2);
    addConv(stem, 2 * w, 2 * w, 1);
    addConv(stem, 2 * w, 4 * w, 2);
    stem->push_back(nn::Conv2d(nn::Conv2dOptions(4 * w, d, 1)));
    m_stem = register_module("stem", stem);
    m_patchPos = register_parameter("patch_pos", torch::randn({image.tokensPerView(), d}) * 0.02);
    m_viewEmbed = register_parameter("view_embed", torch::randn({image.maxViews, d}) * 0.02);
}

TextToLatentImpl::TextEncoding ImageToLatentImpl::encodeViews(const torch::Tensor& views, const torch::Tensor& keep) {
    const auto b = views.size(0), v = views.size(1);
    if (v < 1 || v > m_config.maxViews) throw Error("image-to-3d: " + std::to_string(v) + " views; the model reads 1 to " + std::to_string(m_config.maxViews));
    // Colours centred on the frame's grey, so an empty frame is (nearly) zero.
    auto x = views.reshape({b * v, 4, views.size(3), views.size(4)}) - 0.5;
    auto f = m_stem->forward(x);                       // (B V) x d x S/8 x S/8
    const auto d = f.size(1), p = f.size(2) * f.size(3);
    f = f.flatten(2).transpose(1, 2) + m_patchPos.unsqueeze(0);  // (B V) x P x d
    f = f.reshape({b, v, p, d}) + m_viewEmbed.slice(0, 0, v).view({1, v, 1, d});
    const auto tokenKeep = keep.unsqueeze(-1).expand({b, v, p}).reshape({b, v * p});
    return m_flow->encodeEmbedded(f.reshape({b, v * p, d}), tokenKeep);
}

TextToLatentImpl::TextEncoding ImageToLatentImpl::withEmptyWhere(TextToLatentImpl::TextEncoding cond, const torch::Tensor& drop) {
    const auto b = cond.tokens.size(0), l = cond.tokens.size(1);
    const auto empty = m_flow->encodeText(torch::full({b, 1}, Tokenizer::kEmpty, torch::kLong));
    auto emptyTokens = torch::zeros_like(cond.tokens);
    emptyTokens.slice(1, 0, 1).copy_(empty.tokens);
    auto emptyKeep = torch::zeros_like(cond.keep);
    emptyKeep.slice(1, 0, 1).fill_(true);
    cond.tokens = torch::where(drop.view({b, 1, 1}), emptyTokens, cond.tokens);
    cond.keep = torch::where(drop.view({b, 1}).expand({b, l}), emptyKeep, cond.keep);
    cond.pooled = torch::where(drop.view({b, 1}), empty.pooled, cond.pooled);
    return cond;
}

torch::Tensor ImageToLatentImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const TextToLatentImpl::TextEncoding& condition) {
    return m_flow->forward(x, t, condition);
}

torch::Tensor viewsTensor(const std::vector<const core::Image*>& views, int size) {
    auto out = torch::empty({std::int64_t(views.size()), 4, size, size});
    auto acc = out.accessor<float, 4>();
    for (std::size_t k = 0; k < views.size(); ++k) {
        const core::Image& im = *views[k];
        if (im.width != size || im.height != size || im.channels != 4) throw Error("image-to-3d: a framed view has the wrong size");
        for (int c = 0; c < 4; ++c)
            for (int y = 0; y < size; ++y)
                for (int x = 0; x < size; ++x) acc[std::int64_t(k)][c][y][x] = im.at(x, y, c);
    }
    return out;
}

} // namespace kiln::models
