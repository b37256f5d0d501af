#include "cuda_gpu.h"

#include "core/error.h"

#include <cuda_runtime.h>

namespace kiln::bench {

namespace {

void check(cudaError_t status, const char* what) {
    if (status != cudaSuccess) throw Error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(status));
}

} // namespace

std::string gpuName() {
    int count = 0;
    check(cudaGetDeviceCount(&count), "counting devices");
    if (count == 0) throw Error("CUDA: no GPU");
    cudaDeviceProp props{};
    check(cudaGetDeviceProperties(&props, 0), "reading the device's properties");
    return std::string(props.name) + " (compute " + std::to_string(props.major) + "." + std::to_string(props.minor) + ", " +
           std::to_string(props.multiProcessorCount) + " SMs, " + std::to_string(props.totalGlobalMem >> 20) + " MiB)";
}

GpuArena::GpuArena(std::size_t bytes) : m_size(bytes) {
    void* p = nullptr;
    check(cudaMalloc(&p, bytes), "allocating the arena");
    m_base = static_cast<char*>(p);
}

GpuArena::~GpuArena() { cudaFree(m_base); }

void* GpuArena::allocate(std::size_t bytes) {
    const std::size_t at = (m_used + 255) & ~std::size_t(255);
    if (at + bytes > m_size) throw Error("CUDA bench: the arena of " + std::to_string(m_size >> 20) + " MiB is full");
    m_used = at + bytes;
    m_peak = std::max(m_peak, m_used);
    return m_base + at;
}

void toDevice(void* dst, const void* src, std::size_t bytes) { check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "uploading"); }
void toHost(void* dst, const void* src, std::size_t bytes) { check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "reading back"); }
void zeroDevice(void* p, std::size_t bytes) { check(cudaMemset(p, 0, bytes), "clearing"); }
void synchronize() { check(cudaDeviceSynchronize(), "waiting for the device"); }

GpuTimer::GpuTimer() {
    cudaEvent_t a, b;
    check(cudaEventCreate(&a), "creating an event");
    check(cudaEventCreate(&b), "creating an event");
    m_start = a;
    m_stop = b;
}

GpuTimer::~GpuTimer() {
    cudaEventDestroy(static_cast<cudaEvent_t>(m_start));
    cudaEventDestroy(static_cast<cudaEvent_t>(m_stop));
}

void GpuTimer::start() { check(cudaEventRecord(static_cast<cudaEvent_t>(m_start)), "recording an event"); }

float GpuTimer::stopMs() {
    check(cudaEventRecord(static_cast<cudaEvent_t>(m_stop)), "recording an event");
    check(cudaEventSynchronize(static_cast<cudaEvent_t>(m_stop)), "waiting for an event");
    float ms = 0.0f;
    check(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(m_start), static_cast<cudaEvent_t>(m_stop)), "reading an event");
    return ms;
}

} // namespace kiln::bench
