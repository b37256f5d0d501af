#include "optimize/ssim.h"

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

// In-place separable blur of one W x H plane with zero padding; `row` is scratch of W + 2 r.
// The zero-padded blur with a symmetric kernel is its own adjoint, so the gradient pass uses it too.
void blurPlane(float* plane, int w, int h, const std::array<float, kTaps>& g, std::vector<float>& row, std::vector<float>& cols) {
    row.assign(std::size_t(w + 2 * kRadius), 0.0f);
    for (int y = 0; y < h; ++y) {
        float* p = plane + std::size_t(y) * std::size_t(w);
        std::copy(p, p + w, row.begin() + kRadius);
        for (int x = 0; x < w; ++x) {
            float s = 0.0f;
            for (int k = 0; k < kTaps; ++k) s += g[std::size_t(k)] * row[std::size_t(x + k)];
            p[x] = s;
        }
    }
    cols.assign(std::size_t(w) * std::size_t(h + 2 * kRadius), 0.0f);
    std::copy(plane, plane + std::size_t(w) * std::size_t(h), cols.begin() + std::ptrdiff_t(kRadius * w));
    for (int y = 0; y < h; ++y) {
        float* out = plane + std::size_t(y) * std::size_t(w);
        std::fill(out, out + w, 0.0f);
        for (int k = 0; k < kTaps; ++k) {
            const float* in = cols.data() + std::size_t(y + k) * std::size_t(w);
            const float gk = g[std::size_t(k)];
            for (int x = 0; x < w; ++x) out[x] += gk * in[x];
        }
    }
}

} // namespace

double ssimWithGradient(const float* a, const float* b, int width, int height, float* gradA) {
    constexpr float c1 = 0.01f * 0.01f, c2 = 0.03f * 0.03f;
    static const std::array<float, kTaps> g = gaussianTaps();
    const std::size_t n = std::size_t(width) * std::size_t(height);
    // Per channel: the five blurred moments mu_x, mu_y, E[x^2], E[y^2], E[xy].
    std::vector<float> m(n * 5), row, cols;
    double total = 0.0;
    for (int ch = 0; ch < 3; ++ch) {
        float *mx = m.data(), *my = mx + n, *exx = my + n, *eyy = exx + n, *exy = eyy + n;
        for (std::size_t i = 0; i < n; ++i) {
            const float x = a[i * 3 + std::size_t(ch)], y = b[i * 3 + std::size_t(ch)];
            mx[i] = x;
            my[i] = y;
            exx[i] = x * x;
            eyy[i] = y * y;
            exy[i] = x * y;
        }
        for (int k = 0; k < 5; ++k) blurPlane(m.data() + std::size_t(k) * n, width, height, g, row, cols);
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const float sxx = exx[i] - mx[i] * mx[i], syy = eyy[i] - my[i] * my[i], sxy = exy[i] - mx[i] * my[i];
            const float A1 = 2.0f * mx[i] * my[i] + c1, A2 = 2.0f * sxy + c2;
            const float B1 = mx[i] * mx[i] + my[i] * my[i] + c1, B2 = sxx + syy + c2;
            const float S = (A1 * A2) / (B1 * B2);
            sum += double(S);
            if (!gradA) continue;
            // dS with respect to the blurred moments it reads (mu_x, E[x^2], E[xy]); they replace
            // mx, exx, exy in place, to be blurred back onto the pixels.
            const float dMx = 2.0f * my[i] * (A2 - A1) / (B1 * B2) - 2.0f * mx[i] * S * (1.0f / B1 - 1.0f / B2);
            const float dExx = -S / B2;
            const float dExy = 2.0f * A1 / (B1 * B2);
            mx[i] = dMx;
            exx[i] = dExx;
            exy[i] = dExy;
        }
        total += sum;
        if (!gradA) continue;
        for (float* plane : {mx, exx, exy}) blurPlane(plane, width, height, g, row, cols);
        // mean over 3 n values; x enters mu_x with weight 1, E[x^2] through 2x, E[xy] through y.
        const float scale = 1.0f / float(3 * n);
        for (std::size_t i = 0; i < n; ++i) {
            const float x = a[i * 3 + std::size_t(ch)], y = b[i * 3 + std::size_t(ch)];
            gradA[i * 3 + std::size_t(ch)] = scale * (mx[i] + 2.0f * x * exx[i] + y * exy[i]);
        }
    }
    return total / double(3 * n);
}

} // namespace kiln::optimize
