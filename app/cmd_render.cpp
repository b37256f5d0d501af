#include "cli.h"

#include "core/error.h"
#include "core/radiance_field.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/field_io.h"
#include "io/image_io.h"
#include "io/posed_images.h"
#include "render/orbit_camera.h"
#include "render/renderer.h"
#include "render/views.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

constexpr float kDegrees = std::numbers::pi_v<float> / 180.0f;

std::pair<int, int> parseSize(const std::string& s) {
    int w = 0, h = 0;
    char x = 0, extra = 0;
    std::istringstream in(s);
    if (!(in >> w >> x >> h) || (x != 'x' && x != 'X') || (in >> extra) || w < 1 || h < 1 || w > 16384 || h > 16384)
        throw Error("--size must be WIDTHxHEIGHT between 1 and 16384, not '" + s + "'");
    return {w, h};
}

void writePng(const core::Image& image, const fs::path& path, bool force) {
    io::writeAtomically(path, force, [&](const fs::path& temp) { io::writeImage(image, temp); });
}

} // namespace

int cmdRender(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"output", "size", "views", "frames", "camera", "mode", "msaa", "background", "camera-from", "up", "splat-sort", "splat-path"},
                                {"turntable", "force", "no-grid", "no-gizmo", "wire", "validation"});
    if (args.positional.empty() || !args.has("output"))
        throw Error("usage: kiln render FILE... -o OUT.png [--size WxH] [--views N | --turntable [--frames N]] [--camera VIEW] "
                    "[--camera-from VIEWS[:N] [--up y|z|cameras]] [--mode lit|unlit|normals|uv|wire|centers|ellipsoids] "
                    "[--splat-sort auto|cpu|gpu] [--splat-path auto|raster|compute|host]");
    const fs::path out = args.get("output");
    if (args.has("views") && args.has("turntable")) throw Error("--views and --turntable cannot be combined");
    // --camera-from: the pose and field of view of input view N of a posed set (transforms.json or
    // a COLMAP folder), to check a reconstruction against the photo it was fitted to.
    std::optional<core::Camera> inputCamera;
    int inputWidth = 0, inputHeight = 0;
    if (args.has("camera-from")) {
        if (args.has("views") || args.has("turntable") || args.has("camera")) throw Error("--camera-from cannot be combined with --views, --turntable or --camera");
        std::string src = args.get("camera-from");
        int index = 0;
        if (const auto colon = src.rfind(':'); colon != std::string::npos && colon + 1 < src.size() &&
                                               src.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
            index = std::stoi(src.substr(colon + 1));
            src = src.substr(0, colon);
        }
        const char up = io::upFromName(args.get("up", "y"));
        if (!up) throw Error("--up must be y, z or cameras");
        // Only that view's photo is decoded (a phone capture holds hundreds).
        const io::PosedImageSet set = io::loadPosedImages(src, {.onlyView = index});
        const io::PosedImage& v = set.images.front();
        core::Camera cam = v.camera;
        cam.cameraToWorld = io::upRotation(up, set) * cam.cameraToWorld;  // as views-to-3d --up
        inputCamera = cam;
        inputWidth = v.image.width;
        inputHeight = v.image.height;
        std::printf("camera of view %d (%s, %d x %d, vertical field of view %.1f degrees)\n", index, v.name.c_str(), inputWidth, inputHeight,
                    double(cam.fovY) / double(kDegrees));
        if (std::abs(v.cx - 0.5f * float(inputWidth)) > 1.0f || std::abs(v.cy - 0.5f * float(inputHeight)) > 1.0f)
            std::printf("note: the view's principal point is off-centre by (%.1f, %.1f) px; the render is centred\n", double(v.cx - 0.5f * float(inputWidth)),
                        double(v.cy - 0.5f * float(inputHeight)));
    }
    const auto [width, height] = args.has("size") || !inputCamera ? parseSize(args.get("size", "1024x768")) : std::pair<int, int>(inputWidth, inputHeight);

    render::ViewOptions view;
    view.mode = render::shadingModeFromString(args.get("mode", "lit"));
    view.grid = !args.has("no-grid");
    view.axisGizmo = !args.has("no-gizmo");
    view.wireframeOverlay = args.has("wire");
    if (args.has("msaa")) {
        view.msaaSamples = args.getInt("msaa", 4, 1, 8);
    }
    if (args.has("background")) {
        const auto bg = parseFloats(args.get("background"), "--background");
        if (bg.size() != 3 && bg.size() != 4) throw Error("--background expects R,G,B or R,G,B,A in 0..1");
        view.background = glm::vec4(bg[0], bg[1], bg[2], bg.size() == 4 ? bg[3] : 1.0f);
    }

    // Outputs are decided (and refused) before any work.
    std::vector<fs::path> outputs;
    int frames = 0;
    if (args.has("turntable")) {
        frames = args.getInt("frames", 36, 1, 3600);
        for (int i = 0; i < frames; ++i) {
            char suffix[16];
            std::snprintf(suffix, sizeof suffix, "_%03d", i);
            outputs.push_back(out.parent_path() / (out.stem().string() + suffix + out.extension().string()));
        }
    } else {
        outputs.push_back(out);
    }
    for (const auto& o : outputs) io::checkCanWrite(o, args.has("force"));

    core::Progress progress = terminalProgress();
    render::RendererOptions ropts;
    ropts.validation = args.has("validation") ? render::Validation::On : render::Validation::Auto;
    if (args.has("splat-sort")) ropts.splatSort = render::splatSortFromString(args.get("splat-sort"), "--splat-sort");
    if (args.has("splat-path")) ropts.splatPath = render::splatPathFromString(args.get("splat-path"), "--splat-path");
    render::Renderer renderer(ropts);
    for (std::size_t i = 0; i < args.positional.size(); ++i) {
        const std::string& file = args.positional[i];
        progress.report("loading " + fs::path(file).filename().string(), 0.3f * float(i) / float(args.positional.size()));
        if (file.rfind("demo:field", 0) == 0) {
            renderer.addField(core::makeDemoField(64));
        } else if (io::isFieldPath(file)) {
            renderer.addField(io::loadField(file));
        } else {
            renderer.add(io::loadAsset(file));
        }
    }
    const core::Bounds bounds = renderer.sceneBounds();
    const float aspect = float(width) / float(height);

    render::OrbitCamera orbit;
    orbit.setAngles(30.0f * kDegrees, 20.0f * kDegrees);
    float zoom = 1.0f;
    if (args.has("camera")) {
        const std::string cam = args.get("camera");
        if (!cam.empty() && std::isalpha(static_cast<unsigned char>(cam[0])) != 0) {
            orbit.viewPreset(render::viewPresetFromString(cam));
        } else {
            const auto v = parseFloats(cam, "--camera");
            if (v.size() < 2 || v.size() > 3) throw Error("--camera expects a preset (front, iso, ...) or YAW,PITCH[,ZOOM] in degrees");
            orbit.setAngles(v[0] * kDegrees, v[1] * kDegrees);
            if (v.size() == 3) zoom = v[2];
            if (!(zoom > 0.0f)) throw Error("--camera ZOOM must be positive");
        }
    }
    orbit.frame(bounds, aspect);
    orbit.setDistance(orbit.distance() / zoom);

    if (args.has("turntable")) {
        const auto cams = render::orbitViews(bounds, frames, orbit.pitch(), aspect, orbit.yaw(), orbit.fovY());
        for (int i = 0; i < frames; ++i) {
            progress.report("rendering turntable", 0.3f + 0.7f * float(i) / float(frames));
            writePng(renderer.renderImage(cams[std::size_t(i)], width, height, view), outputs[std::size_t(i)], args.has("force"));
        }
    } else if (args.has("views")) {
        const int n = args.getInt("views", 1, 1, 256);
        const auto cams = render::orbitViews(bounds, n, orbit.pitch(), aspect, orbit.yaw(), orbit.fovY());
        std::vector<core::Image> tiles;
        for (int i = 0; i < n; ++i) {
            progress.report("rendering views", 0.3f + 0.7f * float(i) / float(n));
            tiles.push_back(renderer.renderImage(cams[std::size_t(i)], width, height, view));
        }
        writePng(render::composeGrid(tiles, int(std::ceil(std::sqrt(double(n))))), out, args.has("force"));
    } else {
        progress.report("rendering", 0.5f);
        core::Camera camera = inputCamera ? *inputCamera : orbit.toCamera();
        if (inputCamera) {
            // Near and far planes from the scene's extent as seen from the input camera.
            const float d = glm::distance(camera.position(), bounds.center()), r = 0.5f * glm::length(bounds.size());
            camera.znear = std::max(1e-3f, (d - r) * 0.5f);
            camera.zfar = std::max(camera.znear * 10.0f, (d + r) * 2.0f);
        }
        writePng(renderer.renderImage(camera, width, height, view), out, args.has("force"));
    }
    progress.report("done", 1.0f);
    for (const auto& m : renderer.validationMessages()) std::fprintf(stderr, "vulkan validation: %s\n", m.c_str());
    std::printf("rendered %zu image(s) on %s\n", outputs.size(), renderer.deviceName().c_str());
    return renderer.validationEnabled() && !renderer.validationMessages().empty() ? 1 : 0;
}

} // namespace kiln::app
