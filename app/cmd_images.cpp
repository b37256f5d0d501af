// kiln matte IMAGE... -o OUT_DIR   and   kiln upscale IMAGE -o OUT, with their benchmarks
// (kiln bench matting | upscale).
#include "cli.h"

#include "core/error.h"
#include "geometry/metrics.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/image_io.h"
#include "models/matting.h"
#include "models/packs.h"
#ifdef KILN_WITH_TORCH
#include "models/image_views.h"
#include "models/matting_training.h"
#include "procgen/dataset.h"
#endif
#include "render/views.h"
#ifdef KILN_WITH_TORCH
#include "models/upscale.h"
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

core::Image readInputImage(const fs::path& path) {
    if (!fs::is_regular_file(path)) throw Error(path.string() + ": no such file");
    return io::readImage(path);  // throws naming the file when it is not an image
}

void writeOutputImage(const core::Image& image, const fs::path& path, bool overwrite) {
    io::writeAtomically(path, overwrite, [&](const fs::path& tmp) { io::writeImage(image, tmp); });
}

double secondsSince(std::chrono::steady_clock::time_point t0) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }

} // namespace

int cmdMatte(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"output", "method", "resolution", "model"}, {"force"});
    const std::string out = args.get("output");
    if (args.positional.empty() || out.empty())
        throw Error("usage: kiln matte IMAGE... -o OUT_DIR [--method auto|kiln|isnet|grabcut|alpha] [--resolution N] [--model DIR] [--force]");
    models::MatteOptions o;
    o.method = args.get("method", "auto");
    o.resolution = args.getInt("resolution", 0, 0, 2048);
    o.model = args.get("model");
    // Every input is read before anything is written: a bad one stops the run with nothing written.
    std::vector<core::Image> images;
    for (const auto& p : args.positional) images.push_back(readInputImage(p));
    const fs::path dir = out;
    std::vector<fs::path> targets;
    for (const auto& p : args.positional) {
        fs::path t = dir / fs::path(p).filename().replace_extension(".png");
        if (std::find(targets.begin(), targets.end(), t) != targets.end()) throw Error(p + ": two inputs share the name " + t.filename().string());
        io::checkCanWrite(t, args.has("force"));
        targets.push_back(t);
    }
    std::vector<core::Image> results(images.size());
    std::vector<models::Matte> mattes(images.size());
    runJob("matte", [&](core::Progress& progress, const core::CancelToken& cancel) {
        models::ImageMatter matter(o);  // loads a network once, for the first image that needs it
        for (std::size_t i = 0; i < images.size(); ++i) {
            cancel.throwIfCancelled();
            progress.report("matting " + args.positional[i], float(i) / float(images.size()));
            mattes[i] = matter.run(images[i], args.positional[i]);
            results[i] = models::applyMatte(images[i], mattes[i].alpha);
        }
        return std::vector<core::Asset>{};
    });
    fs::create_directories(dir);
    for (std::size_t i = 0; i < results.size(); ++i) {
        writeOutputImage(results[i], targets[i], args.has("force"));
        std::printf("%s -> %s  (%s at %d px, %.1f%% foreground, %.2f s%s%s)\n", args.positional[i].c_str(), targets[i].string().c_str(), mattes[i].method.c_str(),
                    mattes[i].resolution, 100.0 * mattes[i].coverage, mattes[i].seconds, mattes[i].note.empty() ? "" : "; ", mattes[i].note.c_str());
    }
    for (const auto& m : mattes)
        if (!m.modelLicence.empty()) {
            std::printf("model: %s, licence %s\n", m.modelName.c_str(), m.modelLicence.c_str());
            break;
        }
    return 0;
}

