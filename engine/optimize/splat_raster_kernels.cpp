#include "optimize/splat_raster_kernels.h"

#include "core/float_key.h"
#include "core/simd_exp.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>

namespace kiln::optimize {

namespace {

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

// One tile of the forward pass: its splats gathered front to back (kLocal floats each: u, v,
// conic a b c, opacity, r g b, reach x y), composited at each of its pixels. The scalar loop appends each
// pixel's contributions (entry k, Gaussian value G) to the tile's lists in pixel order; the
// vectorized one appends each group's records (entry k << 8 | lane mask) to outK in group order.
constexpr std::size_t kLocal = 11;

struct TileBlend {
    const float* local;
    std::uint32_t count;
    int tx, ty;
    const RasterCamera& cam;
    const float* background;
    RasterState& s;
    float* image;
    std::vector<std::uint32_t>& outK;
    std::vector<float>& outG;
};

// The splats of one tile's list gathered contiguously, kLocal floats each: both passes read them
// once per pixel, so they should not chase ids into the per-splat arrays.
void gatherTile(const RasterState& s, std::uint32_t first, std::uint32_t last, std::vector<float>& local) {
    local.resize(std::size_t(last - first) * kLocal);
    for (std::uint32_t k = 0; k < last - first; ++k) {
        const std::uint32_t i = s.ids[first + k];
        float* l = &local[std::size_t(k) * kLocal];
        l[0] = s.uv[i * 2];
        l[1] = s.uv[i * 2 + 1];
        for (int j = 0; j < 3; ++j) l[2 + j] = s.conic[i * 3 + std::uint32_t(j)];
        l[5] = s.opacity[i];
        for (int j = 0; j < 3; ++j) l[6 + j] = s.color[i * 3 + std::uint32_t(j)];
        l[9] = s.reach[i * 2];
        l[10] = s.reach[i * 2 + 1];
    }
}

// Half extents (pixels) of the ellipse where opacity x G >= 1/255: the quadratic form
// a dx^2 + 2 b dx dy + c dy^2 <= r2 = 2 ln(255 opacity), whose extents are sqrt(r2 cov_xx) and
// sqrt(r2 cov_yy), cov the conic's inverse, with margins for the rounding of the test. Unbounded
// (1e9) where the conic or r2 is degenerate. Once per splat, not once per tile it covers.
void alphaReach(const float conic[3], float opacity, float& ex, float& ey) {
    const float r2 = 2.0f * (std::log(255.0f * opacity) + 1e-3f);
    const float det = conic[0] * conic[2] - conic[1] * conic[1];
    const bool bounded = det > 0.0f && r2 > 0.0f;
    ex = bounded ? std::sqrt(r2 * conic[2] / det) + 1e-3f : 1e9f;
    ey = bounded ? std::sqrt(r2 * conic[0] / det) + 1e-3f : 1e9f;
}

// A pixel's result: its contribution list goes to the tile's buffers in one append.
void finishPixel(const TileBlend& b, int px, int py, const std::uint32_t* k, const float* g, std::uint32_t n, float T, std::uint32_t used,
                 const float rgb[3]) {
    const std::size_t pix = std::size_t(py) * std::size_t(b.cam.width) + std::size_t(px);
    b.s.contribOffset[pix] = std::uint32_t(b.outK.size());  // within the tile; made global after all tiles
    b.outK.insert(b.outK.end(), k, k + n);
    b.outG.insert(b.outG.end(), g, g + n);
    b.s.contribCount[pix] = n;
    b.s.finalT[pix] = T;
    b.s.lastContributor[pix] = used;
    for (int ch = 0; ch < 3; ++ch) b.image[pix * 3 + std::size_t(ch)] = rgb[ch] + T * b.background[ch];
}

void blendTileScalar(const TileBlend& b) {
    // A pixel's contributions go to plain scratch arrays first (no capacity checks in the loop).
    thread_local std::vector<std::uint32_t> scratchK;
    thread_local std::vector<float> scratchG;
    if (scratchK.size() < b.count) {
        scratchK.resize(b.count);
        scratchG.resize(b.count);
    }
    std::uint32_t* const sk = scratchK.data();
    float* const sg = scratchG.data();
    for (int py = b.ty * kTileSize; py < std::min(b.cam.height, (b.ty + 1) * kTileSize); ++py)
        for (int px = b.tx * kTileSize; px < std::min(b.cam.width, (b.tx + 1) * kTileSize); ++px) {
            const float fx = float(px) + 0.5f, fy = float(py) + 0.5f;
            float T = 1.0f, rgb[3] = {0.0f, 0.0f, 0.0f};
            std::uint32_t used = 0, n = 0;
            for (std::uint32_t k = 0; k < b.count; ++k) {
                const float* l = &b.local[std::size_t(k) * kLocal];
                float dx, dy, G, alpha;
                if (!raster::alphaAt(l, l + 2, l[5], fx, fy, dx, dy, G, alpha)) continue;
                const float nextT = T * (1.0f - alpha);
                if (nextT < raster::kMinTransmittance) break;
                const float w = alpha * T;
                for (int ch = 0; ch < 3; ++ch) rgb[ch] += w * l[6 + ch];
                T = nextT;
                used = k + 1;
                sk[n] = k;
                sg[n] = G;
                ++n;
            }
            finishPixel(b, px, py, sk, sg, n, T, used, rgb);
        }
}

std::atomic<bool> g_forceScalar{false};

#if defined(__x86_64__)
bool useAvx2() { return core::cpuHasAvx2Fma() && !g_forceScalar.load(std::memory_order_relaxed); }

// power = -0.5 (a dx^2 + c dy^2) - b dx dy at eight pixels of a row (pixel centres fx, row fy):
// one definition for both passes, so the backward pass's G is the forward pass's bit for bit.
__attribute__((target("avx2,fma"))) inline __m256 powerAt8(const float* l, __m256 fx, float fy, __m256& dx) {
    const float dy = l[1] - fy;
    dx = _mm256_sub_ps(_mm256_set1_ps(l[0]), fx);
    const __m256 quad = _mm256_fmadd_ps(_mm256_set1_ps(l[2]), _mm256_mul_ps(dx, dx), _mm256_set1_ps(l[4] * dy * dy));
    return _mm256_fnmadd_ps(_mm256_set1_ps(l[3] * dy), dx, _mm256_mul_ps(_mm256_set1_ps(-0.5f), quad));
}

// All bits set in the lanes whose bit is set in `mask`.
__attribute__((target("avx2,fma"))) inline __m256 laneMask(std::uint32_t mask) {
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(int(mask)), bit), bit));
}

