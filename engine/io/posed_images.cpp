#include "io/posed_images.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/image_io.h"
#include "io/splat_io.h"

#include <glm/mat3x3.hpp>
#include <glm/vec2.hpp>
#include <glm/mat4x4.hpp>
#include <glm/matrix.hpp>
#include <glm/geometric.hpp>
#include <glm/gtc/constants.hpp>
#include <glm/gtc/matrix_transform.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

namespace fs = std::filesystem;
using nlohmann::json;

namespace kiln::io {

namespace {

// A view whose pose and (possibly partial) intrinsics are known, before its image is decoded.
// Intrinsics are at the file's full resolution; missing ones come from the image size.
struct PendingView {
    std::string name;           // shown to the user and kept in PosedImage::name
    fs::path file;
    glm::dmat4 cameraToWorld{1.0};
    std::optional<double> fx, fy, cx, cy;
    std::optional<double> angleX, angleY;  // camera_angle_x / _y (radians), when no focal is given
    int width = 0, height = 0;             // expected size, 0 = take the image's
    std::string sizeOrigin;                // what declared the expected size, for errors
    bool sharedSize = false;               // every view of the set must have the same size
};

std::string fmt(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

// ---- pose checks -----------------------------------------------------------------------------

void checkPose(const glm::dmat4& m, const std::string& where) {
    for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 4; ++r)
            if (!std::isfinite(m[c][r])) throw Error(where + ": pose has a non-finite value (NaN or infinity)");
    if (std::abs(m[0][3]) > 1e-6 || std::abs(m[1][3]) > 1e-6 || std::abs(m[2][3]) > 1e-6 || std::abs(m[3][3] - 1.0) > 1e-6)
        throw Error(where + ": pose is not a rigid transform (last row must be 0 0 0 1)");
    const double det = glm::determinant(glm::dmat3(m));
    if (!(std::abs(det) > 1e-9)) throw Error(where + ": pose is not invertible (rotation part is singular)");
}

// ---- image decoding --------------------------------------------------------------------------

// Grey and grey+alpha become RGB and RGBA so every view has colour channels.
core::Image toRgb(core::Image image, const std::string& name) {
    if (image.type != core::PixelType::U8)
        throw Error(name + ": floating-point images are not supported as views (use PNG or JPEG)");
    if (image.channels == 3 || image.channels == 4) return image;
    if (image.channels > 4) {
        core::Image out = core::Image::makeU8(image.width, image.height, 4);
        for (std::size_t p = 0; p < image.pixelCount(); ++p)
            for (int c = 0; c < 4; ++c) out.u8[p * 4 + std::size_t(c)] = image.u8[p * std::size_t(image.channels) + std::size_t(c)];
        return out;
    }
    const bool alpha = image.channels == 2;
    core::Image out = core::Image::makeU8(image.width, image.height, alpha ? 4 : 3);
    for (std::size_t p = 0; p < image.pixelCount(); ++p) {
        const std::uint8_t g = image.u8[p * std::size_t(image.channels)];
        std::uint8_t* d = &out.u8[p * std::size_t(out.channels)];
        d[0] = d[1] = d[2] = g;
        if (alpha) d[3] = image.u8[p * 2 + 1];
    }
    return out;
}

// Box filter by an integer factor; a remainder row/column is dropped (the principal point, in
// COLMAP's pixel convention, scales exactly). Colour is averaged weighted by alpha, so transparent
// pixels (often black) do not darken the edges of a cut-out object.
core::Image boxDownscale(const core::Image& src, int f) {
    if (f == 1) return src;
    const int w = std::max(1, src.width / f), h = std::max(1, src.height / f), ch = src.channels;
    const int fx = std::min(f, src.width), fy = std::min(f, src.height);
    core::Image out = core::Image::makeU8(w, h, ch);
    const bool alpha = ch == 4;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            std::uint32_t sum[4] = {0, 0, 0, 0};
            std::uint64_t weighted[3] = {0, 0, 0};
            for (int j = 0; j < fy; ++j) {
                const std::uint8_t* row = &src.u8[(std::size_t(y * fy + j) * std::size_t(src.width) + std::size_t(x * fx)) * std::size_t(ch)];
                for (int i = 0; i < fx; ++i)
                    for (int c = 0; c < ch; ++c) {
                        sum[c] += row[i * ch + c];
                        if (alpha && c < 3) weighted[c] += std::uint64_t(row[i * ch + c]) * row[i * ch + 3];
                    }
            }
            const std::uint32_t n = std::uint32_t(fx * fy);
            std::uint8_t* d = &out.u8[(std::size_t(y) * std::size_t(w) + std::size_t(x)) * std::size_t(ch)];
            for (int c = 0; c < ch; ++c) d[c] = std::uint8_t((sum[c] + n / 2) / n);
            if (alpha && sum[3] > 0)
                for (int c = 0; c < 3; ++c) d[c] = std::uint8_t((weighted[c] + sum[3] / 2) / sum[3]);
        }
    return out;
}

PosedImage finishView(const PendingView& v, core::Image image, const LoadOptions& options) {
    const int w = image.width, h = image.height;
    if (v.width > 0 && (w != v.width || h != v.height))
        throw Error(v.name + ": image is " + std::to_string(w) + "x" + std::to_string(h) + " but " + v.sizeOrigin + " says " +
                    std::to_string(v.width) + "x" + std::to_string(v.height));
    double fx, fy;
    if (v.fx) {
        fx = *v.fx;
        fy = v.fy ? *v.fy : fx;
    } else {
        fx = 0.5 * w / std::tan(0.5 * *v.angleX);
        fy = v.angleY ? 0.5 * h / std::tan(0.5 * *v.angleY) : fx;
    }
    const double cx = v.cx ? *v.cx : 0.5 * w, cy = v.cy ? *v.cy : 0.5 * h;
    if (!(fx > 0.0 && fy > 0.0) || !std::isfinite(fx) || !std::isfinite(fy) || !std::isfinite(cx) || !std::isfinite(cy))
        throw Error(v.name + ": focal length must be positive and finite (fx " + fmt(fx) + ", fy " + fmt(fy) + ")");

    int factor = options.downscale;
    if (options.maxSize > 0)
        while (std::max(w, h) / factor > options.maxSize) ++factor;
    PosedImage out;
    out.name = v.name;
    out.image = boxDownscale(image, factor);
    out.fx = float(fx / factor);
    out.fy = float(fy / factor);
    out.cx = float(cx / factor);
    out.cy = float(cy / factor);
    out.camera.cameraToWorld = glm::mat4(v.cameraToWorld);
    out.camera.fovY = 2.0f * std::atan(float(out.image.height) / (2.0f * out.fy));
    return out;
}

// Decodes every view on worker threads (PNG/JPEG decoding dominates loading). The first failure,
// in view order, is rethrown so the error does not depend on thread timing.
std::vector<PosedImage> decodeViews(std::vector<PendingView> views, const LoadOptions& options, const std::string& source) {
    if (options.onlyView >= 0) {
        if (options.onlyView >= int(views.size()))
            throw Error(source + ": view " + std::to_string(options.onlyView) + " is out of range (the set has " + std::to_string(views.size()) +
                        " views, 0 to " + std::to_string(int(views.size()) - 1) + ")");
        PendingView one = std::move(views[std::size_t(options.onlyView)]);
        views.clear();
        views.push_back(std::move(one));
    }
    std::vector<PosedImage> out(views.size());
    std::vector<glm::ivec2> original(views.size());
    std::vector<std::exception_ptr> errors(views.size());
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    auto work = [&] {
        for (std::size_t i; !failed.load() && (i = next.fetch_add(1)) < views.size();) {
            try {
                const PendingView& v = views[i];
                core::Image image = toRgb(readImage(v.file), v.name);
                original[i] = {image.width, image.height};
                out[i] = finishView(v, std::move(image), options);
            } catch (...) {
                errors[i] = std::current_exception();
                failed = true;
            }
        }
    };
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t threads = std::min<std::size_t>({std::size_t(hw), 8, views.size()});
    {
        std::vector<std::jthread> pool;
        for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
        work();
    }
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
    // Views whose size was only implied by a shared camera must agree with each other.
    std::size_t first = views.size();
    for (std::size_t i = 0; i < views.size(); ++i) {
        if (!views[i].sharedSize) continue;
        if (first == views.size()) {
            first = i;
            continue;
        }
        if (original[i] != original[first])
            throw Error(views[i].sizeOrigin + ": image " + views[i].name + " is " + std::to_string(original[i].x) + "x" +
                        std::to_string(original[i].y) + " but " + views[first].name + " is " + std::to_string(original[first].x) + "x" +
                        std::to_string(original[first].y) + " and the file gives one camera for all frames");
    }
    return out;
}

// ---- transforms.json -------------------------------------------------------------------------

std::optional<double> optNumber(const json& j, const char* key, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) throw Error(where + ": '" + key + "' must be a number");
    const double v = it->get<double>();
    if (!std::isfinite(v)) throw Error(where + ": '" + key + "' is not finite");
    return v;
}

