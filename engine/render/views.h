#pragma once

#include "core/camera.h"
#include "core/image.h"
#include "core/mesh.h"

#include <vector>

namespace kiln::render {

// Cameras evenly spaced in yaw around the bounds at a fixed pitch, each framing the whole
// bounds (the multi-view renders of `kiln render --views` and of the generation pipelines).
// yawOffset and pitch in radians.
std::vector<core::Camera> orbitViews(const core::Bounds& bounds, int count, float pitch, float aspect, float yawOffset = 0.0f,
                                     float fovY = 0.8f);

// Tiles equally sized images left to right, top to bottom, `columns` per row.
core::Image composeGrid(const std::vector<core::Image>& images, int columns);

} // namespace kiln::render