#ifdef KILN_WITH_TORCH
int cmdUpscale(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"output", "scale", "method", "model", "tile"}, {"force"});
    const std::string out = args.get("output");
    if (args.positional.size() != 1 || out.empty())
        throw Error("usage: kiln upscale IMAGE -o OUT [--scale 2|3|4|8] [--method auto|esrgan|bicubic] [--model DIR] [--tile N] [--force]");
    const int scale = args.getInt("scale", 2, 2, 8);
    if (scale != 2 && scale != 3 && scale != 4 && scale != 8) throw Error("--scale must be 2, 3, 4 or 8");
    const std::string method = args.get("method", "auto");
    if (method != "auto" && method != "esrgan" && method != "bicubic") throw Error("--method must be auto, esrgan or bicubic");
    const int tile = args.getInt("tile", 96, 16, 4096);
    const core::Image image = readInputImage(args.positional[0]);
    if (std::int64_t(image.width) * image.height * scale * scale > 16384ll * 16384ll)
        throw Error(args.positional[0] + ": " + std::to_string(image.width * scale) + " x " + std::to_string(image.height * scale) + " is past the 16384^2 limit");
    io::checkCanWrite(out, args.has("force"));
    const fs::path model = args.has("model") ? fs::path(args.get("model")) : models::defaultUpscaleModel();
    std::string used = method;
    if (used == "auto") used = model.empty() ? "bicubic" : "esrgan";
    if (used == "esrgan" && model.empty()) throw Error("no upscaling model is installed (kiln models install esrgan-slim, or scripts/kiln.sh models)");
    core::Image result;
    std::string licence, name;
    const auto t0 = std::chrono::steady_clock::now();
    runJob("upscale", [&](core::Progress& progress, const core::CancelToken&) {
        progress.report("upscaling", 0.1f);
        if (used == "esrgan") {
            const models::Upscaler up(model, scale);
            result = up.run(image, tile);
            licence = up.licence();
            name = up.name();
        } else {
            result = models::bicubicUpscale(image, scale);
        }
        return std::vector<core::Asset>{};
    });
    const double seconds = secondsSince(t0);
    writeOutputImage(result, out, args.has("force"));
    std::printf("%s (%d x %d) -> %s (%d x %d), %s, %.2f s (%.2f s per output megapixel)\n", args.positional[0].c_str(), image.width, image.height,
                out.c_str(), result.width, result.height, used == "esrgan" ? name.c_str() : "bicubic", seconds,
                seconds / (double(result.width) * result.height / 1e6));
    if (!licence.empty()) std::printf("model licence: %s\n", licence.c_str());
    if (method == "auto" && used == "bicubic") std::printf("note: bicubic; the esrgan-slim pack upscales better (kiln models install esrgan-slim)\n");
    return 0;
}
#endif

} // namespace kiln::app

namespace kiln::app {

namespace {

struct NamedSample {
    models::MatteSample sample;
    std::string name;
};

NamedSample legoOverPhoto(const fs::path& view, const fs::path& photo, int size) {
    return {models::compositeOverPhoto(io::readImage(view), io::readImage(photo), size, view.string() + " over " + photo.string()),
            view.stem().string() + " over " + photo.stem().string()};
}

// The matte shown over flat green, as RGB.
core::Image overGreen(const core::Image& rgb, const core::Image& alpha) {
    core::Image out = core::Image::makeU8(rgb.width, rgb.height, 3);
    const float green[3] = {0.1f, 0.65f, 0.2f};
    for (std::size_t p = 0; p < rgb.pixelCount(); ++p)
        for (int k = 0; k < 3; ++k) {
            const float a = alpha.f32[p];
            out.u8[3 * p + std::size_t(k)] = std::uint8_t(std::lround((a * float(rgb.u8[3 * p + std::size_t(k)]) / 255.0f + (1 - a) * green[k]) * 255.0f));
        }
    return out;
}

// The Kodak photographs Kiln's matting model never saw (its recipe trains on kodim01..16).
std::string heldOutPhoto(int i) {
    char name[32];
    std::snprintf(name, sizeof name, "kodim%02d.jpg", 17 + i % 8);
    return name;
}

struct MatteMethod {
    std::string name;
    int resolution;
    bool noFlip = false;  // kiln: without averaging with the mirrored image's matte
};

// Every method on every sample: a row of medians and minima each.
void scoreMethods(const std::vector<NamedSample>& samples, const std::vector<MatteMethod>& methods, const fs::path& isnet, const fs::path& kiln,
                  std::vector<core::Image>& sheet, int sheetColumns) {
    const int kilnDefault = kiln.empty() ? 0 : models::readMattingNetConfig(kiln).defaultResolution;
    std::printf("%-16s %9s %9s %9s %9s %12s\n", "method", "IoU med", "IoU mean", "F med", "F mean", "s / image");
    for (const MatteMethod& m : methods) {
        std::vector<double> ious, fs, secs;
        std::unique_ptr<models::IsNetMatting> net;
        std::unique_ptr<models::KilnMattingNet> own;
        if (m.name == "isnet") net = std::make_unique<models::IsNetMatting>(isnet, m.resolution);
        if (m.name == "kiln") own = std::make_unique<models::KilnMattingNet>(kiln, m.resolution);
        for (std::size_t s = 0; s < samples.size(); ++s) {
            const auto t0 = std::chrono::steady_clock::now();
            const core::Image alpha = net   ? net->run(samples[s].sample.rgb)
                                      : own ? own->run(samples[s].sample.rgb, !m.noFlip)
                                            : models::grabCutAlpha(samples[s].sample.rgb);
            secs.push_back(secondsSince(t0));
            const auto score = models::scoreMatte(alpha, samples[s].sample.truth, 2);
            ious.push_back(score.iou);
            fs.push_back(score.boundaryF);
            const bool shown = m.name == "grabcut" || (m.name == "isnet" && m.resolution == 512) || (own && m.resolution == kilnDefault && !m.noFlip);
            if (int(s) < sheetColumns && shown) sheet.push_back(overGreen(samples[s].sample.rgb, alpha));
        }
        const auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); };
        const std::string label = m.name + (m.name != "grabcut" ? " @" + std::to_string(m.resolution) : "") + (m.noFlip ? " no flip" : "");
        std::printf("%-16s %9.3f %9.3f %9.3f %9.3f %12.3f\n", label.c_str(), geometry::median(ious), mean(ious), geometry::median(fs), mean(fs), geometry::median(secs));
    }
}

} // namespace

