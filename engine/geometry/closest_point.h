#pragma once

// The closest point of a triangle mesh to a query point, through a bounding-volume hierarchy over
// the triangles (median splits along the longest axis, a few triangles per leaf). Queries take a
// search radius: nodes farther than the best distance so far are never opened, so asking only
// about the surface's neighbourhood is cheap.

#include "core/mesh.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace kiln::geometry {

// The point of triangle (a, b, c) closest to p (Ericson, Real-Time Collision Detection, 5.1.5).
glm::vec3 closestPointOnTriangle(const glm::vec3& p, const glm::vec3& a, const glm::vec3& b, const glm::vec3& c);

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
