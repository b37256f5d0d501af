#include "render_bench.h"

#include "core/error.h"
#include "core/gaussian_cloud.h"
#include "render/orbit_camera.h"
#include "render/renderer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

// Random Gaussians in a unit ball with degree-3 SH: the synthetic 1M-splat load.
core::GaussianCloud syntheticCloud(std::size_t count) {
    core::GaussianCloud cloud;
    cloud.resize(count, 3);
    std::mt19937 rng(42);
    std::normal_distribution<float> normal;
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (std::size_t i = 0; i < count; ++i) {
        glm::vec3 p(normal(rng), normal(rng), normal(rng));
        p *= std::cbrt(uniform(rng)) / std::max(1e-6f, std::sqrt(p.x * p.x + p.y * p.y + p.z * p.z));
        cloud.positions[i] = p;
        cloud.logScales[i] = glm::vec3(std::log(0.004f + 0.01f * uniform(rng)));
        cloud.rotations[i] = glm::vec4(normal(rng), normal(rng), normal(rng), normal(rng));
        cloud.opacityLogits[i] = normal(rng);
        for (int k = 0; k < 48; ++k) cloud.sh[i * 48 + std::size_t(k)] = k < 3 ? normal(rng) : 0.1f * normal(rng);
    }
    return cloud;
}

// `kiln bench render --loop S`: renders the biker capture for S seconds, as the CPU load of the
// load benchmark (a studio viewport on lavapipe competes for the same cores).
int renderLoop(const fs::path& data, double seconds, const BenchLoader& load) {
    render::Renderer renderer;
    renderer.add(load(data / "splats/biker.spz"));
    render::OrbitCamera orbit;
    orbit.frame(renderer.sceneBounds(), 1280.0f / 720.0f);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    int frames = 0;
    while (std::chrono::steady_clock::now() < end) {
        orbit.orbit(20.0f, 0.0f);
        renderer.renderFrame(orbit.toCamera(), 1280, 720);
        ++frames;
    }
    std::printf("rendered %d frames\n", frames);
    return 0;
}

// --check: the biker drawn by every splat path and sort this device offers, each image against
// the raster path with the CPU sort (the path the render baselines hold): PSNR and the largest
// channel error in 1/255 steps. On a GPU this is where a path that differs from the baselines
// shows, since the render tests run on lavapipe.
void checkPaths(render::Renderer& renderer, const core::Asset& biker) {
    renderer.clear();
    renderer.add(biker);
    render::OrbitCamera orbit;
    orbit.setAngles(0.5f, 0.3f);
    orbit.frame(renderer.sceneBounds(), 1280.0f / 720.0f);
    const render::SplatSort sort0 = renderer.splatSort();
    const render::SplatPath path0 = renderer.splatPath();
    renderer.setSplatChoices(render::SplatSort::Cpu, render::SplatPath::Raster);
    const core::Image reference = renderer.renderImage(orbit.toCamera(), 1280, 720);
    std::printf("check: biker at 1280x720, each path against [raster, cpu sort]\n");
    const std::pair<render::SplatPath, render::SplatSort> pairs[] = {{render::SplatPath::Raster, render::SplatSort::Gpu},
                                                                      {render::SplatPath::Compute, render::SplatSort::Cpu},
                                                                      {render::SplatPath::Host, render::SplatSort::Cpu}};
    for (const auto& [path, sort] : pairs) {
        renderer.setSplatChoices(sort, path);
        const core::Image image = renderer.renderImage(orbit.toCamera(), 1280, 720);
        if (image.valueCount() != reference.valueCount() || image.type != reference.type)
            throw Error("kiln bench render --check: the two images differ in size or format");
        double squared = 0.0;
        float worst = 0.0f;
        for (int y = 0; y < image.height; ++y)
            for (int x = 0; x < image.width; ++x)
                for (int c = 0; c < std::min(3, image.channels); ++c) {
                    const float d = image.at(x, y, c) - reference.at(x, y, c);
                    squared += double(d) * double(d);
                    worst = std::max(worst, std::abs(d));
                }
        const double mse = squared / (double(image.pixelCount()) * std::min(3, image.channels));
        std::printf("check: [%s, %s sort] PSNR %.2f dB, max error %.0f/255\n", render::toString(path), render::toString(sort),
                    mse > 0.0 ? 10.0 * std::log10(1.0 / mse) : 999.0, worst * 255.0f);
    }
    renderer.setSplatChoices(sort0, path0);
}

} // namespace