// kiln bench matting: every method on composites over the Kodak photographs Kiln's model was not
// trained on: the NeRF-Synthetic lego views (real renders, not Kiln's library: out of domain), and
// with --data the held-out library assets (the dataset's val split) rendered on the CPU.
int benchMatting(const fs::path& data, int count, const fs::path& sheetDir, const fs::path& dataset) {
    const fs::path views = data / "mv/lego_train/train", photos = data / "backgrounds";
    if (!fs::is_directory(views) || !fs::is_directory(photos)) throw Error(data.string() + ": needs mv/lego_train/train and backgrounds (pass --testdata DIR)");
    constexpr int kSize = 400;
    std::vector<NamedSample> lego;
    for (int i = 0; i < count; ++i) {
        const int view = (i * 37 + 3) % 100;  // spread over the orbit
        lego.push_back(legoOverPhoto(views / ("r_" + std::to_string(view) + ".png"), photos / heldOutPhoto(i), kSize));
    }
    std::vector<MatteMethod> methods;
    const fs::path kiln = models::defaultKilnMattingModel();
    if (!kiln.empty()) {
        for (const int r : {128, 160, 224}) methods.push_back({"kiln", r});
        methods.push_back({"kiln", models::readMattingNetConfig(kiln).defaultResolution, true});
    }
    const auto pack = models::installedPack("isnet");
    if (pack)
        for (const int r : {320, 512, 1024}) methods.push_back({"isnet", r});
    methods.push_back({"grabcut", 400});
    std::printf("kiln bench matting: IoU (alpha >= 0.5) and boundary F (2 px) against the truth, over Kodak photographs 17-24 (held out of Kiln's matting training)\n");
    if (kiln.empty()) std::printf("(Kiln's matting model was not found: resources/models/matting)\n");
    else std::printf("Kiln's model: %s\n", kiln.string().c_str());
    if (!pack) std::printf("(the IS-Net pack is not installed: kiln models install isnet)\n");
    const int columns = int(std::min<std::size_t>(6, lego.size()));
    std::vector<core::Image> sheet;
    for (int s = 0; s < columns; ++s) sheet.push_back(lego[std::size_t(s)].sample.rgb);
    std::printf("\n%d NeRF-Synthetic lego views at %d px (out of domain):\n", count, kSize);
    scoreMethods(lego, methods, pack ? *pack : fs::path(), kiln, sheet, columns);
    int rows = 1 + int(sheet.size()) / columns - 1;
#ifdef KILN_WITH_TORCH
    if (!dataset.empty()) {
        // Held-out library assets, rendered as the trainer renders (another seed), composited at
        // the lego views' size over the held-out photos only.
        const procgen::Dataset ds = procgen::readDataset(dataset);
        std::vector<procgen::DatasetItem> val;
        for (const auto& it : ds.items)
            if (it.split == "val") val.push_back(it);
        if (val.empty()) throw Error(dataset.string() + ": the dataset has no val items");
        std::vector<std::string> names;
        for (int i = 0; i < 8; ++i) names.push_back(heldOutPhoto(i));
        const std::vector<core::Image> backgrounds = models::loadBackgroundPhotos(photos, names, 512);
        std::vector<NamedSample> library;
        for (int i = 0; i < count * 2; ++i) {
            const procgen::DatasetItem& it = val[std::size_t(i * 7) % val.size()];
            const procgen::ProcAsset a = procgen::generate(it.params, {.textureSize = 0});
            const models::MattingObject obj = models::cutOutObject(models::renderAssetView(a, models::randomTrainingView(0xbe9c0000ull + std::uint64_t(i)), 400, 2));
            std::mt19937_64 rng(0x5eed0000ull + std::uint64_t(i));
            models::MattingComposite c;
            do c = models::composeMattingSample(&obj, backgrounds, kSize, rng);
            while (*std::max_element(c.truth.f32.begin(), c.truth.f32.end()) < 0.5f);  // an object in every sample
            NamedSample n;
            n.sample.rgb = core::Image::makeU8(kSize, kSize, 3);
            for (std::size_t k = 0; k < c.rgb.f32.size(); ++k) n.sample.rgb.u8[k] = std::uint8_t(std::lround(std::clamp(c.rgb.f32[k], 0.0f, 1.0f) * 255.0f));
            n.sample.truth = c.truth;
            n.name = it.id;
            library.push_back(std::move(n));
        }
        for (int s = 0; s < columns; ++s) sheet.push_back(library[std::size_t(s)].sample.rgb);
        std::printf("\n%d held-out library assets (val split) at %d px, rendered and composited as in training (other seeds):\n", int(library.size()), kSize);
        scoreMethods(library, methods, pack ? *pack : fs::path(), kiln, sheet, columns);
    }
#else
    if (!dataset.empty()) throw Error("--data: this build has no LibTorch (the library composites need the trainer's renderer)");
#endif
    rows = int(sheet.size()) / columns;
    if (!sheetDir.empty()) {
        fs::create_directories(sheetDir);
        const fs::path path = sheetDir / "matting_sheet.png";
        writeOutputImage(render::composeGrid(sheet, columns), path, true);
        std::printf("sheet (%d rows; per set: composite, then %s%s grabcut): %s\n", rows, kiln.empty() ? "" : "kiln at its default resolution, ", pack ? "isnet @512, " : "",
                    path.string().c_str());
    }
    return 0;
}

