#pragma once

// Images to and from OpenCV for kiln_matting's own files (matting.cpp, matting_net.cpp). Internal:
// OpenCV stays inside kiln_matting, so no public header includes this one.

#include "core/image.h"

#include <opencv2/core.hpp>

namespace kiln::models::matting_cv {

// An image's RGB (a grey image repeated; F32 clamped to 0..1): 8 bits, or float 0..1.
cv::Mat rgb8(const core::Image& image);
cv::Mat rgbFloat(const core::Image& image);
// A one-channel float alpha both ways.
core::Image alphaImage(const cv::Mat& alpha);
cv::Mat alphaMat(const core::Image& alpha);

} // namespace kiln::models::matting_cv