int benchRender(const Args& args, const fs::path& data, const BenchLoader& load) {
    if (args.has("loop")) return renderLoop(data, args.getDouble("loop", 60.0, 0.1, 86400.0), load);
    const int fullWidth = 1280, fullHeight = 720;
    const int frames = std::max(1, std::atoi(args.get("repeat", "10").c_str()));
    // --scales 1,0.5,0.35: also at the studio's reduced sizes while the camera moves (adaptive
    // quality; the upscaling blit to the window is not included).
    std::vector<float> scales;
    for (const float s : parseFloats(args.get("scales", "1"), "--scales")) {
        if (!(s >= render::kMinResolutionScale && s <= 1.0f)) throw Error("--scales: each scale must be between 0.25 and 1");
        scales.push_back(s);
    }
    // --lod N: also the 1M-splat cloud drawing only its N most visible splats (the studio's level
    // of detail while the camera moves).
    const std::size_t lod = std::size_t(args.getInt("lod", 0, 0, 100000000));
    // --sorts cpu,gpu: the splat rows with each depth sort (default: the device's choice).
    std::vector<render::SplatSort> sorts;
    {
        std::string list = args.get("sorts", "auto");
        std::stringstream ss(list);
        for (std::string item; std::getline(ss, item, ',');) sorts.push_back(render::splatSortFromString(item, "--sorts"));
    }
    // --paths raster,compute,host: the splat rows with each rasterizer (default: the device's choice).
    std::vector<render::SplatPath> paths;
    {
        std::stringstream ss(args.get("paths", "auto"));
        for (std::string item; std::getline(ss, item, ',');) paths.push_back(render::splatPathFromString(item, "--paths"));
    }
    render::Renderer renderer;
    int width = fullWidth, height = fullHeight;
    std::printf("kiln bench render: %dx%d, MSAA 4, camera orbiting 3 degrees per frame (splats re-sorted every frame), %d frames each\n",
                width, height, frames);
    std::printf("device: %s\n", renderer.deviceName().c_str());
    auto run = [&](const char* what, const core::Asset& asset, std::size_t maxSplats = 0) {
        render::ViewOptions options;
        options.maxSplats = maxSplats;
        renderer.clear();
        renderer.add(asset);
        render::OrbitCamera orbit;
        orbit.setAngles(0.5f, 0.3f);
        orbit.frame(renderer.sceneBounds(), float(width) / float(height));
        // Warm-up: pipelines and target, and on a GPU its clocks, which fall while the CPU-bound
        // rows run and take a fraction of a second to rise again (measured on an H200: the first
        // row after the compute path's rows drew the biker at 4x the GPU time of the same frames
        // warm). Frames for at least half a second, on the camera the timed frames start from.
        const auto warm = std::chrono::steady_clock::now();
        do {
            renderer.renderFrame(orbit.toCamera(), width, height, options);
        } while (std::chrono::steady_clock::now() - warm < std::chrono::milliseconds(500));
        double total = 0.0, sort = 0.0, bin = 0.0, gpu = 0.0;
        // The process's CPU time as well as the wall: on a CPU device it is the frame's work
        // (lavapipe's threads included).
        auto cpuSeconds = [] {
            rusage u{};
            getrusage(RUSAGE_SELF, &u);
            return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
        };
        const double cpu0 = cpuSeconds();
        for (int i = 0; i < frames; ++i) {
            orbit.orbit(3.0f / (180.0f / std::numbers::pi_v<float>) / render::OrbitCamera::kOrbitRadiansPerPixel, 0.0f);
            renderer.renderFrame(orbit.toCamera(), width, height, options);
            total += renderer.lastFrameStats().cpuMs;
            sort += renderer.lastFrameStats().sortMs;
            bin += renderer.lastFrameStats().binMs;
            gpu += renderer.lastFrameStats().gpuMs;
        }
        const double ms = total / frames, cpuMs = (cpuSeconds() - cpu0) * 1000.0 / frames;
        const render::FrameStats& st = renderer.lastFrameStats();
        std::printf("%-52s %8.1f ms/frame  %7.2f fps  CPU %7.1f ms/frame  (GPU %.1f ms, sort %.1f ms", what, ms, 1000.0 / ms, cpuMs, gpu / frames,
                    sort / frames);
        if (st.splatHost) std::printf(", host raster %.1f ms, %zu 16x16 tile entries", bin / frames, st.tileEntries);
        else if (st.splatTiles) std::printf(", binning %.1f ms, %zu tile entries", bin / frames, st.tileEntries);
        std::printf(")  %zu triangles, %zu splats\n", st.triangles, st.splats);
    };
    const core::Asset biker = load(data / "splats/biker.spz");
    if (!biker.gaussians()) throw Error((data / "splats/biker.spz").string() + ": benchmark input not read (pass --testdata DIR)");
    if (args.has("check")) checkPaths(renderer, biker);
    const core::Asset million = core::Asset::fromGaussians("synthetic", syntheticCloud(1000000));
    const core::Asset engine = load(data / "gltf/2CylinderEngine/2CylinderEngine.glb");
    for (const float s : scales) {
        width = std::max(1, int(std::lround(float(fullWidth) * s)));
        height = std::max(1, int(std::lround(float(fullHeight) * s)));
        if (scales.size() > 1 || s != 1.0f) std::printf("scale %.0f %%: %dx%d\n", 100.0 * s, width, height);
        for (const render::SplatSort sort : sorts)
            for (const render::SplatPath path : paths) {
                if ((path == render::SplatPath::Compute || path == render::SplatPath::Host) && sort == render::SplatSort::Gpu) {
                    std::printf("(the %s path bins from the CPU sort: no %s path row with the gpu sort)\n", render::toString(path), render::toString(path));
                    continue;
                }
                renderer.setSplatChoices(sort, path);
                const std::string tag = std::string(" [") + render::toString(renderer.splatPath()) + ", " + render::toString(renderer.splatSort()) + " sort]";
                run(("biker.spz" + tag).c_str(), biker);
                run(("synthetic 1M splats (SH 3)" + tag).c_str(), million);
                if (lod > 0) run(("1M splats, LOD " + std::to_string(lod) + tag).c_str(), million, lod);
            }
        if (engine.data) run("2CylinderEngine.glb", engine);
        else std::printf("2CylinderEngine.glb: not drawn (this program reads splat files only)\n");
    }
    return 0;
}

} // namespace kiln::app