#ifdef KILN_WITH_TORCH
// kiln bench upscale: real textures and photos, bicubic-downscaled x2 / x4 and brought back.
int benchUpscale(const fs::path& data) {
    std::vector<std::pair<std::string, core::Image>> inputs;
    {
        const core::Asset duck = io::loadAsset(data / "gltf/Duck/Duck.glb");
        if (const core::Mesh* m = duck.mesh(); m && !m->textures.empty()) inputs.emplace_back("Duck texture", m->textures.front().image);
    }
    inputs.emplace_back("CesiumMilkTruck", io::readImage(data / "gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.png"));
    for (const int k : {1, 5, 13, 19, 23}) {
        char name[32];
        std::snprintf(name, sizeof name, "kodim%02d.jpg", k);
        inputs.emplace_back(name, io::readImage(data / "backgrounds" / name));
    }
    const fs::path model = models::defaultUpscaleModel();
    std::printf("kiln bench upscale: PSNR (dB, RGB, 8 px border excluded) of the original against its bicubic-downscaled copy brought back\n");
    if (model.empty()) {
        std::printf("(the ESRGAN-slim pack is not installed: kiln models install esrgan-slim; bicubic only)\n");
    }
    std::printf("%-18s %6s %12s %12s %8s %14s\n", "image", "scale", "bicubic", "esrgan-slim", "gain", "s / out MP");
    for (const int scale : {2, 4}) {
        std::unique_ptr<models::Upscaler> up;
        if (!model.empty()) up = std::make_unique<models::Upscaler>(model, scale);
        std::vector<double> gains;
        double seconds = 0.0, megapixels = 0.0;
        for (const auto& [name, original] : inputs) {
            // Crop to a multiple of the scale, drop alpha.
            core::Image rgb = core::Image::makeU8(original.width / scale * scale, original.height / scale * scale, 3);
            for (int y = 0; y < rgb.height; ++y)
                for (int x = 0; x < rgb.width; ++x)
                    for (int c = 0; c < 3; ++c)
                        rgb.u8[(std::size_t(y) * std::size_t(rgb.width) + std::size_t(x)) * 3 + std::size_t(c)] =
                            std::uint8_t(std::lround(std::clamp(original.at(x, y, std::min(c, original.channels - 1)), 0.0f, 1.0f) * 255.0f));
            const core::Image small = models::downscaleBicubic(rgb, scale);
            const double bicubic = models::psnr(models::bicubicUpscale(small, scale), rgb, 8);
            double esrgan = 0.0;
            if (up) {
                const auto t0 = std::chrono::steady_clock::now();
                const core::Image big = up->run(small);
                seconds += secondsSince(t0);
                megapixels += double(big.width) * big.height / 1e6;
                esrgan = models::psnr(big, rgb, 8);
                gains.push_back(esrgan - bicubic);
            }
            std::printf("%-18s %6s %12.2f %12s %8s %14s\n", name.c_str(), ("x" + std::to_string(scale)).c_str(), bicubic,
                        up ? std::to_string(esrgan).substr(0, 5).c_str() : "-", up ? ((esrgan >= bicubic ? "+" : "") + std::to_string(esrgan - bicubic).substr(0, 5)).c_str() : "-",
                        "");
        }
        if (up) std::printf("%-18s %6s %12s %12s %8.2f %14.2f\n", "median gain", ("x" + std::to_string(scale)).c_str(), "", "", geometry::median(gains), seconds / megapixels);
    }
    return 0;
}
#endif

} // namespace kiln::app
