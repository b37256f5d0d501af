#pragma once

#include <algorithm>
#include <cmath>

namespace kiln::core {

// The sRGB transfer function (IEC 61966-2-1), both ways, on values clamped to [0, 1]. Kiln keeps
// mesh colours linear (glTF); splat colours and 8-bit images are display-referred (sRGB).
inline float srgbFromLinear(float c) {
    c = std::clamp(c, 0.0f, 1.0f);
    return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

inline float linearFromSrgb(float c) {
    c = std::clamp(c, 0.0f, 1.0f);
    return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

// The same encoding in double precision, for writers that store doubles (FBX vertex colours):
// going through the float version would round every written value to float.
inline double srgbFromLinear(double c) {
    c = std::clamp(c, 0.0, 1.0);
    return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055;
}

} // namespace kiln::core
