#include "geometry/marching_cubes.h"

#include "core/error.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace kiln::geometry {

namespace {

// The case tables of Lorensen & Cline are derived here from the algorithm's definition instead of
// being typed in: for each of the 256 inside/outside corner configurations, every cube face
// contributes the segments where the surface crosses it, the segments are linked into closed
// polygons and each polygon is split into triangles. An ambiguous face (two diagonal corners
// inside) is always resolved the same way — its inside corners are cut off separately — and the
// choice depends only on that face's four corners, so the two cells sharing it agree and the
// surface has no cracks (the hole problem of the original 15-case table, Dürst 1988).
//
// Corner c of a cell sits at offset (c & 1, (c >> 1) & 1, (c >> 2) & 1).
constexpr int kMaxTriangles = 12;  // generous; the derived tables need at most 5 (checked below)

struct Tables {
    std::array<std::array<int, 2>, 12> edgeCorners{};  // lower corner first
    std::array<int, 12> edgeAxis{};
    std::array<std::array<std::int8_t, 3 * kMaxTriangles + 1>, 256> triangles{};  // edge ids, -1 ends
};

glm::ivec3 cornerOffset(int c) { return {c & 1, (c >> 1) & 1, (c >> 2) & 1}; }

using Triangles = std::vector<std::array<int, 3>>;

// All triangulations of a convex-ordered polygon (at most 7 vertices here, so at most 42).
void triangulations(const std::vector<int>& poly, std::size_t lo, std::size_t hi, std::vector<Triangles>& out) {
    if (hi - lo < 2) {
        out.push_back({});
        return;
    }
    for (std::size_t k = lo + 1; k < hi; ++k) {
        std::vector<Triangles> left, right;
        triangulations(poly, lo, k, left);
        triangulations(poly, k, hi, right);
        for (const auto& l : left)
            for (const auto& r : right) {
                Triangles t = l;
                t.insert(t.end(), r.begin(), r.end());
                t.push_back({poly[lo], poly[k], poly[hi]});
                out.push_back(std::move(t));
            }
    }
}

// Picks how to fan a polygon into triangles. A diagonal between two vertices on one cube face
// would be a mesh edge the neighbouring cell may create too (four triangles on one edge), so
// such diagonals are excluded (a valid choice exists for every case); among the rest the
// triangulation with the shortest diagonals, measured between edge midpoints, wins.
Triangles triangulateLoop(const std::vector<int>& loop, const Tables& t, const std::array<std::array<int, 4>, 6>& faces,
                          const std::array<std::array<int, 8>, 8>& edgeOf) {
    const std::size_t n = loop.size();
    if (n == 3) return {{loop[0], loop[1], loop[2]}};
    auto onOneFace = [&](int e1, int e2) {
        for (const auto& f : faces) {
            bool has1 = false, has2 = false;
            for (int k = 0; k < 4; ++k) {
                const int e = edgeOf[std::size_t(f[std::size_t(k)])][std::size_t(f[std::size_t((k + 1) % 4)])];
                has1 = has1 || e == e1;
                has2 = has2 || e == e2;
            }
            if (has1 && has2) return true;
        }
        return false;
    };
    auto midpoint = [&](int e) {
        return 0.5f * (glm::vec3(cornerOffset(t.edgeCorners[std::size_t(e)][0])) + glm::vec3(cornerOffset(t.edgeCorners[std::size_t(e)][1])));
    };
    auto adjacent = [&](int a, int b) {
        const auto ia = std::size_t(std::find(loop.begin(), loop.end(), a) - loop.begin());
        const auto ib = std::size_t(std::find(loop.begin(), loop.end(), b) - loop.begin());
        return (ia + 1) % n == ib || (ib + 1) % n == ia;
    };
    std::vector<Triangles> all;
    triangulations(loop, 0, n - 1, all);
    const Triangles* best = nullptr;
    float bestLength = std::numeric_limits<float>::max();
    for (const auto& candidate : all) {
        bool ok = true;
        float length = 0.0f;
        for (const auto& tri : candidate)
            for (int k = 0; k < 3 && ok; ++k) {
                const int a = tri[std::size_t(k)], b = tri[std::size_t((k + 1) % 3)];
                if (adjacent(a, b)) continue;
                ok = !onOneFace(a, b);
                length += glm::length(midpoint(a) - midpoint(b));  // each diagonal counted twice; fine for ranking
            }
        if (ok && length < bestLength) {
            bestLength = length;
            best = &candidate;
        }
    }
    if (!best) throw Error("marching cubes: internal error (no crack-free triangulation)");
    return *best;
}

Tables buildTables() {
    Tables t;
    std::array<std::array<int, 8>, 8> edgeOf{};
    for (auto& row : edgeOf) row.fill(-1);
    int e = 0;
    for (int a = 0; a < 8; ++a)
        for (int b = a + 1; b < 8; ++b) {
            const int diff = a ^ b;
            if (diff != 1 && diff != 2 && diff != 4) continue;
            t.edgeCorners[std::size_t(e)] = {a, b};
            t.edgeAxis[std::size_t(e)] = diff == 1 ? 0 : diff == 2 ? 1 : 2;
            edgeOf[std::size_t(a)][std::size_t(b)] = edgeOf[std::size_t(b)][std::size_t(a)] = e;
            ++e;
        }

    // Each face's corners in counter-clockwise order seen from outside the cube.
    std::array<std::array<int, 4>, 6> faces{};
    for (int axis = 0; axis < 3; ++axis)
        for (int side = 0; side < 2; ++side) {
            std::array<int, 4> corners{};
            int n = 0;
            for (int c = 0; c < 8; ++c)
                if (cornerOffset(c)[axis] == side) corners[std::size_t(n++)] = c;
            const int u = (axis + 1) % 3, v = (axis + 2) % 3;  // u x v = +axis
            auto angle = [&](int c) {
                const glm::vec3 d = glm::vec3(cornerOffset(c)) - 0.5f;
                return std::atan2(d[v], d[u]);
            };
            // Counter-clockwise about +axis is increasing angle; about -axis, decreasing.
            std::sort(corners.begin(), corners.end(), [&](int a, int b) { return side ? angle(a) < angle(b) : angle(a) > angle(b); });
            faces[std::size_t(axis * 2 + side)] = corners;
        }

    std::size_t most = 0;
    for (int mask = 0; mask < 256; ++mask) {
        auto in = [&](int c) { return (mask >> c) & 1; };
        std::array<int, 12> next{};
        next.fill(-1);
        for (const auto& face : faces) {
            // Crossings in counter-clockwise order; `entering` = going from an outside to an inside corner.
            std::array<int, 4> edge{};
            std::array<bool, 4> entering{};
            int count = 0;
            for (int k = 0; k < 4; ++k) {
                const int a = face[std::size_t(k)], b = face[std::size_t((k + 1) % 4)];
                if (in(a) == in(b)) continue;
                edge[std::size_t(count)] = edgeOf[std::size_t(a)][std::size_t(b)];
                entering[std::size_t(count)] = in(b);
                ++count;
            }
            // A segment runs from an entering crossing to the following leaving one, cutting off
            // the run of inside corners between them. With the outside on the segment's left seen
            // from outside the cube, the polygons come out counter-clockwise about the outward normal.
            for (int k = 0; k < count; ++k)
                if (entering[std::size_t(k)]) next[std::size_t(edge[std::size_t(k)])] = edge[std::size_t((k + 1) % count)];
        }
        auto& out = t.triangles[std::size_t(mask)];
        out.fill(-1);
        std::size_t n = 0;
        std::array<bool, 12> used{};
        for (int start = 0; start < 12; ++start) {
            if (next[std::size_t(start)] < 0 || used[std::size_t(start)]) continue;
            std::array<int, 12> loop{};
            int len = 0;
            for (int cur = start; !used[std::size_t(cur)]; cur = next[std::size_t(cur)]) {
                used[std::size_t(cur)] = true;
                loop[std::size_t(len++)] = cur;
            }
            for (const auto& tri : triangulateLoop(std::vector<int>(loop.begin(), loop.begin() + len), t, faces, edgeOf))
                for (int k = 0; k < 3; ++k) out[n++] = std::int8_t(tri[std::size_t(k)]);
        }
        most = std::max(most, n);
    }
    if (most > 3 * kMaxTriangles) throw Error("marching cubes: internal table overflow");
    return t;
}

const Tables& tables() {
    static const Tables t = buildTables();
    return t;
}

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

} // namespace

