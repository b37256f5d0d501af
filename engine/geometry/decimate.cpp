#include "geometry/decimate.h"

#include "core/error.h"
#include "geometry/mesh_cleanup.h"

#include <meshoptimizer.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace kiln::geometry {

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
    for (core::Submesh part : parts) {
        const std::size_t count = part.indexCount / 3;
        if (count == 0) continue;
        const std::size_t target = std::max<std::size_t>(1, std::size_t(std::llround(double(targetTriangles) * double(count) / double(total))));
        scratch.resize(part.indexCount);
        const unsigned int* src = mesh.indices.data() + part.firstIndex;
        // The error bound is relative to the mesh extent; 1 means "stop at the target count only".
        const std::size_t kept = meshopt_simplify(scratch.data(), src, part.indexCount, &mesh.positions[0].x, mesh.positions.size(),
                                                  sizeof(glm::vec3), target * 3, maxError, 0, nullptr);
        part.firstIndex = std::uint32_t(out.indices.size());
        part.indexCount = std::uint32_t(kept);
        out.indices.insert(out.indices.end(), scratch.begin(), scratch.begin() + std::ptrdiff_t(kept));
        if (kept > 0) out.submeshes.push_back(part);
    }
    if (out.indices.empty()) throw Error("decimate: simplification removed every triangle");
    return removeUnusedVertices(out);
}

} // namespace kiln::geometry
