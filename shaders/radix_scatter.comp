#version 450
// GPU radix sort, pass 3: each workgroup moves its block's keys and values to their slots. The
// block is taken 256 keys at a time in order; one invocation ranks a chunk's keys by digit in
// shared memory (a short serial loop, which keeps the sort stable), then all of them write.
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer KeysIn { uint keysIn[]; };
layout(std430, set = 0, binding = 1) readonly buffer ValuesIn { uint valuesIn[]; };
layout(std430, set = 0, binding = 2) writeonly buffer KeysOut { uint keysOut[]; };
layout(std430, set = 0, binding = 3) writeonly buffer ValuesOut { uint valuesOut[]; };
layout(std430, set = 0, binding = 4) readonly buffer Hist { uint hist[]; };
layout(push_constant) uniform Sort { uint count; uint shift; uint blocks; uint pad; } sort;
const uint kItems = 4u;
shared uint next[256];  // the next free slot of each digit for this block
shared uint chunkKeys[256], chunkValues[256], slots[256];

void main() {
    uint tid = gl_LocalInvocationID.x, block = gl_WorkGroupID.x;
    next[tid] = hist[tid * sort.blocks + block];
    uint base = block * 256u * kItems;
    for (uint k = 0u; k < kItems; ++k) {
        uint first = base + k * 256u;
        if (first >= sort.count) break;  // uniform across the workgroup
        uint i = first + tid;
        bool valid = i < sort.count;
        chunkKeys[tid] = valid ? keysIn[i] : 0u;
        chunkValues[tid] = valid ? valuesIn[i] : 0u;
        barrier();
        if (tid == 0u) {
            uint n = min(256u, sort.count - first);
            for (uint j = 0u; j < n; ++j) {
                uint d = (chunkKeys[j] >> sort.shift) & 255u;
                slots[j] = next[d];
                next[d] += 1u;
            }
        }
        barrier();
        if (valid) {
            keysOut[slots[tid]] = chunkKeys[tid];
            valuesOut[slots[tid]] = chunkValues[tid];
        }
        barrier();
    }
}
