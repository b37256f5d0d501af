#include "models/matting_training.h"

#include "core/error.h"
#include "geometry/metrics.h"
#include "io/image_io.h"
#include "models/image_views.h"
#include "models/manifest.h"
#include "models/matting_net.h"
#include "models/torch_weights.h"
#include "models/training.h"
#include "procgen/dataset.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

// conv 3x3 (no bias) + batch norm + ReLU; the head is a plain conv with bias.
struct ConvBnImpl : torch::nn::Module {
    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
    ConvBnImpl(int in, int out, int stride) {
        conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
        bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).momentum(0.05)));
    }
    torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn(conv(x))); }
};
TORCH_MODULE(ConvBn);

torch::Tensor up2(const torch::Tensor& x) {
    namespace F = torch::nn::functional;
    return F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kBilinear).align_corners(false));
}

// The U-Net of matting_net.h, layer for layer (module "enc0_1" is conv "enc0.1").
struct MattingUNetImpl : torch::nn::Module {
    std::vector<std::pair<std::string, ConvBn>> layers;
    torch::nn::Conv2d head{nullptr};
    int levels = 0;
    explicit MattingUNetImpl(const MattingNetConfig& c) : levels(int(c.channels.size())) {
        for (const MattingConvShape& s : mattingNetConvs(c)) {
            std::string name = s.name;
            std::replace(name.begin(), name.end(), '.', '_');
            if (s.name == "head")
                head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(s.in, s.out, 3).padding(1)));
            else
                layers.emplace_back(s.name, register_module(name, ConvBn(s.in, s.out, s.stride)));
        }
    }
    ConvBn& layer(const std::string& name) {
        for (auto& [n, m] : layers)
            if (n == name) return m;
        throw Error("matting net: no layer " + name);
    }
    // Logits at the input's resolution.
    torch::Tensor forward(torch::Tensor x) {
        std::vector<torch::Tensor> skips;
        for (int k = 0; k < levels; ++k) {
            x = layer("enc" + std::to_string(k) + ".1")(layer("enc" + std::to_string(k) + ".0")(x));
            skips.push_back(x);
        }
        for (int k = levels - 2; k >= 0; --k) {
            x = torch::cat({up2(x), skips[std::size_t(k)]}, 1);
            x = layer("dec" + std::to_string(k) + ".1")(layer("dec" + std::to_string(k) + ".0")(x));
        }
        return up2(head(x));
    }
};
TORCH_MODULE(MattingUNet);

// Batch norm folded into each conv (eval-mode statistics): what inference runs.
SafetensorsFile foldedWeights(MattingUNetImpl& net) {
    torch::NoGradGuard noGrad;
    SafetensorsFile f;
    f.metadata["slot"] = "matting";
    f.metadata["format"] = kMattingNetFormat;
    for (auto& [name, m] : net.layers) {
        const auto& bn = m->bn;
        const auto s = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
        const auto w = m->conv->weight * s.view({-1, 1, 1, 1});
        const auto b = bn->bias - bn->running_mean * s;
        f.tensors.push_back(tensorData(name + ".weight", w.contiguous()));
        f.tensors.push_back(tensorData(name + ".bias", b.contiguous()));
    }
    f.tensors.push_back(tensorData("head.weight", net.head->weight.contiguous()));
    f.tensors.push_back(tensorData("head.bias", net.head->bias.contiguous()));
    return f;
}

float uniform(std::mt19937_64& rng, float a, float b) { return a + (b - a) * float(std::uniform_real_distribution<double>(0.0, 1.0)(rng)); }

// RGB of an image at pixel coordinates (pixel centres at whole numbers; bilinear, clamped).
void bilinear(const core::Image& im, float x, float y, float* out) {
    const glm::vec2 uv((x + 0.5f) / float(im.width), (y + 0.5f) / float(im.height));
    for (int c = 0; c < 3; ++c) out[c] = geometry::sampleBilinear(im, uv, c);
}

