#include "procgen/asset_builder.h"

#include "core/error.h"
#include "core/mesh.h"

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace kiln::procgen {

namespace {

constexpr float kTwoPi = 2.0f * std::numbers::pi_v<float>;

// Ear clipping of a simple counter-clockwise polygon; triangles as index triples.
std::vector<std::uint32_t> triangulatePolygon(const std::vector<glm::vec2>& poly) {
    const std::size_t n = poly.size();
    std::vector<std::uint32_t> out, idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = std::uint32_t(i);
    auto cross = [](glm::vec2 a, glm::vec2 b, glm::vec2 c) { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); };
    auto inside = [&](glm::vec2 p, glm::vec2 a, glm::vec2 b, glm::vec2 c) {
        return cross(a, b, p) >= 0.0f && cross(b, c, p) >= 0.0f && cross(c, a, p) >= 0.0f;
    };
    std::size_t guard = 0;
    while (idx.size() > 3 && guard++ < n * n) {
        bool clipped = false;
        for (std::size_t i = 0; i < idx.size(); ++i) {
            const std::uint32_t ia = idx[(i + idx.size() - 1) % idx.size()], ib = idx[i], ic = idx[(i + 1) % idx.size()];
            const glm::vec2 a = poly[ia], b = poly[ib], c = poly[ic];
            if (cross(a, b, c) <= 1e-12f) continue;  // reflex or degenerate
            bool empty = true;
            for (const std::uint32_t j : idx)
                if (j != ia && j != ib && j != ic && inside(poly[j], a, b, c)) {
                    empty = false;
                    break;
                }
            if (!empty) continue;
            out.insert(out.end(), {ia, ib, ic});
            idx.erase(idx.begin() + std::ptrdiff_t(i));
            clipped = true;
            break;
        }
        if (!clipped) throw Error("procgen: prism outline is not a simple counter-clockwise polygon");
    }
    if (idx.size() == 3) out.insert(out.end(), {idx[0], idx[1], idx[2]});
    return out;
}

} // namespace

glm::mat4 translation(const glm::vec3& t) {
    glm::mat4 m(1.0f);
    m[3] = glm::vec4(t, 1.0f);
    return m;
}

glm::mat4 rotationX(float a) {
    glm::mat4 m(1.0f);
    const float c = std::cos(a), s = std::sin(a);
    m[1][1] = c;
    m[1][2] = s;
    m[2][1] = -s;
    m[2][2] = c;
    return m;
}

glm::mat4 rotationY(float a) {
    glm::mat4 m(1.0f);
    const float c = std::cos(a), s = std::sin(a);
    m[0][0] = c;
    m[0][2] = -s;
    m[2][0] = s;
    m[2][2] = c;
    return m;
}

glm::mat4 rotationZ(float a) {
    glm::mat4 m(1.0f);
    const float c = std::cos(a), s = std::sin(a);
    m[0][0] = c;
    m[0][1] = s;
    m[1][0] = -s;
    m[1][1] = c;
    return m;
}

glm::mat4 scaling(const glm::vec3& s) {
    glm::mat4 m(1.0f);
    m[0][0] = s.x;
    m[1][1] = s.y;
    m[2][2] = s.z;
    return m;
}

void AssetBuilder::part(const std::string& slot) {
    for (std::size_t i = 0; i < m_parts.size(); ++i)
        if (m_parts[i].slot == slot) {
            m_current = int(i);
            return;
        }
    m_parts.push_back(PartMesh{});
    m_parts.back().slot = slot;
    m_current = int(m_parts.size()) - 1;
}

const std::string& AssetBuilder::currentPart() const {
    if (m_current < 0) throw Error("procgen: no part chosen (call part(slot) first)");
    return m_parts[std::size_t(m_current)].slot;
}

PartMesh& AssetBuilder::cur() {
    if (m_current < 0) throw Error("procgen: no part chosen (call part(slot) first)");
    return m_parts[std::size_t(m_current)];
}