core::Mesh marchingCubes(const std::vector<float>& values, glm::ivec3 resolution, const core::Bounds& bounds, float isoValue,
                         const std::vector<glm::vec3>* colors, IsoSide inside) {
    const int nx = resolution.x, ny = resolution.y, nz = resolution.z;
    if (nx < 2 || ny < 2 || nz < 2)
        throw Error("marching cubes: grid resolution must be at least 2 samples per axis (got " + std::to_string(nx) + "x" +
                    std::to_string(ny) + "x" + std::to_string(nz) + ")");
    const std::size_t sampleCount = std::size_t(nx) * std::size_t(ny) * std::size_t(nz);
    if (values.size() != sampleCount)
        throw Error("marching cubes: grid has " + std::to_string(values.size()) + " values, resolution needs " + std::to_string(sampleCount));
    if (colors && colors->size() != sampleCount)
        throw Error("marching cubes: " + std::to_string(colors->size()) + " colours for " + std::to_string(sampleCount) + " grid samples");
    const glm::vec3 extent = bounds.size();
    if (!bounds.valid || !(extent.x > 0.0f && extent.y > 0.0f && extent.z > 0.0f) || !std::isfinite(extent.x + extent.y + extent.z))
        throw Error("marching cubes: grid bounds are empty or not finite");
    if (!std::isfinite(isoValue)) throw Error("marching cubes: iso-value is not finite");

    const Tables& tab = tables();
    const glm::vec3 spacing = extent / glm::vec3(resolution - 1);
    const bool below = inside == IsoSide::Below;
    const std::size_t sx = 1, sy = std::size_t(nx), sz = std::size_t(nx) * std::size_t(ny);
    auto at = [&](int x, int y, int z) { return std::size_t(x) * sx + std::size_t(y) * sy + std::size_t(z) * sz; };
    const int dims[3] = {nx, ny, nz};
    const std::size_t strides[3] = {sx, sy, sz};

    // Gradient by central differences, one-sided at the border or next to unknown samples.
    auto gradient = [&](int x, int y, int z) {
        const int p[3] = {x, y, z};
        const std::size_t i = at(x, y, z);
        glm::vec3 g(0.0f);
        for (int a = 0; a < 3; ++a) {
            const bool hasLo = p[a] > 0 && std::isfinite(values[i - strides[a]]);
            const bool hasHi = p[a] + 1 < dims[a] && std::isfinite(values[i + strides[a]]);
            const float lo = hasLo ? values[i - strides[a]] : values[i];
            const float hi = hasHi ? values[i + strides[a]] : values[i];
            const int span = int(hasLo) + int(hasHi);
            if (span > 0) g[a] = (hi - lo) / (float(span) * spacing[a]);
        }
        return g;
    };

    core::Mesh mesh;
    const bool withColors = colors != nullptr;

    auto makeVertex = [&](int axis, int bx, int by, int bz) {
        glm::ivec3 b(bx, by, bz), c = b;
        c[axis] += 1;
        const float v0 = values[at(b.x, b.y, b.z)], v1 = values[at(c.x, c.y, c.z)];
        const float t = std::clamp((isoValue - v0) / (v1 - v0), 0.0f, 1.0f);
        glm::vec3 p(b);
        p[axis] += t;
        mesh.positions.push_back(bounds.min + p * spacing);
        glm::vec3 n = glm::mix(gradient(b.x, b.y, b.z), gradient(c.x, c.y, c.z), t);
        const float len = glm::length(n);
        n = len > 0.0f ? n / len : glm::vec3(0.0f);
        mesh.normals.push_back(below ? n : -n);
        if (withColors) {
            const glm::vec3 col = glm::mix((*colors)[at(b.x, b.y, b.z)], (*colors)[at(c.x, c.y, c.z)], t);
            mesh.colors.emplace_back(col, 1.0f);
        }
        return std::uint32_t(mesh.positions.size() - 1);
    };

    // Vertex ids of crossed grid edges for the two sample layers bounding the current slab of cells
    // (x- and y-edges) and for the edges between them (z-edges): each crossed edge gets one vertex.
    const std::size_t xEdgeCount = std::size_t(nx - 1) * std::size_t(ny);
    const std::size_t yEdgeCount = std::size_t(nx) * std::size_t(ny - 1);
    std::vector<std::uint32_t> xLow(xEdgeCount, kNone), xHigh(xEdgeCount), yLow(yEdgeCount, kNone), yHigh(yEdgeCount),
        zMid(std::size_t(nx) * std::size_t(ny));

    std::array<glm::ivec3, 8> offsets{};
    std::array<std::size_t, 8> cornerDelta{};
    for (int c = 0; c < 8; ++c) {
        offsets[std::size_t(c)] = cornerOffset(c);
        cornerDelta[std::size_t(c)] = at(offsets[std::size_t(c)].x, offsets[std::size_t(c)].y, offsets[std::size_t(c)].z);
    }

    for (int z = 0; z + 1 < nz; ++z) {
        std::fill(xHigh.begin(), xHigh.end(), kNone);
        std::fill(yHigh.begin(), yHigh.end(), kNone);
        std::fill(zMid.begin(), zMid.end(), kNone);
        for (int y = 0; y + 1 < ny; ++y) {
            for (int x = 0; x + 1 < nx; ++x) {
                const std::size_t base = at(x, y, z);
                int mask = 0;
                bool known = true;
                for (int c = 0; c < 8; ++c) {
                    const float v = values[base + cornerDelta[std::size_t(c)]];
                    known = known && std::isfinite(v);
                    mask |= int(below ? v < isoValue : v > isoValue) << c;
                }
                if (mask == 0 || mask == 255 || !known) continue;
                std::array<std::uint32_t, 12> local;
                local.fill(kNone);
                const auto& tri = tab.triangles[std::size_t(mask)];
                for (std::size_t k = 0; tri[k] >= 0; ++k) {
                    const int e = tri[k];
                    std::uint32_t& id = local[std::size_t(e)];
                    if (id == kNone) {
                        const int axis = tab.edgeAxis[std::size_t(e)];
                        const glm::ivec3 o = offsets[std::size_t(tab.edgeCorners[std::size_t(e)][0])];
                        const int bx = x + o.x, by = y + o.y, bz = z + o.z;
                        std::uint32_t* slot = nullptr;
                        if (axis == 0) slot = &(o.z ? xHigh : xLow)[std::size_t(by) * std::size_t(nx - 1) + std::size_t(bx)];
                        else if (axis == 1) slot = &(o.z ? yHigh : yLow)[std::size_t(by) * std::size_t(nx) + std::size_t(bx)];
                        else slot = &zMid[std::size_t(by) * std::size_t(nx) + std::size_t(bx)];
                        if (*slot == kNone) *slot = makeVertex(axis, bx, by, bz);
                        id = *slot;
                    }
                    mesh.indices.push_back(id);
                }
            }
        }
        std::swap(xLow, xHigh);
        std::swap(yLow, yHigh);
    }

    // Where the gradient vanished (flat plateaus, unknown neighbours) use the area-weighted face normal.
    bool missing = false;
    for (const auto& n : mesh.normals) missing = missing || n == glm::vec3(0.0f);
    if (missing) {
        std::vector<glm::vec3> acc(mesh.positions.size(), glm::vec3(0.0f));
        for (std::size_t i = 0; i + 2 < mesh.indices.size(); i += 3) {
            const std::uint32_t a = mesh.indices[i], b = mesh.indices[i + 1], c = mesh.indices[i + 2];
            const glm::vec3 fn = glm::cross(mesh.positions[b] - mesh.positions[a], mesh.positions[c] - mesh.positions[a]);
            acc[a] += fn;
            acc[b] += fn;
            acc[c] += fn;
        }
        for (std::size_t v = 0; v < mesh.normals.size(); ++v)
            if (mesh.normals[v] == glm::vec3(0.0f) && glm::length(acc[v]) > 0.0f) mesh.normals[v] = glm::normalize(acc[v]);
    }

    if (!mesh.indices.empty()) {
        core::Submesh sub;
        sub.name = "surface";
        sub.indexCount = std::uint32_t(mesh.indices.size());
        sub.vertexCount = std::uint32_t(mesh.positions.size());
        mesh.submeshes.push_back(sub);
    }
    return mesh;
}

} // namespace kiln::geometry