// Premultiplied bilinear sample of an object (outside it: transparent).
void objectSample(const MattingObject& o, float x, float y, float* out) {
    out[0] = out[1] = out[2] = out[3] = 0.0f;
    const float fx0 = std::floor(x), fy0 = std::floor(y);
    const int x0 = int(fx0), y0 = int(fy0);
    const float fx = x - fx0, fy = y - fy0;
    for (int j = 0; j < 2; ++j)
        for (int i = 0; i < 2; ++i) {
            const int xi = x0 + i, yj = y0 + j;
            if (xi < 0 || yj < 0 || xi >= o.width || yj >= o.height) continue;
            const float w = (i ? fx : 1 - fx) * (j ? fy : 1 - fy);
            const std::uint8_t* p = &o.rgba[4 * (std::size_t(yj) * std::size_t(o.width) + std::size_t(xi))];
            const float a = float(p[3]) / 255.0f;
            for (int c = 0; c < 3; ++c) out[c] += w * a * float(p[c]) / 255.0f;
            out[3] += w * a;
        }
}

void boxBlur(std::vector<float>& v, int w, int h, int r) {
    if (r <= 0) return;
    std::vector<float> tmp(v.size());
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float s = 0;
            int n = 0;
            for (int k = std::max(0, x - r); k <= std::min(w - 1, x + r); ++k, ++n) s += v[std::size_t(y * w + k)];
            tmp[std::size_t(y * w + x)] = s / float(n);
        }
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float s = 0;
            int n = 0;
            for (int k = std::max(0, y - r); k <= std::min(h - 1, y + r); ++k, ++n) s += tmp[std::size_t(k * w + x)];
            v[std::size_t(y * w + x)] = s / float(n);
        }
}

} // namespace

MattingObject cutOutObject(const core::Image& rgba) {
    int x0 = rgba.width, y0 = rgba.height, x1 = -1, y1 = -1;
    for (int y = 0; y < rgba.height; ++y)
        for (int x = 0; x < rgba.width; ++x)
            if (rgba.at(x, y, 3) > 1.0f / 255.0f) {
                x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
            }
    MattingObject o;
    if (x1 < 0) return o;
    o.width = x1 - x0 + 1;
    o.height = y1 - y0 + 1;
    o.rgba.resize(4 * std::size_t(o.width) * std::size_t(o.height));
    for (int y = 0; y < o.height; ++y)
        for (int x = 0; x < o.width; ++x)
            for (int c = 0; c < 4; ++c)
                o.rgba[4 * (std::size_t(y) * std::size_t(o.width) + std::size_t(x)) + std::size_t(c)] =
                    std::uint8_t(std::lround(std::clamp(rgba.at(x0 + x, y0 + y, c), 0.0f, 1.0f) * 255.0f));
    return o;
}

