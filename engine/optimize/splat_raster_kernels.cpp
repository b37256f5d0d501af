#include "optimize/splat_raster_kernels.h"

#include "core/sh.h"

#include <ATen/Parallel.h>
#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>
#include <glm/matrix.hpp>
#include <glm/gtc/type_ptr.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

namespace kiln::optimize {

namespace {

constexpr float kLowPass = 0.3f;          // screen-space dilation, px^2 (reference forward.cu)
constexpr float kMinAlpha = 1.0f / 255.0f;
constexpr float kMaxAlpha = 0.99f;
constexpr float kMinTransmittance = 1e-4f;

// Gradients of the 16 SH basis functions (core::evalShBasis) with respect to an unnormalised
// direction's components, evaluated at the unit direction d: out[k] = d b_k / d(x, y, z).
void shBasisGradients(const glm::vec3& d, glm::vec3 out[16]) {
    constexpr float C1 = 0.4886025119029199f;
    constexpr float C2[5] = {1.0925484305920792f, -1.0925484305920792f, 0.31539156525252005f, -1.0925484305920792f, 0.5462742152960396f};
    constexpr float C3[7] = {-0.5900435899266435f, 2.890611442640554f, -0.4570457994644658f, 0.3731763325901154f,
                             -0.4570457994644658f, 1.445305721320277f, -0.5900435899266435f};
    const float x = d.x, y = d.y, z = d.z, xx = x * x, yy = y * y, zz = z * z;
    out[0] = glm::vec3(0.0f);
    out[1] = {0.0f, -C1, 0.0f};
    out[2] = {0.0f, 0.0f, C1};
    out[3] = {-C1, 0.0f, 0.0f};
    out[4] = {C2[0] * y, C2[0] * x, 0.0f};
    out[5] = {0.0f, C2[1] * z, C2[1] * y};
    out[6] = {-2.0f * C2[2] * x, -2.0f * C2[2] * y, 4.0f * C2[2] * z};
    out[7] = {C2[3] * z, 0.0f, C2[3] * x};
    out[8] = {2.0f * C2[4] * x, -2.0f * C2[4] * y, 0.0f};
    out[9] = {C3[0] * 6.0f * x * y, C3[0] * (3.0f * xx - 3.0f * yy), 0.0f};
    out[10] = {C3[1] * y * z, C3[1] * x * z, C3[1] * x * y};
    out[11] = {C3[2] * (-2.0f * x * y), C3[2] * (4.0f * zz - xx - 3.0f * yy), C3[2] * 8.0f * y * z};
    out[12] = {C3[3] * (-6.0f * x * z), C3[3] * (-6.0f * y * z), C3[3] * (6.0f * zz - 3.0f * xx - 3.0f * yy)};
    out[13] = {C3[4] * (4.0f * zz - 3.0f * xx - yy), C3[4] * (-2.0f * x * y), C3[4] * 8.0f * x * z};
    out[14] = {C3[5] * 2.0f * x * z, -C3[5] * 2.0f * y * z, C3[5] * (xx - yy)};
    out[15] = {C3[6] * (3.0f * xx - 3.0f * yy), C3[6] * (-6.0f * x * y), 0.0f};
}

glm::mat3 quatToMatrix(const glm::vec4& qn) {
    const float w = qn.x, x = qn.y, y = qn.z, z = qn.w;
    return glm::mat3(1.0f - 2.0f * (y * y + z * z), 2.0f * (x * y + w * z), 2.0f * (x * z - w * y),
                     2.0f * (x * y - w * z), 1.0f - 2.0f * (x * x + z * z), 2.0f * (y * z + w * x),
                     2.0f * (x * z + w * y), 2.0f * (y * z - w * x), 1.0f - 2.0f * (x * x + y * y));
}

struct Projection {
    glm::vec3 t;    // camera-space centre
    float depth;    // -t.z
    glm::mat3 W, J, T, R, sigma;
    glm::vec3 scale;
    glm::vec4 qn;   // normalised quaternion
    float qlen;
    float a, b, c, det;
};

// Shared by forward and backward so both see exactly the same numbers.
bool project(const SplatParams& p, const RasterCamera& cam, std::int64_t i, Projection& out) {
    const glm::mat4 view = glm::make_mat4(cam.view);
    const glm::vec3 mean = glm::make_vec3(p.means + i * 3);
    out.t = glm::vec3(view * glm::vec4(mean, 1.0f));
    out.depth = -out.t.z;
    if (!(out.depth > cam.znear)) return false;
    const glm::vec4 q = glm::make_vec4(p.rotations + i * 4);
    out.qlen = std::sqrt(glm::dot(q, q));
    out.qn = out.qlen > 0.0f ? q / out.qlen : glm::vec4(1, 0, 0, 0);
    out.R = quatToMatrix(out.qn);
    out.scale = glm::exp(glm::make_vec3(p.logScales + i * 3));
    glm::mat3 m = out.R;
    m[0] *= out.scale.x;
    m[1] *= out.scale.y;
    m[2] *= out.scale.z;
    out.sigma = m * glm::transpose(m);
    out.W = glm::mat3(view);
    const float d = out.depth, d2 = d * d;
    // EWA (Zwicker et al. 2002): Jacobian of (u, v) at the centre; third row unused (zero).
    out.J = glm::mat3(0.0f);
    out.J[0][0] = cam.fx / d;
    out.J[2][0] = cam.fx * out.t.x / d2;
    out.J[1][1] = -cam.fy / d;
    out.J[2][1] = -cam.fy * out.t.y / d2;
    out.T = out.J * out.W;
    const glm::mat3 cov = out.T * out.sigma * glm::transpose(out.T);
    out.a = cov[0][0] + kLowPass;
    out.b = cov[1][0];
    out.c = cov[1][1] + kLowPass;
    out.det = out.a * out.c - out.b * out.b;
    return out.det > 0.0f;
}

// Tiles differ wildly in cost (the object sits in the middle), so they are handed out one at a
// time from a shared counter; at::parallel_for alone splits the range statically.
template <class F>
void forEachTile(int tileCount, F&& f) {
    std::atomic<int> next{0};
    const int workers = std::max(1, std::min(at::get_num_threads(), tileCount));
    at::parallel_for(0, workers, 1, [&](std::int64_t, std::int64_t) {
        for (int t = next++; t < tileCount; t = next++) f(t);
    });
}

} // namespace

void rasterizeForward(const SplatParams& p, const RasterCamera& cam, const float background[3], RasterState& s, float* image) {
    const std::int64_t n = p.count;
    const int tilesX = (cam.width + kTileSize - 1) / kTileSize, tilesY = (cam.height + kTileSize - 1) / kTileSize;
    const int tileCount = tilesX * tilesY;
    s.uv.assign(std::size_t(n) * 2, 0.0f);
    s.conic.assign(std::size_t(n) * 3, 0.0f);
    s.color.assign(std::size_t(n) * 3, 0.0f);
    s.opacity.assign(std::size_t(n), 0.0f);
    s.depth.assign(std::size_t(n), 0.0f);
    s.clamped.assign(std::size_t(n) * 3, 0);
    s.radius.assign(std::size_t(n), 0);
    s.tileRects.assign(std::size_t(n) * 4, 0);
    const glm::vec3 campos = glm::make_vec3(cam.position);
    const int coeffs = (p.degree + 1) * (p.degree + 1);

    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            Projection pr;
            if (!project(p, cam, i, pr)) continue;
            const float mid = 0.5f * (pr.a + pr.c);
            const float lambda = mid + std::sqrt(std::max(0.1f, mid * mid - pr.det));
            const float radius = std::ceil(3.0f * std::sqrt(lambda));
            const float u = cam.fx * pr.t.x / pr.depth + cam.cx, v = -cam.fy * pr.t.y / pr.depth + cam.cy;
            // Pixel centres sit at +0.5, so the splat covers pixels whose centre is within radius.
            const int x0 = std::clamp(int(std::floor((u - radius - 0.5f) / kTileSize)), 0, tilesX);
            const int x1 = std::clamp(int(std::floor((u + radius - 0.5f) / kTileSize)) + 1, 0, tilesX);
            const int y0 = std::clamp(int(std::floor((v - radius - 0.5f) / kTileSize)), 0, tilesY);
            const int y1 = std::clamp(int(std::floor((v + radius - 0.5f) / kTileSize)) + 1, 0, tilesY);
            if (x1 <= x0 || y1 <= y0) continue;
            s.radius[std::size_t(i)] = int(radius);
            s.tileRects[std::size_t(i) * 4 + 0] = std::uint32_t(x0);
            s.tileRects[std::size_t(i) * 4 + 1] = std::uint32_t(y0);
            s.tileRects[std::size_t(i) * 4 + 2] = std::uint32_t(x1);
            s.tileRects[std::size_t(i) * 4 + 3] = std::uint32_t(y1);
            s.uv[std::size_t(i) * 2] = u;
            s.uv[std::size_t(i) * 2 + 1] = v;
            s.conic[std::size_t(i) * 3 + 0] = pr.c / pr.det;
            s.conic[std::size_t(i) * 3 + 1] = -pr.b / pr.det;
            s.conic[std::size_t(i) * 3 + 2] = pr.a / pr.det;
            s.depth[std::size_t(i)] = pr.depth;
            s.opacity[std::size_t(i)] = 1.0f / (1.0f + std::exp(-p.opacityLogits[i]));
            const glm::vec3 mean = glm::make_vec3(p.means + i * 3);
            float basis[16];
            core::evalShBasis(glm::normalize(mean - campos), basis);
            const float* sh = p.sh + i * std::int64_t(p.coeffStride) * 3;
            for (int ch = 0; ch < 3; ++ch) {
                float raw = 0.5f;
                for (int k = 0; k < coeffs; ++k) raw += basis[k] * sh[k * 3 + ch];
                s.clamped[std::size_t(i) * 3 + std::size_t(ch)] = raw < 0.0f;
                s.color[std::size_t(i) * 3 + std::size_t(ch)] = std::max(raw, 0.0f);
            }
        }
    });

    // Bin by tile (counting sort), then order each tile's list by depth.
    std::vector<std::uint32_t> counts(std::size_t(tileCount) + 1, 0);
    for (std::int64_t i = 0; i < n; ++i) {
        if (!s.radius[std::size_t(i)]) continue;
        const std::uint32_t* r = &s.tileRects[std::size_t(i) * 4];
        for (std::uint32_t ty = r[1]; ty < r[3]; ++ty)
            for (std::uint32_t tx = r[0]; tx < r[2]; ++tx) ++counts[ty * std::uint32_t(tilesX) + tx + 1];
    }
    for (int t = 0; t < tileCount; ++t) counts[std::size_t(t) + 1] += counts[std::size_t(t)];
    s.tileRanges.assign(std::size_t(tileCount) * 2, 0);
    for (int t = 0; t < tileCount; ++t) {
        s.tileRanges[std::size_t(t) * 2] = counts[std::size_t(t)];
        s.tileRanges[std::size_t(t) * 2 + 1] = counts[std::size_t(t) + 1];
    }
    s.ids.assign(counts.back(), 0);
    std::vector<std::uint32_t> cursor(counts.begin(), counts.end() - 1);
    for (std::int64_t i = 0; i < n; ++i) {
        if (!s.radius[std::size_t(i)]) continue;
        const std::uint32_t* r = &s.tileRects[std::size_t(i) * 4];
        for (std::uint32_t ty = r[1]; ty < r[3]; ++ty)
            for (std::uint32_t tx = r[0]; tx < r[2]; ++tx) s.ids[cursor[ty * std::uint32_t(tilesX) + tx]++] = std::uint32_t(i);
    }
    at::parallel_for(0, tileCount, 4, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
            auto first = s.ids.begin() + s.tileRanges[std::size_t(t) * 2], last = s.ids.begin() + s.tileRanges[std::size_t(t) * 2 + 1];
            std::stable_sort(first, last, [&](std::uint32_t x, std::uint32_t y) { return s.depth[x] < s.depth[y]; });
        }
    });

    const std::size_t pixels = std::size_t(cam.width) * std::size_t(cam.height);
    s.finalT.assign(pixels, 1.0f);
    s.lastContributor.assign(pixels, 0);
    forEachTile(tileCount, [&](int t) {
        thread_local std::vector<float> local;  // per tile: u, v, conic a b c, opacity, r, g, b, radius
        {
            const std::uint32_t first = s.tileRanges[std::size_t(t) * 2], last = s.tileRanges[std::size_t(t) * 2 + 1];
            const std::uint32_t count = last - first;
            local.resize(std::size_t(count) * 10);
            for (std::uint32_t k = 0; k < count; ++k) {
                const std::uint32_t i = s.ids[first + k];
                float* l = &local[std::size_t(k) * 10];
                l[9] = float(s.radius[i]);
                l[0] = s.uv[i * 2];
                l[1] = s.uv[i * 2 + 1];
                l[2] = s.conic[i * 3];
                l[3] = s.conic[i * 3 + 1];
                l[4] = s.conic[i * 3 + 2];
                l[5] = s.opacity[i];
                l[6] = s.color[i * 3];
                l[7] = s.color[i * 3 + 1];
                l[8] = s.color[i * 3 + 2];
            }
            const int tx = int(t) % tilesX, ty = int(t) / tilesX;
            for (int py = ty * kTileSize; py < std::min(cam.height, (ty + 1) * kTileSize); ++py)
                for (int px = tx * kTileSize; px < std::min(cam.width, (tx + 1) * kTileSize); ++px) {
                    const float fx = float(px) + 0.5f, fy = float(py) + 0.5f;
                    float T = 1.0f, r = 0.0f, g = 0.0f, b = 0.0f;
                    std::uint32_t used = 0;
                    for (std::uint32_t k = 0; k < count; ++k) {
                        const float* l = &local[std::size_t(k) * 10];
                        const float dx = l[0] - fx, dy = l[1] - fy;
                        // Support: the square of half-width `radius` (3 sigma) around the centre,
                        // the same bound as the renderer's CPU reference.
                        if (std::abs(dx) > l[9] || std::abs(dy) > l[9]) continue;
                        const float power = -0.5f * (l[2] * dx * dx + l[4] * dy * dy) - l[3] * dx * dy;
                        if (power > 0.0f) continue;
                        const float alpha = std::min(kMaxAlpha, l[5] * std::exp(power));
                        if (alpha < kMinAlpha) continue;
                        const float nextT = T * (1.0f - alpha);
                        if (nextT < kMinTransmittance) break;
                        const float wgt = alpha * T;
                        r += wgt * l[6];
                        g += wgt * l[7];
                        b += wgt * l[8];
                        T = nextT;
                        used = k + 1;
                    }
                    const std::size_t pix = std::size_t(py) * std::size_t(cam.width) + std::size_t(px);
                    s.finalT[pix] = T;
                    s.lastContributor[pix] = used;
                    image[pix * 3 + 0] = r + T * background[0];
                    image[pix * 3 + 1] = g + T * background[1];
                    image[pix * 3 + 2] = b + T * background[2];
                }
        }
    });
}

