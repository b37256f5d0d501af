#include "geometry/mesh_cleanup.h"

#include "core/error.h"
#include "core/mesh_topology.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln::geometry {

namespace {

void checkMesh(const core::Mesh& mesh, const char* what) {
    if (mesh.indices.size() % 3 != 0) throw Error(std::string(what) + ": index count is not a multiple of 3");
    const std::size_t n = mesh.positions.size();
    for (std::uint32_t i : mesh.indices)
        if (i >= n) throw Error(std::string(what) + ": vertex index " + std::to_string(i) + " out of range (" + std::to_string(n) + " vertices)");
    for (const auto& p : mesh.positions)
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z))
            throw Error(std::string(what) + ": vertex position is not finite");
}

struct PositionKey {
    std::uint32_t x, y, z;
    bool operator==(const PositionKey&) const = default;
};
struct PositionKeyHash {
    std::size_t operator()(const PositionKey& k) const {
        std::uint64_t h = k.x * 0x9E3779B97F4A7C15ull;
        h ^= (k.y + 0x7F4A7C15ull + (h << 6) + (h >> 2)) * 0xBF58476D1CE4E5B9ull;
        h ^= (k.z + 0x94D049BBull + (h << 6) + (h >> 2)) * 0x94D049BB133111EBull;
        return std::size_t(h ^ (h >> 31));
    }
};

// For every vertex, the first vertex with exactly the same position.
std::vector<std::uint32_t> positionIds(const core::Mesh& mesh) { return core::firstAtSamePosition(mesh.positions); }

bool zeroArea(const glm::vec3& a, const glm::vec3& b, const glm::vec3& c) {
    const glm::dvec3 pa(a), pb(b), pc(c);
    const double longest = std::max({glm::dot(pb - pa, pb - pa), glm::dot(pc - pb, pc - pb), glm::dot(pa - pc, pa - pc)});
    return glm::length(glm::cross(pb - pa, pc - pa)) <= 1e-12 * longest;
}

// Index ranges to process: the submeshes, or the whole buffer when there are none.
std::vector<core::Submesh> ranges(const core::Mesh& mesh) {
    if (!mesh.submeshes.empty()) return mesh.submeshes;
    core::Submesh all;
    all.indexCount = std::uint32_t(mesh.indices.size());
    all.vertexCount = std::uint32_t(mesh.positions.size());
    return {all};
}

// A copy of `mesh` keeping the faces whose flag is set (faces numbered by index-buffer position).
core::Mesh keepFaces(const core::Mesh& mesh, const std::vector<char>& keep) {
    core::Mesh out = mesh;
    out.indices.clear();
    out.submeshes.clear();
    for (core::Submesh s : ranges(mesh)) {
        const std::uint32_t first = std::uint32_t(out.indices.size());
        for (std::uint32_t i = s.firstIndex; i + 3 <= s.firstIndex + s.indexCount; i += 3)
            if (keep[i / 3]) out.indices.insert(out.indices.end(), mesh.indices.begin() + i, mesh.indices.begin() + i + 3);
        s.firstIndex = first;
        s.indexCount = std::uint32_t(out.indices.size()) - first;
        if (s.indexCount > 0 || mesh.submeshes.empty()) out.submeshes.push_back(s);
    }
    if (out.indices.empty()) out.submeshes.clear();
    return out;
}

} // namespace