// Pixel centres px0 + lane + 0.5, exactly as the scalar loop forms them.
__attribute__((target("avx2,fma"))) inline __m256 pixelCentres(int px0) {
    const __m256 lane = _mm256_setr_ps(0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f);
    return _mm256_add_ps(_mm256_add_ps(lane, _mm256_set1_ps(float(px0))), _mm256_set1_ps(0.5f));
}

// x clamped to [lo, hi], NaN to lo (safe to convert to int).
inline float clampNaNLow(float x, float lo, float hi) { return x >= lo ? (x <= hi ? x : hi) : lo; }

// blendTileScalar's loop, eight pixels of a tile row at a time: the test against the 1/255 cut
// and the exponential run on all eight, and each splat some lane composited is recorded once for
// the group with the mask of those lanes (RasterState::groupRecords). The same rules as
// raster::alphaAt (the polynomial exponential differs from expf by ~1e-6 relative).
//
// A group tests only the splats whose ellipse of alpha >= 1/255 can reach it: the tile's list is
// first dealt out to its 32 groups by each ellipse's bounding box (a splat binned by its 3-sigma
// radius reaches a fifth of the groups it would otherwise be tested at, lego at 200 px).
__attribute__((target("avx2,fma"))) void blendTileAvx2(const TileBlend& b) {
    thread_local std::vector<std::uint32_t> scratch, lists;
    if (scratch.size() < b.count) scratch.resize(b.count);
    if (lists.size() < std::size_t(b.count) * kGroupsPerTile) lists.resize(std::size_t(b.count) * kGroupsPerTile);
    std::uint32_t* const rec = scratch.data();
    std::uint32_t listLength[kGroupsPerTile] = {};
    const int tilesX = tilesAcross(b.cam.width);
    const int row0 = b.ty * kTileSize, col0 = b.tx * kTileSize;
    const int rows = std::min(kTileSize, b.cam.height - row0);
    const int groupsAcross = std::min(kTileSize / kGroupWidth, (b.cam.width - col0 + kGroupWidth - 1) / kGroupWidth);
    for (std::uint32_t k = 0; k < b.count; ++k) {
        const float* l = &b.local[std::size_t(k) * kLocal];
        // opacity x G >= 1/255 within the splat's reach (alphaReach); none below that opacity.
        if (l[5] < raster::kMinAlpha * 0.9999f) continue;
        const float ex = l[9], ey = l[10];
        // Rows whose centre row0 + r + 0.5 is within ey of v; groups whose centres
        // col0 + 8h + 0.5 .. + 7.5 come within ex of u.
        const float v = l[1] - float(row0) - 0.5f, u = l[0] - float(col0) - 0.5f;
        const int rLo = int(std::ceil(clampNaNLow(v - ey, -1.0f, float(kTileSize))));
        const int rHi = int(std::floor(clampNaNLow(v + ey, -1.0f, float(kTileSize))));
        const int hLo = int(std::ceil(clampNaNLow((u - ex - float(kGroupWidth - 1)) / float(kGroupWidth), -1.0f, 2.0f)));
        const int hHi = int(std::floor(clampNaNLow((u + ex) / float(kGroupWidth), -1.0f, 2.0f)));
        for (int r = std::max(0, rLo); r <= std::min(rows - 1, rHi); ++r)
            for (int h = std::max(0, hLo); h <= std::min(groupsAcross - 1, hHi); ++h) {
                const int group = r * (kTileSize / kGroupWidth) + h;
                lists[std::size_t(group) * b.count + listLength[group]++] = k;
            }
    }
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 minPower = _mm256_set1_ps(raster::kMinPower), maxAlpha = _mm256_set1_ps(raster::kMaxAlpha);
    const __m256 minAlpha = _mm256_set1_ps(raster::kMinAlpha), minT = _mm256_set1_ps(raster::kMinTransmittance);
    for (int py = b.ty * kTileSize; py < std::min(b.cam.height, (b.ty + 1) * kTileSize); ++py)
        for (int px0 = b.tx * kTileSize; px0 < std::min(b.cam.width, (b.tx + 1) * kTileSize); px0 += kGroupWidth) {
            const int lanes = std::min(kGroupWidth, b.cam.width - px0);
            const float fy = float(py) + 0.5f;
            const __m256 fx = pixelCentres(px0);
            __m256 T = one, r = zero, g = zero, bl = zero, used = zero;
            int active = (1 << lanes) - 1;
            std::uint32_t n = 0;
            const int tileGroup = (py - row0) * (kTileSize / kGroupWidth) + (px0 - col0) / kGroupWidth;
            const std::uint32_t* list = &lists[std::size_t(tileGroup) * b.count];
            for (std::uint32_t at = 0; at < listLength[tileGroup]; ++at) {
                const std::uint32_t k = list[at];
                const float* l = &b.local[std::size_t(k) * kLocal];
                __m256 dx;
                const __m256 power = powerAt8(l, fx, fy, dx);
                const __m256 inRange = _mm256_and_ps(_mm256_cmp_ps(power, zero, _CMP_LE_OQ), _mm256_cmp_ps(power, minPower, _CMP_GE_OQ));
                const int inMask = _mm256_movemask_ps(inRange) & active;
                if (!inMask) continue;
                const __m256 G = core::exp256(power);
                const __m256 alpha = _mm256_min_ps(maxAlpha, _mm256_mul_ps(_mm256_set1_ps(l[5]), G));
                const int valid = inMask & _mm256_movemask_ps(_mm256_cmp_ps(alpha, minAlpha, _CMP_GE_OQ));
                if (!valid) continue;
                const __m256 nextT = _mm256_mul_ps(T, _mm256_sub_ps(one, alpha));
                // A pixel whose transmittance would fall below the floor stops before this splat.
                const int stop = valid & _mm256_movemask_ps(_mm256_cmp_ps(nextT, minT, _CMP_LT_OQ));
                const int blend = valid & ~stop;
                active &= ~stop;
                if (blend) {
                    const __m256 on = laneMask(std::uint32_t(blend));
                    const __m256 w = _mm256_and_ps(_mm256_mul_ps(alpha, T), on);
                    r = _mm256_fmadd_ps(w, _mm256_set1_ps(l[6]), r);
                    g = _mm256_fmadd_ps(w, _mm256_set1_ps(l[7]), g);
                    bl = _mm256_fmadd_ps(w, _mm256_set1_ps(l[8]), bl);
                    T = _mm256_blendv_ps(T, nextT, on);
                    used = _mm256_blendv_ps(used, _mm256_castsi256_ps(_mm256_set1_epi32(int(k + 1))), on);
                    rec[n++] = k << 8 | std::uint32_t(blend);
                }
                if (!active) break;
            }
            const std::size_t group = rasterGroup(px0, py, tilesX);
            b.s.groupOffset[group] = std::uint32_t(b.outK.size());  // within the tile; made global after all tiles
            b.s.groupCount[group] = n;
            b.outK.insert(b.outK.end(), rec, rec + n);
            alignas(32) float tv[8], rv[8], gv[8], bv[8];
            alignas(32) std::uint32_t uv[8];
            _mm256_store_ps(tv, T);
            _mm256_store_ps(rv, r);
            _mm256_store_ps(gv, g);
            _mm256_store_ps(bv, bl);
            _mm256_store_si256(reinterpret_cast<__m256i*>(uv), _mm256_castps_si256(used));
            for (int j = 0; j < lanes; ++j) {
                const std::size_t pix = std::size_t(py) * std::size_t(b.cam.width) + std::size_t(px0 + j);
                b.s.finalT[pix] = tv[j];
                b.s.lastContributor[pix] = uv[j];
                const float rgb[3] = {rv[j], gv[j], bv[j]};
                for (int ch = 0; ch < 3; ++ch) b.image[pix * 3 + std::size_t(ch)] = rgb[ch] + tv[j] * b.background[ch];
            }
        }
}

