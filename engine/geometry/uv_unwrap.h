#pragma once

// A UV layout for meshes that have none (generated assets, scans, an artist's mesh with --unwrap):
// charts grown from the largest faces over neighbours whose normals stay within a cone of the
// seed's, each laid out either by projection onto the plane across its seed normal (so no triangle
// flips) or, with `conformal`, by a least-squares conformal map (angles kept, so a curved chart
// unrolls instead of squashing at its rim); a chart whose layout overlaps itself (or whose
// conformal map flips a triangle or stretches area more than 2x on average) is halved until none
// does; then all are packed into one atlas with gutters. Vertices are split along chart borders;
// triangle order, submeshes and attributes are kept.

#include "core/mesh.h"

#include <cstdint>
#include <vector>

namespace kiln::geometry {

struct UnwrapOptions {
    float coneDegrees = 55.0f;  // largest angle between a chart face's normal and the chart's axis
    int atlasSize = 1024;       // texels per side the packing is made for
    int padding = 8;            // gutter texels between charts
    bool conformal = false;     // least-squares conformal charts instead of planar projections
};

struct UnwrapResult {
    core::Mesh mesh;                        // the input with uv0 (vertices split at chart borders)
    std::vector<std::uint32_t> sourceVertex;  // output vertex -> input vertex
    int charts = 0;
    float texelsPerMetre = 0.0f;
};

// Throws kiln::Error when the mesh has no triangles.
UnwrapResult unwrapMesh(const core::Mesh& mesh, const UnwrapOptions& options = {});

// How much a UV layout distorts the surface, area weighted over triangles with area (1 is ideal):
// angle distortion = larger over smaller singular value of each triangle's surface->UV Jacobian;
// area stretch = max(r, 1/r) of its UV/surface area ratio r relative to the whole mesh's ratio.
// `coverage` is the fraction of the unit square the triangles cover (overlaps counted twice).
struct UvDistortion {
    double angle = 1.0;
    double area = 1.0;
    double coverage = 0.0;
};
UvDistortion measureUvDistortion(const core::Mesh& mesh);

} // namespace kiln::geometry
