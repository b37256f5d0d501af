#pragma once

// Rasterising a mesh's UV layout: for every texel of a size x size atlas, the triangle whose UV
// triangle covers it and where (barycentrics), conservatively: a texel a triangle only touches is
// covered too, at the triangle's point closest to its centre, so island borders have no gaps.
// Texture baking (procedural library, generated assets, texture generation) starts here.

#include "core/mesh.h"
#include "geometry/closest_point.h"  // nearestBarycentric

#include <cstdint>
#include <vector>

namespace kiln::geometry {

struct UvRaster {
    int size = 0;
    std::vector<std::int32_t> triangle;     // per texel, -1 = not covered
    std::vector<glm::vec3> barycentric;     // per texel (of `triangle`'s three vertices)
    std::vector<std::uint8_t> coverage;     // 0 none, 1 touched only, 2 centre inside a triangle
    std::vector<std::uint16_t> overlaps;    // triangles whose UVs cover the texel's centre (>1: overlapping/mirrored UVs)

    bool covered(std::size_t texel) const { return triangle[texel] >= 0; }
    glm::vec3 position(const core::Mesh& mesh, std::size_t texel) const;
    glm::vec3 normal(const core::Mesh& mesh, std::size_t texel) const;  // interpolated, unit
};

// uv0 in [0, 1] with glTF's origin (top-left of the image). Throws kiln::Error when the mesh has no
// uv0 or the size is outside 16..16384.
UvRaster rasterizeUv(const core::Mesh& mesh, int size);

// Where UVs overlap (a mirrored half, instanced parts sharing an island), a texel's centre lies in
// several triangles but UvRaster keeps one. These are the others: for every texel with
// overlaps > 1, each further triangle whose UV triangle holds the texel's centre, with its
// barycentrics, so a baker can average what every surface point mapped to the texel shows.
struct UvOverlapSample {
    std::uint32_t texel = 0;
    std::int32_t triangle = -1;
    glm::vec3 barycentric{0.0f};
};
std::vector<UvOverlapSample> overlapSamples(const core::Mesh& mesh, const UvRaster& raster);

} // namespace kiln::geometry
