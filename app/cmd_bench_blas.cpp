// `kiln bench blas`: LibTorch's single-precision matrix product with the BLAS kernels Kiln starts
// with, beside OpenBLAS's own choice, each in its own process (OpenBLAS picks its kernels when it
// is loaded; models/compute.h).
#include "cli.h"

#include "core/error.h"
#include "models/compute.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

// GFLOP/s of an n x n x n product, best of `repeat` timed batches.
double gemmGflops(int n, int threads, int repeat) {
    at::set_num_threads(threads);
    torch::manual_seed(1);
    const auto a = torch::randn({n, n}), b = torch::randn({n, n});
    auto c = torch::mm(a, b);  // warm-up
    const int inner = std::max(1, int(2e9 / (2.0 * n * n * n)));  // ~2 GFLOP per batch at most
    double best = 0.0;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < inner; ++i) c = torch::mm(a, b);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, inner * 2.0 * n * n * n / s / 1e9);
        if (s > 3.0) break;  // the slow kernels: one batch is enough
    }
    return best;
}

int measure(int repeat) {
    const int cores = models::computeThreads();
    std::printf("%s\n", models::computeBlasKernels());
    for (const int n : {128, 512, 1024})
        std::printf("%d %.2f %.2f\n", n, gemmGflops(n, 1, repeat), gemmGflops(n, cores, repeat));
    return 0;
}

} // namespace

int benchBlas(const Args& args) {
    const int repeat = args.getInt("repeat", 3, 1, 100);
    if (args.has("measure")) return measure(repeat);
    const std::string exe = fs::read_symlink("/proc/self/exe").string();
    const std::string tail = " " + shellQuote(exe) + " bench blas --measure --repeat " + std::to_string(repeat);
    struct Mode {
        const char* name;
        std::string cmd;
    };
    // The baseline keeps Kiln's OpenMP wait policy (inherited) and only leaves the kernels to OpenBLAS.
    const Mode modes[] = {{"OpenBLAS's own choice", "env -u OPENBLAS_CORETYPE -u KILN_OPENBLAS_CORETYPE_CHOSEN KILN_OMP_REEXEC=0" + tail},
                          {"Kiln's choice", "env -u OPENBLAS_CORETYPE -u KILN_OPENBLAS_CORETYPE_CHOSEN -u KILN_OMP_REEXEC -u GOMP_SPINCOUNT" + tail}};
    std::printf("kiln bench blas: torch::mm, float32, n x n x n, GFLOP/s (best of %d), one process per row\n", repeat);
    std::printf("%-24s %-6s %12s %12s   %s\n", "kernels", "n", "1 thread", "all cores", "BLAS");
    std::vector<std::vector<double>> rows;
    for (const Mode& m : modes) {
        const std::string out = runCommandOutput(m.cmd, "kiln bench blas");
        const std::string kernels = out.substr(0, out.find('\n'));
        std::vector<double> values;
        const char* p = out.c_str() + out.find('\n') + 1;
        int n = 0;
        double one = 0.0, all = 0.0;
        int used = 0;
        while (std::sscanf(p, "%d %lf %lf%n", &n, &one, &all, &used) == 3) {
            std::printf("%-24s %-6d %12.2f %12.2f   %s\n", m.name, n, one, all, kernels.c_str());
            values.push_back(all);
            p += used;
        }
        rows.push_back(values);
    }
    if (rows.size() == 2 && rows[0].size() == rows[1].size())
        for (std::size_t i = 0; i < rows[0].size(); ++i)
            std::printf("speed-up, all cores, size %zu of 3: %.1fx\n", i + 1, rows[1][i] / std::max(rows[0][i], 1e-9));
    return 0;
}

} // namespace kiln::app
