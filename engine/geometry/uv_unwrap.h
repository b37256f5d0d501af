#pragma once

// A UV layout for meshes that have none (generated assets, scans, an artist's mesh with --unwrap):
// charts grown from the largest faces over neighbours whose normals stay within a cone of the
// seed's, each projected onto the plane across its seed normal (so no triangle flips), split
// further where a projection still overlaps itself, then packed into one atlas with gutters.
// Vertices are split along chart borders; triangle order, submeshes and attributes are kept.

#include "core/mesh.h"

#include <cstdint>
#include <vector>

namespace kiln::geometry {

struct UnwrapOptions {
    float coneDegrees = 55.0f;  // largest angle between a chart face's normal and the chart's axis
    int atlasSize = 1024;       // texels per side the packing is made for
    int padding = 8;            // gutter texels between charts
};

struct UnwrapResult {
    core::Mesh mesh;                        // the input with uv0 (vertices split at chart borders)
    std::vector<std::uint32_t> sourceVertex;  // output vertex -> input vertex
    int charts = 0;
    float texelsPerMetre = 0.0f;
};

// Throws kiln::Error when the mesh has no triangles.
UnwrapResult unwrapMesh(const core::Mesh& mesh, const UnwrapOptions& options = {});

} // namespace kiln::geometry
