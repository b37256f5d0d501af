#include "geometry/mesh_regions.h"

#include "core/error.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::geometry {

namespace {

// Dinic's maximum flow on a graph of a few hundred thousand nodes: level graph by breadth-first
// search, blocking flow by an iterative depth-first search with current-arc pointers (a path may
// run the length of the mesh, too deep for recursion).
class MaxFlow {
public:
    explicit MaxFlow(std::size_t nodes) : m_first(nodes, -1) {}
    void add(std::uint32_t u, std::uint32_t v, double forward, double backward) {
        m_edges.push_back({v, m_first[u], forward});
        m_first[u] = int(m_edges.size()) - 1;
        m_edges.push_back({u, m_first[v], backward});
        m_first[v] = int(m_edges.size()) - 1;
    }
    // Runs to the maximum flow; returns, per node, whether it stays reachable from `s` (its side of
    // the minimum cut).
    std::vector<std::uint8_t> cut(std::uint32_t s, std::uint32_t t) {
        const std::size_t n = m_first.size();
        std::vector<int> level(n), arc(n), queue(n);
        std::vector<int> path;  // edge indices from s
        for (;;) {
            std::fill(level.begin(), level.end(), -1);
            std::size_t head = 0, tail = 0;
            level[s] = 0, queue[tail++] = int(s);
            while (head < tail) {
                const int u = queue[head++];
                for (int e = m_first[std::size_t(u)]; e >= 0; e = m_edges[std::size_t(e)].next)
                    if (m_edges[std::size_t(e)].cap > kEps && level[m_edges[std::size_t(e)].to] < 0) {
                        level[m_edges[std::size_t(e)].to] = level[std::size_t(u)] + 1;
                        queue[tail++] = int(m_edges[std::size_t(e)].to);
                    }
            }
            if (level[t] < 0) break;
            for (std::size_t u = 0; u < n; ++u) arc[u] = m_first[u];
            std::uint32_t u = s;
            path.clear();
            for (;;) {
                if (u == t) {
                    double f = std::numeric_limits<double>::max();
                    for (const int e : path) f = std::min(f, m_edges[std::size_t(e)].cap);
                    std::size_t back = path.size();
                    for (std::size_t i = 0; i < path.size(); ++i) {
                        Edge& e = m_edges[std::size_t(path[i])];
                        e.cap -= f, m_edges[std::size_t(path[i] ^ 1)].cap += f;
                        if (e.cap <= kEps && back == path.size()) back = i;
                    }
                    path.resize(back);  // back to the tail of the first saturated edge
                    u = path.empty() ? s : m_edges[std::size_t(path.back())].to;
                    continue;
                }
                int& e = arc[u];
                while (e >= 0 && !(m_edges[std::size_t(e)].cap > kEps && level[m_edges[std::size_t(e)].to] == level[u] + 1)) e = m_edges[std::size_t(e)].next;
                if (e >= 0) {
                    path.push_back(e);
                    u = m_edges[std::size_t(e)].to;
                    continue;
                }
                if (u == s) break;
                level[u] = -1;  // a dead end for this phase
                path.pop_back();
                u = path.empty() ? s : m_edges[std::size_t(path.back())].to;
                arc[u] = m_edges[std::size_t(arc[u])].next;
            }
        }
        std::vector<std::uint8_t> side(n, 0);
        std::size_t head = 0, tail = 0;
        side[s] = 1, queue[tail++] = int(s);
        while (head < tail) {
            const int u = queue[head++];
            for (int e = m_first[std::size_t(u)]; e >= 0; e = m_edges[std::size_t(e)].next)
                if (m_edges[std::size_t(e)].cap > kEps && !side[m_edges[std::size_t(e)].to]) side[m_edges[std::size_t(e)].to] = 1, queue[tail++] = int(m_edges[std::size_t(e)].to);
        }
        return side;
    }

private:
    static constexpr double kEps = 1e-12;
    struct Edge {
        std::uint32_t to;
        int next;
        double cap;
    };
    std::vector<int> m_first;
    std::vector<Edge> m_edges;
};

} // namespace

