#include "models/compute_env.h"

#include <cstdlib>
#include <cstring>

namespace kiln::models {

const char* betterBlasCore(const char* current) {
    if (std::getenv("OPENBLAS_CORETYPE")) return nullptr;  // the user's choice
    if (!current || std::strcmp(current, "Prescott") != 0) return nullptr;  // not OpenBLAS, or it knows this CPU
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
    return nullptr;
}

bool setSpinCountUnlessChosen() {
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return false;
    setenv("GOMP_SPINCOUNT", kSpinCount, 1);
    return true;
}

const char* setBetterBlasCore(const char* currentCore) {
    const char* core = betterBlasCore(currentCore);
    if (core) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        setenv(kBlasMarker, "1", 1);
    }
    return core;
}

} // namespace kiln::models
