#pragma once

#include <glm/vec3.hpp>

namespace kiln::core {

// Real spherical-harmonic basis up to degree 3 with the signs and constants of the 3DGS
// reference renderer (Kerbl et al. 2023, forward.cu computeColorFromSH), so coefficients read
// from INRIA files mean the same thing here. `dir` must be unit length; writes 16 values.
void evalShBasis(const glm::vec3& dir, float out[16]);

} // namespace kiln::core
