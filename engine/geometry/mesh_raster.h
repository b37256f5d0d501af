#pragma once

// A CPU z-buffer rasteriser of a triangle mesh through a pinhole camera: per pixel the nearest
// triangle, its depth along the view axis and its interpolated normal. Exact ground truth for
// depth, normal and part-mask images and for silhouettes (datasets, evaluation), independent of
// the GPU renderer.

#include "core/camera.h"
#include "core/mesh.h"

#include <cstdint>
#include <vector>

namespace kiln::geometry {

struct MeshRaster {
    int width = 0, height = 0;
    std::vector<float> depth;            // distance along the view direction, metres; +inf where empty
    std::vector<std::int32_t> triangle;  // index of the visible triangle, -1 where empty
    std::vector<glm::vec3> normal;       // world-space shading normal (vertex normals interpolated)

    bool covered(int x, int y) const { return triangle[std::size_t(y) * std::size_t(width) + std::size_t(x)] >= 0; }
};

// Pixel (x, y) is sampled at its centre; rows top to bottom. Triangles behind the near plane are
// skipped whole (callers keep the mesh in front of the camera).
MeshRaster rasterizeMesh(const core::Mesh& mesh, const core::Camera& camera, int width, int height);

} // namespace kiln::geometry