std::uint32_t AssetBuilder::vertex(const glm::vec3& p, const glm::vec3& n, const glm::vec2& uv) {
    PartMesh& m = cur();
    m.positions.push_back(p);
    m.normals.push_back(n);
    m.uv.push_back(uv);
    return std::uint32_t(m.positions.size() - 1);
}

void AssetBuilder::triangle(std::uint32_t a, std::uint32_t b, std::uint32_t c) { cur().indices.insert(cur().indices.end(), {a, b, c}); }

void AssetBuilder::beginChart() { m_chartStart = std::uint32_t(cur().positions.size()); }

void AssetBuilder::endChart() {
    PartMesh& m = cur();
    const std::uint32_t end = std::uint32_t(m.positions.size());
    if (end == m_chartStart) return;
    glm::vec2 lo(1e30f), hi(-1e30f);
    for (std::uint32_t i = m_chartStart; i < end; ++i) {
        lo = glm::min(lo, m.uv[i]);
        hi = glm::max(hi, m.uv[i]);
    }
    for (std::uint32_t i = m_chartStart; i < end; ++i) m.uv[i] -= lo;
    UvChart c;
    c.firstVertex = m_chartStart;
    c.vertexCount = end - m_chartStart;
    c.size = glm::max(hi - lo, glm::vec2(1e-4f));
    m.charts.push_back(c);
}

void AssetBuilder::transformFrom(std::size_t firstVertex, std::size_t firstIndex, const glm::mat4& xf) {
    if (xf == glm::mat4(1.0f)) return;
    PartMesh& m = cur();
    const glm::mat3 linear(xf);
    const glm::mat3 normalMatrix = glm::transpose(glm::inverse(linear));
    for (std::size_t i = firstVertex; i < m.positions.size(); ++i) {
        m.positions[i] = glm::vec3(xf * glm::vec4(m.positions[i], 1.0f));
        m.normals[i] = glm::normalize(normalMatrix * m.normals[i]);
    }
    // A mirroring transform turns the winding inside out; keep faces pointing outward.
    if (glm::determinant(linear) < 0.0f)
        for (std::size_t i = firstIndex; i + 2 < m.indices.size(); i += 3) std::swap(m.indices[i + 1], m.indices[i + 2]);
}

