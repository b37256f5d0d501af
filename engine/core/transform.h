#pragma once

#include "core/gaussian_cloud.h"
#include "core/mesh.h"

#include <glm/mat3x3.hpp>
#include <glm/vec3.hpp>

namespace kiln::core {

// A similarity transform: p' = scale * rotation * p + translation (rotation orthonormal, det +1).
struct Similarity {
    glm::mat3 rotation{1.0f};
    float scale = 1.0f;
    glm::vec3 translation{0.0f};
};

// Rotation taking glTF's +Y-up frame to a +Z-up frame (+90 degrees about X: +Y -> +Z, +Z -> -Y,
// so glTF's front (+Z) becomes -Y, Blender's and Unreal's front convention).
glm::mat3 yUpToZUp();

void transformMesh(Mesh& mesh, const Similarity& xf);

// Moves Gaussians rigidly and scales them: positions, log-scales, rotations, and the view-
// dependent SH coefficients, which rotate with the cloud (per degree, see transform.cpp).
void transformGaussians(GaussianCloud& cloud, const Similarity& xf);

} // namespace kiln::core
