#include "mesh_builder.h"

#include "core/error.h"

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace kiln::procgen::v1::detail {

std::uint64_t mix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::uint64_t ShapeRng::next() {
    m_state += 0x9E3779B97F4A7C15ull;
    return mix64(m_state);
}

float ShapeRng::uniform(float lo, float hi) {
    float t;
    return uniform(lo, hi, t);
}

float ShapeRng::uniform(float lo, float hi, float& t) {
    t = float(next() >> 40) * (1.0f / 16777216.0f);  // 24 random bits -> [0, 1)
    return lo + (hi - lo) * t;
}

int ShapeRng::range(int lo, int hi) { return lo + int(next() % std::uint64_t(hi - lo + 1)); }

bool ShapeRng::chance(float p) { return uniform(0.0f, 1.0f) < p; }

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

std::uint32_t MeshBuilder::vertex(const glm::vec3& p, const glm::vec3& n) {
    m_mesh.positions.push_back(p);
    m_mesh.normals.push_back(n);
    m_mesh.colors.emplace_back(m_colour, 1.0f);
    return std::uint32_t(m_mesh.positions.size() - 1);
}

void MeshBuilder::triangle(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    m_mesh.indices.insert(m_mesh.indices.end(), {a, b, c});
}

void MeshBuilder::transformFrom(std::size_t firstVertex, std::size_t firstIndex, const glm::mat4& xf) {
    if (xf == glm::mat4(1.0f)) return;
    const glm::mat3 linear(xf);
    const glm::mat3 normalMatrix = glm::transpose(glm::inverse(linear));
    for (std::size_t i = firstVertex; i < m_mesh.positions.size(); ++i) {
        m_mesh.positions[i] = glm::vec3(xf * glm::vec4(m_mesh.positions[i], 1.0f));
        m_mesh.normals[i] = glm::normalize(normalMatrix * m_mesh.normals[i]);
    }
    // A mirroring transform turns the winding inside out; keep faces pointing outward.
    if (glm::determinant(linear) < 0.0f)
        for (std::size_t i = firstIndex; i + 2 < m_mesh.indices.size(); i += 3) std::swap(m_mesh.indices[i + 1], m_mesh.indices[i + 2]);
}

void MeshBuilder::box(const glm::vec3& centre, const glm::vec3& size, const glm::mat4& xf) {
    const std::size_t v0 = m_mesh.positions.size(), i0 = m_mesh.indices.size();
    const glm::vec3 h = size * 0.5f;
    // Per face: the axis of its normal and two tangent axes with u x v = n.
    struct Face {
        int n, u, v;
        float sign;
    };
    static const Face faces[6] = {{0, 1, 2, 1}, {0, 2, 1, -1}, {1, 2, 0, 1}, {1, 0, 2, -1}, {2, 0, 1, 1}, {2, 1, 0, -1}};
    static const float corner[4][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
    for (const Face& f : faces) {
        glm::vec3 n(0.0f);
        n[f.n] = f.sign;
        std::uint32_t ids[4];
        for (int k = 0; k < 4; ++k) {
            glm::vec3 s(0.0f);
            s[f.n] = f.sign;
            s[f.u] = corner[k][0];
            s[f.v] = corner[k][1];
            ids[k] = vertex(centre + s * h, n);
        }
        triangle(ids[0], ids[1], ids[2]);
        triangle(ids[0], ids[2], ids[3]);
    }
    transformFrom(v0, i0, xf);
}

void MeshBuilder::lathe(const std::vector<glm::vec2>& profile, int segments, const glm::mat4& xf) {
    if (profile.size() < 2 || segments < 3) throw Error("procgen: lathe needs a profile of 2+ points and 3+ segments");
    const std::size_t v0 = m_mesh.positions.size(), i0 = m_mesh.indices.size();
    const std::size_t n = profile.size();
    const bool loop = profile.front() == profile.back() && profile.front().x > 0.0f;
    const std::size_t segs = std::size_t(segments);
    std::vector<float> cs(segs), sn(segs);
    for (int j = 0; j < segments; ++j) {
        const double a = 2.0 * std::numbers::pi * double(j) / double(segments);
        cs[std::size_t(j)] = float(std::cos(a));
        sn[std::size_t(j)] = float(std::sin(a));
    }
    // Outward normal of each profile edge in the (r, y) plane: the right-hand side of travel.
    const std::size_t edges = n - 1;
    std::vector<glm::vec2> en(edges, glm::vec2(0.0f));
    for (std::size_t k = 0; k < edges; ++k) {
        const glm::vec2 d = profile[k + 1] - profile[k];
        if (glm::dot(d, d) > 0.0f) en[k] = glm::normalize(glm::vec2(d.y, -d.x));
    }
    // Corners sharper than ~40 degrees keep a crease; gentler ones are smoothed.
    const float smoothCos = 0.766f;
    auto blend = [&](std::size_t a, std::size_t b) {
        if (glm::dot(en[a], en[b]) > smoothCos) return glm::normalize(en[a] + en[b]);
        return en[a];
    };
    for (std::size_t k = 0; k < edges; ++k) {
        const glm::vec2 a = profile[k], b = profile[k + 1];
        if (a == b || (a.x <= 0.0f && b.x <= 0.0f)) continue;
        const bool hasPrev = k > 0 || loop, hasNext = k + 1 < edges || loop;
        const std::size_t prev = k > 0 ? k - 1 : edges - 1, next = k + 1 < edges ? k + 1 : 0;
        glm::vec2 na = hasPrev ? blend(k, prev) : en[k];
        glm::vec2 nb = hasNext ? blend(k, next) : en[k];
        // A pole takes the axis direction when the surface meets the axis nearly flat.
        auto poleNormal = [&](glm::vec2 nrm) { return std::abs(en[k].y) > 0.6f ? glm::vec2(0.0f, en[k].y > 0 ? 1.0f : -1.0f) : nrm; };
        if (a.x <= 0.0f) na = poleNormal(na);
        if (b.x <= 0.0f) nb = poleNormal(nb);
        std::vector<std::uint32_t> ra(segs), rb(segs);
        for (int j = 0; j < segments; ++j) {
            const float c = cs[std::size_t(j)], s = sn[std::size_t(j)];
            ra[std::size_t(j)] = vertex({a.x * c, a.y, a.x * s}, {na.x * c, na.y, na.x * s});
            rb[std::size_t(j)] = vertex({b.x * c, b.y, b.x * s}, {nb.x * c, nb.y, nb.x * s});
        }
        for (int j = 0; j < segments; ++j) {
            const std::size_t j0 = std::size_t(j), j1 = std::size_t((j + 1) % segments);
            if (a.x <= 0.0f) {
                triangle(ra[j0], rb[j0], rb[j1]);
            } else if (b.x <= 0.0f) {
                triangle(ra[j0], rb[j0], ra[j1]);
            } else {
                triangle(ra[j0], rb[j0], ra[j1]);
                triangle(ra[j1], rb[j0], rb[j1]);
            }
        }
    }
    transformFrom(v0, i0, xf);
}

void MeshBuilder::cylinder(const glm::vec3& base, float radius, float height, int segments, const glm::mat4& xf) {
    frustum(base, radius, radius, height, segments, xf);
}

void MeshBuilder::frustum(const glm::vec3& base, float r0, float r1, float height, int segments, const glm::mat4& xf) {
    std::vector<glm::vec2> profile{{0.0f, 0.0f}, {r0, 0.0f}};
    if (r1 > 0.0f) {
        profile.push_back({r1, height});
        profile.push_back({0.0f, height});
    } else {
        profile.push_back({0.0f, height});
    }
    lathe(profile, segments, xf * translation(base));
}

void MeshBuilder::sphere(const glm::vec3& centre, const glm::vec3& radii, int segments, const glm::mat4& xf) {
    const int rings = std::max(3, segments / 2);
    std::vector<glm::vec2> profile;
    profile.push_back({0.0f, -radii.y});
    for (int i = 1; i < rings; ++i) {
        const double phi = -std::numbers::pi / 2 + std::numbers::pi * double(i) / double(rings);
        profile.push_back({float(std::cos(phi)), radii.y * float(std::sin(phi))});
    }
    profile.push_back({0.0f, radii.y});
    glm::mat4 scale(1.0f);
    scale[0][0] = radii.x;
    scale[2][2] = radii.z;
    lathe(profile, segments, xf * translation(centre) * scale);
}

void MeshBuilder::torus(const glm::vec3& centre, float majorR, float minorR, int segments, int tubeSegments, const glm::mat4& xf) {
    std::vector<glm::vec2> profile;
    for (int i = 0; i < tubeSegments; ++i) {
        const double a = 2.0 * std::numbers::pi * double(i) / double(tubeSegments);
        profile.push_back({majorR + minorR * float(std::cos(a)), minorR * float(std::sin(a))});
    }
    profile.push_back(profile.front());
    lathe(profile, segments, xf * translation(centre));
}

void MeshBuilder::prism(const std::vector<glm::vec2>& outline, float z0, float z1, const glm::mat4& xf) {
    const std::size_t v0 = m_mesh.positions.size(), i0 = m_mesh.indices.size();
    const std::size_t n = outline.size();
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec2 p = outline[i], q = outline[(i + 1) % n];
        const glm::vec2 d = glm::normalize(q - p);
        const glm::vec3 nrm(d.y, -d.x, 0.0f);
        const std::uint32_t a = vertex({p, z0}, nrm), b = vertex({q, z0}, nrm), c = vertex({q, z1}, nrm), e = vertex({p, z1}, nrm);
        triangle(a, b, c);
        triangle(a, c, e);
    }
    std::vector<std::uint32_t> top(n), bottom(n);
    for (std::size_t i = 0; i < n; ++i) {
        top[i] = vertex({outline[i], z1}, {0, 0, 1});
        bottom[i] = vertex({outline[i], z0}, {0, 0, -1});
    }
    for (std::size_t i = 1; i + 1 < n; ++i) {
        triangle(top[0], top[i], top[i + 1]);
        triangle(bottom[0], bottom[i + 1], bottom[i]);
    }
    transformFrom(v0, i0, xf);
}

void MeshBuilder::tube(const std::vector<glm::vec3>& path, float radius, int segments, const glm::mat4& xf) {
    if (path.size() < 2 || segments < 3) throw Error("procgen: tube needs 2+ path points and 3+ segments");
    const std::size_t v0 = m_mesh.positions.size(), i0 = m_mesh.indices.size();
    const std::size_t n = path.size();
    std::vector<glm::vec3> tangents(n);
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec3 d = path[std::min(i + 1, n - 1)] - path[i > 0 ? i - 1 : 0];
        tangents[i] = glm::normalize(d);
    }
    const glm::vec3 t0 = tangents[0];
    const glm::vec3 helper = std::abs(t0.y) < 0.9f ? glm::vec3(0, 1, 0) : glm::vec3(1, 0, 0);
    glm::vec3 normal = glm::normalize(glm::cross(helper, t0));
    std::vector<std::vector<std::uint32_t>> rings(n, std::vector<std::uint32_t>(std::size_t(segments)));
    std::vector<glm::vec3> ringNormals(n), ringBinormals(n);
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec3 t = tangents[i];
        normal = glm::normalize(normal - glm::dot(normal, t) * t);  // parallel transport
        const glm::vec3 binormal = glm::cross(t, normal);
        ringNormals[i] = normal;
        ringBinormals[i] = binormal;
        for (int k = 0; k < segments; ++k) {
            const double a = 2.0 * std::numbers::pi * double(k) / double(segments);
            const glm::vec3 dir = float(std::cos(a)) * normal + float(std::sin(a)) * binormal;
            rings[i][std::size_t(k)] = vertex(path[i] + radius * dir, dir);
        }
    }
    for (std::size_t i = 0; i + 1 < n; ++i)
        for (int k = 0; k < segments; ++k) {
            const std::size_t k0 = std::size_t(k), k1 = std::size_t((k + 1) % segments);
            triangle(rings[i][k0], rings[i][k1], rings[i + 1][k0]);
            triangle(rings[i][k1], rings[i + 1][k1], rings[i + 1][k0]);
        }
    // Flat caps: the end cap faces along the last tangent, the start cap against the first.
    for (int end = 0; end < 2; ++end) {
        const std::size_t i = end ? n - 1 : 0;
        const glm::vec3 capN = end ? tangents[i] : -tangents[i];
        const std::uint32_t centre = vertex(path[i], capN);
        std::vector<std::uint32_t> rim(static_cast<std::size_t>(segments));
        for (int k = 0; k < segments; ++k) rim[std::size_t(k)] = vertex(m_mesh.positions[rings[i][std::size_t(k)]], capN);
        for (int k = 0; k < segments; ++k) {
            const std::size_t k0 = std::size_t(k), k1 = std::size_t((k + 1) % segments);
            if (end)
                triangle(centre, rim[k0], rim[k1]);
            else
                triangle(centre, rim[k1], rim[k0]);
        }
    }
    transformFrom(v0, i0, xf);
}