void AssetBuilder::box(const glm::vec3& centre, const glm::vec3& size, const glm::mat4& xf) {
    const std::size_t v0 = cur().positions.size(), i0 = cur().indices.size();
    const glm::vec3 h = size * 0.5f;
    // Per face: the axis of its normal and two tangent axes with u x v = n.
    struct Face {
        int n, u, v;
        float sign;
    };
    static const Face faces[6] = {{0, 1, 2, 1}, {0, 2, 1, -1}, {1, 2, 0, 1}, {1, 0, 2, -1}, {2, 0, 1, 1}, {2, 1, 0, -1}};
    static const float corner[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
    for (const Face& f : faces) {
        beginChart();
        glm::vec3 n(0.0f);
        n[f.n] = f.sign;
        std::uint32_t ids[4];
        for (int k = 0; k < 4; ++k) {
            glm::vec3 s(0.0f);
            s[f.n] = f.sign;
            s[f.u] = corner[k][0];
            s[f.v] = corner[k][1];
            ids[k] = vertex(centre + s * h, n, {s[f.u] * h[f.u], s[f.v] * h[f.v]});
        }
        triangle(ids[0], ids[1], ids[2]);
        triangle(ids[0], ids[2], ids[3]);
        endChart();
    }
    transformFrom(v0, i0, xf);
}

void AssetBuilder::roundedBox(const glm::vec3& centre, const glm::vec3& size, float radius, const glm::mat4& xf) {
    const glm::vec3 h = size * 0.5f;
    const float r = std::clamp(radius, 0.0f, 0.999f * std::min({h.x, h.y, h.z}));
    if (r <= 1e-5f) {
        box(centre, size, xf);
        return;
    }
    const std::size_t v0 = cur().positions.size(), i0 = cur().indices.size();
    const glm::vec3 inner = h - glm::vec3(r);
    struct Face {
        int n, u, v;
        float sign;
    };
    static const Face faces[6] = {{0, 1, 2, 1}, {0, 2, 1, -1}, {1, 2, 0, 1}, {1, 0, 2, -1}, {2, 0, 1, 1}, {2, 1, 0, -1}};
    // Grid coordinates along one face axis: the rounded margins at even angles (tan spacing),
    // the flat middle in steps of about 10 cm.
    constexpr int kMargin = 3;
    // The outermost coordinate is exactly the half size, so neighbouring faces meet exactly.
    auto margin = [&](int k, float half, float in) {
        return k == kMargin ? half : in + r * std::tan(float(k) / kMargin * std::numbers::pi_v<float> / 4.0f);
    };
    auto coords = [&](float half, float in) {
        std::vector<float> c;
        for (int k = kMargin; k >= 1; --k) c.push_back(-margin(k, half, in));
        const int mid = std::clamp(int(std::ceil(2.0f * in / 0.1f)), 1, 12);
        for (int k = 0; k <= mid; ++k) c.push_back(k == mid ? in : -in + 2.0f * in * float(k) / float(mid));
        for (int k = 1; k <= kMargin; ++k) c.push_back(margin(k, half, in));
        return c;
    };
    for (const Face& f : faces) {
        beginChart();
        const std::vector<float> us = coords(h[f.u], inner[f.u]), vs = coords(h[f.v], inner[f.v]);
        const std::size_t nu = us.size(), nv = vs.size();
        std::vector<std::uint32_t> ids(nu * nv);
        for (std::size_t j = 0; j < nv; ++j)
            for (std::size_t i = 0; i < nu; ++i) {
                glm::vec3 q(0.0f);
                q[f.n] = f.sign * h[f.n];
                q[f.u] = us[i];
                q[f.v] = vs[j];
                const glm::vec3 c = glm::clamp(q, -inner, inner);
                const glm::vec3 d = glm::normalize(q - c);
                // UVs follow the surface: arc length over the rounded margins.
                auto arc = [&](float s, float in) {
                    const float a = std::abs(s);
                    if (a <= in) return s;
                    return (s < 0 ? -1.0f : 1.0f) * (in + r * std::atan((a - in) / r));
                };
                ids[j * nu + i] = vertex(centre + c + r * d, d, {arc(us[i], inner[f.u]), arc(vs[j], inner[f.v])});
            }
        for (std::size_t j = 0; j + 1 < nv; ++j)
            for (std::size_t i = 0; i + 1 < nu; ++i) {
                const std::uint32_t a = ids[j * nu + i], b = ids[j * nu + i + 1], c = ids[(j + 1) * nu + i + 1], d = ids[(j + 1) * nu + i];
                triangle(a, b, c);
                triangle(a, c, d);
            }
        endChart();
    }
    transformFrom(v0, i0, xf);
}

void AssetBuilder::discChart(const std::vector<glm::vec3>& rim, const glm::vec3& centre, const glm::vec3& normal, bool flip) {
    // A planar cap: the rim projected on the cap's plane gives the UVs.
    const glm::vec3 helper = std::abs(normal.y) < 0.9f ? glm::vec3(0, 1, 0) : glm::vec3(1, 0, 0);
    const glm::vec3 a = glm::normalize(glm::cross(helper, normal)), b = glm::cross(normal, a);
    beginChart();
    const std::uint32_t c = vertex(centre, normal, {0.0f, 0.0f});
    std::vector<std::uint32_t> ids;
    for (const glm::vec3& p : rim) ids.push_back(vertex(p, normal, {glm::dot(p - centre, a), glm::dot(p - centre, b)}));
    const std::size_t n = ids.size();
    for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t p = ids[k], q = ids[(k + 1) % n];
        if (flip) triangle(c, q, p);
        else triangle(c, p, q);
    }
    endChart();
}