PosedImageSet readTransforms(const fs::path& file, const LoadOptions& options) {
    const std::string jsonName = displayName(file);
    const auto bytes = readFileBytes(file);
    json root;
    try {
        root = json::parse(bytes.begin(), bytes.end());
    } catch (const json::parse_error& e) {
        throw Error(jsonName + ": invalid JSON (" + std::string(e.what()) + ")");
    }
    if (!root.is_object()) throw Error(jsonName + ": not a transforms file (top level is not an object)");
    auto framesIt = root.find("frames");
    if (framesIt == root.end() || !framesIt->is_array()) throw Error(jsonName + ": no 'frames' array");
    if (framesIt->empty()) throw Error(jsonName + ": 'frames' is empty (no views)");

    PosedImageSet set;
    set.source = file;
    if (auto model = root.find("camera_model"); model != root.end()) {
        const std::string m = model->is_string() ? model->get<std::string>() : "";
        if (m != "OPENCV" && m != "PINHOLE" && m != "SIMPLE_PINHOLE")
            throw Error(jsonName + ": camera_model '" + (m.empty() ? model->dump() : m) +
                        "' is not supported (supported: OPENCV, PINHOLE, SIMPLE_PINHOLE)");
    }
    bool distortion = false;
    for (const char* k : {"k1", "k2", "k3", "k4", "p1", "p2"}) {
        const auto v = optNumber(root, k, jsonName);
        distortion = distortion || (v && *v != 0.0);
    }
    if (distortion) set.notes.push_back(jsonName + ": lens distortion (k1.., p1..) is ignored; undistorted images fit best");

    const auto gFx = optNumber(root, "fl_x", jsonName), gFy = optNumber(root, "fl_y", jsonName);
    const auto gCx = optNumber(root, "cx", jsonName), gCy = optNumber(root, "cy", jsonName);
    const auto gW = optNumber(root, "w", jsonName), gH = optNumber(root, "h", jsonName);
    const auto gAx = optNumber(root, "camera_angle_x", jsonName), gAy = optNumber(root, "camera_angle_y", jsonName);
    const fs::path dir = file.parent_path();

    std::vector<PendingView> views;
    std::size_t index = 0;
    for (const json& frame : *framesIt) {
        const std::string where = jsonName + ": frame " + std::to_string(index++);
        if (!frame.is_object()) throw Error(where + ": not an object");
        auto fp = frame.find("file_path");
        if (fp == frame.end() || !fp->is_string() || fp->get<std::string>().empty()) throw Error(where + ": missing 'file_path'");
        const std::string rel = fp->get<std::string>();
        PendingView v;
        fs::path path = dir / fs::path(rel);
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            // NeRF-Synthetic writes file_path without the extension.
            fs::path found;
            for (const char* ext : {".png", ".jpg", ".jpeg", ".PNG", ".JPG"}) {
                fs::path candidate = path;
                candidate += ext;
                if (fs::exists(candidate, ec)) {
                    found = candidate;
                    break;
                }
            }
            if (found.empty()) {
                const std::string shown = fs::path(rel).lexically_normal().generic_string();
                const std::string known[] = {".png", ".jpg", ".jpeg", ".exr", ".tif", ".tiff", ".webp", ".bmp"};
                const bool hasImageExt = std::find(std::begin(known), std::end(known), lowerExtension(path)) != std::end(known);
                throw Error(where + ": image " + shown + " not found" + (hasImageExt ? "" : " (also tried " + shown + ".png and .jpg)") +
                            " next to " + jsonName);
            }
            path = found;
        }
        v.file = path;
        v.name = path.lexically_relative(dir).lexically_normal().generic_string();

        auto tm = frame.find("transform_matrix");
        if (tm == frame.end() || !tm->is_array() || (tm->size() != 4 && tm->size() != 3))
            throw Error(where + " (" + v.name + "): 'transform_matrix' must be a 4x4 (or 3x4) array");
        glm::dmat4 m(1.0);
        for (std::size_t r = 0; r < tm->size(); ++r) {
            const json& row = (*tm)[r];
            if (!row.is_array() || row.size() != 4) throw Error(where + " (" + v.name + "): 'transform_matrix' rows must have 4 numbers");
            for (std::size_t c = 0; c < 4; ++c) {
                if (!row[c].is_number()) throw Error(where + " (" + v.name + "): 'transform_matrix' holds a non-number");
                m[int(c)][int(r)] = row[c].get<double>();
            }
        }
        checkPose(m, where + " (" + v.name + ")");
        v.cameraToWorld = m;

        // Per-frame intrinsics (nerfstudio) override the file's.
        const auto fFx = optNumber(frame, "fl_x", where), fFy = optNumber(frame, "fl_y", where);
        const auto fCx = optNumber(frame, "cx", where), fCy = optNumber(frame, "cy", where);
        const auto fW = optNumber(frame, "w", where), fH = optNumber(frame, "h", where);
        const bool perFrame = fFx || fFy || fCx || fCy || fW || fH;
        v.fx = fFx ? fFx : gFx;
        v.fy = fFy ? fFy : (fFx ? fFx : gFy);
        v.cx = fCx ? fCx : gCx;
        v.cy = fCy ? fCy : gCy;
        if (!v.fx) {
            if (!gAx) throw Error(where + ": no focal length (neither fl_x nor camera_angle_x)");
            if (!(*gAx > 0.0 && *gAx < 3.14159)) throw Error(jsonName + ": camera_angle_x " + fmt(*gAx) + " is not an angle in (0, pi) radians");
            v.angleX = gAx;
            v.angleY = gAy;
        }
        const auto w = fW ? fW : gW, h = fH ? fH : gH;
        if (w && h) {
            if (!(*w >= 1 && *h >= 1 && *w <= 65536 && *h <= 65536)) throw Error(where + ": image size w/h is not valid");
            v.width = int(*w);
            v.height = int(*h);
            v.sizeOrigin = (fW ? where : jsonName) + " (w, h)";
        } else {
            v.sharedSize = !perFrame;
            v.sizeOrigin = jsonName;
        }
        views.push_back(std::move(v));
    }
    for (const PendingView& v : views) set.poses.push_back(glm::mat4(v.cameraToWorld));
    set.images = decodeViews(std::move(views), options, jsonName);
    // nerfstudio: an initial point cloud (sparse points, or any cloud) beside the transforms.
    if (auto ply = root.find("ply_file_path"); ply != root.end()) {
        if (!ply->is_string() || ply->get<std::string>().empty()) throw Error(jsonName + ": 'ply_file_path' must be a file name");
        const fs::path plyPath = dir / fs::path(ply->get<std::string>());
        std::error_code ec;
        if (!fs::exists(plyPath, ec)) throw Error(jsonName + ": ply_file_path " + ply->get<std::string>() + " not found");
        PointCloud points = readPointPly(plyPath);
        if (points.positions.empty()) throw Error(displayName(plyPath) + ": the initial point cloud has no points");
        if (points.colors.empty()) points.colors.assign(points.positions.size(), glm::vec3(0.5f));
        set.points = std::move(points.positions);
        set.pointColors = std::move(points.colors);
    }
    return set;
}