std::vector<FaceEdge> faceAdjacency(const core::Mesh& mesh) {
    // Corners at the same position are one vertex, so triangles on either side of a seam meet.
    const std::vector<std::uint32_t> id = core::firstAtSamePosition(mesh.positions);
    const std::size_t tris = mesh.triangleCount();
    std::vector<glm::vec3> normal(tris), centre(tris);
    for (std::size_t t = 0; t < tris; ++t) {
        const glm::vec3 a = mesh.positions[mesh.indices[3 * t]], b = mesh.positions[mesh.indices[3 * t + 1]], c = mesh.positions[mesh.indices[3 * t + 2]];
        centre[t] = (a + b + c) / 3.0f;
        const glm::vec3 n = glm::cross(b - a, c - a);
        const float len = glm::length(n);
        normal[t] = len > 0.0f ? n / len : glm::vec3(0.0f);
    }
    // Each triangle's three edges keyed by their two position ids; sorting brings a shared edge's
    // triangles together.
    struct Half {
        std::uint64_t key;
        std::uint32_t triangle;
        float length;
    };
    std::vector<Half> halves;
    halves.reserve(3 * tris);
    for (std::size_t t = 0; t < tris; ++t)
        for (int k = 0; k < 3; ++k) {
            const std::uint32_t v0 = mesh.indices[3 * t + std::size_t(k)], v1 = mesh.indices[3 * t + std::size_t((k + 1) % 3)];
            const std::uint32_t a = std::min(id[v0], id[v1]), b = std::max(id[v0], id[v1]);
            if (a != b) halves.push_back({(std::uint64_t(a) << 32) | b, std::uint32_t(t), glm::length(mesh.positions[v1] - mesh.positions[v0])});
        }
    std::sort(halves.begin(), halves.end(), [](const Half& x, const Half& y) { return x.key != y.key ? x.key < y.key : x.triangle < y.triangle; });
    std::vector<FaceEdge> out;
    for (std::size_t i = 0; i < halves.size();) {
        std::size_t j = i;
        while (j < halves.size() && halves[j].key == halves[i].key) ++j;
        for (std::size_t p = i; p < j; ++p)
            for (std::size_t q = p + 1; q < j; ++q) {
                if (halves[p].triangle == halves[q].triangle) continue;
                FaceEdge e;
                e.a = halves[p].triangle, e.b = halves[q].triangle;
                e.length = halves[p].length;
                const bool degenerate = glm::dot(normal[e.a], normal[e.a]) == 0.0f || glm::dot(normal[e.b], normal[e.b]) == 0.0f;
                e.cosAngle = degenerate ? 1.0f : std::clamp(glm::dot(normal[e.a], normal[e.b]), -1.0f, 1.0f);
                // A valley: each face's centre lies in front of the other's plane.
                e.concave = !degenerate && e.cosAngle < 1.0f - 1e-6f && glm::dot(normal[e.a], centre[e.b] - centre[e.a]) + glm::dot(normal[e.b], centre[e.a] - centre[e.b]) > 0.0f;
                out.push_back(e);
            }
        i = j;
    }
    return out;
}

std::vector<std::uint8_t> cutRegion(const core::Mesh& mesh, const std::vector<float>& inside, const RegionCutOptions& o) {
    const std::size_t tris = mesh.triangleCount();
    if (inside.size() != tris) throw Error("cutRegion: " + std::to_string(inside.size()) + " evidence values for " + std::to_string(tris) + " triangles");
    if (!(o.smoothness >= 0.0f) || !(o.crease > 0.0f) || !(o.convexity >= 0.0f)) throw Error("cutRegion: smoothness and convexity must be >= 0 and crease > 0");
    std::vector<double> area(tris);
    double totalArea = 0.0;
    for (std::size_t t = 0; t < tris; ++t) {
        const glm::vec3 a = mesh.positions[mesh.indices[3 * t]], b = mesh.positions[mesh.indices[3 * t + 1]], c = mesh.positions[mesh.indices[3 * t + 2]];
        area[t] = 0.5 * double(glm::length(glm::cross(b - a, c - a)));
        totalArea += area[t];
    }
    // No boundary cost, or no area to weigh the evidence by: each triangle by its own evidence.
    if (o.smoothness == 0.0f || !(totalArea > 0.0)) {
        std::vector<std::uint8_t> out(tris, 0);
        for (std::size_t t = 0; t < tris; ++t) out[t] = inside[t] > 0.5f;
        return out;
    }
    const std::vector<FaceEdge> edges = faceAdjacency(mesh);
    double totalLength = 0.0;
    for (const FaceEdge& e : edges) totalLength += double(e.length);
    const double meanArea = totalArea / double(tris);
    const double meanLength = edges.empty() ? 0.0 : totalLength / double(edges.size());
    const auto s = std::uint32_t(tris), sink = std::uint32_t(tris + 1);
    MaxFlow flow(tris + 2);
    for (std::size_t t = 0; t < tris; ++t) {
        const double p = std::clamp(double(inside[t]), 1e-4, 1.0 - 1e-4), w = area[t] / meanArea;
        // Cutting s -> t (leaving the triangle out) costs the evidence for it; t -> sink, against it.
        const double inCost = -w * std::log(p), outCost = -w * std::log(1.0 - p);
        // Only the difference matters (the smaller cost is paid either way).
        if (outCost > inCost) flow.add(s, std::uint32_t(t), outCost - inCost, 0.0);
        if (inCost > outCost) flow.add(std::uint32_t(t), sink, inCost - outCost, 0.0);
    }
    if (meanLength > 0.0)
        for (const FaceEdge& e : edges) {
            const double bend = (1.0 - double(e.cosAngle)) * (e.concave ? 1.0 : double(o.convexity));
            const double w = double(o.smoothness) * double(e.length) / meanLength * std::exp(-bend / double(o.crease));
            if (w > 0.0) flow.add(e.a, e.b, w, w);
        }
    std::vector<std::uint8_t> side = flow.cut(s, sink);
    side.resize(tris);  // the triangles' sides, without the source and sink
    return side;
}

double regionIoU(const core::Mesh& mesh, const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    const std::size_t tris = mesh.triangleCount();
    if (a.size() != tris || b.size() != tris)
        throw Error("regionIoU: regions of " + std::to_string(a.size()) + " and " + std::to_string(b.size()) + " triangles for a mesh of " + std::to_string(tris));
    double both = 0.0, either = 0.0;
    for (std::size_t t = 0; t < tris; ++t) {
        if (!a[t] && !b[t]) continue;
        const glm::vec3 p0 = mesh.positions[mesh.indices[3 * t]], p1 = mesh.positions[mesh.indices[3 * t + 1]], p2 = mesh.positions[mesh.indices[3 * t + 2]];
        const double area = 0.5 * double(glm::length(glm::cross(p1 - p0, p2 - p0)));
        either += area;
        if (a[t] && b[t]) both += area;
    }
    return either > 0.0 ? both / either : 1.0;
}

} // namespace kiln::geometry
