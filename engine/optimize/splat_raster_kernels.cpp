#include "optimize/splat_raster_kernels.h"

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

} // namespace

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
        // The tile's splats gathered contiguously: u, v, conic a b c, opacity, r, g, b.
        constexpr std::size_t kLocal = 9;
        thread_local std::vector<float> local;
        const std::uint32_t first = s.tileRanges[std::size_t(t) * 2], last = s.tileRanges[std::size_t(t) * 2 + 1];
        const std::uint32_t count = last - first;
        local.resize(std::size_t(count) * kLocal);
        for (std::uint32_t k = 0; k < count; ++k) {
            const std::uint32_t i = s.ids[first + k];
            float* l = &local[std::size_t(k) * kLocal];
            l[0] = s.uv[i * 2];
            l[1] = s.uv[i * 2 + 1];
            for (int j = 0; j < 3; ++j) l[2 + j] = s.conic[i * 3 + std::uint32_t(j)];
            l[5] = s.opacity[i];
            for (int j = 0; j < 3; ++j) l[6 + j] = s.color[i * 3 + std::uint32_t(j)];
        }
        // A pixel's contributions go to plain scratch arrays first (no capacity checks in the
        // loop), then to the tile's buffers in one append.
        thread_local std::vector<std::uint32_t> scratchK;
        thread_local std::vector<float> scratchG;
        if (scratchK.size() < count) {
            scratchK.resize(count);
            scratchG.resize(count);
        }
        std::uint32_t* const sk = scratchK.data();
        float* const sg = scratchG.data();
        const int tx = int(t) % tilesX, ty = int(t) / tilesX;
        for (int py = ty * kTileSize; py < std::min(cam.height, (ty + 1) * kTileSize); ++py)
            for (int px = tx * kTileSize; px < std::min(cam.width, (tx + 1) * kTileSize); ++px) {
                const float fx = float(px) + 0.5f, fy = float(py) + 0.5f;
                float T = 1.0f, rgb[3] = {0.0f, 0.0f, 0.0f};
                std::uint32_t used = 0, n = 0;
                const std::size_t pix = std::size_t(py) * std::size_t(cam.width) + std::size_t(px);
                s.contribOffset[pix] = std::uint32_t(outK.size());  // within the tile; made global below
                for (std::uint32_t k = 0; k < count; ++k) {
                    const float* l = &local[std::size_t(k) * kLocal];
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
                outK.insert(outK.end(), sk, sk + n);
                outG.insert(outG.end(), sg, sg + n);
                s.contribCount[pix] = n;
                s.finalT[pix] = T;
                s.lastContributor[pix] = used;
                for (int ch = 0; ch < 3; ++ch) image[pix * 3 + std::size_t(ch)] = rgb[ch] + T * background[ch];
            }
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
        const std::uint32_t first = s.tileRanges[std::size_t(t) * 2];
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
                    const std::uint32_t i = s.ids[first + k];
                    const float* conic = &s.conic[std::size_t(i) * 3];
                    const float dx = s.uv[std::size_t(i) * 2] - fx, dy = s.uv[std::size_t(i) * 2 + 1] - fy;
                    const float G = s.contribG[offset + j];
                    const float alpha = raster::minFloat(raster::kMaxAlpha, s.opacity[i] * G);
                    float g[kStride];
                    walk.step(&s.color[std::size_t(i) * 3], conic, s.opacity[i], dx, dy, G, alpha, g);
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
