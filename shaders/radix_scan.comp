#version 450
// GPU radix sort, pass 2: exclusive prefix sum of hist (256 x blocks entries) in one workgroup:
// each invocation sums a contiguous run, the 256 run totals are scanned in shared memory, then
// each run is rewritten with its running offsets.
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 4) buffer Hist { uint hist[]; };
layout(push_constant) uniform Sort { uint count; uint shift; uint blocks; uint pad; } sort;
shared uint sums[256];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint total = 256u * sort.blocks;
    uint per = (total + 255u) / 256u;
    uint begin = min(tid * per, total), end = min(begin + per, total);
    uint s = 0u;
    for (uint i = begin; i < end; ++i) s += hist[i];
    sums[tid] = s;
    barrier();
    for (uint offset = 1u; offset < 256u; offset <<= 1u) {
        uint v = tid >= offset ? sums[tid - offset] : 0u;
        barrier();
        sums[tid] += v;
        barrier();
    }
    uint run = tid == 0u ? 0u : sums[tid - 1u];
    for (uint i = begin; i < end; ++i) {
        uint h = hist[i];
        hist[i] = run;
        run += h;
    }
}
