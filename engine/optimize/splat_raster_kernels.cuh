#pragma once

// CUDA kernels of the differentiable splat rasterizer and the host code that runs them, in the
// CUDA dialect and templated on a backend that launches kernels, sorts, scans and copies. nvcc
// compiles them in splat_raster_cuda.cu with a CUDA backend; the tests compile them with the
// C++ compiler on a CPU emulation of CUDA blocks (threads, shared memory, barriers, atomics) and
// compare with the CPU kernels. The structure follows the reference CUDA rasterizer (Kerbl et
// al. 2023): per-splat preprocessing, one (tile, depth) key per overlapped tile, a radix sort,
// per-tile ranges, one thread block per 16x16 tile compositing front to back from batches of
// splats staged in shared memory; the backward pass walks the same batches back to front and
// adds each splat's screen-space gradient with atomics, then a per-splat kernel carries it to the
// parameters. All per-splat and per-pixel formulas come from splat_raster_math.h.
//
// Include exactly once per program: the kernels have internal linkage.
#include "optimize/splat_raster_device.h"

#include <string.h>

namespace kiln::optimize::device {

namespace {

constexpr unsigned kBlock = 256;
static_assert(kTilePixels == int(kBlock), "one thread per pixel of a tile");

struct Rgb {
    float v[3];
};

__device__ inline uint32_t floatBits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

// A block's batch of splats staged in shared memory, one slot per thread.
struct Batch {
    uint32_t id[kBlock];
    float uv[kBlock * 2];
    float conic[kBlock * 3];
    float color[kBlock * 3];
    float opacity[kBlock];

    __device__ void stage(const DeviceRasterState& s, uint32_t splat, unsigned slot) {
        id[slot] = splat;
        for (int j = 0; j < 2; ++j) uv[slot * 2 + j] = s.uv[splat * 2 + j];
        for (int j = 0; j < 3; ++j) {
            conic[slot * 3 + j] = s.conic[splat * 3 + j];
            color[slot * 3 + j] = s.color[splat * 3 + j];
        }
        opacity[slot] = s.opacity[splat];
    }
};

__global__ void preprocessKernel(SplatParams p, RasterCamera cam, DeviceRasterState s) {
    const int64_t i = int64_t(blockIdx.x) * kBlock + threadIdx.x;
    if (i >= p.count) return;
    s.radius[i] = 0;
    s.touched[i] = 0;
    raster::Footprint f;
    if (!raster::preprocess(p, cam, i, s.tilesX, s.tilesY, f)) return;
    s.radius[i] = f.radius;
    for (int j = 0; j < 4; ++j) s.rects[i * 4 + j] = f.rect[j];
    for (int j = 0; j < 2; ++j) s.uv[i * 2 + j] = f.uv[j];
    for (int j = 0; j < 3; ++j) {
        s.conic[i * 3 + j] = f.conic[j];
        s.color[i * 3 + j] = f.color[j];
        s.clamped[i * 3 + j] = f.clamped[j];
    }
    s.depth[i] = f.depth;
    s.opacity[i] = f.opacity;
    s.touched[i] = uint32_t((f.rect[2] - f.rect[0]) * (f.rect[3] - f.rect[1]));
}

// One (tile, depth) key per tile a splat overlaps, at the splat's place in the prefix sum, so
// equal depths keep splat order (the radix sort is stable), as in the CPU path.
__global__ void duplicateKernel(DeviceRasterState s, uint64_t* keys, uint32_t* ids) {
    const int64_t i = int64_t(blockIdx.x) * kBlock + threadIdx.x;
    if (i >= s.count || s.radius[i] == 0) return;
    uint32_t at = i == 0 ? 0 : s.offsets[i - 1];
    const uint64_t depth = floatBits(s.depth[i]);  // positive floats order like their bits
    const int32_t* r = s.rects + i * 4;
    for (int ty = r[1]; ty < r[3]; ++ty)
        for (int tx = r[0]; tx < r[2]; ++tx) {
            keys[at] = (uint64_t(uint32_t(ty * s.tilesX + tx)) << 32) | depth;
            ids[at] = uint32_t(i);
            ++at;
        }
}

// Where each tile's run of sorted keys begins and ends (tiles without splats stay 0, 0).
__global__ void tileRangesKernel(DeviceRasterState s) {
    const uint32_t k = blockIdx.x * kBlock + threadIdx.x;
    if (k >= s.listSize) return;
    const uint32_t tile = uint32_t(s.keys[k] >> 32);
    if (k == 0) {
        s.tileRanges[tile * 2] = 0;
    } else {
        const uint32_t prev = uint32_t(s.keys[k - 1] >> 32);
        if (prev != tile) {
            s.tileRanges[prev * 2 + 1] = k;
            s.tileRanges[tile * 2] = k;
        }
    }
    if (k == s.listSize - 1) s.tileRanges[tile * 2 + 1] = s.listSize;
}

// This thread's pixel: one block per tile, one thread per pixel of the tile.
struct TilePixel {
    uint32_t tile, pix;  // pix: row-major index, valid when inside
    bool inside;
    float fx, fy;        // pixel centre

