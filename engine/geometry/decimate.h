#pragma once

#include "core/mesh.h"

#include <cstddef>

namespace kiln::geometry {

// Quadric edge-collapse simplification (Garland & Heckbert 1997, via meshoptimizer's
// meshopt_simplify) towards `targetTriangles`. Collapses only move a vertex onto another
// existing vertex, so every surviving vertex keeps its own normal, UVs and colour; unused vertices
// are dropped. Each submesh is reduced in proportion to its share of the triangles. Topology is
// preserved, so a mesh with many borders or seams can stop above the target. A target at or above
// the current count returns the mesh unchanged. Throws kiln::Error when the target is 0.
core::Mesh decimate(const core::Mesh& mesh, std::size_t targetTriangles);

} // namespace kiln::geometry
