#include "models/matting.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/image_io.h"
#include "models/matting_cv.h"
#include "models/model_paths.h"
#include "models/onnx_convert.h"
#include "models/packs.h"

#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>

namespace fs = std::filesystem;

namespace kiln::models {

namespace matting_cv {

cv::Mat rgb8(const core::Image& image) {
    if (image.empty() || image.channels < 1) throw Error("matting: empty image");
    cv::Mat out(image.height, image.width, CV_8UC3);
    for (int y = 0; y < image.height; ++y) {
        auto* row = out.ptr<std::uint8_t>(y);
        for (int x = 0; x < image.width; ++x)
            for (int c = 0; c < 3; ++c) {
                const int src = image.channels >= 3 ? c : 0;
                float v = image.at(x, y, src);
                if (image.type == core::PixelType::F32) v = std::clamp(v, 0.0f, 1.0f);
                row[3 * x + c] = std::uint8_t(std::lround(v * 255.0f));
            }
    }
    return out;
}

cv::Mat rgbFloat(const core::Image& image) {
    if (image.empty() || image.channels < 1) throw Error("matting: empty image");
    cv::Mat out(image.height, image.width, CV_32FC3);
    for (int y = 0; y < image.height; ++y) {
        auto* row = out.ptr<float>(y);
        for (int x = 0; x < image.width; ++x)
            for (int c = 0; c < 3; ++c) row[3 * x + c] = std::clamp(image.at(x, y, image.channels >= 3 ? c : 0), 0.0f, 1.0f);
    }
    return out;
}

core::Image alphaImage(const cv::Mat& alpha) {
    core::Image out = core::Image::makeF32(alpha.cols, alpha.rows, 1);
    for (int y = 0; y < alpha.rows; ++y) {
        const float* row = alpha.ptr<float>(y);
        std::copy(row, row + alpha.cols, out.f32.begin() + std::ptrdiff_t(y) * alpha.cols);
    }
    return out;
}

cv::Mat alphaMat(const core::Image& alpha) {
    cv::Mat m(alpha.height, alpha.width, CV_32F);
    for (int y = 0; y < alpha.height; ++y)
        std::copy_n(alpha.f32.begin() + std::ptrdiff_t(y) * alpha.width, alpha.width, m.ptr<float>(y));
    return m;
}

} // namespace matting_cv

using matting_cv::alphaImage;
using matting_cv::rgb8;

namespace {

double coverageOf(const core::Image& alpha) {
    std::size_t n = 0;
    for (const float a : alpha.f32) n += a >= 0.5f;
    return alpha.f32.empty() ? 0.0 : double(n) / double(alpha.f32.size());
}

bool hasUsefulAlpha(const core::Image& image) {
    if (image.channels != 4) return false;
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            if (image.at(x, y, 3) < 0.99f) return true;
    return false;
}

constexpr double kGrabCutInset = 0.04;

fs::path defaultIsNetModel() {
    if (const auto pack = installedPack("isnet")) return *pack;
    for (const auto& m : listModels("matting"))
        if (!isKilnMattingNet(m.dir)) return m.dir;
    return {};
}

} // namespace

struct IsNetMatting::State {
    cv::dnn::Net net;
    int resolution = 512;
    double mean = 128.0, scale = 1.0 / 256.0;
    std::string licence, name;
};

IsNetMatting::IsNetMatting(const fs::path& dir, int resolution) : m_state(std::make_unique<State>()) {
    const ModelManifest manifest = verifyModelFolder(dir, "matting");
    const auto configBytes = io::readFileBytes(dir / "config.json");
    int native = 1024;
    std::string modelFile;
    try {
        const auto c = nlohmann::json::parse(configBytes.begin(), configBytes.end());
        if (c.at("format") != "kiln-isnet") throw Error((dir / "config.json").string() + ": not an IS-Net model (format " + c.at("format").dump() + ")");
        native = c.at("nativeResolution");
        modelFile = c.at("model");
        m_state->mean = c.at("mean");
        m_state->scale = c.at("scale");
        if (resolution == 0) resolution = c.at("defaultResolution");
    } catch (const nlohmann::json::exception& e) {
        throw Error((dir / "config.json").string() + ": malformed (" + e.what() + ")");
    }
    if (resolution < 64 || resolution > 2048 || resolution % 32 != 0)
        throw Error("matting: resolution " + std::to_string(resolution) + " is out of range (a multiple of 32 from 64 to 2048)");
    const auto model = io::readFileBytes(dir / modelFile);
    const std::string planned = atResolution(std::string(model.begin(), model.end()), native, resolution, (dir / modelFile).string());
    try {
        m_state->net = cv::dnn::readNetFromONNX(planned.data(), planned.size());
    } catch (const cv::Exception& e) {
        throw Error((dir / modelFile).string() + ": OpenCV could not load the network (" + e.msg + ")");
    }
    m_state->resolution = resolution;
    m_state->licence = manifest.licence;
    m_state->name = manifest.name + " " + manifest.version;
}

IsNetMatting::~IsNetMatting() = default;
int IsNetMatting::resolution() const { return m_state->resolution; }
const std::string& IsNetMatting::licence() const { return m_state->licence; }
const std::string& IsNetMatting::name() const { return m_state->name; }

core::Image IsNetMatting::run(const core::Image& image) {
    const cv::Mat rgb = rgb8(image);
    const int r = m_state->resolution;
    const double m = m_state->mean;
    const cv::Mat blob = cv::dnn::blobFromImage(rgb, m_state->scale, cv::Size(r, r), cv::Scalar(m, m, m), false, false);
    m_state->net.setInput(blob);
    cv::Mat out;
    try {
        out = m_state->net.forward();
    } catch (const cv::Exception& e) {
        throw Error("matting: IS-Net failed (" + e.msg + ")");
    }
    if (out.dims != 4 || out.size[2] != r || out.size[3] != r) throw Error("matting: IS-Net returned an unexpected shape");
    const cv::Mat small(r, r, CV_32F, out.ptr<float>());
    cv::Mat full;
    cv::resize(small, full, cv::Size(image.width, image.height), 0, 0, cv::INTER_LINEAR);
    cv::min(cv::max(full, 0.0), 1.0, full);
    return alphaImage(full);
}

core::Image grabCutAlpha(const core::Image& image, double inset, int workingSize) {
    const cv::Mat rgb = rgb8(image);
    const double s = std::min(1.0, double(workingSize) / double(std::max(image.width, image.height)));
    cv::Mat work;
    if (s < 1.0) cv::resize(rgb, work, cv::Size(), s, s, cv::INTER_AREA);
    else work = rgb;
    const int ix = std::max(1, int(inset * work.cols)), iy = std::max(1, int(inset * work.rows));
    const cv::Rect rect(ix, iy, work.cols - 2 * ix, work.rows - 2 * iy);
    cv::Mat mask(work.size(), CV_8U, cv::Scalar(cv::GC_BGD)), bgd, fgd;
    cv::theRNG().state = 0x12345678;  // GrabCut's k-means seeds from OpenCV's global generator
    cv::Mat bgr;
    cv::cvtColor(work, bgr, cv::COLOR_RGB2BGR);
    cv::grabCut(bgr, mask, rect, bgd, fgd, 5, cv::GC_INIT_WITH_RECT);
    cv::Mat fg = ((mask == cv::GC_FGD) | (mask == cv::GC_PR_FGD));
    cv::Mat alpha;
    fg.convertTo(alpha, CV_32F, 1.0 / 255.0);
    cv::Mat full;
    cv::resize(alpha, full, cv::Size(image.width, image.height), 0, 0, cv::INTER_LINEAR);
    return alphaImage(full);
}

fs::path defaultKilnMattingModel() {
    for (const auto& m : listModels("matting"))
        if (isKilnMattingNet(m.dir)) return m.dir;
    return {};
}

ImageMatter::ImageMatter(MatteOptions options) : m_options(std::move(options)) {
    const std::string& m = m_options.method;
    if (m != "auto" && m != "kiln" && m != "isnet" && m != "grabcut" && m != "alpha")
        throw Error("--method: unknown matting method '" + m + "' (auto, kiln, isnet, grabcut, alpha)");
    if (!m_options.model.empty()) {
        if (!fs::is_directory(m_options.model)) throw Error("--model " + m_options.model.string() + ": no such model folder");
        (isKilnMattingNet(m_options.model) ? m_kilnModel : m_isnetModel) = m_options.model;
    } else {
        m_kilnModel = defaultKilnMattingModel();
        m_isnetModel = defaultIsNetModel();
    }
}

ImageMatter::~ImageMatter() = default;

Matte ImageMatter::run(const core::Image& image, const std::string& what) {
    const auto t0 = std::chrono::steady_clock::now();
    const MatteOptions& o = m_options;
    if (image.empty()) throw Error(what + ": empty image");
    std::string method = o.method;
    if (method == "auto") method = hasUsefulAlpha(image) ? "alpha" : !m_kilnModel.empty() ? "kiln" : !m_isnetModel.empty() ? "isnet" : "grabcut";
    Matte m;
    auto fromNetwork = [&](auto& net) {
        m.alpha = net.run(image);
        m.resolution = net.resolution();
        m.modelLicence = net.licence();
        m.modelName = net.name();
    };
    for (bool fellBack = false;;) {
        m = Matte{};
        m.method = method;
        if (method == "alpha") {
            if (image.channels != 4) throw Error(what + ": has no alpha channel (use --method isnet or grabcut)");
            m.alpha = core::Image::makeF32(image.width, image.height, 1);
            for (int y = 0; y < image.height; ++y)
                for (int x = 0; x < image.width; ++x) m.alpha.f32[std::size_t(y) * std::size_t(image.width) + std::size_t(x)] = image.at(x, y, 3);
            m.resolution = std::max(image.width, image.height);
        } else if (method == "kiln") {
            if (m_kilnModel.empty())
                throw Error(what + ": Kiln's matting model was not found (resources/models/matting; or train one: kiln train matting)");
            if (!m_kilnNet) m_kilnNet = std::make_unique<KilnMattingNet>(m_kilnModel, o.resolution);
            fromNetwork(*m_kilnNet);
        } else if (method == "isnet") {
            if (m_isnetModel.empty())
                throw Error(what + ": no IS-Net model is installed (install the IS-Net pack: kiln models install isnet, or scripts/kiln.sh models)");
            if (!m_net) m_net = std::make_unique<IsNetMatting>(m_isnetModel, o.resolution);
            fromNetwork(*m_net);
        } else {
            m.alpha = grabCutAlpha(image, kGrabCutInset);
            m.resolution = std::min(400, std::max(image.width, image.height));
        }
        m.coverage = coverageOf(m.alpha);
        // auto: Kiln's network finding nothing gives way to IS-Net, else GrabCut (which still says
        // when nothing stands out).
        if (o.method == "auto" && method == "kiln" && m.coverage < 0.001 && !fellBack) {
            method = !m_isnetModel.empty() ? "isnet" : "grabcut";
            fellBack = true;
            continue;
        }
        if (fellBack) m.note = "Kiln's network found no object";
        break;
    }
    // GrabCut on an image with nothing to separate keeps the whole starting rectangle.
    if (!o.allowEmpty && m.method == "grabcut" && m.coverage > 0.97 * (1.0 - 2.0 * kGrabCutInset) * (1.0 - 2.0 * kGrabCutInset))
        throw Error(what + ": the matte finds no object (grabcut kept the whole frame: nothing stands out from the background); give a mask or "
                    "install the IS-Net pack (kiln models install isnet)");
    if (!o.allowEmpty && m.coverage < 0.001)
        throw Error(what + ": the matte finds no object (" + m.method + ": under 0.1% of the pixels are foreground); give a mask or another method");
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return m;
}

Matte matteImage(const core::Image& image, const MatteOptions& o, const std::string& what) { return ImageMatter(o).run(image, what); }

MatteSample compositeOverPhoto(const core::Image& rgba, const core::Image& photo, int size, const std::string& what) {
    if (rgba.channels != 4) throw Error(what + ": the view needs an alpha channel (the ground truth)");
    if (photo.width < size || photo.height < size) throw Error(what + ": the photo is smaller than " + std::to_string(size) + " px");
    MatteSample s{core::Image::makeU8(size, size, 3), core::Image::makeF32(size, size, 1)};
    const int ox = (photo.width - size) / 2, oy = (photo.height - size) / 2;
    const double f = double(rgba.width) / size;
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            // Box filter over the source pixels this one covers (premultiplied).
            const int x0 = int(x * f), x1 = std::max(x0 + 1, int((x + 1) * f)), y0 = int(y * f), y1 = std::max(y0 + 1, int((y + 1) * f));
            float a = 0.0f, c[3] = {0, 0, 0};
            for (int j = y0; j < y1; ++j)
                for (int i = x0; i < x1; ++i) {
                    const float ai = rgba.at(i, j, 3);
                    a += ai;
                    for (int k = 0; k < 3; ++k) c[k] += ai * rgba.at(i, j, k);
                }
            const float n = float((x1 - x0) * (y1 - y0));
            a /= n;
            const std::size_t p = std::size_t(y) * std::size_t(size) + std::size_t(x);
            for (int k = 0; k < 3; ++k)
                s.rgb.u8[3 * p + std::size_t(k)] = std::uint8_t(std::lround(std::clamp(c[k] / n + (1.0f - a) * photo.at(ox + x, oy + y, k), 0.0f, 1.0f) * 255.0f));
            s.truth.f32[p] = a;
        }
    return s;
}

