#pragma once

// The per-splat and per-pixel mathematics of the differentiable Gaussian splat rasterizer, on
// plain floats and arrays: one definition that the CPU kernels (splat_raster_kernels.cpp) and
// the CUDA kernels (splat_raster_kernels.cuh) both compile, so the two paths form the same image
// and the same gradients, and the CPU tests cover the formulas the GPU runs.
#include "core/host_device.h"
#include "core/sh_basis.h"

#include <math.h>
#include <stdint.h>

namespace kiln::optimize {

inline constexpr int kTileSize = 16;
inline constexpr int kTilePixels = kTileSize * kTileSize;

// Tiles across an image side of `pixels` (the last one may be partly outside).
KILN_HD int tilesAcross(int pixels) { return (pixels + kTileSize - 1) / kTileSize; }

struct RasterCamera {
    float view[16];        // world -> camera, column-major, OpenGL convention (looks down -Z)
    float fx, fy, cx, cy;  // pixels; u = fx x/d + cx, v = -fy y/d + cy with d = -z
    int width, height;
    float znear;
    float position[3];     // camera centre in world space (view direction for SH)
};

struct SplatParams {
    const float* means;          // N x 3
    const float* logScales;      // N x 3
    const float* rotations;      // N x 4, (w, x, y, z), any length
    const float* opacityLogits;  // N
    const float* sh;             // N x coeffStride x 3
    int64_t count;
    int coeffStride;             // coefficients stored per splat (16 for degree 3 storage)
    int degree;                  // active SH degree (<= storage degree)
};

struct SplatGradients {
    float* means;          // N x 3
    float* logScales;      // N x 3
    float* rotations;      // N x 4
    float* opacityLogits;  // N
    float* sh;             // N x coeffStride x 3
    float* means2D;        // N x 2: dL/d(projected centre) in pixels (densification statistic)
};

namespace raster {

inline constexpr float kLowPass = 0.3f;  // screen-space dilation, px^2 (reference forward.cu)
inline constexpr float kMinAlpha = 1.0f / 255.0f;
inline constexpr float kMaxAlpha = 0.99f;
inline constexpr float kMinTransmittance = 1e-4f;
inline constexpr float kMinPower = -5.5423f;  // ln(kMinAlpha) = -5.54126, less a margin for expf's rounding
// Per-splat screen-space gradient accumulated over pixels: dL/d(u, v), dL/d(conic a, b, c),
// dL/d(opacity), dL/d(colour r, g, b).
inline constexpr int kGradStride = 9;

// Everything the projection of one splat computes; forward and backward both call project() so
// they see exactly the same numbers. Matrices are row-major.
struct Projection {
    float t[3];      // camera-space centre
    float depth;     // -t.z
    float W[9];      // rotation part of the view matrix
    float R[9];      // splat rotation
    float scale[3];
    float qn[4];     // normalised quaternion (w, x, y, z)
    float qlen;
    float sigma[9];  // world covariance R S S^T R^T
    float T[6];      // 2 x 3: J W, J the EWA Jacobian of (u, v) at the centre
    float a, b, c, det;  // dilated screen covariance [[a, b], [b, c]] and its determinant
    float tj[2];           // x, y of the centre the Jacobian is taken at (clamped, below)
    bool clampX, clampY;   // whether they were clamped
};

KILN_HD bool project(const SplatParams& p, const RasterCamera& cam, int64_t i, Projection& pr) {
    const float* m = p.means + i * 3;
    const float* v = cam.view;
    for (int r = 0; r < 3; ++r) pr.t[r] = v[r] * m[0] + v[4 + r] * m[1] + v[8 + r] * m[2] + v[12 + r];
    pr.depth = -pr.t[2];
    if (!(pr.depth > cam.znear)) return false;
    const float* q = p.rotations + i * 4;
    pr.qlen = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (int k = 0; k < 4; ++k) pr.qn[k] = pr.qlen > 0.0f ? q[k] / pr.qlen : (k == 0 ? 1.0f : 0.0f);
    const float w = pr.qn[0], x = pr.qn[1], y = pr.qn[2], z = pr.qn[3];
    const float R[9] = {1.0f - 2.0f * (y * y + z * z), 2.0f * (x * y - w * z), 2.0f * (x * z + w * y),
                        2.0f * (x * y + w * z), 1.0f - 2.0f * (x * x + z * z), 2.0f * (y * z - w * x),
                        2.0f * (x * z - w * y), 2.0f * (y * z + w * x), 1.0f - 2.0f * (x * x + y * y)};
    for (int k = 0; k < 9; ++k) pr.R[k] = R[k];
    for (int k = 0; k < 3; ++k) pr.scale[k] = expf(p.logScales[i * 3 + k]);
    float M[9];  // R S
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) M[r * 3 + c] = R[r * 3 + c] * pr.scale[c];
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) pr.sigma[r * 3 + c] = M[r * 3] * M[c * 3] + M[r * 3 + 1] * M[c * 3 + 1] + M[r * 3 + 2] * M[c * 3 + 2];
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) pr.W[r * 3 + c] = v[c * 4 + r];
    const float d = pr.depth, d2 = d * d;
    // As the 3DGS reference (computeCov2D): the Jacobian is taken with x/d and y/d clamped to 1.3
    // times the half field of view, so a splat far off screen close to the image plane does not
    // get an unbounded J (and gradients that overflow to infinity; a real capture's outliers did).
    const float limX = 1.3f * 0.5f * float(cam.width) / cam.fx, limY = 1.3f * 0.5f * float(cam.height) / cam.fy;
    const float xd = pr.t[0] / d, yd = pr.t[1] / d;
    pr.clampX = !(xd >= -limX && xd <= limX);
    pr.clampY = !(yd >= -limY && yd <= limY);
    pr.tj[0] = (xd < -limX ? -limX : (xd > limX ? limX : xd)) * d;
    pr.tj[1] = (yd < -limY ? -limY : (yd > limY ? limY : yd)) * d;
    // EWA (Zwicker et al. 2002): J = [[fx/d, 0, fx x/d^2], [0, -fy/d, -fy y/d^2]].
    const float J00 = cam.fx / d, J02 = cam.fx * pr.tj[0] / d2, J11 = -cam.fy / d, J12 = -cam.fy * pr.tj[1] / d2;
    for (int c = 0; c < 3; ++c) {
        pr.T[c] = J00 * pr.W[c] + J02 * pr.W[6 + c];
        pr.T[3 + c] = J11 * pr.W[3 + c] + J12 * pr.W[6 + c];
    }
    float TS[6];  // T sigma
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 3; ++c)
            TS[r * 3 + c] = pr.T[r * 3] * pr.sigma[c] + pr.T[r * 3 + 1] * pr.sigma[3 + c] + pr.T[r * 3 + 2] * pr.sigma[6 + c];
    pr.a = TS[0] * pr.T[0] + TS[1] * pr.T[1] + TS[2] * pr.T[2] + kLowPass;
    pr.b = TS[0] * pr.T[3] + TS[1] * pr.T[4] + TS[2] * pr.T[5];
    pr.c = TS[3] * pr.T[3] + TS[4] * pr.T[4] + TS[5] * pr.T[5] + kLowPass;
    pr.det = pr.a * pr.c - pr.b * pr.b;
    return pr.det > 0.0f;
}

