#include "models/compute.h"

#include "models/compute_env.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#ifdef KILN_WITH_TORCH
#include <ATen/Parallel.h>
#endif

// OpenBLAS's own query, when the process has OpenBLAS (LibTorch's BLAS on Debian); weak, so a
// build without it links and runs.
extern "C" char* openblas_get_corename(void) __attribute__((weak));

namespace kiln::models {

namespace {
std::mutex g_mutex;
std::atomic<int> g_threads{0};
const char* g_policy = "default";

std::string g_blas = "not OpenBLAS";
const char* g_start = "as given";

// OpenBLAS picks its kernels by CPU model when it is loaded; a model its build does not know gets
// the generic "Prescott" (SSE3) kernels (models/compute_env.h, betterBlasCore).
const char* blasCoreName() { return openblas_get_corename ? openblas_get_corename() : nullptr; }

std::string describeBlas(bool chosenByKiln) {
    const char* core = blasCoreName();
    if (!core) return "not OpenBLAS";
    std::string s = std::string("OpenBLAS ") + core;
    if (const char* forced = std::getenv("OPENBLAS_CORETYPE"))
        s += chosenByKiln ? std::string(" (OPENBLAS_CORETYPE=") + forced + ", chosen by Kiln: OpenBLAS does not know this CPU)"
                        : std::string(" (OPENBLAS_CORETYPE=") + forced + " from the environment)";
    return s;
}
} // namespace

namespace {
const char* g_malloc = "the C library's default";
}

// glibc gives the top of its heap back to the system whenever more than its trim threshold is free
// there, and serves blocks above its mmap threshold with fresh mappings. A fit allocates and frees
// the same large tensors and buffers every iteration, so each iteration faulted its memory back in
// page by page: a single-threaded lego fit (200 px, 2000 iterations) spent 8.5 s of 54 s in the
// kernel zeroing pages, 0.5 s with freed memory kept (`kiln bench fit`; bench/results/issue18_views.md).
// The job queue hands it back when it goes idle (malloc_trim). The user's MALLOC_* settings win.
void keepFreedMemory() {
#if defined(__GLIBC__)
    static bool done = false;
    if (done) return;
    done = true;
    if (std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_TOP_PAD_") || std::getenv("MALLOC_MMAP_THRESHOLD_")) {
        g_malloc = "MALLOC_* from the environment";
        return;
    }
    const bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 && mallopt(M_TOP_PAD, 64 << 20) == 1;
    g_malloc = ok ? "freed memory kept (trim 1 GiB, mmap above 32 MiB)" : "the C library's default (mallopt refused)";
#endif
}

const char* computeMallocPolicy() { return g_malloc; }

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
    keepFreedMemory();
    const char* marker = std::getenv(kStartMarker);
    g_blas = describeBlas(std::getenv(kBlasMarker) != nullptr);
    if (marker && std::strcmp(marker, "0") == 0) {  // asked not to touch the environment
        g_start = "as given (KILN_OMP_REEXEC=0)";
        return;
    }
    const bool launched = marker && std::strcmp(marker, kLauncherValue) == 0;
    if (launched) g_start = "set by the kiln launcher before the libraries loaded";
    else if (marker) g_start = "re-executed once to set it";
    bool spinSet = false;
    if (const char* p = std::getenv("OMP_WAIT_POLICY")) {
        g_policy = std::strcmp(p, "PASSIVE") == 0 || std::strcmp(p, "passive") == 0 ? "OMP_WAIT_POLICY=PASSIVE (from the environment)"
                                                                                    : "OMP_WAIT_POLICY (from the environment)";
    } else if (std::getenv("GOMP_SPINCOUNT")) {
        // Ours (set by the launcher, or before the re-exec), or the user's own choice.
        g_policy = marker ? "GOMP_SPINCOUNT=10000" : "GOMP_SPINCOUNT (from the environment)";
    } else if (!marker) {
        spinSet = setSpinCountUnlessChosen();
    }
    // The launcher chose the kernels already (or found nothing to choose).
    const char* core = marker ? nullptr : setBetterBlasCore(blasCoreName());
    if (!spinSet && !core) return;  // nothing to do, or started with it set (a variable that did not survive: run as is)
    setenv(kStartMarker, "1", 1);
    // /proc/self/exe, not argv[0]: the same binary whatever PATH and the working directory say.
    execv("/proc/self/exe", argv);
    // exec failed (no /proc?): carry on with the libraries' defaults, the environment as it was.
    g_start = "as given (the re-exec failed)";
    if (spinSet) unsetenv("GOMP_SPINCOUNT");
    if (core) {
        unsetenv("OPENBLAS_CORETYPE");
        unsetenv(kBlasMarker);
    }
    unsetenv(kStartMarker);
}

