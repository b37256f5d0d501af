#include "geometry/closest_point.h"

#include "core/error.h"

#include <glm/common.hpp>
#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::geometry {

TriangleBvh::TriangleBvh(const core::Mesh& mesh) {
    const std::size_t n = mesh.indices.size() / 3;
    if (n == 0) throw Error("closest point: the mesh has no triangles");
    m_corners.reserve(3 * n);
    std::vector<glm::vec3> centroids(n);
    for (std::size_t t = 0; t < n; ++t) {
        for (int k = 0; k < 3; ++k) m_corners.push_back(mesh.positions[mesh.indices[3 * t + std::size_t(k)]]);
        centroids[t] = (m_corners[3 * t] + m_corners[3 * t + 1] + m_corners[3 * t + 2]) / 3.0f;
    }
    m_order.resize(n);
    for (std::size_t t = 0; t < n; ++t) m_order[t] = std::uint32_t(t);
    m_nodes.reserve(n);
    build(0, std::uint32_t(n), centroids);
}

std::uint32_t TriangleBvh::build(std::uint32_t first, std::uint32_t count, std::vector<glm::vec3>& centroids) {
    Node node;
    node.lo = glm::vec3(std::numeric_limits<float>::max());
    node.hi = glm::vec3(-std::numeric_limits<float>::max());
    glm::vec3 clo = node.lo, chi = node.hi;
    for (std::uint32_t i = first; i < first + count; ++i) {
        const std::uint32_t t = m_order[i];
        for (int k = 0; k < 3; ++k) {
            node.lo = glm::min(node.lo, m_corners[3 * t + std::uint32_t(k)]);
            node.hi = glm::max(node.hi, m_corners[3 * t + std::uint32_t(k)]);
        }
        clo = glm::min(clo, centroids[t]);
        chi = glm::max(chi, centroids[t]);
    }
    const std::uint32_t id = std::uint32_t(m_nodes.size());
    m_nodes.push_back(node);
    constexpr std::uint32_t kLeaf = 4;
    const glm::vec3 extent = chi - clo;
    const int axis = extent.x >= extent.y && extent.x >= extent.z ? 0 : extent.y >= extent.z ? 1 : 2;
    if (count <= kLeaf || extent[axis] <= 0.0f) {
        m_nodes[id].first = first;
        m_nodes[id].count = count;
        return id;
    }
    const std::uint32_t half = count / 2;
    std::nth_element(m_order.begin() + first, m_order.begin() + first + half, m_order.begin() + first + count,
                     [&](std::uint32_t a, std::uint32_t b) { return centroids[a][axis] < centroids[b][axis]; });
    const std::uint32_t left = build(first, half, centroids);
    const std::uint32_t right = build(first + half, count - half, centroids);
    m_nodes[id].left = left;
    m_nodes[id].right = right;
    return id;
}

std::optional<TriangleBvh::Hit> TriangleBvh::closest(const glm::vec3& p, float maxDistance) const {
    float best2 = maxDistance * maxDistance;
    std::optional<Hit> hit;
    auto boxDistance2 = [&](const Node& n) {
        const glm::vec3 d = glm::max(glm::max(n.lo - p, p - n.hi), glm::vec3(0.0f));
        return glm::dot(d, d);
    };
    std::uint32_t stack[64];
    int top = 0;
    if (boxDistance2(m_nodes[0]) <= best2) stack[top++] = 0;
    while (top > 0) {
        const Node& n = m_nodes[stack[--top]];
        if (boxDistance2(n) > best2) continue;
        if (n.count > 0) {
            for (std::uint32_t i = n.first; i < n.first + n.count; ++i) {
                const std::uint32_t t = m_order[i];
                const glm::vec3 q = closestPointOnTriangle(p, m_corners[3 * t], m_corners[3 * t + 1], m_corners[3 * t + 2]);
                const float d2 = glm::dot(q - p, q - p);
                if (d2 <= best2) {
                    best2 = d2;
                    hit = Hit{0.0f, t, q};
                }
            }
            continue;
        }
        // The nearer child last, so it is opened first.
        const float dl = boxDistance2(m_nodes[n.left]), dr = boxDistance2(m_nodes[n.right]);
        if (top + 2 > 64) throw Error("closest point: the hierarchy is deeper than its stack");
        if (dl < dr) {
            if (dr <= best2) stack[top++] = n.right;
            if (dl <= best2) stack[top++] = n.left;
        } else {
            if (dl <= best2) stack[top++] = n.left;
            if (dr <= best2) stack[top++] = n.right;
        }
    }
    if (hit) hit->distance = std::sqrt(best2);
    return hit;
}

glm::vec3 TriangleBvh::faceNormal(std::uint32_t t) const {
    const glm::vec3 n = glm::cross(m_corners[3 * t + 1] - m_corners[3 * t], m_corners[3 * t + 2] - m_corners[3 * t]);
    const float len = glm::length(n);
    return len > 0.0f ? n / len : glm::vec3(0.0f);
}

} // namespace kiln::geometry