// The sums of eight vectors' lanes, as one vector (lane i: the sum of v[i]'s lanes).
__attribute__((target("avx2,fma"))) inline __m256 laneSums8(const __m256 v[8]) {
    const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
    const __m256 c = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(a, c, 0x20), _mm256_permute2f128_ps(a, c, 0x31));
}

__attribute__((target("avx2,fma"))) inline float laneSum(__m256 v) {
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
}

// The backward pass of one tile for a grouped forward pass: raster::PixelBackward's walk for the
// eight pixels of a group at once, back to front through the group's records, G recomputed with
// the forward pass's exponential. Each record's nine screen-space gradients are summed over the
// lanes that composited it and added to the tile entry's accumulator.
__attribute__((target("avx2,fma"))) void backwardTileAvx2(const RasterState& s, const RasterCamera& cam, const float* local, std::uint32_t first,
                                                          int tx, int ty, const float background[3], const float* dLdImage, float* perEntry) {
    constexpr int kStride = raster::kGradStride;
    static_assert(kStride == 9, "eight gradients in one vector and one more");
    const int tilesX = tilesAcross(cam.width);
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), maxAlpha = _mm256_set1_ps(raster::kMaxAlpha);
    const __m256 minusHalf = _mm256_set1_ps(-0.5f);
    for (int py = ty * kTileSize; py < std::min(cam.height, (ty + 1) * kTileSize); ++py)
        for (int px0 = tx * kTileSize; px0 < std::min(cam.width, (tx + 1) * kTileSize); px0 += kGroupWidth) {
            const std::size_t group = rasterGroup(px0, py, tilesX);
            const std::uint32_t n = s.groupCount[group], offset = s.groupOffset[group];
            if (!n) continue;
            const int lanes = std::min(kGroupWidth, cam.width - px0);
            alignas(32) float ft[8], d[3][8];
            for (int j = 0; j < kGroupWidth; ++j) {
                const std::size_t pix = std::size_t(py) * std::size_t(cam.width) + std::size_t(px0 + j);
                ft[j] = j < lanes ? s.finalT[pix] : 1.0f;
                for (int ch = 0; ch < 3; ++ch) d[ch][j] = j < lanes ? dLdImage[pix * 3 + std::size_t(ch)] : 0.0f;
            }
            const __m256 finalT = _mm256_load_ps(ft);
            const __m256 dLdPix[3] = {_mm256_load_ps(d[0]), _mm256_load_ps(d[1]), _mm256_load_ps(d[2])};
            const __m256 bgDot = _mm256_add_ps(
                _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(background[0]), dLdPix[0]), _mm256_mul_ps(_mm256_set1_ps(background[1]), dLdPix[1])),
                _mm256_mul_ps(_mm256_set1_ps(background[2]), dLdPix[2]));
            const float fy = float(py) + 0.5f;
            const __m256 fx = pixelCentres(px0);
            __m256 T = finalT, lastAlpha = zero;
            __m256 accum[3] = {zero, zero, zero}, lastColor[3] = {zero, zero, zero};
            for (std::uint32_t j = n; j-- > 0;) {
                const std::uint32_t record = s.groupRecords[offset + j];
                const std::uint32_t k = record >> 8;
                const __m256 on = laneMask(record & 0xffu);
                const float* l = &local[std::size_t(k) * kLocal];
                __m256 dx;
                const __m256 G = core::exp256(powerAt8(l, fx, fy, dx));
                const float dy = l[1] - fy;
                const __m256 alpha = _mm256_min_ps(maxAlpha, _mm256_mul_ps(_mm256_set1_ps(l[5]), G));
                const __m256 oneMinusAlpha = _mm256_sub_ps(one, alpha);
                T = _mm256_blendv_ps(T, _mm256_div_ps(T, oneMinusAlpha), on);
                const __m256 weight = _mm256_mul_ps(alpha, T);
                __m256 dLdAlpha = zero;
                __m256 g[kStride];
                for (int ch = 0; ch < 3; ++ch) {
                    // Colour of everything behind this splat, front-to-back composited.
                    const __m256 behind = _mm256_fmadd_ps(lastAlpha, lastColor[ch], _mm256_mul_ps(_mm256_sub_ps(one, lastAlpha), accum[ch]));
                    accum[ch] = _mm256_blendv_ps(accum[ch], behind, on);
                    const __m256 color = _mm256_set1_ps(l[6 + ch]);
                    lastColor[ch] = _mm256_blendv_ps(lastColor[ch], color, on);
                    dLdAlpha = _mm256_fmadd_ps(_mm256_sub_ps(color, accum[ch]), dLdPix[ch], dLdAlpha);
                    g[6 + ch] = _mm256_and_ps(_mm256_mul_ps(weight, dLdPix[ch]), on);
                }
                dLdAlpha = _mm256_mul_ps(dLdAlpha, T);
                lastAlpha = _mm256_blendv_ps(lastAlpha, alpha, on);
                dLdAlpha = _mm256_fnmadd_ps(_mm256_div_ps(finalT, oneMinusAlpha), bgDot, dLdAlpha);
                const __m256 gG = _mm256_and_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(l[5]), dLdAlpha), G), on);
                const __m256 vdy = _mm256_set1_ps(dy);
                g[0] = _mm256_mul_ps(gG, _mm256_fnmadd_ps(_mm256_set1_ps(l[2]), dx, _mm256_set1_ps(-l[3] * dy)));
                g[1] = _mm256_mul_ps(gG, _mm256_fnmadd_ps(_mm256_set1_ps(l[3]), dx, _mm256_set1_ps(-l[4] * dy)));
                g[2] = _mm256_mul_ps(_mm256_mul_ps(gG, minusHalf), _mm256_mul_ps(dx, dx));
                g[3] = _mm256_mul_ps(_mm256_mul_ps(gG, dx), _mm256_sub_ps(zero, vdy));
                g[4] = _mm256_mul_ps(gG, _mm256_set1_ps(-0.5f * dy * dy));
                g[5] = _mm256_and_ps(_mm256_mul_ps(G, dLdAlpha), on);
                float* dst = &perEntry[std::size_t(first + k) * kStride];
                _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_loadu_ps(dst), laneSums8(g)));
                dst[8] += laneSum(g[8]);
            }
        }
}
#else
bool useAvx2() { return false; }
void blendTileAvx2(const TileBlend& b) { blendTileScalar(b); }
#endif

