#pragma once

// A CPU emulation of the parts of CUDA that Kiln's kernels use, so the CUDA-dialect kernel
// sources (engine/optimize/*.cuh) compile with the C++ compiler and run in tests on machines
// without a GPU. Each thread block runs as blockDim.x real threads (blocks one after another,
// which makes `static` locals behave like __shared__ memory); __syncthreads is a std::barrier,
// __syncthreads_count a barrier whose completion step counts; atomics are std::atomic_ref; a
// thread that returns leaves the barrier, as exited CUDA threads stop counting at
// __syncthreads. What it cannot tell: warp-level behaviour, the memory model's weaker orders,
// performance. Include before the kernel source, in a test's translation unit only.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __shared__ static

struct KilnEmulatedDim3 {
    unsigned x = 0, y = 0, z = 0;
};
inline thread_local KilnEmulatedDim3 threadIdx, blockIdx, blockDim, gridDim;

namespace kiln::cuda_emulator {

struct Block {
    struct Count {
        Block* block;
        void operator()() noexcept { block->result = block->count.exchange(0); }
    };
    explicit Block(std::ptrdiff_t threads) : barrier(threads, Count{this}) {}
    std::atomic<int> count{0};
    int result = 0;
    std::barrier<Count> barrier;
};

inline thread_local Block* currentBlock = nullptr;

} // namespace kiln::cuda_emulator

inline void __syncthreads() { kiln::cuda_emulator::currentBlock->barrier.arrive_and_wait(); }

inline int __syncthreads_count(int predicate) {
    kiln::cuda_emulator::Block* block = kiln::cuda_emulator::currentBlock;
    if (predicate) block->count.fetch_add(1);
    block->barrier.arrive_and_wait();
    return block->result;  // read before this thread can arrive at the next barrier
}

inline float atomicAdd(float* address, float value) { return std::atomic_ref<float>(*address).fetch_add(value); }

inline unsigned atomicMax(unsigned* address, unsigned value) {
    std::atomic_ref<unsigned> a(*address);
    unsigned current = a.load();
    while (current < value && !a.compare_exchange_weak(current, value)) {
    }
    return current;
}

namespace kiln::cuda_emulator {

// The backend the .cuh host code runs on: host memory, kernels on emulated blocks.
class Backend {
public:
    Backend() = default;
    // Memory from `allocate` (the caller's allocator) instead of the backend's own.
    explicit Backend(std::function<void*(std::size_t)> allocate) : m_allocate(std::move(allocate)) {}

    void* allocate(std::size_t bytes) {
        void* p;
        if (m_allocate) {
            p = m_allocate(bytes);
        } else {
            m_buffers.emplace_back((bytes + 15) / 16);
            p = m_buffers.back().data();
        }
        // Like cudaMalloc's, the memory is not zeroed: filled with a pattern, reads of what the
        // kernels never wrote show up as wrong numbers.
        std::memset(p, 0xA5, bytes);
        return p;
    }
    void zero(void* p, std::size_t bytes) { std::memset(p, 0, bytes); }
    void toHost(void* dst, const void* src, std::size_t bytes) { std::memcpy(dst, src, bytes); }
    void inclusiveScan(const std::uint32_t* in, std::uint32_t* out, std::int64_t n) { std::inclusive_scan(in, in + n, out); }
    void sortPairs(const std::uint64_t* keysIn, std::uint64_t* keysOut, const std::uint32_t* valuesIn, std::uint32_t* valuesOut, std::int64_t n,
                   int endBit) {
        const std::uint64_t mask = endBit >= 64 ? ~0ull : ((1ull << endBit) - 1);
        std::vector<std::int64_t> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        // Stable, on the low endBit bits only: what a radix sort over those bits does.
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return (keysIn[a] & mask) < (keysIn[b] & mask); });
        for (std::int64_t k = 0; k < n; ++k) {
            keysOut[k] = keysIn[order[std::size_t(k)]];
            valuesOut[k] = valuesIn[order[std::size_t(k)]];
        }
    }
    template <class Kernel, class... Args>
    void launch(Kernel kernel, unsigned blocks, unsigned threads, Args... args) {
        for (unsigned b = 0; b < blocks; ++b) {
            Block block(threads);
            std::vector<std::thread> pool;
            pool.reserve(threads);
            for (unsigned t = 0; t < threads; ++t)
                pool.emplace_back([&, t] {
                    threadIdx = {t, 0, 0};
                    blockIdx = {b, 0, 0};
                    blockDim = {threads, 1, 1};
                    gridDim = {blocks, 1, 1};
                    currentBlock = &block;
                    kernel(args...);
                    block.barrier.arrive_and_drop();
                });
            for (std::thread& t : pool) t.join();
        }
    }

private:
    struct alignas(16) Chunk {
        unsigned char bytes[16];
    };
    std::function<void*(std::size_t)> m_allocate;
    std::vector<std::vector<Chunk>> m_buffers;
};

} // namespace kiln::cuda_emulator
