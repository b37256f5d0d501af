#include "geometry/surface_splats.h"

#include "core/color.h"
#include "core/error.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::geometry {

core::GaussianCloud flatSplats(const std::vector<glm::vec3>& positions, const std::vector<glm::vec3>& normals,
                               const std::vector<glm::vec3>& colours, float spacing) {
    if (normals.size() != positions.size() || colours.size() != positions.size()) throw Error("flat splats: positions, normals and colours differ in count");
    const float tangent = std::log(std::max(spacing, 1e-6f)), thin = tangent - std::log(20.0f);
    core::GaussianCloud cloud;
    cloud.resize(positions.size(), 0);
    for (std::size_t i = 0; i < positions.size(); ++i) {
        cloud.positions[i] = positions[i];
        // Shortest-arc rotation taking local +Z to the normal: q = (1 + z.n, z x n), normalised.
        const glm::vec3 n = normals[i];
        glm::vec4 q(1.0f + n.z, -n.y, n.x, 0.0f);
        if (q.x < 1e-6f) q = glm::vec4(0.0f, 1.0f, 0.0f, 0.0f);
        cloud.rotations[i] = glm::normalize(q);
        cloud.logScales[i] = {tangent, tangent, thin};
        cloud.opacityLogits[i] = std::log(0.95f / 0.05f);
        // Splat colours are display values (the 3DGS convention).
        for (int c = 0; c < 3; ++c) cloud.sh[i * 3 + std::size_t(c)] = (core::srgbFromLinear(colours[i][c]) - 0.5f) / core::kShC0;
    }
    cloud.validate("flat splats");
    return cloud;
}

core::GaussianCloud splatsOnSurface(const core::Mesh& m, int count, const SurfaceColourFn& colour, std::uint64_t seed) {
    if (count < 1) throw Error("surface splats: count must be at least 1");
    const std::size_t tris = m.indices.size() / 3;
    std::vector<double> cumulative(tris + 1, 0.0);
    for (std::size_t t = 0; t < tris; ++t) {
        const glm::vec3 a = m.positions[m.indices[3 * t]], b = m.positions[m.indices[3 * t + 1]], c = m.positions[m.indices[3 * t + 2]];
        cumulative[t + 1] = cumulative[t] + 0.5 * double(glm::length(glm::cross(b - a, c - a)));
    }
    const double total = cumulative.back();
    if (!(total > 0.0)) throw Error("surface splats: the mesh has no surface area");
    std::vector<glm::vec3> positions, normals;
    std::size_t t = 0;
    const double offset = double((seed * 0x9E3779B97F4A7C15ull) >> 11) * (1.0 / 9007199254740992.0);
    for (int i = 0; i < count; ++i) {
        // Systematic sampling along the cumulative area; golden-ratio points inside each triangle.
        const double target = (double(i) + offset) / double(count) * total;
        while (t + 1 < tris && cumulative[t + 1] < target) ++t;
        double r1 = std::fmod(0.5 + double(i) * 0.6180339887498949, 1.0), r2 = std::fmod(0.5 + double(i) * 0.7548776662466927, 1.0);
        if (r1 + r2 > 1.0) r1 = 1.0 - r1, r2 = 1.0 - r2;
        const glm::vec3 a = m.positions[m.indices[3 * t]], b = m.positions[m.indices[3 * t + 1]], c = m.positions[m.indices[3 * t + 2]];
        positions.push_back(a + float(r1) * (b - a) + float(r2) * (c - a));
        const glm::vec3 n = glm::cross(b - a, c - a);
        const float len = glm::length(n);
        normals.push_back(len > 0.0f ? n / len : glm::vec3(0, 1, 0));
    }
    std::vector<glm::vec3> colours(positions.size(), glm::vec3(0.8f));
    if (colour) colour(positions, colours);
    return flatSplats(positions, normals, colours, float(std::sqrt(total / double(count))));
}

} // namespace kiln::geometry
