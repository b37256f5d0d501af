#include "optimize/ssim.h"

#include "core/simd_exp.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

namespace kiln::optimize {

namespace {

constexpr int kRadius = 5;
constexpr int kTaps = 2 * kRadius + 1;

std::array<float, kTaps> gaussianTaps() {
    std::array<float, kTaps> g{};
    double sum = 0.0;
    for (int k = 0; k < kTaps; ++k) sum += std::exp(-double((k - kRadius) * (k - kRadius)) / (2.0 * 1.5 * 1.5));
    for (int k = 0; k < kTaps; ++k) g[std::size_t(k)] = float(std::exp(-double((k - kRadius) * (k - kRadius)) / (2.0 * 1.5 * 1.5)) / sum);
    return g;
}

// One output row of an 11-tap blur: out[x] = sum_k g[k] in_k[x], where in_k is the input row for
// tap k (the row shifted by k for the pass along x, row y + k for the pass along y).
template <class Row>
inline void blurRowScalar(float* out, int x0, int w, const std::array<float, kTaps>& g, Row in) {
    for (int x = x0; x < w; ++x) {
        float s = 0.0f;
        for (int k = 0; k < kTaps; ++k) s += g[std::size_t(k)] * in(k)[x];
        out[x] = s;
    }
}

#if defined(__x86_64__)
template <class Row>
__attribute__((target("avx2,fma"))) inline int blurRowAvx2(float* out, int w, const std::array<float, kTaps>& g, Row in) {
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256 s = _mm256_mul_ps(_mm256_set1_ps(g[0]), _mm256_loadu_ps(in(0) + x));
        for (int k = 1; k < kTaps; ++k) s = _mm256_fmadd_ps(_mm256_set1_ps(g[std::size_t(k)]), _mm256_loadu_ps(in(k) + x), s);
        _mm256_storeu_ps(out + x, s);
    }
    return x;
}
#endif

// In-place separable blur of one W x H plane with zero padding; `row` and `cols` are scratch.
// The zero-padded blur with a symmetric kernel is its own adjoint, so the gradient pass uses it too.
void blurPlane(float* plane, int w, int h, const std::array<float, kTaps>& g, std::vector<float>& row, std::vector<float>& cols) {
#if defined(__x86_64__)
    const bool avx2 = core::cpuHasAvx2Fma();
#else
    const bool avx2 = false;
#endif
    auto blurRow = [&](float* out, auto in) {
        int x0 = 0;
#if defined(__x86_64__)
        if (avx2) x0 = blurRowAvx2(out, w, g, in);
#endif
        blurRowScalar(out, x0, w, g, in);
    };
    row.assign(std::size_t(w + 2 * kRadius), 0.0f);
    for (int y = 0; y < h; ++y) {
        float* p = plane + std::size_t(y) * std::size_t(w);
        std::copy(p, p + w, row.begin() + kRadius);
        const float* r = row.data();
        blurRow(p, [r](int k) { return r + k; });
    }
    cols.assign(std::size_t(w) * std::size_t(h + 2 * kRadius), 0.0f);
    std::copy(plane, plane + std::size_t(w) * std::size_t(h), cols.begin() + std::ptrdiff_t(kRadius * w));
    for (int y = 0; y < h; ++y) {
        const float* c = cols.data() + std::size_t(y) * std::size_t(w);
        const std::size_t stride = std::size_t(w);
        blurRow(plane + std::size_t(y) * std::size_t(w), [c, stride](int k) { return c + std::size_t(k) * stride; });
    }
}

// Blurs the planes planeOf(0) .. planeOf(count - 1), one plane per task.
template <class PlaneOf>
void blurPlanes(int count, PlaneOf planeOf, int w, int h, const std::array<float, kTaps>& g) {
    at::parallel_for(0, count, 1, [&](std::int64_t begin, std::int64_t end) {
        thread_local std::vector<float> row, cols;
        for (std::int64_t k = begin; k < end; ++k) blurPlane(planeOf(int(k)), w, h, g, row, cols);
    });
}

} // namespace