// ---- COLMAP ----------------------------------------------------------------------------------

struct ColmapCamera {
    std::string model;
    int width = 0, height = 0;
    std::vector<double> params;
};

struct ColmapImage {
    glm::dvec4 q{1, 0, 0, 0};  // w, x, y, z
    glm::dvec3 t{0.0};
    std::uint32_t cameraId = 0;
    std::string name;
};

const char* kColmapModels[] = {"SIMPLE_PINHOLE", "PINHOLE", "SIMPLE_RADIAL", "RADIAL", "OPENCV", "OPENCV_FISHEYE",
                               "FULL_OPENCV", "FOV", "SIMPLE_RADIAL_FISHEYE", "RADIAL_FISHEYE", "THIN_PRISM_FISHEYE"};
const int kColmapParamCount[] = {3, 4, 4, 5, 8, 8, 12, 5, 4, 5, 12};

int modelParamCount(const std::string& model) {
    for (int i = 0; i < 11; ++i)
        if (model == kColmapModels[i]) return kColmapParamCount[i];
    return -1;
}

std::vector<std::string> splitWords(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream s(line);
    for (std::string w; s >> w;) words.push_back(w);
    return words;
}

std::vector<std::string> readLines(const fs::path& file) {
    const auto bytes = readFileBytes(file);
    std::vector<std::string> lines;
    std::string cur;
    for (std::uint8_t b : bytes) {
        if (b == '\n') {
            lines.push_back(std::move(cur));
            cur.clear();
        } else if (b != '\r') {
            cur.push_back(char(b));
        }
    }
    if (!cur.empty()) lines.push_back(std::move(cur));
    return lines;
}