MatteScore scoreMatte(const core::Image& matte, const core::Image& truth, int tolerance) {
    if (matte.width != truth.width || matte.height != truth.height || matte.channels != 1 || truth.channels != 1)
        throw Error("matting: the matte and the truth differ in size");
    const int w = matte.width, h = matte.height;
    auto mask = [&](const core::Image& a) {
        cv::Mat m(h, w, CV_8U);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) m.at<std::uint8_t>(y, x) = a.f32[std::size_t(y) * std::size_t(w) + std::size_t(x)] >= 0.5f ? 255 : 0;
        return m;
    };
    const cv::Mat a = mask(matte), b = mask(truth);
    MatteScore s;
    const double inter = cv::countNonZero(a & b), uni = cv::countNonZero(a | b);
    s.iou = uni > 0 ? inter / uni : 1.0;
    // Boundary: a mask pixel with a background 4-neighbour (morphological gradient).
    auto boundary = [](const cv::Mat& m) {
        cv::Mat eroded;
        cv::erode(m, eroded, cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3)));
        return m & ~eroded;
    };
    const cv::Mat ba = boundary(a), bb = boundary(b);
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * tolerance + 1, 2 * tolerance + 1));
    cv::Mat na, nb;
    cv::dilate(ba, na, kernel);
    cv::dilate(bb, nb, kernel);
    const double ca = cv::countNonZero(ba), cb = cv::countNonZero(bb);
    const double precision = ca > 0 ? cv::countNonZero(ba & nb) / ca : 0.0, recall = cb > 0 ? cv::countNonZero(bb & na) / cb : 0.0;
    s.boundaryF = precision + recall > 0 ? 2.0 * precision * recall / (precision + recall) : 0.0;
    return s;
}

