#pragma once

#include "core/image.h"

#include <vector>

namespace kiln::models {

// A training-curve chart: raw loss (grey) and smoothed loss (blue) against the step, log-scale
// y axis with labelled decades, labelled x ticks. RGB8.
core::Image plotLossCurve(const std::vector<float>& losses, const std::vector<double>& smoothed, int width, int height);

} // namespace kiln::models