bool skippable(const std::string& line) {
    const auto first = line.find_first_not_of(" \t");
    return first == std::string::npos || line[first] == '#';
}

template <class T>
T parseNumber(const std::string& word, const std::string& where) {
    T value{};
    const char* begin = word.data();
    const char* end = word.data() + word.size();
    if (!word.empty() && *begin == '+') ++begin;
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end) throw Error(where + ": '" + word + "' is not a number");
    return value;
}

void checkCamera(ColmapCamera& cam, std::uint32_t id, const std::string& where) {
    const int count = modelParamCount(cam.model);
    if (count < 0) throw Error(where + ": camera " + std::to_string(id) + " has unknown model '" + cam.model + "'");
    if (int(cam.params.size()) != count)
        throw Error(where + ": camera " + std::to_string(id) + " (" + cam.model + ") needs " + std::to_string(count) + " parameters, has " +
                    std::to_string(cam.params.size()));
    if (cam.width < 1 || cam.height < 1 || cam.width > 65536 || cam.height > 65536)
        throw Error(where + ": camera " + std::to_string(id) + " has an invalid size " + std::to_string(cam.width) + "x" + std::to_string(cam.height));
    for (double p : cam.params)
        if (!std::isfinite(p)) throw Error(where + ": camera " + std::to_string(id) + " has a non-finite parameter");
}

