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

core::Mesh splitNonManifold(const core::Mesh& mesh, float offset, std::size_t* addedVertices) {
    checkMesh(mesh, "non-manifold split");
    if (addedVertices) *addedVertices = 0;
    if (!(offset > 0.0f) || !std::isfinite(offset)) throw Error("non-manifold split: the offset must be positive");
    const std::size_t faces = mesh.triangleCount();
    const std::vector<std::uint32_t> ids = positionIds(mesh);
    auto welded = [&](std::size_t f, int c) { return ids[mesh.indices[3 * f + std::size_t(c)]]; };
    auto degenerate = [&](std::size_t f) { return welded(f, 0) == welded(f, 1) || welded(f, 1) == welded(f, 2) || welded(f, 0) == welded(f, 2); };
    auto edgeKey = [](std::uint32_t a, std::uint32_t b) { return (std::uint64_t(std::min(a, b)) << 32) | std::max(a, b); };
    auto faceNormal = [&](std::size_t f) {
        const glm::dvec3 a(mesh.positions[welded(f, 0)]), b(mesh.positions[welded(f, 1)]), c(mesh.positions[welded(f, 2)]);
        return glm::cross(b - a, c - a);
    };
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> edges;
    for (std::size_t f = 0; f < faces; ++f) {
        if (degenerate(f)) continue;
        for (int c = 0; c < 3; ++c) edges[edgeKey(welded(f, c), welded(f, (c + 1) % 3))].push_back(std::uint32_t(f));
    }
    // Each non-manifold edge's faces paired across the solid between them: sorted by angle around
    // the edge, each face's winding says whether the solid follows it (its outward normal points
    // against the direction the angle grows in) or precedes it.
    struct Split {
        std::uint32_t a, b;      // the edge's welded ends
        std::uint32_t f0, f1;    // the pair whose faces are split
    };
    std::vector<Split> splits;
    std::vector<std::uint8_t> splitFace(faces, 0);
    for (const auto& [key, list] : edges) {
        if (list.size() <= 2) continue;
        if (list.size() % 2 != 0) return mesh;
        const std::uint32_t a = std::uint32_t(key >> 32), b = std::uint32_t(key & 0xFFFFFFFFu);
        const glm::dvec3 pa(mesh.positions[a]);
        glm::dvec3 e = glm::dvec3(mesh.positions[b]) - pa;
        if (glm::length(e) <= 0.0) return mesh;
        e = glm::normalize(e);
        const glm::dvec3 x = glm::normalize(glm::cross(e, std::abs(e.x) < 0.9 ? glm::dvec3(1, 0, 0) : glm::dvec3(0, 1, 0)));
        const glm::dvec3 y = glm::cross(e, x);
        struct Around {
            double angle;
            std::uint32_t face;
            bool solidAfter;
        };
        std::vector<Around> around;
        for (const std::uint32_t f : list) {
            std::uint32_t third = welded(f, 0);
            for (int c = 0; c < 3; ++c)
                if (welded(f, c) != a && welded(f, c) != b) third = welded(f, c);
            glm::dvec3 v = glm::dvec3(mesh.positions[third]) - pa;
            v -= glm::dot(v, e) * e;
            around.push_back({std::atan2(glm::dot(v, y), glm::dot(v, x)), f, glm::dot(faceNormal(f), glm::cross(e, v)) < 0.0});
        }
        std::sort(around.begin(), around.end(), [](const Around& l, const Around& r) { return l.angle < r.angle; });
        bool kept = false;  // the first pair keeps the edge
        for (std::size_t i = 0; i < around.size(); ++i) {
            const Around& next = around[(i + 1) % around.size()];
            if (around[i].solidAfter == next.solidAfter) return mesh;  // solid and empty sectors must alternate
            if (!around[i].solidAfter) continue;
            if (!kept) {
                kept = true;
                continue;
            }
            // A face split for two edges would need its halves split again: left as it is.
            if (splitFace[around[i].face] || splitFace[next.face]) return mesh;
            splitFace[around[i].face] = splitFace[next.face] = 1;
            splits.push_back({a, b, around[i].face, next.face});
        }
    }
    if (splits.empty()) return mesh;
    if (mesh.submeshes.size() > 1) return mesh;  // new faces and vertices would fall outside the submeshes' ranges
    core::Mesh out = mesh;
    std::vector<std::uint32_t> added;  // the faces that replace split ones, appended after the rest
    for (const Split& sp : splits) {
        // The new vertex: the edge's midpoint (attributes of the first face's corners averaged),
        // moved into the solid between the pair's faces (against their summed normals).
        std::uint32_t ia = 0, ib = 0;
        for (int c = 0; c < 3; ++c) {
            if (welded(sp.f0, c) == sp.a) ia = mesh.indices[3 * std::size_t(sp.f0) + std::size_t(c)];
            if (welded(sp.f0, c) == sp.b) ib = mesh.indices[3 * std::size_t(sp.f0) + std::size_t(c)];
        }
        const glm::dvec3 n = faceNormal(sp.f0) + faceNormal(sp.f1);
        const glm::vec3 step = glm::length(n) > 0.0 ? glm::vec3(-glm::normalize(n)) * offset : glm::vec3(0.0f);
        const auto m = std::uint32_t(out.positions.size());
        out.positions.push_back((mesh.positions[ia] + mesh.positions[ib]) * 0.5f + step);
        if (!out.normals.empty()) {
            const glm::vec3 sum = mesh.normals[ia] + mesh.normals[ib];
            out.normals.push_back(glm::length(sum) > 0.0f ? glm::normalize(sum) : mesh.normals[ia]);
        }
        if (!out.uv0.empty()) out.uv0.push_back((mesh.uv0[ia] + mesh.uv0[ib]) * 0.5f);
        if (!out.uv1.empty()) out.uv1.push_back((mesh.uv1[ia] + mesh.uv1[ib]) * 0.5f);
        if (!out.colors.empty()) out.colors.push_back((mesh.colors[ia] + mesh.colors[ib]) * 0.5f);
        for (const std::uint32_t f : {sp.f0, sp.f1}) {
            // Corners (p, q, r) with (p, q) the edge, in the face's winding: (p, m, r) and (m, q, r).
            const std::uint32_t* v = &mesh.indices[3 * std::size_t(f)];
            int i = 0;
            while (!((welded(f, i) == sp.a && welded(f, (i + 1) % 3) == sp.b) || (welded(f, i) == sp.b && welded(f, (i + 1) % 3) == sp.a))) ++i;
            const std::uint32_t p = v[i], q = v[(i + 1) % 3], r = v[(i + 2) % 3];
            added.insert(added.end(), {p, m, r, m, q, r});
        }
    }
    out.indices.clear();
    for (std::size_t f = 0; f < faces; ++f)
        if (!splitFace[f]) out.indices.insert(out.indices.end(), mesh.indices.begin() + std::ptrdiff_t(3 * f), mesh.indices.begin() + std::ptrdiff_t(3 * f + 3));
    out.indices.insert(out.indices.end(), added.begin(), added.end());
    if (!out.submeshes.empty()) {
        out.submeshes[0].firstIndex = 0;
        out.submeshes[0].indexCount = std::uint32_t(out.indices.size());
        out.submeshes[0].firstVertex = 0;
        out.submeshes[0].vertexCount = std::uint32_t(out.positions.size());
    }
    if (addedVertices) *addedVertices = splits.size();
    return out;
}
} // namespace kiln::geometry
