#pragma once

// The CUDA runtime calls of kiln-cuda-bench, behind plain C++ (its main translation unit holds
// the CPU emulation of CUDA, whose keyword macros must not meet cuda_runtime.h).
#include "optimize/splat_raster_device.h"

#include <cstddef>
#include <string>

namespace kiln::bench {

// The first GPU's name, or throws kiln::Error with the CUDA runtime's reason.
std::string gpuName();

// Device memory for the rasterizer: one cudaMalloc'd arena handed out in order and reset
// between passes, so the timings hold kernels, not allocation (LibTorch's caching allocator
// does the same for the fitter).
class GpuArena final : public optimize::DeviceAllocator {
public:
    explicit GpuArena(std::size_t bytes);
    ~GpuArena() override;
    GpuArena(const GpuArena&) = delete;
    GpuArena& operator=(const GpuArena&) = delete;
    void* allocate(std::size_t bytes) override;
    void reset(std::size_t mark = 0) { m_used = mark; }
    std::size_t used() const { return m_used; }
    std::size_t peak() const { return m_peak; }

private:
    char* m_base = nullptr;
    std::size_t m_size = 0, m_used = 0, m_peak = 0;
};

void toDevice(void* dst, const void* src, std::size_t bytes);
void toHost(void* dst, const void* src, std::size_t bytes);
void zeroDevice(void* p, std::size_t bytes);
void synchronize();

// Milliseconds between two points on the default stream, by CUDA events.
class GpuTimer {
public:
    GpuTimer();
    ~GpuTimer();
    GpuTimer(const GpuTimer&) = delete;
    GpuTimer& operator=(const GpuTimer&) = delete;
    void start();
    float stopMs();  // waits for the stream

private:
    void* m_start = nullptr;
    void* m_stop = nullptr;
};

} // namespace kiln::bench