std::map<std::uint32_t, ColmapCamera> readCamerasText(const fs::path& file) {
    const std::string name = displayName(file);
    std::map<std::uint32_t, ColmapCamera> cams;
    const auto lines = readLines(file);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (skippable(lines[i])) continue;
        const std::string where = name + ": line " + std::to_string(i + 1);
        const auto w = splitWords(lines[i]);
        if (w.size() < 4) throw Error(where + ": expected CAMERA_ID MODEL WIDTH HEIGHT PARAMS...");
        const auto id = parseNumber<std::uint32_t>(w[0], where);
        ColmapCamera cam;
        cam.model = w[1];
        cam.width = parseNumber<int>(w[2], where);
        cam.height = parseNumber<int>(w[3], where);
        for (std::size_t k = 4; k < w.size(); ++k) cam.params.push_back(parseNumber<double>(w[k], where));
        checkCamera(cam, id, where);
        cams[id] = std::move(cam);
    }
    return cams;
}

std::vector<ColmapImage> readImagesText(const fs::path& file) {
    const std::string name = displayName(file);
    std::vector<ColmapImage> images;
    const auto lines = readLines(file);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (skippable(lines[i])) continue;
        const std::string where = name + ": line " + std::to_string(i + 1);
        const auto w = splitWords(lines[i]);
        if (w.size() < 10) throw Error(where + ": expected IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME");
        ColmapImage img;
        for (int k = 0; k < 4; ++k) img.q[k] = parseNumber<double>(w[std::size_t(1 + k)], where);
        for (int k = 0; k < 3; ++k) img.t[k] = parseNumber<double>(w[std::size_t(5 + k)], where);
        img.cameraId = parseNumber<std::uint32_t>(w[8], where);
        img.name = w[9];
        for (std::size_t k = 10; k < w.size(); ++k) img.name += " " + w[k];
        images.push_back(std::move(img));
        ++i;  // the POINTS2D line that follows, possibly empty
    }
    return images;
}

void readPointsText(const fs::path& file, PosedImageSet& set) {
    const std::string name = displayName(file);
    const auto lines = readLines(file);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (skippable(lines[i])) continue;
        const std::string where = name + ": line " + std::to_string(i + 1);
        const auto w = splitWords(lines[i]);
        if (w.size() < 8) throw Error(where + ": expected POINT3D_ID X Y Z R G B ERROR TRACK...");
        glm::vec3 p, c;
        for (int k = 0; k < 3; ++k) {
            p[k] = float(parseNumber<double>(w[std::size_t(1 + k)], where));
            c[k] = float(parseNumber<int>(w[std::size_t(4 + k)], where)) / 255.0f;
        }
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) throw Error(where + ": point position is not finite");
        set.points.push_back(p);
        set.pointColors.push_back(glm::clamp(c, 0.0f, 1.0f));
    }
}

std::map<std::uint32_t, ColmapCamera> readCamerasBinary(const fs::path& file) {
    const auto bytes = readFileBytes(file);
    BinaryReader r(bytes, displayName(file));
    const auto count = r.read<std::uint64_t>("camera count");
    if (count > r.remaining() / 24) r.fail("camera count " + std::to_string(count) + " does not fit the file (truncated or corrupt)");
    std::map<std::uint32_t, ColmapCamera> cams;
    for (std::uint64_t i = 0; i < count; ++i) {
        const auto id = r.read<std::uint32_t>("camera id");
        const auto model = r.read<std::int32_t>("camera model");
        if (model < 0 || model > 10) r.fail("camera " + std::to_string(id) + " has unknown model id " + std::to_string(model));
        ColmapCamera cam;
        cam.model = kColmapModels[model];
        const auto w = r.read<std::uint64_t>("camera width"), h = r.read<std::uint64_t>("camera height");
        cam.width = int(std::min<std::uint64_t>(w, 1u << 30));
        cam.height = int(std::min<std::uint64_t>(h, 1u << 30));
        for (int k = 0; k < kColmapParamCount[model]; ++k) cam.params.push_back(r.read<double>("camera parameters"));
        checkCamera(cam, id, r.name());
        cams[id] = std::move(cam);
    }
    return cams;
}

