#pragma once

#include "core/mesh.h"

#include <glm/vec3.hpp>

#include <vector>

namespace kiln::geometry {

// Which side of the iso-value is solid. Signed distance fields (and TSDFs) are negative inside;
// density fields (radiance fields) are large inside.
enum class IsoSide : unsigned char { Below, Above };

// Marching cubes (Lorensen & Cline 1987) over a regular grid of samples.
//
// `values` holds resolution.x * resolution.y * resolution.z samples at the cell corners, x fastest
// then y then z; sample (i, j, k) sits at bounds.min + (i, j, k) / (resolution - 1) * bounds.size().
// Vertices are shared between cells (one per crossed grid edge), so a closed iso-surface gives an
// indexed, watertight mesh. Normals come from the field's gradient (central differences) and point
// out of the solid; triangles wind counter-clockwise seen from outside. When `colors` is given
// (one per sample, linear RGB) the mesh gets vertex colours interpolated from the grid.
// Cells with a non-finite corner (NaN marks "unknown", e.g. unobserved TSDF voxels) produce nothing.
// Throws kiln::Error on a grid that does not match `resolution` or on empty bounds.
core::Mesh marchingCubes(const std::vector<float>& values, glm::ivec3 resolution, const core::Bounds& bounds, float isoValue,
                         const std::vector<glm::vec3>* colors = nullptr, IsoSide inside = IsoSide::Below);

} // namespace kiln::geometry
