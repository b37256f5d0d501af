#include "geometry/uv_unwrap.h"

#include "core/error.h"
#include "core/rect_pack.h"

#include <Eigen/SparseCholesky>
#include <glm/geometric.hpp>
#include <glm/vec2.hpp>

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

// A chart's layout: 2D coordinates (metres) per chart vertex, keyed by the vertex's canonical
// (first at the same position) index, so vertices an input split only for its normals stay joined.
using Layout = std::unordered_map<std::uint32_t, glm::vec2>;

Layout planarLayout(const core::Mesh& m, const std::vector<std::uint32_t>& canon, const Chart& c) {
    glm::vec3 u, v;
    basis(c.axis, u, v);
    Layout l;
    for (const auto f : c.faces)
        for (int k = 0; k < 3; ++k) {
            const std::uint32_t i = canon[m.indices[3 * f + std::uint32_t(k)]];
            l.try_emplace(i, glm::dot(m.positions[i], u), glm::dot(m.positions[i], v));
        }
    return l;
}

glm::vec2 at(const core::Mesh& m, const std::vector<std::uint32_t>& canon, const Layout& l, std::uint32_t f, int k) {
    return l.at(canon[m.indices[3 * f + std::uint32_t(k)]]);
}

float signedArea(glm::vec2 a, glm::vec2 b, glm::vec2 c) { return 0.5f * ((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)); }

