#include "models/compute.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <unistd.h>

#ifdef KILN_WITH_TORCH
#include <ATen/Parallel.h>
#endif

namespace kiln::models {

namespace {
std::mutex g_mutex;
std::atomic<int> g_threads{0};
const char* g_policy = "default";

// How long an idle OpenMP thread spins before it sleeps. libgomp spins 300,000 iterations by
// default (~0.1-0.3 ms per barrier), which is what collapses under contention; 0 (PASSIVE) sleeps
// at once. The value was chosen by `kiln bench load` (bench/results/issue12_load.md).
constexpr const char* kSpinCount = "10000";
constexpr const char* kMarker = "KILN_OMP_REEXEC";
} // namespace

void configureComputeThreads(int threads) {
    std::lock_guard lock(g_mutex);
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#ifdef KILN_WITH_TORCH
    at::set_num_threads(threads);
#endif
    g_threads.store(threads);
}

int computeThreads() {
#ifdef KILN_WITH_TORCH
    return at::get_num_threads();
#else
    const int n = g_threads.load();
    return n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#endif
}

void prepareComputeEnvironment(int /*argc*/, char** argv) {
    if (const char* p = std::getenv("OMP_WAIT_POLICY")) {
        g_policy = std::strcmp(p, "PASSIVE") == 0 || std::strcmp(p, "passive") == 0 ? "OMP_WAIT_POLICY=PASSIVE (from the environment)"
                                                                                    : "OMP_WAIT_POLICY (from the environment)";
        return;
    }
    if (std::getenv("GOMP_SPINCOUNT")) {
        // Ours after the re-exec, or the user's own choice.
        g_policy = std::getenv(kMarker) ? "GOMP_SPINCOUNT=10000" : "GOMP_SPINCOUNT (from the environment)";
        return;
    }
    if (const char* m = std::getenv(kMarker); m && std::strcmp(m, "0") == 0) return;  // asked not to
    if (std::getenv(kMarker)) return;  // re-executed already but the variable did not survive: run as is
    setenv("GOMP_SPINCOUNT", kSpinCount, 1);
    setenv(kMarker, "1", 1);
    // /proc/self/exe, not argv[0]: the same binary whatever PATH and the working directory say.
    execv("/proc/self/exe", argv);
    // exec failed (no /proc?): carry on with libgomp's defaults.
    unsetenv("GOMP_SPINCOUNT");
}

const char* computeWaitPolicy() { return g_policy; }

} // namespace kiln::models
