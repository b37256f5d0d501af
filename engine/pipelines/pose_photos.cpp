#include "pipelines/pose_photos.h"

#include "core/error.h"
#include "core/path_list.h"
#include "io/binary_reader.h"
#include "io/image_plane.h"
#include "io/posed_images.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fs = std::filesystem;

namespace kiln::pipelines {

namespace {

std::vector<fs::path> photosIn(const fs::path& folder) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(folder, ec))
        if (e.is_regular_file(ec) && io::isImagePath(e.path())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// The photos' identity: their folder, names, sizes and modification times.
std::string photoKey(const fs::path& folder, const std::vector<fs::path>& photos, int maxImageSize) {
    std::string s = fs::absolute(folder).lexically_normal().string() + "|" + std::to_string(maxImageSize);
    std::error_code ec;
    for (const auto& p : photos) {
        s += '|';
        s += p.filename().string();
        s += ':';
        s += std::to_string(fs::file_size(p, ec));
        s += ':';
        s += std::to_string(fs::last_write_time(p, ec).time_since_epoch().count());
    }
    // FNV-1a, 64 bits: a folder name, not a security boundary.
    std::uint64_t h = 1469598103934665603ull;
    for (const unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

// Registered images of a binary COLMAP model: images.bin starts with their count (uint64).
int registeredImages(const fs::path& model) {
    std::ifstream f(model / "images.bin", std::ios::binary);
    std::uint64_t n = 0;
    if (!f.read(reinterpret_cast<char*>(&n), sizeof n)) return 0;
    return n > 1000000 ? 0 : int(n);
}

// Runs one COLMAP command, its output into `log`; while it runs, `onLog` sees the log's text
// (for progress) and cancelling kills it. Returns the exit status (-1: could not run or killed).
int runColmap(const std::string& exe, const std::vector<std::string>& args, const fs::path& log, const core::CancelToken& cancel,
              const std::function<void(const std::string&)>& onLog) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> argv = {const_cast<char*>(exe.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // COLMAP links Qt 5; its command-line tools need no display.
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "QT_QPA_PLATFORM=", 16) != 0) env.emplace_back(*e);
    env.emplace_back("QT_QPA_PLATFORM=offscreen");
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    std::size_t seen = 0;
    for (;;) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0) return -1;
        if (cancel.cancelled()) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            cancel.throwIfCancelled();
        }
        std::error_code ec;
        const auto size = fs::file_size(log, ec);
        if (!ec && size != seen) {
            seen = size;
            onLog(io::fileTail(log, 4096));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

// The last "[i/n]" after `marker` in the text, as i / n (0 when absent).
float lastFraction(const std::string& text, const std::string& marker) {
    const auto at = text.rfind(marker);
    if (at == std::string::npos) return 0.0f;
    int i = 0, n = 0;
    if (std::sscanf(text.c_str() + at + marker.size(), " [%d/%d", &i, &n) == 2 && n > 0) return std::clamp(float(i) / float(n), 0.0f, 1.0f);
    return 0.0f;
}

// The number in the last "Registering image #k (n)" of the mapper's log (n images registered).
int lastRegistered(const std::string& text) {
    const std::string marker = "Registering image #";
    const auto at = text.rfind(marker);
    if (at == std::string::npos) return 0;
    int k = 0, n = 0;
    return std::sscanf(text.c_str() + at + marker.size(), "%d (%d)", &k, &n) == 2 ? n : 0;
}

} // namespace

bool isUnposedPhotoFolder(const fs::path& input) {
    std::error_code ec;
    return fs::is_directory(input, ec) && !io::hasPosedImages(input) && !photosIn(input).empty();
}

fs::path defaultPoseCache() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "kiln" / "colmap";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "kiln" / "colmap";
    return fs::temp_directory_path() / "kiln-colmap";
}

PosePhotosResult posePhotos(const fs::path& folder, const PosePhotosOptions& o, core::Progress& progress, const core::CancelToken& cancel,
                            float from, float to) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string where = folder.string();
    const std::vector<fs::path> photos = photosIn(folder);
    if (photos.empty()) throw Error(where + ": no photos to pose (JPEG, PNG, TIFF, ...)");
    if (photos.size() < 3) throw Error(where + ": " + std::to_string(photos.size()) + " photo(s); posing needs at least 3 overlapping photos");
    if (o.maxImageSize < 64 || o.maxImageSize > 16384) throw Error(where + ": maximum image size for posing must be between 64 and 16384");
    const std::string exe = core::findProgram("colmap").string();
    if (exe.empty())
        throw Error(where + ": the photos have no poses (no transforms.json or COLMAP model) and COLMAP is not installed to pose them "
                            "(apt-get install colmap; scripts/kiln.sh installs it)");
    const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));

    PosePhotosResult result;
    result.photos = int(photos.size());
    const fs::path cache = o.cacheDir.empty() ? defaultPoseCache() : o.cacheDir;
    const fs::path work = cache / photoKey(folder, photos, o.maxImageSize);
    auto bestModel = [&](int& posed) {
        fs::path best;
        posed = 0;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(work / "sparse", ec)) {
            const int n = registeredImages(e.path());
            if (n > posed) {
                posed = n;
                best = e.path();
            }
        }
        return best;
    };
    std::error_code ec;
    if (o.reuse && fs::exists(work / "done", ec)) {
        int posed = 0;
        if (fs::path m = bestModel(posed); !m.empty()) {
            result.model = m;
            result.posed = posed;
            result.reused = true;
            result.notes.push_back("poses from an earlier COLMAP run on these photos (" + work.string() + ")");
            result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            progress.report("posing photos: reused " + std::to_string(posed) + " poses", to);
            return result;
        }
    }
    fs::remove_all(work, ec);
    fs::create_directories(work / "sparse");
    // The loader finds a model's photos in an images/ folder above it (<work>/images).
    fs::create_directory_symlink(fs::absolute(folder), work / "images", ec);
    if (ec) throw Error(where + ": cannot prepare the COLMAP workspace " + work.string() + " (" + ec.message() + ")");
    const std::string db = (work / "database.db").string(), images = fs::absolute(folder).string();
    const std::string nThreads = std::to_string(threads);
    const bool exhaustive = int(photos.size()) <= kExhaustiveLimit;
    const float span = to - from;
    auto fail = [&](const char* stage, const fs::path& log) {
        throw Error(where + ": COLMAP failed while " + stage + " the photos; its log ends:\n" + io::fileTail(log, 600));
    };

    progress.report("posing photos: features 0/" + std::to_string(photos.size()), from);
    const fs::path featureLog = work / "features.log";
    if (runColmap(exe,
                  {"feature_extractor", "--database_path", db, "--image_path", images, "--ImageReader.single_camera", "1", "--SiftExtraction.use_gpu",
                   "0", "--SiftExtraction.num_threads", nThreads, "--SiftExtraction.max_image_size", std::to_string(o.maxImageSize)},
                  featureLog, cancel,
                  [&](const std::string& text) {
                      const float f = lastFraction(text, "Processed file");
                      progress.report("posing photos: features " + std::to_string(int(f * float(photos.size()) + 0.5f)) + "/" +
                                          std::to_string(photos.size()),
                                      from + span * 0.3f * f);
                  }) != 0)
        fail("finding features in", featureLog);

    progress.report("posing photos: matching", from + span * 0.3f);
    const fs::path matchLog = work / "matching.log";
    std::vector<std::string> match = {exhaustive ? "exhaustive_matcher" : "sequential_matcher", "--database_path", db, "--SiftMatching.use_gpu", "0",
                                      "--SiftMatching.num_threads", nThreads};
    if (!exhaustive) match.insert(match.end(), {"--SequentialMatching.overlap", "20", "--SequentialMatching.quadratic_overlap", "1"});
    if (runColmap(exe, match, matchLog, cancel,
                  [&](const std::string& text) {
                      const float f = lastFraction(text, exhaustive ? "Matching block" : "Matching image");
                      progress.report("posing photos: matching " + std::to_string(int(f * 100.0f + 0.5f)) + "%", from + span * (0.3f + 0.4f * f));
                  }) != 0)
        fail("matching", matchLog);

    progress.report("posing photos: mapping", from + span * 0.7f);
    const fs::path mapLog = work / "mapping.log";
    // The mapper also exits with an error when no two photos match: that is "could not pose" below.
    (void)runColmap(exe,
                  {"mapper", "--database_path", db, "--image_path", images, "--output_path", (work / "sparse").string(), "--Mapper.num_threads",
                   nThreads},
                  mapLog, cancel,
                  [&](const std::string& text) {
                      const int n = lastRegistered(text);
                      progress.report("posing photos: mapping, " + std::to_string(n) + " of " + std::to_string(photos.size()) + " posed",
                                      from + span * (0.7f + 0.3f * float(n) / float(photos.size())));
                  });

    int posed = 0;
    const fs::path model = bestModel(posed);
    if (model.empty() || posed < 3)
        throw Error(where + ": COLMAP could not pose the photos (" + std::to_string(posed) + " of " + std::to_string(photos.size()) +
                    " posed): they need more overlap, texture or sharpness; its log ends:\n" + io::fileTail(mapLog, 400));
    result.model = model;
    result.posed = posed;
    if (posed < int(photos.size()))
        result.notes.push_back("COLMAP posed " + std::to_string(posed) + " of " + std::to_string(photos.size()) + " photos; the others are left out");
    std::ofstream(work / "done") << posed << "\n";
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report("posing photos: " + std::to_string(posed) + " of " + std::to_string(photos.size()) + " posed", to);
    return result;
}

} // namespace kiln::pipelines