MattingComposite composeMattingSample(const MattingObject* object, const std::vector<core::Image>& photos, int size, std::mt19937_64& rng) {
    if (photos.empty()) throw Error("matting composite: no background photos");
    const std::size_t n = std::size_t(size) * std::size_t(size);
    std::vector<float> bg(3 * n);
    // Background: a crop of a photo (flipped at random), or a plain studio backdrop.
    if (uniform(rng, 0, 1) < 0.12f) {
        float top[3], bottom[3];
        for (int c = 0; c < 3; ++c) top[c] = uniform(rng, 0.05f, 0.95f), bottom[c] = std::clamp(top[c] + uniform(rng, -0.25f, 0.25f), 0.0f, 1.0f);
        std::normal_distribution<float> noise(0.0f, 0.01f);
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x)
                for (int c = 0; c < 3; ++c) {
                    const float t = float(y) / float(size - 1);
                    bg[3 * std::size_t(y * size + x) + std::size_t(c)] = (1 - t) * top[c] + t * bottom[c] + noise(rng);
                }
    } else {
        const core::Image& p = photos[std::size_t(rng() % photos.size())];
        const float side = uniform(rng, 0.35f, 1.0f) * float(std::min(p.width, p.height));
        const float ox = uniform(rng, 0.0f, float(p.width) - side), oy = uniform(rng, 0.0f, float(p.height) - side);
        const bool flip = rng() & 1;
        const float step = side / float(size);
        float gain[3];
        const float g = uniform(rng, 0.75f, 1.25f);
        for (float& gc : gain) gc = g * uniform(rng, 0.9f, 1.1f);
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const float sx = ox + ((flip ? float(size - 1 - x) : float(x)) + 0.5f) * step - 0.5f, sy = oy + (float(y) + 0.5f) * step - 0.5f;
                float c[3];
                bilinear(p, sx, sy, c);
                for (int k = 0; k < 3; ++k) bg[3 * std::size_t(y * size + x) + std::size_t(k)] = c[k] * gain[k];
            }
    }
    MattingComposite out{core::Image::makeF32(size, size, 3), core::Image::makeF32(size, size, 1)};
    std::vector<float> fg(3 * n, 0.0f), alpha(n, 0.0f);
    const bool empty = !object || object->width == 0 || uniform(rng, 0, 1) < 0.05f;
    if (!empty) {
        const MattingObject& o = *object;
        // Size, stretch and place: the object's longer side 30..95 % of the frame, sometimes cut by
        // the frame's border (photos crop objects too).
        const float longSide = uniform(rng, 0.3f, 0.95f) * float(size);
        const float aspect = std::exp(uniform(rng, -0.2f, 0.2f));
        const float base = longSide / float(std::max(o.width, o.height));
        const float sx = base * std::sqrt(aspect), sy = base / std::sqrt(aspect);
        const float w = float(o.width) * sx, h = float(o.height) * sy;
        const float px = uniform(rng, -0.1f * w, float(size) - 0.9f * w), py = uniform(rng, -0.1f * h, float(size) - 0.9f * h);
        const int tx = std::max(1, int(std::ceil(1.0f / sx))), ty = std::max(1, int(std::ceil(1.0f / sy)));
        float gain[3];
        const float g = uniform(rng, 0.75f, 1.25f);
        for (float& gc : gain) gc = g * uniform(rng, 0.92f, 1.08f);
        // Some objects wear a photograph's texture under their own shading, so busy surfaces
        // (real objects are rarely as plain as the library's) read as object too: what tells the
        // object from the scene must be its outline and place, not how smooth it is.
        const core::Image* texture = uniform(rng, 0, 1) < 0.35f ? &photos[std::size_t(rng() % photos.size())] : nullptr;
        const float texScale = uniform(rng, 0.3f, 1.0f), texX = uniform(rng, 0.0f, 1.0f), texY = uniform(rng, 0.0f, 1.0f), texMix = uniform(rng, 0.6f, 1.0f);
        for (int y = std::max(0, int(py)); y < std::min(size, int(std::ceil(py + h)) + 1); ++y)
            for (int x = std::max(0, int(px)); x < std::min(size, int(std::ceil(px + w)) + 1); ++x) {
                float acc[4] = {0, 0, 0, 0};
                for (int j = 0; j < ty; ++j)
                    for (int i = 0; i < tx; ++i) {
                        const float ux = float(x) + (float(i) + 0.5f) / float(tx), uy = float(y) + (float(j) + 0.5f) / float(ty);
                        float s[4];
                        objectSample(o, (ux - px) / sx - 0.5f, (uy - py) / sy - 0.5f, s);
                        for (int k = 0; k < 4; ++k) acc[k] += s[k];
                    }
                const std::size_t q = std::size_t(y * size + x);
                const float norm = 1.0f / float(tx * ty);
                for (int k = 0; k < 3; ++k) fg[3 * q + std::size_t(k)] = acc[k] * norm * gain[k];
                alpha[q] = acc[3] * norm;
                if (texture && alpha[q] > 0.0f) {
                    // Premultiplied: the shading is the colour's luminance over its coverage.
                    const float lum = (0.3f * fg[3 * q] + 0.59f * fg[3 * q + 1] + 0.11f * fg[3 * q + 2]) / alpha[q];
                    const float shade = std::clamp(lum / 0.45f, 0.0f, 2.0f);
                    float t[3];
                    const float span = texScale * float(std::min(texture->width, texture->height));
                    bilinear(*texture, texX * (float(texture->width) - span) + (float(x) - px) / w * span,
                             texY * (float(texture->height) - span) + (float(y) - py) / h * span, t);
                    for (int k = 0; k < 3; ++k) {
                        float& c = fg[3 * q + std::size_t(k)];
                        c = (1.0f - texMix) * c + texMix * t[k] * shade * alpha[q];
                    }
                }
            }
        // A soft contact shadow: the coverage shifted down, squashed and blurred darkens the backdrop.
        if (uniform(rng, 0, 1) < 0.4f) {
            std::vector<float> shadow(n, 0.0f);
            const int dx = int(uniform(rng, -0.08f, 0.08f) * float(size)), dy = int(uniform(rng, 0.0f, 0.06f) * float(size));
            for (int y = 0; y < size; ++y)
                for (int x = 0; x < size; ++x) {
                    const int u = x - dx, v = y - dy;
                    if (u >= 0 && v >= 0 && u < size && v < size) shadow[std::size_t(y * size + x)] = alpha[std::size_t(v * size + u)];
                }
            boxBlur(shadow, size, size, 1 + int(rng() % 5));
            const float strength = uniform(rng, 0.2f, 0.6f);
            for (std::size_t q = 0; q < n; ++q)
                for (int k = 0; k < 3; ++k) bg[3 * q + std::size_t(k)] *= 1.0f - strength * shadow[q];
        }
    }
    for (std::size_t q = 0; q < n; ++q) {
        for (int k = 0; k < 3; ++k) out.rgb.f32[3 * q + std::size_t(k)] = fg[3 * q + std::size_t(k)] + (1.0f - alpha[q]) * bg[3 * q + std::size_t(k)];
        out.truth.f32[q] = alpha[q];
    }
    // The camera: defocus, sensor noise, tone.
    if (uniform(rng, 0, 1) < 0.3f)
        for (int k = 0; k < 3; ++k) {
            std::vector<float> ch(n);
            for (std::size_t q = 0; q < n; ++q) ch[q] = out.rgb.f32[3 * q + std::size_t(k)];
            boxBlur(ch, size, size, 1);
            for (std::size_t q = 0; q < n; ++q) out.rgb.f32[3 * q + std::size_t(k)] = ch[q];
        }
    const float sigma = uniform(rng, 0.0f, 0.04f), gamma = std::exp(uniform(rng, -0.2f, 0.2f));
    std::normal_distribution<float> noise(0.0f, 1.0f);
    for (float& v : out.rgb.f32) v = std::pow(std::clamp(v + sigma * noise(rng), 0.0f, 1.0f), gamma);
    return out;
}

