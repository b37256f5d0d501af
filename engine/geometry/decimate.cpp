#include "geometry/decimate.h"

#include "core/error.h"
#include "geometry/mesh_cleanup.h"

#include <meshoptimizer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace kiln::geometry {

namespace {

// Where a thin part collapses (a board or a wall a voxel or two thick), simplification can leave a
// face and its reverse over the same three vertices: a fin that encloses nothing and puts four
// faces on its edges. Such pairs (and exact repeats) are dropped from `tris` (the first `count`
// indices); returns how many indices remain. `canonical` is core::firstAtSamePosition of the
// positions, so vertices compare as analyse() sees them.
std::size_t dropCancellingFaces(std::vector<unsigned int>& tris, std::size_t count, const std::vector<std::uint32_t>& canonical) {
    // Faces keyed by their sorted vertices; the winding's parity tells a face from its reverse.
    std::map<std::array<unsigned int, 3>, std::vector<std::size_t>> faces;
    for (std::size_t f = 0; f < count / 3; ++f) {
        std::array<unsigned int, 3> k{canonical[tris[3 * f]], canonical[tris[3 * f + 1]], canonical[tris[3 * f + 2]]};
        if (k[0] == k[1] || k[1] == k[2] || k[0] == k[2]) continue;
        std::sort(k.begin(), k.end());
        faces[k].push_back(f);
    }
    std::vector<std::uint8_t> drop(count / 3, 0);
    bool any = false;
    for (const auto& [key, list] : faces) {
        if (list.size() < 2) continue;
        // Winding parity: whether the face lists its smallest vertex followed by the middle one.
        std::vector<std::size_t> forward, backward;
        for (const std::size_t f : list) {
            const unsigned int a = canonical[tris[3 * f]], b = canonical[tris[3 * f + 1]], c = canonical[tris[3 * f + 2]];
            const bool even = (a == key[0] && b == key[1]) || (b == key[0] && c == key[1]) || (c == key[0] && a == key[1]);
            (even ? forward : backward).push_back(f);
        }
        // Opposite faces cancel in pairs; of faces repeated the same way round, one stays.
        const std::size_t pairs = std::min(forward.size(), backward.size());
        for (std::size_t i = 0; i < pairs; ++i) drop[forward[i]] = drop[backward[i]] = 1;
        for (std::size_t i = pairs + 1; i < forward.size(); ++i) drop[forward[i]] = 1;
        for (std::size_t i = pairs + 1; i < backward.size(); ++i) drop[backward[i]] = 1;
        any = true;
    }
    if (!any) return count;
    std::size_t kept = 0;
    for (std::size_t f = 0; f < count / 3; ++f) {
        if (drop[f]) continue;
        for (int c = 0; c < 3; ++c) tris[kept + std::size_t(c)] = tris[3 * f + std::size_t(c)];
        kept += 3;
    }
    return kept;
}

} // namespace

core::Mesh decimate(const core::Mesh& mesh, std::size_t targetTriangles, float maxError) {
    if (targetTriangles == 0) throw Error("decimate: target triangle count must be at least 1");
    mesh.validate("decimate");
    const std::size_t total = mesh.triangleCount();
    if (targetTriangles >= total) return mesh;

    // meshoptimizer 0.18 (Debian 12) has no meshopt_simplifyWithAttributes: positions drive the
    // collapses and the attributes follow the surviving vertices.
    core::Mesh out = mesh;
    out.indices.clear();
    out.submeshes.clear();
    std::vector<core::Submesh> parts = mesh.submeshes;
    if (parts.empty()) parts.push_back(core::Submesh{"", 0, std::uint32_t(mesh.indices.size()), 0, std::uint32_t(mesh.positions.size()), -1});
    std::vector<unsigned int> scratch;
    std::vector<std::uint32_t> canonical;
    for (core::Submesh part : parts) {
        const std::size_t count = part.indexCount / 3;
        if (count == 0) continue;
        const std::size_t target = std::max<std::size_t>(1, std::size_t(std::llround(double(targetTriangles) * double(count) / double(total))));
        scratch.resize(part.indexCount);
        const unsigned int* src = mesh.indices.data() + part.firstIndex;
        // The error bound is relative to the mesh extent; 1 means "stop at the target count only".
        const std::size_t simplified = meshopt_simplify(scratch.data(), src, part.indexCount, &mesh.positions[0].x, mesh.positions.size(),
                                                  sizeof(glm::vec3), target * 3, maxError, 0, nullptr);
        if (canonical.empty()) canonical = core::firstAtSamePosition(mesh.positions);
        const std::size_t kept = dropCancellingFaces(scratch, simplified, canonical);
        part.firstIndex = std::uint32_t(out.indices.size());
        part.indexCount = std::uint32_t(kept);
        out.indices.insert(out.indices.end(), scratch.begin(), scratch.begin() + std::ptrdiff_t(kept));
        if (kept > 0) out.submeshes.push_back(part);
    }
    if (out.indices.empty()) throw Error("decimate: simplification removed every triangle");
    return removeUnusedVertices(out);
}

} // namespace kiln::geometry
