#pragma once

// exp(x) on eight floats at once (AVX2 + FMA), for the splat blending loops that evaluate a
// Gaussian at every pixel: the viewport's host rasterizer (render/splat_host.cpp) and the fitting
// rasterizer (optimize/splat_raster_kernels.cpp). Callers compile their loops with the same
// target attribute and check cpuHasAvx2Fma() before calling them.
#if defined(__x86_64__)
#include <immintrin.h>

namespace kiln::core {

inline bool cpuHasAvx2Fma() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}

// exp(x) for x <= 0 to ~2e-6 relative: 2^round(x log2 e) times a degree-6 polynomial of
// f = x - n ln 2 in [-0.35, 0.35] (Taylor; the truncation is ~1e-7 there); below -87 it returns
// ~0, far under any alpha threshold.
__attribute__((target("avx2,fma"))) inline __m256 exp256(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    const __m256 t = _mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f));
    const __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 f = _mm256_mul_ps(_mm256_sub_ps(t, n), _mm256_set1_ps(0.693147180559945309f));
    __m256 p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

} // namespace kiln::core
#else
namespace kiln::core {
inline bool cpuHasAvx2Fma() { return false; }
} // namespace kiln::core
#endif