std::vector<ColmapImage> readImagesBinary(const fs::path& file) {
    const auto bytes = readFileBytes(file);
    BinaryReader r(bytes, displayName(file));
    const auto count = r.read<std::uint64_t>("image count");
    if (count > r.remaining() / 73) r.fail("image count " + std::to_string(count) + " does not fit the file (truncated or corrupt)");
    std::vector<ColmapImage> images;
    for (std::uint64_t i = 0; i < count; ++i) {
        ColmapImage img;
        (void)r.read<std::uint32_t>("image id");
        for (int k = 0; k < 4; ++k) img.q[k] = r.read<double>("image rotation");
        for (int k = 0; k < 3; ++k) img.t[k] = r.read<double>("image translation");
        img.cameraId = r.read<std::uint32_t>("image camera id");
        for (char c; (c = char(r.read<std::uint8_t>("image name"))) != '\0';) img.name.push_back(c);
        const auto points = r.read<std::uint64_t>("2D point count");
        if (points > r.remaining() / 24) r.fail("image " + img.name + ": 2D point count does not fit the file (truncated or corrupt)");
        r.skip(std::size_t(points) * 24, "2D points");
        images.push_back(std::move(img));
    }
    return images;
}

void readPointsBinary(const fs::path& file, PosedImageSet& set) {
    const auto bytes = readFileBytes(file);
    BinaryReader r(bytes, displayName(file));
    const auto count = r.read<std::uint64_t>("point count");
    if (count > r.remaining() / 51) r.fail("point count " + std::to_string(count) + " does not fit the file (truncated or corrupt)");
    set.points.reserve(std::size_t(count));
    set.pointColors.reserve(std::size_t(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        (void)r.read<std::uint64_t>("point id");
        glm::vec3 p, c;
        for (int k = 0; k < 3; ++k) p[k] = float(r.read<double>("point position"));
        for (int k = 0; k < 3; ++k) c[k] = float(r.read<std::uint8_t>("point colour")) / 255.0f;
        (void)r.read<double>("point error");
        const auto track = r.read<std::uint64_t>("track length");
        if (track > r.remaining() / 8) r.fail("point track length does not fit the file (truncated or corrupt)");
        r.skip(std::size_t(track) * 8, "point track");
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) r.fail("point " + std::to_string(i) + " is not finite");
        set.points.push_back(p);
        set.pointColors.push_back(c);
    }
}

// COLMAP's world-to-camera (x_cam = R x_world + t, OpenCV axes) as camera-to-world in OpenGL axes.
glm::dmat4 colmapCameraToWorld(const ColmapImage& img, const std::string& where) {
    glm::dvec4 q = img.q;
    const double norm = std::sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
    if (!std::isfinite(norm) || !std::isfinite(img.t.x + img.t.y + img.t.z)) throw Error(where + ": pose has a non-finite value (NaN or infinity)");
    if (norm < 1e-9) throw Error(where + ": pose is not invertible (zero rotation quaternion)");
    q /= norm;
    const double w = q[0], x = q[1], y = q[2], z = q[3];
    // Rotation matrix of the unit quaternion (w, x, y, z), Hamilton convention as COLMAP uses.
    glm::dmat3 R;  // column-major: R[col][row]
    R[0][0] = 1 - 2 * (y * y + z * z);
    R[1][0] = 2 * (x * y - w * z);
    R[2][0] = 2 * (x * z + w * y);
    R[0][1] = 2 * (x * y + w * z);
    R[1][1] = 1 - 2 * (x * x + z * z);
    R[2][1] = 2 * (y * z - w * x);
    R[0][2] = 2 * (x * z - w * y);
    R[1][2] = 2 * (y * z + w * x);
    R[2][2] = 1 - 2 * (x * x + y * y);
    const glm::dmat3 Rt = glm::transpose(R);
    const glm::dvec3 centre = -(Rt * img.t);
    // OpenCV camera axes (x right, y down, z forward) to OpenGL (x right, y up, z backward).
    glm::dmat4 m(1.0);
    m[0] = glm::dvec4(Rt[0], 0.0);
    m[1] = glm::dvec4(-Rt[1], 0.0);
    m[2] = glm::dvec4(-Rt[2], 0.0);
    m[3] = glm::dvec4(centre, 1.0);
    return m;
}

