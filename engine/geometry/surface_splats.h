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

// Throws kiln::Error when the mesh has no area or count < 1.
core::GaussianCloud splatsOnSurface(const core::Mesh& mesh, int count, const SurfaceColourFn& colour, std::uint64_t seed = 0);

} // namespace kiln::geometry
