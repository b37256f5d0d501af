#pragma once

// CPU kernels of the differentiable 3D Gaussian splatting rasterizer (Kerbl et al. 2023,
// diff-gaussian-rasterization): per-splat projection, 16x16 tile binning, per-tile front-to-back
// compositing, and the matching backward pass. Plain arrays in, plain arrays out: the LibTorch
// autograd wrapper (splat_raster.h) owns the tensors. Image formation follows the 3DGS reference
// rules (tests/pipelines/reconstruct_test.cpp renders them independently and compares).
#include "core/camera.h"
#include "optimize/splat_raster_math.h"

#include <cstdint>
#include <vector>

namespace kiln::optimize {

// Pinhole camera for a `width` x `height` image: from Kiln's camera (square pixels, centred
// principal point) or from explicit intrinsics.
RasterCamera makeRasterCamera(const core::Camera& camera, int width, int height);
RasterCamera makeRasterCamera(const core::Camera& camera, int width, int height, float fx, float fy, float cx, float cy);

// What the forward pass keeps for the backward pass.
struct RasterState {
    std::vector<float> uv, conic, color, opacity, depth;  // per splat: 2, 3, 3, 1, 1
    // Per splat: half extents in x and y (pixels) of its ellipse of alpha >= 1/255 (the vectorized
    // forward pass deals a tile's splats to the groups of pixels they reach by them).
    std::vector<float> reach;
    std::vector<std::uint8_t> clamped;                    // per splat x 3: colour clamped at 0
    std::vector<std::int32_t> radius;                     // per splat, 0 = not drawn
    std::vector<std::uint32_t> tileRects;                 // per splat: x0, y0, x1, y1 (tiles, exclusive)
    std::vector<raster::Projection> projections;          // per drawn splat, kept for the backward pass (CPU)
    std::vector<std::uint32_t> ids;                       // splat ids sorted by (tile, depth)
    std::vector<std::uint32_t> tileRanges;                // per tile: begin, end in ids
    std::vector<float> finalT;                            // per pixel
    std::vector<std::uint32_t> lastContributor;           // per pixel: one past the last used entry (the CUDA path's; CPU backward uses contrib*)
    // Per pixel, the splats it composited, front to back: their entry in the tile's list (k) and
    // the Gaussian's value there (G), so the backward pass walks only those and reuses G instead
    // of testing every entry up to lastContributor and recomputing the exponential.
    std::vector<std::uint32_t> contribOffset, contribCount;  // per pixel, into contribK / contribG
    std::vector<std::uint32_t> contribK;
    std::vector<float> contribG;
    // The vectorized forward pass records per group of eight pixels of a tile row instead (the
    // per-pixel lists above stay empty; `grouped` says which): the splats the group composited,
    // front to back, as (entry k << 8 | mask of the lanes that composited it). The backward pass
    // walks a group's eight pixels together and recomputes G (the same exponential, bit for bit).
    bool grouped = false;
    std::vector<std::uint32_t> groupOffset, groupCount;  // per group (rasterGroup), into groupRecords
    std::vector<std::uint32_t> groupRecords;
};

// Groups of eight pixels: a tile's 16 rows of two groups each, tiles in order.
inline constexpr int kGroupWidth = 8;
inline constexpr int kGroupsPerTile = kTileSize * (kTileSize / kGroupWidth);
inline std::size_t rasterGroup(int px, int py, int tilesX) {
    const int tile = (py / kTileSize) * tilesX + px / kTileSize;
    return std::size_t(tile) * kGroupsPerTile + std::size_t((py % kTileSize) * (kTileSize / kGroupWidth) + (px % kTileSize) / kGroupWidth);
}

// Whether the forward pass blends eight pixels at a time (AVX2 + FMA, chosen at run time); tests
// force the scalar loop to hold the two to each other.
bool rasterVectorized();
void forceScalarRaster(bool on);

// Renders `image` (H x W x 3, display space) over `background`.
void rasterizeForward(const SplatParams& params, const RasterCamera& camera, const float background[3], RasterState& state, float* image);

// Accumulates (+=) the gradients of L given dL/dimage; gradient arrays must be zeroed by the caller.
void rasterizeBackward(const SplatParams& params, const RasterCamera& camera, const float background[3], const RasterState& state,
                       const float* dLdImage, SplatGradients& grads);

} // namespace kiln::optimize
