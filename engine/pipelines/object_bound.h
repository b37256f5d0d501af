#pragma once

#include "core/gaussian_cloud.h"
#include "core/mesh.h"
#include "pipelines/splat_mesh.h"

#include <glm/vec3.hpp>

#include <vector>

namespace kiln::pipelines {

// The object an object-centric capture (a phone walked around something on a table) is about: the
// sparse points that sit in the middle half of the frame (in each direction) in at least half of
// the photos (the photographer keeps the object centred; walls and the far table drift through the
// frame), bounded by their 2nd-98th percentiles per axis and widened by 10 % of the extent each
// side. Returns an invalid box when fewer than `minPoints` points qualify (not an object-centric
// capture, or too few points): the caller keeps the whole scene.
core::Bounds objectBounds(const std::vector<DepthView>& views, const std::vector<glm::vec3>& points, int minPoints = 20);

// Keeps the splats whose centre lies in `box` (in their order).
void cropToBox(core::GaussianCloud& cloud, const core::Bounds& box);

} // namespace kiln::pipelines