void rasterizeBackward(const SplatParams& p, const RasterCamera& cam, const float background[3], const RasterState& s, const float* dLdImage,
                       SplatGradients& grads) {
    const std::int64_t n = p.count;
    const int tilesX = (cam.width + kTileSize - 1) / kTileSize, tilesY = (cam.height + kTileSize - 1) / kTileSize;
    const int tileCount = tilesX * tilesY;
    // Per-thread accumulators (tiles share splats): dL/d(u, v), dL/d(conic a, b, c), dL/dopacity, dL/dcolor.
    constexpr int kStride = 9;
    const int threads = std::max(1, at::get_num_threads());
    std::vector<std::vector<float>> acc(static_cast<std::size_t>(threads));

    forEachTile(tileCount, [&](int t) {
        std::vector<float>& buf = acc[std::size_t(std::min(at::get_thread_num(), threads - 1))];
        if (buf.empty()) buf.assign(std::size_t(n) * kStride, 0.0f);
        {
            const std::uint32_t first = s.tileRanges[std::size_t(t) * 2];
            const int tx = int(t) % tilesX, ty = int(t) / tilesX;
            for (int py = ty * kTileSize; py < std::min(cam.height, (ty + 1) * kTileSize); ++py)
                for (int px = tx * kTileSize; px < std::min(cam.width, (tx + 1) * kTileSize); ++px) {
                    const std::size_t pix = std::size_t(py) * std::size_t(cam.width) + std::size_t(px);
                    const std::uint32_t used = s.lastContributor[pix];
                    if (!used) continue;
                    const float fx = float(px) + 0.5f, fy = float(py) + 0.5f;
                    const float dLdPix[3] = {dLdImage[pix * 3], dLdImage[pix * 3 + 1], dLdImage[pix * 3 + 2]};
                    const float finalT = s.finalT[pix];
                    const float bgDot = background[0] * dLdPix[0] + background[1] * dLdPix[1] + background[2] * dLdPix[2];
                    float T = finalT;
                    float accum[3] = {0, 0, 0}, lastColor[3] = {0, 0, 0}, lastAlpha = 0.0f;
                    for (std::uint32_t k = used; k-- > 0;) {
                        const std::uint32_t i = s.ids[first + k];
                        const float* con = &s.conic[std::size_t(i) * 3];
                        const float dx = s.uv[i * 2] - fx, dy = s.uv[i * 2 + 1] - fy;
                        const float rad = float(s.radius[i]);
                        if (std::abs(dx) > rad || std::abs(dy) > rad) continue;
                        const float power = -0.5f * (con[0] * dx * dx + con[2] * dy * dy) - con[1] * dx * dy;
                        if (power > 0.0f) continue;
                        const float G = std::exp(power);
                        const float o = s.opacity[i];
                        const float alpha = std::min(kMaxAlpha, o * G);
                        if (alpha < kMinAlpha) continue;
                        T = T / (1.0f - alpha);
                        const float weight = alpha * T;
                        float dLdAlpha = 0.0f;
                        float* g = &buf[std::size_t(i) * kStride];
                        for (int ch = 0; ch < 3; ++ch) {
                            const float col = s.color[std::size_t(i) * 3 + std::size_t(ch)];
                            // Colour of everything behind this splat, front-to-back composited.
                            accum[ch] = lastAlpha * lastColor[ch] + (1.0f - lastAlpha) * accum[ch];
                            lastColor[ch] = col;
                            dLdAlpha += (col - accum[ch]) * dLdPix[ch];
                            g[6 + ch] += weight * dLdPix[ch];
                        }
                        dLdAlpha *= T;
                        lastAlpha = alpha;
                        dLdAlpha += -finalT / (1.0f - alpha) * bgDot;
                        const float dLdG = o * dLdAlpha;
                        const float gG = dLdG * G;
                        g[0] += gG * -(con[0] * dx + con[1] * dy);
                        g[1] += gG * -(con[2] * dy + con[1] * dx);
                        g[2] += gG * -0.5f * dx * dx;
                        g[3] += gG * -dx * dy;
                        g[4] += gG * -0.5f * dy * dy;
                        g[5] += G * dLdAlpha;
                    }
                }
        }
    });

    const glm::vec3 campos = glm::make_vec3(cam.position);
    const int coeffs = (p.degree + 1) * (p.degree + 1);
    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            if (!s.radius[std::size_t(i)]) continue;
            float g[kStride] = {};
            for (const auto& buf : acc)
                if (!buf.empty())
                    for (int k = 0; k < kStride; ++k) g[k] += buf[std::size_t(i) * kStride + std::size_t(k)];
            Projection pr;
            if (!project(p, cam, i, pr)) continue;
            const float d = pr.depth, d2 = d * d, d3 = d2 * d;
            const glm::vec2 dLdUv(g[0], g[1]);
            grads.means2D[i * 2] += dLdUv.x;
            grads.means2D[i * 2 + 1] += dLdUv.y;

            // Conic (inverse of the dilated 2D covariance [[a, b], [b, c]]) back to a, b, c.
            const float dA = g[2], dB = g[3], dC = g[4];
            const float det2 = pr.det * pr.det;
            const float a = pr.a, b = pr.b, c = pr.c;
            const float dLda = (-c * c * dA + b * c * dB - b * b * dC) / det2;
            const float dLdc = (-b * b * dA + a * b * dB - a * a * dC) / det2;
            const float dLdb = (2.0f * b * c * dA - (pr.det + 2.0f * b * b) * dB + 2.0f * a * b * dC) / det2;
            glm::mat3 G2(0.0f);
            G2[0][0] = dLda;
            G2[1][0] = G2[0][1] = 0.5f * dLdb;
            G2[1][1] = dLdc;
            // cov2D = T Sigma T^T with T = J W.
            const glm::mat3 dLdSigma = glm::transpose(pr.T) * G2 * pr.T;
            const glm::mat3 dLdT = 2.0f * G2 * pr.T * pr.sigma;
            const glm::mat3 dLdJ = dLdT * glm::transpose(pr.W);
            glm::vec3 dLdt(0.0f);
            dLdt.x += dLdJ[2][0] * cam.fx / d2;
            dLdt.y += dLdJ[2][1] * -cam.fy / d2;
            dLdt.z += dLdJ[0][0] * cam.fx / d2 + dLdJ[2][0] * 2.0f * cam.fx * pr.t.x / d3 + dLdJ[1][1] * -cam.fy / d2 +
                      dLdJ[2][1] * -2.0f * cam.fy * pr.t.y / d3;
            // Projected centre: u = fx x/d + cx, v = -fy y/d + cy, d = -z.
            dLdt.x += dLdUv.x * cam.fx / d;
            dLdt.y += dLdUv.y * -cam.fy / d;
            dLdt.z += dLdUv.x * cam.fx * pr.t.x / d2 - dLdUv.y * cam.fy * pr.t.y / d2;
            glm::vec3 dLdMean = glm::transpose(pr.W) * dLdt;

            // Sigma = M M^T, M = R S.
            glm::mat3 m = pr.R;
            m[0] *= pr.scale.x;
            m[1] *= pr.scale.y;
            m[2] *= pr.scale.z;
            const glm::mat3 dLdM = 2.0f * dLdSigma * m;
            glm::mat3 dLdR;
            for (int k = 0; k < 3; ++k) {
                grads.logScales[i * 3 + k] += glm::dot(dLdM[k], pr.R[k]) * pr.scale[k];
                dLdR[k] = dLdM[k] * pr.scale[k];
            }
            // Rotation matrix entries R_rc = dLdR[c][r] back to the normalised quaternion.
            auto G = [&](int r, int c) { return dLdR[c][r]; };
            const float w = pr.qn.x, x = pr.qn.y, y = pr.qn.z, z = pr.qn.w;
            const glm::vec4 dLdqn(
                2.0f * (-z * G(0, 1) + y * G(0, 2) + z * G(1, 0) - x * G(1, 2) - y * G(2, 0) + x * G(2, 1)),
                2.0f * (y * G(0, 1) + z * G(0, 2) + y * G(1, 0) - 2.0f * x * G(1, 1) - w * G(1, 2) + z * G(2, 0) + w * G(2, 1) - 2.0f * x * G(2, 2)),
                2.0f * (-2.0f * y * G(0, 0) + x * G(0, 1) + w * G(0, 2) + x * G(1, 0) + z * G(1, 2) - w * G(2, 0) + z * G(2, 1) - 2.0f * y * G(2, 2)),
                2.0f * (-2.0f * z * G(0, 0) - w * G(0, 1) + x * G(0, 2) + w * G(1, 0) - 2.0f * z * G(1, 1) + y * G(1, 2) + x * G(2, 0) + y * G(2, 1)));
            if (pr.qlen > 0.0f) {
                const glm::vec4 dLdq = (dLdqn - pr.qn * glm::dot(pr.qn, dLdqn)) / pr.qlen;
                for (int k = 0; k < 4; ++k) grads.rotations[i * 4 + k] += dLdq[k];
            }

            // Opacity logit.
            const float o = s.opacity[std::size_t(i)];
            grads.opacityLogits[i] += g[5] * o * (1.0f - o);

            // View-dependent colour: SH coefficients and, through the view direction, the mean.
            const glm::vec3 mean = glm::make_vec3(p.means + i * 3);
            const glm::vec3 toSplat = mean - campos;
            const float len = glm::length(toSplat);
            const glm::vec3 dir = toSplat / len;
            float basis[16];
            glm::vec3 dBasis[16];
            core::evalShBasis(dir, basis);
            shBasisGradients(dir, dBasis);
            const float* sh = p.sh + i * std::int64_t(p.coeffStride) * 3;
            float* gsh = grads.sh + i * std::int64_t(p.coeffStride) * 3;
            glm::vec3 dLdDir(0.0f);
            for (int ch = 0; ch < 3; ++ch) {
                if (s.clamped[std::size_t(i) * 3 + std::size_t(ch)]) continue;
                const float dLdColor = g[6 + ch];
                for (int k = 0; k < coeffs; ++k) {
                    gsh[k * 3 + ch] += basis[k] * dLdColor;
                    dLdDir += sh[k * 3 + ch] * dLdColor * dBasis[k];
                }
            }
            dLdMean += (dLdDir - dir * glm::dot(dir, dLdDir)) / len;
            for (int k = 0; k < 3; ++k) grads.means[i * 3 + k] += dLdMean[k];
        }
    });
}

} // namespace kiln::optimize
