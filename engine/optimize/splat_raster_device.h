#pragma once

// The CUDA path of the differentiable splat rasterizer: buffers and entry points. No CUDA or
// LibTorch headers here; the kernels live in splat_raster_kernels.cuh (CUDA dialect), compiled
// by nvcc in splat_raster_cuda.cu when a CUDA compiler is found, and by the C++ compiler on top
// of a CPU emulation of CUDA blocks in the tests, which check them against the CPU kernels.
#include "optimize/splat_raster_math.h"

#include <cstddef>

namespace kiln::optimize {

// One forward pass's buffers in device memory, all from the caller's allocator; the backward
// pass reads them.
struct DeviceRasterState {
    int64_t count = 0;         // splats
    uint32_t listSize = 0;     // (tile, splat) pairs
    int tilesX = 0, tilesY = 0;
    float* uv = nullptr;       // per splat: 2
    float* conic = nullptr;    // 3
    float* color = nullptr;    // 3
    float* opacity = nullptr;  // 1
    float* depth = nullptr;    // 1
    uint8_t* clamped = nullptr;    // 3
    int32_t* radius = nullptr;     // 1, 0 = not drawn
    int32_t* rects = nullptr;      // 4: tiles x0, y0, x1, y1 (exclusive)
    uint32_t* touched = nullptr;   // 1: tiles the splat overlaps
    uint32_t* offsets = nullptr;   // 1: inclusive prefix sum of touched
    uint64_t* keys = nullptr;      // per pair: tile << 32 | depth bits, sorted
    uint32_t* ids = nullptr;       // per pair: splat id, in key order
    uint32_t* tileRanges = nullptr;  // per tile: begin, end in ids
    float* finalT = nullptr;         // per pixel
    uint32_t* lastContributor = nullptr;  // per pixel: one past the last entry of its tile used
};

// Device memory for one pass; what it returns must stay valid until the backward pass is done.
class DeviceAllocator {
public:
    virtual ~DeviceAllocator() = default;
    virtual void* allocate(std::size_t bytes) = 0;
};

// A device implementation of the rasterizer's two passes: the CUDA kernels, or in tests the same
// kernels on the CPU emulator. `device` is the GPU index, `stream` a cudaStream_t.
struct DeviceKernels {
    void (*forward)(const SplatParams& params, const RasterCamera& camera, const float background[3], DeviceAllocator& allocator,
                    DeviceRasterState& state, float* image, int device, void* stream);
    void (*backward)(const SplatParams& params, const RasterCamera& camera, const float background[3], const DeviceRasterState& state,
                     DeviceAllocator& allocator, const float* dLdImage, const SplatGradients& grads, int device, void* stream);
};

// For tests: rasterizeSplats sends CPU tensors through `kernels` (the emulated CUDA kernels) instead
// of the CPU kernels, so the autograd glue of the device path runs without a GPU; nullptr restores
// the CPU kernels. Set it only while no rasterization is running.
void setDeviceKernelsForCpuTensors(const DeviceKernels* kernels);

#if defined(KILN_HAVE_CUDA)
// Pointers into the memory of GPU `device`, in and out; `stream` is a cudaStream_t (nullptr: the
// default stream). Gradient arrays must be zeroed by the caller; the backward pass adds to them.
// CUDA errors are thrown as kiln::Error.
void cudaRasterizeForward(const SplatParams& params, const RasterCamera& camera, const float background[3], DeviceAllocator& allocator,
                          DeviceRasterState& state, float* image, int device, void* stream);
void cudaRasterizeBackward(const SplatParams& params, const RasterCamera& camera, const float background[3], const DeviceRasterState& state,
                           DeviceAllocator& allocator, const float* dLdImage, const SplatGradients& grads, int device, void* stream);
#endif

} // namespace kiln::optimize