    __device__ TilePixel(const RasterCamera& cam, int tilesX) : tile(blockIdx.x) {
        const int px = int(tile % uint32_t(tilesX)) * kTileSize + int(threadIdx.x % kTileSize);
        const int py = int(tile / uint32_t(tilesX)) * kTileSize + int(threadIdx.x / kTileSize);
        inside = px < cam.width && py < cam.height;
        pix = inside ? uint32_t(py) * uint32_t(cam.width) + uint32_t(px) : 0;
        fx = float(px) + 0.5f;
        fy = float(py) + 0.5f;
    }
};

__global__ void renderKernel(RasterCamera cam, DeviceRasterState s, Rgb background, float* image) {
    __shared__ Batch batch;
    const TilePixel p(cam, s.tilesX);
    const uint32_t begin = s.tileRanges[p.tile * 2], end = s.tileRanges[p.tile * 2 + 1];
    bool done = !p.inside;
    float T = 1.0f, rgb[3] = {0.0f, 0.0f, 0.0f};
    uint32_t used = 0;
    for (uint32_t base = begin; base < end; base += kBlock) {
        // Also the barrier that keeps the previous batch in shared memory until all used it.
        if (__syncthreads_count(done) == int(kBlock)) break;
        const uint32_t k = base + threadIdx.x;
        if (k < end) batch.stage(s, s.ids[k], threadIdx.x);
        __syncthreads();
        const uint32_t staged = end - base < kBlock ? end - base : kBlock;
        for (uint32_t j = 0; !done && j < staged; ++j) {
            float dx, dy, G, alpha;
            if (!raster::alphaAt(&batch.uv[j * 2], &batch.conic[j * 3], batch.opacity[j], p.fx, p.fy, dx, dy, G, alpha)) continue;
            const float nextT = T * (1.0f - alpha);
            if (nextT < raster::kMinTransmittance) {
                done = true;
                break;
            }
            const float w = alpha * T;
            for (int ch = 0; ch < 3; ++ch) rgb[ch] += w * batch.color[j * 3 + ch];
            T = nextT;
            used = base - begin + j + 1;
        }
    }
    if (!p.inside) return;
    s.finalT[p.pix] = T;
    s.lastContributor[p.pix] = used;
    for (int ch = 0; ch < 3; ++ch) image[p.pix * 3 + ch] = rgb[ch] + T * background.v[ch];
}

// One block per tile, one thread per pixel, splats back to front; screen-space gradients are
// added to accum (kGradStride floats per splat) atomically, tiles sharing splats.
__global__ void renderBackwardKernel(RasterCamera cam, DeviceRasterState s, Rgb background, const float* dLdImage, float* accum) {
    __shared__ Batch batch;
    __shared__ uint32_t sMaxUsed;
    const TilePixel p(cam, s.tilesX);
    const uint32_t begin = s.tileRanges[p.tile * 2];
    const uint32_t used = p.inside ? s.lastContributor[p.pix] : 0;
    raster::PixelBackward walk{};  // pixels outside the image never step
    if (p.inside) walk.begin(s.finalT[p.pix], dLdImage + p.pix * 3, background.v);
    // Entries past every pixel's last contributor are skipped as whole batches.
    if (threadIdx.x == 0) sMaxUsed = 0;
    __syncthreads();
    if (used) atomicMax(&sMaxUsed, used);
    __syncthreads();
    const uint32_t top = begin + sMaxUsed;
    for (uint32_t hi = top; hi > begin;) {
        const uint32_t lo = hi - begin > kBlock ? hi - kBlock : begin;
        __syncthreads();  // the previous batch is no longer read
        // Slot j holds entry hi - 1 - j: the batch in back-to-front order.
        if (threadIdx.x < hi - lo) batch.stage(s, s.ids[hi - 1 - threadIdx.x], threadIdx.x);
        __syncthreads();
        for (uint32_t j = 0; j < hi - lo; ++j) {
            const uint32_t entry = hi - 1 - j - begin;  // index within the tile's list
            if (entry >= used) continue;
            float dx, dy, G, alpha;
            if (!raster::alphaAt(&batch.uv[j * 2], &batch.conic[j * 3], batch.opacity[j], p.fx, p.fy, dx, dy, G, alpha)) continue;
            float g[raster::kGradStride];
            walk.step(&batch.color[j * 3], &batch.conic[j * 3], batch.opacity[j], dx, dy, G, alpha, g);
            float* dst = accum + size_t(batch.id[j]) * raster::kGradStride;
            for (int k = 0; k < raster::kGradStride; ++k) atomicAdd(dst + k, g[k]);
        }
        hi = lo;
    }
}

__global__ void projectBackwardKernel(SplatParams p, RasterCamera cam, DeviceRasterState s, const float* accum, SplatGradients grads) {
    const int64_t i = int64_t(blockIdx.x) * kBlock + threadIdx.x;
    if (i >= p.count || s.radius[i] == 0) return;
    float g[raster::kGradStride];
    for (int k = 0; k < raster::kGradStride; ++k) g[k] = accum[i * raster::kGradStride + k];
    raster::projectBackward(p, cam, i, g, s.opacity[i], s.clamped + i * 3, grads);
}

inline unsigned blocksFor(int64_t items) { return unsigned((items + kBlock - 1) / kBlock); }

template <class T, class Backend>
T* allocate(Backend& be, int64_t count) {
    return static_cast<T*>(be.allocate(size_t(count > 0 ? count : 1) * sizeof(T)));
}

inline int bitWidth(uint32_t v) {
    int bits = 0;
    while (v) {
        ++bits;
        v >>= 1;
    }
    return bits;
}

} // namespace

// Backend: allocate(bytes), zero(ptr, bytes), toHost(dst, src, bytes),
// inclusiveScan(in, out, n), sortPairs(keysIn, keysOut, valuesIn, valuesOut, n, endBit),
// launch(kernel, blocks, threads, args...), all in stream order.
template <class Backend>
void rasterizeForward(Backend& be, const SplatParams& p, const RasterCamera& cam, const float background[3], DeviceRasterState& s, float* image) {
    const int64_t n = p.count;
    s = DeviceRasterState{};
    s.count = n;
    s.tilesX = tilesAcross(cam.width);
    s.tilesY = tilesAcross(cam.height);
    const int64_t tileCount = int64_t(s.tilesX) * s.tilesY;
    const int64_t pixels = int64_t(cam.width) * cam.height;
    s.uv = allocate<float>(be, n * 2);
    s.conic = allocate<float>(be, n * 3);
    s.color = allocate<float>(be, n * 3);
    s.opacity = allocate<float>(be, n);
    s.depth = allocate<float>(be, n);
    s.clamped = allocate<uint8_t>(be, n * 3);
    s.radius = allocate<int32_t>(be, n);
    s.rects = allocate<int32_t>(be, n * 4);
    s.touched = allocate<uint32_t>(be, n);
    s.offsets = allocate<uint32_t>(be, n);
    s.tileRanges = allocate<uint32_t>(be, tileCount * 2);
    s.finalT = allocate<float>(be, pixels);
    s.lastContributor = allocate<uint32_t>(be, pixels);
    be.zero(s.tileRanges, size_t(tileCount) * 2 * sizeof(uint32_t));
    if (n > 0) {
        be.launch(preprocessKernel, blocksFor(n), kBlock, p, cam, s);
        be.inclusiveScan(s.touched, s.offsets, n);
        be.toHost(&s.listSize, s.offsets + (n - 1), sizeof s.listSize);
    }
    s.keys = allocate<uint64_t>(be, s.listSize);
    s.ids = allocate<uint32_t>(be, s.listSize);
    if (s.listSize > 0) {
        uint64_t* keysIn = allocate<uint64_t>(be, s.listSize);
        uint32_t* idsIn = allocate<uint32_t>(be, s.listSize);
        be.launch(duplicateKernel, blocksFor(n), kBlock, s, keysIn, idsIn);
        be.sortPairs(keysIn, s.keys, idsIn, s.ids, int64_t(s.listSize), 32 + bitWidth(uint32_t(tileCount)));
        be.launch(tileRangesKernel, blocksFor(s.listSize), kBlock, s);
    }
    const Rgb bg{{background[0], background[1], background[2]}};
    be.launch(renderKernel, unsigned(tileCount), kBlock, cam, s, bg, image);
}

template <class Backend>
void rasterizeBackward(Backend& be, const SplatParams& p, const RasterCamera& cam, const float background[3], const DeviceRasterState& s,
                       const float* dLdImage, const SplatGradients& grads) {
    if (p.count == 0) return;
    float* accum = allocate<float>(be, p.count * raster::kGradStride);
    be.zero(accum, size_t(p.count) * raster::kGradStride * sizeof(float));
    const Rgb bg{{background[0], background[1], background[2]}};
    be.launch(renderBackwardKernel, unsigned(int64_t(s.tilesX) * s.tilesY), kBlock, cam, s, bg, dLdImage, accum);
    be.launch(projectBackwardKernel, blocksFor(p.count), kBlock, p, cam, s, static_cast<const float*>(accum), grads);
}

} // namespace kiln::optimize::device
