#pragma once

// How the generators use the CPU: LibTorch's intra-op thread pool (OpenMP under Debian's
// LibTorch) and OpenMP's wait policy. Torch-free header.

namespace kiln::models {

// Sets LibTorch's intra-op thread count (threads <= 0: the hardware's cores). Call before work
// starts; the CLI's --threads and the studio's preferences do.
void configureComputeThreads(int threads);
int computeThreads();

// OpenMP threads that wait at a barrier by spinning (libgomp's default) collapse when another
// process wants the same cores: a 0.65 s generation took ~25 s beside a CPU renderer. libgomp reads
// its environment once, when it is loaded, before main(). The `kiln` command is a small launcher
// (app/launcher.cpp) that sets a yielding wait policy before it starts the engine, so the engine's
// libraries load once; a program started directly (the engine, kiln-studio, tests) sets it here and
// re-executes itself once (which loads LibTorch's ~300 libraries a second time: 0.6-1.4 s on the
// CI box), unless the environment already chose one (OMP_WAIT_POLICY or GOMP_SPINCOUNT) or
// KILN_OMP_REEXEC=0. Call first thing in main(). Returns normally when nothing needed doing or the
// re-exec failed (the program then runs with the default policy).
void prepareComputeEnvironment(int argc, char** argv);
// How the environment came to be, for `kiln --version`: "set by the kiln launcher ...",
// "re-executed once to set it" or "as given ...".
const char* computeStartup();

// It also fixes one more thing read before main(): OpenBLAS (LibTorch's BLAS on Debian) falls back
// to generic SSE3 kernels on a CPU its build does not know (Debian's 0.3.21 on Sapphire Rapids:
// matrix products 4-5x slower). When OpenBLAS reports that fallback and OPENBLAS_CORETYPE is unset,
// the re-exec sets the best kernels the CPU supports (SkylakeX, Haswell or Sandybridge).
//
// What prepareComputeEnvironment chose, for `kiln --version` and benchmarks: "OMP_WAIT_POLICY=..."
// or "GOMP_SPINCOUNT=...", or "default" when the program runs with libgomp's default.
const char* computeWaitPolicy();
// The BLAS kernels in use, e.g. "OpenBLAS SkylakeX (OPENBLAS_CORETYPE=SkylakeX, chosen by Kiln ...)".
const char* computeBlasKernels();

// It also sets the C library's allocator to keep freed memory for reuse instead of handing it back
// to the system at once (glibc: the trim and mmap thresholds; the user's MALLOC_* variables win):
// a fit frees and allocates the same buffers every iteration and paid for it in page faults.
// Called by prepareComputeEnvironment; callable on its own (tests, tools). Idempotent.
void keepFreedMemory();
const char* computeMallocPolicy();

// Another CPU-heavy process on the machine: a compute loop whose OpenMP threads meet at barriers
// many times a second loses most of its share to them, because whenever the scheduler takes one of
// its threads off a core the others wait for it (lego fit, 2 cores, a process spinning one: 2
// threads 89 s against 61 s of CPU quiet). With one thread fewer it keeps a whole core. The number
// of threads to use beside `otherCores` cores' worth of other processes' load: one fewer per whole
// core they take (rounded from 0.6 up: two threads beside one spinning process measure it at about
// two thirds of a core), at least one.
int threadsBesideLoad(int configured, double otherCores);

// Cores' worth of CPU used by other processes between two calls (Linux: /proc/stat less this
// process's /proc/self/stat). The first call, or where /proc cannot be read, gives -1.
class OtherLoadSampler {
public:
    double sample();

private:
    bool m_have = false;
    unsigned long long m_busy = 0, m_total = 0, m_self = 0;
};

// Adapts the calling thread's compute threads (LibTorch's intra-op pool) to the load while a loop
// runs: update() once per iteration samples at most every half second and sets
// threadsBesideLoad(configured, load). The destructor restores the configured count. Results do not
// change with it where the loop's results do not depend on the thread count (the splat fit's do
// not: Reconstruct.SameSeedGivesIdenticalPlyBytesWhateverTheThreads).
class LoadAdaptiveThreads {
public:
    explicit LoadAdaptiveThreads(bool enabled);
    ~LoadAdaptiveThreads();
    LoadAdaptiveThreads(const LoadAdaptiveThreads&) = delete;
    LoadAdaptiveThreads& operator=(const LoadAdaptiveThreads&) = delete;
    void update();
    int samples() const { return m_samples; }
    int reducedSamples() const { return m_reduced; }  // samples after which fewer threads ran

private:
    bool m_enabled;
    int m_configured, m_threads;
    int m_samples = 0, m_reduced = 0;
    long long m_lastNs = 0;
    OtherLoadSampler m_sampler;
};

} // namespace kiln::models
