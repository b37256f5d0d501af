#include "geometry/inside_test.h"

#include "core/error.h"

#include <glm/common.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::geometry {

InsideTest::InsideTest(const core::Mesh& mesh, std::vector<Range> shells, int bins) {
    if (mesh.indices.size() < 3) throw Error("inside test: the mesh has no triangles");
    if (shells.empty()) shells.push_back({0, std::uint32_t(mesh.indices.size() / 3)});
    m_shells = std::uint32_t(shells.size());
    glm::vec2 lo(1e30f), hi(-1e30f);
    for (const auto& p : mesh.positions) {
        lo = glm::min(lo, glm::vec2(p.x, p.y));
        hi = glm::max(hi, glm::vec2(p.x, p.y));
    }
    m_bins1 = std::max(1, bins);
    m_lo = lo;
    m_cell = glm::max((hi - lo) / float(m_bins1), glm::vec2(1e-9f));
    m_bins.assign(std::size_t(m_bins1) * std::size_t(m_bins1), {});
    for (std::uint32_t s = 0; s < shells.size(); ++s)
        for (std::uint32_t t = shells[s].firstTriangle; t < shells[s].firstTriangle + shells[s].triangleCount; ++t) {
            const Tri tri{mesh.positions[mesh.indices[3 * t]], mesh.positions[mesh.indices[3 * t + 1]], mesh.positions[mesh.indices[3 * t + 2]], s};
            const std::uint32_t id = std::uint32_t(m_tris.size());
            m_tris.push_back(tri);
            const glm::vec2 tlo = glm::min(glm::min(glm::vec2(tri.a), glm::vec2(tri.b)), glm::vec2(tri.c));
            const glm::vec2 thi = glm::max(glm::max(glm::vec2(tri.a), glm::vec2(tri.b)), glm::vec2(tri.c));
            const int x0 = std::clamp(int((tlo.x - m_lo.x) / m_cell.x), 0, m_bins1 - 1), x1 = std::clamp(int((thi.x - m_lo.x) / m_cell.x), 0, m_bins1 - 1);
            const int y0 = std::clamp(int((tlo.y - m_lo.y) / m_cell.y), 0, m_bins1 - 1), y1 = std::clamp(int((thi.y - m_lo.y) / m_cell.y), 0, m_bins1 - 1);
            for (int y = y0; y <= y1; ++y)
                for (int x = x0; x <= x1; ++x) m_bins[std::size_t(y) * std::size_t(m_bins1) + std::size_t(x)].push_back(id);
        }
}

bool InsideTest::inside(const glm::vec3& point) const {
    // A tiny irrational offset keeps the ray off vertices and edges of the axis-aligned primitives.
    const glm::vec3 p = point + glm::vec3(1.3172e-6f, 0.7319e-6f, 0.0f);
    const int bx = int(std::floor((p.x - m_lo.x) / m_cell.x)), by = int(std::floor((p.y - m_lo.y) / m_cell.y));
    if (bx < 0 || by < 0 || bx >= m_bins1 || by >= m_bins1) return false;
    std::vector<std::uint8_t> parity(m_shells, 0);
    for (const std::uint32_t id : m_bins[std::size_t(by) * std::size_t(m_bins1) + std::size_t(bx)]) {
        const Tri& t = m_tris[id];
        // 2D point-in-triangle in XY (edge functions), then the crossing's z above p.
        const float d0 = (t.b.x - t.a.x) * (p.y - t.a.y) - (t.b.y - t.a.y) * (p.x - t.a.x);
        const float d1 = (t.c.x - t.b.x) * (p.y - t.b.y) - (t.c.y - t.b.y) * (p.x - t.b.x);
        const float d2 = (t.a.x - t.c.x) * (p.y - t.c.y) - (t.a.y - t.c.y) * (p.x - t.c.x);
        const bool neg = d0 < 0.0f || d1 < 0.0f || d2 < 0.0f, pos = d0 > 0.0f || d1 > 0.0f || d2 > 0.0f;
        if (neg && pos) continue;
        const float sum = d0 + d1 + d2;
        if (sum == 0.0f) continue;  // the triangle is edge-on to the ray
        const float z = (d1 * t.a.z + d2 * t.b.z + d0 * t.c.z) / sum;
        if (z > p.z) parity[t.shell] ^= 1;
    }
    return std::any_of(parity.begin(), parity.end(), [](std::uint8_t v) { return v != 0; });
}

} // namespace kiln::geometry