void AssetBuilder::lathe(const std::vector<glm::vec2>& profile, int segments, const glm::mat4& xf, float creaseDegrees) {
    if (profile.size() < 2 || segments < 3) throw Error("procgen: lathe needs a profile of 2+ points and 3+ segments");
    const std::size_t v0 = cur().positions.size(), i0 = cur().indices.size();
    const std::size_t edges = profile.size() - 1;
    const bool loop = profile.front() == profile.back() && profile.front().x > 0.0f;
    std::vector<glm::vec2> en(edges, glm::vec2(0.0f));
    for (std::size_t k = 0; k < edges; ++k) {
        const glm::vec2 d = profile[k + 1] - profile[k];
        if (glm::dot(d, d) > 0.0f) en[k] = glm::normalize(glm::vec2(d.y, -d.x));
    }
    const float creaseCos = std::cos(creaseDegrees * std::numbers::pi_v<float> / 180.0f);
    auto smoothJoin = [&](std::size_t a, std::size_t b) { return glm::dot(en[a], en[b]) > creaseCos; };
    // Runs of edges between creases (degenerate edges are dropped).
    std::vector<std::pair<std::size_t, std::size_t>> runs;  // [first, last] edge
    for (std::size_t k = 0; k < edges; ++k) {
        if (profile[k] == profile[k + 1] || (profile[k].x <= 0.0f && profile[k + 1].x <= 0.0f)) continue;
        if (!runs.empty() && runs.back().second + 1 == k && smoothJoin(k - 1, k)) runs.back().second = k;
        else runs.push_back({k, k});
    }
    const std::size_t segs = std::size_t(segments);
    // Cosines and sines per segment, the seam column (j == segs) reusing column 0's exactly so the
    // seam's vertices weld.
    std::vector<float> cs(segs + 1), sn(segs + 1);
    for (std::size_t j = 0; j <= segs; ++j) {
        const float a = kTwoPi * float(j % segs) / float(segs);
        cs[j] = std::cos(a);
        sn[j] = std::sin(a);
    }
    auto ringPoint = [&](glm::vec2 p, std::size_t j) { return glm::vec3(p.x * cs[j], p.y, p.x * sn[j]); };
    for (const auto& [k0, k1] : runs) {
        // Normals at the run's profile points: blended inside, the edge's own at crease ends.
        std::vector<glm::vec2> pn;
        for (std::size_t k = k0; k <= k1 + 1; ++k) {
            glm::vec2 nrm;
            if (k == k0) nrm = (loop && k0 == 0 && k1 + 1 == edges && smoothJoin(edges - 1, 0)) ? glm::normalize(en[0] + en[edges - 1]) : en[k0];
            else if (k == k1 + 1) nrm = (loop && k0 == 0 && k1 + 1 == edges && smoothJoin(edges - 1, 0)) ? glm::normalize(en[0] + en[edges - 1]) : en[k1];
            else nrm = glm::normalize(en[k - 1] + en[k]);
            // A pole takes the axis direction when the surface meets the axis nearly flat.
            const std::size_t e = k == k0 ? k0 : k - 1;
            if (profile[k].x <= 0.0f && std::abs(en[e].y) > 0.6f) nrm = glm::vec2(0.0f, en[e].y > 0 ? 1.0f : -1.0f);
            pn.push_back(nrm);
        }
        bool flat = true;
        for (std::size_t k = k0; k <= k1; ++k) flat &= profile[k].y == profile[k + 1].y;
        const bool flatPole = flat && (profile[k0].x <= 0.0f || profile[k1 + 1].x <= 0.0f);
        if (flatPole) {
            // A flat disc at the axis: a planar cap.
            const bool poleFirst = profile[k0].x <= 0.0f;
            const glm::vec2 rimP = poleFirst ? profile[k1 + 1] : profile[k0];
            const float y = rimP.y;
            std::vector<glm::vec3> rim;
            for (std::size_t j = 0; j < segs; ++j) rim.push_back(ringPoint(rimP, j));
            // Rings in between (a disc of several edges) are not needed: the disc is planar.
            const glm::vec3 normal(0.0f, en[k0].y > 0 ? 1.0f : -1.0f, 0.0f);
            // Winding: outward normal up means counter-clockwise seen from above (+Y): our ring runs
            // from +X towards +Z, which is clockwise seen from above.
            discChart(rim, {0.0f, y, 0.0f}, normal, normal.y > 0);
            continue;
        }
        // Cylindrical chart: u = angle x the run's largest radius, v = arc length.
        float rmax = 0.0f;
        for (std::size_t k = k0; k <= k1 + 1; ++k) rmax = std::max(rmax, profile[k].x);
        std::vector<float> arc{0.0f};
        for (std::size_t k = k0; k <= k1; ++k) arc.push_back(arc.back() + glm::length(profile[k + 1] - profile[k]));
        beginChart();
        std::vector<std::vector<std::uint32_t>> ring(k1 - k0 + 2, std::vector<std::uint32_t>(segs + 1));
        for (std::size_t k = k0; k <= k1 + 1; ++k)
            for (std::size_t j = 0; j <= segs; ++j) {
                const float a = kTwoPi * float(j) / float(segs);
                const glm::vec2 p = profile[k], n2 = pn[k - k0];
                ring[k - k0][j] = vertex(ringPoint(p, j), glm::vec3(n2.x * cs[j], n2.y, n2.x * sn[j]), {a * rmax, arc[k - k0]});
            }
        for (std::size_t k = k0; k <= k1; ++k) {
            const bool aPole = profile[k].x <= 0.0f, bPole = profile[k + 1].x <= 0.0f;
            const auto& ra = ring[k - k0];
            const auto& rb = ring[k - k0 + 1];
            for (std::size_t j = 0; j < segs; ++j) {
                if (aPole) {
                    triangle(ra[j], rb[j], rb[j + 1]);
                } else if (bPole) {
                    triangle(ra[j], rb[j], ra[j + 1]);
                } else {
                    triangle(ra[j], rb[j], ra[j + 1]);
                    triangle(ra[j + 1], rb[j], rb[j + 1]);
                }
            }
        }
        endChart();
    }
    transformFrom(v0, i0, xf);
}

