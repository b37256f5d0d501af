#include "core/mesh_topology.h"

#include <algorithm>
#include <numeric>

namespace kiln::core {

namespace {

struct UnionFind {
    std::vector<std::uint32_t> parent;
    explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
    std::uint32_t find(std::uint32_t a) {
        while (parent[a] != a) a = parent[a] = parent[parent[a]];
        return a;
    }
    void unite(std::uint32_t a, std::uint32_t b) {
        a = find(a);
        b = find(b);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
};

// One face's use of an undirected edge, and which way the face traverses it.
struct EdgeUse {
    std::uint64_t key;  // lower vertex in the high half
    bool forward;       // the face goes from the lower vertex to the higher one
    bool operator<(const EdgeUse& o) const { return key < o.key || (key == o.key && forward < o.forward); }
};

} // namespace

std::vector<std::uint32_t> faceComponents(const Mesh& mesh, std::span<const std::uint32_t> welded) {
    UnionFind uf(mesh.positions.size());
    const std::size_t faces = mesh.triangleCount();
    for (std::size_t f = 0; f < faces; ++f) {
        uf.unite(welded[mesh.indices[3 * f]], welded[mesh.indices[3 * f + 1]]);
        uf.unite(welded[mesh.indices[3 * f + 1]], welded[mesh.indices[3 * f + 2]]);
    }
    std::vector<std::uint32_t> label(faces);
    for (std::size_t f = 0; f < faces; ++f) label[f] = uf.find(welded[mesh.indices[3 * f]]);
    return label;
}

MeshTopology measureTopology(const Mesh& mesh, std::span<const std::uint32_t> welded, std::span<const std::uint8_t> edgeless) {
    MeshTopology t;
    for (std::size_t v = 0; v < welded.size(); ++v) t.weldedVertices += welded[v] == v;

    const std::size_t faces = mesh.triangleCount();
    std::vector<EdgeUse> uses;
    uses.reserve(faces * 3);
    for (std::size_t f = 0; f < faces; ++f) {
        const std::uint32_t w[3] = {welded[mesh.indices[3 * f]], welded[mesh.indices[3 * f + 1]], welded[mesh.indices[3 * f + 2]]};
        if (w[0] == w[1] || w[1] == w[2] || w[2] == w[0] || (!edgeless.empty() && edgeless[f])) continue;
        for (int k = 0; k < 3; ++k) {
            const std::uint32_t p = w[k], q = w[(k + 1) % 3];
            uses.push_back({std::uint64_t(std::min(p, q)) << 32 | std::max(p, q), p < q});
        }
    }
    std::sort(uses.begin(), uses.end());

    UnionFind borders(mesh.positions.size());
    std::vector<std::uint8_t> onBorder(mesh.positions.size(), 0);
    for (std::size_t i = 0; i < uses.size();) {
        std::size_t j = i;
        while (j < uses.size() && uses[j].key == uses[i].key) ++j;
        const std::size_t count = j - i;
        if (count == 1) {
            ++t.boundaryEdges;
            const auto p = std::uint32_t(uses[i].key >> 32), q = std::uint32_t(uses[i].key);
            borders.unite(p, q);
            onBorder[p] = onBorder[q] = 1;
        } else if (count > 2) {
            ++t.nonManifoldEdges;
        } else if (uses[i].forward == uses[i + 1].forward) {
            ++t.inconsistentEdges;
        }
        i = j;
    }
    for (std::uint32_t v = 0; v < onBorder.size(); ++v)
        if (onBorder[v] && borders.find(v) == v) ++t.holes;

    std::vector<std::uint32_t> labels = faceComponents(mesh, welded);
    std::sort(labels.begin(), labels.end());
    t.components = std::size_t(std::unique(labels.begin(), labels.end()) - labels.begin());
    return t;
}

} // namespace kiln::core
