#include "models/upscale.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "models/model_paths.h"
#include "models/packs.h"
#include "models/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <map>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

struct Node {
    std::string name, op;
    std::vector<std::string> inputs;
    int factor = 1;
    bool relu = false;
    torch::Tensor weight, bias;
    int padding = 0;
};

torch::Tensor tensorOf(const TensorData& t) {
    if (t.dtype != DType::F32) throw Error(t.name + ": not float32");
    return torch::from_blob(const_cast<std::uint8_t*>(t.bytes.data()), t.shape, torch::kFloat).clone();
}

// Keys' cubic convolution kernel, a = -0.5 (Catmull-Rom).
float cubic(float x) {
    x = std::fabs(x);
    if (x < 1.0f) return (1.5f * x - 2.5f) * x * x + 1.0f;
    if (x < 2.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
    return 0.0f;
}

// Float planes (channels x height x width, values as stored) of any image.
std::vector<float> planesOf(const core::Image& image) {
    std::vector<float> out(image.valueCount());
    const std::size_t n = image.pixelCount();
    for (std::size_t p = 0; p < n; ++p)
        for (int c = 0; c < image.channels; ++c) {
            const std::size_t i = p * std::size_t(image.channels) + std::size_t(c);
            out[std::size_t(c) * n + p] = image.type == core::PixelType::U8 ? float(image.u8[i]) / 255.0f : image.f32[i];
        }
    return out;
}

core::Image imageOf(const std::vector<float>& planes, int width, int height, int channels, core::PixelType type) {
    core::Image out = type == core::PixelType::U8 ? core::Image::makeU8(width, height, channels) : core::Image::makeF32(width, height, channels);
    const std::size_t n = std::size_t(width) * std::size_t(height);
    for (std::size_t p = 0; p < n; ++p)
        for (int c = 0; c < channels; ++c) {
            const float v = planes[std::size_t(c) * n + p];
            const std::size_t i = p * std::size_t(channels) + std::size_t(c);
            if (type == core::PixelType::U8) out.u8[i] = std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
            else out.f32[i] = v;
        }
    return out;
}

// One channel plane, bicubically resampled by `scale` (pixel centres aligned, edges clamped).
std::vector<float> bicubicPlane(const float* src, int w, int h, int scale) {
    const int W = w * scale, H = h * scale;
    std::vector<float> rows(std::size_t(w) * std::size_t(H)), out(std::size_t(W) * std::size_t(H));
    auto weights = [&](int o, int& first, float (&wt)[4]) {
        const float s = (float(o) + 0.5f) / float(scale) - 0.5f;
        first = int(std::floor(s)) - 1;
        float sum = 0.0f;
        for (int k = 0; k < 4; ++k) sum += wt[k] = cubic(s - float(first + k));
        for (float& v : wt) v /= sum;
    };
    for (int y = 0; y < H; ++y) {
        int first;
        float wt[4];
        weights(y, first, wt);
        for (int x = 0; x < w; ++x) {
            float v = 0.0f;
            for (int k = 0; k < 4; ++k) v += wt[k] * src[std::size_t(std::clamp(first + k, 0, h - 1)) * std::size_t(w) + std::size_t(x)];
            rows[std::size_t(y) * std::size_t(w) + std::size_t(x)] = v;
        }
    }
    for (int x = 0; x < W; ++x) {
        int first;
        float wt[4];
        weights(x, first, wt);
        for (int y = 0; y < H; ++y) {
            float v = 0.0f;
            const float* row = rows.data() + std::size_t(y) * std::size_t(w);
            for (int k = 0; k < 4; ++k) v += wt[k] * row[std::clamp(first + k, 0, w - 1)];
            out[std::size_t(y) * std::size_t(W) + std::size_t(x)] = v;
        }
    }
    return out;
}

} // namespace

struct Upscaler::State {
    int scale = 2;
    std::string input, output, licence, name;
    std::vector<Node> nodes;
    int halo = 0;  // input pixels a tile needs around it
};

fs::path defaultUpscaleModel() {
    if (const auto pack = installedPack("esrgan-slim")) return *pack;
    const auto found = listModels("upscale");
    return found.empty() ? fs::path() : found.front().dir;
}