KILN_HD int clampInt(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }
// Plain comparisons, not fminf/fmaxf: those must honour NaN rules and cost a library call or a
// longer instruction sequence on the CPU, in the innermost loop.
KILN_HD float minFloat(float a, float b) { return b < a ? b : a; }
KILN_HD float maxFloat(float a, float b) { return a < b ? b : a; }

// Unit direction from the camera to splat i (the SH colour's argument); returns the distance.
KILN_HD float viewDirection(const SplatParams& p, const RasterCamera& cam, int64_t i, float dir[3]) {
    const float* m = p.means + i * 3;
    for (int k = 0; k < 3; ++k) dir[k] = m[k] - cam.position[k];
    const float len = sqrtf(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
    for (int k = 0; k < 3; ++k) dir[k] /= len;
    return len;
}

// What the forward pass keeps of one drawn splat.
struct Footprint {
    float uv[2], conic[3], color[3], opacity, depth;
    uint8_t clamped[3];  // colour channel clamped at 0 (no gradient)
    int radius;          // pixels; 0 = not drawn
    int rect[4];         // tiles x0, y0, x1, y1 (exclusive)
};

// Projects splat i; false when it is not drawn (behind the near plane, degenerate, off screen).
// `pr` keeps the projection (the CPU backward pass reads it back instead of projecting again).
KILN_HD bool preprocess(const SplatParams& p, const RasterCamera& cam, int64_t i, int tilesX, int tilesY, Footprint& f, Projection& pr) {
    if (!project(p, cam, i, pr)) return false;
    const float mid = 0.5f * (pr.a + pr.c);
    const float lambda = mid + sqrtf(maxFloat(0.1f, mid * mid - pr.det));
    const float radius = ceilf(3.0f * sqrtf(lambda));
    const float u = cam.fx * pr.t[0] / pr.depth + cam.cx, v = -cam.fy * pr.t[1] / pr.depth + cam.cy;
    // Pixel centres sit at +0.5, so the splat covers pixels whose centre is within radius.
    f.rect[0] = clampInt(int(floorf((u - radius - 0.5f) / kTileSize)), 0, tilesX);
    f.rect[2] = clampInt(int(floorf((u + radius - 0.5f) / kTileSize)) + 1, 0, tilesX);
    f.rect[1] = clampInt(int(floorf((v - radius - 0.5f) / kTileSize)), 0, tilesY);
    f.rect[3] = clampInt(int(floorf((v + radius - 0.5f) / kTileSize)) + 1, 0, tilesY);
    if (f.rect[2] <= f.rect[0] || f.rect[3] <= f.rect[1]) return false;
    f.radius = int(radius);
    f.uv[0] = u;
    f.uv[1] = v;
    f.conic[0] = pr.c / pr.det;
    f.conic[1] = -pr.b / pr.det;
    f.conic[2] = pr.a / pr.det;
    f.depth = pr.depth;
    f.opacity = 1.0f / (1.0f + expf(-p.opacityLogits[i]));
    float dir[3], basis[16];
    viewDirection(p, cam, i, dir);
    core::shBasis(dir[0], dir[1], dir[2], basis);
    const float* sh = p.sh + i * int64_t(p.coeffStride) * 3;
    const int coeffs = (p.degree + 1) * (p.degree + 1);
    for (int ch = 0; ch < 3; ++ch) {
        float raw = 0.5f;
        for (int k = 0; k < coeffs; ++k) raw += basis[k] * sh[k * 3 + ch];
        f.clamped[ch] = raw < 0.0f;
        f.color[ch] = maxFloat(raw, 0.0f);
    }
    return true;
}

KILN_HD bool preprocess(const SplatParams& p, const RasterCamera& cam, int64_t i, int tilesX, int tilesY, Footprint& f) {
    Projection pr;
    return preprocess(p, cam, i, tilesX, tilesY, f, pr);
}

// Opacity of a splat at the pixel centre (px, py): false when it is below 1/255. As in the 3DGS
// reference rasterizer, the splat's radius only bins it to tiles: within those it is evaluated at
// every pixel, tails past the 3-sigma square included (cutting there made Kiln's own score
// disagree with its exported PLY rendered by the 3DGS rules, issue 18).
KILN_HD bool alphaAt(const float uv[2], const float conic[3], float opacity, float px, float py, float& dx, float& dy, float& G,
                     float& alpha) {
    dx = uv[0] - px;
    dy = uv[1] - py;
    const float power = -0.5f * (conic[0] * dx * dx + conic[2] * dy * dy) - conic[1] * dx * dy;
    // Below kMinPower, opacity x exp(power) < 1/255 whatever the opacity (<= 1): the pixel is
    // skipped as it would be after the exponential, which most of a tile's pixels do not need.
    if (power > 0.0f || power < kMinPower) return false;
    G = expf(power);
    alpha = minFloat(kMaxAlpha, opacity * G);
    return alpha >= kMinAlpha;
}

// One pixel's walk back to front through the splats it composited: step() takes them in reverse
// order and writes each one's screen-space gradient (kGradStride values) into g.
struct PixelBackward {
    float T, finalT, bgDot;
    float dLdPix[3], accum[3], lastColor[3];
    float lastAlpha;

    KILN_HD void begin(float finalTransmittance, const float dLdPixel[3], const float background[3]) {
        T = finalT = finalTransmittance;
        bgDot = background[0] * dLdPixel[0] + background[1] * dLdPixel[1] + background[2] * dLdPixel[2];
        for (int ch = 0; ch < 3; ++ch) {
            dLdPix[ch] = dLdPixel[ch];
            accum[ch] = lastColor[ch] = 0.0f;
        }
        lastAlpha = 0.0f;
    }

    KILN_HD void step(const float color[3], const float conic[3], float opacity, float dx, float dy, float G, float alpha, float g[kGradStride]) {
        T = T / (1.0f - alpha);
        const float weight = alpha * T;
        float dLdAlpha = 0.0f;
        for (int ch = 0; ch < 3; ++ch) {
            // Colour of everything behind this splat, front-to-back composited.
            accum[ch] = lastAlpha * lastColor[ch] + (1.0f - lastAlpha) * accum[ch];
            lastColor[ch] = color[ch];
            dLdAlpha += (color[ch] - accum[ch]) * dLdPix[ch];
            g[6 + ch] = weight * dLdPix[ch];
        }
        dLdAlpha *= T;
        lastAlpha = alpha;
        dLdAlpha += -finalT / (1.0f - alpha) * bgDot;
        const float gG = opacity * dLdAlpha * G;
        g[0] = gG * -(conic[0] * dx + conic[1] * dy);
        g[1] = gG * -(conic[2] * dy + conic[1] * dx);
        g[2] = gG * -0.5f * dx * dx;
        g[3] = gG * -dx * dy;
        g[4] = gG * -0.5f * dy * dy;
        g[5] = G * dLdAlpha;
    }
};

// From a splat's accumulated screen-space gradient g to its parameters (+= into grads; each
// splat is owned by one caller, so no atomics).
// `pr` is splat i's projection by project() for this camera (the forward pass's, kept).
KILN_HD void projectBackward(const SplatParams& p, const RasterCamera& cam, int64_t i, const float g[kGradStride], float opacity,
                             const uint8_t clamped[3], const SplatGradients& grads, const Projection& pr) {
    const float d = pr.depth, d2 = d * d, d3 = d2 * d;
    grads.means2D[i * 2] += g[0];
    grads.means2D[i * 2 + 1] += g[1];

    // Conic (inverse of the dilated 2D covariance [[a, b], [b, c]]) back to a, b, c.
    const float dA = g[2], dB = g[3], dC = g[4];
    const float det2 = pr.det * pr.det;
    const float a = pr.a, b = pr.b, c = pr.c;
    const float dLda = (-c * c * dA + b * c * dB - b * b * dC) / det2;
    const float dLdc = (-b * b * dA + a * b * dB - a * a * dC) / det2;
    const float dLdb = (2.0f * b * c * dA - (pr.det + 2.0f * b * b) * dB + 2.0f * a * b * dC) / det2;
    const float G2[4] = {dLda, 0.5f * dLdb, 0.5f * dLdb, dLdc};
    // cov2D = T Sigma T^T: dL/dSigma = T^T G2 T, dL/dT = 2 G2 T Sigma.
    float G2T[6];
    for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 3; ++k) G2T[r * 3 + k] = G2[r * 2] * pr.T[k] + G2[r * 2 + 1] * pr.T[3 + k];
    float dLdSigma[9];
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) dLdSigma[r * 3 + k] = pr.T[r] * G2T[k] + pr.T[3 + r] * G2T[3 + k];
    float dLdT[6];
    for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 3; ++k)
            dLdT[r * 3 + k] = 2.0f * (G2T[r * 3] * pr.sigma[k] + G2T[r * 3 + 1] * pr.sigma[3 + k] + G2T[r * 3 + 2] * pr.sigma[6 + k]);
    // T = J W: dL/dJ = dL/dT W^T; only J00, J02, J11, J12 depend on t.
    auto dLdJ = [&](int r, int k) { return dLdT[r * 3] * pr.W[k * 3] + dLdT[r * 3 + 1] * pr.W[k * 3 + 1] + dLdT[r * 3 + 2] * pr.W[k * 3 + 2]; };
    const float dJ00 = dLdJ(0, 0), dJ02 = dLdJ(0, 2), dJ11 = dLdJ(1, 1), dJ12 = dLdJ(1, 2);
    // Through the clamped centre: no gradient to x (y) where it was clamped, as the reference.
    float dLdt[3];
    dLdt[0] = pr.clampX ? 0.0f : dJ02 * cam.fx / d2;
    dLdt[1] = pr.clampY ? 0.0f : dJ12 * -cam.fy / d2;
    dLdt[2] = dJ00 * cam.fx / d2 + dJ02 * 2.0f * cam.fx * pr.tj[0] / d3 + dJ11 * -cam.fy / d2 + dJ12 * -2.0f * cam.fy * pr.tj[1] / d3;
    // Projected centre: u = fx x/d + cx, v = -fy y/d + cy, d = -z.
    dLdt[0] += g[0] * cam.fx / d;
    dLdt[1] += g[1] * -cam.fy / d;
    dLdt[2] += g[0] * cam.fx * pr.t[0] / d2 - g[1] * cam.fy * pr.t[1] / d2;
    float dLdMean[3];
    for (int k = 0; k < 3; ++k) dLdMean[k] = pr.W[k] * dLdt[0] + pr.W[3 + k] * dLdt[1] + pr.W[6 + k] * dLdt[2];

    // Sigma = M M^T, M = R S: dL/dM = 2 dL/dSigma M.
    float M[9];
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) M[r * 3 + k] = pr.R[r * 3 + k] * pr.scale[k];
    float dLdR[9];
    for (int k = 0; k < 3; ++k) {
        float dot = 0.0f;
        for (int r = 0; r < 3; ++r) {
            const float dM = 2.0f * (dLdSigma[r * 3] * M[k] + dLdSigma[r * 3 + 1] * M[3 + k] + dLdSigma[r * 3 + 2] * M[6 + k]);
            dot += dM * pr.R[r * 3 + k];
            dLdR[r * 3 + k] = dM * pr.scale[k];
        }
        grads.logScales[i * 3 + k] += dot * pr.scale[k];
    }
    // Rotation matrix entries back to the normalised quaternion, then through the normalisation.
    const float* G = dLdR;
    const float w = pr.qn[0], x = pr.qn[1], y = pr.qn[2], z = pr.qn[3];
    const float dLdqn[4] = {
        2.0f * (-z * G[1] + y * G[2] + z * G[3] - x * G[5] - y * G[6] + x * G[7]),
        2.0f * (y * G[1] + z * G[2] + y * G[3] - 2.0f * x * G[4] - w * G[5] + z * G[6] + w * G[7] - 2.0f * x * G[8]),
        2.0f * (-2.0f * y * G[0] + x * G[1] + w * G[2] + x * G[3] + z * G[5] - w * G[6] + z * G[7] - 2.0f * y * G[8]),
        2.0f * (-2.0f * z * G[0] - w * G[1] + x * G[2] + w * G[3] - 2.0f * z * G[4] + y * G[5] + x * G[6] + y * G[7])};
    if (pr.qlen > 0.0f) {
        const float dot = pr.qn[0] * dLdqn[0] + pr.qn[1] * dLdqn[1] + pr.qn[2] * dLdqn[2] + pr.qn[3] * dLdqn[3];
        for (int k = 0; k < 4; ++k) grads.rotations[i * 4 + k] += (dLdqn[k] - pr.qn[k] * dot) / pr.qlen;
    }

    grads.opacityLogits[i] += g[5] * opacity * (1.0f - opacity);

    // View-dependent colour: SH coefficients and, through the view direction, the mean.
    float dir[3], basis[16], dBasis[48];
    const float len = viewDirection(p, cam, i, dir);
    core::shBasis(dir[0], dir[1], dir[2], basis);
    core::shBasisGradients(dir[0], dir[1], dir[2], dBasis);
    const float* sh = p.sh + i * int64_t(p.coeffStride) * 3;
    float* gsh = grads.sh + i * int64_t(p.coeffStride) * 3;
    const int coeffs = (p.degree + 1) * (p.degree + 1);
    float dLdDir[3] = {0.0f, 0.0f, 0.0f};
    for (int ch = 0; ch < 3; ++ch) {
        if (clamped[ch]) continue;
        const float dLdColor = g[6 + ch];
        for (int k = 0; k < coeffs; ++k) {
            gsh[k * 3 + ch] += basis[k] * dLdColor;
            for (int j = 0; j < 3; ++j) dLdDir[j] += sh[k * 3 + ch] * dLdColor * dBasis[k * 3 + j];
        }
    }
    const float dirDot = dir[0] * dLdDir[0] + dir[1] * dLdDir[1] + dir[2] * dLdDir[2];
    for (int k = 0; k < 3; ++k) grads.means[i * 3 + k] += dLdMean[k] + (dLdDir[k] - dir[k] * dirDot) / len;
}

KILN_HD void projectBackward(const SplatParams& p, const RasterCamera& cam, int64_t i, const float g[kGradStride], float opacity,
                             const uint8_t clamped[3], const SplatGradients& grads) {
    Projection pr;
    if (!project(p, cam, i, pr)) return;
    projectBackward(p, cam, i, g, opacity, clamped, grads, pr);
}

} // namespace raster

} // namespace kiln::optimize
