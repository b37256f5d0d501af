#include "optimize/splat_raster_kernels.h"

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
// conic a b c, opacity, r g b), composited at each of its pixels; each pixel's contributions
// (entry k, Gaussian value G) are appended to the tile's lists in pixel order.
constexpr std::size_t kLocal = 9;

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
    }
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

// blendTileScalar's loop, eight pixels of a tile row at a time: the test against the 1/255 cut
// and the exponential run on all eight, the lanes that composite a splat record it. The same
// rules as raster::alphaAt (the polynomial exponential differs from expf by ~1e-6 relative).
__attribute__((target("avx2,fma"))) void blendTileAvx2(const TileBlend& b) {
    thread_local std::vector<std::uint32_t> scratchK;
    thread_local std::vector<float> scratchG;
    if (scratchK.size() < std::size_t(b.count) * 8) {
        scratchK.resize(std::size_t(b.count) * 8);
        scratchG.resize(std::size_t(b.count) * 8);
    }
    std::uint32_t* const sk = scratchK.data();
    float* const sg = scratchG.data();
    const __m256 lane = _mm256_setr_ps(0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f);
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), minusHalf = _mm256_set1_ps(-0.5f);
    const __m256 minPower = _mm256_set1_ps(raster::kMinPower), maxAlpha = _mm256_set1_ps(raster::kMaxAlpha);
    const __m256 minAlpha = _mm256_set1_ps(raster::kMinAlpha), minT = _mm256_set1_ps(raster::kMinTransmittance);
    for (int py = b.ty * kTileSize; py < std::min(b.cam.height, (b.ty + 1) * kTileSize); ++py)
        for (int px0 = b.tx * kTileSize; px0 < std::min(b.cam.width, (b.tx + 1) * kTileSize); px0 += 8) {
            const int lanes = std::min(8, b.cam.width - px0);
            const float fy = float(py) + 0.5f;
            // Pixel centres px + 0.5, exactly as the scalar loop forms them.
            const __m256 fx = _mm256_add_ps(_mm256_add_ps(lane, _mm256_set1_ps(float(px0))), _mm256_set1_ps(0.5f));
            __m256 T = one, r = zero, g = zero, bl = zero;
            int active = (1 << lanes) - 1;
            std::uint32_t n[8] = {0, 0, 0, 0, 0, 0, 0, 0}, used[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (std::uint32_t k = 0; k < b.count; ++k) {
                const float* l = &b.local[std::size_t(k) * kLocal];
                const float dy = l[1] - fy;
                const __m256 dx = _mm256_sub_ps(_mm256_set1_ps(l[0]), fx);
                // power = -0.5 (a dx^2 + c dy^2) - b dx dy
                const __m256 quad = _mm256_fmadd_ps(_mm256_set1_ps(l[2]), _mm256_mul_ps(dx, dx), _mm256_set1_ps(l[4] * dy * dy));
                const __m256 power = _mm256_fnmadd_ps(_mm256_set1_ps(l[3] * dy), dx, _mm256_mul_ps(minusHalf, quad));
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
                    alignas(32) static constexpr std::int32_t kBit[8] = {1, 2, 4, 8, 16, 32, 64, 128};
                    const __m256 on = _mm256_castsi256_ps(
                        _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(blend), _mm256_load_si256(reinterpret_cast<const __m256i*>(kBit))),
                                           _mm256_load_si256(reinterpret_cast<const __m256i*>(kBit))));
                    const __m256 w = _mm256_and_ps(_mm256_mul_ps(alpha, T), on);
                    r = _mm256_fmadd_ps(w, _mm256_set1_ps(l[6]), r);
                    g = _mm256_fmadd_ps(w, _mm256_set1_ps(l[7]), g);
                    bl = _mm256_fmadd_ps(w, _mm256_set1_ps(l[8]), bl);
                    T = _mm256_blendv_ps(T, nextT, on);
                    alignas(32) float gv[8];
                    _mm256_store_ps(gv, G);
                    for (int bits = blend; bits; bits &= bits - 1) {
                        const int j = __builtin_ctz(bits);
                        sk[std::size_t(j) * b.count + n[j]] = k;
                        sg[std::size_t(j) * b.count + n[j]] = gv[j];
                        ++n[j];
                        used[j] = k + 1;
                    }
                }
                if (!active) break;
            }
            alignas(32) float tv[8], rv[8], gv[8], bv[8];
            _mm256_store_ps(tv, T);
            _mm256_store_ps(rv, r);
            _mm256_store_ps(gv, g);
            _mm256_store_ps(bv, bl);
            for (int j = 0; j < lanes; ++j) {
                const float rgb[3] = {rv[j], gv[j], bv[j]};
                finishPixel(b, px0 + j, py, sk + std::size_t(j) * b.count, sg + std::size_t(j) * b.count, n[j], tv[j], used[j], rgb);
            }
        }
}
#else
bool useAvx2() { return false; }
void blendTileAvx2(const TileBlend& b) { blendTileScalar(b); }
#endif

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

    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            raster::Footprint f;
            if (!raster::preprocess(p, cam, i, tilesX, tilesY, f)) continue;
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
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) { return s.depth[x] < s.depth[y]; });
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
    s.contribOffset.assign(pixels, 0);
    s.contribCount.assign(pixels, 0);
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
        if (useAvx2()) blendTileAvx2(job);
        else blendTileScalar(job);
    });
    std::vector<std::size_t> tileBase(std::size_t(tileCount) + 1, 0);
    for (int t = 0; t < tileCount; ++t) tileBase[std::size_t(t) + 1] = tileBase[std::size_t(t)] + poolK[std::size_t(t)].size();
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
    const std::size_t entries = s.ids.size();
    std::vector<float> perEntry(entries * kStride, 0.0f);

    forEachTile(tileCount, [&](int t) {
        const std::uint32_t first = s.tileRanges[std::size_t(t) * 2], last = s.tileRanges[std::size_t(t) * 2 + 1];
        thread_local std::vector<float> local;
        gatherTile(s, first, last, local);
        const int tx = int(t) % tilesX, ty = int(t) / tilesX;
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

    std::vector<float> perSplat(std::size_t(n) * kStride, 0.0f);
    for (std::size_t e = 0; e < entries; ++e) {
        float* dst = &perSplat[std::size_t(s.ids[e]) * kStride];
        const float* src = &perEntry[e * kStride];
        for (int j = 0; j < kStride; ++j) dst[j] += src[j];
    }
    at::parallel_for(0, n, 1024, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            if (!s.radius[std::size_t(i)]) continue;
            raster::projectBackward(p, cam, i, &perSplat[std::size_t(i) * kStride], s.opacity[std::size_t(i)], &s.clamped[std::size_t(i) * 3], grads);
        }
    });
}

} // namespace kiln::optimize