Upscaler::Upscaler(const fs::path& dir, int scale) : m_state(std::make_unique<State>()) {
    if (scale != 2 && scale != 3 && scale != 4 && scale != 8) throw Error("upscale: scale " + std::to_string(scale) + " is not 2, 3, 4 or 8");
    const ModelManifest manifest = verifyModelFolder(dir, "upscale");
    const fs::path sub = dir / ("x" + std::to_string(scale));
    const fs::path graphPath = sub / "graph.json";
    if (!fs::is_regular_file(graphPath)) throw Error(dir.string() + ": has no x" + std::to_string(scale) + " model");
    const SafetensorsFile weights = readSafetensors(sub / "weights.safetensors");
    const auto bytes = io::readFileBytes(graphPath);
    State& s = *m_state;
    s.scale = scale;
    s.licence = manifest.licence;
    s.name = manifest.name;
    s.name.append(" ").append(manifest.version).append(" x").append(std::to_string(scale));
    int radius = 0;  // receptive radius in input pixels (output-side convolutions rounded up)
    try {
        const auto g = nlohmann::json::parse(bytes.begin(), bytes.end());
        if (g.at("format") != "kiln-layers" || g.at("scale") != scale) throw Error(graphPath.string() + ": not a kiln-layers graph for x" + std::to_string(scale));
        s.input = g.at("input");
        s.output = g.at("output");
        bool upsampled = false;
        for (const auto& j : g.at("nodes")) {
            Node n;
            n.name = j.at("name");
            n.op = j.at("op");
            n.inputs = j.at("inputs").get<std::vector<std::string>>();
            if (n.op == "conv") {
                const auto* w = weights.find(n.name + ".weight");
                const auto* b = weights.find(n.name + ".bias");
                if (!w || !b) throw Error(graphPath.string() + ": no weights for layer " + n.name);
                n.weight = tensorOf(*w);
                n.bias = tensorOf(*b);
                const int k = j.at("kernel");
                if (n.weight.dim() != 4 || n.weight.size(2) != k || n.bias.size(0) != n.weight.size(0))
                    throw Error(graphPath.string() + ": layer " + n.name + "'s weights do not match its kernel");
                n.padding = k / 2;
                n.relu = j.value("relu", false);
                radius += upsampled ? (n.padding + scale - 1) / scale : n.padding;
            } else if (n.op == "upsample") {
                n.factor = j.at("factor");
                upsampled = true;
            } else if (n.op != "relu" && n.op != "concat" && n.op != "add") {
                throw Error(graphPath.string() + ": unknown op " + n.op);
            }
            s.nodes.push_back(std::move(n));
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(graphPath.string() + ": malformed (" + e.what() + ")");
    }
    s.halo = radius + 2;
}

Upscaler::~Upscaler() = default;
int Upscaler::scale() const { return m_state->scale; }
const std::string& Upscaler::licence() const { return m_state->licence; }
const std::string& Upscaler::name() const { return m_state->name; }

core::Image Upscaler::run(const core::Image& image, int tile) const {
    torch::NoGradGuard noGrad;
    const State& s = *m_state;
    if (image.empty() || image.channels < 1 || image.channels > 4) throw Error("upscale: the image must have 1 to 4 channels");
    if (tile < 16) throw Error("upscale: tile must be at least 16 pixels");
    const int w = image.width, h = image.height, r = s.scale, W = w * r, H = h * r;
    const auto planes = planesOf(image);
    const std::size_t n = image.pixelCount();
    // Colour: the network, on 0..255 RGB (grey images through all three inputs).
    auto rgb = torch::empty({1, 3, h, w});
    for (int c = 0; c < 3; ++c) {
        const int src = image.channels >= 3 ? c : 0;
        std::memcpy(rgb.data_ptr<float>() + std::size_t(c) * n, planes.data() + std::size_t(src) * n, n * sizeof(float));
    }
    rgb = rgb.clamp(0.0, 1.0) * 255.0;
    auto result = torch::empty({1, 3, H, W});
    auto forward = [&](const torch::Tensor& x) {
        std::map<std::string, torch::Tensor> values{{s.input, x}};
        for (const Node& node : s.nodes) {
            auto in = [&](std::size_t i) -> const torch::Tensor& { return values.at(node.inputs.at(i)); };
            torch::Tensor y;
            if (node.op == "conv") {
                y = torch::conv2d(in(0), node.weight, node.bias, 1, node.padding);
                if (node.relu) y = torch::relu(y);
            } else if (node.op == "relu") {
                y = torch::relu(in(0));
            } else if (node.op == "add") {
                y = in(0);
                for (std::size_t i = 1; i < node.inputs.size(); ++i) y = y + in(i);
            } else if (node.op == "concat") {
                std::vector<torch::Tensor> parts;
                for (std::size_t i = 0; i < node.inputs.size(); ++i) parts.push_back(in(i));
                y = torch::cat(parts, 1);
            } else {
                y = torch::upsample_nearest2d(in(0), std::vector<std::int64_t>{in(0).size(2) * node.factor, in(0).size(3) * node.factor});
            }
            values[node.name] = y;
        }
        return values.at(s.output);
    };
    const int halo = s.halo;
    for (int y0 = 0; y0 < h; y0 += tile)
        for (int x0 = 0; x0 < w; x0 += tile) {
            const int x1 = std::min(w, x0 + tile), y1 = std::min(h, y0 + tile);
            const int ax = std::max(0, x0 - halo), ay = std::max(0, y0 - halo), bx = std::min(w, x1 + halo), by = std::min(h, y1 + halo);
            const auto patch = rgb.slice(2, ay, by).slice(3, ax, bx);
            const auto up = forward(patch);
            result.slice(2, y0 * r, y1 * r).slice(3, x0 * r, x1 * r).copy_(up.slice(2, (y0 - ay) * r, (y1 - ay) * r).slice(3, (x0 - ax) * r, (x1 - ax) * r));
        }
    result = (result / 255.0).clamp(0.0, 1.0).contiguous();
    std::vector<float> out(std::size_t(W) * std::size_t(H) * std::size_t(image.channels));
    const std::size_t N = std::size_t(W) * std::size_t(H);
    if (image.channels >= 3) {
        std::memcpy(out.data(), result.data_ptr<float>(), 3 * N * sizeof(float));
    } else {  // grey: the mean of the three outputs
        const auto grey = result.mean(1).contiguous();
        std::memcpy(out.data(), grey.data_ptr<float>(), N * sizeof(float));
    }
    if (image.channels == 4 || image.channels == 2) {
        const int a = image.channels - 1;
        const auto alpha = bicubicPlane(planes.data() + std::size_t(a) * n, w, h, r);
        for (std::size_t i = 0; i < N; ++i) out[std::size_t(a) * N + i] = std::clamp(alpha[i], 0.0f, 1.0f);
    }
    return imageOf(out, W, H, image.channels, image.type);
}

std::string upscaleTextures(core::Mesh& mesh, int scale, const fs::path& model, std::string* licence) {
    if (scale != 2 && scale != 4) throw Error("texture upscaling: scale must be 2 or 4");
    std::vector<bool> colour(mesh.textures.size(), false);
    for (const auto& m : mesh.materials)
        for (const int t : {m.baseColorTexture, m.emissiveTexture})
            if (t >= 0 && std::size_t(t) < colour.size()) colour[std::size_t(t)] = true;
    std::unique_ptr<Upscaler> up;
    if (!model.empty()) up = std::make_unique<Upscaler>(model, scale);
    int byNetwork = 0;
    for (std::size_t i = 0; i < mesh.textures.size(); ++i) {
        core::Texture& t = mesh.textures[i];
        if (t.image.empty()) continue;
        if (up && colour[i]) {
            t.image = up->run(t.image);
            ++byNetwork;
        } else {
            t.image = bicubicUpscale(t.image, scale);
        }
        t.encoded.clear();  // re-encoded on export
        t.mimeType.clear();
    }
    if (up && licence) *licence = up->name() + ": " + up->licence();
    return "textures upscaled x" + std::to_string(scale) + ": " + std::to_string(byNetwork) + " colour map(s) by " + (up ? up->name() : "bicubic") + ", " +
           std::to_string(mesh.textures.size() - std::size_t(byNetwork)) + " by bicubic";
}

core::Image bicubicUpscale(const core::Image& image, int scale) {
    if (scale < 1 || scale > 16) throw Error("upscale: scale " + std::to_string(scale) + " is out of range (1 to 16)");
    const auto planes = planesOf(image);
    const int W = image.width * scale, H = image.height * scale;
    std::vector<float> out;
    out.reserve(std::size_t(W) * std::size_t(H) * std::size_t(image.channels));
    for (int c = 0; c < image.channels; ++c) {
        auto p = bicubicPlane(planes.data() + std::size_t(c) * image.pixelCount(), image.width, image.height, scale);
        if (image.type == core::PixelType::U8)
            for (float& v : p) v = std::clamp(v, 0.0f, 1.0f);
        out.insert(out.end(), p.begin(), p.end());
    }
    return imageOf(out, W, H, image.channels, image.type);
}

core::Image downscaleBicubic(const core::Image& image, int f) {
    if (f < 1) throw Error("downscale: factor must be at least 1");
    const int w = image.width / f, h = image.height / f;
    if (w < 1 || h < 1) throw Error("downscale: the image is smaller than the factor");
    const auto planes = planesOf(image);
    // Taps of one output sample along an axis: source index and weight.
    auto taps = [&](int o, int size) {
        std::vector<std::pair<int, float>> t;
        const float centre = (float(o) + 0.5f) * float(f) - 0.5f;
        float sum = 0.0f;
        for (int i = int(std::floor(centre - 2.0f * float(f))); i <= int(std::ceil(centre + 2.0f * float(f))); ++i) {
            const float wt = cubic((float(i) - centre) / float(f));
            if (wt == 0.0f) continue;
            t.emplace_back(std::clamp(i, 0, size - 1), wt);
            sum += wt;
        }
        for (auto& [i, wt] : t) wt /= sum;
        return t;
    };
    std::vector<std::vector<std::pair<int, float>>> tx(static_cast<std::size_t>(w)), ty(static_cast<std::size_t>(h));
    for (int x = 0; x < w; ++x) tx[std::size_t(x)] = taps(x, image.width);
    for (int y = 0; y < h; ++y) ty[std::size_t(y)] = taps(y, image.height);
    std::vector<float> out(std::size_t(w) * std::size_t(h) * std::size_t(image.channels));
    std::vector<float> rows(std::size_t(image.width) * std::size_t(h));
    for (int c = 0; c < image.channels; ++c) {
        const float* src = planes.data() + std::size_t(c) * image.pixelCount();
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < image.width; ++x) {
                float v = 0.0f;
                for (const auto& [i, wt] : ty[std::size_t(y)]) v += wt * src[std::size_t(i) * std::size_t(image.width) + std::size_t(x)];
                rows[std::size_t(y) * std::size_t(image.width) + std::size_t(x)] = v;
            }
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                float v = 0.0f;
                for (const auto& [i, wt] : tx[std::size_t(x)]) v += wt * rows[std::size_t(y) * std::size_t(image.width) + std::size_t(i)];
                out[std::size_t(c) * std::size_t(w) * std::size_t(h) + std::size_t(y) * std::size_t(w) + std::size_t(x)] =
                    image.type == core::PixelType::U8 ? std::clamp(v, 0.0f, 1.0f) : v;
            }
    }
    return imageOf(out, w, h, image.channels, image.type);
}

double psnr(const core::Image& a, const core::Image& b, int border) {
    if (a.width != b.width || a.height != b.height) throw Error("psnr: the images differ in size");
    const int ca = std::min({3, a.channels, b.channels});
    double se = 0.0;
    std::size_t count = 0;
    for (int y = border; y < a.height - border; ++y)
        for (int x = border; x < a.width - border; ++x)
            for (int c = 0; c < ca; ++c) {
                const double d = double(a.at(x, y, c)) - double(b.at(x, y, c));
                se += d * d;
                ++count;
            }
    const double mse = count ? se / double(count) : 0.0;
    return mse > 0.0 ? 10.0 * std::log10(1.0 / mse) : 99.0;
}

} // namespace kiln::models
