// kiln bench fit --peer PATH: views -> 3D side by side with a peer trainer (OpenSplat, built from
// ../shared/peers), on the same views, initial points, iterations and resolution, each run as a
// child process measured the same way (wall, CPU, peak RSS), both resulting PLYs scored by one
// renderer (Kiln's rasterizer, which follows the 3DGS rules) on the same held-out views.
// A measuring stick: nothing of the peer is part of Kiln.
#include "cli.h"

#include "core/error.h"
#include "io/image_io.h"
#include "io/posed_images.h"
#include "io/splat_io.h"
#include "optimize/splat_fitter.h"
#include "pipelines/reconstruct.h"

#include <glm/common.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

struct ChildRun {
    double wallSeconds = 0.0, cpuSeconds = 0.0, peakRssMiB = 0.0;
    int status = 0;
};

// Runs argv[0] with its output to `log`; wall time, user + system CPU time and peak RSS from wait4.
ChildRun runMeasured(const std::vector<std::string>& argv, const fs::path& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) throw Error("kiln bench fit: cannot start " + argv[0]);
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execv(args[0], args.data());
        std::fprintf(stderr, "cannot run %s\n", args[0]);
        ::_exit(127);
    }
    ChildRun r;
    struct rusage usage {};
    if (::wait4(pid, &r.status, 0, &usage) < 0) throw Error("kiln bench fit: lost the child running " + argv[0]);
    r.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.cpuSeconds = double(usage.ru_utime.tv_sec) + double(usage.ru_stime.tv_sec) + 1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    r.peakRssMiB = double(usage.ru_maxrss) / 1024.0;
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
        throw Error("kiln bench fit: " + argv[0] + " failed (exit status " + std::to_string(WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1) +
                    "); its output is in " + log.string());
    return r;
}

// A process that keeps one core busy until it is killed: "another process used ~half the CPU" of
// a 2-core machine, as in the loaded row.
struct CpuLoad {
    pid_t pid = -1;
    void start() {
        pid = ::fork();
        if (pid == 0) {
            volatile std::uint64_t x = 0;
            for (;;) x = x + 1;
        }
    }
    ~CpuLoad() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

struct Score {
    double psnr = 0.0, ssim = 0.0;
    std::size_t gaussians = 0;
};

Score scorePly(const fs::path& ply, const std::vector<const io::PosedImage*>& test) {
    const core::GaussianCloud cloud = io::readSplatPly(ply);
    Score s;
    s.gaussians = cloud.size();
    for (const io::PosedImage* v : test) {
        optimize::RasterCamera cam = optimize::makeRasterCamera(v->camera, v->image.width, v->image.height, v->fx, v->fy, v->cx, v->cy);
        cam.znear = 0.01f;
        const std::vector<float> img = optimize::renderCloud(cloud, cam, glm::vec3(1.0f));
        const std::vector<float> target = optimize::targetPixels(v->image, glm::vec3(1.0f));
        s.psnr += optimize::psnr(img, target) / double(test.size());
        s.ssim += optimize::ssim(img, target, cam.width, cam.height) / double(test.size());
    }
    return s;
}

// The view composited over white (optimize::targetPixels) as 8-bit RGB: both trainers see the
// same pixels (the peer drops alpha).
core::Image overWhite(const core::Image& view) {
    const std::vector<float> rgb = optimize::targetPixels(view, glm::vec3(1.0f));
    core::Image out = core::Image::makeU8(view.width, view.height, 3);
    for (std::size_t k = 0; k < rgb.size(); ++k) out.u8[k] = std::uint8_t(std::lround(std::clamp(rgb[k], 0.0f, 1.0f) * 255.0f));
    return out;
}

} // namespace

