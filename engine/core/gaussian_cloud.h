#pragma once

#include "core/mesh.h"

#include <glm/vec3.hpp>
#include <glm/vec4.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace kiln::core {

// 3D Gaussian splats in the INRIA 3DGS parameterisation (Kerbl et al. 2023):
//   scale = exp(logScale), opacity = sigmoid(opacityLogit), colour = 0.5 + SH(dir).
// Coordinates as stored by the source (INRIA PLY files are usually RDF: +X right, +Y down, +Z
// forward); readers do not re-orient, the SPZ reader converts its RUB axes to that convention.
struct GaussianCloud {
    int shDegree = 0;                   // 0..3
    std::vector<glm::vec3> positions;
    std::vector<glm::vec3> logScales;
    std::vector<glm::vec4> rotations;   // quaternion (w, x, y, z), not necessarily normalised
    std::vector<float> opacityLogits;
    // Per splat shCoeffCount(shDegree) coefficients of RGB, coefficient-major:
    // sh[(i * coeffs + k) * 3 + channel]; k = 0 is the DC term (f_dc_*).
    std::vector<float> sh;

    std::size_t size() const { return positions.size(); }
    bool empty() const { return positions.empty(); }
    int coeffCount() const { return shCoeffCount(shDegree); }
    static int shCoeffCount(int degree) { return (degree + 1) * (degree + 1); }

    void resize(std::size_t count, int degree);

    // Throws kiln::Error naming `what` when array sizes disagree or the SH degree is out of range.
    void validate(const std::string& what) const;
    // Throws kiln::Error naming `what` and the splat when any value is NaN or infinite.
    void checkFinite(const std::string& what) const;
};

// Zeroth-order SH basis constant, C0 = 1 / (2 sqrt(pi)); colour_dc = 0.5 + C0 * f_dc.
inline constexpr float kShC0 = 0.28209479177387814f;

Bounds computeBounds(const GaussianCloud& cloud);

} // namespace kiln::core
