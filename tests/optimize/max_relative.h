#pragma once

// The largest difference between two arrays, relative to the largest magnitude in the reference
// `b`: how the CUDA rasterizer's gradients are held to the CPU's (the atomics sum in another order).
#include <algorithm>
#include <cmath>
#include <vector>

namespace kiln::test {

inline float maxRelative(const std::vector<float>& a, const std::vector<float>& b) {
    float scale = 1e-6f, err = 0.0f;
    for (std::size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, std::abs(b[i]));
        err = std::max(err, std::abs(a[i] - b[i]));
    }
    return err / scale;
}

} // namespace kiln::test
