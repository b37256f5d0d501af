// The rasterizer's pinhole camera from Kiln's camera: no LibTorch here, so the CUDA benchmark
// (bench/cuda_raster_bench.cpp) builds it without the autograd wrapper.
#include "optimize/splat_raster_kernels.h"

#include <glm/gtc/type_ptr.hpp>

#include <algorithm>
#include <cstring>

namespace kiln::optimize {

RasterCamera makeRasterCamera(const core::Camera& camera, int width, int height, float fx, float fy, float cx, float cy) {
    RasterCamera c{};
    const glm::mat4 view = camera.view();
    std::memcpy(c.view, glm::value_ptr(view), sizeof c.view);
    c.fx = fx;
    c.fy = fy;
    c.cx = cx;
    c.cy = cy;
    c.width = width;
    c.height = height;
    c.znear = std::max(camera.znear, 1e-4f);
    const glm::vec3 pos = camera.position();
    c.position[0] = pos.x;
    c.position[1] = pos.y;
    c.position[2] = pos.z;
    return c;
}

RasterCamera makeRasterCamera(const core::Camera& camera, int width, int height) {
    const float f = camera.focalPixels(height);
    return makeRasterCamera(camera, width, height, f, f, 0.5f * float(width), 0.5f * float(height));
}

} // namespace kiln::optimize