core::Image applyMatte(const core::Image& image, const core::Image& alpha) {
    if (alpha.width != image.width || alpha.height != image.height || alpha.channels != 1) throw Error("matting: the matte does not match the image");
    core::Image out = core::Image::makeU8(image.width, image.height, 4);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const std::size_t p = std::size_t(y) * std::size_t(image.width) + std::size_t(x);
            for (int c = 0; c < 3; ++c)
                out.u8[4 * p + std::size_t(c)] = std::uint8_t(std::lround(std::clamp(image.at(x, y, image.channels >= 3 ? c : 0), 0.0f, 1.0f) * 255.0f));
            out.u8[4 * p + 3] = std::uint8_t(std::lround(std::clamp(alpha.f32[p], 0.0f, 1.0f) * 255.0f));
        }
    return out;
}

// A mask file as a foreground matte of `image`'s size: its alpha channel when it has one that is
// not fully opaque, else its first channel (white = object).
core::Image matteFromMaskFile(const std::filesystem::path& file, const core::Image& image, const std::string& imageName) {
    if (!std::filesystem::is_regular_file(file)) throw Error("--mask " + file.string() + ": no such file");
    const core::Image mask = io::readImage(file);
    if (mask.width != image.width || mask.height != image.height)
        throw Error("--mask " + file.filename().string() + ": " + std::to_string(mask.width) + "x" + std::to_string(mask.height) + ", but " + imageName + " is " +
                    std::to_string(image.width) + "x" + std::to_string(image.height));
    int channel = 0;
    if (mask.channels == 4 || mask.channels == 2)
        for (int y = 0; y < mask.height && channel == 0; ++y)
            for (int x = 0; x < mask.width; ++x)
                if (mask.at(x, y, mask.channels - 1) < 0.999f) {
                    channel = mask.channels - 1;
                    break;
                }
    core::Image alpha = core::Image::makeF32(mask.width, mask.height, 1);
    for (int y = 0; y < mask.height; ++y)
        for (int x = 0; x < mask.width; ++x) alpha.f32[std::size_t(y) * std::size_t(mask.width) + std::size_t(x)] = mask.at(x, y, channel);
    return alpha;
}
} // namespace kiln::models