// Sorts `order` by depth[order[i]], ties kept in their order (what std::stable_sort with a depth
// comparison gives), by a least-significant-byte-first radix sort of the depths' bits: four
// passes over the list instead of n log n indirect comparisons (7 % of a 7000-iteration fit
// at 80 k splats went to the comparison sort). The viewport's sortSplatsBackToFront is the same
// sort over the threads of a frame.
void stableSortByDepth(std::vector<std::uint32_t>& order, const std::vector<float>& depth) {
    const std::size_t n = order.size();
    std::vector<std::uint32_t> keys(n), keys2(n), order2(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = core::orderedKey(depth[order[i]]);
    for (int shift = 0; shift < 32; shift += 8) {
        std::size_t count[257] = {};
        for (std::size_t i = 0; i < n; ++i) ++count[((keys[i] >> shift) & 0xFFu) + 1];
        if (std::find(count + 1, count + 257, n) != count + 257) continue;  // one bucket: the pass would not move anything
        for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = count[(keys[i] >> shift) & 0xFFu]++;
            keys2[at] = keys[i];
            order2[at] = order[i];
        }
        keys.swap(keys2);
        order.swap(order2);
    }
}

} // namespace

bool rasterVectorized() { return useAvx2(); }

void forceScalarRaster(bool on) { g_forceScalar.store(on); }