int benchFitScore(const Args& args, const fs::path& testdata) {
    const fs::path viewsIn = args.get("views", (testdata / "mv/lego_train").string());
    const int holdout = args.getInt("holdout", 5, 2, 1000);
    io::LoadOptions load;
    load.maxSize = args.getInt("resolution", 200, 16, 4096);
    const io::PosedImageSet set = io::loadPosedImages(viewsIn, load);
    std::vector<const io::PosedImage*> test;
    for (std::size_t i = 0; i < set.images.size(); ++i)
        if (int(i) % holdout == holdout - 1) test.push_back(&set.images[i]);
    if (test.empty()) throw Error("--holdout " + std::to_string(holdout) + ": leaves no held-out views");
    std::printf("kiln bench fit --score: %zu held-out views (every %dth) of %s at %dx%d over white, the 3DGS rules\n", test.size(), holdout,
                viewsIn.string().c_str(), test[0]->image.width, test[0]->image.height);
    for (const auto& file : args.positional) {
        if (file == "fit") continue;
        const Score s = scorePly(file, test);
        std::printf("%-40s %8zu Gaussians   PSNR %.3f dB   SSIM %.4f\n", fs::path(file).filename().string().c_str(), s.gaussians, s.psnr, s.ssim);
    }
    return 0;
}

