// kiln matte IMAGE... -o OUT_DIR   and   kiln upscale IMAGE -o OUT, with their benchmarks
// (kiln bench matting | upscale).
#include "cli.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/image_io.h"
#include "models/matting.h"
#include "models/packs.h"
#ifdef KILN_WITH_TORCH
#include "models/upscale.h"
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

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
        throw Error("usage: kiln matte IMAGE... -o OUT_DIR [--method auto|isnet|grabcut|alpha] [--resolution N] [--model DIR] [--force]");
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
        if (fs::exists(t) && !args.has("force")) throw Error(t.string() + ": exists (use --force to replace it)");
        targets.push_back(t);
    }
    std::vector<core::Image> results(images.size());
    std::vector<models::Matte> mattes(images.size());
    runJob("matte", [&](core::Progress& progress, const core::CancelToken& cancel) {
        std::unique_ptr<models::IsNetMatting> net;  // loaded once for every image that uses it
        for (std::size_t i = 0; i < images.size(); ++i) {
            cancel.throwIfCancelled();
            progress.report("matting " + args.positional[i], float(i) / float(images.size()));
            models::MatteOptions oi = o;
            if (oi.method == "auto" && images[i].channels != 4 && models::installedPack("isnet") && o.model.empty()) oi.method = "isnet";
            if (oi.method == "isnet" && images[i].channels != 4) {
                const auto t0 = std::chrono::steady_clock::now();
                if (!net) {
                    fs::path model = o.model;
                    if (model.empty()) {
                        const auto pack = models::installedPack("isnet");
                        if (!pack) throw Error(args.positional[i] + ": no matting model is installed (kiln models install isnet, or scripts/kiln.sh models)");
                        model = *pack;
                    }
                    net = std::make_unique<models::IsNetMatting>(model, o.resolution);
                }
                models::Matte m;
                m.alpha = net->run(images[i]);
                m.method = "isnet";
                m.resolution = net->resolution();
                m.modelLicence = net->licence();
                m.modelName = net->name();
                for (const float a : m.alpha.f32) m.coverage += a >= 0.5f;
                m.coverage /= double(m.alpha.f32.size());
                if (m.coverage < 0.001) throw Error(args.positional[i] + ": the matte finds no object (isnet: under 0.1% of the pixels are foreground)");
                m.seconds = secondsSince(t0);
                mattes[i] = std::move(m);
            } else {
                mattes[i] = models::matteImage(images[i], oi, args.positional[i]);
            }
            results[i] = models::applyMatte(images[i], mattes[i].alpha);
        }
        return std::vector<core::Asset>{};
    });
    fs::create_directories(dir);
    for (std::size_t i = 0; i < results.size(); ++i) {
        writeOutputImage(results[i], targets[i], args.has("force"));
        std::printf("%s -> %s  (%s at %d px, %.1f%% foreground, %.2f s)\n", args.positional[i].c_str(), targets[i].string().c_str(), mattes[i].method.c_str(),
                    mattes[i].resolution, 100.0 * mattes[i].coverage, mattes[i].seconds);
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
    if (fs::exists(out) && !args.has("force")) throw Error(out + ": exists (use --force to replace it)");
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

// A lego view (RGBA: its alpha is the truth) downscaled to size x size and laid over the centre
// of a photograph.
struct MatteSample {
    core::Image rgb, truth;
    std::string name;
};

MatteSample legoOverPhoto(const fs::path& view, const fs::path& photo, int size) {
    const core::Image lego = io::readImage(view), bg = io::readImage(photo);
    if (lego.channels != 4) throw Error(view.string() + ": needs an alpha channel (the ground truth)");
    if (bg.width < size || bg.height < size) throw Error(photo.string() + ": smaller than " + std::to_string(size) + " px");
    MatteSample s{core::Image::makeU8(size, size, 3), core::Image::makeF32(size, size, 1), view.stem().string() + " over " + photo.stem().string()};
    const int ox = (bg.width - size) / 2, oy = (bg.height - size) / 2;
    const double f = double(lego.width) / size;
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            // Box filter over the source pixels this one covers (premultiplied).
            const int x0 = int(x * f), x1 = std::max(x0 + 1, int((x + 1) * f)), y0 = int(y * f), y1 = std::max(y0 + 1, int((y + 1) * f));
            float a = 0.0f, c[3] = {0, 0, 0};
            for (int j = y0; j < y1; ++j)
                for (int i = x0; i < x1; ++i) {
                    const float ai = lego.at(i, j, 3);
                    a += ai;
                    for (int k = 0; k < 3; ++k) c[k] += ai * lego.at(i, j, k);
                }
            const float n = float((x1 - x0) * (y1 - y0));
            a /= n;
            const std::size_t p = std::size_t(y) * std::size_t(size) + std::size_t(x);
            for (int k = 0; k < 3; ++k)
                s.rgb.u8[3 * p + std::size_t(k)] = std::uint8_t(std::lround(std::clamp(c[k] / n + (1.0f - a) * bg.at(ox + x, oy + y, k), 0.0f, 1.0f) * 255.0f));
            s.truth.f32[p] = a;
        }
    return s;
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

// Images of one size side by side in rows.
core::Image mosaic(const std::vector<core::Image>& tiles, int columns) {
    const int tw = tiles.front().width, th = tiles.front().height, rows = (int(tiles.size()) + columns - 1) / columns;
    core::Image out = core::Image::makeU8(tw * columns, th * rows, 3);
    std::fill(out.u8.begin(), out.u8.end(), 255);
    for (std::size_t t = 0; t < tiles.size(); ++t) {
        const int ox = int(t % std::size_t(columns)) * tw, oy = int(t / std::size_t(columns)) * th;
        for (int y = 0; y < th; ++y)
            for (int x = 0; x < tw; ++x)
                for (int k = 0; k < 3; ++k)
                    out.u8[(std::size_t(oy + y) * std::size_t(out.width) + std::size_t(ox + x)) * 3 + std::size_t(k)] =
                        tiles[t].u8[(std::size_t(y) * std::size_t(tw) + std::size_t(x)) * 3 + std::size_t(k)];
    }
    return out;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

} // namespace

// kiln bench matting: the lego views (alpha = truth) over the Kodak photographs, every method.
int benchMatting(const fs::path& data, int count, const fs::path& sheetDir) {
    const fs::path views = data / "mv/lego_train/train", photos = data / "backgrounds";
    if (!fs::is_directory(views) || !fs::is_directory(photos)) throw Error(data.string() + ": needs mv/lego_train/train and backgrounds (pass --testdata DIR)");
    constexpr int kSize = 400;
    std::vector<MatteSample> samples;
    for (int i = 0; i < count; ++i) {
        const int view = (i * 37 + 3) % 100;  // spread over the orbit
        char photo[32];
        std::snprintf(photo, sizeof photo, "kodim%02d.jpg", i % 24 + 1);
        samples.push_back(legoOverPhoto(views / ("r_" + std::to_string(view) + ".png"), photos / photo, kSize));
    }
    struct Method {
        std::string name;
        int resolution;
    };
    std::vector<Method> methods;
    const auto pack = models::installedPack("isnet");
    if (pack)
        for (const int r : {320, 512, 1024}) methods.push_back({"isnet", r});
    methods.push_back({"grabcut", 400});
    std::printf("kiln bench matting: %d lego views (alpha = truth) at %d px over Kodak photographs; IoU (alpha >= 0.5), boundary F (2 px)\n", count, kSize);
    if (!pack) std::printf("(the IS-Net pack is not installed: kiln models install isnet)\n");
    std::printf("Kiln's own matting model (slot matting, trained on library renders) does not exist yet (image->3D issue): not measured\n");
    std::printf("%-16s %9s %9s %9s %9s %12s\n", "method", "IoU med", "IoU min", "F med", "F min", "s / image");
    std::vector<core::Image> sheet;
    for (std::size_t s = 0; s < std::min<std::size_t>(4, samples.size()); ++s) sheet.push_back(samples[s].rgb);
    for (const Method& m : methods) {
        std::vector<double> ious, fs, secs;
        std::unique_ptr<models::IsNetMatting> net;
        if (m.name == "isnet") net = std::make_unique<models::IsNetMatting>(*pack, m.resolution);
        for (std::size_t s = 0; s < samples.size(); ++s) {
            const auto t0 = std::chrono::steady_clock::now();
            const core::Image alpha = net ? net->run(samples[s].rgb) : models::grabCutAlpha(samples[s].rgb);
            secs.push_back(secondsSince(t0));
            const auto score = models::scoreMatte(alpha, samples[s].truth, 2);
            ious.push_back(score.iou);
            fs.push_back(score.boundaryF);
            if (s < 4 && (m.name == "grabcut" || m.resolution == 512)) sheet.push_back(overGreen(samples[s].rgb, alpha));
        }
        const std::string label = m.name + (m.name == "isnet" ? " @" + std::to_string(m.resolution) : "");
        std::printf("%-16s %9.3f %9.3f %9.3f %9.3f %12.2f\n", label.c_str(), median(ious), *std::min_element(ious.begin(), ious.end()), median(fs),
                    *std::min_element(fs.begin(), fs.end()), median(secs));
    }
    if (!sheetDir.empty()) {
        fs::create_directories(sheetDir);
        const fs::path path = sheetDir / "matting_sheet.png";
        writeOutputImage(mosaic(sheet, int(std::min<std::size_t>(4, samples.size()))), path, true);
        std::printf("sheet (rows: composite, isnet @512, grabcut): %s\n", path.string().c_str());
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
        if (up) std::printf("%-18s %6s %12s %12s %8.2f %14.2f\n", "median gain", ("x" + std::to_string(scale)).c_str(), "", "", median(gains), seconds / megapixels);
    }
    return 0;
}
#endif

} // namespace kiln::app