PosedImageSet readColmap(const fs::path& modelDir, const LoadOptions& options) {
    std::error_code ec;
    const bool binary = fs::exists(modelDir / "cameras.bin", ec) && fs::exists(modelDir / "images.bin", ec);
    const fs::path camFile = modelDir / (binary ? "cameras.bin" : "cameras.txt");
    const fs::path imgFile = modelDir / (binary ? "images.bin" : "images.txt");
    const fs::path ptsFile = modelDir / (binary ? "points3D.bin" : "points3D.txt");
    if (!fs::exists(imgFile, ec)) throw Error(imgFile.string() + ": file not found (COLMAP model needs cameras, images and points3D)");

    PosedImageSet set;
    set.source = modelDir;
    auto cameras = binary ? readCamerasBinary(camFile) : readCamerasText(camFile);
    auto images = binary ? readImagesBinary(imgFile) : readImagesText(imgFile);
    if (fs::exists(ptsFile, ec)) {
        if (binary) readPointsBinary(ptsFile, set);
        else readPointsText(ptsFile, set);
    }
    const std::string camName = displayName(camFile), imgName = displayName(imgFile);
    if (images.empty()) throw Error(imgName + ": no registered images (empty set)");

    fs::path imageDir;
    for (const fs::path& candidate : {modelDir / "images", modelDir.parent_path() / "images", modelDir.parent_path().parent_path() / "images"})
        if (fs::is_directory(candidate, ec)) {
            imageDir = candidate;
            break;
        }
    if (imageDir.empty())
        throw Error(modelDir.string() + ": no images/ folder in, next to or above the COLMAP model");

    std::sort(images.begin(), images.end(), [](const ColmapImage& a, const ColmapImage& b) { return a.name < b.name; });
    std::vector<std::uint32_t> noted;
    std::vector<PendingView> views;
    for (const ColmapImage& img : images) {
        const std::string where = imgName + ": image " + img.name;
        auto camIt = cameras.find(img.cameraId);
        if (camIt == cameras.end()) throw Error(where + " uses camera " + std::to_string(img.cameraId) + ", which " + camName + " does not define");
        const ColmapCamera& cam = camIt->second;
        const auto& p = cam.params;
        PendingView v;
        v.name = img.name;
        v.file = imageDir / img.name;
        if (!fs::exists(v.file, ec)) throw Error(where + ": image file " + v.file.string() + " not found");
        v.cameraToWorld = colmapCameraToWorld(img, where);
        checkPose(v.cameraToWorld, where);
        std::size_t distortionFrom = p.size();
        if (cam.model == "SIMPLE_PINHOLE" || cam.model == "SIMPLE_RADIAL" || cam.model == "RADIAL") {
            v.fx = v.fy = p[0];
            v.cx = p[1];
            v.cy = p[2];
            distortionFrom = 3;
        } else if (cam.model == "PINHOLE" || cam.model == "OPENCV") {
            v.fx = p[0];
            v.fy = p[1];
            v.cx = p[2];
            v.cy = p[3];
            distortionFrom = 4;
        } else {
            throw Error(camName + ": camera " + std::to_string(img.cameraId) + " uses the " + cam.model +
                        " model, which is not supported (supported: SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV; undistort the images with colmap image_undistorter)");
        }
        const bool distorted = std::any_of(p.begin() + std::ptrdiff_t(distortionFrom), p.end(), [](double d) { return d != 0.0; });
        if (distorted && std::find(noted.begin(), noted.end(), img.cameraId) == noted.end()) {
            noted.push_back(img.cameraId);
            set.notes.push_back(camName + ": camera " + std::to_string(img.cameraId) + " (" + cam.model +
                                ") has lens distortion, which is ignored; undistorted images (colmap image_undistorter) fit best");
        }
        v.width = cam.width;
        v.height = cam.height;
        v.sizeOrigin = "camera " + std::to_string(img.cameraId) + " in " + camName;
        views.push_back(std::move(v));
    }
    for (const PendingView& v : views) set.poses.push_back(glm::mat4(v.cameraToWorld));
    set.images = decodeViews(std::move(views), options, imgName);
    return set;
}

bool isColmapModel(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "cameras.txt", ec) || fs::exists(dir / "cameras.bin", ec) || fs::exists(dir / "images.txt", ec) ||
           fs::exists(dir / "images.bin", ec);
}

