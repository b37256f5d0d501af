#pragma once

// Inside/outside of closed triangle surfaces by ray parity: a point is inside a closed surface
// when a ray from it crosses the surface an odd number of times. A union of overlapping closed
// shells (a procedural asset's parts) is tested shell by shell: inside any = inside the union.
// Rays run along +Z; triangles are binned by their XY extent so a ray meets only its bin.

#include "core/mesh.h"

#include <cstdint>
#include <vector>

namespace kiln::geometry {

class InsideTest {
public:
    // `shells`: triangle index ranges [first, first + count) of `mesh` that are each closed.
    // An empty list means the whole mesh is one closed shell.
    struct Range {
        std::uint32_t firstTriangle = 0, triangleCount = 0;
    };
    explicit InsideTest(const core::Mesh& mesh, std::vector<Range> shells = {}, int bins = 64);

    bool inside(const glm::vec3& p) const;

private:
    struct Tri {
        glm::vec3 a, b, c;
        std::uint32_t shell;
    };
    std::vector<Tri> m_tris;
    std::vector<std::vector<std::uint32_t>> m_bins;
    glm::vec2 m_lo{0.0f}, m_cell{1.0f};
    int m_bins1 = 1;
    std::uint32_t m_shells = 1;
};

} // namespace kiln::geometry
