#pragma once

// The closest point of a triangle mesh to a query point, through a bounding-volume hierarchy over
// the triangles (median splits along the longest axis, a few triangles per leaf). Queries take a
// search radius: nodes farther than the best distance so far are never opened, so asking only
// about the surface's neighbourhood is cheap.

#include "core/mesh.h"

#include <glm/geometric.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace kiln::geometry {

// Barycentric coordinates of the point of triangle abc nearest to p, in 2D (texels against UV
// triangles) or 3D (Ericson, Real-Time Collision Detection, 5.1.5: which Voronoi region of the
// triangle p lies in, a corner, an edge or the face). A degenerate triangle whose face region p
// reaches gives its first corner.
template <glm::length_t L>
glm::vec3 nearestBarycentric(const glm::vec<L, float>& p, const glm::vec<L, float>& a, const glm::vec<L, float>& b, const glm::vec<L, float>& c) {
    const glm::vec<L, float> ab = b - a, ac = c - a, ap = p - a;
    const float d1 = glm::dot(ab, ap), d2 = glm::dot(ac, ap);
    if (d1 <= 0.0f && d2 <= 0.0f) return {1, 0, 0};
    const glm::vec<L, float> bp = p - b;
    const float d3 = glm::dot(ab, bp), d4 = glm::dot(ac, bp);
    if (d3 >= 0.0f && d4 <= d3) return {0, 1, 0};
    const float vc = d1 * d4 - d3 * d2;
    if (vc <= 0.0f && d1 >= 0.0f && d3 <= 0.0f) {
        const float v = d1 / (d1 - d3);
        return {1 - v, v, 0};
    }
    const glm::vec<L, float> cp = p - c;
    const float d5 = glm::dot(ab, cp), d6 = glm::dot(ac, cp);
    if (d6 >= 0.0f && d5 <= d6) return {0, 0, 1};
    const float vb = d5 * d2 - d1 * d6;
    if (vb <= 0.0f && d2 >= 0.0f && d6 <= 0.0f) {
        const float w = d2 / (d2 - d6);
        return {1 - w, 0, w};
    }
    const float va = d3 * d6 - d5 * d4;
    if (va <= 0.0f && (d4 - d3) >= 0.0f && (d5 - d6) >= 0.0f) {
        const float w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return {0, 1 - w, w};
    }
    const float sum = va + vb + vc;
    if (!(sum > 0.0f)) return {1, 0, 0};
    const float denom = 1.0f / sum;
    const float v = vb * denom, w = vc * denom;
    return {1 - v - w, v, w};
}

// The point of triangle (a, b, c) closest to p.
inline glm::vec3 closestPointOnTriangle(const glm::vec3& p, const glm::vec3& a, const glm::vec3& b, const glm::vec3& c) {
    const glm::vec3 w = nearestBarycentric(p, a, b, c);
    return a + (b - a) * w.y + (c - a) * w.z;
}

class TriangleBvh {
public:
    // Throws kiln::Error when the mesh has no triangles.
    explicit TriangleBvh(const core::Mesh& mesh);

    struct Hit {
        float distance = 0.0f;
        std::uint32_t triangle = 0;  // index into the mesh's triangles
        glm::vec3 point{0.0f};       // the closest point, on that triangle
    };
    // The closest point of the mesh to p no farther than maxDistance; none when every triangle is
    // farther.
    std::optional<Hit> closest(const glm::vec3& p, float maxDistance) const;

    // A triangle's unit normal by its winding (zero for a degenerate triangle).
    glm::vec3 faceNormal(std::uint32_t triangle) const;

private:
    struct Node {
        glm::vec3 lo, hi;
        std::uint32_t first = 0, count = 0;  // leaf: triangles m_order[first, first + count)
        std::uint32_t left = 0, right = 0;   // inner node (count == 0): children
    };
    std::vector<glm::vec3> m_corners;      // 3 per triangle
    std::vector<std::uint32_t> m_order;    // triangle indices, grouped by leaf
    std::vector<Node> m_nodes;

    std::uint32_t build(std::uint32_t first, std::uint32_t count, std::vector<glm::vec3>& centroids);
};

} // namespace kiln::geometry
