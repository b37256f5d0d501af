#pragma once

#include <glm/geometric.hpp>
#include <glm/vec3.hpp>

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

// CIE L*a*b* (D65 white) of a linear-RGB colour, and the CIE76 colour difference between two
// linear-RGB colours (about 2.3 is a just-noticeable difference).
inline glm::vec3 labFromLinear(const glm::vec3& rgb) {
    const glm::vec3 xyz(0.4124f * rgb.r + 0.3576f * rgb.g + 0.1805f * rgb.b, 0.2126f * rgb.r + 0.7152f * rgb.g + 0.0722f * rgb.b,
                        0.0193f * rgb.r + 0.1192f * rgb.g + 0.9505f * rgb.b);
    auto f = [](float t) { return t > 0.008856f ? std::cbrt(t) : 7.787f * t + 16.0f / 116.0f; };
    const float fx = f(xyz.x / 0.95047f), fy = f(xyz.y), fz = f(xyz.z / 1.08883f);
    return {116.0f * fy - 16.0f, 500.0f * (fx - fy), 200.0f * (fy - fz)};
}

inline float deltaE76(const glm::vec3& linearA, const glm::vec3& linearB) { return glm::length(labFromLinear(linearA) - labFromLinear(linearB)); }

} // namespace kiln::core
