#pragma once

#include "core/camera.h"
#include "core/gaussian_cloud.h"
#include "core/image.h"

#include <glm/mat2x2.hpp>
#include <glm/mat3x3.hpp>
#include <glm/vec2.hpp>
#include <glm/vec3.hpp>
#include <glm/vec4.hpp>

namespace kiln::test {

// An independent CPU reference of 3D Gaussian splatting image formation, following the 3DGS
// reference rasterizer (Kerbl et al. 2023, diff-gaussian-rasterization forward.cu) without tiles.
// Conventions shared with the GPU renderer:
//   - view-space p_c = camera.view() * p, depth d = -p_c.z; splats with d <= camera.znear are culled;
//   - square pixels, f = camera.focalPixels(height); u = f p_c.x / d + width/2,
//     v = -f p_c.y / d + height/2 (y down); pixel (x, y) has its centre at (x + 0.5, y + 0.5);
//   - EWA splatting with a 0.3 px^2 low-pass dilation, radius = ceil(3 sqrt(max eigenvalue));
//   - colour = max(0, 0.5 + SH(normalize(position - cameraPosition))) up to cloud.shDegree.
// Unlike forward.cu, the Jacobian is taken at the true splat centre (no 1.3 tan(fov) clamp).

// Low-pass dilation added to every projected covariance (forward.cu computeCov2D), in px^2.
inline constexpr float kLowPassDilation = 0.3f;

// Pixel position (x right, y down, continuous; pixel centres at +0.5) of a world point.
glm::vec2 projectToPixel(const core::Camera& camera, int width, int height, glm::vec3 worldPoint);

// World-space covariance R S S^T R^T of a splat, S = diag(exp(logScale)), R from the normalised
// quaternion (w, x, y, z).
glm::mat3 splatCovariance(glm::vec3 logScale, glm::vec4 rotationWxyz);

// Screen-space covariance J W Sigma W^T J^T (EWA, Zwicker et al. 2002) of a Gaussian centred at
// worldPoint, in px^2 and pixel axes (y down), including the kLowPassDilation the rasterizer adds.
glm::mat2 projectedCovariance(const core::Camera& camera, int width, int height, glm::vec3 worldPoint,
                              const glm::mat3& worldCovariance);

// Renders the cloud into an F32 RGB image (display space, as 3DGS produces it; no gamma), rows top
// to bottom; each pixel is C + T * background after front-to-back compositing.
core::Image renderSplatsReference(const core::GaussianCloud& cloud, const core::Camera& camera, int width, int height,
                                  glm::vec3 background);

} // namespace kiln::test
