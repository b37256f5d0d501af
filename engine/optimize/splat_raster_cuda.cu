// The CUDA backend of the splat rasterizer: splat_raster_kernels.cuh's kernels and host code on
// a CUDA stream, with CUB's radix sort and prefix sum, all temporary memory from the caller's
// allocator (LibTorch's caching allocator in splat_raster.cpp).
#include "optimize/splat_raster_kernels.cuh"

#include "core/error.h"

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <cuda_runtime.h>

#include <string>

namespace kiln::optimize {

namespace {

void check(cudaError_t status, const char* what) {
    if (status != cudaSuccess) throw Error(std::string("CUDA splat rasterizer: ") + what + ": " + cudaGetErrorString(status));
}

class CudaBackend {
public:
    // Kernels run on `device` (the tensors' GPU), whichever GPU is current; restored after.
    CudaBackend(DeviceAllocator& allocator, int device, void* stream) : m_allocator(allocator), m_stream(static_cast<cudaStream_t>(stream)) {
        check(cudaGetDevice(&m_previousDevice), "querying the current device");
        if (device >= 0 && device != m_previousDevice) check(cudaSetDevice(device), "selecting the tensors' device");
    }
    ~CudaBackend() {
        int current = m_previousDevice;
        if (cudaGetDevice(&current) == cudaSuccess && current != m_previousDevice) cudaSetDevice(m_previousDevice);
    }
    CudaBackend(const CudaBackend&) = delete;
    CudaBackend& operator=(const CudaBackend&) = delete;

    void* allocate(size_t bytes) { return m_allocator.allocate(bytes); }
    void zero(void* p, size_t bytes) { check(cudaMemsetAsync(p, 0, bytes, m_stream), "clearing a buffer"); }
    void toHost(void* dst, const void* src, size_t bytes) {
        check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, m_stream), "reading back");
        check(cudaStreamSynchronize(m_stream), "reading back");
    }
    void inclusiveScan(const uint32_t* in, uint32_t* out, int64_t n) {
        size_t bytes = 0;
        check(cub::DeviceScan::InclusiveSum(nullptr, bytes, in, out, int(n), m_stream), "prefix sum");
        check(cub::DeviceScan::InclusiveSum(allocate(bytes), bytes, in, out, int(n), m_stream), "prefix sum");
    }
    void sortPairs(const uint64_t* keysIn, uint64_t* keysOut, const uint32_t* valuesIn, uint32_t* valuesOut, int64_t n, int endBit) {
        size_t bytes = 0;
        check(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keysIn, keysOut, valuesIn, valuesOut, int(n), 0, endBit, m_stream), "sorting");
        check(cub::DeviceRadixSort::SortPairs(allocate(bytes), bytes, keysIn, keysOut, valuesIn, valuesOut, int(n), 0, endBit, m_stream),
              "sorting");
    }
    template <class Kernel, class... Args>
    void launch(Kernel kernel, unsigned blocks, unsigned threads, Args... args) {
        if (blocks == 0) return;
        kernel<<<blocks, threads, 0, m_stream>>>(args...);
        check(cudaGetLastError(), "launching a kernel");
    }

private:
    DeviceAllocator& m_allocator;
    cudaStream_t m_stream;
    int m_previousDevice = 0;
};

} // namespace

void cudaRasterizeForward(const SplatParams& params, const RasterCamera& camera, const float background[3], DeviceAllocator& allocator,
                          DeviceRasterState& state, float* image, int device, void* stream) {
    CudaBackend backend(allocator, device, stream);
    device::rasterizeForward(backend, params, camera, background, state, image);
}

void cudaRasterizeBackward(const SplatParams& params, const RasterCamera& camera, const float background[3], const DeviceRasterState& state,
                           DeviceAllocator& allocator, const float* dLdImage, const SplatGradients& grads, int device, void* stream) {
    CudaBackend backend(allocator, device, stream);
    device::rasterizeBackward(backend, params, camera, background, state, dLdImage, grads);
}

} // namespace kiln::optimize