const char* computeStartup() { return g_start; }

const char* computeWaitPolicy() { return g_policy; }

const char* computeBlasKernels() { return g_blas.c_str(); }

int threadsBesideLoad(int configured, double otherCores) {
    if (configured <= 1 || !(otherCores > 0.0)) return std::max(1, configured);
    const int taken = int(std::floor(otherCores + 0.4));
    return std::clamp(configured - taken, 1, configured);
}

double OtherLoadSampler::sample() {
    unsigned long long busy = 0, total = 0, self = 0;
    {
        std::FILE* f = std::fopen("/proc/stat", "r");
        if (!f) return -1.0;
        unsigned long long v[8] = {};
        const int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
        std::fclose(f);
        if (n < 4) return -1.0;
        // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        for (int i = 0; i < 8; ++i) total += v[i];
        busy = total - v[3] - v[4];
    }
    {
        std::FILE* f = std::fopen("/proc/self/stat", "r");
        if (!f) return -1.0;
        char line[1024];
        const bool read = std::fgets(line, sizeof line, f) != nullptr;
        std::fclose(f);
        if (!read) return -1.0;
        // Fields after the command name (which may hold spaces, so from its closing parenthesis):
        // state is field 3, utime and stime fields 14 and 15.
        const char* p = std::strrchr(line, ')');
        if (!p) return -1.0;
        unsigned long long utime = 0, stime = 0;
        if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1.0;
        self = utime + stime;
    }
    const bool had = m_have;
    const unsigned long long dBusy = busy - m_busy, dTotal = total - m_total, dSelf = self - m_self;
    m_have = true;
    m_busy = busy;
    m_total = total;
    m_self = self;
    if (!had || dTotal == 0) return -1.0;
    // /proc/stat counts every core's ticks: dTotal / cores ticks passed per core.
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const double perCore = double(dTotal) / double(std::max(1L, cores));
    return std::max(0.0, (double(dBusy) - double(dSelf)) / perCore);
}

namespace {
long long nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void setThisThreadsComputeThreads(int n) {
#ifdef KILN_WITH_TORCH
    at::set_num_threads(n);
#else
    (void)n;
#endif
}
} // namespace

LoadAdaptiveThreads::LoadAdaptiveThreads(bool enabled) : m_enabled(enabled), m_configured(computeThreads()), m_threads(m_configured) {
    if (m_enabled && m_configured > 1) {
        m_sampler.sample();
        m_lastNs = nowNs();
    } else {
        m_enabled = false;
    }
}

LoadAdaptiveThreads::~LoadAdaptiveThreads() {
    if (m_threads != m_configured) setThisThreadsComputeThreads(m_configured);
}

void LoadAdaptiveThreads::update() {
    if (!m_enabled) return;
    const long long now = nowNs();
    if (now - m_lastNs < 500'000'000) return;
    m_lastNs = now;
    const double other = m_sampler.sample();
    if (other < 0.0) return;
    ++m_samples;
    const int want = threadsBesideLoad(m_configured, other);
    if (want < m_configured) ++m_reduced;
    if (want != m_threads) {
        setThisThreadsComputeThreads(want);
        m_threads = want;
    }
}

} // namespace kiln::models