// Whether the chart's laid-out triangles overlap: centre-sampled coverage on a grid fitted to the
// chart, counting texels claimed twice.
bool overlaps(const core::Mesh& m, const std::vector<std::uint32_t>& canon, const Chart& c, const Layout& l) {
    if (c.faces.size() < 2) return false;
    glm::vec2 lo(1e30f), hi(-1e30f);
    double area = 0.0;
    for (const auto& [i, q] : l) {
        lo = glm::min(lo, q);
        hi = glm::max(hi, q);
    }
    for (const auto f : c.faces) area += std::abs(double(signedArea(at(m, canon, l, f, 0), at(m, canon, l, f, 1), at(m, canon, l, f, 2))));
    if (!(area > 0.0)) return false;
    // About 16 cells per triangle on average, at most 512 a side.
    const glm::vec2 ext = glm::max(hi - lo, glm::vec2(1e-9f));
    const float cell = float(std::sqrt(area / (16.0 * double(c.faces.size()))));
    const int w = std::clamp(int(ext.x / cell) + 1, 1, 512), h = std::clamp(int(ext.y / cell) + 1, 1, 512);
    std::vector<std::uint8_t> count(std::size_t(w) * std::size_t(h), 0);
    std::size_t twice = 0, once = 0;
    for (const auto f : c.faces) {
        glm::vec2 t[3];
        for (int k = 0; k < 3; ++k) t[k] = (at(m, canon, l, f, k) - lo) / ext * glm::vec2(float(w), float(h));
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

// Least-squares conformal map of a chart (Lévy et al. 2002): per triangle, in its own plane, the
// residual of the Cauchy-Riemann equations grad v = rot90(grad u), area weighted, summed; two
// vertices far apart are pinned at their planar-projection coordinates (fixing translation,
// rotation and scale) and the rest solved by sparse Cholesky on the normal equations. Returns an
// empty layout when the chart has too little area to be solved.
Layout conformalLayout(const core::Mesh& m, const std::vector<std::uint32_t>& canon, const Chart& c, const Layout& planar) {
    std::unordered_map<std::uint32_t, int> index;
    std::vector<std::uint32_t> vertex;
    for (const auto& [i, q] : planar) {
        index.emplace(i, int(vertex.size()));
        vertex.push_back(i);
    }
    const int n = int(vertex.size());
    // Pins: the extremes along the planar layout's longer side.
    glm::vec2 lo(1e30f), hi(-1e30f);
    for (const auto& [i, q] : planar) lo = glm::min(lo, q), hi = glm::max(hi, q);
    const int axis = (hi.x - lo.x) >= (hi.y - lo.y) ? 0 : 1;
    int pinA = 0, pinB = 0;
    for (int i = 0; i < n; ++i) {
        if (planar.at(vertex[std::size_t(i)])[axis] < planar.at(vertex[std::size_t(pinA)])[axis]) pinA = i;
        if (planar.at(vertex[std::size_t(i)])[axis] > planar.at(vertex[std::size_t(pinB)])[axis]) pinB = i;
    }
    if (pinA == pinB) return {};
    double total = 0.0;
    for (const auto f : c.faces) {
        const glm::vec3 a = m.positions[m.indices[3 * f]], b = m.positions[m.indices[3 * f + 1]], d = m.positions[m.indices[3 * f + 2]];
        total += 0.5 * double(glm::length(glm::cross(b - a, d - a)));
    }
    if (!(total > 0.0)) return {};
    // Unknowns: u then v of every vertex; pinned ones move to the right-hand side.
    auto column = [&](int vtx, int comp) { return comp * n + vtx; };
    std::vector<int> freeIndex(std::size_t(2 * n), -1);
    std::vector<double> pinned(std::size_t(2 * n), 0.0);
    int unknowns = 0;
    for (int comp = 0; comp < 2; ++comp)
        for (int i = 0; i < n; ++i) {
            if (i == pinA || i == pinB) pinned[std::size_t(column(i, comp))] = double(planar.at(vertex[std::size_t(i)])[comp]);
            else freeIndex[std::size_t(column(i, comp))] = unknowns++;
        }
    std::vector<Eigen::Triplet<double>> rows;
    std::vector<double> rhs;
    int row = 0;
    for (const auto f : c.faces) {
        glm::dvec3 P[3];
        int vi[3];
        for (int k = 0; k < 3; ++k) {
            const std::uint32_t i = canon[m.indices[3 * f + std::uint32_t(k)]];
            P[k] = glm::dvec3(m.positions[i]);
            vi[k] = index.at(i);
        }
        const glm::dvec3 nrm = glm::cross(P[1] - P[0], P[2] - P[0]);
        const double twiceArea = glm::length(nrm);
        if (twiceArea < 1e-12 * total || vi[0] == vi[1] || vi[1] == vi[2] || vi[0] == vi[2]) continue;
        const glm::dvec3 x = glm::normalize(P[1] - P[0]), y = glm::cross(nrm / twiceArea, x);
        const glm::dvec2 p[3] = {{0.0, 0.0}, {glm::length(P[1] - P[0]), 0.0}, {glm::dot(P[2] - P[0], x), glm::dot(P[2] - P[0], y)}};
        const double w = 1.0 / std::sqrt(2.0 * twiceArea);  // 1 / (2 sqrt(area))
        double b0 = 0.0, b1 = 0.0;
        for (int k = 0; k < 3; ++k) {
            const glm::dvec2 e = p[(k + 2) % 3] - p[(k + 1) % 3];  // the edge opposite vertex k
            // Row 0: sum e.x u - e.y v; row 1: sum e.y u + e.x v.
            const double cu[2] = {e.x * w, e.y * w}, cv[2] = {-e.y * w, e.x * w};
            for (int r2 = 0; r2 < 2; ++r2) {
                const int fu = freeIndex[std::size_t(column(vi[k], 0))], fv = freeIndex[std::size_t(column(vi[k], 1))];
                if (fu >= 0) rows.emplace_back(row + r2, fu, cu[r2]);
                else (r2 == 0 ? b0 : b1) -= cu[r2] * pinned[std::size_t(column(vi[k], 0))];
                if (fv >= 0) rows.emplace_back(row + r2, fv, cv[r2]);
                else (r2 == 0 ? b0 : b1) -= cv[r2] * pinned[std::size_t(column(vi[k], 1))];
            }
        }
        rhs.push_back(b0);
        rhs.push_back(b1);
        row += 2;
    }
    if (row == 0 || unknowns == 0) return {};
    Eigen::SparseMatrix<double> A(row, unknowns);
    A.setFromTriplets(rows.begin(), rows.end());
    const Eigen::Map<const Eigen::VectorXd> b(rhs.data(), row);
    Eigen::SparseMatrix<double> N = A.transpose() * A;
    // A vertex only degenerate triangles touch has no equation: a whisper of a pull towards its
    // planar position keeps the system definite without moving anything else measurably.
    double diag = 0.0;
    for (int k = 0; k < N.outerSize(); ++k) diag += N.coeff(k, k);
    const double eps = 1e-9 * diag / double(unknowns);
    Eigen::VectorXd nb = A.transpose() * b;
    for (int comp = 0; comp < 2; ++comp)
        for (int i = 0; i < n; ++i)
            if (const int fi = freeIndex[std::size_t(column(i, comp))]; fi >= 0) {
                N.coeffRef(fi, fi) += eps;
                nb[fi] += eps * double(planar.at(vertex[std::size_t(i)])[comp]);
            }
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> solver(N);
    if (solver.info() != Eigen::Success) return {};
    const Eigen::VectorXd sol = solver.solve(nb);
    if (solver.info() != Eigen::Success || !sol.allFinite()) return {};
    Layout l;
    for (int i = 0; i < n; ++i) {
        glm::vec2 q;
        for (int comp = 0; comp < 2; ++comp) {
            const int fi = freeIndex[std::size_t(column(i, comp))];
            q[comp] = float(fi >= 0 ? sol[fi] : pinned[std::size_t(column(i, comp))]);
        }
        l.emplace(vertex[std::size_t(i)], q);
    }
    // Scale to the chart's own surface area, so every chart gets the same texel density.
    double uvArea = 0.0;
    for (const auto f : c.faces) uvArea += double(signedArea(at(m, canon, l, f, 0), at(m, canon, l, f, 1), at(m, canon, l, f, 2)));
    if (!(uvArea > 0.0)) return {};
    const float s = float(std::sqrt(total / uvArea));
    for (auto& [i, q] : l) q *= s;
    return l;
}

// A conformal layout is kept when no triangle of area flips, its area stretch stays moderate
// (area-weighted mean of max(r, 1/r) for the UV/surface area ratio r at most 2, no triangle's
// beyond 16) and it does not sprawl (bounding box at most 16 times its area), so it packs well.
bool acceptable(const core::Mesh& m, const std::vector<std::uint32_t>& canon, const Chart& c, const Layout& l) {
    double total = 0.0, stretch = 0.0;
    for (const auto f : c.faces) {
        const glm::vec3 a = m.positions[m.indices[3 * f]], b = m.positions[m.indices[3 * f + 1]], d = m.positions[m.indices[3 * f + 2]];
        const double area = 0.5 * double(glm::length(glm::cross(b - a, d - a)));
        const double uv = double(signedArea(at(m, canon, l, f, 0), at(m, canon, l, f, 1), at(m, canon, l, f, 2)));
        if (area <= 0.0) continue;
        if (uv <= 0.0) return false;
        const double r = std::max(uv / area, area / uv);
        if (r > 16.0) return false;
        stretch += area * r;
        total += area;
    }
    glm::vec2 lo(1e30f), hi(-1e30f);
    for (const auto& [i, q] : l) lo = glm::min(lo, q), hi = glm::max(hi, q);
    const double box = double(hi.x - lo.x) * double(hi.y - lo.y);
    return total > 0.0 && stretch / total <= 2.0 && box <= 16.0 * total;
}

// Splits a chart in two across the longest side of its layout.
std::pair<Chart, Chart> split(const core::Mesh& m, const std::vector<std::uint32_t>& canon, const Chart& c, const Layout& l) {
    std::vector<std::pair<glm::vec2, std::uint32_t>> centres;
    glm::vec2 lo(1e30f), hi(-1e30f);
    for (const auto f : c.faces) {
        const glm::vec2 q = (at(m, canon, l, f, 0) + at(m, canon, l, f, 1) + at(m, canon, l, f, 2)) / 3.0f;
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
    // Each chart laid out (conformally where asked and acceptable, else projected onto its plane);
    // a chart whose layout overlaps itself, or whose conformal map flips or stretches, is halved
    // until none does.
    std::vector<Chart> done;
    std::vector<Layout> layouts;
    while (!charts.empty()) {
        Chart c = std::move(charts.back());
        charts.pop_back();
        Layout l = planarLayout(m, canon, c);
        if (o.conformal && c.faces.size() > 1) {
            Layout conformal = conformalLayout(m, canon, c, l);
            if (!conformal.empty() && acceptable(m, canon, c, conformal) && !overlaps(m, canon, c, conformal)) {
                done.push_back(std::move(c));
                layouts.push_back(std::move(conformal));
                continue;
            }
            auto [a, b] = split(m, canon, c, l);
            charts.push_back(std::move(a));
            charts.push_back(std::move(b));
            continue;
        }
        if (c.faces.size() > 1 && overlaps(m, canon, c, l)) {
            auto [a, b] = split(m, canon, c, l);
            charts.push_back(std::move(a));
            charts.push_back(std::move(b));
        } else {
            done.push_back(std::move(c));
            layouts.push_back(std::move(l));
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
    std::vector<glm::vec2> local;  // chart-layout coordinates, metres
    std::vector<int> vertexChart;
    std::vector<glm::vec2> sizes, mins;
    for (std::size_t ci = 0; ci < done.size(); ++ci) {
        const Chart& c = done[ci];
        std::map<std::uint32_t, std::uint32_t> made;
        glm::vec2 lo(1e30f), hi(-1e30f);
        for (const auto f : c.faces)
            for (int k = 0; k < 3; ++k) {
                const std::uint32_t src = m.indices[3 * f + std::uint32_t(k)];
                auto it = made.find(src);
                if (it == made.end()) {
                    it = made.emplace(src, std::uint32_t(r.sourceVertex.size())).first;
                    r.sourceVertex.push_back(src);
                    const glm::vec2 q = layouts[ci].at(canon[src]);
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

UvDistortion measureUvDistortion(const core::Mesh& m) {
    UvDistortion d;
    if (m.uv0.size() != m.positions.size()) return d;
    const std::size_t faces = m.indices.size() / 3;
    double surface = 0.0, uvTotal = 0.0;
    for (std::size_t f = 0; f < faces; ++f) {
        const glm::vec3 a = m.positions[m.indices[3 * f]], b = m.positions[m.indices[3 * f + 1]], c = m.positions[m.indices[3 * f + 2]];
        surface += 0.5 * double(glm::length(glm::cross(b - a, c - a)));
        uvTotal += std::abs(double(signedArea(m.uv0[m.indices[3 * f]], m.uv0[m.indices[3 * f + 1]], m.uv0[m.indices[3 * f + 2]])));
    }
    d.coverage = uvTotal;
    if (!(surface > 0.0) || !(uvTotal > 0.0)) return d;
    const double ratio = uvTotal / surface;
    double angle = 0.0, area = 0.0, weight = 0.0;
    for (std::size_t f = 0; f < faces; ++f) {
        const glm::dvec3 P0(m.positions[m.indices[3 * f]]), P1(m.positions[m.indices[3 * f + 1]]), P2(m.positions[m.indices[3 * f + 2]]);
        const glm::dvec3 nrm = glm::cross(P1 - P0, P2 - P0);
        const double a3 = 0.5 * glm::length(nrm);
        if (a3 <= 1e-20) continue;
        const glm::dvec3 x = glm::normalize(P1 - P0), y = glm::cross(nrm / (2.0 * a3), x);
        // Surface frame edges and UV edges: J maps the former onto the latter.
        const double s1x = glm::length(P1 - P0), s2x = glm::dot(P2 - P0, x), s2y = glm::dot(P2 - P0, y);
        const glm::dvec2 t1 = glm::dvec2(m.uv0[m.indices[3 * f + 1]]) - glm::dvec2(m.uv0[m.indices[3 * f]]);
        const glm::dvec2 t2 = glm::dvec2(m.uv0[m.indices[3 * f + 2]]) - glm::dvec2(m.uv0[m.indices[3 * f]]);
        // [t1 t2] = J [s1 s2] with s1 = (s1x, 0), s2 = (s2x, s2y).
        const double j00 = t1.x / s1x, j10 = t1.y / s1x;
        const double j01 = (t2.x - j00 * s2x) / s2y, j11 = (t2.y - j10 * s2x) / s2y;
        // Singular values of the 2x2 Jacobian.
        const double e = 0.5 * (j00 + j11), ff = 0.5 * (j00 - j11), g = 0.5 * (j10 + j01), h = 0.5 * (j10 - j01);
        const double q = std::sqrt(e * e + h * h), rr = std::sqrt(ff * ff + g * g);
        const double smax = q + rr, smin = std::abs(q - rr);
        const double uvA = std::abs(j00 * j11 - j01 * j10) * a3;
        const double r = uvA / a3 / ratio;
        angle += a3 * (smin > 1e-12 ? smax / smin : 1e3);
        area += a3 * (r > 1e-12 ? std::max(r, 1.0 / r) : 1e3);
        weight += a3;
    }
    if (weight > 0.0) {
        d.angle = angle / weight;
        d.area = area / weight;
    }
    return d;
}

} // namespace kiln::geometry