void AssetBuilder::cylinder(const glm::vec3& base, float radius, float height, int segments, const glm::mat4& xf) {
    frustum(base, radius, radius, height, segments, xf);
}

void AssetBuilder::frustum(const glm::vec3& base, float r0, float r1, float height, int segments, const glm::mat4& xf) {
    std::vector<glm::vec2> profile{{0.0f, 0.0f}, {r0, 0.0f}};
    if (r1 > 0.0f) {
        profile.push_back({r1, height});
        profile.push_back({0.0f, height});
    } else {
        profile.push_back({0.0f, height});
    }
    lathe(profile, segments, xf * translation(base));
}

void AssetBuilder::ellipsoid(const glm::vec3& centre, const glm::vec3& radii, int segments, const glm::mat4& xf) {
    const int rings = std::max(3, segments / 2);
    // The profile carries the real radii (the larger horizontal one), so the UV chart is in the
    // surface's own metres; only the x/z ratio is left to a scaling.
    const float r = std::max(radii.x, radii.z);
    std::vector<glm::vec2> profile;
    profile.push_back({0.0f, -radii.y});
    for (int i = 1; i < rings; ++i) {
        const double phi = -std::numbers::pi / 2 + std::numbers::pi * double(i) / double(rings);
        profile.push_back({r * float(std::cos(phi)), radii.y * float(std::sin(phi))});
    }
    profile.push_back({0.0f, radii.y});
    lathe(profile, segments, xf * translation(centre) * scaling({radii.x / r, 1.0f, radii.z / r}), 80.0f);
}

void AssetBuilder::torus(const glm::vec3& centre, float majorR, float minorR, int segments, int tubeSegments, const glm::mat4& xf) {
    std::vector<glm::vec2> profile;
    for (int i = 0; i < tubeSegments; ++i) {
        const double a = 2.0 * std::numbers::pi * double(i) / double(tubeSegments);
        profile.push_back({majorR + minorR * float(std::cos(a)), minorR * float(std::sin(a))});
    }
    profile.push_back(profile.front());
    lathe(profile, segments, xf * translation(centre), 80.0f);
}