int benchFitPeer(const Args& args, const fs::path& testdata) {
    const fs::path peer = args.get("peer");
    if (::access(peer.c_str(), X_OK) != 0) throw Error("--peer " + peer.string() + ": not an executable (build it with ../shared/peers/build-opensplat.sh)");
    const fs::path viewsIn = args.get("views", (testdata / "mv/lego_train").string());
    const int resolution = args.getInt("resolution", 200, 16, 4096);
    const int iterations = args.getInt("iterations", 2000, 1, 1000000);
    const int holdout = args.getInt("holdout", 5, 2, 1000);
    const int pointCount = args.getInt("points", 100000, 1, 10000000);
    const int seed = args.getInt("seed", 1, 0, 1 << 30);
    const bool loaded = args.has("load");
    const fs::path out = args.get("out", (fs::temp_directory_path() / ("kiln-fit-peer-" + std::to_string(::getpid()))).string());
    char self[4096];
    const ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) throw Error("kiln bench fit: cannot find the kiln executable");
    self[len] = '\0';

    // One data folder both trainers read: training views over white (RGB), nerfstudio
    // transforms.json (OPENCV, fl_x.., OpenGL camera-to-world) and the initial points.
    io::LoadOptions load;
    load.maxSize = resolution;
    const io::PosedImageSet set = io::loadPosedImages(viewsIn, load);
    std::vector<const io::PosedImage*> train, test;
    for (std::size_t i = 0; i < set.images.size(); ++i) (int(i) % holdout == holdout - 1 ? test : train).push_back(&set.images[i]);
    if (test.empty() || train.empty()) throw Error("--holdout " + std::to_string(holdout) + ": leaves no training or no held-out views");
    const fs::path data = out / "data";
    fs::create_directories(data / "images");
    nlohmann::json frames = nlohmann::json::array();
    std::vector<optimize::TrainView> carveViews;
    std::vector<core::Camera> cameras;
    for (const io::PosedImage* v : train) {
        const std::string file = "images/" + fs::path(v->name).filename().replace_extension(".png").string();
        io::writeImage(overWhite(v->image), data / file);
        nlohmann::json m = nlohmann::json::array();
        for (int r = 0; r < 4; ++r)
            m.push_back({v->camera.cameraToWorld[0][r], v->camera.cameraToWorld[1][r], v->camera.cameraToWorld[2][r], v->camera.cameraToWorld[3][r]});
        frames.push_back({{"file_path", file}, {"transform_matrix", m}, {"fl_x", v->fx}, {"fl_y", v->fy}, {"cx", v->cx}, {"cy", v->cy},
                          {"w", v->image.width}, {"h", v->image.height}});
        carveViews.push_back({v->image, optimize::makeRasterCamera(v->camera, v->image.width, v->image.height, v->fx, v->fy, v->cx, v->cy)});
        carveViews.back().camera.znear = 0.01f;
        cameras.push_back(v->camera);
    }
    // Initial points: the capture's own sparse points, else Kiln's default seeding (random points
    // in the cameras' focus box, carved to the silhouettes), given to both.
    std::vector<glm::vec3> points = set.points, colors = set.pointColors;
    if (points.empty()) {
        const core::Bounds box = pipelines::cameraFocusBox(cameras);
        std::mt19937 rng(static_cast<std::uint32_t>(seed));
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (int i = 0; i < pointCount; ++i) {
            points.push_back(box.min + box.size() * glm::vec3(u(rng), u(rng), u(rng)));
            colors.push_back(glm::vec3(u(rng), u(rng), u(rng)));
        }
        optimize::carveToSilhouettes(carveViews, points, colors);
        if (points.empty()) throw Error(viewsIn.string() + ": no initial point lies inside every silhouette");
    }
    {
        std::ofstream ply(data / "points.ply");
        ply << "ply\nformat ascii 1.0\nelement vertex " << points.size()
            << "\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n";
        for (std::size_t i = 0; i < points.size(); ++i) {
            const glm::vec3 c = glm::clamp(colors.size() == points.size() ? colors[i] : glm::vec3(0.5f), 0.0f, 1.0f) * 255.0f;
            ply << points[i].x << ' ' << points[i].y << ' ' << points[i].z << ' ' << int(std::lround(c.x)) << ' ' << int(std::lround(c.y)) << ' '
                << int(std::lround(c.z)) << '\n';
        }
    }
    std::ofstream(data / "transforms.json") << nlohmann::json{{"camera_model", "OPENCV"}, {"frames", frames}, {"ply_file_path", "points.ply"}}.dump(1);

    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    std::printf("kiln bench fit --peer: %s at %dx%d, %zu training / %zu held-out views (every %dth), %zu initial points, %d iterations, "
                "%u cores, %s\n",
                viewsIn.filename().string().c_str(), set.images[0].image.width, set.images[0].image.height, train.size(), test.size(), holdout,
                points.size(), iterations, cores, loaded ? "loaded (another process spins one core)" : "quiet");
    std::fflush(stdout);
    CpuLoad cpuLoad;
    if (loaded) cpuLoad.start();
    const ChildRun kiln = runMeasured({self, "views-to-3d", (data / "transforms.json").string(), "-o", (out / "kiln.ply").string(), "--iterations",
                                      std::to_string(iterations), "--resolution", std::to_string(resolution), "--seed", std::to_string(seed), "--bound", "none", "--force"},
                                     out / "kiln.log");
    const ChildRun other = runMeasured({peer.string(), data.string(), "-o", (out / "peer.ply").string(), "-n", std::to_string(iterations),
                                        "--num-downscales", "0", "--cpu", "--keep-crs"},
                                       out / "peer.log");
    if (loaded) {
        ::kill(cpuLoad.pid, SIGKILL);
        ::waitpid(cpuLoad.pid, nullptr, 0);
        cpuLoad.pid = -1;
    }
    const Score ks = scorePly(out / "kiln.ply", test), ps = scorePly(out / "peer.ply", test);
    std::printf("%-6s %9s %9s %14s %10s %22s\n", "", "wall s", "CPU s", "peak RSS MiB", "Gaussians", "held-out PSNR / SSIM");
    const auto row = [](const char* name, const ChildRun& r, const Score& s) {
        std::printf("%-6s %9.1f %9.1f %14.0f %10zu %14.2f / %.4f\n", name, r.wallSeconds, r.cpuSeconds, r.peakRssMiB, s.gaussians, s.psnr, s.ssim);
    };
    row("Kiln", kiln, ks);
    row("peer", other, ps);
    std::printf("Kiln vs peer: wall %.2fx, CPU %.2fx, PSNR %+.2f dB, SSIM %+.4f (one renderer, the 3DGS rules; outputs in %s)\n",
                kiln.wallSeconds / other.wallSeconds, kiln.cpuSeconds / other.cpuSeconds, ks.psnr - ps.psnr, ks.ssim - ps.ssim, out.string().c_str());
    const auto entry = [](const ChildRun& r, const Score& s) {
        return nlohmann::json{{"wall_s", r.wallSeconds}, {"cpu_s", r.cpuSeconds}, {"peak_rss_mib", r.peakRssMiB}, {"gaussians", s.gaussians},
                              {"psnr", s.psnr}, {"ssim", s.ssim}};
    };
    const nlohmann::json report{{"views", viewsIn.string()}, {"resolution", resolution}, {"iterations", iterations}, {"train_views", train.size()},
                                {"test_views", test.size()}, {"initial_points", points.size()}, {"loaded", loaded}, {"cores", cores},
                                {"kiln", entry(kiln, ks)}, {"peer", entry(other, ps)}};
    std::ofstream(out / "fit_vs_peer.json") << report.dump(1) << '\n';
    return 0;
}

} // namespace kiln::app