MeshReport analyse(const core::Mesh& mesh) {
    checkMesh(mesh, "mesh analysis");
    MeshReport r;
    r.vertices = mesh.positions.size();
    r.triangles = mesh.triangleCount();
    const std::vector<std::uint32_t> ids = positionIds(mesh);
    for (std::size_t f = 0; f < r.triangles; ++f) {
        const std::uint32_t v[3] = {ids[mesh.indices[3 * f]], ids[mesh.indices[3 * f + 1]], ids[mesh.indices[3 * f + 2]]};
        const glm::vec3 &a = mesh.positions[v[0]], &b = mesh.positions[v[1]], &c = mesh.positions[v[2]];
        const glm::dvec3 cr = glm::cross(glm::dvec3(b) - glm::dvec3(a), glm::dvec3(c) - glm::dvec3(a));
        r.area += 0.5 * glm::length(cr);
        // Divergence theorem: the signed tetrahedra (origin, a, b, c) sum to the enclosed volume.
        r.volume += glm::dot(glm::dvec3(a), cr) / 6.0;
        if (v[0] == v[1] || v[1] == v[2] || v[2] == v[0] || zeroArea(a, b, c)) ++r.degenerateFaces;
    }
    // Zero-area faces with three distinct vertices still count their edges here.
    const core::MeshTopology topology = core::measureTopology(mesh, ids);
    r.boundaryEdges = topology.boundaryEdges;
    r.nonManifoldEdges = topology.nonManifoldEdges;
    r.inconsistentEdges = topology.inconsistentEdges;
    r.components = topology.components;
    r.watertight = r.triangles > 0 && r.boundaryEdges == 0 && r.nonManifoldEdges == 0;
    return r;
}

core::Mesh removeUnusedVertices(const core::Mesh& mesh) {
    checkMesh(mesh, "mesh cleanup");
    std::vector<std::uint32_t> remap(mesh.positions.size(), std::numeric_limits<std::uint32_t>::max());
    for (std::uint32_t i : mesh.indices) remap[i] = 0;
    std::uint32_t next = 0;
    for (auto& r : remap)
        if (r == 0) r = next++;
    core::Mesh out;
    out.materials = mesh.materials;
    out.textures = mesh.textures;
    auto copy = [&](const auto& src, auto& dst) {
        if (src.empty()) return;
        dst.resize(next);
        for (std::size_t i = 0; i < remap.size(); ++i)
            if (remap[i] != std::numeric_limits<std::uint32_t>::max()) dst[remap[i]] = src[i];
    };
    copy(mesh.positions, out.positions);
    copy(mesh.normals, out.normals);
    copy(mesh.uv0, out.uv0);
    copy(mesh.uv1, out.uv1);
    copy(mesh.colors, out.colors);
    out.indices.resize(mesh.indices.size());
    for (std::size_t i = 0; i < mesh.indices.size(); ++i) out.indices[i] = remap[mesh.indices[i]];
    out.submeshes = mesh.submeshes;
    if (out.submeshes.empty() && !out.indices.empty()) out.submeshes = ranges(out);
    for (auto& s : out.submeshes) {
        std::uint32_t lo = std::numeric_limits<std::uint32_t>::max(), hi = 0;
        for (std::uint32_t i = s.firstIndex; i < s.firstIndex + s.indexCount; ++i) {
            lo = std::min(lo, out.indices[i]);
            hi = std::max(hi, out.indices[i]);
        }
        s.firstVertex = s.indexCount ? lo : 0;
        s.vertexCount = s.indexCount ? hi - lo + 1 : 0;
    }
    return out;
}

