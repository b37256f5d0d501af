#version 450
// GPU radix sort, pass 1 of 3 per 8-bit digit: each workgroup counts the digits of its block of
// kBlock keys and writes the counts digit-major (hist[digit * blocks + block]), so one exclusive
// scan of `hist` gives every (digit, block) its first output slot, stably.
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer KeysIn { uint keysIn[]; };
layout(std430, set = 0, binding = 4) buffer Hist { uint hist[]; };
layout(push_constant) uniform Sort { uint count; uint shift; uint blocks; uint pad; } sort;
const uint kItems = 4u;  // keys per invocation: a block is 1024 keys
shared uint counts[256];

void main() {
    uint tid = gl_LocalInvocationID.x, block = gl_WorkGroupID.x;
    counts[tid] = 0u;
    barrier();
    uint base = block * 256u * kItems;
    for (uint k = 0u; k < kItems; ++k) {
        uint i = base + k * 256u + tid;
        if (i < sort.count) atomicAdd(counts[(keysIn[i] >> sort.shift) & 255u], 1u);
    }
    barrier();
    hist[tid * sort.blocks + block] = counts[tid];
}
