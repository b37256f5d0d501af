#include "geometry/mesh_raster.h"

#include "core/error.h"

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::geometry {

MeshRaster rasterizeMesh(const core::Mesh& mesh, const core::Camera& camera, int width, int height) {
    if (width < 1 || height < 1 || width > 16384 || height > 16384) throw Error("rasterizeMesh: image size out of range");
    MeshRaster r;
    r.width = width;
    r.height = height;
    const std::size_t n = std::size_t(width) * std::size_t(height);
    r.depth.assign(n, std::numeric_limits<float>::infinity());
    r.triangle.assign(n, -1);
    r.normal.assign(n, glm::vec3(0.0f));
    const glm::mat4 view = camera.view();
    const float f = camera.focalPixels(height);
    const float cx = 0.5f * float(width), cy = 0.5f * float(height);
    // Camera space: looking down -Z. Screen: x right, y down.
    std::vector<glm::vec3> screen(mesh.positions.size());  // (px, py, depth)
    for (std::size_t i = 0; i < mesh.positions.size(); ++i) {
        const glm::vec3 c = glm::vec3(view * glm::vec4(mesh.positions[i], 1.0f));
        const float z = -c.z;
        screen[i] = z > camera.znear ? glm::vec3(cx + f * c.x / z, cy - f * c.y / z, z) : glm::vec3(0.0f, 0.0f, -1.0f);
    }
    const bool normals = mesh.normals.size() == mesh.positions.size();
    for (std::size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
        const std::uint32_t i0 = mesh.indices[t], i1 = mesh.indices[t + 1], i2 = mesh.indices[t + 2];
        const glm::vec3 a = screen[i0], b = screen[i1], c = screen[i2];
        if (a.z <= 0.0f || b.z <= 0.0f || c.z <= 0.0f) continue;
        const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        if (std::abs(area) < 1e-12f) continue;
        const int x0 = std::max(0, int(std::floor(std::min({a.x, b.x, c.x})))), x1 = std::min(width - 1, int(std::ceil(std::max({a.x, b.x, c.x}))));
        const int y0 = std::max(0, int(std::floor(std::min({a.y, b.y, c.y})))), y1 = std::min(height - 1, int(std::ceil(std::max({a.y, b.y, c.y}))));
        if (x0 > x1 || y0 > y1) continue;
        const float inv = 1.0f / area;
        glm::vec3 faceN(0.0f);
        if (!normals) faceN = glm::normalize(glm::cross(mesh.positions[i1] - mesh.positions[i0], mesh.positions[i2] - mesh.positions[i0]));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const float px = float(x) + 0.5f, py = float(y) + 0.5f;
                const float w0 = ((b.x - px) * (c.y - py) - (b.y - py) * (c.x - px)) * inv;
                const float w1 = ((c.x - px) * (a.y - py) - (c.y - py) * (a.x - px)) * inv;
                const float w2 = 1.0f - w0 - w1;
                if (w0 < 0.0f || w1 < 0.0f || w2 < 0.0f) continue;
                // Perspective-correct: interpolate 1/z in screen space.
                const float invZ = w0 / a.z + w1 / b.z + w2 / c.z;
                const float z = 1.0f / invZ;
                const std::size_t k = std::size_t(y) * std::size_t(width) + std::size_t(x);
                if (z >= r.depth[k]) continue;
                r.depth[k] = z;
                r.triangle[k] = std::int32_t(t / 3);
                if (normals) {
                    const float p0 = w0 / a.z * z, p1 = w1 / b.z * z, p2 = w2 / c.z * z;
                    const glm::vec3 nn = p0 * mesh.normals[i0] + p1 * mesh.normals[i1] + p2 * mesh.normals[i2];
                    const float len = glm::length(nn);
                    r.normal[k] = len > 0.0f ? nn / len : glm::vec3(0.0f);
                } else {
                    r.normal[k] = faceN;
                }
            }
    }
    return r;
}

} // namespace kiln::geometry
