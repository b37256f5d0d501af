#include "geometry/uv_unwrap.h"

#include "core/error.h"
#include "core/rect_pack.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <numeric>
#include <unordered_map>

namespace kiln::geometry {

namespace {

struct Chart {
    glm::vec3 axis{0.0f, 0.0f, 1.0f};
    std::vector<std::uint32_t> faces;
};

void basis(const glm::vec3& n, glm::vec3& u, glm::vec3& v) {
    const glm::vec3 helper = std::abs(n.y) < 0.9f ? glm::vec3(0, 1, 0) : glm::vec3(1, 0, 0);
    u = glm::normalize(glm::cross(helper, n));
    v = glm::cross(n, u);
}

// Whether the chart's projected triangles overlap: centre-sampled coverage on a grid fitted to the
// chart, counting texels claimed twice.
bool overlaps(const core::Mesh& m, const Chart& c) {
    glm::vec3 u, v;
    basis(c.axis, u, v);
    glm::vec2 lo(1e30f), hi(-1e30f);
    double area = 0.0;
    for (const auto f : c.faces)
        for (int k = 0; k < 3; ++k) {
            const glm::vec3 p = m.positions[m.indices[3 * f + std::uint32_t(k)]];
            const glm::vec2 q(glm::dot(p, u), glm::dot(p, v));
            lo = glm::min(lo, q);
            hi = glm::max(hi, q);
        }
    for (const auto f : c.faces) {
        const glm::vec3 a = m.positions[m.indices[3 * f]], b = m.positions[m.indices[3 * f + 1]], d = m.positions[m.indices[3 * f + 2]];
        area += 0.5 * std::abs(double(glm::dot(glm::cross(b - a, d - a), c.axis)));
    }
    if (c.faces.size() < 2 || !(area > 0.0)) return false;
    // About 16 cells per triangle on average, at most 512 a side.
    const glm::vec2 ext = glm::max(hi - lo, glm::vec2(1e-9f));
    const float cell = float(std::sqrt(area / (16.0 * double(c.faces.size()))));
    const int w = std::clamp(int(ext.x / cell) + 1, 1, 512), h = std::clamp(int(ext.y / cell) + 1, 1, 512);
    std::vector<std::uint8_t> count(std::size_t(w) * std::size_t(h), 0);
    std::size_t twice = 0, once = 0;
    for (const auto f : c.faces) {
        glm::vec2 t[3];
        for (int k = 0; k < 3; ++k) {
            const glm::vec3 p = m.positions[m.indices[3 * f + std::uint32_t(k)]];
            t[k] = (glm::vec2(glm::dot(p, u), glm::dot(p, v)) - lo) / ext * glm::vec2(float(w), float(h));
        }
        const float ar = (t[1].x - t[0].x) * (t[2].y - t[0].y) - (t[1].y - t[0].y) * (t[2].x - t[0].x);
        if (std::abs(ar) < 1e-12f) continue;
        const int x0 = std::max(0, int(std::min({t[0].x, t[1].x, t[2].x}))), x1 = std::min(w - 1, int(std::max({t[0].x, t[1].x, t[2].x})));
        const int y0 = std::max(0, int(std::min({t[0].y, t[1].y, t[2].y}))), y1 = std::min(h - 1, int(std::max({t[0].y, t[1].y, t[2].y})));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const glm::vec2 q(float(x) + 0.5f, float(y) + 0.5f);
                const float w0 = ((t[1].x - q.x) * (t[2].y - q.y) - (t[1].y - q.y) * (t[2].x - q.x)) / ar;
                const float w1 = ((t[2].x - q.x) * (t[0].y - q.y) - (t[2].y - q.y) * (t[0].x - q.x)) / ar;
                if (w0 < 0.0f || w1 < 0.0f || w0 + w1 > 1.0f) continue;
                std::uint8_t& cnt = count[std::size_t(y) * std::size_t(w) + std::size_t(x)];
                if (cnt == 1) ++twice;
                else if (cnt == 0) ++once;
                cnt = std::uint8_t(std::min(2, cnt + 1));
            }
    }
    return twice > std::max<std::size_t>(2, once / 500);
}

// Splits a chart in two across the longest side of its projection.
std::pair<Chart, Chart> split(const core::Mesh& m, const Chart& c) {
    glm::vec3 u, v;
    basis(c.axis, u, v);
    std::vector<std::pair<glm::vec2, std::uint32_t>> centres;
    glm::vec2 lo(1e30f), hi(-1e30f);
    for (const auto f : c.faces) {
        const glm::vec3 p = (m.positions[m.indices[3 * f]] + m.positions[m.indices[3 * f + 1]] + m.positions[m.indices[3 * f + 2]]) / 3.0f;
        const glm::vec2 q(glm::dot(p, u), glm::dot(p, v));
        centres.emplace_back(q, f);
        lo = glm::min(lo, q);
        hi = glm::max(hi, q);
    }
    const int axis = (hi.x - lo.x) >= (hi.y - lo.y) ? 0 : 1;
    std::nth_element(centres.begin(), centres.begin() + std::ptrdiff_t(centres.size() / 2), centres.end(),
                     [&](const auto& a, const auto& b) { return a.first[axis] < b.first[axis]; });
    Chart a{c.axis, {}}, b{c.axis, {}};
    for (std::size_t i = 0; i < centres.size(); ++i) (i < centres.size() / 2 ? a : b).faces.push_back(centres[i].second);
    return {a, b};
}

} // namespace