fs::path findTransforms(const fs::path& dir) {
    std::error_code ec;
    for (const char* preferred : {"transforms.json", "transforms_train.json"})
        if (fs::is_regular_file(dir / preferred, ec)) return dir / preferred;
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string n = entry.path().filename().string();
        if (entry.is_regular_file(ec) && n.rfind("transforms", 0) == 0 && lowerExtension(entry.path()) == ".json") found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found.empty() ? fs::path() : found.front();
}

// The COLMAP model folder or the transforms file a directory's set is read from (both empty: none).
// A model in the directory itself comes first, then transforms*.json, then a model in a subfolder.
std::pair<fs::path, fs::path> findPosedSource(const fs::path& dir) {
    if (isColmapModel(dir)) return {dir, {}};
    if (fs::path t = findTransforms(dir); !t.empty()) return {{}, t};
    for (const char* sub : {"sparse/0", "sparse", "colmap/sparse/0"})
        if (isColmapModel(dir / sub)) return {dir / sub, {}};
    return {};
}

} // namespace

bool hasPosedImages(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return false;
    const auto [model, transforms] = findPosedSource(dir);
    return !model.empty() || !transforms.empty();
}

PosedImageSet loadPosedImages(const fs::path& input, const LoadOptions& options) {
    if (options.downscale < 1 || options.downscale > 64) throw Error(input.string() + ": downscale factor " + std::to_string(options.downscale) + " is outside [1, 64]");
    if (options.maxSize < 0) throw Error(input.string() + ": maximum image size must be positive (or 0 for none)");
    std::error_code ec;
    if (!fs::exists(input, ec)) throw Error(input.string() + ": not found");
    if (fs::is_directory(input, ec)) {
        const auto [model, transforms] = findPosedSource(input);
        if (!model.empty()) return readColmap(model, options);
        if (!transforms.empty()) return readTransforms(transforms, options);
        throw Error(input.string() + ": no transforms*.json and no COLMAP model (cameras, images, points3D) found");
    }
    const std::string name = input.filename().string();
    if (lowerExtension(input) == ".json") return readTransforms(input, options);
    if (name == "cameras.txt" || name == "cameras.bin" || name == "images.txt" || name == "images.bin" || name == "points3D.txt" ||
        name == "points3D.bin")
        return readColmap(input.parent_path(), options);
    throw Error(displayName(input) + ": not a posed image set (expected transforms*.json or a COLMAP model folder)");
}

void requirePoints(const PosedImageSet& set, const std::string& what) {
    if (!set.points.empty()) return;
    const std::string src = set.source.empty() ? std::string("the image set") : set.source.string();
    throw Error(what + ": " + src + " has no 3D points (a COLMAP model with points3D, or a transforms.json with ply_file_path, is needed)");
}

glm::mat4 camerasUpToYUp(const std::vector<glm::mat4>& cameraToWorld) {
    glm::dvec3 sum(0.0);
    for (const glm::mat4& m : cameraToWorld) sum += glm::dvec3(glm::normalize(glm::vec3(m[1])));  // the camera's +Y (OpenGL: up in the image)
    const double len = glm::length(sum);
    if (cameraToWorld.empty() || len < 0.1 * double(cameraToWorld.size())) return glm::mat4(1.0f);  // no agreement: keep the frame
    const glm::dvec3 up = sum / len, target(0.0, 1.0, 0.0);
    const double c = glm::dot(up, target);
    if (c > 1.0 - 1e-9) return glm::mat4(1.0f);
    if (c < -1.0 + 1e-9) return glm::mat4(glm::rotate(glm::dmat4(1.0), glm::pi<double>(), glm::dvec3(1.0, 0.0, 0.0)));  // upside down: half a turn about X
    // The smallest rotation taking `up` to +Y: about their cross product, by their angle.
    const glm::dvec3 axis = glm::normalize(glm::cross(up, target));
    return glm::mat4(glm::rotate(glm::dmat4(1.0), std::acos(std::clamp(c, -1.0, 1.0)), axis));
}

glm::mat4 upRotation(char up, const PosedImageSet& set) {
    if (up == 'z') return zUpToYUp();
    if (up == 'c') return camerasUpToYUp(set.poses);
    return glm::mat4(1.0f);
}

std::string upName(char up) { return up == 'c' ? "cameras" : std::string(1, up); }

char upFromName(const std::string& name) {
    for (const char up : {'y', 'z', 'c'})
        if (name == upName(up)) return up;
    return 0;
}

glm::mat4 zUpToYUp() { return {glm::vec4(1, 0, 0, 0), glm::vec4(0, 0, -1, 0), glm::vec4(0, 1, 0, 0), glm::vec4(0, 0, 0, 1)}; }

} // namespace kiln::io
