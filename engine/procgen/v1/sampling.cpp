// Surface sampling and splat initialisation from procedural meshes.
#include "procgen/v1/procgen.h"

#include "core/color.h"
#include "core/error.h"
#include "mesh_builder.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::procgen::v1 {

namespace {

struct TriangleAreas {
    std::vector<double> cumulative;  // cumulative[t] = area of triangles [0, t]
    double total = 0.0;
};

TriangleAreas triangleAreas(const core::Mesh& mesh) {
    TriangleAreas a;
    a.cumulative.reserve(mesh.triangleCount());
    for (std::size_t t = 0; t < mesh.triangleCount(); ++t) {
        const glm::dvec3 p0 = mesh.positions[mesh.indices[3 * t]];
        const glm::dvec3 p1 = mesh.positions[mesh.indices[3 * t + 1]];
        const glm::dvec3 p2 = mesh.positions[mesh.indices[3 * t + 2]];
        const double area = 0.5 * glm::length(glm::cross(p1 - p0, p2 - p0));
        a.total += std::isfinite(area) ? area : 0.0;
        a.cumulative.push_back(a.total);
    }
    return a;
}

double unitFromHash(std::uint64_t h) { return double(h >> 11) * (1.0 / 9007199254740992.0); }

} // namespace

SurfaceSample sampleSurface(const core::Mesh& mesh, int count, std::uint64_t seed) {
    if (count < 0) throw Error("sampleSurface: sample count " + std::to_string(count) + " is negative");
    for (std::uint32_t i : mesh.indices)
        if (i >= mesh.positions.size()) throw Error("sampleSurface: vertex index " + std::to_string(i) + " is out of range");
    if (mesh.indices.size() % 3 != 0) throw Error("sampleSurface: index count is not a multiple of 3");
    if ((!mesh.normals.empty() && mesh.normals.size() != mesh.positions.size()) ||
        (!mesh.colors.empty() && mesh.colors.size() != mesh.positions.size()))
        throw Error("sampleSurface: attribute arrays disagree with the position count");
    SurfaceSample out;
    if (count == 0) return out;
    const TriangleAreas areas = triangleAreas(mesh);
    if (!(areas.total > 0.0)) throw Error("sampleSurface: the mesh has no surface area");
    out.positions.reserve(std::size_t(count));
    out.normals.reserve(std::size_t(count));
    out.colours.reserve(std::size_t(count));
    const double offset = unitFromHash(detail::mix64(seed ^ 0x51A7u));
    const double phase = unitFromHash(detail::mix64(seed ^ 0xC0FFEEu));
    // 1/phi: the golden-ratio sequence frac(phase + i / phi) fills [0, 1) evenly for any prefix.
    const double invPhi = 0.6180339887498949;
    const bool hasNormals = !mesh.normals.empty(), hasColours = !mesh.colors.empty();
    glm::vec3 fallbackColour(1.0f);
    if (!mesh.materials.empty()) fallbackColour = glm::vec3(mesh.materials.front().baseColorFactor);
    std::size_t t = 0;
    for (int i = 0; i < count; ++i) {
        // Systematic sampling of the cumulative area: sample i sits at (i + offset) / count of it.
        const double s = (double(i) + offset) / double(count) * areas.total;
        while (t + 1 < areas.cumulative.size() && areas.cumulative[t] <= s) ++t;
        const double start = t > 0 ? areas.cumulative[t - 1] : 0.0;
        const double width = areas.cumulative[t] - start;
        const double u = width > 0.0 ? std::clamp((s - start) / width, 0.0, 1.0) : 0.5;
        const double v = std::fmod(phase + double(i) * invPhi, 1.0);
        // Uniform point in a triangle from two uniforms (Osada et al. 2002, eq. 1).
        const double su = std::sqrt(u);
        const float b0 = float(1.0 - su), b1 = float(su * (1.0 - v)), b2 = float(su * v);
        const std::uint32_t i0 = mesh.indices[3 * t], i1 = mesh.indices[3 * t + 1], i2 = mesh.indices[3 * t + 2];
        const glm::vec3 &p0 = mesh.positions[i0], &p1 = mesh.positions[i1], &p2 = mesh.positions[i2];
        // Written relative to the first corner so equal corner colours give that colour exactly.
        out.positions.push_back(p0 + b1 * (p1 - p0) + b2 * (p2 - p0));
        glm::vec3 n = glm::cross(p1 - p0, p2 - p0);
        const float len = glm::length(n);
        n = len > 0.0f ? n / len : glm::vec3(0, 1, 0);
        if (hasNormals && glm::dot(n, b0 * mesh.normals[i0] + b1 * mesh.normals[i1] + b2 * mesh.normals[i2]) < 0.0f) n = -n;
        out.normals.push_back(n);
        if (hasColours) {
            const glm::vec3 c0(mesh.colors[i0]), c1(mesh.colors[i1]), c2(mesh.colors[i2]);
            out.colours.push_back(c0 + b1 * (c1 - c0) + b2 * (c2 - c0));
        } else {
            out.colours.push_back(fallbackColour);
        }
    }
    return out;
}

core::GaussianCloud sampleSplats(const core::Mesh& mesh, int count, std::uint64_t seed) {
    if (count <= 0) throw Error("sampleSplats: splat count must be positive, not " + std::to_string(count));
    const SurfaceSample s = sampleSurface(mesh, count, seed);
    const double area = triangleAreas(mesh).total;
    const float spacing = float(std::sqrt(area / double(count)));
    const float tangent = std::log(spacing), normal = std::log(std::max(spacing / 20.0f, 1e-6f));
    const float opacity = std::log(0.95f / 0.05f);  // logit(0.95)
    core::GaussianCloud cloud;
    cloud.resize(std::size_t(count), 0);
    for (std::size_t i = 0; i < std::size_t(count); ++i) {
        cloud.positions[i] = s.positions[i];
        cloud.logScales[i] = glm::vec3(tangent, tangent, normal);
        // Shortest-arc rotation taking local +Z to the normal: q = (1 + z.n, z x n), normalised.
        const glm::vec3 n = s.normals[i];
        glm::vec4 q(1.0f + n.z, -n.y, n.x, 0.0f);
        if (q.x < 1e-6f) q = glm::vec4(0.0f, 1.0f, 0.0f, 0.0f);  // n = -Z: half turn about X
        cloud.rotations[i] = glm::normalize(q);
        cloud.opacityLogits[i] = opacity;
        // Splat colours are display values (the 3DGS convention: fitted to sRGB photos), so the
        // linear vertex colour is sRGB-encoded first (IEC 61966-2-1).
        for (int c = 0; c < 3; ++c) {
            cloud.sh[i * 3 + std::size_t(c)] = (core::srgbFromLinear(s.colours[i][c]) - 0.5f) / core::kShC0;
        }
    }
    cloud.validate("sampleSplats");
    return cloud;
}

} // namespace kiln::procgen::v1
