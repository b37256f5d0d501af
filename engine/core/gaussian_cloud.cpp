#include "core/gaussian_cloud.h"

#include "core/error.h"

#include <cmath>

namespace kiln::core {

void GaussianCloud::resize(std::size_t count, int degree) {
    shDegree = degree;
    positions.resize(count);
    logScales.resize(count);
    rotations.resize(count, glm::vec4(1, 0, 0, 0));
    opacityLogits.resize(count);
    sh.resize(count * std::size_t(shCoeffCount(degree)) * 3);
}

void GaussianCloud::validate(const std::string& what) const {
    if (shDegree < 0 || shDegree > 3) throw Error(what + ": SH degree " + std::to_string(shDegree) + " is outside 0..3");
    const std::size_t n = positions.size();
    if (logScales.size() != n || rotations.size() != n || opacityLogits.size() != n ||
        sh.size() != n * std::size_t(coeffCount()) * 3)
        throw Error(what + ": Gaussian attribute arrays have inconsistent sizes");
}

void GaussianCloud::checkFinite(const std::string& what) const {
    const auto fail = [&](const char* field, std::size_t i) {
        throw Error(what + ": non-finite " + field + " at splat " + std::to_string(i));
    };
    const std::size_t coeffs = std::size_t(coeffCount()) * 3;
    for (std::size_t i = 0; i < size(); ++i) {
        for (int c = 0; c < 3; ++c) {
            if (!std::isfinite(positions[i][c])) fail("position", i);
            if (!std::isfinite(logScales[i][c])) fail("scale", i);
        }
        for (int c = 0; c < 4; ++c)
            if (!std::isfinite(rotations[i][c])) fail("rotation", i);
        if (!std::isfinite(opacityLogits[i])) fail("opacity", i);
        for (std::size_t k = 0; k < coeffs; ++k)
            if (!std::isfinite(sh[i * coeffs + k])) fail("colour coefficient", i);
    }
}

Bounds computeBounds(const GaussianCloud& cloud) { return computeBounds(cloud.positions); }

} // namespace kiln::core
