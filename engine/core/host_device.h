#pragma once

// Marks small inline functions that both the CPU code and CUDA kernels compile (nvcc sees
// __host__ __device__; every other compiler sees plain inline functions).
#if defined(__CUDACC__)
#define KILN_HD __host__ __device__ inline
#else
#define KILN_HD inline
#endif
