#include "geometry/uv_raster.h"

#include "core/error.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::geometry {

glm::vec3 UvRaster::position(const core::Mesh& m, std::size_t k) const {
    const std::int32_t t = triangle[k];
    const glm::vec3 w = barycentric[k];
    return w.x * m.positions[m.indices[3 * std::size_t(t)]] + w.y * m.positions[m.indices[3 * std::size_t(t) + 1]] +
           w.z * m.positions[m.indices[3 * std::size_t(t) + 2]];
}

glm::vec3 UvRaster::normal(const core::Mesh& m, std::size_t k) const {
    const std::int32_t t = triangle[k];
    const std::uint32_t i0 = m.indices[3 * std::size_t(t)], i1 = m.indices[3 * std::size_t(t) + 1], i2 = m.indices[3 * std::size_t(t) + 2];
    glm::vec3 n;
    if (m.normals.size() == m.positions.size()) {
        const glm::vec3 w = barycentric[k];
        n = w.x * m.normals[i0] + w.y * m.normals[i1] + w.z * m.normals[i2];
    } else {
        n = glm::cross(m.positions[i1] - m.positions[i0], m.positions[i2] - m.positions[i0]);
    }
    const float len = glm::length(n);
    return len > 0.0f ? n / len : glm::vec3(0, 1, 0);
}

UvRaster rasterizeUv(const core::Mesh& mesh, int size) {
    if (mesh.uv0.size() != mesh.positions.size() || mesh.uv0.empty()) throw Error("rasterizeUv: the mesh has no UVs");
    if (size < 16 || size > 16384) throw Error("rasterizeUv: atlas size " + std::to_string(size) + " is outside 16..16384");
    UvRaster r;
    r.size = size;
    const std::size_t n = std::size_t(size) * std::size_t(size);
    r.triangle.assign(n, -1);
    r.barycentric.assign(n, glm::vec3(0.0f));
    r.coverage.assign(n, 0);
    r.overlaps.assign(n, 0);
    const float fs = float(size);
    for (std::size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
        const glm::vec2 a = mesh.uv0[mesh.indices[t]] * fs, b = mesh.uv0[mesh.indices[t + 1]] * fs, c = mesh.uv0[mesh.indices[t + 2]] * fs;
        const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        if (std::abs(area) < 1e-9f) continue;  // a sliver at a pole: its neighbours cover it
        const int x0 = std::max(0, int(std::floor(std::min({a.x, b.x, c.x}))) - 1), x1 = std::min(size - 1, int(std::ceil(std::max({a.x, b.x, c.x}))) + 1);
        const int y0 = std::max(0, int(std::floor(std::min({a.y, b.y, c.y}))) - 1), y1 = std::min(size - 1, int(std::ceil(std::max({a.y, b.y, c.y}))) + 1);
        const float inv = 1.0f / area;
        // Barycentric w_i times |area| / |opposite edge| is the distance to that edge, in texels.
        const float edgeScale[3] = {std::abs(area) / std::max(1e-12f, glm::length(c - b)), std::abs(area) / std::max(1e-12f, glm::length(a - c)),
                                    std::abs(area) / std::max(1e-12f, glm::length(b - a))};
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const glm::vec2 q(float(x) + 0.5f, float(y) + 0.5f);
                float w0 = ((b.x - q.x) * (c.y - q.y) - (b.y - q.y) * (c.x - q.x)) * inv;
                float w1 = ((c.x - q.x) * (a.y - q.y) - (c.y - q.y) * (a.x - q.x)) * inv;
                float w2 = 1.0f - w0 - w1;
                std::uint8_t level = 2;
                if (w0 < 0.0f || w1 < 0.0f || w2 < 0.0f) {
                    // Far outside one edge (more than half a texel diagonal): not touched.
                    if (w0 * edgeScale[0] < -0.71f || w1 * edgeScale[1] < -0.71f || w2 * edgeScale[2] < -0.71f) continue;
                    const glm::vec3 cb = nearestBarycentric(q, a, b, c);
                    const glm::vec2 d = glm::abs(cb.x * a + cb.y * b + cb.z * c - q);
                    if (d.x > 0.5f || d.y > 0.5f) continue;
                    w0 = cb.x, w1 = cb.y, w2 = cb.z;
                    level = 1;
                }
                const std::size_t k = std::size_t(y) * std::size_t(size) + std::size_t(x);
                if (level == 2 && r.overlaps[k] < 65535) ++r.overlaps[k];
                if (r.coverage[k] >= level) continue;
                r.coverage[k] = level;
                r.triangle[k] = std::int32_t(t / 3);
                r.barycentric[k] = {w0, w1, w2};
            }
    }
    return r;
}

std::vector<UvOverlapSample> overlapSamples(const core::Mesh& mesh, const UvRaster& r) {
    std::vector<UvOverlapSample> out;
    const int size = r.size;
    const float fs = float(size);
    for (std::size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
        const glm::vec2 a = mesh.uv0[mesh.indices[t]] * fs, b = mesh.uv0[mesh.indices[t + 1]] * fs, c = mesh.uv0[mesh.indices[t + 2]] * fs;
        const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        if (std::abs(area) < 1e-9f) continue;
        const int x0 = std::max(0, int(std::floor(std::min({a.x, b.x, c.x})))), x1 = std::min(size - 1, int(std::ceil(std::max({a.x, b.x, c.x}))));
        const int y0 = std::max(0, int(std::floor(std::min({a.y, b.y, c.y})))), y1 = std::min(size - 1, int(std::ceil(std::max({a.y, b.y, c.y}))));
        const float inv = 1.0f / area;
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const std::size_t k = std::size_t(y) * std::size_t(size) + std::size_t(x);
                if (r.overlaps[k] < 2 || r.triangle[k] == std::int32_t(t / 3)) continue;
                const glm::vec2 q(float(x) + 0.5f, float(y) + 0.5f);
                const float w0 = ((b.x - q.x) * (c.y - q.y) - (b.y - q.y) * (c.x - q.x)) * inv;
                const float w1 = ((c.x - q.x) * (a.y - q.y) - (c.y - q.y) * (a.x - q.x)) * inv;
                const float w2 = 1.0f - w0 - w1;
                if (w0 < 0.0f || w1 < 0.0f || w2 < 0.0f) continue;
                out.push_back({std::uint32_t(k), std::int32_t(t / 3), {w0, w1, w2}});
            }
    }
    return out;
}

} // namespace kiln::geometry