UnwrapResult unwrapMesh(const core::Mesh& m, const UnwrapOptions& o) {
    const std::size_t faces = m.indices.size() / 3;
    if (faces == 0) throw Error("UV unwrap: the mesh has no triangles");
    // Connectivity through positions (a mesh's seams split vertices that still touch).
    const std::vector<std::uint32_t> canon = core::firstAtSamePosition(m.positions);
    std::vector<glm::vec3> normal(faces);
    std::vector<double> area(faces);
    for (std::size_t f = 0; f < faces; ++f) {
        const glm::vec3 a = m.positions[m.indices[3 * f]], b = m.positions[m.indices[3 * f + 1]], c = m.positions[m.indices[3 * f + 2]];
        const glm::vec3 n = glm::cross(b - a, c - a);
        const float len = glm::length(n);
        normal[f] = len > 0.0f ? n / len : glm::vec3(0, 0, 1);
        area[f] = 0.5 * double(len);
    }
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> edgeFaces;
    auto edgeKey = [](std::uint32_t a, std::uint32_t b) { return a < b ? (std::uint64_t(a) << 32) | b : (std::uint64_t(b) << 32) | a; };
    for (std::uint32_t f = 0; f < faces; ++f)
        for (int k = 0; k < 3; ++k)
            edgeFaces[edgeKey(canon[m.indices[3 * f + std::uint32_t(k)]], canon[m.indices[3 * f + std::uint32_t((k + 1) % 3)]])].push_back(f);
    // Region growing from the largest unassigned face.
    std::vector<std::uint32_t> order(faces);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return area[a] > area[b]; });
    const float cone = std::cos(o.coneDegrees * 3.14159265f / 180.0f);
    std::vector<int> chartOf(faces, -1);
    std::vector<Chart> charts;
    for (const std::uint32_t seed : order) {
        if (chartOf[seed] >= 0) continue;
        Chart c{normal[seed], {}};
        std::deque<std::uint32_t> queue{seed};
        chartOf[seed] = int(charts.size());
        while (!queue.empty()) {
            const std::uint32_t f = queue.front();
            queue.pop_front();
            c.faces.push_back(f);
            for (int k = 0; k < 3; ++k) {
                const auto& around = edgeFaces[edgeKey(canon[m.indices[3 * f + std::uint32_t(k)]], canon[m.indices[3 * f + std::uint32_t((k + 1) % 3)]])];
                // Only manifold edges join faces into one chart.
                if (around.size() != 2) continue;
                for (const auto g : around)
                    if (chartOf[g] < 0 && glm::dot(normal[g], c.axis) >= cone) {
                        chartOf[g] = int(charts.size());
                        queue.push_back(g);
                    }
            }
        }
        charts.push_back(std::move(c));
    }
    // Charts whose projection overlaps itself are halved until none does.
    std::vector<Chart> done;
    while (!charts.empty()) {
        Chart c = std::move(charts.back());
        charts.pop_back();
        if (c.faces.size() > 1 && overlaps(m, c)) {
            auto [a, b] = split(m, c);
            charts.push_back(std::move(a));
            charts.push_back(std::move(b));
        } else {
            done.push_back(std::move(c));
        }
    }
    // Output vertices: one per (chart, input vertex).
    UnwrapResult r;
    r.mesh = m;
    r.mesh.positions.clear();
    r.mesh.normals.clear();
    r.mesh.uv0.clear();
    r.mesh.uv1.clear();
    r.mesh.colors.clear();
    r.mesh.indices.assign(m.indices.size(), 0);
    std::vector<glm::vec2> local;  // chart-plane coordinates, metres
    std::vector<int> vertexChart;
    std::vector<glm::vec2> sizes, mins;
    for (std::size_t ci = 0; ci < done.size(); ++ci) {
        const Chart& c = done[ci];
        glm::vec3 u, v;
        basis(c.axis, u, v);
        std::map<std::uint32_t, std::uint32_t> made;
        glm::vec2 lo(1e30f), hi(-1e30f);
        for (const auto f : c.faces)
            for (int k = 0; k < 3; ++k) {
                const std::uint32_t src = m.indices[3 * f + std::uint32_t(k)];
                auto it = made.find(src);
                if (it == made.end()) {
                    it = made.emplace(src, std::uint32_t(r.sourceVertex.size())).first;
                    r.sourceVertex.push_back(src);
                    const glm::vec2 q(glm::dot(m.positions[src], u), glm::dot(m.positions[src], v));
                    local.push_back(q);
                    vertexChart.push_back(int(ci));
                    lo = glm::min(lo, q);
                    hi = glm::max(hi, q);
                }
                r.mesh.indices[3 * f + std::uint32_t(k)] = it->second;
            }
        sizes.push_back(glm::max(hi - lo, glm::vec2(1e-6f)));
        mins.push_back(lo);
    }
    // Many small charts (a noisy surface) may not fit with the full gutter: narrower gutters, then
    // a finer packing grid (UVs are normalised, so the maps can still be baked at atlasSize; the
    // smallest charts then share texels, which the bake's pull-push fill tolerates).
    core::RectPacking packing;
    int grid = o.atlasSize;
    for (int padding = o.padding;;) {
        try {
            packing = core::packRects(sizes, grid, grid == o.atlasSize ? std::max(1, padding) : 1);
            break;
        } catch (const Error&) {
            if (padding > 1) padding /= 2;
            else if (grid < 16384) grid *= 2;
            else throw Error("UV unwrap: " + std::to_string(sizes.size()) + " charts do not fit a " + std::to_string(o.atlasSize) + " texel atlas");
        }
    }
    r.mesh.uv0.resize(local.size());
    for (std::size_t i = 0; i < local.size(); ++i) {
        const int c = vertexChart[i];
        r.mesh.uv0[i] = (packing.offsets[std::size_t(c)] + (local[i] - mins[std::size_t(c)]) * packing.scale) / float(grid);
    }
    for (const auto src : r.sourceVertex) {
        r.mesh.positions.push_back(m.positions[src]);
        if (m.normals.size() == m.positions.size()) r.mesh.normals.push_back(m.normals[src]);
        if (m.colors.size() == m.positions.size()) r.mesh.colors.push_back(m.colors[src]);
        if (m.uv1.size() == m.positions.size()) r.mesh.uv1.push_back(m.uv1[src]);
    }
    // Submeshes keep their triangles; their vertex ranges now span the whole buffer.
    for (auto& s : r.mesh.submeshes) {
        s.firstVertex = 0;
        s.vertexCount = std::uint32_t(r.mesh.positions.size());
    }
    r.charts = int(done.size());
    r.texelsPerMetre = packing.scale * float(o.atlasSize) / float(grid);
    return r;
}

} // namespace kiln::geometry
