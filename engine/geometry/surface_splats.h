#pragma once

// Flat Gaussian splats covering a mesh's surface: area-weighted stratified samples, each splat
// thin along the face normal and as wide as the sample spacing, coloured by a caller's function
// (linear RGB in, display-referred SH DC out, the 3DGS convention). For previews and splat exports
// of meshes made by the generators.

#include "core/gaussian_cloud.h"
#include "core/mesh.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace kiln::geometry {

using SurfaceColourFn = std::function<void(const std::vector<glm::vec3>& positions, std::vector<glm::vec3>& linearColours)>;

// Flat splats at given surface points: thin along each normal, `spacing` wide (metres), opacity
// 0.95, degree-0 colour from linear RGB. Throws kiln::Error when the arrays differ in length.
core::GaussianCloud flatSplats(const std::vector<glm::vec3>& positions, const std::vector<glm::vec3>& normals,
                               const std::vector<glm::vec3>& linearColours, float spacing);

// Throws kiln::Error when the mesh has no area or count < 1.
core::GaussianCloud splatsOnSurface(const core::Mesh& mesh, int count, const SurfaceColourFn& colour, std::uint64_t seed = 0);

} // namespace kiln::geometry