void MeshBuilder::displace(const std::function<glm::vec3(const glm::vec3&)>& f, bool faceted) {
    for (glm::vec3& p : m_mesh.positions) p = f(p);
    core::Mesh& m = m_mesh;
    if (faceted) {
        core::Mesh flat;
        for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3) {
            const glm::vec3 a = m.positions[m.indices[t]], b = m.positions[m.indices[t + 1]], c = m.positions[m.indices[t + 2]];
            glm::vec3 nrm = glm::cross(b - a, c - a);
            const float len = glm::length(nrm);
            nrm = len > 0.0f ? nrm / len : glm::vec3(0, 1, 0);
            for (int k = 0; k < 3; ++k) {
                const std::uint32_t src = m.indices[t + std::size_t(k)];
                flat.positions.push_back(m.positions[src]);
                flat.normals.push_back(nrm);
                flat.colors.push_back(m.colors[src]);
                flat.indices.push_back(std::uint32_t(flat.positions.size() - 1));
            }
        }
        m = std::move(flat);
        return;
    }
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
        const glm::vec3 s = acc[ids[v]];
        const float len = glm::length(s);
        m.normals[v] = len > 0.0f ? s / len : glm::vec3(0, 1, 0);
    }
}

core::Mesh MeshBuilder::finish(const core::Material& material) {
    core::Mesh m = std::move(m_mesh);
    m_mesh = {};
    const core::Bounds b = core::computeBounds(m);
    const glm::vec3 shift(-b.center().x, -b.min.y, -b.center().z);
    for (glm::vec3& p : m.positions) p += shift;
    m.materials = {material};
    core::Submesh sub;
    sub.name = material.name;
    sub.indexCount = std::uint32_t(m.indices.size());
    sub.vertexCount = std::uint32_t(m.positions.size());
    sub.material = 0;
    m.submeshes = {sub};
    m.validate("procgen mesh");
    return m;
}

} // namespace kiln::procgen::v1::detail