core::Mesh weldVertices(const core::Mesh& mesh, float epsilon) {
    checkMesh(mesh, "vertex welding");
    if (!(epsilon >= 0.0f) || !std::isfinite(epsilon)) throw Error("vertex welding: epsilon must be a finite value >= 0");
    const std::size_t n = mesh.positions.size();
    std::vector<std::uint32_t> rep;
    if (epsilon == 0.0f) {
        rep = positionIds(mesh);
    } else {
        // Uniform grid of cell size epsilon: a vertex's cluster representative lies in one of the 27
        // cells around it. Representatives are the first vertex of each cluster in input order.
        rep.resize(n);
        std::unordered_map<PositionKey, std::vector<std::uint32_t>, PositionKeyHash> cells;
        const float eps2 = epsilon * epsilon;
        auto cellOf = [&](const glm::vec3& p) { return glm::ivec3(glm::floor(p / epsilon)); };
        for (std::size_t i = 0; i < n; ++i) {
            const glm::vec3& p = mesh.positions[i];
            const glm::ivec3 c = cellOf(p);
            std::uint32_t found = std::uint32_t(i);
            for (int dz = -1; dz <= 1 && found == i; ++dz)
                for (int dy = -1; dy <= 1 && found == i; ++dy)
                    for (int dx = -1; dx <= 1 && found == i; ++dx) {
                        auto it = cells.find(PositionKey{std::uint32_t(c.x + dx), std::uint32_t(c.y + dy), std::uint32_t(c.z + dz)});
                        if (it == cells.end()) continue;
                        for (std::uint32_t r : it->second) {
                            const glm::vec3 d = mesh.positions[r] - p;
                            if (glm::dot(d, d) <= eps2) {
                                found = r;
                                break;
                            }
                        }
                    }
            rep[i] = found;
            if (found == i) cells[PositionKey{std::uint32_t(c.x), std::uint32_t(c.y), std::uint32_t(c.z)}].push_back(std::uint32_t(i));
        }
    }
    core::Mesh out = mesh;
    if (!mesh.normals.empty()) {
        std::vector<glm::vec3> sum(n, glm::vec3(0.0f));
        for (std::size_t i = 0; i < n; ++i) sum[rep[i]] += mesh.normals[i];
        for (std::size_t i = 0; i < n; ++i)
            if (rep[i] == i) out.normals[i] = glm::length(sum[i]) > 0.0f ? glm::normalize(sum[i]) : mesh.normals[i];
    }
    if (!mesh.colors.empty()) {
        std::vector<glm::vec4> sum(n, glm::vec4(0.0f));
        std::vector<float> count(n, 0.0f);
        for (std::size_t i = 0; i < n; ++i) {
            sum[rep[i]] += mesh.colors[i];
            count[rep[i]] += 1.0f;
        }
        for (std::size_t i = 0; i < n; ++i)
            if (rep[i] == i) out.colors[i] = sum[i] / count[i];
    }
    for (auto& idx : out.indices) idx = rep[idx];
    return removeUnusedVertices(out);
}

core::Mesh removeDegenerateFaces(const core::Mesh& mesh) {
    checkMesh(mesh, "mesh cleanup");
    std::vector<char> keep(mesh.triangleCount(), 1);
    for (std::size_t f = 0; f < keep.size(); ++f) {
        const std::uint32_t a = mesh.indices[3 * f], b = mesh.indices[3 * f + 1], c = mesh.indices[3 * f + 2];
        if (a == b || b == c || c == a || zeroArea(mesh.positions[a], mesh.positions[b], mesh.positions[c])) keep[f] = 0;
    }
    return removeUnusedVertices(keepFaces(mesh, keep));
}

core::Mesh removeSmallComponents(const core::Mesh& mesh, float minFraction) {
    checkMesh(mesh, "mesh cleanup");
    if (!(minFraction >= 0.0f && minFraction <= 1.0f)) throw Error("mesh cleanup: component fraction must be in [0, 1]");
    const std::vector<std::uint32_t> faceRoot = core::faceComponents(mesh, positionIds(mesh));
    const std::size_t faces = faceRoot.size();
    std::vector<std::uint32_t> size(mesh.positions.size(), 0);
    for (std::size_t f = 0; f < faces; ++f) ++size[faceRoot[f]];
    const std::uint32_t largest = size.empty() ? 0 : *std::max_element(size.begin(), size.end());
    std::vector<char> keep(faces);
    for (std::size_t f = 0; f < faces; ++f) keep[f] = double(size[faceRoot[f]]) >= double(minFraction) * double(largest);
    return removeUnusedVertices(keepFaces(mesh, keep));
}

core::Mesh cleanupMesh(const core::Mesh& mesh, const CleanupOptions& options) {
    core::Mesh out = weldVertices(mesh, options.weldEpsilon);
    if (options.removeDegenerate) out = removeDegenerateFaces(out);
    if (options.minComponentFraction > 0.0f) out = removeSmallComponents(out, options.minComponentFraction);
    return removeUnusedVertices(out);
}

} // namespace kiln::geometry