double ssimWithGradient(const float* a, const float* b, int width, int height, float* gradA) {
    constexpr float c1 = 0.01f * 0.01f, c2 = 0.03f * 0.03f;
    static const std::array<float, kTaps> g = gaussianTaps();
    const std::size_t n = std::size_t(width) * std::size_t(height);
    // Per channel, five planes: the blurred moments mu_x, mu_y, E[x^2], E[y^2], E[xy]. All fifteen
    // are blurred side by side, then the three gradient maps of each channel. The buffer keeps its
    // capacity from one call to the next (a fit calls this every iteration).
    thread_local std::vector<float> planes;
    planes.resize(n * 15);
    float* const m = planes.data();
    auto plane = [&](int ch, int k) { return m + (std::size_t(ch) * 5 + std::size_t(k)) * n; };
    at::parallel_for(0, height, 16, [&](std::int64_t y0, std::int64_t y1) {
        for (int ch = 0; ch < 3; ++ch) {
            float *mx = plane(ch, 0), *my = plane(ch, 1), *exx = plane(ch, 2), *eyy = plane(ch, 3), *exy = plane(ch, 4);
            for (std::size_t i = std::size_t(y0) * std::size_t(width); i < std::size_t(y1) * std::size_t(width); ++i) {
                const float x = a[i * 3 + std::size_t(ch)], y = b[i * 3 + std::size_t(ch)];
                mx[i] = x;
                my[i] = y;
                exx[i] = x * x;
                eyy[i] = y * y;
                exy[i] = x * y;
            }
        }
    });
    blurPlanes(15, [&](int k) { return plane(k / 5, k % 5); }, width, height, g);
    // Sums per row and channel, added in a fixed order afterwards: the value does not depend on
    // how the rows were shared out.
    std::vector<double> rowSums(std::size_t(height) * 3, 0.0);
    at::parallel_for(0, height, 16, [&](std::int64_t y0, std::int64_t y1) {
        for (int ch = 0; ch < 3; ++ch) {
            float *mx = plane(ch, 0), *my = plane(ch, 1), *exx = plane(ch, 2), *eyy = plane(ch, 3), *exy = plane(ch, 4);
            for (std::int64_t yy = y0; yy < y1; ++yy) {
                double sum = 0.0;
                for (std::size_t i = std::size_t(yy) * std::size_t(width); i < std::size_t(yy + 1) * std::size_t(width); ++i) {
                    const float sxx = exx[i] - mx[i] * mx[i], syy = eyy[i] - my[i] * my[i], sxy = exy[i] - mx[i] * my[i];
                    const float A1 = 2.0f * mx[i] * my[i] + c1, A2 = 2.0f * sxy + c2;
                    const float B1 = mx[i] * mx[i] + my[i] * my[i] + c1, B2 = sxx + syy + c2;
                    const float S = (A1 * A2) / (B1 * B2);
                    sum += double(S);
                    if (!gradA) continue;
                    // dS with respect to the blurred moments it reads (mu_x, E[x^2], E[xy]); they
                    // replace mx, exx, exy in place, to be blurred back onto the pixels.
                    const float dMx = 2.0f * my[i] * (A2 - A1) / (B1 * B2) - 2.0f * mx[i] * S * (1.0f / B1 - 1.0f / B2);
                    const float dExx = -S / B2;
                    const float dExy = 2.0f * A1 / (B1 * B2);
                    mx[i] = dMx;
                    exx[i] = dExx;
                    exy[i] = dExy;
                }
                rowSums[std::size_t(ch) * std::size_t(height) + std::size_t(yy)] = sum;
            }
        }
    });
    double total = 0.0;
    for (const double v : rowSums) total += v;
    if (gradA) {
        // The three gradient maps of each channel: planes 0, 2, 4 of it.
        blurPlanes(9, [&](int k) { return plane(k / 3, (k % 3) * 2); }, width, height, g);
        // mean over 3 n values; x enters mu_x with weight 1, E[x^2] through 2x, E[xy] through y.
        const float scale = 1.0f / float(3 * n);
        at::parallel_for(0, height, 16, [&](std::int64_t y0, std::int64_t y1) {
            for (int ch = 0; ch < 3; ++ch) {
                const float *mx = plane(ch, 0), *exx = plane(ch, 2), *exy = plane(ch, 4);
                for (std::size_t i = std::size_t(y0) * std::size_t(width); i < std::size_t(y1) * std::size_t(width); ++i) {
                    const float x = a[i * 3 + std::size_t(ch)], y = b[i * 3 + std::size_t(ch)];
                    gradA[i * 3 + std::size_t(ch)] = scale * (mx[i] + 2.0f * x * exx[i] + y * exy[i]);
                }
            }
        });
    }
    return total / double(3 * n);
}

} // namespace kiln::optimize
