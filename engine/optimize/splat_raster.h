#pragma once

// Differentiable Gaussian splat rasterizer as a LibTorch autograd function. Only optimize/ and
// pipeline code include this header (LibTorch headers are slow to compile).
#include "optimize/splat_raster_kernels.h"

#include <glm/vec3.hpp>
#include <torch/torch.h>

namespace kiln::optimize {

struct RasterOutput {
    torch::Tensor image;   // H x W x 3, float32
    torch::Tensor radii;   // N, int32: 0 where the splat was not drawn
};

// True when this build has the CUDA kernels and LibTorch sees a CUDA device.
bool rasterizerHasCuda();

// Renders splats (float32 tensors, all on the CPU or all on one CUDA device when
// rasterizerHasCuda(): means N x 3, logScales N x 3, rotations N x 4 (w, x, y, z), opacityLogits N, sh N x K x 3 with K >= (degree + 1)^2) over `background`. Gradients flow to
// every input; `means2D` (N x 2 zeros, requires_grad) receives dL/d(projected centre) in pixels,
// the statistic 3DGS densification uses.
RasterOutput rasterizeSplats(const torch::Tensor& means, const torch::Tensor& logScales, const torch::Tensor& rotations,
                             const torch::Tensor& opacityLogits, const torch::Tensor& sh, const torch::Tensor& means2D,
                             const RasterCamera& camera, glm::vec3 background, int degree);

} // namespace kiln::optimize