void AssetBuilder::tube(const std::vector<glm::vec3>& path, const std::vector<float>& radii, int segments, const glm::mat4& xf) {
    if (path.size() < 2 || segments < 3) throw Error("procgen: tube needs 2+ path points and 3+ segments");
    if (radii.size() != 1 && radii.size() != path.size()) throw Error("procgen: tube needs one radius or one per path point");
    const std::size_t v0 = cur().positions.size(), i0 = cur().indices.size();
    const std::size_t n = path.size(), segs = std::size_t(segments);
    auto radius = [&](std::size_t i) { return radii.size() == 1 ? radii[0] : radii[i]; };
    std::vector<glm::vec3> tangents(n);
    for (std::size_t i = 0; i < n; ++i) tangents[i] = glm::normalize(path[std::min(i + 1, n - 1)] - path[i > 0 ? i - 1 : 0]);
    const glm::vec3 t0 = tangents[0];
    const glm::vec3 helper = std::abs(t0.y) < 0.9f ? glm::vec3(0, 1, 0) : glm::vec3(1, 0, 0);
    glm::vec3 normal = glm::normalize(glm::cross(helper, t0));
    std::vector<glm::vec3> ringN(n), ringB(n);
    float rmax = 0.0f;
    for (std::size_t i = 0; i < n; ++i) rmax = std::max(rmax, radius(i));
    std::vector<float> along{0.0f};
    for (std::size_t i = 1; i < n; ++i) along.push_back(along.back() + glm::length(path[i] - path[i - 1]));
    beginChart();
    std::vector<std::vector<std::uint32_t>> rings(n, std::vector<std::uint32_t>(segs + 1));
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec3 t = tangents[i];
        normal = glm::normalize(normal - glm::dot(normal, t) * t);  // parallel transport
        const glm::vec3 binormal = glm::cross(t, normal);
        ringN[i] = normal;
        ringB[i] = binormal;
        // A tapering tube's surface normal tilts towards the thin end.
        const float dr = (radius(std::min(i + 1, n - 1)) - radius(i > 0 ? i - 1 : 0)) /
                         std::max(1e-6f, glm::length(path[std::min(i + 1, n - 1)] - path[i > 0 ? i - 1 : 0]));
        for (std::size_t k = 0; k <= segs; ++k) {
            const float a = kTwoPi * float(k) / float(segs);
            const float am = kTwoPi * float(k % segs) / float(segs);  // the seam welds exactly
            const glm::vec3 dir = std::cos(am) * normal + std::sin(am) * binormal;
            rings[i][k] = vertex(path[i] + radius(i) * dir, glm::normalize(dir - dr * t), {a * rmax, along[i]});
        }
    }
    for (std::size_t i = 0; i + 1 < n; ++i)
        for (std::size_t k = 0; k < segs; ++k) {
            triangle(rings[i][k], rings[i][k + 1], rings[i + 1][k]);
            triangle(rings[i][k + 1], rings[i + 1][k + 1], rings[i + 1][k]);
        }
    endChart();
    // Flat caps: the end cap faces along the last tangent, the start cap against the first.
    for (int end = 0; end < 2; ++end) {
        const std::size_t i = end ? n - 1 : 0;
        std::vector<glm::vec3> rim;
        for (std::size_t k = 0; k < segs; ++k) rim.push_back(cur().positions[rings[i][k]]);
        // The rim runs counter-clockwise around +tangent (normal -> binormal).
        discChart(rim, path[i], end ? tangents[i] : -tangents[i], end == 0);
    }
    transformFrom(v0, i0, xf);
}