void rasterizeForward(const SplatParams& p, const RasterCamera& cam, const float background[3], RasterState& s, float* image) {
    const std::int64_t n = p.count;
    const int tilesX = tilesAcross(cam.width), tilesY = tilesAcross(cam.height);
    const int tileCount = tilesX * tilesY;
    s.uv.assign(std::size_t(n) * 2, 0.0f);
    s.conic.assign(std::size_t(n) * 3, 0.0f);
    s.color.assign(std::size_t(n) * 3, 0.0f);
    s.opacity.assign(std::size_t(n), 0.0f);
    s.depth.assign(std::size_t(n), 0.0f);
    s.clamped.assign(std::size_t(n) * 3, 0);
    s.radius.assign(std::size_t(n), 0);
    s.tileRects.assign(std::size_t(n) * 4, 0);
    s.projections.resize(std::size_t(n));  // read only where radius says the splat is drawn
    s.reach.assign(std::size_t(n) * 2, 0.0f);

    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            raster::Footprint f;
            if (!raster::preprocess(p, cam, i, tilesX, tilesY, f, s.projections[std::size_t(i)])) continue;
            const std::size_t k = std::size_t(i);
            s.radius[k] = f.radius;
            for (int j = 0; j < 4; ++j) s.tileRects[k * 4 + std::size_t(j)] = std::uint32_t(f.rect[j]);
            for (int j = 0; j < 2; ++j) s.uv[k * 2 + std::size_t(j)] = f.uv[j];
            for (int j = 0; j < 3; ++j) {
                s.conic[k * 3 + std::size_t(j)] = f.conic[j];
                s.color[k * 3 + std::size_t(j)] = f.color[j];
                s.clamped[k * 3 + std::size_t(j)] = f.clamped[j];
            }
            s.depth[k] = f.depth;
            s.opacity[k] = f.opacity;
            alphaReach(f.conic, f.opacity, s.reach[k * 2], s.reach[k * 2 + 1]);
        }
    });

    // Bin by tile (counting sort).
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
    // The drawn splats in depth order once (ties in id order), then scattered to their tiles in
    // that order: each tile's list comes out in (depth, id) order, as a stable sort of each list
    // would leave it, without sorting a splat once per tile it covers.
    std::vector<std::uint32_t> order;
    order.reserve(std::size_t(n));
    for (std::int64_t i = 0; i < n; ++i)
        if (s.radius[std::size_t(i)]) order.push_back(std::uint32_t(i));
    stableSortByDepth(order, s.depth);
    s.ids.assign(counts.back(), 0);
    std::vector<std::uint32_t> cursor(counts.begin(), counts.end() - 1);
    for (const std::uint32_t i : order) {
        const std::uint32_t* r = &s.tileRects[std::size_t(i) * 4];
        for (std::uint32_t ty = r[1]; ty < r[3]; ++ty)
            for (std::uint32_t tx = r[0]; tx < r[2]; ++tx) s.ids[cursor[ty * std::uint32_t(tilesX) + tx]++] = i;
    }

    const std::size_t pixels = std::size_t(cam.width) * std::size_t(cam.height);
    s.finalT.assign(pixels, 1.0f);
    s.lastContributor.assign(pixels, 0);
    // Records pack a tile entry in 24 bits: a list longer than that (16 M splats on one tile) takes
    // the scalar loop.
    std::uint32_t longest = 0;
    for (int t = 0; t < tileCount; ++t) longest = std::max(longest, s.tileRanges[std::size_t(t) * 2 + 1] - s.tileRanges[std::size_t(t) * 2]);
    s.grouped = useAvx2() && longest < (1u << 24);
    if (s.grouped) {
        s.groupOffset.assign(std::size_t(tileCount) * kGroupsPerTile, 0);
        s.groupCount.assign(std::size_t(tileCount) * kGroupsPerTile, 0);
        s.contribOffset.clear();
        s.contribCount.clear();
        s.contribK.clear();
        s.contribG.clear();
    } else {
        s.contribOffset.assign(pixels, 0);
        s.contribCount.assign(pixels, 0);
        s.groupOffset.clear();
        s.groupCount.clear();
        s.groupRecords.clear();
    }
    // Each tile's contributions, filled by the thread that runs it, then laid end to end in tile
    // order. The buffers belong to the calling thread and keep their capacity from one call to the
    // next (a fit calls this thousands of times), so the inner loop's appends rarely allocate.
    thread_local std::vector<std::vector<std::uint32_t>> tileK;
    thread_local std::vector<std::vector<float>> tileG;
    tileK.resize(std::size_t(tileCount));
    tileG.resize(std::size_t(tileCount));
    auto& poolK = tileK;
    auto& poolG = tileG;
    forEachTile(tileCount, [&](int t) {
        std::vector<std::uint32_t>& outK = poolK[std::size_t(t)];
        std::vector<float>& outG = poolG[std::size_t(t)];
        outK.clear();
        outG.clear();
        thread_local std::vector<float> local;
        const std::uint32_t first = s.tileRanges[std::size_t(t) * 2], last = s.tileRanges[std::size_t(t) * 2 + 1];
        const std::uint32_t count = last - first;
        gatherTile(s, first, last, local);
        const TileBlend job{local.data(), count, int(t) % tilesX, int(t) / tilesX, cam, background, s, image, outK, outG};
        if (s.grouped) blendTileAvx2(job);
        else blendTileScalar(job);
    });
    std::vector<std::size_t> tileBase(std::size_t(tileCount) + 1, 0);
    for (int t = 0; t < tileCount; ++t) tileBase[std::size_t(t) + 1] = tileBase[std::size_t(t)] + poolK[std::size_t(t)].size();
    if (s.grouped) {
        s.groupRecords.resize(tileBase.back());
        at::parallel_for(0, tileCount, 4, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t t = begin; t < end; ++t) {
                const std::size_t base = tileBase[std::size_t(t)];
                std::copy(poolK[std::size_t(t)].begin(), poolK[std::size_t(t)].end(), s.groupRecords.begin() + std::ptrdiff_t(base));
                for (std::size_t g = std::size_t(t) * kGroupsPerTile; g < std::size_t(t + 1) * kGroupsPerTile; ++g)
                    s.groupOffset[g] += std::uint32_t(base);
            }
        });
        return;
    }
    s.contribK.resize(tileBase.back());
    s.contribG.resize(tileBase.back());
    at::parallel_for(0, tileCount, 4, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
            const std::size_t base = tileBase[std::size_t(t)];
            std::copy(poolK[std::size_t(t)].begin(), poolK[std::size_t(t)].end(), s.contribK.begin() + std::ptrdiff_t(base));
            std::copy(poolG[std::size_t(t)].begin(), poolG[std::size_t(t)].end(), s.contribG.begin() + std::ptrdiff_t(base));
            const int tx = int(t) % tilesX, ty = int(t) / tilesX;
            for (int py = ty * kTileSize; py < std::min(cam.height, (ty + 1) * kTileSize); ++py)
                for (int px = tx * kTileSize; px < std::min(cam.width, (tx + 1) * kTileSize); ++px)
                    s.contribOffset[std::size_t(py) * std::size_t(cam.width) + std::size_t(px)] += std::uint32_t(base);
        }
    });
}