std::vector<core::Image> loadBackgroundPhotos(const fs::path& folder, const std::vector<std::string>& names, int shortSide) {
    std::vector<fs::path> files;
    if (names.empty()) {
        if (!fs::is_directory(folder)) throw Error(folder.string() + ": no such folder of photographs");
        for (const auto& e : fs::directory_iterator(folder)) {
            const std::string ext = e.path().extension().string();
            if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".JPG" || ext == ".PNG") files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
    } else {
        for (const auto& n : names) files.push_back(folder / n);
    }
    if (files.empty()) throw Error(folder.string() + ": has no photographs");
    std::vector<core::Image> out;
    for (const auto& f : files) {
        const core::Image im = io::readImage(f);
        const int s = std::min(im.width, im.height);
        const int f2 = std::max(1, (s + shortSide - 1) / shortSide);
        core::Image small = core::Image::makeF32(im.width / f2, im.height / f2, 3);
        for (int y = 0; y < small.height; ++y)
            for (int x = 0; x < small.width; ++x)
                for (int c = 0; c < 3; ++c) {
                    float acc = 0;
                    for (int j = 0; j < f2; ++j)
                        for (int i = 0; i < f2; ++i) acc += im.at(x * f2 + i, y * f2 + j, im.channels >= 3 ? c : 0);
                    small.f32[3 * (std::size_t(y) * std::size_t(small.width) + std::size_t(x)) + std::size_t(c)] = acc / float(f2 * f2);
                }
        out.push_back(std::move(small));
    }
    return out;
}

