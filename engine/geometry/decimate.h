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
// `maxError` bounds each collapse's geometric error relative to the mesh extent (1: no bound,
// stop at the target only); with a bound the result may stay above the target. Where a thin part
// collapses, the simplifier can leave a face beside its own reverse (a fin enclosing nothing, four
// faces on each of its edges); such pairs are removed, so a closed input stays closed there.
core::Mesh decimate(const core::Mesh& mesh, std::size_t targetTriangles, float maxError = 1.0f);

} // namespace kiln::geometry