void rasterizeBackward(const SplatParams& p, const RasterCamera& cam, const float background[3], const RasterState& s, const float* dLdImage,
                       SplatGradients& grads) {
    const std::int64_t n = p.count;
    const int tilesX = tilesAcross(cam.width), tilesY = tilesAcross(cam.height);
    const int tileCount = tilesX * tilesY;
    constexpr int kStride = raster::kGradStride;
    // Each (tile, splat) entry of the tile lists gets its own accumulator, summed over the tile's
    // pixels by the one thread that runs the tile; the entries are then added per splat in list
    // order. The sums thus never depend on which thread ran which tile: per-thread accumulators
    // (tiles handed out dynamically) made the same seed give different fits (issue 18).
    // Both buffers keep their capacity from one call to the next (fresh ones each iteration of a
    // fit cost page faults).
    const std::size_t entries = s.ids.size();
    // (The lambdas below run on other threads: they use the pointers, never the thread_local names.)
    thread_local std::vector<float> perEntryBuffer, perSplatBuffer;
    perEntryBuffer.assign(entries * kStride, 0.0f);
    float* const perEntry = perEntryBuffer.data();

    forEachTile(tileCount, [&](int t) {
        const std::uint32_t first = s.tileRanges[std::size_t(t) * 2], last = s.tileRanges[std::size_t(t) * 2 + 1];
        thread_local std::vector<float> local;
        gatherTile(s, first, last, local);
        const int tx = int(t) % tilesX, ty = int(t) / tilesX;
#if defined(__x86_64__)
        if (s.grouped) {
            backwardTileAvx2(s, cam, local.data(), first, tx, ty, background, dLdImage, perEntry);
            return;
        }
#endif
        for (int py = ty * kTileSize; py < std::min(cam.height, (ty + 1) * kTileSize); ++py)
            for (int px = tx * kTileSize; px < std::min(cam.width, (tx + 1) * kTileSize); ++px) {
                const std::size_t pix = std::size_t(py) * std::size_t(cam.width) + std::size_t(px);
                const std::uint32_t contributed = s.contribCount[pix], offset = s.contribOffset[pix];
                if (!contributed) continue;
                const float fx = float(px) + 0.5f, fy = float(py) + 0.5f;
                raster::PixelBackward walk;
                walk.begin(s.finalT[pix], dLdImage + pix * 3, background);
                // Back to front through the splats the forward pass composited, with its G: the
                // same values alphaAt gave there, bit for bit.
                for (std::uint32_t j = contributed; j-- > 0;) {
                    const std::uint32_t k = s.contribK[offset + j];
                    const float* l = &local[std::size_t(k) * kLocal];
                    const float dx = l[0] - fx, dy = l[1] - fy;
                    const float G = s.contribG[offset + j];
                    const float alpha = raster::minFloat(raster::kMaxAlpha, l[5] * G);
                    float g[kStride];
                    walk.step(l + 6, l + 2, l[5], dx, dy, G, alpha, g);
                    float* dst = &perEntry[std::size_t(first + k) * kStride];
                    for (int j = 0; j < kStride; ++j) dst[j] += g[j];
                }
            }
    });

    perSplatBuffer.assign(std::size_t(n) * kStride, 0.0f);
    float* const perSplat = perSplatBuffer.data();
    for (std::size_t e = 0; e < entries; ++e) {
        float* dst = &perSplat[std::size_t(s.ids[e]) * kStride];
        const float* src = &perEntry[e * kStride];
        for (int j = 0; j < kStride; ++j) dst[j] += src[j];
    }
    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            if (!s.radius[std::size_t(i)]) continue;
            // A splat no pixel composited (hidden behind opaque ones, or its pixels' transmittance
            // ran out first) has a zero screen-space gradient, and every parameter gradient is
            // linear in it: nothing to add.
            const float* g = &perSplat[std::size_t(i) * kStride];
            bool any = false;
            for (int j = 0; j < kStride; ++j) any |= g[j] != 0.0f;
            if (!any) continue;
            raster::projectBackward(p, cam, i, g, s.opacity[std::size_t(i)], &s.clamped[std::size_t(i) * 3], grads, s.projections[std::size_t(i)]);
        }
    });
}

} // namespace kiln::optimize