void AssetBuilder::prism(const std::vector<glm::vec2>& outline, float z0, float z1, const glm::mat4& xf) {
    if (outline.size() < 3) throw Error("procgen: prism needs 3+ outline points");
    const std::size_t v0 = cur().positions.size(), i0 = cur().indices.size();
    const std::size_t n = outline.size();
    // The side walls unroll into one strip: u = distance around the outline, v = height.
    beginChart();
    float around = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec2 p = outline[i], q = outline[(i + 1) % n];
        const float len = glm::length(q - p);
        if (len <= 0.0f) continue;
        const glm::vec2 d = (q - p) / len;
        const glm::vec3 nrm(d.y, -d.x, 0.0f);
        const std::uint32_t a = vertex({p, z0}, nrm, {around, 0.0f}), b = vertex({q, z0}, nrm, {around + len, 0.0f}),
                            c = vertex({q, z1}, nrm, {around + len, z1 - z0}), e = vertex({p, z1}, nrm, {around, z1 - z0});
        triangle(a, b, c);
        triangle(a, c, e);
        around += len;
    }
    endChart();
    const std::vector<std::uint32_t> tris = triangulatePolygon(outline);
    for (int side = 0; side < 2; ++side) {
        beginChart();
        const float z = side ? z1 : z0;
        const glm::vec3 nrm(0.0f, 0.0f, side ? 1.0f : -1.0f);
        std::vector<std::uint32_t> ids(n);
        for (std::size_t i = 0; i < n; ++i) ids[i] = vertex({outline[i], z}, nrm, outline[i]);
        for (std::size_t t = 0; t < tris.size(); t += 3) {
            if (side) triangle(ids[tris[t]], ids[tris[t + 1]], ids[tris[t + 2]]);
            else triangle(ids[tris[t]], ids[tris[t + 2]], ids[tris[t + 1]]);
        }
        endChart();
    }
    transformFrom(v0, i0, xf);
}

void AssetBuilder::smoothNormals() {
    PartMesh& m = cur();
    const std::vector<std::uint32_t> ids = core::firstAtSamePosition(m.positions);
    std::vector<glm::vec3> acc(m.positions.size(), glm::vec3(0.0f));
    for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3) {
        const std::uint32_t i = m.indices[t], j = m.indices[t + 1], k = m.indices[t + 2];
        const glm::vec3 nrm = glm::cross(m.positions[j] - m.positions[i], m.positions[k] - m.positions[i]);  // area weighted
        acc[ids[i]] += nrm;
        acc[ids[j]] += nrm;
        acc[ids[k]] += nrm;
    }
    for (std::size_t v = 0; v < m.positions.size(); ++v) {
        const float len = glm::length(acc[ids[v]]);
        m.normals[v] = len > 0.0f ? acc[ids[v]] / len : glm::vec3(0, 1, 0);
    }
}

void AssetBuilder::displace(const std::function<glm::vec3(const glm::vec3&)>& f, bool faceted) {
    PartMesh& m = cur();
    for (glm::vec3& p : m.positions) p = f(p);
    if (!faceted) {
        smoothNormals();
        return;
    }
    // Faceted: every triangle gets its own three vertices with its face normal, chart by chart.
    PartMesh flat;
    flat.slot = m.slot;
    std::vector<int> chartOf(m.positions.size(), 0);
    for (std::size_t c = 0; c < m.charts.size(); ++c)
        for (std::uint32_t v = m.charts[c].firstVertex; v < m.charts[c].firstVertex + m.charts[c].vertexCount; ++v) chartOf[v] = int(c);
    for (std::size_t c = 0; c < m.charts.size(); ++c) {
        UvChart chart = m.charts[c];
        chart.firstVertex = std::uint32_t(flat.positions.size());
        for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3) {
            if (chartOf[m.indices[t]] != int(c)) continue;
            const glm::vec3 a = m.positions[m.indices[t]], b = m.positions[m.indices[t + 1]], e = m.positions[m.indices[t + 2]];
            glm::vec3 nrm = glm::cross(b - a, e - a);
            const float len = glm::length(nrm);
            nrm = len > 0.0f ? nrm / len : glm::vec3(0, 1, 0);
            for (int k = 0; k < 3; ++k) {
                const std::uint32_t src = m.indices[t + std::size_t(k)];
                flat.positions.push_back(m.positions[src]);
                flat.normals.push_back(nrm);
                flat.uv.push_back(m.uv[src]);
                flat.indices.push_back(std::uint32_t(flat.positions.size() - 1));
            }
        }
        chart.vertexCount = std::uint32_t(flat.positions.size()) - chart.firstVertex;
        flat.charts.push_back(chart);
    }
    m = std::move(flat);
}

} // namespace kiln::procgen