MattingTrainResult trainMatting(const MattingTrainOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    if (o.data.empty() || o.out.empty() || o.photos.empty()) throw Error("usage: kiln train matting --data DIR --photos DIR --out MODEL");
    MattingNetConfig config;
    config.channels = o.channels;
    config.trainResolution = o.resolution;
    if (o.steps < 1 || o.batch < 1 || !(o.learningRate > 0.0) || o.checkpointEvery < 1 || o.viewsPerItem < 1 || o.viewsPerItem > 16 ||
        o.renderSize < 32 || o.renderSize > 1024 || config.channels.size() < 2 || config.channels.size() > 7 || o.resolution % config.divisor() != 0)
        throw Error("kiln train matting: an option is out of range (the resolution must be a multiple of " + std::to_string(config.divisor()) + ")");
    config.defaultResolution = o.resolution;  // it sees objects at the sizes it was trained on (measured: larger is worse)
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path checkpointPath = o.out / "checkpoint.pt";
    const int threads = trainingThreads(o.threads);
    torch::manual_seed(o.seed);
    if (o.resume && fs::is_regular_file(o.out / "config.json")) {
        const MattingNetConfig before = readMattingNetConfig(o.out);
        if (before.channels != config.channels || before.trainResolution != config.trainResolution)
            throw Error(o.out.string() + ": was trained with other --channels or --resolution than this run asks for");
    }
    prepareTrainingFolder(o.out, o.resume, o.overwrite);

    const std::vector<core::Image> photos = loadBackgroundPhotos(o.photos, o.trainPhotos, 2 * o.resolution);
    const procgen::Dataset ds = procgen::readDataset(o.data);
    std::vector<procgen::DatasetItem> train;
    for (const auto& it : ds.items)
        if (it.split == "train") train.push_back(it);
    if (o.items > 0 && int(train.size()) > o.items) train.resize(std::size_t(o.items));
    if (train.empty()) throw Error(o.data.string() + ": the dataset has no training items");

    // Objects rendered on every core before training.
    std::vector<MattingObject> objects(train.size() * std::size_t(o.viewsPerItem));
    forEachOnWorkers(
        train.size(), threads,
        [&](std::size_t i) {
            const procgen::ProcAsset a = procgen::generate(train[i].params, {.textureSize = 0});
            for (int v = 0; v < o.viewsPerItem; ++v) {
                const TrainingView view = randomTrainingView((train[i].params.shapeSeed ^ 0x3c6ef372ull) * 16 + std::uint64_t(v));
                objects[i * std::size_t(o.viewsPerItem) + std::size_t(v)] = cutOutObject(renderAssetView(a, view, o.renderSize, 2));
            }
        },
        [&](std::size_t i) { return train[i].id; }, {}, "rendering", "kiln train matting: rendering", progress, cancel);
    std::erase_if(objects, [](const MattingObject& m) { return m.width == 0; });
    if (objects.empty()) throw Error("kiln train matting: no training view shows its object");
    MattingTrainResult result;
    result.trainItems = int(train.size());
    result.photos = int(photos.size());
    result.renderSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    MattingUNet model(config), ema(config);
    copyWeights(*ema, *model);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(o.learningRate).weight_decay(1e-4).betas({0.9, 0.99}));
    std::vector<float> losses, rates;
    int start = 0;
    if (o.resume) {
        CheckpointState state = loadCheckpoint(checkpointPath, *model, *ema, optimizer);
        start = state.step;
        losses = std::move(state.losses);
        rates = std::move(state.rates);
    }
    std::vector<std::string> photoNames = o.trainPhotos;
    const int S = o.resolution;
    // A batch of composites, the same for a given (stream, index) whatever ran before.
    auto batchOf = [&](std::uint64_t stream, int index, torch::Tensor& images, torch::Tensor& truths) {
        images = torch::empty({o.batch, 3, S, S});
        truths = torch::empty({o.batch, 1, S, S});
        for (int b = 0; b < o.batch; ++b) {
            std::mt19937_64 rng((o.seed + stream) * 0x9e3779b97f4a7c15ull + std::uint64_t(index) * 1024 + std::uint64_t(b));
            const MattingObject& obj = objects[std::size_t(rng() % objects.size())];
            const MattingComposite c = composeMattingSample(&obj, photos, S, rng);
            images[b].copy_(torch::from_blob(const_cast<float*>(c.rgb.f32.data()), {S, S, 3}).permute({2, 0, 1}));
            truths[b][0].copy_(torch::from_blob(const_cast<float*>(c.truth.f32.data()), {S, S}));
        }
        images = (images * 255.0 - config.mean) * config.scale;
    };
    // The averaged weights never produced the batch statistics the training model's running
    // averages hold: the EMA's batch norms are re-measured on their own (8 fixed batches, a plain
    // average) before it is saved (Izmailov et al. 2018 do the same for averaged weights).
    auto recalibrate = [&] {
        torch::NoGradGuard noGrad;
        for (auto& [name, m] : ema->layers) {
            m->bn->options.momentum(c10::nullopt);
            m->bn->reset_running_stats();
        }
        ema->train();
        for (int i = 0; i < 8; ++i) {
            torch::Tensor images, truths;
            batchOf(0x6ca1b0ull, i, images, truths);
            ema->forward(images);
        }
        for (auto& [name, m] : ema->layers) m->bn->options.momentum(0.05);
        ema->eval();
    };
    auto save = [&](int step) {
        recalibrate();
        saveCheckpoint(checkpointPath, *model, *ema, optimizer, {step, losses, rates});
        nlohmann::ordered_json recipe = trainingRecipe({.data = o.data, .trainItems = train.size(), .steps = o.steps, .stepsDone = step, .batch = o.batch,
                                                         .warmupSteps = o.warmupSteps, .threads = threads, .learningRate = o.learningRate,
                                                         .emaDecay = o.emaDecay, .seed = o.seed});
        recipe["datasetCount"] = ds.items.size();
        recipe["datasetSeed"] = std::to_string(ds.seed);
        recipe["photos"] = o.photos.string();
        recipe["trainPhotos"] = photoNames.empty() ? nlohmann::ordered_json("every image in the folder") : nlohmann::ordered_json(photoNames);
        recipe["viewsPerItem"] = o.viewsPerItem;
        recipe["renderSize"] = o.renderSize;
        recipe["resolution"] = o.resolution;
        recipe["renderSeconds"] = result.renderSeconds;
        double finalLoss = 0.0;
        summariseLosses(losses, &finalLoss, nullptr);
        recipe["finalLoss"] = finalLoss;
        recipe["batchNorm"] = "the averaged weights' batch norms re-measured on 8 fixed batches before saving, then folded into the convs";
        writeSafetensors(foldedWeights(*ema), o.out / "weights.safetensors", true);
        writeMattingNetConfig(config, recipe.dump(), o.out);
        writeLossFiles(o.out, losses, rates);
        writeTrainedManifest(o.out, "matting", step, recipe.dump());
    };

    model->train();
    const auto tTrain = std::chrono::steady_clock::now();
    auto lastReport = tTrain;
    for (int step = start; step < o.steps; ++step) {
        cancel.throwIfCancelled();
        torch::Tensor x, truths;
        batchOf(0, step, x, truths);
        const double lr = learningRateAt(o.learningRate, o.warmupSteps, o.steps, step);
        for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        optimizer.zero_grad();
        const auto logits = model->forward(x);
        const auto p = torch::sigmoid(logits);
        const auto bce = torch::binary_cross_entropy_with_logits(logits, truths);
        const auto inter = (p * truths).sum({1, 2, 3}), total = (p + truths).sum({1, 2, 3});
        const auto iou = 1.0 - ((inter + 1.0) / (total - inter + 1.0)).mean();
        const auto loss = bce + iou;
        loss.backward();
        flowOptimiserStep(*model, *ema, optimizer, step, o.emaDecay, loss.item<float>(), float(lr), losses, rates);
        reportTrainingStep(progress, step, o.steps, losses.back(), lastReport);
        if ((step + 1) % o.checkpointEvery == 0 || step + 1 == o.steps) {
            save(step + 1);
            model->train();
        }
    }
    if (start == o.steps) save(o.steps);
    result.steps = o.steps;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.secondsPerStep =
        o.steps > start ? std::chrono::duration<double>(std::chrono::steady_clock::now() - tTrain).count() / double(o.steps - start) : 0.0;
    summariseLosses(losses, &result.finalLoss, &result.curve);
    progress.report("done", 1.0f);
    return result;
}

core::Image runMattingCheckpoint(const fs::path& dir, const core::Image& image, int resolution) {
    const MattingNetConfig config = readMattingNetConfig(dir);
    MattingUNet model(config), ema(config);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
    loadCheckpoint(dir / "checkpoint.pt", *model, *ema, optimizer);
    ema->eval();
    if (image.width != resolution || image.height != resolution) throw Error("runMattingCheckpoint: the image must be resolution x resolution");
    auto x = torch::empty({1, 3, resolution, resolution});
    for (int y = 0; y < resolution; ++y)
        for (int xx = 0; xx < resolution; ++xx)
            for (int c = 0; c < 3; ++c) x[0][c][y][xx] = std::clamp(image.at(xx, y, image.channels >= 3 ? c : 0), 0.0f, 1.0f);
    torch::NoGradGuard noGrad;
    const auto p = torch::sigmoid(ema->forward((x * 255.0 - config.mean) * config.scale)).contiguous();
    core::Image out = core::Image::makeF32(resolution, resolution, 1);
    std::copy(p.data_ptr<float>(), p.data_ptr<float>() + out.f32.size(), out.f32.begin());
    return out;
}

} // namespace kiln::models
