// Nature, weapons and armour of the procedural library (procgen/category_defs.h): mushroom, tree,
// rock, cactus, candle, sword, axe, hammer, shield, helmet. Sizes are real-world, in metres.
#include "procgen/category_defs.h"

#include "core/error.h"
#include "procgen/noise.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

namespace kiln::procgen::detail {

namespace {

using Warp = std::function<glm::vec3(const glm::vec3&)>;

float lerp(float a, float b, float t) { return a + (b - a) * t; }
float smoothstep(float e0, float e1, float x) {
    const float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

PartMesh& currentMesh(AssetBuilder& b) {
    const std::string& slot = b.currentPart();
    for (PartMesh& p : b.parts())
        if (p.slot == slot) return p;
    throw Error("procgen: the current part '" + slot + "' is missing");
}

// Vertex count of the current part, so that the primitives added after it can be warped alone
// (displace() moves the whole part).
std::size_t mark(AssetBuilder& b) { return currentMesh(b).positions.size(); }

// Moves the vertices added since `from` by f. Normals follow f's Jacobian J (central
// differences): a deformed surface's normals transform by the cofactor matrix, n' ~ cof(J) n,
// which stays defined where f flattens a direction (a blade's tip).
void warpFrom(AssetBuilder& b, std::size_t from, const Warp& f) {
    PartMesh& m = currentMesh(b);
    constexpr float h = 1e-4f;
    for (std::size_t i = from; i < m.positions.size(); ++i) {
        const glm::vec3 p = m.positions[i];
        const glm::vec3 jx = (f(p + glm::vec3(h, 0, 0)) - f(p - glm::vec3(h, 0, 0))) / (2.0f * h);
        const glm::vec3 jy = (f(p + glm::vec3(0, h, 0)) - f(p - glm::vec3(0, h, 0))) / (2.0f * h);
        const glm::vec3 jz = (f(p + glm::vec3(0, 0, h)) - f(p - glm::vec3(0, 0, h))) / (2.0f * h);
        const glm::vec3 n = m.normals[i];
        const glm::vec3 nn = n.x * glm::cross(jy, jz) + n.y * glm::cross(jz, jx) + n.z * glm::cross(jx, jy);
        const float len = glm::length(nn);
        m.positions[i] = f(p);
        if (len > 1e-12f) m.normals[i] = nn / len;
    }
}

// Rotation taking +Y to `dir` (right-handed).
glm::mat4 alignY(const glm::vec3& dir) {
    const glm::vec3 y = glm::normalize(dir);
    const glm::vec3 helper = std::abs(y.z) < 0.9f ? glm::vec3(0, 0, 1) : glm::vec3(1, 0, 0);
    const glm::vec3 x = glm::normalize(glm::cross(y, helper));
    const glm::vec3 z = glm::cross(x, y);
    glm::mat4 m(1.0f);
    m[0] = glm::vec4(x, 0.0f);
    m[1] = glm::vec4(y, 0.0f);
    m[2] = glm::vec4(z, 0.0f);
    return m;
}

std::uint32_t noiseSeed(Knobs& k) { return std::uint32_t(k.rng().next() >> 32); }

// Points on a circular arc in the (r, y) plane from angle a0 to a1 (radians), both ends included.
void arc(std::vector<glm::vec2>& out, glm::vec2 centre, float radius, float a0, float a1, int steps) {
    for (int i = 0; i <= steps; ++i) {
        const float a = lerp(a0, a1, float(i) / float(steps));
        out.push_back(centre + radius * glm::vec2(std::cos(a), std::sin(a)));
    }
}

// A hollow shell's lathe profile from its outer surface, which runs from the rim (r > 0) up to
// the axis: the inner surface (offset inward by `wall`) comes down from the axis to the rim, then
// the outer surface goes back up, so the wall is one closed solid.
std::vector<glm::vec2> hollowProfile(const std::vector<glm::vec2>& outer, float wall) {
    const std::size_t n = outer.size();
    std::vector<glm::vec2> inner(n);
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec2 d = outer[std::min(i + 1, n - 1)] - outer[i > 0 ? i - 1 : 0];
        const glm::vec2 nrm = glm::normalize(glm::vec2(d.y, -d.x));  // outward: right of travel
        inner[i] = outer[i] - wall * nrm;
    }
    for (std::size_t i = 0; i + 1 < n; ++i) inner[i].x = std::max(inner[i].x, 1e-4f);
    inner.back().x = 0.0f;
    std::vector<glm::vec2> out(inner.rbegin(), inner.rend());
    out.insert(out.end(), outer.begin(), outer.end());
    return out;
}

// Chaikin corner cutting of a closed polygon: a quadratic B-spline, so corners come out rounded
// and collinear runs stay straight.
std::vector<glm::vec2> chaikin(std::vector<glm::vec2> poly, int iterations) {
    for (int it = 0; it < iterations; ++it) {
        std::vector<glm::vec2> next;
        for (std::size_t i = 0; i < poly.size(); ++i) {
            const glm::vec2 a = poly[i], c = poly[(i + 1) % poly.size()];
            next.push_back(0.75f * a + 0.25f * c);
            next.push_back(0.25f * a + 0.75f * c);
        }
        poly = std::move(next);
    }
    return poly;
}

// `count` points evenly spaced by arc length around a closed polygon, starting at its first point.
std::vector<glm::vec2> resampleClosed(const std::vector<glm::vec2>& poly, int count) {
    std::vector<float> cum{0.0f};
    for (std::size_t i = 0; i < poly.size(); ++i) cum.push_back(cum.back() + glm::length(poly[(i + 1) % poly.size()] - poly[i]));
    std::vector<glm::vec2> out;
    std::size_t seg = 0;
    for (int k = 0; k < count; ++k) {
        const float s = cum.back() * float(k) / float(count);
        while (seg + 1 < poly.size() && cum[seg + 1] < s) ++seg;
        const float t = (s - cum[seg]) / std::max(1e-9f, cum[seg + 1] - cum[seg]);
        out.push_back(glm::mix(poly[seg], poly[(seg + 1) % poly.size()], t));
    }
    return out;
}

float signedArea(const std::vector<glm::vec2>& poly) {
    float a = 0.0f;
    for (std::size_t i = 0; i < poly.size(); ++i) {
        const glm::vec2 p = poly[i], q = poly[(i + 1) % poly.size()];
        a += p.x * q.y - q.x * p.y;
    }
    return 0.5f * a;
}

std::vector<glm::vec2> counterClockwise(std::vector<glm::vec2> poly) {
    if (signedArea(poly) < 0.0f) std::reverse(poly.begin(), poly.end());
    return poly;
}

// Frames along a polyline, parallel-transported the way AssetBuilder::tube documents, so angles
// around a tube can be measured (ribs) and points put on its surface (spines).
struct TubeFrames {
    std::vector<glm::vec3> tangent, normal, binormal;
};

TubeFrames tubeFrames(const std::vector<glm::vec3>& path) {
    const std::size_t n = path.size();
    TubeFrames f;
    for (std::size_t i = 0; i < n; ++i) f.tangent.push_back(glm::normalize(path[std::min(i + 1, n - 1)] - path[i > 0 ? i - 1 : 0]));
    const glm::vec3 t0 = f.tangent[0];
    glm::vec3 nrm = glm::normalize(glm::cross(std::abs(t0.y) < 0.9f ? glm::vec3(0, 1, 0) : glm::vec3(1, 0, 0), t0));
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec3 t = f.tangent[i];
        nrm = glm::normalize(nrm - glm::dot(nrm, t) * t);
        f.normal.push_back(nrm);
        f.binormal.push_back(glm::cross(t, nrm));
    }
    return f;
}

// A tube whose surface is fluted into `ribs` ridges (cactus stems): each ring vertex moves
// towards the path by `depth` of its radius in the grooves. Normals are left to the caller's
// smoothNormals().
void ribbedTube(AssetBuilder& b, const std::vector<glm::vec3>& path, const std::vector<float>& radii, int segments, int ribs, float depth) {
    const std::size_t from = mark(b);
    b.tube(path, radii, segments);
    const TubeFrames fr = tubeFrames(path);
    PartMesh& m = currentMesh(b);
    for (std::size_t v = from; v < m.positions.size(); ++v) {
        const glm::vec3 p = m.positions[v];
        std::size_t best = 0;
        float bestErr = 1e30f;
        for (std::size_t i = 0; i < path.size(); ++i) {
            const glm::vec3 q = p - path[i];
            const float along = glm::dot(q, fr.tangent[i]);
            const float err = std::abs(along) + std::abs(glm::length(q - along * fr.tangent[i]) - radii[i]);
            if (err < bestErr) bestErr = err, best = i;
        }
        if (bestErr > 1e-5f + 1e-3f * radii[best]) continue;  // a cap's centre
        const glm::vec3 q = p - path[best];
        const float a = std::atan2(glm::dot(q, fr.binormal[best]), glm::dot(q, fr.normal[best]));
        const float groove = 0.5f - 0.5f * std::cos(float(ribs) * a);
        m.positions[v] = path[best] + q * (1.0f - depth * std::pow(groove, 0.8f));
    }
}

// Thin spines (cones) in areoles along the crests of a ribbed tube, every `spacing` metres of its
// length from `fromArc` on, staggered by half a step on alternate ribs, fanning out.
void spinesAlong(AssetBuilder& b, const std::vector<glm::vec3>& path, const std::vector<float>& radii, int ribs, float spacing,
                 float length, int perAreole, ShapeRng& rng, float fromArc = 0.0f) {
    const TubeFrames fr = tubeFrames(path);
    std::vector<float> cum{0.0f};
    for (std::size_t i = 1; i < path.size(); ++i) cum.push_back(cum.back() + glm::length(path[i] - path[i - 1]));
    const float spineR = std::max(0.0006f, length * 0.06f);
    for (int rib = 0; rib < ribs; ++rib) {
        const float a = 2.0f * kPi * float(rib) / float(ribs);
        std::size_t i = 1;
        for (float at = fromArc + (rib % 2 ? 1.0f : 0.5f) * spacing; at < cum.back(); at += spacing) {
            while (i + 1 < path.size() && cum[i] < at) ++i;
            const float t = (at - cum[i - 1]) / std::max(1e-6f, cum[i] - cum[i - 1]);
            const float r = lerp(radii[i - 1], radii[i], t);
            if (r < 2.0f * spineR) continue;
            const glm::vec3 c = glm::mix(path[i - 1], path[i], t);
            const glm::vec3 tan = glm::normalize(glm::mix(fr.tangent[i - 1], fr.tangent[i], t));
            const glm::vec3 nrm = glm::normalize(glm::mix(fr.normal[i - 1], fr.normal[i], t)), bin = glm::cross(tan, nrm);
            const glm::vec3 out = std::cos(a) * nrm + std::sin(a) * bin;
            const glm::vec3 side = glm::cross(tan, out);
            for (int s = 0; s < perAreole; ++s) {
                const float fan = perAreole == 1 ? 0.0f : (float(s) / float(perAreole - 1) - 0.5f) * 1.4f;
                const glm::vec3 dir = glm::normalize(out + fan * side + tan * (0.35f + 0.3f * rng.uniform01()) + 0.25f * (rng.uniform01() - 0.5f) * side);
                const glm::vec3 base = c + out * (r - spineR * 1.5f) + side * (fan * spineR);
                const float len = length * (0.7f + 0.5f * rng.uniform01());
                b.frustum({0, 0, 0}, spineR, 0.0f, len, 5, translation(base) * alignY(dir));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mushroom. Styles: 0 dome cap (bolete, fly agaric), 1 flat cap (parasol), 2 pointed cap
// (liberty cap). The cap is a lathe displaced by noise; gills are a corrugated disc under it.
void mushroom(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float height = k.range("height", 0.05f, 0.22f);
    const float capWidth = k.range("cap-width", 0.8f, 1.2f);
    const float stemThickness = k.range("stem-thickness", 0.8f, 1.25f);
    const float lean = k.range("lean", -0.15f, 0.15f);
    const float tilt = k.range("cap-tilt", -0.12f, 0.12f);
    const bool ring = k.flag("ring", 0.5f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    const std::uint32_t seed = noiseSeed(k);

    // Cap radius, its height above the rim, the underside's rise at the centre, stem radius.
    float capR = 0, capH = 0, under = 0, stemR = 0;
    if (style == 0) capR = 0.42f * height * capWidth, capH = 0.78f * capR, under = 0.3f * capH, stemR = 0.3f * capR;
    else if (style == 1) capR = 0.5f * height * capWidth, capH = 0.26f * capR, under = 0.12f * capH, stemR = 0.15f * capR;
    else capR = 0.24f * height * capWidth, capH = 1.45f * capR, under = 0.45f * capH, stemR = 0.3f * capR;
    stemR *= stemThickness;
    const float lip = (style == 0 ? 0.07f : 0.04f) * capR;
    auto top = [&](float u) {  // cap's outer surface height at radius u * capR
        if (style == 0) return capH * std::sqrt(std::max(0.0f, 1.0f - u * u));
        if (style == 1) return capH * std::sqrt(std::max(0.0f, 1.0f - u * u)) + 0.3f * capH * std::exp(-(u * u) / 0.05f);
        return capH * std::pow(std::max(0.0f, 1.0f - u), 0.75f);
    };
    const float ru = capR - lip;
    auto underside = [&](float r) {
        const float t = std::clamp(r / ru, 0.0f, 1.0f);
        return under * (1.0f - t * t) - lip * std::pow(t, 6.0f);
    };

    // The stem: bulbous at the foot, bending with the lean, into the cap's underside.
    const float stemTop = height - capH + under;
    b.part("stem");
    std::vector<glm::vec3> path;
    std::vector<float> radii;
    for (int i = 0; i <= 8; ++i) {
        const float t = float(i) / 8.0f;
        path.push_back({lean * stemTop * t * t, stemTop * t, 0.0f});
        radii.push_back(stemR * (1.0f + 0.4f * std::exp(-t * 7.0f)) * (1.0f - 0.12f * t));
    }
    std::size_t m0 = mark(b);
    b.tube(path, radii, 20);
    warpFrom(b, m0, [=](const glm::vec3& p) {
        const glm::vec3 axis(lean * p.y * p.y / std::max(stemTop, 1e-4f), p.y, 0.0f);
        const glm::vec3 q = p - axis;
        return p + q * (0.08f * fbm(p * (3.0f / capR), 2, seed + 1u));
    });
    const glm::vec3 capOrigin = path.back() - glm::vec3(0.0f, under + 0.12f * capH + 0.04f * capR, 0.0f);
    const glm::mat4 capXf = translation(capOrigin) * rotationZ(tilt - lean * 0.5f);
    if (ring) {
        // The annulus (a skirt left by the veil) two thirds up the stem.
        b.part("ring");
        const float y = 0.68f * stemTop, r = stemR * 0.95f;
        const glm::vec3 at(lean * stemTop * 0.68f * 0.68f, y, 0.0f);
        b.lathe({{0.0f, -0.2f * r}, {1.25f * r, -0.45f * r}, {1.6f * r, -1.0f * r}, {1.68f * r, -0.9f * r}, {1.35f * r, -0.3f * r}, {1.0f * r, 0.0f},
                 {0.0f, 0.05f * r}},
                32, translation(at));
    }

    // Gills: a disc under the cap whose lower face is corrugated into radial lamellae.
    b.part("gills");
    {
        const float rg = capR * 0.9f, r0 = stemR * 0.8f, depth = 0.12f * capH + 0.04f * capR;
        std::vector<glm::vec2> prof;
        for (int i = 0; i <= 6; ++i) {
            const float r = rg * float(i) / 6.0f;
            const float w = smoothstep(r0, r0 + 0.25f * capR, r) * (1.0f - smoothstep(0.8f * rg, rg, r));
            prof.push_back({r, underside(r) - depth * 0.5f * w - 0.002f * capR});
        }
        for (int i = 6; i >= 0; --i) {
            const float r = rg * float(i) / 6.0f;
            prof.push_back({r, underside(r) + 0.4f * (top(r / capR) - underside(r))});
        }
        const int gills = 40;
        m0 = mark(b);
        b.lathe(prof, gills * 3, glm::mat4(1.0f), 89.0f);
        warpFrom(b, m0, [=](const glm::vec3& p) {
            const float r = std::sqrt(p.x * p.x + p.z * p.z);
            if (p.y > underside(r)) return p;  // the face hidden inside the cap stays
            const float w = smoothstep(r0, r0 + 0.25f * capR, r) * (1.0f - smoothstep(0.85f * rg, rg, r));
            const float a = std::atan2(p.z, p.x);
            return p - glm::vec3(0.0f, depth * w * (0.5f + 0.5f * std::cos(float(gills) * a)), 0.0f);
        });
        warpFrom(b, m0, [&](const glm::vec3& p) { return glm::vec3(capXf * glm::vec4(p, 1.0f)); });
    }

    // The cap: underside from the axis out to a rolled lip, then over the top back to the axis.
    b.part("cap");
    std::vector<glm::vec2> prof;
    for (int i = 0; i <= 6; ++i) {
        const float r = ru * float(i) / 6.0f;
        prof.push_back({r, underside(r)});
    }
    prof.pop_back();
    arc(prof, {ru, 0.0f}, lip, -0.5f * kPi, 0.0f, 4);
    for (int i = 1; i <= 16; ++i) {
        const float phi = 0.5f * kPi * float(i) / 16.0f;
        const float u = std::cos(phi);
        prof.push_back({capR * u, top(u)});
    }
    prof.back().x = 0.0f;
    m0 = mark(b);
    b.lathe(prof, 40, capXf);
    const glm::vec3 centre = glm::vec3(capXf * glm::vec4(0.0f, 0.3f * capH, 0.0f, 1.0f));
    warpFrom(b, m0, [=](const glm::vec3& p) {
        const glm::vec3 d = p - centre;
        return p + d * (0.07f * fbm(p * (2.5f / capR), 3, seed));
    });
}

// ---------------------------------------------------------------------------------------------
// Tree. Styles: 0 round crown of lumpy foliage, 1 pine of stacked cones, 2 palm with fronds.
void tree(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float heightT = k.range("height", 0.0f, 1.0f);
    const float trunkThickness = k.range("trunk-thickness", 0.8f, 1.25f);
    const float crownWidth = k.range("crown-width", 0.8f, 1.25f);
    const float bend = k.range("bend", 0.0f, 1.0f);
    const float trunkHeight = k.range("trunk-height", 0.0f, 1.0f);
    const int lumps = k.count("lumps", 6, 10);
    const int tiers = k.count("tiers", 4, 7);
    const int fronds = k.count("fronds", 7, 11);
    const float droop = k.range("droop", 0.7f, 1.2f);
    notes.sizeWord = extremeWord(heightT, "short", "tall");
    const std::uint32_t seed = noiseSeed(k);
    ShapeRng& rng = k.rng();
    const float leanDir = rng.uniform(0.0f, 2.0f * kPi);
    const glm::vec3 leanAxis(std::cos(leanDir), 0.0f, std::sin(leanDir));

    const float H = style == 0 ? lerp(3.5f, 9.0f, heightT) : style == 1 ? lerp(4.0f, 12.0f, heightT) : lerp(4.0f, 10.0f, heightT);
    // The trunk: a tapered tube flaring at the root, bending away from the vertical.
    auto trunk = [&](float top, float radius, float bendAmount, float topTaper, int points, float ringBumps) {
        std::vector<glm::vec3> path;
        std::vector<float> radii;
        for (int i = 0; i <= points; ++i) {
            const float t = float(i) / float(points);
            path.push_back(leanAxis * (bendAmount * t * t) + glm::vec3(0.0f, top * t, 0.0f));
            float r = radius * lerp(1.0f, topTaper, t) * (1.0f + 0.45f * std::exp(-t * 14.0f));
            if (ringBumps > 0.0f) r *= 1.0f + 0.05f * std::abs(std::sin(t * ringBumps * kPi));
            radii.push_back(r);
        }
        b.part("trunk");
        b.tube(path, radii, 18);
        return path;
    };

    if (style == 0) {
        const float crownR = 0.3f * H * crownWidth;
        const float crownY = H - 0.85f * crownR;
        const float trunkR = 0.04f * H * trunkThickness;
        const float bendAmount = 0.08f * H * bend;
        const auto path = trunk(crownY, trunkR, bendAmount, 0.55f, 10, 0.0f);
        const glm::vec3 crownC = path.back();
        // Boughs from the top of the bole up into the crown, seen under it.
        const glm::vec3 fork = path[6];
        for (int i = 0; i < 3; ++i) {
            const float a = leanDir + 2.0f * kPi * (float(i) + 0.3f * rng.uniform01()) / 3.0f;
            const glm::vec3 dir(std::cos(a), 0.0f, std::sin(a));
            const glm::vec3 mid = fork + dir * (0.3f * crownR) + glm::vec3(0.0f, 0.35f * crownR, 0.0f);
            const glm::vec3 end = fork + dir * (0.6f * crownR) + glm::vec3(0.0f, 0.9f * crownR, 0.0f);
            b.tube({fork, mid, end}, {trunkR * 0.5f, trunkR * 0.35f, trunkR * 0.2f}, 10);
        }
        b.part("leaves");
        b.ellipsoid(crownC, {crownR, 0.85f * crownR, crownR}, 32);
        for (int i = 0; i < lumps; ++i) {
            const float a = 2.0f * kPi * (float(i) + 0.4f * rng.uniform01()) / float(lumps);
            const float up = rng.uniform(-0.25f, 0.6f);
            const glm::vec3 dir = glm::normalize(glm::vec3(std::cos(a), up, std::sin(a)));
            const float r = crownR * rng.uniform(0.42f, 0.58f);
            b.ellipsoid(crownC + dir * (crownR * 0.7f), {r, 0.85f * r, r}, 24);
        }
        const float freq = 2.2f / crownR;
        b.displace([=](const glm::vec3& p) {
            const glm::vec3 d = p - crownC;
            const float n = fbm(p * freq, 3, seed) + 0.3f * gradientNoise(p * (freq * 6.0f), seed + 9u);
            return p + glm::normalize(d + glm::vec3(1e-6f)) * (crownR * 0.12f * n);
        });
        return;
    }

    if (style == 1) {
        const float baseR = 0.22f * H * crownWidth;
        const float trunkR = 0.03f * H * trunkThickness;
        const float clear = lerp(0.13f, 0.26f, trunkHeight) * H;  // bare trunk under the lowest tier
        trunk(0.93f * H, trunkR, 0.03f * H * bend, 0.3f, 8, 0.0f);
        b.part("leaves");
        const float span = H - clear;
        for (int i = 0; i < tiers; ++i) {
            const float f = float(i) / float(tiers);
            const float y0 = clear + span * f * 0.82f;
            const float h = i + 1 == tiers ? H - y0 : span * 1.7f / float(tiers);
            const float R = baseR * (1.0f - 0.72f * f) * rng.uniform(0.92f, 1.05f);
            std::vector<glm::vec2> prof;
            prof.push_back({0.0f, y0 + 0.32f * h});
            prof.push_back({0.5f * R, y0 + 0.14f * h});
            prof.push_back({R, y0});
            for (int j = 1; j <= 8; ++j) {
                const float u = float(j) / 8.0f;
                prof.push_back({R * (1.0f - u), y0 + h * std::pow(u, 1.25f)});
            }
            const float t = (y0 + 0.2f * h) / (0.93f * H);
            const glm::vec3 c = leanAxis * (0.03f * H * bend * t * t);
            const std::size_t m0 = mark(b);
            b.lathe(prof, 48, translation(c));
            const float phase = rng.uniform(0.0f, 2.0f * kPi);
            const int scallops = 9 + i % 3;
            warpFrom(b, m0, [=](const glm::vec3& p) {
                const glm::vec3 q = p - c;
                const float a = std::atan2(q.z, q.x);
                const float ring = 1.0f + 0.09f * std::cos(float(scallops) * a + phase) + 0.08f * fbm(p * (3.0f / R), 2, seed + 3u);
                // Tips of the boughs droop a little where they reach furthest.
                const float reach = std::sqrt(q.x * q.x + q.z * q.z) / R;
                return glm::vec3(c.x + q.x * ring, p.y - 0.08f * h * reach * reach, c.z + q.z * ring);
            });
        }
        return;
    }

    // Palm: a slender ringed trunk bending away, fronds drooping from a crown at its top.
    const float trunkR = 0.027f * H * trunkThickness;
    const float top = H * 0.9f;
    const auto path = trunk(top, trunkR, lerp(0.05f, 0.25f, bend) * H, 0.7f, 40, 22.0f * (0.5f + 0.5f * trunkHeight) + 14.0f);
    const glm::vec3 crown = path.back();
    b.ellipsoid(crown, {trunkR * 1.5f, trunkR * 2.2f, trunkR * 1.5f}, 16);
    b.part("leaves");
    const float L = 0.42f * H * crownWidth;
    for (int i = 0; i < fronds; ++i) {
        const float azimuth = 2.0f * kPi * (float(i) + 0.35f * rng.uniform01()) / float(fronds);
        const float elevation = (i % 2 ? 0.55f : 0.25f) + rng.uniform(-0.1f, 0.15f);
        const float bendTotal = droop * rng.uniform(1.3f, 1.9f);
        const float length = L * rng.uniform(0.85f, 1.1f);
        // The frond's midline: its angle falls from `elevation` by `bendTotal` along its length.
        constexpr int kSamples = 64;
        std::vector<glm::vec2> mid(kSamples + 1, glm::vec2(0.0f));
        auto angle = [=](float s) { return elevation - bendTotal * std::pow(s, 1.6f); };
        for (int j = 0; j < kSamples; ++j) {
            const float s = (float(j) + 0.5f) / float(kSamples);
            mid[std::size_t(j) + 1] = mid[std::size_t(j)] + (length / float(kSamples)) * glm::vec2(std::cos(angle(s)), std::sin(angle(s)));
        }
        const float halfWidth = 0.15f * length, thick = 0.012f * length;
        const glm::mat4 place = translation(crown + glm::vec3(0.0f, trunkR * 1.2f, 0.0f)) * rotationY(azimuth);
        // Rings at each leaflet's base, middle and tip, so the outline can be serrated.
        constexpr int kLeaflets = 13;
        std::vector<glm::vec3> line{{0.0f, 0.0f, 0.0f}};
        for (int j = 0; j < kLeaflets; ++j)
            for (float f : {0.02f, 0.5f, 0.95f}) line.push_back({length * (float(j) + f) / float(kLeaflets), 0.0f, 0.0f});
        line.push_back({length, 0.0f, 0.0f});
        const std::size_t m0 = mark(b);
        b.tube(line, {1.0f}, 8);
        warpFrom(b, m0, [=](const glm::vec3& p) {
            const float s = std::clamp(p.x / length, 0.0f, 1.0f);
            const float fi = s * float(kSamples);
            const int j = std::min(kSamples - 1, int(fi));
            const glm::vec2 c = glm::mix(mid[std::size_t(j)], mid[std::size_t(j) + 1], fi - float(j));
            const float a = angle(s);
            const glm::vec2 n(-std::sin(a), std::cos(a));
            // Width: narrow at the stalk, widest a third along, to a point; leaflets hang in a V.
            const float env = std::pow(std::max(0.0f, std::sin(kPi * std::min(1.0f, 0.12f + s))), 0.8f) * smoothstep(0.0f, 0.18f, s) + 0.05f;
            const float leaflet = s * float(kLeaflets) - std::floor(s * float(kLeaflets) + 1e-4f);
            const float w = p.z * halfWidth * env * (0.35f + 0.65f * std::clamp(leaflet, 0.0f, 1.0f));
            const float v = p.y * thick * (1.0f - 0.7f * s) + 0.45f * std::abs(w) * -1.0f;
            const glm::vec2 q = c + n * v;
            return glm::vec3(place * glm::vec4(q.x, q.y, w, 1.0f));
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Rock. Styles: 0 smooth boulder, 1 jagged (faceted, cut by planes), 2 flat slabs stacked. A few
// pebbles lie beside it.
Warp rockWarp(const glm::vec3& centre, const glm::vec3& radii, float amp, std::uint32_t seed, const std::vector<glm::vec4>& cuts) {
    const float freq = 1.3f / std::max({radii.x, radii.y, radii.z});
    return [=](const glm::vec3& p) {
        glm::vec3 q = p - centre;
        q += q * (amp * fbm(p * freq + glm::vec3(0.37f), 4, seed));
        for (const glm::vec4& c : cuts) {
            const glm::vec3 n(c);
            const float reach = c.w * glm::length(radii * n);
            const float e = glm::dot(q, n) - reach;
            if (e > 0.0f) q -= n * (e * 0.97f);
        }
        const float floorY = -0.72f * radii.y;
        if (q.y < floorY) q.y = floorY + (q.y - floorY) * 0.15f;
        return centre + q;
    };
}

std::vector<glm::vec4> rockCuts(ShapeRng& rng, int count) {
    std::vector<glm::vec4> cuts;
    for (int i = 0; i < count; ++i) {
        const float a = rng.uniform(0.0f, 2.0f * kPi), y = rng.uniform(-0.3f, 0.9f);
        const glm::vec3 n = glm::normalize(glm::vec3(std::cos(a), y, std::sin(a)));
        cuts.push_back(glm::vec4(n, rng.uniform(0.45f, 0.8f)));
    }
    return cuts;
}

void rock(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float size = k.range("size", 0.3f, 1.4f);
    const float heightRatio = k.range("height-ratio", 0.45f, 0.85f);
    const float elongation = k.range("elongation", 1.0f, 1.5f);
    const float roughness = k.range("roughness", 0.7f, 1.3f);
    const int pebbles = k.count("pebbles", 1, 4);
    const int slabs = k.count("slabs", 2, 4);
    const int cutCount = k.count("cuts", 9, 14);
    notes.sizeWord = extremeWord(k.position("size"), "small", "large");
    const std::uint32_t seed = noiseSeed(k);
    ShapeRng& rng = k.rng();
    const float a = 0.5f * size;
    const glm::vec3 radii(a, a * heightRatio, a / elongation);
    const bool faceted = style == 1;

    b.part("boulder");
    if (style == 0) {
        b.ellipsoid({0, 0, 0}, radii, 40);
        b.displace(rockWarp({0, 0, 0}, radii, 0.22f * roughness, seed, {}));
    } else if (style == 1) {
        // The planes cut flat faces; fine rings keep the smoothed band at their edges narrow.
        b.ellipsoid({0, 0, 0}, radii, 44);
        b.displace(rockWarp({0, 0, 0}, radii, 0.16f * roughness, seed, rockCuts(rng, cutCount)));
    } else {
        // Slabs: rounded discs with gently domed faces (so the lathe keeps rings for the noise),
        // each smaller than the one under it, shifted and tilted a little.
        float y = 0.0f;
        for (int i = 0; i < slabs; ++i) {
            const float R = a * (1.0f - 0.16f * float(i)) * rng.uniform(0.85f, 1.0f);
            const float t = a * heightRatio * rng.uniform(0.35f, 0.55f) / float(slabs) * 2.0f;
            const float rho = 0.22f * t;
            std::vector<glm::vec2> prof{{0.0f, -0.04f * t}, {0.35f * R, -0.035f * t}, {0.7f * R, -0.02f * t}};
            arc(prof, {R - rho, rho}, rho, -0.5f * kPi, 0.0f, 3);
            arc(prof, {R - rho, t - rho}, rho, 0.0f, 0.5f * kPi, 3);
            prof.push_back({0.7f * R, t + 0.02f * t});
            prof.push_back({0.35f * R, t + 0.035f * t});
            prof.push_back({0.0f, t + 0.04f * t});
            const glm::vec3 at(rng.uniform(-0.08f, 0.08f) * a, y, rng.uniform(-0.08f, 0.08f) * a);
            const glm::mat4 xf = translation(at) * rotationY(rng.uniform(0.0f, kPi)) * rotationX(rng.uniform(-0.06f, 0.06f)) *
                                 rotationZ(rng.uniform(-0.06f, 0.06f)) * scaling({1.0f, 1.0f, 1.0f / elongation});
            const std::size_t m0 = mark(b);
            b.lathe(prof, 40, xf, 60.0f);
            const std::uint32_t s = seed + 17u * std::uint32_t(i);
            const float amp = 0.2f * roughness;
            warpFrom(b, m0, [=](const glm::vec3& p) {
                const glm::vec3 q = p - at;
                const float n = fbm(p * (1.1f / R), 3, s) + 0.3f * gradientNoise(p * (5.0f / R), s + 7u);
                return glm::vec3(at.x + q.x * (1.0f + amp * n), p.y + 0.25f * t * fbm(p * (2.5f / R), 2, s + 5u), at.z + q.z * (1.0f + amp * n));
            });
            y += t * 0.88f;
        }
    }

    b.part("pebbles");
    for (int i = 0; i < pebbles; ++i) {
        const float ang = rng.uniform(0.0f, 2.0f * kPi), r = a * rng.uniform(0.12f, 0.24f);
        const float dist = (style == 2 ? 0.85f * a : 0.72f * a) + 0.6f * r;
        const glm::vec3 pr(r, r * rng.uniform(0.5f, 0.8f), r * rng.uniform(0.7f, 1.0f));
        // Resting on the ground the rock stands on.
        const float groundY = style == 2 ? 0.0f : -0.72f * radii.y;
        const glm::vec3 centre(std::cos(ang) * dist, groundY + 0.72f * pr.y, std::sin(ang) * dist / elongation);
        const std::size_t m0 = mark(b);
        b.ellipsoid({0.0f, 0.0f, 0.0f}, pr, faceted ? 20 : 18, translation(centre) * rotationY(ang));
        warpFrom(b, m0, rockWarp(centre, pr, 0.2f * roughness, seed + 101u * std::uint32_t(i + 1), faceted ? rockCuts(rng, 4) : std::vector<glm::vec4>{}));
    }
    b.smoothNormals();
}

// ---------------------------------------------------------------------------------------------
// Cactus. Styles: 0 saguaro with arms, 1 round barrel with deep ribs, 2 organ pipe (a clump of
// upright stems). Ribbed tubes with spines on the crests; no pot.
void cactus(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float heightT = k.range("height", 0.0f, 1.0f);
    const float thickness = k.range("thickness", 0.8f, 1.2f);
    const int ribCount = k.count("ribs", 0, 4);
    const int arms = k.count("arms", 1, 4);
    const float armHeight = k.range("arm-height", 0.0f, 1.0f);
    const float spineLength = k.range("spine-length", 0.7f, 1.3f);
    const float lean = k.range("lean", 0.0f, 1.0f);
    notes.sizeWord = extremeWord(heightT, "short", "tall");
    ShapeRng& rng = k.rng();
    const float leanDir = rng.uniform(0.0f, 2.0f * kPi);
    const glm::vec3 leanAxis(std::cos(leanDir), 0.0f, std::sin(leanDir));

    // A ribbed stem from `base` along `dir` curving to vertical, rounded at the top.
    // A ribbed stem rising from `base`, its axis moving `spread` along `dir` by the top: leaning
    // more and more (a lean), or first outward then straight up (stems rising from one clump).
    auto column = [&](float H, float R, glm::vec3 base, glm::vec3 dir, float spread, bool clump, int ribs, float depth, int points) {
        std::vector<glm::vec3> path;
        std::vector<float> radii;
        const float capStart = H - R;
        auto axis = [&](float y) {
            const float t = std::clamp(y / H, 0.0f, 1.0f);
            return base + dir * (spread * (clump ? 1.0f - (1.0f - t) * (1.0f - t) * (1.0f - t) : t * t)) + glm::vec3(0.0f, y, 0.0f);
        };
        for (int i = 0; i <= points; ++i) {
            const float t = float(i) / float(points);
            const float y = -0.02f * H + (capStart + 0.02f * H) * t;
            path.push_back(axis(y));
            radii.push_back(R * (1.0f - 0.05f * t));
        }
        for (int i = 1; i <= 6; ++i) {
            const float phi = 0.5f * kPi * float(i) / 6.0f;
            const float y = capStart + 0.95f * R * std::sin(phi);
            path.push_back(axis(y));
            radii.push_back(std::max(0.02f * R, 0.95f * R * std::cos(phi)));
        }
        ribbedTube(b, path, radii, ribs * 4, ribs, depth);
        return std::make_pair(path, radii);
    };

    std::vector<std::pair<std::vector<glm::vec3>, std::vector<float>>> stems;
    std::vector<int> ribsOf;
    b.part("body");
    if (style == 0) {
        const float H = lerp(1.2f, 4.0f, heightT), R = 0.065f * H * thickness;
        const int ribs = 11 + ribCount;
        stems.push_back(column(H, R, glm::vec3(0.0f), leanAxis, 0.04f * H * lean, false, ribs, 0.12f, 16));
        ribsOf.push_back(ribs);
        const float az0 = rng.uniform(0.0f, 2.0f * kPi);
        for (int i = 0; i < arms; ++i) {
            const float az = az0 + 2.0f * kPi * (float(i) + rng.uniform(-0.15f, 0.15f)) / float(arms);
            const glm::vec3 dir(std::cos(az), 0.0f, std::sin(az));
            const float y0 = H * lerp(0.3f, 0.5f, armHeight) + H * 0.12f * rng.uniform01();
            const float Ra = R * rng.uniform(0.6f, 0.72f), out = R + Ra + H * rng.uniform(0.05f, 0.1f);
            const float rise = H * rng.uniform(0.18f, 0.34f);
            const float bendR = std::min(out - R * 0.5f, Ra * 1.8f);
            std::vector<glm::vec3> path;
            std::vector<float> radii;
            const glm::vec3 up(0, 1, 0);
            const glm::vec3 startP = dir * (R * 0.3f) + up * y0;
            const glm::vec3 elbow = dir * (out - bendR) + up * (y0 + 0.15f * bendR);
            path.push_back(startP);
            radii.push_back(Ra);
            for (int j = 1; j <= 2; ++j) {
                path.push_back(glm::mix(startP, elbow, float(j) / 2.0f));
                radii.push_back(Ra);
            }
            for (int j = 1; j <= 6; ++j) {
                const float ph = 0.5f * kPi * float(j) / 6.0f;
                path.push_back(elbow + dir * (bendR * std::sin(ph)) + up * (bendR * (1.0f - std::cos(ph))));
                radii.push_back(Ra);
            }
            const glm::vec3 riseStart = path.back();
            const float straight = std::max(0.05f, rise - bendR - Ra);
            for (int j = 1; j <= 4; ++j) {
                path.push_back(riseStart + up * (straight * float(j) / 4.0f));
                radii.push_back(Ra * (1.0f - 0.04f * float(j)));
            }
            const glm::vec3 capStart = path.back();
            for (int j = 1; j <= 5; ++j) {
                const float ph = 0.5f * kPi * float(j) / 5.0f;
                path.push_back(capStart + up * (0.93f * Ra * std::sin(ph)));
                radii.push_back(std::max(0.02f * Ra, 0.84f * Ra * std::cos(ph)));
            }
            ribbedTube(b, path, radii, (ribs - 2) * 3, ribs - 2, 0.12f);
            stems.push_back({path, radii});
            ribsOf.push_back(ribs - 2);
        }
    } else if (style == 1) {
        const float H = lerp(0.22f, 0.7f, heightT), R = 0.56f * H * thickness;
        const int ribs = 16 + 2 * ribCount;
        // A globe on a wide base: the profile follows an ellipse from 40 degrees below its equator.
        std::vector<glm::vec3> path;
        std::vector<float> radii;
        const float ry = H / (1.0f + std::sin(0.7f));
        for (int i = 0; i <= 14; ++i) {
            const float phi = lerp(-0.7f, 0.5f * kPi - 0.02f, float(i) / 14.0f);
            path.push_back(leanAxis * (0.03f * H * lean * float(i) / 14.0f) + glm::vec3(0.0f, ry * (std::sin(phi) + std::sin(0.7f)) - 0.01f * H, 0.0f));
            radii.push_back(std::max(0.03f * R, R * std::cos(phi)));
        }
        ribbedTube(b, path, radii, ribs * 3, ribs, 0.16f);
        stems.push_back({path, radii});
        ribsOf.push_back(ribs);
    } else {
        // Organ pipe: several stems from one clump, bowing out at the foot, then straight up.
        const float H = lerp(0.5f, 2.2f, heightT), R = 0.07f * H * thickness;
        const int ribs = 7 + ribCount / 2, count = arms + 2;
        const float az0 = rng.uniform(0.0f, 2.0f * kPi);
        for (int i = 0; i < count; ++i) {
            const bool centre = i == 0;
            const float az = az0 + 2.0f * kPi * (float(i) + rng.uniform(-0.2f, 0.2f)) / float(count - 1);
            const glm::vec3 dir(std::cos(az), 0.0f, std::sin(az));
            const float h = centre ? H : H * rng.uniform(0.55f, 0.9f), r = R * (centre ? 1.0f : rng.uniform(0.8f, 0.95f));
            const glm::vec3 base = centre ? glm::vec3(0.0f) : dir * (0.9f * R);
            stems.push_back(column(h, r, base, centre ? leanAxis : dir, centre ? 0.05f * H * lean : R * rng.uniform(1.2f, 2.2f), !centre, ribs, 0.2f, 12));
            ribsOf.push_back(ribs);
        }
    }
    b.smoothNormals();

    b.part("spines");
    for (std::size_t s = 0; s < stems.size(); ++s) {
        const auto& [path, radii] = stems[s];
        const float R = radii.front();
        float spacing = 0, length = 0;
        int per = 2;
        if (style == 0) spacing = 0.5f * R, length = 0.2f * R * spineLength;
        else if (style == 1) spacing = 0.35f * R, length = 0.2f * R * spineLength, per = 3;
        else spacing = 0.4f * R, length = 0.25f * R * spineLength;
        // Keep the spine count (and its UV charts) bounded on long stems.
        float total = 0.0f;
        for (std::size_t i = 1; i < path.size(); ++i) total += glm::length(path[i] - path[i - 1]);
        const float areoles = total / spacing * float(ribsOf[s]);
        const int budget = style == 0 ? (s == 0 ? 70 : 30) : style == 1 ? 220 : 45;
        if (areoles * float(per) > float(budget)) spacing *= areoles * float(per) / float(budget);
        spinesAlong(b, path, radii, ribsOf[s], spacing, length, per, rng, s == 0 ? 0.0f : R);
    }
}

// ---------------------------------------------------------------------------------------------
// Candle. Styles: 0 pillar on a dish, 1 taper in a candlestick, 2 tea light in its foil cup.
// No flame: a flame needs a yellow or white emissive look, and a material group cannot limit
// its colours (glass comes in green and blue too), so the candles are unlit.
void candle(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float heightT = k.range("height", 0.0f, 1.0f);
    const float widthT = k.range("width", 0.0f, 1.0f);
    const float wickLength = k.range("wick-length", 0.7f, 1.3f);
    const float melt = k.range("melt", 0.0f, 1.0f);
    const float holderHeight = k.range("holder-height", 0.0f, 1.0f);
    const int drips = k.count("drips", 0, 3);
    notes.sizeWord = extremeWord(heightT, "short", "tall");
    ShapeRng& rng = k.rng();

    auto wick = [&](glm::vec3 base, float len) {
        b.part("wick");
        const float lean = rng.uniform(0.15f, 0.35f), az = rng.uniform(0.0f, 2.0f * kPi);
        const glm::vec3 side(std::cos(az), 0.0f, std::sin(az));
        std::vector<glm::vec3> path;
        for (int i = 0; i <= 5; ++i) {
            const float t = float(i) / 5.0f;
            path.push_back(base + glm::vec3(0.0f, len * t, 0.0f) + side * (lean * len * t * t));
        }
        b.tube(path, {0.0009f, 0.0009f, 0.0009f, 0.00085f, 0.0008f, 0.0007f}, 8);
    };
    auto waxDrips = [&](float R, float topY, float runLength) {
        for (int i = 0; i < drips; ++i) {
            const float az = rng.uniform(0.0f, 2.0f * kPi), len = runLength * rng.uniform(0.4f, 1.0f), w = R * rng.uniform(0.1f, 0.16f);
            const glm::vec3 out(std::cos(az), 0.0f, std::sin(az));
            // A run of wax down the side, flattened against it (its thin axis turned outward).
            b.ellipsoid({0.0f, 0.0f, 0.0f}, {w, 0.5f * len, 0.55f * w}, 12,
                        translation(out * (R - 0.2f * w) + glm::vec3(0.0f, topY - 0.5f * len, 0.0f)) * rotationY(0.5f * kPi - az));
        }
    };

    if (style == 0) {
        const float R = lerp(0.03f, 0.05f, widthT), H = lerp(0.07f, 0.2f, heightT);
        const float pool = lerp(0.002f, 0.012f, melt), rho = 0.004f;
        // The dish: a shallow hollow lathe.
        b.part("holder");
        const float Rp = R * 1.55f, hd = 0.012f, wall = 0.003f;
        b.lathe({{0.0f, 0.0f}, {Rp * 0.8f, 0.0f}, {Rp, hd}, {Rp - wall, hd + 0.0005f}, {Rp * 0.8f - wall, wall}, {0.0f, wall}}, 48);
        b.part("wax");
        std::vector<glm::vec2> prof{{0.0f, wall - 0.001f}, {R - 0.002f, wall - 0.001f}};
        arc(prof, {R - 0.002f, wall + 0.001f}, 0.002f, -0.5f * kPi, 0.0f, 2);
        prof.push_back({R, wall + H - rho});
        arc(prof, {R - rho, wall + H - rho}, rho, 0.0f, 0.5f * kPi, 3);
        for (int i = 1; i <= 5; ++i) {
            const float u = float(i) / 5.0f;
            prof.push_back({(R - rho) * (1.0f - u), wall + H - pool * std::sin(0.5f * kPi * std::min(1.0f, u * 1.6f))});
        }
        b.lathe(prof, 40);
        waxDrips(R, wall + H - 0.001f, 0.35f * H);
        wick({0.0f, wall + H - pool - 0.004f, 0.0f}, 0.014f * wickLength + 0.004f);
        return;
    }
    if (style == 1) {
        const float Rw = lerp(0.009f, 0.012f, widthT), H = lerp(0.18f, 0.3f, heightT);
        const float hs = lerp(0.06f, 0.2f, holderHeight), Rb = lerp(0.04f, 0.055f, widthT), rs = 0.008f;
        // Candlestick: a domed foot, a stem with a knop, a drip pan and a socket for the taper.
        b.part("holder");
        std::vector<glm::vec2> prof{{0.0f, 0.0f}, {Rb, 0.0f}, {Rb, 0.004f}};
        prof.push_back({Rb * 0.8f, 0.011f});
        prof.push_back({Rb * 0.45f, 0.02f});
        prof.push_back({rs * 1.5f, 0.03f});
        prof.push_back({rs, 0.04f});
        const float knopY = 0.45f * hs + 0.02f;
        prof.push_back({rs, knopY - 0.014f});
        arc(prof, {rs * 0.4f, knopY}, rs * 1.6f, -0.45f * kPi, 0.45f * kPi, 6);
        prof.push_back({rs, knopY + 0.014f});
        prof.push_back({rs * 0.9f, hs - 0.008f});
        const float Rpan = Rw * 3.2f;
        prof.push_back({Rpan, hs - 0.004f});
        prof.push_back({Rpan, hs});
        prof.push_back({Rw * 1.5f, hs + 0.002f});
        prof.push_back({Rw * 1.45f, hs + 0.022f});
        prof.push_back({Rw * 1.35f, hs + 0.024f});
        prof.push_back({0.0f, hs + 0.024f});
        b.lathe(prof, 40);
        b.part("wax");
        const float y0 = hs + 0.012f, tip = 0.012f;
        std::vector<glm::vec2> wax{{0.0f, y0}, {Rw, y0}};
        arc(wax, {0.0f, y0 + H - tip}, Rw * 0.85f, 0.0f, 0.5f * kPi, 5);
        for (auto& p : wax)
            if (p.y > y0 + H - tip) p.y = y0 + H - tip + (p.y - (y0 + H - tip)) * (tip / (Rw * 0.85f));
        wax.back().x = 0.0f;
        b.lathe(wax, 32);
        waxDrips(Rw * 0.88f, y0 + H - tip, 0.25f * H);
        wick({0.0f, y0 + H - 0.004f, 0.0f}, 0.011f * wickLength + 0.004f);
        return;
    }
    // Tea light: a thin aluminium cup with the wax poured inside and the wick in the middle.
    const float Rt = lerp(0.018f, 0.021f, widthT), ht = lerp(0.015f, 0.019f, heightT), wall = 0.0005f;
    b.part("holder");
    std::vector<glm::vec2> cup{{0.0f, 0.0f}, {Rt - 0.001f, 0.0f}};
    arc(cup, {Rt - 0.001f, 0.001f}, 0.001f, -0.5f * kPi, 0.0f, 2);
    cup.push_back({Rt, ht});
    cup.push_back({Rt - wall, ht});
    cup.push_back({Rt - wall, wall});
    cup.push_back({0.0f, wall});
    b.lathe(cup, 48);
    b.part("wax");
    const float waxTop = ht * lerp(0.85f, 0.65f, melt);
    b.lathe({{0.0f, wall - 0.0002f}, {Rt - wall * 0.4f, wall - 0.0002f}, {Rt - wall * 0.4f, waxTop}, {Rt * 0.3f, waxTop - 0.0006f}, {0.0f, waxTop - 0.001f}}, 48);
    wick({0.0f, waxTop - 0.003f, 0.0f}, 0.009f * wickLength + 0.003f);
}

// ---------------------------------------------------------------------------------------------
// Sword, point up. Styles: 0 straight double-edged, 1 curved sabre with a knuckle bow, 2 broad.
// The blade is an eight-sided tube warped into a diamond section (two ring vertices close either
// side of each corner, so smooth normals keep the bevels flat and the edges crisp), then to its
// outline and curve.
void sword(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float lengthT = k.range("blade-length", 0.0f, 1.0f);
    const float widthT = k.range("blade-width", 0.0f, 1.0f);
    const float gripLength = k.range("grip-length", 0.1f, 0.15f);
    const float guardT = k.range("guard-width", 0.0f, 1.0f);
    const float curve = k.range("curve", 0.05f, 0.1f);
    const float pommelSize = k.range("pommel-size", 0.85f, 1.2f);
    notes.sizeWord = extremeWord(lengthT, "short", "long");

    float L = 0, w = 0, taper = 0, pointAt = 0, gripL = gripLength;
    if (style == 0) L = lerp(0.6f, 0.85f, lengthT), w = lerp(0.02f, 0.026f, widthT), taper = 0.35f, pointAt = 0.85f;
    else if (style == 1) L = lerp(0.65f, 0.85f, lengthT), w = lerp(0.015f, 0.019f, widthT), taper = 0.15f, pointAt = 0.88f;
    else L = lerp(0.55f, 0.8f, lengthT), w = lerp(0.032f, 0.042f, widthT), taper = 0.12f, pointAt = 0.9f, gripL *= 1.35f;
    const float t = style == 2 ? 0.0055f : 0.0045f;

    b.part("blade");
    std::vector<glm::vec3> line;
    for (int i = 0; i <= 28; ++i) {
        const float s = 1.0f - std::pow(1.0f - float(i) / 28.0f, 1.4f);
        line.push_back({0.0f, -0.006f + (L + 0.006f) * s, 0.0f});
    }
    b.tube(line, {1.0f}, 8);
    const float sweep = style == 1 ? curve * L : 0.0f;
    b.displace([=](const glm::vec3& q) {
        // Ring vertex at angle a (from +z towards +x) -> a point on the diamond (ridge at +-z,
        // edges at +-x), just past the corner before it or just short of the one after it.
        const float a = std::atan2(q.x, q.z);
        const float turn = (a < 0.0f ? a + 2.0f * kPi : a) / (0.5f * kPi);
        const int quadrant = int(std::floor(turn + 1e-3f)) % 4;
        const float f = std::clamp(turn - float(quadrant), 0.0f, 1.0f);
        const float within = 0.05f + 0.9f * std::min(1.0f, 2.0f * f);
        static const glm::vec2 corners[4] = {{0.0f, 1.0f}, {1.0f, 0.0f}, {0.0f, -1.0f}, {-1.0f, 0.0f}};
        const glm::vec2 xz = glm::length(glm::vec2(q.x, q.z)) < 1e-4f ? glm::vec2(0.0f)
                                                                         : glm::mix(corners[quadrant], corners[(quadrant + 1) % 4], within);
        const glm::vec3 p(xz.x, q.y, xz.y);
        const float s = std::clamp(p.y / L, 0.0f, 1.0f);
        float half = w * (1.0f - taper * s);
        if (s > pointAt) {
            // The point: an ogive from the edges' last width down to a sharp tip.
            const float u = (s - pointAt) / (1.0f - pointAt);
            half *= std::max(0.015f, std::sqrt(std::max(0.0f, 1.0f - u * u)) * (1.0f - 0.35f * u));
        }
        const float thick = t * (1.0f - 0.45f * s) * (half / (w * (1.0f - taper * s)));
        float x = p.x * half;
        if (style == 1 && p.x < 0.0f) x *= 0.75f;  // the sabre's back is nearer its ridge than its edge
        // A sabre curves back (towards -x) with the edge on the outside of the curve.
        const float bendX = -sweep * s * s;
        return glm::vec3(bendX + x, p.y, p.z * thick);
    });

    b.part("guard");
    const float gw = style == 2 ? lerp(0.2f, 0.26f, guardT) : style == 0 ? lerp(0.14f, 0.2f, guardT) : lerp(0.07f, 0.09f, guardT);
    b.roundedBox({style == 1 ? -0.004f : 0.0f, 0.0f, 0.0f}, {w * 2.5f, 0.024f, 0.026f}, 0.006f);
    if (style == 1) {
        // A cupped oval guard and a knuckle bow sweeping down to the pommel on the edge side.
        b.ellipsoid({0.012f, 0.0f, 0.0f}, {0.5f * gw, 0.007f, 0.028f}, 24);
        const float bowX = 0.045f;
        b.tube({{0.5f * gw - 0.006f, -0.002f, 0.0f}, {bowX + 0.004f, -0.02f, 0.0f}, {bowX, -0.3f * gripL, 0.0f}, {bowX - 0.004f, -0.7f * gripL, 0.0f},
                {0.028f, -gripL - 0.004f, 0.0f}, {0.008f, -gripL - 0.01f, 0.0f}},
               {0.0045f}, 10);
    } else {
        std::vector<glm::vec3> bar;
        std::vector<float> radii;
        for (int i = 0; i <= 10; ++i) {
            const float u = float(i) / 10.0f * 2.0f - 1.0f;
            bar.push_back({0.5f * gw * u, (style == 0 ? 0.012f : 0.004f) * u * u, 0.0f});
            radii.push_back(style == 2 ? lerp(0.0075f, 0.0095f, u * u) : lerp(0.0075f, 0.0055f, u * u));
        }
        b.tube(bar, radii, 12, scaling({1.0f, 1.0f, 0.85f}));
        for (float s : {-1.0f, 1.0f}) {
            const glm::vec3 end = bar[s < 0 ? 0 : 10];
            b.ellipsoid(end + glm::vec3(s * 0.004f, 0.0f, 0.0f), glm::vec3(radii[0] * 1.35f), 12);
        }
    }

    b.part("grip");
    std::vector<glm::vec3> grip;
    std::vector<float> gr;
    const float gripR = style == 2 ? 0.0145f : 0.013f;
    for (int i = 0; i <= 24; ++i) {
        const float u = float(i) / 24.0f;
        grip.push_back({0.0f, -0.008f - (gripL - 0.004f) * u, 0.0f});
        // A leather or cord wrap shows as fine ridges on a grip that swells in the middle.
        gr.push_back(gripR * (0.85f + 0.15f * std::sin(kPi * u)) + 0.0006f * float(i % 2));
    }
    b.tube(grip, gr, 14, scaling({1.0f, 1.0f, 0.85f}));

    b.part("pommel");
    const float py = -gripL - 0.012f * pommelSize;
    if (style == 1) {
        b.ellipsoid({0.0f, py + 0.002f, 0.0f}, glm::vec3(0.014f, 0.016f, 0.013f) * pommelSize, 16);
    } else if (style == 0) {
        const float R = 0.024f * pommelSize, hw = 0.009f;
        b.lathe({{0.0f, -hw}, {R * 0.6f, -hw}, {R, -hw * 0.4f}, {R, hw * 0.4f}, {R * 0.6f, hw}, {0.0f, hw}}, 28,
                translation({0.0f, py - 0.4f * R, 0.0f}) * rotationX(0.5f * kPi));
    } else {
        // A pear-shaped pommel for the two-handed grip.
        b.lathe({{0.0f, -0.045f * pommelSize}, {0.012f, -0.042f * pommelSize}, {0.02f, -0.03f * pommelSize}, {0.02f, -0.018f * pommelSize},
                 {0.012f, -0.006f}, {0.009f, 0.004f}, {0.0f, 0.004f}},
                24, translation({0.0f, -gripL, 0.0f}));
    }
}

// ---------------------------------------------------------------------------------------------
// Axe, handle vertical, bit towards +x. Styles: 0 felling axe, 1 double-bit, 2 hatchet. The bit
// is a prism of its side outline whose thickness falls linearly towards the edge (an affine
// warp keeps its faces planar: a wedge).
std::vector<glm::vec2> bitOutline(float x0, float x1, float eyeHalfH, float edgeHalfH, float beard, float bulge) {
    std::vector<glm::vec2> o;
    for (int i = 0; i <= 6; ++i) {  // lower edge, sweeping down into the beard
        const float u = float(i) / 6.0f;
        o.push_back({lerp(x0, x1, u), -lerp(eyeHalfH, edgeHalfH + beard, u * u)});
    }
    for (int i = 1; i < 8; ++i) {  // the cutting edge, bulging outward
        const float u = float(i) / 8.0f;
        const float y = lerp(-(edgeHalfH + beard), edgeHalfH, u);
        o.push_back({x1 + bulge * std::sin(kPi * u), y});
    }
    for (int i = 6; i >= 0; --i) {  // upper edge back to the eye
        const float u = float(i) / 6.0f;
        o.push_back({lerp(x0, x1, u), lerp(eyeHalfH, edgeHalfH, std::pow(u, 1.5f))});
    }
    return counterClockwise(o);
}

// A handle along +y from 0 to `length`: oval (wider along x), gently curved, swelling at the end.
void haft(AssetBuilder& b, float length, float radius, float curve, float knob) {
    std::vector<glm::vec3> path;
    std::vector<float> radii;
    for (int i = 0; i <= 16; ++i) {
        const float t = float(i) / 16.0f;
        path.push_back({curve * length * std::sin(2.0f * kPi * t) * (1.0f - t) * 0.5f, length * t, 0.0f});
        radii.push_back(radius * (1.0f + knob * std::exp(-t * 30.0f)) * (1.0f - 0.12f * std::sin(kPi * std::min(1.0f, t * 1.3f))));
    }
    b.tube(path, radii, 16, scaling({1.0f, 1.0f, 0.72f}));
}

void axe(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float lengthT = k.range("handle-length", 0.0f, 1.0f);
    const float headSize = k.range("head-size", 0.85f, 1.15f);
    const float curve = k.range("handle-curve", 0.0f, 0.05f);
    const float flare = k.range("bit-flare", 0.0f, 1.0f);
    const float thickness = k.range("handle-thickness", 0.9f, 1.1f);
    notes.sizeWord = extremeWord(lengthT, "short", "long");

    const float L = style == 2 ? lerp(0.3f, 0.42f, lengthT) : style == 1 ? lerp(0.7f, 0.9f, lengthT) : lerp(0.68f, 0.9f, lengthT);
    const float s = headSize * (style == 2 ? 0.72f : 1.0f);
    b.part("handle");
    haft(b, L, (style == 2 ? 0.014f : 0.017f) * thickness, style == 1 ? 0.0f : curve, 0.35f);

    b.part("head");
    const float eyeH = 0.075f * s, T = 0.034f * s, edge = 0.0012f;
    const glm::vec3 eye(0.0f, L - 0.5f * eyeH + 0.004f, 0.0f);
    const float eyeBack = style == 1 ? 0.024f * s : 0.034f * s, eyeFront = 0.024f * s;
    // The eye with the poll behind it (a hammer face on the hatchet).
    b.roundedBox(eye + glm::vec3(0.5f * (eyeFront - eyeBack), 0.0f, 0.0f), {eyeFront + eyeBack, eyeH, T * 1.08f}, 0.005f * s);
    auto bit = [&](float x1, float edgeHalf, float beard, bool mirror) {
        const float x0 = 0.018f * s, bulge = 0.012f * s;
        const std::vector<glm::vec2> o = bitOutline(x0, x1, 0.5f * eyeH * 0.92f, edgeHalf, beard, bulge);
        const float xm = x1 + bulge;
        const std::size_t m0 = mark(b);
        b.prism(o, -0.5f * T, 0.5f * T, translation(eye) * (mirror ? scaling({-1.0f, 1.0f, 1.0f}) : glm::mat4(1.0f)));
        warpFrom(b, m0, [=](const glm::vec3& p) {
            const float u = (std::abs(p.x - eye.x) - x0) / (xm - x0);
            return glm::vec3(p.x, p.y, eye.z + (p.z - eye.z) * lerp(1.0f, edge / T, u));
        });
    };
    if (style == 0) bit(0.15f * s, lerp(0.05f, 0.065f, flare) * s, 0.01f * s, false);
    else if (style == 1) {
        bit(0.125f * s, lerp(0.045f, 0.058f, flare) * s, 0.0f, false);
        bit(0.125f * s, lerp(0.045f, 0.058f, flare) * s, 0.0f, true);
    } else {
        bit(0.115f * s, lerp(0.045f, 0.06f, flare) * s, 0.018f * s, false);
    }
}

// ---------------------------------------------------------------------------------------------
// Hammer, handle vertical, head along x. Styles: 0 claw hammer, 1 sledgehammer, 2 mallet.
void hammer(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float lengthT = k.range("handle-length", 0.0f, 1.0f);
    const float headSize = k.range("head-size", 0.85f, 1.15f);
    const float thickness = k.range("handle-thickness", 0.9f, 1.1f);
    const float clawCurve = k.range("claw-curve", 0.0f, 1.0f);
    notes.sizeWord = extremeWord(lengthT, "short", "long");
    const float s = headSize;

    const float L = style == 1 ? lerp(0.65f, 0.9f, lengthT) : lerp(0.27f, 0.35f, lengthT);
    b.part("handle");
    haft(b, L, (style == 1 ? 0.018f : 0.0135f) * thickness, 0.0f, style == 1 ? 0.2f : 0.3f);

    b.part("head");
    if (style == 0) {
        const float h = 0.03f * s, d = 0.024f * s;
        const glm::vec3 eye(0.0f, L - 0.5f * h + 0.004f, 0.0f);
        b.roundedBox(eye, {0.034f * s, h, d}, 0.004f * s);
        // Neck and striking face, turned.
        const float faceR = 0.0145f * s;
        b.lathe({{0.0f, 0.0f}, {0.011f * s, 0.0f}, {0.0105f * s, 0.03f * s}, {faceR * 0.98f, 0.042f * s}, {faceR, 0.05f * s}, {faceR * 0.9f, 0.058f * s},
                 {0.0f, 0.059f * s}},
                28, translation(eye + glm::vec3(0.01f * s, 0.0f, 0.0f)) * rotationZ(-0.5f * kPi));
        // The claw: a tapering hook curving down, split into two prongs.
        const float R = lerp(0.05f, 0.035f, clawCurve) * s;
        const glm::vec2 c(-0.012f * s, eye.y - R);
        std::vector<glm::vec2> outer, inner;
        const float sweep = lerp(0.7f, 1.0f, clawCurve);
        for (int i = 0; i <= 10; ++i) {
            const float u = float(i) / 10.0f;
            const float a = 0.5f * kPi + sweep * u;
            const float half = lerp(0.5f * h, 0.0025f * s, std::pow(u, 1.2f));
            const glm::vec2 dir(std::cos(a), std::sin(a));
            const glm::vec2 mid = c + dir * R + glm::vec2(-0.01f * s * (1.0f - u), 0.0f);
            outer.push_back(mid + dir * half);
            inner.push_back(mid - dir * half);
        }
        std::vector<glm::vec2> root, prong;
        for (int i = 0; i <= 3; ++i) root.push_back(outer[std::size_t(i)]);
        for (int i = 3; i >= 0; --i) root.push_back(inner[std::size_t(i)]);
        root.push_back({0.0f, eye.y - 0.5f * h + 0.002f});
        root.push_back({0.0f, eye.y + 0.5f * h - 0.002f});
        for (int i = 2; i <= 10; ++i) prong.push_back(outer[std::size_t(i)]);
        for (int i = 10; i >= 2; --i) prong.push_back(inner[std::size_t(i)]);
        b.prism(counterClockwise(root), -0.5f * d * 0.95f, 0.5f * d * 0.95f);
        const float gap = 0.0016f * s;
        b.prism(counterClockwise(prong), gap, 0.5f * d * 0.9f);
        b.prism(counterClockwise(prong), -0.5f * d * 0.9f, -gap);
    } else if (style == 1) {
        const float len = 0.22f * s, h = 0.07f * s;
        const glm::vec3 c(0.0f, L - 0.5f * h + 0.006f, 0.0f);
        b.roundedBox(c, {len - 0.02f * s, h, h}, 0.008f * s);
        // Chamfered striking faces at both ends.
        for (float side : {-1.0f, 1.0f})
            b.lathe({{0.0f, 0.0f}, {0.5f * h * 0.95f, 0.0f}, {0.5f * h * 0.95f, 0.008f * s}, {0.5f * h * 0.8f, 0.014f * s}, {0.0f, 0.014f * s}}, 8,
                    translation(c + glm::vec3(side * (0.5f * len - 0.02f * s), 0.0f, 0.0f)) * rotationZ(-side * 0.5f * kPi) * rotationY(kPi / 8.0f));
    } else {
        const float len = 0.13f * s, R = 0.036f * s;
        const glm::vec3 c(0.0f, L - R + 0.008f, 0.0f);
        std::vector<glm::vec2> prof{{0.0f, 0.0f}, {R * 0.85f, 0.0f}, {R, 0.008f * s}};
        for (int i = 1; i < 6; ++i) {
            const float u = float(i) / 6.0f;
            prof.push_back({R * (1.0f + 0.05f * std::sin(kPi * u)), 0.008f * s + (len - 0.016f * s) * u});
        }
        prof.push_back({R, len - 0.008f * s});
        prof.push_back({R * 0.85f, len});
        prof.push_back({0.0f, len});
        b.lathe(prof, 36, translation(c - glm::vec3(0.5f * len, 0.0f, 0.0f)) * rotationZ(-0.5f * kPi));
    }
}

// ---------------------------------------------------------------------------------------------
// Shield, standing on its lower edge, front towards +z. Styles: 0 round with a central boss,
// 1 kite, 2 heater. The board is a lathe disc: domed for the round shield; for the others its
// rings are mapped onto the outline and bent into a cylinder.
void shield(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float sizeT = k.range("size", 0.0f, 1.0f);
    const float curvature = k.range("curvature", 0.0f, 1.0f);
    const float widthT = k.range("width", 0.0f, 1.0f);
    const float rimWidth = k.range("rim-width", 0.8f, 1.25f);
    const float thickness = k.range("thickness", 0.012f, 0.02f);
    notes.sizeWord = extremeWord(sizeT, "small", "large");
    const float rimR = std::max(0.0075f, 0.7f * thickness) * rimWidth;
    const float t = thickness;
    constexpr int kSegs = 64;

    glm::vec3 handleAt(0.0f);
    float backZ = 0.0f;
    if (style == 0) {
        const float R = lerp(0.25f, 0.45f, sizeT), D = lerp(0.02f, 0.08f, curvature) * R;
        // Lathe local y becomes world z (the front); the centre is lifted to stand on the rim.
        const glm::mat4 xf = translation({0.0f, R + rimR, 0.0f}) * rotationX(0.5f * kPi);
        auto dome = [&](float r) { return D * (1.0f - (r / R) * (r / R)); };
        std::vector<glm::vec2> prof;
        for (int i = 0; i <= 10; ++i) {
            const float r = R * float(i) / 10.0f;
            prof.push_back({r, dome(r)});
        }
        for (int i = 10; i >= 0; --i) {
            const float r = R * float(i) / 10.0f;
            prof.push_back({r, t + dome(r)});
        }
        b.part("face");
        b.lathe(prof, kSegs, xf);
        b.part("rim");
        b.torus({0.0f, 0.5f * t, 0.0f}, R - 0.3f * rimR, rimR, kSegs, 10, xf);
        // The boss: a dome on a flange, riveted to the middle of the board.
        const float rb = lerp(0.06f, 0.085f, widthT);
        std::vector<glm::vec2> boss{{0.0f, -0.004f}, {1.35f * rb, -0.004f}, {1.35f * rb, 0.002f}, {1.05f * rb, 0.004f}};
        for (int i = 1; i <= 8; ++i) {
            const float a = 0.5f * kPi * float(i) / 8.0f;
            boss.push_back({rb * std::cos(a), 0.004f + 0.75f * rb * std::sin(a)});
        }
        boss.back().x = 0.0f;
        b.lathe(boss, 32, xf * translation({0.0f, t + D, 0.0f}));
        handleAt = {0.0f, R + rimR, 0.0f};
        backZ = D - D * (0.07f / R) * (0.07f / R);
    } else {
        const float H = style == 1 ? lerp(0.9f, 1.25f, sizeT) : lerp(0.6f, 0.85f, sizeT);
        const float W = H * (style == 1 ? lerp(0.45f, 0.58f, widthT) : lerp(0.75f, 0.9f, widthT));
        // Control outline (counter-clockwise, y up, the point at the bottom), rounded by Chaikin.
        std::vector<glm::vec2> ctrl;
        if (style == 1) {
            const float shoulder = H - 0.42f * W;
            for (int i = 0; i <= 8; ++i) {
                const float a = kPi * float(i) / 8.0f;
                ctrl.push_back({0.5f * W * std::cos(a), shoulder + 0.42f * W * std::sin(a)});
            }
            for (int i = 1; i <= 6; ++i) {
                const float u = float(i) / 6.0f;
                ctrl.push_back({-0.5f * W * (1.0f - u) * (1.0f + 0.3f * std::sin(kPi * u)), shoulder * (1.0f - u)});
            }
            for (int i = 5; i >= 1; --i) {
                const float u = float(i) / 6.0f;
                ctrl.push_back({0.5f * W * (1.0f - u) * (1.0f + 0.3f * std::sin(kPi * u)), shoulder * (1.0f - u)});
            }
        } else {
            const float ys = 0.866f * W;
            for (int i = 0; i <= 4; ++i) ctrl.push_back({0.5f * W - W * float(i) / 4.0f, H});
            ctrl.push_back({-0.5f * W, lerp(H, ys, 0.5f)});
            for (int i = 0; i <= 10; ++i) {
                const float a = kPi + (kPi / 3.0f) * float(i) / 10.0f;  // arc centred on the right edge
                ctrl.push_back({0.5f * W + W * std::cos(a), ys + W * std::sin(a)});
            }
            ctrl.back() = {0.0f, 0.0f};
            for (int i = 1; i <= 10; ++i) {
                const float a = (kPi / 3.0f) * float(i) / 10.0f - kPi / 3.0f;  // mirrored
                ctrl.push_back({-0.5f * W + W * std::cos(a), ys + W * std::sin(a)});
            }
            ctrl.push_back({0.5f * W, lerp(H, ys, 0.5f)});
        }
        const std::vector<glm::vec2> smooth = chaikin(counterClockwise(ctrl), 4);
        // The lathe's rings run from +x towards +z, which the mapping below turns clockwise in
        // the world's xy plane; so the outline's samples go clockwise.
        std::vector<glm::vec2> outline = resampleClosed(smooth, kSegs);
        std::reverse(outline.begin(), outline.end());
        const glm::vec2 centre(0.0f, style == 1 ? 0.62f * H : 0.58f * H);
        const float bendK = lerp(0.15f, 0.9f, curvature) / W;
        auto bendZ = [=](float x) { return -bendK * x * x; };
        // A nearly flat disc whose faces are faintly domed so the lathe keeps its rings.
        std::vector<glm::vec2> prof;
        for (int i = 0; i <= 8; ++i) {
            const float r = float(i) / 8.0f;
            prof.push_back({r, -1e-4f * (1.0f - r * r)});
        }
        for (int i = 8; i >= 0; --i) {
            const float r = float(i) / 8.0f;
            prof.push_back({r, t + 1e-4f * (1.0f - r * r)});
        }
        b.part("face");
        const std::size_t m0 = mark(b);
        b.lathe(prof, kSegs);
        PartMesh& m = currentMesh(b);
        for (std::size_t v = m0; v < m.positions.size(); ++v) {
            const glm::vec3 p = m.positions[v];
            const float rho = std::sqrt(p.x * p.x + p.z * p.z);
            int j = int(std::lround(std::atan2(p.z, p.x) / (2.0f * kPi / float(kSegs))));
            j = ((j % kSegs) + kSegs) % kSegs;
            const glm::vec2 xy = centre + rho * (outline[std::size_t(j)] - centre);
            m.positions[v] = {xy.x, xy.y, p.y + bendZ(xy.x)};
        }
        b.smoothNormals();
        // The rim: a tube round the outline, a little inside it, overlapping its own start.
        b.part("rim");
        const std::vector<glm::vec2> ring = resampleClosed(smooth, 96);
        std::vector<glm::vec3> path;
        for (std::size_t i = 0; i < ring.size() + 3; ++i) {
            const glm::vec2 q = ring[i % ring.size()];
            const glm::vec2 in = q + glm::normalize(centre - q) * (0.35f * rimR);
            path.push_back({in.x, in.y, 0.5f * t + bendZ(in.x) + (i >= ring.size() ? 0.0003f : 0.0f)});
        }
        b.tube(path, {rimR}, 10);
        handleAt = {0.0f, centre.y, 0.0f};
        backZ = bendZ(0.0f);
    }
    // A grip bar across the back.
    b.part("rim");
    const float z0 = backZ + 0.003f;
    b.tube({handleAt + glm::vec3(0.0f, -0.075f, z0), handleAt + glm::vec3(0.0f, -0.055f, -0.035f), handleAt + glm::vec3(0.0f, 0.055f, -0.035f),
            handleAt + glm::vec3(0.0f, 0.075f, z0)},
           {0.008f}, 10);
}

// ---------------------------------------------------------------------------------------------
// Helmet, face towards +z. Styles: 0 open dome with a brim (kettle hat), 1 closed knight's helm
// with a visor slit, 2 horned dome with a nasal. The shell is a lathe with a real wall, made
// oval (longer front to back) like a head.
void helmet(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float size = k.range("size", 0.95f, 1.1f);
    const float heightT = k.range("height", 0.0f, 1.0f);
    const float brimWidth = k.range("brim-width", 0.0f, 1.0f);
    const float wall = k.range("wall", 0.002f, 0.0035f);
    const float hornLength = k.range("horn-length", 0.0f, 1.0f);
    const float hornCurve = k.range("horn-curve", 0.0f, 1.0f);
    notes.sizeWord = extremeWord(k.position("size"), "small", "large");
    const glm::mat4 oval = scaling({1.0f, 1.0f, 1.12f});
    const float s = size;

    b.part("shell");
    if (style == 0) {
        const float Rd = 0.108f * s, hd = lerp(0.1f, 0.13f, heightT) * s, Rb = Rd + lerp(0.035f, 0.08f, brimWidth) * s, y0 = 0.02f * s;
        std::vector<glm::vec2> outer{{Rb, 0.0f}, {Rb - 0.35f * (Rb - Rd), 0.009f * s}};
        arc(outer, {Rd + 0.012f * s, y0 + 0.01f * s}, 0.012f * s, -0.5f * kPi, -kPi, 3);
        outer.pop_back();
        for (int i = 0; i <= 14; ++i) {
            const float phi = 0.5f * kPi * float(i) / 14.0f;
            outer.push_back({Rd * std::cos(phi), y0 + 0.01f * s + (hd - 0.01f * s) * std::pow(std::sin(phi), 0.9f)});
        }
        outer.back().x = 0.0f;
        b.lathe(hollowProfile(outer, wall), 56, oval, 50.0f);
        b.part("trim");
        b.torus({0.0f, y0 + 0.012f * s, 0.0f}, Rd + 0.001f, 0.006f * s, 56, 8, oval);
        b.torus({0.0f, 0.0f, 0.0f}, Rb - 0.001f, 0.7f * wall + 0.0012f, 56, 6, oval);
        return;
    }
    if (style == 1) {
        // A sugarloaf great helm: straight sides to the crown of the head, then a pointed
        // (tangent ogive) top.
        const float R0 = 0.115f * s, R1 = 0.121f * s, H = lerp(0.34f, 0.4f, heightT) * s, y0 = 0.27f * s, ys = 0.185f * s, slitHalf = 0.009f * s;
        auto radiusAt = [=](float y) { return lerp(R0, R1, std::min(1.0f, y / y0)); };
        std::vector<glm::vec2> outer;
        // Rings in pairs at the slit's edges, so it can be pressed in with steep walls.
        std::vector<float> heights = {0.0f, 0.05f * s, 0.1f * s, 0.14f * s};
        for (float d : {-slitHalf - 0.002f, -slitHalf + 0.001f, 0.0f, slitHalf - 0.001f, slitHalf + 0.002f}) heights.push_back(ys + d);
        for (float y : {0.225f * s, y0}) heights.push_back(y);
        for (float y : heights) outer.push_back({radiusAt(y), y});
        const float L = H - y0, rho = (R1 * R1 + L * L) / (2.0f * R1);
        for (int i = 1; i <= 10; ++i) {
            const float y = L * float(i) / 10.0f;
            outer.push_back({std::max(0.0f, std::sqrt(rho * rho - y * y) + R1 - rho), y0 + y});
        }
        outer.back().x = 0.0f;
        const std::size_t m0 = mark(b);
        b.lathe(hollowProfile(outer, wall), 64, oval, 50.0f);
        // A ridge down the face where its two plates meet, and the slit: the front of the wall
        // pressed in at eye level.
        const float ridge = 0.022f * s;
        auto ridgeAt = [=](float a, float y) {
            return ridge * std::pow(std::max(0.0f, 1.0f - std::abs(a) / 1.1f), 2.0f) * (1.0f - smoothstep(y0, H, y));
        };
        warpFrom(b, m0, [=](const glm::vec3& p) {
            const float a = std::atan2(p.x, p.z / 1.12f);
            const float front = 1.0f - smoothstep(1.3f, 1.5f, std::abs(a));
            const float band = 1.0f - smoothstep(slitHalf - 0.0012f, slitHalf + 0.0012f, std::abs(p.y - ys));
            const glm::vec3 radial = glm::normalize(glm::vec3(p.x, 0.0f, p.z) + glm::vec3(1e-6f, 0.0f, 0.0f));
            return p + radial * (ridgeAt(a, p.y) - 0.02f * s * front * band);
        });
        b.part("trim");
        // A riveted brow plate over the slit and a flat strip down the face: the cross of a
        // great helm's front.
        auto onShell = [=](float a, float y, float lift) {
            const float r = radiusAt(y) + lift;
            return glm::vec3(r * std::sin(a), y, 1.12f * r * std::cos(a)) + glm::vec3(std::sin(a), 0.0f, std::cos(a)) * ridgeAt(a, y);
        };
        const float browY = ys + slitHalf + 0.016f * s;
        std::vector<glm::vec3> brow;
        for (int i = 0; i <= 24; ++i) brow.push_back(onShell(lerp(-1.45f, 1.45f, float(i) / 24.0f), browY, 0.0f));
        const std::size_t mb = mark(b);
        b.tube(brow, {0.007f * s}, 10);
        warpFrom(b, mb, [=](const glm::vec3& p) {
            const float a = std::atan2(p.x, p.z / 1.12f);
            const glm::vec3 c = onShell(a, browY, 0.0f);
            const glm::vec3 radial(std::sin(a), 0.0f, std::cos(a));
            return p - radial * (0.6f * glm::dot(p - c, radial));  // flattened against the shell
        });
        for (int i = 0; i < 7; ++i) b.ellipsoid(onShell(lerp(-1.2f, 1.2f, float(i) / 6.0f), browY, 0.0025f * s), glm::vec3(0.0035f * s), 10);
        auto stripZ = [=](float y) { return radiusAt(y) * 1.12f + ridgeAt(0.0f, y) + 0.0005f; };
        std::vector<glm::vec3> strip;
        for (int i = 0; i <= 6; ++i) {
            const float y = lerp(0.01f * s, ys - slitHalf - 0.004f * s, float(i) / 6.0f);
            strip.push_back({0.0f, y, stripZ(y)});
        }
        const std::size_t m1 = mark(b);
        b.tube(strip, {0.008f * s}, 12);
        warpFrom(b, m1, [=](const glm::vec3& p) { return glm::vec3(p.x, p.y, stripZ(p.y) + (p.z - stripZ(p.y)) * 0.4f); });
        return;
    }
    // Horned: a rounded, slightly pointed dome, a brow band, a nasal and two curving horns.
    const float R0 = 0.112f * s, H = lerp(0.18f, 0.22f, heightT) * s;
    std::vector<glm::vec2> outer{{R0, 0.0f}, {R0 * 1.005f, 0.03f * s}};
    for (int i = 1; i <= 14; ++i) {
        const float u = 1.0f - float(i) / 14.0f;  // radius fraction, rim to top
        outer.push_back({R0 * u, 0.03f * s + (H - 0.03f * s) * std::pow(1.0f - std::pow(u, 2.2f), 0.7f)});
    }
    b.lathe(hollowProfile(outer, wall), 56, oval, 50.0f);
    b.part("trim");
    b.torus({0.0f, 0.014f * s, 0.0f}, R0 + 0.0005f, 0.007f * s, 56, 8, oval);
    // The nasal: a flat tapering strip riveted under the band, down over the nose.
    b.prism({{-0.013f * s, 0.04f * s}, {-0.008f * s, -0.06f * s}, {0.008f * s, -0.06f * s}, {0.013f * s, 0.04f * s}}, -0.0025f, 0.0035f,
            translation({0.0f, 0.0f, R0 * 1.12f}) * rotationX(-0.08f));
    b.part("horns");
    const float hl = lerp(0.16f, 0.3f, hornLength) * s;
    for (float side : {-1.0f, 1.0f}) {
        std::vector<glm::vec3> path;
        std::vector<float> radii;
        const glm::vec3 root(side * R0 * 0.75f, 0.085f * s, 0.0f);
        glm::vec3 p = root;
        const float a0 = 0.15f, a1 = lerp(1.5f, 2.1f, hornCurve);
        for (int i = 0; i <= 14; ++i) {
            const float u = float(i) / 14.0f;
            path.push_back(p);
            radii.push_back(lerp(0.024f * s, 0.002f * s, std::pow(u, 0.9f)));
            const float a = lerp(a0, a1, u);
            p += (hl / 14.0f) * glm::vec3(side * std::cos(a), std::sin(a), -0.15f * u);
        }
        b.tube(path, radii, 16);
    }
}

} // namespace

void addNature(std::vector<CategoryDef>& out) {
    // Mushrooms, trees and cacti come in the library's flat colours: painted (a soft, even
    // finish) reads as a natural cap, leaf or stem; plastic and ceramic read as ornaments and
    // toys, which these shapes also are. Fabric's weave would look like a plush toy at best.
    out.push_back({{"mushroom",
                    "nature",
                    {{"dome", "with a domed top"}, {"flat", "with a flat parasol top"}, {"pointed", "with a pointed conical top"}},
                    {{"cap", 0}, {"stem", 1}, {"gills", 1}, {"ring", 1}},
                    {{"cap", false, {MK::Painted, MK::Ceramic, MK::Plastic}}, {"stem", false, {MK::Painted, MK::Ceramic, MK::Plastic}}},
                    0.035f, 0.32f,
                    {{"height", "make the mushroom taller", "make the mushroom shorter"}, {"cap-width", "make the cap wider", "make the cap narrower"}}},
                   mushroom});
    out.push_back({{"tree",
                    "nature",
                    {{"round", "with a rounded crown"}, {"pine", "shaped like a pine"}, {"palm", "shaped like a palm"}},
                    {{"trunk", 0}, {"leaves", 1}},
                    {{"trunk", false, {MK::Wood, MK::Painted}}, {"leaves", true, {MK::Painted, MK::Plastic}}},
                    2.5f, 16.0f,
                    {{"height", "make the tree taller", "make the tree shorter"}, {"crown-width", "make the crown wider", "make the crown narrower"}}},
                   tree});
    out.push_back({{"rock",
                    "nature",
                    {{"smooth", "worn smooth"}, {"jagged", "with jagged facets"}, {"stacked", "layered in stacked slabs"}},
                    {{"boulder", 0}, {"pebbles", 0}},
                    {{"body", false, {MK::Stone}}},
                    0.2f, 2.4f,
                    {{"size", "make the rock bigger", "make the rock smaller"}, {"height-ratio", "make the rock taller", "make the rock flatter"}}},
                   rock});
    out.push_back({{"cactus",
                    "nature",
                    {{"saguaro", "with branching arms"}, {"barrel", "with a round ribbed shape"}, {"organ-pipe", "with clustered upright stems"}},
                    {{"body", 0}, {"spines", 1}},
                    {{"body", false, {MK::Painted, MK::Plastic, MK::Ceramic}}, {"spines", true, {MK::Painted, MK::Plastic}}},
                    0.15f, 4.6f,
                    {{"height", "make the cactus taller", "make the cactus shorter"}, {"thickness", "make the cactus thicker", "make the cactus thinner"}}},
                   cactus});
    // Wax has no material of its own: painted (matte, even) and plastic (a soft sheen) read as
    // wax. The wick shares the wax, as an unburnt wick is coated in it.
    out.push_back({{"candle",
                    "prop",
                    {{"pillar", "shaped like a thick pillar"}, {"taper", "as a slender taper in a candlestick"}, {"tealight", "as a shallow tealight"}},
                    {{"wax", 0}, {"wick", 0}, {"holder", 1}},
                    {{"wax", true, {MK::Painted, MK::Plastic}}, {"holder", false, {MK::Metal, MK::Ceramic, MK::Glass}}},
                    0.03f, 0.55f,
                    {{"height", "make the candle taller", "make the candle shorter"}, {"width", "make the candle wider", "make the candle narrower"}}},
                   candle});
    out.push_back({{"sword",
                    "prop",
                    {{"straight", "with a straight blade"}, {"sabre", "with a curved blade"}, {"broad", "with a broad blade"}},
                    {{"blade", 0}, {"guard", 1}, {"pommel", 1}, {"grip", 2}},
                    {{"blade", false, {MK::Metal, MK::Rusty}}, {"guard", false, {MK::Metal, MK::Rusty}}, {"grip", false, {MK::Leather, MK::Wood, MK::Fabric}}},
                    0.6f, 1.35f,
                    {{"blade-length", "make the blade longer", "make the blade shorter"}, {"guard-width", "make the guard wider", "make the guard narrower"}}},
                   sword});
    out.push_back({{"axe",
                    "tool",
                    {{"felling", "with a single bit for felling"}, {"double-bit", "with two opposed bits"}, {"hatchet", "as a one-handed hatchet"}},
                    {{"head", 0}, {"handle", 1}},
                    {{"head", false, {MK::Metal, MK::Rusty}}, {"handle", false, {MK::Wood, MK::Plastic, MK::Metal}}},
                    0.28f, 1.0f,
                    {{"handle-length", "make the handle longer", "make the handle shorter"}, {"head-size", "make the head bigger", "make the head smaller"}}},
                   axe});
    out.push_back({{"hammer",
                    "tool",
                    {{"claw", "with a curved claw"}, {"sledge", "as a heavy sledge"}, {"mallet", "as a round-headed mallet"}},
                    {{"head", 0}, {"handle", 1}},
                    {{"head", false, {MK::Metal, MK::Rusty}}, {"handle", false, {MK::Wood, MK::Plastic, MK::Metal}}},
                    0.25f, 1.0f,
                    {{"handle-length", "make the handle longer", "make the handle shorter"}, {"head-size", "make the head bigger", "make the head smaller"}}},
                   hammer});
    // The rim group holds the metal fittings: the rim, the boss and the grip bar behind.
    out.push_back({{"shield",
                    "prop",
                    {{"round", "with a central boss"}, {"kite", "shaped like a kite"}, {"heater", "with a flat top and a pointed base"}},
                    {{"face", 0}, {"rim", 1}},
                    {{"face", false, {MK::Wood, MK::Painted, MK::Metal, MK::Leather}}, {"rim", false, {MK::Metal, MK::Rusty}}},
                    0.5f, 1.35f,
                    {{"size", "make the shield bigger", "make the shield smaller"}, {"curvature", "make the shield more curved", "make the shield flatter"}}},
                   shield});
    out.push_back({{"helmet",
                    "prop",
                    {{"brimmed", "with a brim"}, {"visored", "with a visor slit"}, {"horned", "with two horns"}},
                    {{"shell", 0}, {"trim", 1}, {"horns", 1}},
                    {{"shell", false, {MK::Metal, MK::Rusty, MK::Painted}}, {"trim", false, {MK::Metal}}},
                    0.2f, 0.75f,
                    {{"size", "make the helmet bigger", "make the helmet smaller"}, {"height", "make the helmet taller", "make the helmet lower"}}},
                   helmet});
}

} // namespace kiln::procgen::detail
