#pragma once

// A 5x7 bitmap font (capitals, digits, a little punctuation) for labelling contact sheets and
// charts that Kiln writes to bench/results; letters are drawn as capitals.

#include "core/image.h"

#include <string>

namespace kiln::core {

// Draws `text` with its top-left corner at (x, y), each font pixel `scale` image pixels, into an
// 8-bit image with 3 or 4 channels (alpha set to 255). Clips at the image's edges.
void drawText(Image& image, int x, int y, const std::string& text, const unsigned char rgb[3], int scale = 1);
int textWidth(const std::string& text, int scale = 1);  // pixels
inline constexpr int kFontHeight = 7;

} // namespace kiln::core
