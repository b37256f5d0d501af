#include "core/gaussian_cloud.h"

#include "core/error.h"

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

Bounds computeBounds(const GaussianCloud& cloud) { return computeBounds(cloud.positions); }

} // namespace kiln::core
