// Vessels of the procedural library (procgen/category_defs.h): mugs, bowls, vases, bottles,
// barrels, crates, teapots, cups, plates, jars, pots and trashcans. Sizes follow ordinary household
// objects (metres). A vessel is a lathe profile that runs up the outside, over a rounded lip and
// down the inside to the floor, so every one has a wall thickness and an inner surface; handles
// and spouts are tubes whose ends start inside the wall, so they grow out of it.
#include "procgen/category_defs.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

namespace kiln::procgen::detail {

namespace {

using V2 = glm::vec2;
using V3 = glm::vec3;

constexpr int kAround = 48;        // segments around a round vessel
constexpr int kAroundSquare = 64;  // squared-off vessels: enough to keep their corners round

// ---------------------------------------------------------------------------------------------
// Profile helpers. Profiles are (radius, height) polylines for AssetBuilder::lathe.

// Appends `pts`, skipping a point equal to the last one (a zero-length edge splits a lathe chart).
void append(std::vector<V2>& out, const std::vector<V2>& pts) {
    for (const V2& p : pts)
        if (out.empty() || glm::length(p - out.back()) > 1e-6f) out.push_back(p);
}

// Drops profile points where the outline runs straight on (within `degrees`), so straight walls
// cost two rings and only the bends are finely sampled. Points on the axis are kept.
std::vector<V2> simplify(const std::vector<V2>& p, float degrees = 3.5f) {
    if (p.size() < 3) return p;
    const float cosTol = std::cos(degrees * kPi / 180.0f);
    std::vector<V2> out{p.front()};
    for (std::size_t i = 1; i + 1 < p.size(); ++i) {
        const V2 a = p[i] - out.back(), b = p[i + 1] - p[i];
        const float la = glm::length(a), lb = glm::length(b);
        if (la < 1e-7f) continue;
        if (p[i].x <= 0.0f || lb < 1e-7f || glm::dot(a, b) < cosTol * la * lb) out.push_back(p[i]);
    }
    out.push_back(p.back());
    return out;
}

// Catmull-Rom spline through the control points, `per` samples per span, both ends included.
std::vector<V2> spline(const std::vector<V2>& c, int per) {
    const std::size_t n = c.size();
    if (n < 2) return c;
    auto at = [&](std::ptrdiff_t i) {
        if (i < 0) return 2.0f * c[0] - c[1];
        if (i >= std::ptrdiff_t(n)) return 2.0f * c[n - 1] - c[n - 2];
        return c[std::size_t(i)];
    };
    std::vector<V2> out;
    for (std::size_t s = 0; s + 1 < n; ++s) {
        const V2 p0 = at(std::ptrdiff_t(s) - 1), p1 = c[s], p2 = c[s + 1], p3 = at(std::ptrdiff_t(s) + 2);
        for (int k = 0; k < per; ++k) {
            const float t = float(k) / float(per), t2 = t * t, t3 = t2 * t;
            out.push_back(0.5f * (2.0f * p1 + (p2 - p0) * t + (2.0f * p0 - 5.0f * p1 + 4.0f * p2 - p3) * t2 + (3.0f * p1 - p0 - 3.0f * p2 + p3) * t3));
        }
    }
    out.push_back(c.back());
    return out;
}

// Cubic Bezier through a..d, `n` + 1 samples.
std::vector<V3> bezier(const V3& a, const V3& b, const V3& c, const V3& d, int n) {
    std::vector<V3> out;
    for (int i = 0; i <= n; ++i) {
        const float t = float(i) / float(n), s = 1.0f - t;
        out.push_back(s * s * s * a + 3.0f * s * s * t * b + 3.0f * s * t * t * c + t * t * t * d);
    }
    return out;
}

// Outward normal of a profile (the right of the direction of travel) at point i.
V2 normalAt(const std::vector<V2>& p, std::size_t i) {
    auto right = [](V2 d) {
        const float len = glm::length(d);
        return len > 0.0f ? V2(d.y, -d.x) / len : V2(0.0f);
    };
    V2 n(0.0f);
    if (i > 0) n += right(p[i] - p[i - 1]);
    if (i + 1 < p.size()) n += right(p[i + 1] - p[i]);
    const float len = glm::length(n);
    return len > 0.0f ? n / len : V2(1.0f, 0.0f);
}

// Radius of an outside profile at height y: its first crossing of y from the bottom.
float radiusAt(const std::vector<V2>& c, float y) {
    for (std::size_t i = 0; i + 1 < c.size(); ++i) {
        const V2 a = c[i], b = c[i + 1];
        if (a.y == b.y || (y - a.y) * (y - b.y) > 0.0f) continue;
        return a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y);
    }
    return c.back().x;
}

// A flat base from the axis out to radius rb, turning up through a quarter round of `bevel`.
std::vector<V2> flatBase(float rb, float bevel) {
    std::vector<V2> out{{0.0f, 0.0f}};
    for (int k = 0; k <= 3; ++k) {
        const float a = -0.5f * kPi + float(k) * kPi / 6.0f;
        out.push_back({rb - bevel + bevel * std::cos(a), bevel + bevel * std::sin(a)});
    }
    return out;
}

// A foot ring (cups, bowls, plates): the underside recessed by `recess` inside radius rIn, the
// ring standing on y = 0 out to rOut and rising to height `height` on its outer face.
std::vector<V2> footRing(float rIn, float rOut, float recess, float height) {
    const float e = std::min(0.0015f, 0.25f * (rOut - rIn));
    return {{0.0f, recess}, {rIn, recess}, {rIn + 0.5f * e, 0.4f * e}, {rIn + 1.5f * e, 0.0f}, {rOut - 1.5f * e, 0.0f}, {rOut - 0.3f * e, 0.5f * e},
            {rOut + 0.1f * height, height}};
}

struct Vessel {
    std::vector<V2> profile;  // closed lathe profile: outside, lip, inside, floor
    V2 lipCentre{0.0f};       // centre of the rounded lip's cross-section
    float top = 0.0f;         // highest point of the lip
};

// A hollow vessel from its outside (from the axis at the bottom up to the lip): a lip rounded over
// the wall's thickness, then the outside offset inwards by `wall` back down to a flat floor at
// `floorY`, rounded into it by `fillet` where the inner wall is steep.
Vessel hollow(const std::vector<V2>& outside, float wall, float floorY, float fillet = 0.0f) {
    Vessel v;
    v.profile = outside;
    const std::size_t n = outside.size();
    const V2 lip = outside.back();
    const V2 t = glm::normalize(lip - outside[n - 2]);
    const V2 nrm(t.y, -t.x);
    v.lipCentre = lip - 0.5f * wall * nrm;
    constexpr int kLip = 8;
    for (int i = 1; i <= kLip; ++i) {
        const float a = kPi * float(i) / float(kLip);
        const V2 p = v.lipCentre + 0.5f * wall * (std::cos(a) * nrm + std::sin(a) * t);
        v.top = std::max(v.top, p.y);
        v.profile.push_back(p);
    }
    v.top = std::max(v.top, lip.y);
    const float stop = floorY + fillet;
    V2 prev = v.profile.back();
    for (std::size_t i = n - 1; i-- > 1;) {
        const V2 q = outside[i] - wall * normalAt(outside, i);
        if (q.y >= stop - 1e-6f) {
            // In a tight concave bend the offset folds back on itself: skip the points that run
            // against the outside's direction.
            if (glm::dot(q - prev, outside[i] - outside[i + 1]) > 0.0f) {
                append(v.profile, {q});
                prev = q;
            }
            continue;
        }
        // The inner wall reaches the floor between prev and q.
        const float s = (prev.y - stop) / std::max(1e-9f, prev.y - q.y);
        const V2 a = prev + s * (q - prev);
        append(v.profile, {a});
        if (fillet > 0.0f) {
            const V2 d = glm::normalize(q - prev);
            const V2 corner = a + d * (fillet / std::max(0.3f, -d.y));
            const V2 k(corner.x, floorY), f(std::max(0.3f * k.x, k.x - fillet), floorY);
            for (int j = 1; j <= 4; ++j) {
                const float u = float(j) / 4.0f, w = 1.0f - u;
                append(v.profile, {w * w * a + 2.0f * w * u * k + u * u * f});
            }
        }
        append(v.profile, {{0.0f, floorY}});
        v.profile = simplify(v.profile);
        return v;
    }
    append(v.profile, {{0.0f, floorY}});
    v.profile = simplify(v.profile);
    return v;
}

// A closed solid of revolution from a (radius, height) outline sampled by a spline from the axis
// at the bottom to the axis at the top.
std::vector<V2> solidProfile(const std::vector<V2>& ctrl, int per) {
    std::vector<V2> out{{0.0f, ctrl.front().y}};
    append(out, spline(ctrl, per));
    append(out, {{0.0f, ctrl.back().y}});
    return simplify(out);
}

// Squares off the current part around the Y axis: a superellipse of exponent `n` (flat sides at
// x, z = +-r, corners pushed out), blended in by weight(y) so a bottle's round neck stays round.
void squareUp(AssetBuilder& b, float n, const std::function<float(float)>& weight) {
    b.displace([&](const V3& p) {
        const float r = std::hypot(p.x, p.z);
        if (r <= 0.0f) return p;
        const float c = std::abs(p.x) / r, s = std::abs(p.z) / r;
        const float f = 1.0f + (std::pow(std::pow(c, n) + std::pow(s, n), -1.0f / n) - 1.0f) * weight(p.y);
        return V3(p.x * f, p.y, p.z * f);
    });
}

// A tube handle in the vertical plane at angle `yaw` around the axis, along a cubic Bezier given in
// (radius, height) coordinates from a point on the wall to another; both ends continue `sink`
// into the wall horizontally, so the tube grows out of it. `flatten` widens the cross-section
// sideways (a mug's handle is a flat strap, not a round rod).
void wallHandle(AssetBuilder& b, V2 a, V2 c1, V2 c2, V2 d, float sink, float rStart, float rEnd, float flatten, float yaw) {
    std::vector<V3> path{{a.x - sink, a.y, 0.0f}};
    std::vector<float> radii{rStart};
    const auto curve = bezier({a, 0.0f}, {c1, 0.0f}, {c2, 0.0f}, {d, 0.0f}, 18);
    for (std::size_t i = 0; i < curve.size(); ++i) {
        const float t = float(i) / float(curve.size() - 1);
        path.push_back(curve[i]);
        // Slimmer in the middle, as handles are pulled.
        radii.push_back((rStart + (rEnd - rStart) * t) * (1.0f - 0.12f * std::sin(kPi * t)));
    }
    path.push_back({d.x - sink, d.y, 0.0f});
    radii.push_back(rEnd);
    b.tube(path, radii, 12, rotationY(yaw) * scaling({1.0f, 1.0f, flatten}));
}

// A loop handle on an outside profile, from height yTop down to yBottom, reaching `reach` out.
void loopHandle(AssetBuilder& b, const std::vector<V2>& outside, float yTop, float yBottom, float reach, float sink, float rTop, float rBottom,
                float flatten, float yaw) {
    const float r1 = radiusAt(outside, yTop), r0 = radiusAt(outside, yBottom);
    const float out = std::max(r1, r0) + reach * 1.3f;
    const float rise = 0.08f * (yTop - yBottom);
    wallHandle(b, {r1, yTop}, {out, yTop + rise}, {out, yBottom - 0.3f * rise}, {r0, yBottom}, sink, rTop, rBottom, flatten, yaw);
}

// A board or batten with chamfered long edges (the chamfers catch the light, so boards laid side
// by side read as separate planks): `size` is its full extent; it is extruded along its longest
// side.
void bar(AssetBuilder& b, const V3& centre, const V3& size, float chamfer, const glm::mat4& xf = glm::mat4(1.0f)) {
    const int axis = size.x >= size.y && size.x >= size.z ? 0 : size.y >= size.z ? 1 : 2;
    const int ua = (axis + 1) % 3, va = (axis + 2) % 3;  // a cyclic permutation: no mirroring
    const float hu = 0.5f * size[ua], hv = 0.5f * size[va], hw = 0.5f * size[axis];
    // The top chamfers are a little narrower than the bottom ones: with a centrally symmetric
    // outline, the side strip's halfway vertex lands on a texel centre whenever the atlas packer
    // settles on a density that makes the strip a whole number of texels wide.
    const float c = std::min(chamfer, 0.4f * std::min(hu, hv)), c2 = 0.7f * c;
    std::vector<V2> o;
    if (c > 1e-4f) o = {{-hu + c, -hv}, {hu - c, -hv}, {hu, -hv + c}, {hu, hv - c2}, {hu - c2, hv}, {-hu + c2, hv}, {-hu, hv - c2}, {-hu, -hv + c}};
    else o = {{-hu, -hv}, {hu, -hv}, {hu, hv}, {-hu, hv}};
    glm::mat4 m(0.0f);
    m[0][ua] = 1.0f;
    m[1][va] = 1.0f;
    m[2][axis] = 1.0f;
    m[3][3] = 1.0f;
    b.prism(o, -hw, hw, xf * translation(centre) * m);
}

// ---------------------------------------------------------------------------------------------
// Mug. Styles: 0 straight, 1 tapered, 2 pot-bellied; all with a handle.
void mug(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("height", 0.085f, 0.12f), r = k.range("radius", 0.036f, 0.047f);
    const float wall = k.range("wall", 0.0035f, 0.005f), floorT = k.range("base-thickness", 0.006f, 0.01f);
    const float hs = k.range("handle-size", 0.85f, 1.15f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    std::vector<V2> ctrl;
    if (style == 0) ctrl = {{r * 0.97f, 0.004f}, {r * 0.985f, h * 0.35f}, {r, h * 0.7f}, {r, h}};
    else if (style == 1) ctrl = {{r * 0.72f, 0.004f}, {r * 0.81f, h * 0.33f}, {r * 0.9f, h * 0.66f}, {r, h}};
    else ctrl = {{r * 0.8f, 0.004f}, {r * 1.0f, h * 0.2f}, {r * 1.1f, h * 0.46f}, {r * 1.04f, h * 0.76f}, {r * 0.94f, h}};
    std::vector<V2> outside = flatBase(ctrl.front().x, 0.004f);
    append(outside, spline(ctrl, 6));
    const Vessel v = hollow(outside, wall, floorT, 0.006f);
    b.part("body");
    b.lathe(v.profile, kAround);
    b.part("handle");
    const float yTop = h * 0.8f, yBottom = h * (0.8f - 0.5f * hs);
    loopHandle(b, outside, yTop, yBottom, 0.022f * hs, 0.45f * wall, 0.0062f, 0.0054f, 1.4f, 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Bowl. Styles: 0 shallow, 1 deep, 2 on a pedestal foot. A bead rolled over the lip is its rim.
void bowl(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float rad = k.range("radius", 0.065f, 0.14f), depth = k.range("depth", 0.85f, 1.15f);
    const float wall = k.range("wall", 0.004f, 0.007f), flare = k.range("flare", 0.0f, 1.0f);
    const float footScale = k.range("foot-height", 0.8f, 1.2f);
    notes.sizeWord = extremeWord(k.position("radius"), "small", "large");
    // The bowl's own depth (a footed bowl's stands on its pedestal).
    float h = rad * depth * (style == 0 ? 0.45f : style == 1 ? 0.66f : 0.5f);
    std::vector<V2> outside, ctrl;
    float yb, rb;
    if (style == 2) {
        // A turned pedestal: a flat foot, a narrow stem, flaring into the bowl.
        const float fh = rad * 0.3f * footScale, rf = rad * 0.44f, rs = rad * 0.13f;
        outside = footRing(rf * 0.7f, rf, 0.003f, 0.004f);
        outside.pop_back();
        ctrl = {{rf, 0.004f}, {rf * 0.72f, fh * 0.3f}, {rs, fh * 0.75f}, {rs * 1.5f, fh * 1.02f}};
        yb = fh * 1.1f;
        rb = rs * 2.4f;
        h += yb;
    } else {
        const float rf = rad * (style == 0 ? 0.5f : 0.4f), fh = 0.007f * footScale;
        outside = footRing(rf - 0.006f, rf, 0.003f, fh);
        yb = fh + 0.001f;
        rb = rf + 0.003f;
    }
    // The wall: a quarter ellipse from the flat bottom to the lip, stopped before vertical so the
    // lip leans outwards (more so for a flared bowl).
    const float phiMax = 0.5f * kPi * (0.93f - 0.14f * flare);
    for (int i = 0; i <= 8; ++i) {
        const float phi = phiMax * float(i) / 8.0f;
        ctrl.push_back({rb + (rad - rb) * std::sin(phi) / std::sin(phiMax), yb + (h - yb) * (1.0f - std::cos(phi)) / (1.0f - std::cos(phiMax))});
    }
    append(outside, spline(ctrl, 4));
    const Vessel v = hollow(outside, wall, yb + wall);
    b.part("body");
    b.lathe(v.profile, kAround);
    b.part("rim");
    b.torus({0.0f, v.lipCentre.y, 0.0f}, v.lipCentre.x, 0.5f * wall + 0.0015f, kAround, 12);
}

// ---------------------------------------------------------------------------------------------
// Vase. Styles: 0 bulbous with a narrow neck, 1 straight cylinder, 2 amphora with two handles.
void vase(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("height", 0.2f, 0.45f), width = k.range("width", 0.85f, 1.15f);
    const float wall = k.range("wall", 0.004f, 0.007f), neck = k.range("neck-width", 0.85f, 1.15f);
    const float lipFlare = k.range("lip-flare", 0.0f, 1.0f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    std::vector<V2> ctrl;
    float rad, floorY = h * 0.04f;
    if (style == 0) {
        rad = 0.3f * h * width;
        const float rn = 0.27f * rad * neck;
        ctrl = {{0.5f * rad, 0.005f}, {0.84f * rad, 0.11f * h}, {rad, 0.34f * h}, {0.88f * rad, 0.57f * h}, {0.45f * rad * neck, 0.74f * h},
                {rn, 0.85f * h}, {rn * 1.05f, 0.93f * h}, {rn * (1.25f + 0.35f * lipFlare), h}};
    } else if (style == 1) {
        rad = 0.16f * h * width;
        ctrl = {{rad * 0.97f, 0.005f}, {rad, 0.3f * h}, {rad, 0.7f * h}, {rad * (1.0f + 0.06f * lipFlare), h}};
    } else {
        rad = 0.28f * h * width;
        const float rn = 0.3f * rad * neck;
        ctrl = {{0.36f * rad, 0.005f}, {0.3f * rad, 0.04f * h}, {0.3f * rad, 0.09f * h}, {0.58f * rad, 0.24f * h}, {0.92f * rad, 0.45f * h},
                {rad, 0.6f * h}, {0.82f * rad, 0.73f * h}, {rn * 1.15f, 0.81f * h}, {rn, 0.9f * h}, {rn * (1.5f + 0.4f * lipFlare), h}};
        floorY = 0.12f * h;
    }
    std::vector<V2> outside = flatBase(ctrl.front().x, 0.005f);
    append(outside, spline(ctrl, 6));
    const Vessel v = hollow(outside, wall, floorY, 0.01f);
    b.part("body");
    b.lathe(v.profile, kAround);
    // A bead around the mouth, and one around the foot of the straight vase.
    b.part("lip");
    b.torus({0.0f, v.lipCentre.y, 0.0f}, v.lipCentre.x, 0.5f * wall + 0.002f, kAround, 12);
    if (style == 1) b.torus({0.0f, 0.006f, 0.0f}, rad * 0.97f - 0.001f, 0.006f, kAround, 12);
    if (style == 2) {
        // Handles from the widest point up and in to the neck, as on an amphora.
        b.part("handles");
        const float yb = 0.6f * h, yt = 0.86f * h;
        const float rs = radiusAt(outside, yb), rn = radiusAt(outside, yt);
        for (float yaw : {0.0f, kPi})
            wallHandle(b, {rs, yb}, {rs + 0.32f * rad, yb + 0.05f * h}, {rn + 0.75f * rad, yt + 0.02f * h}, {rn, yt}, 0.5f * wall, 0.045f * rad + 0.003f,
                       0.04f * rad + 0.003f, 1.3f, yaw);
    }
}

// ---------------------------------------------------------------------------------------------
// Bottle. Styles: 0 wine (high shoulders, slender neck, a capsule over the cork), 1 round flask
// with a stopper, 2 square with a screw cap. The glass is thin; the neck is hollow.
void bottle(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("height", 0.2f, 0.34f), width = k.range("width", 0.85f, 1.15f);
    const float neckLen = k.range("neck-length", 0.85f, 1.15f), wall = k.range("wall", 0.0025f, 0.0035f);
    const float capLen = k.range("cap-length", 0.8f, 1.2f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    std::vector<V2> outside, ctrl;
    float rn, floorY;
    const float lipH = 0.012f;  // the bead at the mouth
    if (style == 0) {
        const float rad = 0.125f * h * width;
        rn = std::max(0.38f * rad, 0.0085f);
        // A punt: the base pushed up into the bottle, standing on a ring.
        const float punt = 0.45f * rad;
        outside = {{0.0f, punt}, {0.25f * rad, punt * 0.93f}, {0.5f * rad, punt * 0.7f}, {0.7f * rad, punt * 0.32f}, {0.82f * rad, 0.05f * punt},
                   {0.87f * rad, 0.0f}, {rad - 0.004f, 0.0008f}};
        const float ys = h - 0.44f * h * neckLen;  // shoulder
        ctrl = {{rad, 0.006f}, {rad, 0.3f * ys}, {rad, 0.75f * ys}, {rad * 0.985f, ys}, {rad * 0.8f, ys + 0.07f * h}, {rn * 1.12f, ys + 0.17f * h},
                {rn, ys + 0.24f * h}, {rn, h - lipH - 0.004f}};
        floorY = punt + 0.006f;
    } else if (style == 1) {
        const float rad = 0.27f * h * width;
        rn = std::max(0.2f * rad, 0.008f);
        const float yc = 0.87f * rad;
        outside = flatBase(0.48f * rad, 0.006f);
        for (int i = 0; i <= 9; ++i) {
            const float a = -kPi / 3.0f + float(i) / 9.0f * (kPi / 3.0f + 0.3f * kPi);
            ctrl.push_back({rad * std::cos(a), yc + rad * std::sin(a)});
        }
        ctrl.front() = {0.48f * rad, 0.006f};
        const float yn = yc + rad * 0.98f;
        ctrl.push_back({rn * 1.15f, yn});
        ctrl.push_back({rn, yn + 0.3f * (h - lipH - yn)});
        ctrl.push_back({rn, h - lipH - 0.004f});
        floorY = 0.012f;
    } else {
        const float rad = 0.15f * h * width;
        rn = std::max(0.32f * rad, 0.0085f);
        outside = flatBase(rad, 0.006f);
        const float ys = h - 0.3f * h * neckLen;
        ctrl = {{rad, 0.006f}, {rad, 0.35f * ys}, {rad, 0.8f * ys}, {rad * 0.99f, ys}, {rad * 0.78f, ys + 0.05f * h}, {rn * 1.1f, ys + 0.1f * h},
                {rn, ys + 0.14f * h}, {rn, h - lipH - 0.004f}};
        floorY = 0.01f;
    }
    append(outside, spline(ctrl, 5));
    append(outside, {{rn + 0.0012f, h - lipH}, {rn + 0.0028f, h - lipH + 0.003f}, {rn + 0.0028f, h - 0.003f}, {rn + 0.0024f, h}});
    const Vessel v = hollow(outside, wall, floorY, 0.004f);
    b.part("body");
    b.lathe(v.profile, kAround);
    if (style == 2) {
        const float ys = h - 0.3f * h * neckLen;
        squareUp(b, 6.0f, [&](float y) { return std::clamp((ys + 0.06f * h - y) / (0.06f * h), 0.0f, 1.0f); });
    }
    b.part("cap");
    const float rc = rn + 0.0042f, top = v.top + 0.0012f;
    if (style == 0) {
        // A foil capsule over the cork and the bead.
        const float len = 0.11f * h * capLen;
        b.lathe(solidProfile({{rc - 0.0008f, top - len}, {rc, top - len + 0.002f}, {rc, top - 0.003f}, {rc - 0.0025f, top}}, 2), kAround);
    } else if (style == 1) {
        // A stopper: a plug inside the neck under a round knob.
        const float rp = rn - 0.5f * wall, kr = 1.7f * rn;
        b.lathe(solidProfile({{rp * 0.9f, top - 0.03f}, {rp, top - 0.028f}, {rp, top - 0.003f}, {rn + 0.004f, top - 0.001f}, {rn + 0.0045f, top + 0.003f},
                              {0.45f * kr, top + 0.006f}, {0.9f * kr, top + 0.3f * kr + 0.006f}, {kr, top + kr * 0.9f}, {0.7f * kr, top + kr * 1.6f},
                              {0.01f, top + kr * 1.85f}},
                             4),
                kAround);
    } else {
        // A screw cap with fine ribs.
        const float len = 0.075f * h * capLen;
        b.lathe(solidProfile({{rc, top - len}, {rc, top - 0.002f}, {rc - 0.0015f, top + 0.0008f}}, 2), kAround);
        b.displace([&](const V3& p) {
            const float r = std::hypot(p.x, p.z);
            if (r < rc - 0.0005f) return p;
            const float a = std::atan2(p.z, p.x);
            const float f = 1.0f + 0.05f * std::cos(24.0f * a) * std::min(1.0f, (r - rc + 0.0005f) / 0.0005f);
            return V3(p.x * f, p.y, p.z * f);
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Barrel. Styles: 0 wooden, upright, 1 wooden, lying on its side, 2 steel drum with rolling ribs.
// A wooden barrel's staves bulge at the middle and stand proud of the heads (the chimes); grooves
// between the staves are pressed into the outside. Its hoops follow the bulge.
void barrel(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("height", 0.6f, 1.0f), girth = k.range("girth", 0.88f, 1.12f);
    const float bulge = k.range("bulge", 0.08f, 0.15f);
    const int staves = k.count("staves", 14, 20);
    const float hoopW = k.range("hoop-width", 0.03f, 0.05f);
    const bool bilgeHoops = k.flag("bilge-hoops", 0.5f);
    notes.sizeWord = extremeWord(k.position("height"), "small", "large");
    if (style == 2) {
        const float rad = 0.33f * h * girth, head = 0.016f;
        std::vector<V2> prof{{0.0f, head}, {rad - 0.011f, head}, {rad - 0.011f, 0.005f}, {rad - 0.007f, 0.0f}, {rad - 0.002f, 0.0f}, {rad, 0.004f}};
        // Two rolling ribs pressed outwards at a third and two thirds of the height.
        for (float yr : {h / 3.0f, 2.0f * h / 3.0f})
            for (float o : {-0.03f, -0.016f, -0.008f, 0.0f, 0.008f, 0.016f, 0.03f})
                prof.push_back({rad + 0.009f * std::exp(-(o * o) / (2.0f * 0.0085f * 0.0085f)), yr + o});
        append(prof, {{rad, h - 0.004f}, {rad - 0.002f, h}, {rad - 0.007f, h}, {rad - 0.011f, h - 0.005f}, {rad - 0.011f, h - head}, {0.0f, h - head}});
        b.part("body");
        b.lathe(prof, kAround);
        // The rolled seams at both ends and two bungs in the top head.
        b.part("hoops");
        b.torus({0.0f, 0.006f, 0.0f}, rad - 0.0035f, 0.0075f, kAround, 12);
        b.torus({0.0f, h - 0.006f, 0.0f}, rad - 0.0035f, 0.0075f, kAround, 12);
        b.lathe(solidProfile({{0.028f, h - head - 0.004f}, {0.028f, h - head + 0.003f}, {0.02f, h - head + 0.006f}, {0.02f, h - head + 0.008f}}, 1), 24,
                translation({0.6f * rad, 0.0f, 0.0f}));
        b.lathe(solidProfile({{0.017f, h - head - 0.004f}, {0.017f, h - head + 0.003f}, {0.012f, h - head + 0.006f}, {0.012f, h - head + 0.008f}}, 1),
                24, translation({-0.62f * rad, 0.0f, 0.0f}));
        return;
    }
    const float rEnd = 0.3f * h * girth, rMid = rEnd * (1.0f + bulge);
    const float stave = 0.024f * h, chime = 0.028f * h;
    auto radius = [&](float y) {
        const float s = 2.0f * y / h - 1.0f;
        return rEnd + (rMid - rEnd) * (1.0f - s * s);
    };
    const float ri = rEnd - stave;
    std::vector<V2> prof{{0.0f, chime}, {ri, chime}, {ri, 0.005f}, {ri + 0.004f, 0.0f}, {rEnd - 0.004f, 0.0f}};
    for (int i = 0; i <= 24; ++i) {
        const float y = 0.004f + (h - 0.008f) * float(i) / 24.0f;
        prof.push_back({radius(y), y});
    }
    append(prof, {{rEnd - 0.004f, h}, {ri + 0.004f, h}, {ri, h - 0.005f}, {ri, h - chime}, {0.0f, h - chime}});
    // Lying on its side: the same barrel turned about Z.
    const glm::mat4 xf = style == 1 ? rotationZ(0.5f * kPi) : glm::mat4(1.0f);
    const glm::mat3 turn(xf);
    b.part("body");
    b.lathe(prof, staves * 3);
    // Every third column of vertices falls on a joint between staves: press it in.
    const float joint = 2.0f * kPi / float(staves);
    b.displace([&](const V3& p) {
        const float r = std::hypot(p.x, p.z);
        V3 q = p;
        if (r > ri + 0.006f) {
            const float a = std::atan2(p.z, p.x) / joint;
            if (std::abs(a - std::round(a)) < 0.1f) q = V3(p.x, 0.0f, p.z) * ((r - 0.003f) / r) + V3(0.0f, p.y, 0.0f);
        }
        return turn * q;
    });
    b.part("hoops");
    std::vector<float> hoopsAt{0.06f, 0.15f, 0.85f, 0.94f};
    if (bilgeHoops) hoopsAt.insert(hoopsAt.begin() + 2, {0.36f, 0.64f});
    for (const float f : hoopsAt) {
        const float y0 = f * h - 0.5f * hoopW, y1 = f * h + 0.5f * hoopW;
        std::vector<V2> loop{{radius(y0) - 0.007f, y0}};
        for (int i = 0; i <= 4; ++i) {
            const float y = y0 + (y1 - y0) * float(i) / 4.0f;
            loop.push_back({radius(y) + 0.0035f, y});
        }
        loop.push_back({radius(y1) - 0.007f, y1});
        loop.push_back(loop.front());
        b.lathe(loop, staves * 3, xf);
    }
}

// ---------------------------------------------------------------------------------------------
// Crate. Styles: 0 slatted sides, 1 closed box of planks with braced battens, 2 open top with a
// hand-hole cut into each end. Planks and battens are chamfered prisms.
void crate(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float w = k.range("width", 0.4f, 0.7f), d = w * k.range("depth", 0.6f, 0.85f), h = w * k.range("height", 0.45f, 0.8f);
    const float t = k.range("plank-thickness", 0.012f, 0.02f);
    const int slats = k.count("slats", 3, 5);
    const float gapRatio = k.range("gap", 0.3f, 0.55f);
    const float bw = k.range("batten-width", 0.04f, 0.06f);
    notes.sizeWord = extremeWord(k.position("width"), "small", "large");
    const float ch = 0.0025f, e = 0.001f;  // chamfer; overlap so no two pieces share a face
    // Boards across the bottom, inside the walls (x0 = inner half width).
    auto bottom = [&](float x0, float z0, int count, float y0) {
        const float pitch = 2.0f * z0 / float(count), bd = pitch * 0.82f;
        for (int i = 0; i < count; ++i) bar(b, {0.0f, y0 + 0.5f * t, -z0 + pitch * (float(i) + 0.5f)}, {2.0f * x0 + 2.0f * e, t, bd}, ch);
    };
    if (style == 0) {
        b.part("planks");
        const float sh = h / (float(slats) + float(slats - 1) * gapRatio), pitch = sh * (1.0f + gapRatio);
        for (int i = 0; i < slats; ++i) {
            const float y = 0.5f * sh + pitch * float(i);
            for (float s : {-1.0f, 1.0f}) {
                bar(b, {0.0f, y, s * (0.5f * d - 0.5f * t)}, {w, sh, t}, ch);
                bar(b, {s * (0.5f * w - 0.5f * t), y, 0.0f}, {t, sh, d - 2.0f * t + 2.0f * e}, ch);
            }
        }
        bottom(0.5f * w - t, 0.5f * d - t, 4, 0.0015f);
        b.part("battens");
        const float post = bw * 0.8f;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f})
                bar(b, {sx * (0.5f * w - t - 0.5f * post + e), 0.5f * h, sz * (0.5f * d - t - 0.5f * post + e)}, {post, h - 0.004f, post}, ch);
        return;
    }
    if (style == 1) {
        b.part("planks");
        b.box({0.0f, 0.5f * h, 0.0f}, {w - 2.0f * t + 2.0f * e, h - 2.0f * t + 2.0f * e, d - 2.0f * t + 2.0f * e});
        const float g = 0.004f, ph = (h - float(slats - 1) * g) / float(slats);
        for (int i = 0; i < slats; ++i) {
            const float y = 0.5f * ph + (ph + g) * float(i);
            for (float s : {-1.0f, 1.0f}) {
                bar(b, {0.0f, y, s * (0.5f * d - 0.5f * t)}, {w, ph, t}, ch);
                bar(b, {s * (0.5f * w - 0.5f * t), y, 0.0f}, {t, ph, d - 2.0f * t + 2.0f * e}, ch);
            }
        }
        const int across = std::max(3, int(std::round((d - 2.0f * t) / 0.1f)));
        for (float y0 : {0.0015f, h - t - 0.0015f}) {
            const float pitch = (d - 2.0f * t) / float(across);
            for (int i = 0; i < across; ++i)
                bar(b, {0.0f, y0 + 0.5f * t, -0.5f * d + t + pitch * (float(i) + 0.5f)}, {w - 2.0f * t + 2.0f * e, t, pitch - g}, ch);
        }
        // Battens: a frame and a diagonal brace on each side.
        b.part("battens");
        const float bt = 0.9f * t;
        for (float s : {-1.0f, 1.0f}) {
            const float z = s * (0.5f * d + 0.5f * bt - e), x = s * (0.5f * w + 0.5f * bt - e);
            for (float y : {0.5f * bw, h - 0.5f * bw}) {
                bar(b, {0.0f, y, z}, {w, bw, bt}, ch);
                bar(b, {x, y, 0.0f}, {bt, bw, d + 2.0f * bt - 0.003f}, ch);
            }
            for (float u : {-1.0f, 1.0f}) {
                bar(b, {u * (0.5f * w - 0.5f * bw), 0.5f * h, z}, {bw, h - 2.0f * bw + 2.0f * e, bt}, ch);
                bar(b, {x, 0.5f * h, u * (0.5f * d - 0.5f * bw)}, {bt, h - 2.0f * bw + 2.0f * e, bw}, ch);
            }
            const float iw = w - 2.0f * bw, id = d - 2.0f * bw, ih = h - 2.0f * bw;
            const float zb = s * (0.5f * d + 0.4f * bt - e), xb = s * (0.5f * w + 0.4f * bt - e);
            bar(b, {0.0f, 0.0f, 0.0f}, {std::hypot(iw, ih), bw, 0.8f * bt}, ch, translation({0.0f, 0.5f * h, zb}) * rotationZ(s * std::atan2(ih, iw)));
            bar(b, {0.0f, 0.0f, 0.0f}, {0.8f * bt, bw, std::hypot(id, ih)}, ch, translation({xb, 0.5f * h, 0.0f}) * rotationX(-s * std::atan2(ih, id)));
        }
        return;
    }
    // Open top: solid ends with a hand-hole, planked sides.
    b.part("planks");
    const float te = 1.3f * t;
    const float rh = std::min(0.018f, 0.1f * h), a = std::min(0.045f, 0.22f * d), yc = h - 0.035f - rh, dl = 0.002f;
    // Each end is two prisms split across the hole's middle (a prism outline cannot have a hole),
    // overlapping by 2 dl; the upper piece's hole is a hair narrower so no edge is shared.
    std::vector<V2> lower{{-0.5f * d, 0.0f}, {0.5f * d, 0.0f}, {0.5f * d, yc + dl}, {a + rh, yc + dl}};
    for (int i = 0; i <= 6; ++i) {
        const float phi = -0.5f * kPi * float(i) / 6.0f;
        lower.push_back({a + rh * std::cos(phi), yc + rh * std::sin(phi)});
    }
    for (int i = 0; i <= 6; ++i) {
        const float phi = -0.5f * kPi - 0.5f * kPi * float(i) / 6.0f;
        lower.push_back({-a + rh * std::cos(phi), yc + rh * std::sin(phi)});
    }
    append(lower, {{-a - rh, yc + dl}, {-0.5f * d, yc + dl}});
    const float ru = rh - 0.0005f;
    std::vector<V2> upper{{-0.5f * d, yc - dl}, {-a - ru, yc - dl}};
    for (int i = 0; i <= 6; ++i) {
        const float phi = kPi - 0.5f * kPi * float(i) / 6.0f;
        upper.push_back({-a + ru * std::cos(phi), yc + ru * std::sin(phi)});
    }
    for (int i = 0; i <= 6; ++i) {
        const float phi = 0.5f * kPi - 0.5f * kPi * float(i) / 6.0f;
        upper.push_back({a + ru * std::cos(phi), yc + ru * std::sin(phi)});
    }
    append(upper, {{a + ru, yc - dl}, {0.5f * d, yc - dl}, {0.5f * d, h}, {-0.5f * d, h}});
    // Start both outlines on the hole's arc. The side strip's vertices sit at the running length
    // around the outline; started at a corner, the first one falls at the panel's width, which is
    // exactly the cap chart's width, and the atlas packer may settle on a density that makes that
    // a whole number of texels: a seam through texel centres.
    std::rotate(lower.begin(), lower.begin() + 5, lower.end());
    std::rotate(upper.begin(), upper.begin() + 3, upper.end());
    for (float s : {-1.0f, 1.0f}) {
        const glm::mat4 xf = translation({s * (0.5f * w - 0.5f * te), 0.0f, 0.0f}) * rotationY(0.5f * kPi);
        b.prism(lower, -0.5f * te, 0.5f * te, xf);
        b.prism(upper, -0.5f * te, 0.5f * te, xf);
    }
    const float g = 0.006f, ph = (h - float(slats - 1) * g) / float(slats);
    for (int i = 0; i < slats; ++i)
        for (float s : {-1.0f, 1.0f})
            bar(b, {0.0f, 0.5f * ph + (ph + g) * float(i), s * (0.5f * d - 0.5f * t)}, {w - 2.0f * te + 2.0f * e, ph, t}, ch);
    bottom(0.5f * w - te, 0.5f * d - t, 4, 0.0015f);
    b.part("battens");
    const float post = bw * 0.7f;
    for (float sx : {-1.0f, 1.0f})
        for (float sz : {-1.0f, 1.0f})
            bar(b, {sx * (0.5f * w - te - 0.5f * post + e), 0.5f * h - 0.002f, sz * (0.5f * d - t - 0.5f * post + e)}, {post, h - 0.008f, post}, ch);
    for (float s : {-1.0f, 1.0f}) bar(b, {0.0f, h - 0.35f * bw - 0.002f, s * (0.5f * d + 0.45f * t - e)}, {w - 2.0f * te, 0.7f * bw, 0.9f * t}, ch);
}

// ---------------------------------------------------------------------------------------------
// A lid resting on a vessel's lip: a plug inside the opening (radius rPlug), a flange over the
// lip out to rFlange sitting at yFlange, and a dome of height `dome` on top. Returns the dome's
// top.
float lid(AssetBuilder& b, float rPlug, float rFlange, float yFlange, float dome, int segments) {
    std::vector<V2> prof{{0.0f, yFlange - 0.012f}, {rPlug, yFlange - 0.012f}, {rPlug, yFlange}, {rFlange - 0.0015f, yFlange}, {rFlange, yFlange + 0.0015f},
                         {rFlange, yFlange + 0.0035f}};
    const float rd = rFlange - 0.0015f, y0 = yFlange + 0.004f;
    for (int i = 0; i < 10; ++i) {
        const float phi = 0.5f * kPi * float(i) / 10.0f;
        prof.push_back({rd * std::cos(phi), y0 + dome * std::sin(phi)});
    }
    prof.push_back({0.0f, y0 + dome});
    b.lathe(prof, segments);
    return y0 + dome;
}

// A round knob on a short stem standing at `y` (its foot sunk a little below).
void knob(AssetBuilder& b, float y, float r) {
    b.lathe(solidProfile({{0.55f * r, y - 0.004f}, {0.5f * r, y + 0.3f * r}, {0.45f * r, y + 0.6f * r}, {0.9f * r, y + 1.0f * r}, {r, y + 1.45f * r},
                          {0.75f * r, y + 1.95f * r}, {0.3f * r, y + 2.2f * r}},
                         3),
            24);
}

// ---------------------------------------------------------------------------------------------
// Teapot. Styles: 0 round belly, 1 slender and upright, 2 squat with a bail over the lid. The body
// is hollow with an opening the lid sits in; the spout is a tapering tube rising to above the
// lid's level (or the pot would spill), the handle a loop on the far side.
void teapot(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float rad = k.range("radius", 0.065f, 0.09f), tall = k.range("height", 0.88f, 1.12f);
    const float spoutLen = k.range("spout-length", 0.8f, 1.2f), hs = k.range("handle-size", 0.85f, 1.15f);
    const float opening = k.range("lid-size", 0.88f, 1.08f), wall = k.range("wall", 0.004f, 0.005f);
    notes.sizeWord = extremeWord(k.position("radius"), "small", "large");
    const float fh = 0.006f;
    std::vector<V2> ctrl;
    float h, ro;
    if (style == 0) {
        ro = 0.5f * rad * opening;
        // A sphere flattened or stretched by `tall`, cut by the foot and the opening.
        const float a0 = std::asin(-0.8f), a1 = std::acos((ro + 0.006f) / rad), yc = fh + 0.8f * rad * tall;
        for (int i = 0; i <= 10; ++i) {
            const float a = a0 + (a1 - a0) * float(i) / 10.0f;
            ctrl.push_back({rad * std::cos(a), yc + rad * tall * std::sin(a)});
        }
        h = ctrl.back().y + 0.014f;
    } else if (style == 1) {
        h = 2.0f * rad * tall;
        ro = 0.45f * rad * opening;
        ctrl = {{0.66f * rad, fh}, {0.86f * rad, 0.1f * h}, {0.95f * rad, 0.3f * h}, {0.93f * rad, 0.52f * h}, {0.78f * rad, 0.72f * h},
                {ro + 0.012f, 0.9f * h}, {ro + 0.006f, h - 0.014f}};
    } else {
        h = 1.05f * rad * tall;
        ro = 0.5f * rad * opening;
        ctrl = {{0.72f * rad, fh}, {0.95f * rad, 0.13f * h}, {rad, 0.36f * h}, {0.95f * rad, 0.6f * h}, {0.76f * rad, 0.83f * h}, {ro + 0.006f, h - 0.014f}};
    }
    // A short upright collar around the opening.
    ctrl.push_back({ro + 0.001f, h - 0.005f});
    ctrl.push_back({ro, h});
    std::vector<V2> outside = footRing(ctrl.front().x - 0.012f, ctrl.front().x - 0.004f, 0.003f, fh * 0.6f);
    outside.pop_back();
    append(outside, spline(ctrl, 5));
    const Vessel v = hollow(outside, wall, 0.016f, 0.01f);
    b.part("body");
    b.lathe(v.profile, kAround);

    b.part("lid");
    const float domeTop = lid(b, ro - wall - 0.0008f, ro + 0.003f, v.top - 0.0008f, (style == 1 ? 0.5f : style == 2 ? 0.22f : 0.32f) * ro, kAround);
    b.part("knob");
    knob(b, domeTop, style == 1 ? 0.008f : 0.01f);

    // The spout, on the -x side: from low on the belly, out and up to above the lip.
    b.part("spout");
    {
        const float ys = (style == 1 ? 0.3f : style == 2 ? 0.34f : 0.34f) * h, rs = radiusAt(outside, ys);
        const float len = rad * spoutLen * (style == 1 ? 0.72f : style == 2 ? 0.48f : 0.62f);
        const float yTip = v.top + (style == 1 ? 0.012f : 0.006f), rTip = rs + len, rise = yTip - ys;
        const float r0 = 0.3f * rad, r1 = std::max(0.006f, 0.09f * rad);
        // A swan neck: out of the belly rising, steeper in the middle, the tip turned outwards.
        const V3 a(rs - 0.004f, ys, 0.0f), c1(rs + 0.45f * len, ys + 0.3f * rise, 0.0f), c2(rTip - 0.3f * len, yTip - 0.4f * rise, 0.0f), d(rTip, yTip, 0.0f);
        std::vector<V3> path{a - glm::normalize(c1 - a) * r0};
        std::vector<float> radii{r0};
        const auto curve = bezier(a, c1, c2, d, 16);
        for (std::size_t i = 0; i < curve.size(); ++i) {
            const float t = float(i) / float(curve.size() - 1);
            path.push_back(curve[i]);
            radii.push_back(r1 + (r0 - r1) * std::pow(1.0f - t, 1.3f) + (i + 1 == curve.size() ? 0.0015f : 0.0f));
        }
        b.tube(path, radii, 16, rotationY(kPi));
    }

    b.part("handle");
    if (style == 2) {
        // A bail arching over the lid from two lugs on the shoulder, across the spout's line.
        const float ya = h - 0.2f * h, ra = radiusAt(outside, ya) - 0.004f;
        const float hb = domeTop + 0.045f - ya;
        std::vector<V3> path{{0.0f, ya - 0.014f, -ra}};
        for (int i = 0; i <= 20; ++i) {
            const float phi = kPi * float(i) / 20.0f;
            path.push_back({0.0f, ya + hb * std::sin(phi), -ra * std::cos(phi)});
        }
        path.push_back({0.0f, ya - 0.014f, ra});
        b.tube(path, {0.0055f}, 12);
        for (float s : {-1.0f, 1.0f}) b.ellipsoid({0.0f, ya, s * (ra + 0.002f)}, {0.008f, 0.011f, 0.008f}, 16);
    } else {
        const float yTop = (style == 1 ? 0.76f : 0.78f) * h, yBottom = (style == 1 ? 0.3f : 0.28f) * h;
        loopHandle(b, outside, yTop, yBottom, 0.36f * rad * hs, 0.5f * wall, 0.0085f, 0.0072f, 1.3f, 0.0f);
    }
}

// ---------------------------------------------------------------------------------------------
// Cup. Styles: 0 teacup on a saucer, 1 espresso cup (small, thick-walled), 2 tumbler (no handle).
void cup(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float size = k.range("size", 0.9f, 1.1f), tall = k.range("height", 0.88f, 1.12f);
    const float wallK = k.range("wall", 0.9f, 1.1f), hs = k.range("handle-size", 0.85f, 1.15f), saucerK = k.range("saucer-size", 0.92f, 1.08f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    std::vector<V2> outside, ctrl;
    float h, wall, floorY, lift = 0.0f;
    b.part("body");
    if (style == 0) {
        const float rt = 0.046f * size;
        h = 0.062f * tall * size;
        wall = 0.003f * wallK;
        outside = footRing(0.38f * rt - 0.004f, 0.38f * rt, 0.002f, 0.006f);
        ctrl = {{0.38f * rt + 0.003f, 0.0072f}, {0.7f * rt, 0.24f * h}, {0.92f * rt, 0.6f * h}, {rt, h}};
        floorY = 0.008f + wall;
        // The saucer: a foot ring, a flat well the cup stands in, a rim rising to the edge.
        b.part("saucer");
        const float sr = 0.075f * saucerK * size;
        std::vector<V2> sOut = footRing(0.36f * sr - 0.005f, 0.36f * sr, 0.002f, 0.005f);
        append(sOut, spline({{0.36f * sr + 0.003f, 0.0058f}, {0.6f * sr, 0.0075f}, {0.85f * sr, 0.012f}, {sr, 0.019f}}, 5));
        const Vessel sv = hollow(sOut, 0.0035f, 0.0092f);
        b.lathe(sv.profile, kAround);
        lift = 0.0092f - 0.0005f;
        b.part("body");
    } else if (style == 1) {
        // Small, squat and thick-walled, its belly rounding into a narrow foot.
        const float rt = 0.031f * size;
        h = 0.052f * tall * size;
        wall = 0.0055f * wallK;
        outside = footRing(0.5f * rt - 0.004f, 0.5f * rt, 0.0015f, 0.004f);
        ctrl = {{0.5f * rt + 0.003f, 0.0045f}, {0.8f * rt, 0.14f * h}, {0.97f * rt, 0.45f * h}, {rt, 0.8f * h}, {1.02f * rt, h}};
        floorY = 0.011f;
    } else {
        const float rt = 0.038f * size;
        h = 0.105f * tall * size;
        wall = 0.0028f * wallK;
        outside = flatBase(0.85f * rt, 0.004f);
        ctrl = {{0.85f * rt, 0.004f}, {0.9f * rt, 0.4f * h}, {rt, h}};
        floorY = 0.013f;
    }
    append(outside, spline(ctrl, 6));
    const Vessel v = hollow(outside, wall, floorY, 0.006f);
    const glm::mat4 up = translation({0.0f, lift, 0.0f});
    b.lathe(v.profile, kAround, up);
    if (style == 2) return;
    b.part("handle");
    std::vector<V2> lifted = outside;
    for (V2& p : lifted) p.y += lift;
    if (style == 0) loopHandle(b, lifted, lift + 0.8f * h, lift + 0.36f * h, 0.016f * hs, 0.45f * wall, 0.0045f, 0.0038f, 1.25f, 0.0f);
    else loopHandle(b, lifted, lift + 0.78f * h, lift + 0.32f * h, 0.011f * hs, 0.45f * wall, 0.0044f, 0.0038f, 1.2f, 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Plate. Styles: 0 dinner plate, 1 deep soup plate, 2 square. A bead rolled over the edge is the
// rim.
void plate(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float rad = k.range("radius", 0.1f, 0.14f), well = k.range("well-depth", 0.8f, 1.2f);
    const float rimW = k.range("rim-width", 0.18f, 0.28f), t = k.range("thickness", 0.0045f, 0.006f);
    notes.sizeWord = extremeWord(k.position("radius"), "small", "large");
    const float r = style == 1 ? 0.9f * rad : style == 2 ? 0.85f * rad : rad;
    const float wd = (style == 1 ? 0.03f : 0.012f) * well, fh = 0.005f;
    const float rf = (style == 1 ? 0.36f : 0.42f) * r, rw = r * (1.0f - rimW) * (style == 1 ? 0.92f : 1.0f);
    std::vector<V2> outside = footRing(rf - 0.006f, rf, 0.0025f, fh);
    append(outside, spline({{rf + 0.003f, fh + 0.0008f},
                            {rf + 0.4f * (rw - rf), fh + 0.18f * wd},
                            {rw - 0.12f * (rw - rf), fh + 0.75f * wd},
                            {rw + 0.1f * (r - rw), fh + wd + 0.002f},
                            {0.5f * (rw + r), fh + wd + 0.004f},
                            {r, fh + wd + 0.007f}},
                           5));
    const Vessel v = hollow(outside, t, fh + t);
    b.part("plate");
    b.lathe(v.profile, style == 2 ? kAroundSquare : kAround);
    auto square = [&] { squareUp(b, 5.0f, [](float) { return 1.0f; }); };
    if (style == 2) square();
    b.part("rim");
    b.torus({0.0f, v.lipCentre.y, 0.0f}, v.lipCentre.x, 0.5f * t + 0.0012f, style == 2 ? kAroundSquare : kAround, 10);
    if (style == 2) square();
}

// ---------------------------------------------------------------------------------------------
// Jar. Styles: 0 with a lid and knob, 1 with a cork stopper in a short neck, 2 mason jar with a
// ribbed screw band and a flat lid.
void jar(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("height", 0.12f, 0.24f), girth = k.range("girth", 0.32f, 0.44f), wall = k.range("wall", 0.003f, 0.005f);
    const float lidH = k.range("lid-height", 0.8f, 1.2f), shoulder = k.range("shoulder", 0.0f, 1.0f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    const float rad = girth * h;
    std::vector<V2> ctrl;
    float rm;  // mouth radius
    if (style == 0) {
        rm = 0.8f * rad;
        ctrl = {{0.96f * rad, 0.005f}, {rad, 0.25f * h}, {rad, 0.7f * h}, {(0.97f - 0.06f * shoulder) * rad, 0.86f * h}, {rm + 0.004f, h - 0.012f},
                {rm + 0.0005f, h - 0.004f}, {rm, h}};
    } else if (style == 1) {
        rm = std::max(0.5f * rad, 0.016f);
        ctrl = {{0.96f * rad, 0.005f}, {rad, 0.28f * h}, {rad, 0.62f * h}, {(0.86f - 0.1f * shoulder) * rad, 0.76f * h}, {rm * 1.12f, 0.84f * h},
                {rm, 0.88f * h}, {rm, h}};
    } else {
        rm = 0.78f * rad;
        ctrl = {{0.97f * rad, 0.005f}, {rad, 0.2f * h}, {rad, 0.72f * h}, {(0.93f - 0.06f * shoulder) * rad, 0.83f * h}, {rm + 0.004f, 0.89f * h},
                {rm, 0.92f * h}, {rm, h}};
    }
    std::vector<V2> outside = flatBase(ctrl.front().x, 0.005f);
    append(outside, spline(ctrl, 5));
    const Vessel v = hollow(outside, wall, 0.01f, 0.008f);
    b.part("body");
    b.lathe(v.profile, kAround);
    if (style == 0) {
        b.part("lid");
        const float top = lid(b, rm - wall - 0.0008f, rm + 0.004f, v.top - 0.0008f, 0.2f * rm * lidH, kAround);
        b.part("knob");
        knob(b, top, 0.011f);
    } else if (style == 1) {
        // A cork pushed into the neck, standing proud of the lip.
        b.part("stopper");
        const float len = 0.04f * lidH, yb = v.top - 0.6f * len, yt = v.top + 0.4f * len, rp = rm - 0.5f * wall;
        b.lathe(solidProfile({{rp - 0.0015f, yb}, {rp, yb + 0.002f}, {rm + 0.003f, yt - 0.002f}, {rm + 0.0015f, yt}}, 1), kAround);
    } else {
        // A screw band over the threaded neck, ribbed for grip, holding a flat lid.
        b.part("lid");
        const float rb = rm + 0.0045f, top = v.top, yb = h - 0.07f * h;
        std::vector<V2> band{{rm - 0.0015f, yb}, {rb, yb}, {rb, top + 0.0015f}, {rb - 0.0015f, top + 0.003f}, {rm - 0.006f, top + 0.003f},
                             {rm - 0.006f, top + 0.0012f}, {rm - 0.0015f, top + 0.0012f}, {rm - 0.0015f, yb}};
        b.lathe(band, kAroundSquare);
        b.displace([&](const V3& p) {
            const float r = std::hypot(p.x, p.z);
            if (r < rb - 0.0002f || p.y < yb + 0.001f || p.y > top + 0.0014f) return p;
            const float f = 1.0f + 0.0008f / rb * std::cos(32.0f * std::atan2(p.z, p.x));
            return V3(p.x * f, p.y, p.z * f);
        });
        b.cylinder({0.0f, top - 0.0006f, 0.0f}, rm - 0.0052f, 0.0024f, kAround);
    }
}

// ---------------------------------------------------------------------------------------------
// Pot (a planter). Styles: 0 round and tapered, 1 square-sided, 2 standing in a drip saucer. A
// thick collar around the top is the rim.
void pot(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("height", 0.12f, 0.4f), width = k.range("width", 0.8f, 1.1f), taper = k.range("taper", 0.66f, 0.8f);
    const float wallK = k.range("wall", 0.8f, 1.2f), rimH = k.range("rim-height", 0.12f, 0.2f);
    notes.sizeWord = extremeWord(k.position("height"), "small", "large");
    const float rt = 0.5f * h * width * (style == 1 ? 0.85f : 1.0f), rb = rt * (style == 1 ? 0.5f * (1.0f + taper) + 0.08f : taper);
    const float wall = (0.006f + 0.02f * h) * wallK;
    float lift = 0.0f;
    if (style == 2) {
        b.part("saucer");
        const float sr = rb * 1.22f + 0.012f, sh = 0.018f + 0.04f * h, sw = 0.004f + 0.01f * h;
        std::vector<V2> sOut = flatBase(0.86f * sr, 0.004f);
        append(sOut, spline({{0.86f * sr, 0.004f}, {0.95f * sr, 0.5f * sh}, {sr, sh}}, 4));
        const Vessel sv = hollow(sOut, sw, sw + 0.002f, 0.004f);
        b.lathe(sv.profile, kAround);
        lift = sw + 0.002f - 0.0005f;
    }
    std::vector<V2> outside = flatBase(rb, 0.005f);
    append(outside, spline({{rb, 0.005f}, {rt, h}}, 6));
    for (V2& p : outside) p.y += lift;
    const int segs = style == 1 ? kAroundSquare : kAround;
    const Vessel v = hollow(outside, wall, lift + 0.012f + 0.03f * h, 0.01f);
    auto square = [&] { squareUp(b, 8.0f, [](float) { return 1.0f; }); };
    b.part("body");
    b.lathe(v.profile, segs);
    if (style == 1) square();
    b.part("rim");
    const float y0 = lift + h * (1.0f - rimH), y1 = v.top + 0.0015f, r0 = radiusAt(outside, y0), ct = 0.35f * wall + 0.004f;
    b.lathe({{r0 - wall + 0.0006f, y0}, {r0 + ct, y0 + 0.004f}, {rt + ct, y1 - 0.003f}, {rt + ct - 0.003f, y1}, {rt - wall + 0.0006f, y1}, {r0 - wall + 0.0006f, y0}},
            segs);
    if (style == 1) square();
}

// ---------------------------------------------------------------------------------------------
// Trashcan. Styles: 0 round with a domed lid, 1 pedal bin (a foot pedal at the front, the lid
// hinged at the back), 2 open wire basket (vertical wires between rings).
void trashcan(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h0 = k.range("height", 0.4f, 0.72f), girth = k.range("girth", 0.28f, 0.36f), taper = k.range("taper", 0.86f, 0.98f);
    const float wall = k.range("wall", 0.002f, 0.003f), lidH = k.range("lid-height", 0.6f, 1.4f);
    const int wires = k.count("wires", 32, 48);
    notes.sizeWord = extremeWord(k.position("height"), "small", "large");
    if (style == 2) {
        const float h = 0.6f * h0, rt = (girth + 0.1f) * h, rb = rt * taper * 0.85f;
        b.part("body");
        b.cylinder({0.0f, 0.004f, 0.0f}, rb + 0.001f, 0.004f, kAround);
        for (int i = 0; i < wires; ++i) {
            const float a = 2.0f * kPi * float(i) / float(wires), c = std::cos(a), s = std::sin(a);
            b.tube({{rb * c, 0.005f, rb * s}, {rt * c, h - 0.006f, rt * s}}, {0.0022f}, 6);
        }
        b.part("trim");
        b.torus({0.0f, 0.006f, 0.0f}, rb, 0.005f, kAround, 10);
        b.torus({0.0f, 0.5f * h, 0.0f}, 0.5f * (rb + rt) + 0.0001f, 0.003f, kAround, 8);
        b.torus({0.0f, h - 0.006f, 0.0f}, rt, 0.0065f, kAround, 10);
        return;
    }
    const float h = h0, rt = girth * h, rb = style == 1 ? rt * 0.98f : rt * taper;
    std::vector<V2> outside = flatBase(rb, 0.008f);
    append(outside, spline({{rb, 0.008f}, {rt, h}}, 8));
    const Vessel v = hollow(outside, wall, 0.012f, 0.01f);
    b.part("body");
    b.lathe(v.profile, kAround);
    b.part("trim");
    // A band around the foot.
    b.lathe({{rb - 0.5f * wall, -0.003f}, {rb + 0.005f, -0.003f}, {rb + 0.0065f, -0.0015f}, {rb + 0.0065f + 0.02f * (rt - rb) / h, 0.03f},
             {rb + 0.004f + 0.034f * (rt - rb) / h, 0.034f}, {rb - 0.5f * wall + 0.034f * (rt - rb) / h, 0.034f}, {rb - 0.5f * wall, -0.003f}},
            kAround);
    // The lid: a skirt around the top of the body and a dome.
    const float yu = v.top - 0.0008f, skirt = 0.022f, rl = rt + 0.006f, dome = (style == 1 ? 0.06f : 0.14f) * rt * lidH;
    std::vector<V2> prof{{0.0f, yu}, {rt + 0.0008f, yu}, {rt + 0.0008f, yu - skirt}, {rl - 0.002f, yu - skirt}, {rl, yu - skirt + 0.002f}, {rl, yu + 0.006f}};
    for (int i = 1; i < 10; ++i) {
        const float phi = 0.5f * kPi * float(i) / 10.0f;
        prof.push_back({rl * std::cos(phi), yu + 0.006f + dome * std::sin(phi)});
    }
    prof.push_back({0.0f, yu + 0.006f + dome});
    b.lathe(prof, kAround);
    auto domeY = [&](float r) { return yu + 0.006f + dome * std::sqrt(std::max(0.0f, 1.0f - (r / rl) * (r / rl))); };
    if (style == 0) {
        // A bridge handle on top of the dome.
        const float x0 = 0.055f, top = domeY(0.0f) + 0.028f;
        b.tube({{-x0, domeY(x0) - 0.004f, 0.0f}, {-x0 + 0.004f, top - 0.008f, 0.0f}, {-x0 + 0.014f, top, 0.0f}, {x0 - 0.014f, top, 0.0f},
                {x0 - 0.004f, top - 0.008f, 0.0f}, {x0, domeY(x0) - 0.004f, 0.0f}},
               {0.007f}, 12);
    } else {
        // The pedal at the front (+x) and the hinge at the back.
        const float rf = rb + 0.05f;
        bar(b, {rb + 0.015f, 0.022f, 0.0f}, {0.09f, 0.012f, 0.03f}, 0.002f);
        b.roundedBox({rf, 0.025f, 0.0f}, {0.06f, 0.016f, 0.12f}, 0.006f);
        b.cylinder({0.0f, 0.0f, 0.0f}, 0.008f, 0.07f, 16, translation({-rt - 0.007f, yu - 0.006f, -0.035f}) * rotationX(0.5f * kPi));
    }
}

} // namespace

void addVessels(std::vector<CategoryDef>& out) {
    out.push_back({{"mug",
                    "vessel",
                    {{"straight", "with straight sides"}, {"tapered", "with tapered sides"}, {"bellied", "with a pot-bellied shape"}},
                    {{"body", 0}, {"handle", 1}},
                    {{"body", false, {MK::Ceramic, MK::Glass, MK::Painted, MK::Metal, MK::Plastic}},
                     {"handle", false, {MK::Ceramic, MK::Glass, MK::Painted, MK::Metal, MK::Plastic, MK::Wood}}},
                    0.08f, 0.16f,
                    {{"height", "make it taller", "make it shorter"}, {"handle-size", "make the handle bigger", "make the handle smaller"}}},
                   mug});
    out.push_back({{"bowl",
                    "vessel",
                    {{"shallow", "with a shallow profile"}, {"deep", "with deep rounded walls"}, {"footed", "on a raised pedestal foot"}},
                    {{"body", 0}, {"rim", 1}},
                    {{"body", false, {MK::Ceramic, MK::Wood, MK::Glass, MK::Plastic, MK::Metal, MK::Stone}},
                     {"rim", false, {MK::Ceramic, MK::Metal, MK::Wood, MK::Plastic, MK::Glass, MK::Stone}}},
                    0.12f, 0.32f,
                    {{"depth", "make it deeper", "make it shallower"}, {"radius", "make it wider", "make it narrower"}}},
                   bowl});
    out.push_back({{"vase",
                    "vessel",
                    {{"narrow-neck", "with a bulbous belly and narrow neck"}, {"cylinder", "with a straight cylindrical form"},
                     {"amphora", "shaped like an amphora with two handles"}},
                    {{"body", 0}, {"lip", 0}, {"handles", 0}},
                    {{"body", false, {MK::Ceramic, MK::Glass, MK::Stone, MK::Metal, MK::Painted}}},
                    0.18f, 0.48f,
                    {{"height", "make it taller", "make it shorter"}, {"width", "make it wider", "make it narrower"}}},
                   vase});
    out.push_back({{"bottle",
                    "vessel",
                    {{"wine", "with sloped shoulders and a slender neck"}, {"flask", "shaped like a round flask"}, {"square", "with a square section"}},
                    {{"body", 0}, {"cap", 1}},
                    {{"body", false, {MK::Glass, MK::Plastic, MK::Ceramic, MK::Metal}}, {"cap", false, {MK::Metal, MK::Plastic, MK::Wood, MK::Glass}}},
                    0.18f, 0.42f,
                    {{"neck-length", "make the neck longer", "make the neck shorter"}, {"height", "make it taller", "make it shorter"}}},
                   bottle});
    // The hoops are never rusty: were both groups allowed rusty metal, a barrel rusty all over would
    // be captioned "made of rusty blue metal", which the prompt reader takes for plain metal.
    out.push_back({{"barrel",
                    "vessel",
                    {{"upright", "standing upright"}, {"lying", "lying on its side"}, {"drum", "as a ribbed steel drum"}},
                    {{"body", 0}, {"hoops", 1}},
                    {{"body", false, {MK::Wood, MK::Painted, MK::Rusty, MK::Metal, MK::Plastic}}, {"hoops", true, {MK::Metal, MK::Painted}}},
                    0.55f, 1.1f,
                    {{"height", "make it taller", "make it shorter"}, {"bulge", "make it more bulging", "make it straighter"}}},
                   barrel});
    out.push_back({{"crate",
                    "vessel",
                    {{"slatted", "with slatted sides"}, {"closed", "closed with braced panels"}, {"handles", "open-topped with hand-hole cut-outs"}},
                    {{"planks", 0}, {"battens", 1}},
                    {{"planks", true, {MK::Wood, MK::Painted, MK::Plastic}}, {"battens", true, {MK::Wood, MK::Painted, MK::Metal}}},
                    0.38f, 0.8f,
                    {{"height", "make it taller", "make it lower"}, {"width", "make it wider", "make it narrower"}}},
                   crate});
    out.push_back({{"teapot",
                    "vessel",
                    {{"round", "with a round belly"}, {"slender", "with a slender upright silhouette"}, {"squat", "with a squat shape and an overhead bail"}},
                    {{"body", 0}, {"spout", 0}, {"lid", 0}, {"handle", 1}, {"knob", 1}},
                    {{"body", false, {MK::Ceramic, MK::Metal, MK::Glass, MK::Painted}},
                     {"handle", false, {MK::Ceramic, MK::Metal, MK::Wood, MK::Plastic, MK::Painted}}},
                    0.15f, 0.42f,
                    {{"spout-length", "make the spout longer", "make the spout shorter"}, {"radius", "make it bigger", "make it smaller"}}},
                   teapot});
    out.push_back({{"cup",
                    "vessel",
                    {{"teacup", "with a saucer"}, {"espresso", "for espresso"}, {"tumbler", "without a handle"}},
                    {{"body", 0}, {"handle", 0}, {"saucer", 0}},
                    {{"body", false, {MK::Ceramic, MK::Glass, MK::Plastic, MK::Metal, MK::Painted}}},
                    0.06f, 0.2f,
                    {{"height", "make it taller", "make it shorter"}}},
                   cup});
    out.push_back({{"plate",
                    "vessel",
                    {{"dinner", "for dinner"}, {"soup", "with a deep soup well"}, {"square", "with a square shape"}},
                    {{"plate", 0}, {"rim", 1}},
                    {{"body", false, {MK::Ceramic, MK::Painted, MK::Metal, MK::Plastic, MK::Glass, MK::Stone}},
                     {"rim", false, {MK::Ceramic, MK::Painted, MK::Metal, MK::Plastic}}},
                    0.17f, 0.31f,
                    {{"radius", "make it bigger", "make it smaller"}, {"well-depth", "make it deeper", "make it shallower"}}},
                   plate});
    out.push_back({{"jar",
                    "vessel",
                    {{"lidded", "lidded with a knob"}, {"cork", "stoppered with a cork"}, {"mason", "mason-style with a screw band"}},
                    {{"body", 0}, {"lid", 1}, {"knob", 1}, {"stopper", 1}},
                    {{"body", false, {MK::Glass, MK::Ceramic, MK::Stone, MK::Plastic}}, {"lid", false, {MK::Metal, MK::Wood, MK::Ceramic, MK::Plastic, MK::Glass}}},
                    0.1f, 0.3f,
                    {{"height", "make it taller", "make it shorter"}, {"girth", "make it wider", "make it narrower"}}},
                   jar});
    out.push_back({{"pot",
                    "vessel",
                    {{"tapered", "with round tapered sides"}, {"square", "with square sides"}, {"saucer", "with a drip saucer"}},
                    {{"body", 0}, {"rim", 0}, {"saucer", 0}},
                    {{"body", false, {MK::Ceramic, MK::Stone, MK::Plastic, MK::Painted, MK::Metal}}},
                    0.1f, 0.55f,
                    {{"height", "make it taller", "make it shorter"}, {"width", "make it wider", "make it narrower"}}},
                   pot});
    out.push_back({{"trashcan",
                    "vessel",
                    {{"lidded", "with a domed lid"}, {"pedal", "with a foot pedal"}, {"basket", "as an open wire basket"}},
                    {{"body", 0}, {"trim", 1}},
                    {{"body", false, {MK::Metal, MK::Plastic, MK::Painted, MK::Rusty}}, {"trim", true, {MK::Metal, MK::Plastic, MK::Painted}}},
                    0.22f, 0.85f,
                    {{"height", "make it taller", "make it shorter"}}},
                   trashcan});
}

} // namespace kiln::procgen::detail
