#pragma once

// The baseline comparison every rendering test uses, in process (renderer_test.cpp) and end to
// end (compare_image.cpp, run by kiln_render_test in CMakeLists.txt): f3d's style of an error
// budget rather than exact pixels, since drivers round differently.
#include "core/image.h"

#include <string>

namespace kiln::test {

struct ImageDiff {
    double meanAbs = 0.0;      // mean |a-b| over RGB, 0..255
    double badFraction = 0.0;  // pixels with a channel off by more than kBadPixelError
    core::Image image;         // |a-b| x 4 as RGB, for a reader
};

// The budget: a mean error under 1.5/255 and under 0.5 % of pixels off by more than 24/255.
inline constexpr double kMaxMeanError = 1.5;
inline constexpr double kMaxBadFraction = 0.005;
inline constexpr int kBadPixelError = 24;

// Compares RGB of two 8-bit images of the same size (any channel count from 3 up; alpha is
// ignored). Throws kiln::Error when they cannot be compared.
ImageDiff diffImages(const core::Image& a, const core::Image& b);
bool withinBudget(const ImageDiff& diff);
// "mean error 0.31/255, 0.02 % of pixels off by more than 24/255" for messages.
std::string describe(const ImageDiff& diff);

} // namespace kiln::test
