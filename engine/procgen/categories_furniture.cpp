// Furniture. Sizes follow ordinary furniture (metres); seats 0.42-0.5 m high, tables 0.72-0.78 m.
// Conventions: +Y up, the front faces +Z (a chair's back stands at -Z), x across the width.
#include "procgen/category_defs.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::procgen::detail {

namespace {

constexpr int kTurned = 24;  // segments around turned parts, poles and cushions
constexpr int kThin = 12;    // segments around thin rods and handles

float lerp(float a, float b, float t) { return a + (b - a) * t; }

// A leg standing on the floor at (x, z) up to `top`: turned (round, slightly tapered) or square
// with softened edges.
void leg(AssetBuilder& b, bool round, float x, float z, float top, float thickness) {
    if (round) b.frustum({x, 0.0f, z}, thickness * 0.42f, thickness * 0.5f, top, 16);
    else b.roundedBox({x, top * 0.5f, z}, {thickness, top, thickness}, thickness * 0.15f);
}

// b.prism with the side strip starting part-way along the outline's first edge. A strip that
// starts at a vertex of a symmetric outline has an edge between two side quads at exactly half
// its length; when the atlas packer's density makes the strip a whole (even) number of texels
// long, that edge falls on texel centres that both quads then claim.
void prismAt(AssetBuilder& b, const std::vector<glm::vec2>& outline, float z0, float z1, const glm::mat4& xf) {
    std::vector<glm::vec2> shifted{glm::mix(outline[0], outline[1], 0.37f)};
    shifted.insert(shifted.end(), outline.begin() + 1, outline.end());
    shifted.push_back(outline[0]);
    b.prism(shifted, z0, z1, xf);
}

// A board with its four edges along `axis` (0 x, 1 y, 2 z) rounded by `r`: a rounded rectangle
// extruded along the axis. Far lighter than roundedBox (about 80 triangles), for the many boards
// of cases and shelves whose long edges are what the eye sees.
void slab(AssetBuilder& b, const glm::vec3& centre, const glm::vec3& size, float r, int axis, const glm::mat4& xf = glm::mat4(1.0f)) {
    // The outline's two axes and the extrusion, and the rotation taking local (u, v, w) there.
    float hu, hv, hw;
    glm::mat4 toAxis(1.0f);
    if (axis == 0) {
        hu = size.z * 0.5f, hv = size.y * 0.5f, hw = size.x * 0.5f;
        toAxis = rotationY(-kPi * 0.5f);  // (u, v, w) -> (-w, v, u)
    } else if (axis == 1) {
        hu = size.x * 0.5f, hv = size.z * 0.5f, hw = size.y * 0.5f;
        toAxis = rotationX(-kPi * 0.5f);  // (u, v, w) -> (u, w, -v)
    } else {
        hu = size.x * 0.5f, hv = size.y * 0.5f, hw = size.z * 0.5f;
    }
    const float rr = std::clamp(r, 0.0005f, 0.45f * std::min(hu, hv));
    // Starting part-way along the bottom side, for the reason prismAt gives.
    std::vector<glm::vec2> outline{{lerp(-(hu - rr), hu - rr, 0.37f), -hv}};
    const glm::vec2 corners[4] = {{hu - rr, -(hv - rr)}, {hu - rr, hv - rr}, {-(hu - rr), hv - rr}, {-(hu - rr), -(hv - rr)}};
    constexpr int kSteps = 4;
    for (int c = 0; c < 4; ++c)
        for (int s = 0; s <= kSteps; ++s) {
            const float a = (float(c) - 1.0f + float(s) / kSteps) * kPi * 0.5f;
            outline.push_back(corners[c] + rr * glm::vec2(std::cos(a), std::sin(a)));
        }
    b.prism(outline, -hw, hw, xf * translation(centre) * toAxis);
}

// A disc from y0 up by t with its rim rounded by e: seats, table tops, lamp bases.
void roundedDisc(AssetBuilder& b, float y0, float r, float t, float e, int segments, const glm::mat4& xf = glm::mat4(1.0f), float dome = 0.0f) {
    e = std::clamp(e, 0.0005f, 0.49f * std::min(t, r));
    std::vector<glm::vec2> p{{0.0f, y0}, {r - e, y0}};
    for (int i = 1; i <= 4; ++i) {
        const float a = -kPi * 0.5f + kPi * 0.5f * float(i) / 4.0f;
        p.push_back({r - e + e * std::cos(a), y0 + e + e * std::sin(a)});
    }
    for (int i = 1; i <= 4; ++i) {
        const float a = kPi * 0.5f * float(i) / 4.0f;
        p.push_back({r - e + e * std::cos(a), y0 + t - e + e * std::sin(a)});
    }
    // A slight dome rises towards the centre (an upholstered or dished seat).
    if (dome > 0.0f) p.push_back({(r - e) * 0.5f, y0 + t + dome * 0.75f});
    p.push_back({0.0f, y0 + t + dome});
    b.lathe(p, segments, xf, 50.0f);
}

// Each interior corner of a polyline replaced by a quadratic curve of `steps` segments that
// starts and ends up to `radius` from the corner: bent tubes (frames, arms, handles).
std::vector<glm::vec3> filleted(const std::vector<glm::vec3>& pts, float radius, int steps = 5) {
    if (pts.size() < 3) return pts;
    std::vector<glm::vec3> out{pts.front()};
    for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
        const glm::vec3 a = pts[i - 1], p = pts[i], c = pts[i + 1];
        const float t = std::min({radius, 0.45f * glm::length(p - a), 0.45f * glm::length(c - p)});
        const glm::vec3 p0 = p + glm::normalize(a - p) * t, p2 = p + glm::normalize(c - p) * t;
        for (int s = 0; s <= steps; ++s) {
            const float u = float(s) / float(steps);
            out.push_back((1 - u) * (1 - u) * p0 + 2 * (1 - u) * u * p + u * u * p2);
        }
    }
    out.push_back(pts.back());
    return out;
}

// A round knob on a front facing +Z whose surface is at `at`.
void knob(AssetBuilder& b, const glm::vec3& at, float r) {
    const std::vector<glm::vec2> p{{0.0f, -0.004f}, {0.45f * r, -0.004f}, {0.4f * r, 0.5f * r}, {0.85f * r, 0.85f * r},
                                   {r, 1.15f * r},  {0.85f * r, 1.45f * r}, {0.0f, 1.55f * r}};
    b.lathe(p, 16, translation(at) * rotationX(kPi * 0.5f));
}

// A bar pull on a front facing +Z whose surface is at `at`, running along x (or y).
void pull(AssetBuilder& b, const glm::vec3& at, float length, bool vertical, float r) {
    const glm::vec3 along = vertical ? glm::vec3(0, 1, 0) : glm::vec3(1, 0, 0), out(0, 0, 1);
    const float h = length * 0.5f, stand = 0.028f;
    const std::vector<glm::vec3> path{at - along * h - out * 0.004f, at - along * h + out * stand, at + along * h + out * stand,
                                      at + along * h - out * 0.004f};
    b.tube(filleted(path, 0.012f, 4), {r}, 10);
}

// A turned leg: foot, long taper, a bead and a square-ish block under the top.
void turnedLeg(AssetBuilder& b, float x, float z, float y0, float h, float r) {
    const std::vector<glm::vec2> p{{0.0f, 0.0f},       {0.7f * r, 0.0f},     {0.8f * r, 0.03f * h}, {0.62f * r, 0.1f * h},
                                   {0.72f * r, 0.55f * h}, {0.62f * r, 0.72f * h}, {0.95f * r, 0.76f * h}, {0.95f * r, 0.79f * h},
                                   {0.75f * r, 0.81f * h}, {0.9f * r, 0.83f * h},  {0.9f * r, h},          {0.0f, h}};
    b.lathe(p, 16, translation({x, y0, z}));
}

// ---------------------------------------------------------------------------------------------
// Chair. Styles: 0 round legs, 1 square legs, 2 armrests, 3 slatted back.
void chair(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float seatH = k.range("seat-height", 0.42f, 0.50f), width = k.range("width", 0.40f, 0.52f), depth = k.range("depth", 0.38f, 0.50f);
    const float seatT = k.range("seat-thickness", 0.03f, 0.05f), backH = k.range("back-height", 0.32f, 0.55f);
    const float legT = k.range("leg-thickness", 0.03f, 0.045f), tilt = k.range("back-tilt", 0.0f, 0.18f);
    const float legScale = k.range("leg-length", 0.85f, 1.15f);
    const float boardFrac = k.range("board-height", 0.3f, 0.5f);
    const int slats = k.count("slats", 3, 5);
    const float armH = k.range("arm-height", 0.2f, 0.26f);
    notes.sizeWord = extremeWord(k.position("back-height"), "low", "tall");
    const float seatY = seatH * legScale;
    const bool round = style == 0 || style == 3;
    b.part("seat");
    b.roundedBox({0.0f, seatY - seatT * 0.5f, 0.0f}, {width, seatT, depth}, seatT * 0.35f);
    b.part("legs");
    const float lx = width * 0.5f - legT * 0.7f, lz = depth * 0.5f - legT * 0.7f;
    const float legTop = seatY - seatT * 0.4f;
    leg(b, round, -lx, lz, legTop, legT);
    leg(b, round, lx, lz, legTop, legT);
    leg(b, round, -lx, -lz, legTop, legT);
    leg(b, round, lx, -lz, legTop, legT);
    // Side stretchers low between front and back legs keep the frame from looking spindly.
    for (float s : {-1.0f, 1.0f}) b.tube({{s * lx, seatY * 0.28f, lz}, {s * lx, seatY * 0.28f, -lz}}, {legT * 0.28f}, kThin);
    // The backrest: two posts leaning back and a board (or slats) between them, leaning with them.
    b.part("backrest");
    const float postT = legT * 0.9f;
    for (float s : {-1.0f, 1.0f}) {
        const glm::vec3 base(s * lx, seatY - seatT, -lz);
        const glm::vec3 top = base + glm::vec3(0.0f, backH + seatT, -std::tan(tilt) * (backH + seatT));
        b.tube({base, top}, {postT * 0.5f}, kThin);
    }
    // A point at height y above the seat on the leaning plane of the posts.
    auto onBack = [&](float y) { return glm::vec3(0.0f, seatY + y, -lz - std::tan(tilt) * (y + seatT)); };
    const glm::mat4 lean = rotationX(-tilt);
    const float boardH = backH * boardFrac;
    if (style == 3) {
        const float y0 = 0.02f, y1 = backH - boardH * 0.4f;
        for (int i = 0; i < slats; ++i) {
            const float x = -lx + 2.0f * lx * float(i + 1) / float(slats + 1);
            const glm::vec3 c = onBack(0.5f * (y0 + y1)) + glm::vec3(x, 0.0f, 0.0f);
            b.roundedBox({0, 0, 0}, {postT * 0.9f, (y1 - y0) / std::cos(tilt), postT * 0.45f}, postT * 0.15f, translation(c) * lean);
        }
        b.roundedBox({0, 0, 0}, {2.0f * lx + postT, boardH * 0.5f / std::cos(tilt), postT * 0.8f}, postT * 0.2f,
                     translation(onBack(backH - boardH * 0.25f)) * lean);
    } else {
        b.roundedBox({0, 0, 0}, {2.0f * lx + postT * 0.5f, boardH / std::cos(tilt), postT * 0.8f}, postT * 0.3f,
                     translation(onBack(backH - boardH * 0.5f)) * lean);
    }
    if (style == 2) {
        b.part("armrests");
        const float armW = legT * 1.4f;
        for (float s : {-1.0f, 1.0f}) {
            b.tube({{s * lx, seatY - seatT * 0.5f, lz}, {s * lx, seatY + armH, lz}}, {legT * 0.4f}, kThin);
            b.roundedBox({s * lx, seatY + armH + armW * 0.2f, -0.01f}, {armW, armW * 0.45f, 2.0f * lz + legT + 0.02f}, armW * 0.2f);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stool. Styles: 0 round seat on three splayed legs with a foot ring, 1 square seat on four legs
// with rungs, 2 bar stool on a pedestal.
void stool(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("seat-height", 0.42f, 0.56f), seatR = k.range("seat-size", 0.15f, 0.2f);
    const float seatT = k.range("seat-thickness", 0.03f, 0.05f), legT = k.range("leg-thickness", 0.025f, 0.04f);
    const float splay = k.range("splay", 0.02f, 0.07f), ringAt = k.range("ring-height", 0.25f, 0.4f);
    notes.sizeWord = extremeWord(k.position("seat-height"), "short", "tall");
    // Bar stools put the seat at counter height (0.61-0.81 m).
    const float seatY = style == 2 ? h * 1.45f : h;
    if (style == 0) {
        b.part("seat");
        roundedDisc(b, seatY - seatT, seatR, seatT, seatT * 0.45f, kTurned * 2, glm::mat4(1.0f), 0.006f);
        b.part("legs");
        const float rTop = seatR * 0.6f, rBot = rTop + splay + 0.03f, yTop = seatY - seatT * 0.4f;
        for (int i = 0; i < 3; ++i) {
            const float a = kPi * 0.5f + 2.0f * kPi * float(i) / 3.0f;
            const glm::vec3 dir(std::cos(a), 0.0f, std::sin(a));
            b.tube({dir * rBot, dir * rTop + glm::vec3(0, yTop, 0)}, {legT * 0.42f, legT * 0.5f}, kThin);
        }
        b.part("footrest");
        const float yr = seatY * ringAt;
        b.torus({0.0f, yr, 0.0f}, lerp(rBot, rTop, yr / yTop), legT * 0.28f, kTurned * 2, 8);
    } else if (style == 1) {
        const float side = seatR * 1.8f;
        b.part("seat");
        b.roundedBox({0.0f, seatY - seatT * 0.5f, 0.0f}, {side, seatT, side}, seatT * 0.3f);
        b.part("legs");
        const float l = side * 0.5f - legT * 0.75f, top = seatY - seatT * 0.5f;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) leg(b, false, sx * l, sz * l, top, legT);
        b.part("footrest");
        // Rungs at two heights so they never meet inside a leg: front and back low, sides higher.
        const float y0 = seatY * ringAt, y1 = y0 + 0.06f, r = legT * 0.28f;
        for (float s : {-1.0f, 1.0f}) {
            b.tube({{-l, y0, s * l}, {l, y0, s * l}}, {r}, kThin);
            b.tube({{s * l, y1, -l}, {s * l, y1, l}}, {r}, kThin);
        }
    } else {
        b.part("seat");
        // An upholstered round seat: thick, well rounded, a little domed.
        roundedDisc(b, seatY - seatT * 1.8f, seatR * 1.05f, seatT * 1.8f, seatT * 0.8f, kTurned * 2, glm::mat4(1.0f), 0.01f);
        b.part("legs");
        const float baseR = seatR * 1.15f;
        b.lathe({{0.0f, 0.0f}, {baseR, 0.0f}, {baseR, 0.008f}, {baseR * 0.75f, 0.022f}, {baseR * 0.3f, 0.036f}, {0.0f, 0.04f}}, kTurned * 2);
        const float colR = 0.022f + legT * 0.2f;
        b.cylinder({0.0f, 0.03f, 0.0f}, colR, seatY - seatT * 1.8f - 0.02f, kTurned);
        // The gas-lift sleeve and the plate under the seat.
        b.cylinder({0.0f, seatY * 0.35f, 0.0f}, colR * 1.4f, seatY * 0.35f, kTurned);
        b.cylinder({0.0f, seatY - seatT * 1.8f - 0.03f, 0.0f}, seatR * 0.55f, 0.035f, kTurned);
        b.part("footrest");
        const float yr = seatY * (ringAt + 0.05f), ringR = seatR * 1.05f;
        b.torus({0.0f, yr, 0.0f}, ringR, legT * 0.3f, kTurned * 2, 8);
        for (int i = 0; i < 3; ++i) {
            const float a = kPi * 0.5f + 2.0f * kPi * float(i) / 3.0f;
            const glm::vec3 dir(std::cos(a), 0.0f, std::sin(a));
            b.tube({dir * (colR * 1.2f) + glm::vec3(0, yr, 0), dir * ringR + glm::vec3(0, yr, 0)}, {legT * 0.22f}, kThin);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Table. Styles: 0 round top on a central pedestal, 1 four legs with an apron, 2 trestle.
void table(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float height = k.range("height", 0.72f, 0.78f), size = k.range("size", 0.0f, 1.0f), depthT = k.range("depth", 0.0f, 1.0f);
    const float topT = k.range("top-thickness", 0.025f, 0.05f), legT = k.range("leg-thickness", 0.05f, 0.08f);
    const float overhang = k.range("overhang", 0.03f, 0.1f), apronH = k.range("apron-height", 0.07f, 0.11f);
    notes.sizeWord = extremeWord(k.position("size"), "small", "large");
    const float underTop = height - topT;
    if (style == 0) {
        const float r = 0.35f + 0.25f * size;
        b.part("top");
        roundedDisc(b, underTop, r, topT, topT * 0.4f, 64);
        b.part("legs");
        // A turned column: a flared foot, a vase-shaped shaft, a collar under the top.
        const float c = 0.04f + legT * 0.3f, y0 = 0.05f, hh = underTop - y0 + 0.004f;
        b.lathe({{0.0f, y0},
                 {c * 1.6f, y0},
                 {c * 1.6f, y0 + 0.03f * hh},
                 {c * 1.2f, y0 + 0.08f * hh},
                 {c * 1.45f, y0 + 0.25f * hh},
                 {c * 0.9f, y0 + 0.55f * hh},
                 {c * 0.8f, y0 + 0.8f * hh},
                 {c * 1.3f, y0 + 0.86f * hh},
                 {c * 1.3f, y0 + 0.9f * hh},
                 {c * 1.0f, y0 + 0.92f * hh},
                 {c * 1.0f, y0 + hh},
                 {0.0f, y0 + hh}},
                kTurned);
        b.cylinder({0.0f, underTop - 0.03f, 0.0f}, r * 0.35f, 0.032f, kTurned);
        // Four curved feet swept down from the column to the floor.
        const float f = r * 0.62f, w = legT * 0.45f;
        for (int i = 0; i < 4; ++i) {
            const std::vector<glm::vec2> outline{{0.02f, 0.0f},       {f, 0.0f},          {f, 0.025f},         {f * 0.75f, 0.04f},
                                                 {f * 0.5f, 0.07f},   {f * 0.3f, 0.12f},  {c * 1.2f, 0.2f},    {0.02f, 0.2f}};
            prismAt(b, outline, -w * 0.5f, w * 0.5f, rotationY(kPi * 0.25f + kPi * 0.5f * float(i)));
        }
    } else if (style == 1) {
        const float len = 1.0f + 0.8f * size, dep = 0.7f + 0.3f * depthT;
        b.part("top");
        slab(b, {0.0f, underTop + topT * 0.5f, 0.0f}, {len, topT, dep}, topT * 0.3f, 0);
        b.part("legs");
        const float lx = len * 0.5f - overhang - legT * 0.5f, lz = dep * 0.5f - overhang - legT * 0.5f;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) leg(b, false, sx * lx, sz * lz, underTop + 0.003f, legT);
        b.part("apron");
        const float ay = underTop - apronH * 0.5f + 0.002f, at = 0.022f;
        for (float s : {-1.0f, 1.0f}) {
            b.box({0.0f, ay, s * (lz + legT * 0.5f - at * 0.5f - 0.008f)}, {2.0f * lx, apronH, at});
            b.box({s * (lx + legT * 0.5f - at * 0.5f - 0.008f), ay, 0.0f}, {at, apronH, 2.0f * lz});
        }
    } else {
        const float len = 1.5f + 0.7f * size, dep = 0.75f + 0.2f * depthT;
        b.part("top");
        slab(b, {0.0f, underTop + topT * 0.6f, 0.0f}, {len, topT * 1.2f, dep}, topT * 0.3f, 0);
        b.part("legs");
        const float ex = len * 0.5f - 0.22f - overhang, footL = dep * 0.8f, footH = 0.07f, postW = legT * 1.2f;
        for (float s : {-1.0f, 1.0f}) {
            // Foot and cleat: beams across the table with chamfered ends; a broad post between.
            const std::vector<glm::vec2> foot{{-footL * 0.5f, 0.0f}, {footL * 0.5f, 0.0f}, {footL * 0.5f, footH * 0.5f},
                                              {footL * 0.5f - 0.05f, footH}, {-footL * 0.5f + 0.05f, footH}, {-footL * 0.5f, footH * 0.5f}};
            prismAt(b, foot, -postW * 0.6f, postW * 0.6f, translation({s * ex, 0.0f, 0.0f}) * rotationY(kPi * 0.5f));
            const float cl = dep * 0.7f, ch = 0.05f;
            const std::vector<glm::vec2> cleat{{-cl * 0.5f + 0.04f, underTop - ch}, {cl * 0.5f - 0.04f, underTop - ch}, {cl * 0.5f, underTop - ch * 0.4f},
                                                {cl * 0.5f, underTop + 0.003f},       {-cl * 0.5f, underTop + 0.003f},    {-cl * 0.5f, underTop - ch * 0.4f}};
            prismAt(b, cleat, -postW * 0.5f, postW * 0.5f, translation({s * ex, 0.0f, 0.0f}) * rotationY(kPi * 0.5f));
            slab(b, {s * ex, (footH + underTop - ch) * 0.5f, 0.0f}, {postW, underTop - ch - footH + 0.02f, legT * 2.2f}, 0.006f, 1);
        }
        b.part("apron");
        slab(b, {0.0f, 0.28f, 0.0f}, {2.0f * ex + postW * 1.6f, 0.09f, 0.035f}, 0.006f, 0);
    }
}


// ---------------------------------------------------------------------------------------------
// Bench. Styles: 0 backless, 1 with a slatted backrest and arms, 2 park bench (bent tube frame,
// slats following the curve of seat and back).
void bench(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float size = k.range("length", 0.0f, 1.0f), seatH = k.range("seat-height", 0.42f, 0.48f), depth = k.range("depth", 0.3f, 0.42f);
    const float seatT = k.range("seat-thickness", 0.035f, 0.055f), legT = k.range("leg-thickness", 0.045f, 0.07f);
    const float backH = k.range("back-height", 0.3f, 0.45f), tilt = k.range("back-tilt", 0.1f, 0.25f);
    const int slats = k.count("slats", 4, 6);
    const float armH = k.range("arm-height", 0.2f, 0.26f);
    notes.sizeWord = extremeWord(k.position("length"), "short", "long");
    const float len = style == 2 ? 1.3f + 0.6f * size : 1.0f + 0.8f * size;
    if (style == 0 || style == 1) {
        b.part("seat");
        slab(b, {0.0f, seatH - seatT * 0.5f, 0.0f}, {len, seatT, depth}, seatT * 0.3f, 0);
        b.part("legs");
        const float lx = len * 0.5f - 0.06f - legT * 0.5f, lz = depth * 0.5f - legT * 0.6f, top = seatH - seatT + 0.004f;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) slab(b, {sx * lx, top * 0.5f, sz * lz}, {legT, top, legT}, legT * 0.15f, 1);
        b.part("rails");
        // A low stretcher between each pair of legs and one along the length tying them.
        const float ry = seatH * 0.3f;
        for (float sx : {-1.0f, 1.0f}) slab(b, {sx * lx, ry, 0.0f}, {legT * 0.6f, legT * 0.8f, 2.0f * lz}, 0.004f, 2);
        slab(b, {0.0f, ry + legT * 0.1f, 0.0f}, {2.0f * lx, legT * 0.7f, legT * 0.5f}, 0.004f, 0);
        if (style == 1) {
            b.part("backrest");
            // Posts leaning back from the rear legs; three rails across them.
            const glm::mat4 lean = rotationX(-tilt);
            auto onBack = [&](float y) { return glm::vec3(0.0f, seatH + y, -lz - std::tan(tilt) * y); };
            for (float sx : {-1.0f, 1.0f}) {
                const float y0 = -seatT, y1 = backH;
                slab(b, {0, 0, 0}, {legT, (y1 - y0) / std::cos(tilt), legT * 0.85f}, legT * 0.15f, 1,
                     translation(onBack(0.5f * (y0 + y1)) + glm::vec3(sx * lx, 0.0f, 0.0f)) * lean);
            }
            const float railH = backH * 0.18f;
            for (int i = 0; i < 3; ++i) {
                const float y = backH - railH * 0.5f - float(i) * backH * 0.3f;
                slab(b, {0, 0, 0}, {2.0f * lx, railH, 0.022f}, 0.005f, 0, translation(onBack(y)) * lean);
            }
            b.part("armrests");
            for (float sx : {-1.0f, 1.0f}) {
                const float x = sx * (lx + legT * 0.1f);
                slab(b, {x, seatH + armH * 0.5f - seatT * 0.5f, lz}, {legT * 0.8f, armH + seatT, legT * 0.8f}, legT * 0.12f, 1);
                const float armL = 2.0f * lz + legT * 1.5f;
                slab(b, {x, seatH + armH + 0.012f, lz + legT * 0.6f - armL * 0.5f}, {legT * 1.2f, 0.028f, armL}, 0.008f, 2);
            }
        }
        return;
    }
    // Park bench: the side frame's profile in (z, y), z forward.
    const float d = depth + 0.1f, zF = d * 0.5f, r = 0.014f + legT * 0.12f;
    const glm::vec2 f0(zF, 0.0f), f1(zF, seatH - 0.035f), r1(-d * 0.5f, seatH - 0.08f);
    const glm::vec2 top = r1 + (backH + 0.12f) * glm::vec2(-std::sin(tilt), std::cos(tilt));
    const float xs = len * 0.5f - 0.14f;
    std::vector<float> frames{-xs, xs};
    if (len > 1.6f) frames.push_back(0.0f);
    auto at = [](float x, glm::vec2 p) { return glm::vec3(x, p.y, p.x); };
    b.part("legs");
    for (const float x : frames) {
        b.tube(filleted({at(x, f0), at(x, f1), at(x, r1), at(x, top)}, 0.07f, 6), {r}, kThin);
        // The rear leg splays back from under the seat to the floor.
        const glm::vec2 q = r1 + glm::vec2(0.05f, 0.005f);
        b.tube({at(x, q), at(x, glm::vec2(r1.x - 0.07f, 0.0f))}, {r}, kThin);
        // Floor pads.
        b.cylinder(at(x, glm::vec2(zF, -0.004f)), r * 1.6f, 0.012f, kThin);
        b.cylinder(at(x, glm::vec2(r1.x - 0.07f, -0.004f)), r * 1.6f, 0.012f, kThin);
    }
    b.part("armrests");
    for (const float x : {-xs, xs}) {
        const float ya = seatH + armH;
        const float tb = (ya - r1.y) / std::cos(tilt);
        const glm::vec2 onBack = r1 + tb * glm::vec2(-std::sin(tilt), std::cos(tilt));
        b.tube(filleted({at(x, onBack), at(x, glm::vec2(zF + 0.04f, ya + 0.01f)), at(x, glm::vec2(zF + 0.02f, f1.y - 0.01f))}, 0.09f, 6), {r * 1.05f},
               kThin);
    }
    // Slats laid along the seat and back lines, on the sitting side of the frame.
    auto slatsAlong = [&](glm::vec2 a, glm::vec2 c, int n, float w, float t0, float t1) {
        const glm::vec2 dir = glm::normalize(c - a), nrm(dir.y, -dir.x);
        const float angle = std::atan2(-dir.y, dir.x);
        for (int i = 0; i < n; ++i) {
            const float u = lerp(t0, t1, float(i) / float(std::max(1, n - 1)));
            const glm::vec2 p = a + (c - a) * u + nrm * (r + 0.011f);
            slab(b, {0, 0, 0}, {len, 0.024f, w}, 0.006f, 0, translation(at(0.0f, p)) * rotationX(angle));
        }
    };
    b.part("seat");
    const float sw = (d - 0.02f) / float(slats) * 0.78f;
    slatsAlong(f1, r1, slats, sw, 0.05f, 0.85f);
    b.part("backrest");
    slatsAlong(r1, top, std::max(2, slats - 2), sw * 1.1f, 0.35f, 0.92f);
}

// ---------------------------------------------------------------------------------------------
// Shelf (open, wall-standing). Styles: 0 solid side panels, 1 leaning ladder, 2 boards on four
// slim posts, 3 a grid of square cubbies.
void shelf(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float hK = k.range("height", 0.0f, 1.0f), width = k.range("width", 0.6f, 1.1f), depth = k.range("depth", 0.25f, 0.38f);
    const float bt = k.range("board-thickness", 0.018f, 0.03f), spacing = k.range("spacing", 0.28f, 0.4f);
    const float postR = k.range("post-thickness", 0.01f, 0.018f), lean = k.range("lean", 0.1f, 0.18f);
    notes.sizeWord = extremeWord(k.position("height"), "low", "tall");
    const float round = bt * 0.25f;
    if (style == 0) {
        const float H = 0.7f + 1.3f * hK;
        b.part("frame");
        for (float s : {-1.0f, 1.0f}) slab(b, {s * (width - bt) * 0.5f, H * 0.5f, 0.0f}, {bt, H, depth}, round, 1);
        b.part("shelves");
        const int n = std::max(2, int(std::lround((H - 0.1f) / spacing)));
        const float y0 = 0.07f + bt * 0.5f, y1 = H - bt * 0.5f - 0.001f;
        for (int i = 0; i <= n; ++i) slab(b, {0.0f, lerp(y0, y1, float(i) / float(n)), 0.0f}, {width - 2.0f * bt + 0.006f, bt, depth - 0.004f}, round, 0);
        // A kick board under the lowest shelf, set back a little.
        slab(b, {0.0f, 0.035f, depth * 0.5f - 0.02f}, {width - 2.0f * bt + 0.006f, 0.07f, bt}, round, 0);
    } else if (style == 1) {
        const float H = 1.4f + 0.5f * hK, t = std::tan(lean), zb = 0.5f * H * t;
        b.part("frame");
        const float railW = 0.035f + bt * 0.5f, railD = 0.05f;
        for (float s : {-1.0f, 1.0f})
            slab(b, {0, 0, 0}, {railW, H / std::cos(lean), railD}, 0.006f, 1,
                 translation({s * (width + railW) * 0.5f - s * 0.006f, H * 0.5f * std::cos(lean), 0.0f}) * rotationX(-lean));
        // Shelves run from the rails back to the wall, shallower towards the top.
        b.part("shelves");
        const int n = std::clamp(int(std::lround(H / spacing)) - 1, 3, 6);
        const float zWall = -zb - 0.01f;
        for (int i = 0; i < n; ++i) {
            const float y = lerp(0.22f, H - 0.22f, float(i) / float(n - 1));
            const float zFront = zb * std::cos(lean) - y * t + railD * 0.5f + 0.01f;
            const float dep = std::max(0.1f, zFront - zWall);
            slab(b, {0.0f, y, zFront - dep * 0.5f}, {width, bt, dep}, round, 0);
            // A low lip at the back keeps things from sliding off.
            slab(b, {0.0f, y + 0.03f, zFront - dep + bt * 0.5f}, {width - 0.002f, 0.06f, bt}, round, 0);
        }
    } else if (style == 2) {
        const float H = 0.8f + 1.2f * hK;
        b.part("frame");
        const float px = width * 0.5f - 0.03f, pz = depth * 0.5f - 0.03f;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) {
                b.cylinder({sx * px, 0.012f, sz * pz}, postR, H + 0.01f, kThin);
                b.cylinder({sx * px, 0.0f, sz * pz}, postR * 1.5f, 0.015f, kThin);
            }
        b.part("shelves");
        const int n = std::max(3, int(std::lround(H / spacing)));
        for (int i = 0; i < n; ++i) {
            const float y = lerp(0.1f, H - bt * 0.5f, float(i) / float(n - 1));
            slab(b, {0.0f, y, 0.0f}, {width, bt, depth}, round, 0);
        }
    } else {
        const int cols = std::clamp(int(std::lround(width / 0.34f)), 2, 3);
        const int rows = std::clamp(int(std::lround((0.7f + 1.0f * hK) / 0.34f)), 2, 5);
        const float cell = (width - bt) / float(cols), H = cell * float(rows) + bt;
        b.part("frame");
        for (int c = 0; c <= cols; ++c) slab(b, {-width * 0.5f + bt * 0.5f + cell * float(c), H * 0.5f, 0.0f}, {bt, H, depth}, round, 1);
        b.box({0.0f, H * 0.5f, -depth * 0.5f + 0.004f}, {width - 0.004f, H - 0.004f, 0.006f});
        b.part("shelves");
        for (int r = 0; r <= rows; ++r) slab(b, {0.0f, bt * 0.5f + cell * float(r), 0.002f}, {width - 0.004f, bt, depth - 0.002f}, round, 0);
    }
}

// A lampshade open at both ends: a truncated cone with walls `t` thick.
void drumShade(AssetBuilder& b, float y0, float rBot, float rTop, float h, float t) {
    b.lathe({{rBot - t, y0}, {rBot, y0}, {rTop, y0 + h}, {rTop - t, y0 + h}, {rBot - t, y0}}, 48);
}

// A shade open at the bottom (rim radius r at y = 0) rising to a closed top at h: a cone when
// bulge = 0, a dome when 1. Walls `t` thick; a short neck on top takes the bulb holder.
void bellShade(AssetBuilder& b, float r, float h, float t, float bulge, const glm::mat4& xf) {
    constexpr int n = 10;
    const float neck = std::max(0.016f, t + 0.006f);
    std::vector<glm::vec2> outer;
    for (int i = 0; i <= n; ++i) {
        const float s = float(i) / n;
        const float f = lerp(1.0f - s, std::cos(s * kPi * 0.5f), bulge), g = lerp(s, std::sin(s * kPi * 0.5f), bulge);
        outer.push_back({neck + (r - neck) * f, h * g});
    }
    std::vector<glm::vec2> inner;
    for (int i = 0; i <= n; ++i) {
        const glm::vec2 a = outer[std::size_t(std::max(0, i - 1))], c = outer[std::size_t(std::min(n, i + 1))];
        const glm::vec2 d = glm::normalize(c - a);
        inner.push_back(outer[std::size_t(i)] - t * glm::vec2(d.y, -d.x));
    }
    inner.back().x = std::max(inner.back().x, 0.004f);
    std::vector<glm::vec2> p{{0.0f, inner.back().y}};
    for (int i = n; i >= 0; --i) p.push_back(inner[std::size_t(i)]);
    for (int i = 0; i <= n; ++i) p.push_back(outer[std::size_t(i)]);
    p.push_back({0.0f, h});
    b.lathe(p, 40, xf, 50.0f);
}

// Three thin spokes from a hub on the axis to a shade's wall (radius rWall at height y).
void spider(AssetBuilder& b, float y, float rWall) {
    b.cylinder({0.0f, y - 0.012f, 0.0f}, 0.012f, 0.02f, kThin);
    for (int i = 0; i < 3; ++i) {
        const float a = 2.0f * kPi * float(i) / 3.0f + 0.3f;
        b.tube({{0.0f, y, 0.0f}, {rWall * std::cos(a), y, rWall * std::sin(a)}}, {0.0022f}, 6);
    }
}

// ---------------------------------------------------------------------------------------------
// Lamp. Styles: 0 floor lamp, 1 desk lamp with an adjustable arm, 2 table lamp with a bulbous
// body and a drum shade, 3 arc floor lamp.
void lamp(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float hK = k.range("height", 0.0f, 1.0f), shadeK = k.range("shade-size", 0.0f, 1.0f), baseK = k.range("base-size", 0.0f, 1.0f);
    const float poleR = k.range("pole-thickness", 0.009f, 0.015f), taper = k.range("shade-taper", 0.0f, 0.3f);
    const float armA = k.range("arm-angle", 0.95f, 1.3f), headA = k.range("head-angle", 0.25f, 0.65f), reach = k.range("reach", 0.0f, 1.0f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    const float wall = 0.004f;
    if (style == 0) {
        const float H = 1.45f + 0.4f * hK, rb = 0.17f + 0.08f * shadeK, sh = 0.24f + 0.08f * shadeK, rt = rb * (1.0f - taper);
        b.part("base");
        roundedDisc(b, 0.0f, 0.13f + 0.06f * baseK, 0.03f, 0.012f, 48);
        b.part("stand");
        b.cylinder({0.0f, 0.02f, 0.0f}, poleR, H - sh * 0.6f - 0.02f, kThin);
        b.cylinder({0.0f, H - sh * 0.6f - 0.01f, 0.0f}, 0.018f, 0.07f, kThin);  // bulb holder
        spider(b, H - 0.012f, rt - wall * 0.5f);
        b.part("shade");
        drumShade(b, H - sh, rb, rt, sh, wall);
    } else if (style == 1) {
        b.part("base");
        const float br = 0.075f + 0.03f * baseK;
        roundedDisc(b, 0.0f, br, 0.028f, 0.01f, 40);
        b.part("stand");
        const glm::vec3 pivot(0.0f, 0.045f, -br * 0.3f);
        const float l1 = 0.22f + 0.14f * hK, l2 = 0.26f + 0.14f * reach;
        const glm::vec3 elbow = pivot + l1 * glm::vec3(0.0f, std::sin(armA), -std::cos(armA));
        const glm::vec3 tip = elbow + l2 * glm::vec3(0.0f, std::sin(0.08f), std::cos(0.08f));
        b.cylinder({0.0f, 0.02f, pivot.z}, 0.016f, 0.03f, kThin);
        // Twin rods per arm, hinged on cross pins.
        for (float s : {-1.0f, 1.0f}) {
            const glm::vec3 o(s * 0.012f, 0.0f, 0.0f);
            b.tube({pivot + o, elbow + o, tip + o}, {poleR * 0.5f}, 8);
        }
        for (const glm::vec3& j : {pivot, elbow, tip}) b.tube({j - glm::vec3(0.02f, 0, 0), j + glm::vec3(0.02f, 0, 0)}, {0.011f}, kThin);
        b.part("shade");
        const float r = 0.055f + 0.025f * shadeK, h = 0.09f + 0.04f * shadeK;
        // The shade hangs from the tip, its opening turned down and forward.
        bellShade(b, r, h, 0.0025f, 0.35f, translation(tip + glm::vec3(0.0f, 0.0f, 0.01f)) * rotationX(-headA) * translation({0.0f, -h, 0.0f}));
    } else if (style == 2) {
        const float bh = 0.22f + 0.12f * hK, R = 0.08f + 0.04f * baseK;
        b.part("base");
        b.lathe({{0.0f, 0.0f},
                 {0.55f * R, 0.0f},
                 {0.6f * R, 0.015f},
                 {0.85f * R, 0.12f * bh},
                 {R, 0.35f * bh},
                 {0.96f * R, 0.55f * bh},
                 {0.72f * R, 0.78f * bh},
                 {0.4f * R, 0.9f * bh},
                 {0.3f * R, 0.95f * bh},
                 {0.33f * R, bh},
                 {0.0f, bh}},
                40);
        b.part("stand");
        const float rb = 0.15f + 0.07f * shadeK, sh = 0.17f + 0.08f * shadeK, rt = rb * (1.0f - taper), y0 = bh + 0.03f;
        b.cylinder({0.0f, bh - 0.005f, 0.0f}, 0.011f, 0.06f, kThin);
        b.cylinder({0.0f, bh + 0.05f, 0.0f}, 0.017f, 0.06f, kThin);  // bulb holder
        spider(b, y0 + sh - 0.012f, rt - wall * 0.5f);
        b.ellipsoid({0.0f, y0 + sh + 0.012f, 0.0f}, {0.012f, 0.014f, 0.012f}, 12);  // finial
        b.part("shade");
        drumShade(b, y0, rb, rt, sh, wall);
    } else {
        const float H = 1.8f + 0.3f * hK, reachX = 1.0f + 0.5f * reach;
        b.part("base");
        roundedDisc(b, 0.0f, 0.17f + 0.06f * baseK, 0.06f, 0.018f, 48);
        b.part("stand");
        // A cubic curve from the base up and over to a point above where the shade hangs.
        const glm::vec3 p0(0.0f, 0.03f, 0.0f), p1(0.0f, H * 1.05f, 0.0f), p2(reachX * 0.55f, H * 1.12f, 0.0f), p3(reachX, H - 0.3f, 0.0f);
        std::vector<glm::vec3> path;
        for (int i = 0; i <= 24; ++i) {
            const float u = float(i) / 24.0f, v = 1.0f - u;
            path.push_back(v * v * v * p0 + 3.0f * v * v * u * p1 + 3.0f * v * u * u * p2 + u * u * u * p3);
        }
        b.tube(path, {poleR * 1.3f}, kThin);
        b.tube({p3 - glm::vec3(0.0f, 0.02f, 0.0f), p3 - glm::vec3(0.0f, 0.1f, 0.0f)}, {poleR * 0.8f}, kThin);
        b.part("shade");
        const float r = 0.17f + 0.07f * shadeK, h = r * 0.75f;
        bellShade(b, r, h, 0.003f, 0.85f, translation(p3 - glm::vec3(0.0f, 0.09f + h, 0.0f)));
    }
}


// ---------------------------------------------------------------------------------------------
// Upholstered seating (sofa, armchair): a base box on legs, a back frame, arms and cushions.

// An arm rolled over at the top: a padded box under a cylinder with rounded ends along z.
void rolledArm(AssetBuilder& b, float x, float y0, float top, float width, float depth, float zc) {
    const float rr = width * 0.62f;
    b.roundedBox({x, 0.5f * (y0 + top - rr), zc}, {width, top - rr - y0 + rr * 0.6f, depth}, 0.03f);
    roundedDisc(b, zc - depth * 0.5f - 0.01f, rr, depth + 0.02f, rr * 0.35f, kTurned, translation({x + (x > 0 ? 1.0f : -1.0f) * rr * 0.15f, top - rr, 0.0f}) * rotationX(kPi * 0.5f));
}

// A short leg under upholstery: 0 tapered round, 1 square block, 2 turned bun foot.
void seatLeg(AssetBuilder& b, int kind, float x, float z, float top, float t) {
    if (kind == 0) b.frustum({x, 0.0f, z}, t * 0.32f, t * 0.5f, top, 16);
    else if (kind == 1) slab(b, {x, top * 0.5f, z}, {t, top, t}, t * 0.2f, 1);
    else {
        b.ellipsoid({x, top * 0.45f, z}, {t * 0.6f, top * 0.45f, t * 0.6f}, 16);
        b.cylinder({x, top * 0.8f, z}, t * 0.35f, top * 0.25f, 12);
    }
}

// Sofa. Styles: 0 two seats, 1 three seats, 2 corner (a chaise on the right), 3 rolled arms.
void sofa(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float seatW = k.range("seat-width", 0.55f, 0.72f), depth = k.range("depth", 0.82f, 1.0f), seatH = k.range("seat-height", 0.4f, 0.46f);
    const float backH = k.range("back-height", 0.32f, 0.48f), armW = k.range("arm-width", 0.12f, 0.24f), armH = k.range("arm-height", 0.14f, 0.24f);
    const float legL = k.range("leg-length", 0.05f, 0.17f), cushT = k.range("cushion-thickness", 0.12f, 0.18f);
    const float chaise = k.range("chaise-length", 0.55f, 0.8f), tilt = k.range("back-tilt", 0.08f, 0.2f);
    notes.sizeWord = extremeWord(k.position("seat-width"), "small", "large");
    const int seats = style == 1 || style == 3 ? 3 : 2;
    const float chaiseW = style == 2 ? seatW * 1.2f : 0.0f;
    const float inner = float(seats) * seatW + chaiseW;
    const bool rightArm = style != 2;
    const float x0 = -inner * 0.5f, x1 = inner * 0.5f;  // the seating area between the arms
    const float backT = 0.14f + armW * 0.3f, baseTop = seatH - cushT, zBack = -depth * 0.5f, zFront = depth * 0.5f;
    b.part("frame");
    slab(b, {0.0f, 0.5f * (legL + baseTop), 0.5f * (zBack + backT * 0.5f + zFront)}, {inner + 0.02f, baseTop - legL, zFront - zBack - backT * 0.5f}, 0.03f, 0);
    if (style == 2) {
        const float cx = x1 - chaiseW * 0.5f;
        slab(b, {cx, 0.5f * (legL + baseTop), zFront + chaise * 0.5f - 0.05f}, {chaiseW, baseTop - legL, chaise + 0.1f}, 0.03f, 0);
    }
    const float backTop = seatH + backH;
    b.part("backrest");
    b.roundedBox({0.0f, 0.5f * (legL + backTop), zBack + backT * 0.5f}, {inner + (rightArm ? 0.04f : 0.0f), backTop - legL, backT}, 0.04f);
    b.part("arms");
    const float armTop = seatH + armH;
    for (float s : {-1.0f, 1.0f}) {
        if (s > 0 && !rightArm) continue;
        const float x = s * (inner * 0.5f + armW * 0.5f - 0.005f);
        if (style == 3) rolledArm(b, x, legL, armTop + 0.05f, armW, depth, 0.0f);
        else b.roundedBox({x, 0.5f * (legL + armTop), 0.0f}, {armW, armTop - legL, depth}, std::min(0.06f, armW * 0.35f));
    }
    b.part("cushions");
    const float cr = cushT * 0.35f, seatD = zFront - zBack - backT + 0.01f, gap = 0.008f;
    for (int i = 0; i < seats; ++i) {
        const float cx = x0 + seatW * (float(i) + 0.5f);
        b.roundedBox({cx, baseTop + cushT * 0.5f - 0.005f, zFront - seatD * 0.5f + 0.01f}, {seatW - gap, cushT, seatD}, cr);
    }
    // Back cushions lean against the frame; their bottoms sink into the seat cushions.
    const float bcT = 0.14f + cushT * 0.2f, bcH = backH + cushT * 0.6f;
    auto backCushion = [&](float cx, float w) {
        const glm::vec3 c(cx, seatH - cushT * 0.3f + bcH * 0.5f, zBack + backT + bcT * 0.5f - 0.03f + std::sin(tilt) * bcH * 0.5f);
        b.roundedBox({0, 0, 0}, {w - gap, bcH, bcT}, bcT * 0.4f, translation(c) * rotationX(-tilt));
    };
    for (int i = 0; i < seats; ++i) backCushion(x0 + seatW * (float(i) + 0.5f), seatW);
    if (style == 2) {
        const float cx = x1 - chaiseW * 0.5f;
        const float len = chaise + seatD;
        b.roundedBox({cx, baseTop + cushT * 0.5f - 0.005f, zFront + chaise - len * 0.5f}, {chaiseW - gap, cushT, len}, cr);
        backCushion(cx, chaiseW);
    }
    b.part("legs");
    const int legKind = style == 3 ? 2 : (style == 1 ? 1 : 0);
    const float lt = 0.045f + legL * 0.15f, lx = inner * 0.5f + armW - lt * 0.8f, lz = depth * 0.5f - lt * 0.8f;
    const float xl = -lx, xr = rightArm ? lx : x1 - lt * 0.8f;
    for (float z : {-lz, lz}) {
        seatLeg(b, legKind, xl, z, legL + 0.01f, lt);
        seatLeg(b, legKind, xr, z, legL + 0.01f, lt);
        if (inner > 1.9f) seatLeg(b, legKind, 0.0f, z, legL + 0.01f, lt);
    }
    if (style == 2) seatLeg(b, legKind, xr, zFront + chaise - lt * 0.8f, legL + 0.01f, lt);
    if (style == 2) seatLeg(b, legKind, x1 - chaiseW + lt, zFront + chaise - lt * 0.8f, legL + 0.01f, lt);
}

// Armchair. Styles: 0 boxy club chair, 1 wingback, 2 mid-century on tapered splayed feet.
void armchair(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float seatW = k.range("seat-width", 0.5f, 0.6f), depth = k.range("depth", 0.75f, 0.88f), seatH = k.range("seat-height", 0.4f, 0.46f);
    const float backH = k.range("back-height", 0.3f, 0.45f), armW = k.range("arm-width", 0.1f, 0.2f), armH = k.range("arm-height", 0.16f, 0.24f);
    const float legL = k.range("leg-length", 0.05f, 0.12f), cushT = k.range("cushion-thickness", 0.1f, 0.16f), tilt = k.range("back-tilt", 0.08f, 0.2f);
    const float wing = k.range("wing-size", 0.0f, 1.0f);
    notes.sizeWord = extremeWord(k.position("back-height"), "low", "tall");
    const float zBack = -depth * 0.5f, zFront = depth * 0.5f, gap = 0.008f;
    if (style == 2) {
        // Raised on splayed tapered legs, slim arms, the back reclined.
        const float lift = legL + 0.14f, baseTop = seatH - cushT * 0.8f, backT = 0.08f, aw = armW * 0.5f + 0.02f;
        const float W = seatW + 2.0f * aw;
        b.part("frame");
        slab(b, {0.0f, 0.5f * (lift + baseTop), 0.0f}, {W, baseTop - lift, depth}, 0.025f, 0);
        b.part("arms");
        for (float s : {-1.0f, 1.0f}) b.roundedBox({s * (W - aw) * 0.5f, 0.5f * (baseTop - 0.02f + seatH + armH), 0.0f}, {aw, seatH + armH - baseTop + 0.02f, depth}, aw * 0.45f);
        b.part("backrest");
        const float bt = backH + 0.2f, lean = tilt + 0.1f;
        const glm::vec3 bc(0.0f, baseTop - 0.02f + std::cos(lean) * bt * 0.5f, zBack + backT * 0.5f - std::sin(lean) * bt * 0.5f + 0.04f);
        b.roundedBox({0, 0, 0}, {W - 0.01f, bt, backT}, 0.03f, translation(bc) * rotationX(-lean));
        b.part("cushions");
        b.roundedBox({0.0f, baseTop + cushT * 0.4f, 0.02f}, {seatW - gap, cushT, depth - 0.06f}, cushT * 0.35f);
        b.roundedBox({0, 0, 0}, {seatW - gap, backH + 0.05f, 0.1f}, 0.04f,
                     translation(bc + glm::vec3(0.0f, 0.02f, 0.0f) + 0.08f * glm::vec3(0.0f, std::sin(lean), std::cos(lean))) * rotationX(-lean));
        b.part("legs");
        const float lx = W * 0.5f - 0.06f, lz = depth * 0.5f - 0.07f;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f})
                b.tube({{sx * lx, lift + 0.01f, sz * lz}, {sx * (lx + 0.05f), 0.0f, sz * (lz + 0.05f)}}, {0.018f, 0.009f}, kThin);
        return;
    }
    const float backT = 0.15f + armW * 0.2f, baseTop = seatH - cushT;
    const float aw = style == 0 ? armW * 1.3f + 0.04f : armW;
    const float W = seatW + 2.0f * aw;
    const float backTop = seatH + backH + (style == 1 ? 0.28f : -0.04f);
    const float armTop = style == 0 ? std::min(seatH + armH + 0.08f, backTop - 0.03f) : seatH + armH;
    b.part("frame");
    slab(b, {0.0f, 0.5f * (legL + baseTop), 0.5f * (zBack + backT * 0.5f + zFront)}, {seatW + 0.02f, baseTop - legL, zFront - zBack - backT * 0.5f}, 0.03f, 0);
    b.part("backrest");
    b.roundedBox({0.0f, 0.5f * (legL + backTop), zBack + backT * 0.5f}, {seatW + aw, backTop - legL, backT}, style == 0 ? 0.06f : 0.04f);
    b.part("arms");
    for (float s : {-1.0f, 1.0f}) {
        const float x = s * (seatW * 0.5f + aw * 0.5f - 0.005f);
        if (style == 1) rolledArm(b, x, legL, armTop + 0.04f, aw, depth, 0.0f);
        else b.roundedBox({x, 0.5f * (legL + armTop), 0.0f}, {aw, armTop - legL, depth}, std::min(0.09f, aw * 0.4f));
    }
    if (style == 1) {
        // Wings: panels rising from the arms to the top of the back, curving out at the front.
        b.part("wings");
        const float wz = zBack + backT * 0.5f, wl = 0.28f + 0.12f * wing, y0 = armTop - 0.02f;
        const std::vector<glm::vec2> outline{{wz, y0},
                                             {wz + wl, y0},
                                             {wz + wl * 1.12f, y0 + (backTop - y0) * 0.3f},
                                             {wz + wl * 1.05f, y0 + (backTop - y0) * 0.6f},
                                             {wz + wl * 0.8f, y0 + (backTop - y0) * 0.85f},
                                             {wz + wl * 0.45f, backTop - 0.01f},
                                             {wz, backTop - 0.02f}};
        for (float s : {-1.0f, 1.0f}) {
            const float xo = s * (seatW * 0.5f + aw * 0.5f), t = 0.07f;
            prismAt(b, outline, -(xo + t * 0.5f), -(xo - t * 0.5f), rotationY(-kPi * 0.5f));
        }
    }
    b.part("cushions");
    const float seatD = zFront - zBack - backT + 0.01f;
    b.roundedBox({0.0f, baseTop + cushT * 0.5f - 0.005f, zFront - seatD * 0.5f + 0.01f}, {seatW - gap, cushT, seatD}, cushT * 0.35f);
    const float bcT = 0.12f + cushT * 0.2f, bcH = backTop - seatH + cushT * 0.2f - 0.05f;
    const glm::vec3 c(0.0f, seatH - cushT * 0.3f + bcH * 0.5f, zBack + backT + bcT * 0.5f - 0.03f + std::sin(tilt) * bcH * 0.5f);
    b.roundedBox({0, 0, 0}, {seatW - gap, bcH, bcT}, bcT * 0.4f, translation(c) * rotationX(-tilt));
    b.part("legs");
    const float lt = 0.05f, lx = W * 0.5f - lt * 0.8f, lz = depth * 0.5f - lt * 0.8f;
    for (float sx : {-1.0f, 1.0f})
        for (float sz : {-1.0f, 1.0f}) {
            if (style == 1 && sz > 0) turnedLeg(b, sx * lx, sz * lz, 0.0f, legL + 0.01f, lt * 0.5f);
            else seatLeg(b, style == 0 ? 1 : 0, sx * lx, sz * lz, legL + 0.01f, lt);
        }
}

// ---------------------------------------------------------------------------------------------
// Bed: the head at -z. Styles: 0 single, 1 double, 2 bunk, 3 four-poster.

// Mattress, pillows and a blanket over the foot end, the mattress top at `top`.
void bedding(AssetBuilder& b, float w, float len, float top, float thick, float zHead, int pillows, float cover) {
    b.part("mattress");
    b.roundedBox({0.0f, top - thick * 0.5f, zHead + len * 0.5f}, {w, thick, len}, 0.045f);
    b.part("pillows");
    const float pw = std::min(0.7f, (w - 0.1f) / float(pillows) - 0.02f);
    for (int i = 0; i < pillows; ++i) {
        const float x = (float(i) - 0.5f * float(pillows - 1)) * (pw + 0.03f);
        b.roundedBox({0, 0, 0}, {pw, 0.15f, 0.44f}, 0.07f, translation({x, top + 0.065f, zHead + 0.29f}) * rotationX(-0.22f));
    }
    b.part("blanket");
    const float bl = len * cover;
    b.roundedBox({0.0f, top - 0.05f, zHead + len - bl * 0.5f + 0.03f}, {w + 0.06f, 0.14f, bl + 0.02f}, 0.03f);
}

void bed(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float len = k.range("length", 1.95f, 2.1f), widthK = k.range("width", 0.0f, 1.0f), frameH = k.range("frame-height", 0.22f, 0.35f);
    const float mattT = k.range("mattress-thickness", 0.16f, 0.26f), headH = k.range("headboard-height", 0.35f, 0.7f);
    const float footH = k.range("footboard-height", 0.05f, 0.3f), postT = k.range("post-thickness", 0.05f, 0.08f);
    const float cover = k.range("blanket", 0.45f, 0.7f);
    notes.sizeWord = extremeWord(k.position("headboard-height"), "low", "tall");
    const bool wide = style == 1 || style == 3;
    const float w = wide ? 1.4f + 0.4f * widthK : 0.9f + 0.1f * widthK;
    const float xw = w * 0.5f + postT * 0.5f, zh = -len * 0.5f - postT * 0.5f, zf = len * 0.5f + postT * 0.5f;
    const float railH = 0.16f, boardT = 0.03f;
    auto rails = [&](float top) {
        for (float s : {-1.0f, 1.0f}) slab(b, {s * (w * 0.5f + boardT * 0.5f), top - railH * 0.5f, 0.0f}, {boardT + 0.005f, railH, len + 0.01f}, 0.006f, 2);
        for (float z : {zh, zf}) slab(b, {0.0f, top - railH * 0.5f, z}, {w + 0.01f, railH, boardT}, 0.006f, 0);
    };
    const float mattTop = frameH - 0.06f + mattT;
    if (style == 2) {
        const float upper = frameH + 0.95f, upperTop = upper - 0.06f + mattT * 0.8f, postH = upperTop + 0.2f + headH * 0.3f;
        b.part("frame");
        for (float sx : {-1.0f, 1.0f})
            for (float z : {zh, zf}) slab(b, {sx * xw, postH * 0.5f, z}, {postT, postH, postT}, postT * 0.15f, 1);
        rails(frameH);
        rails(upper);
        // Guard rail around the top bunk, open at the ladder.
        slab(b, {-xw, upperTop + 0.18f, 0.0f}, {boardT, 0.1f, len + 0.01f}, 0.006f, 2);
        slab(b, {xw, upperTop + 0.18f, -0.3f}, {boardT, 0.1f, len - 0.6f}, 0.006f, 2);
        for (float z : {zh, zf}) slab(b, {0.0f, postH - 0.12f, z}, {w + 0.01f, 0.18f, boardT}, 0.006f, 0);
        b.part("ladder");
        const float lz0 = len * 0.5f - 0.45f, lz1 = len * 0.5f - 0.05f, lx = xw + postT * 0.5f + 0.02f;
        for (float z : {lz0, lz1}) slab(b, {lx, (upper + 0.2f) * 0.5f, z}, {0.03f, upper + 0.2f, 0.045f}, 0.006f, 1);
        for (int i = 0; i < 4; ++i) b.tube({{lx, 0.25f + float(i) * (upper - 0.2f) / 3.5f, lz0}, {lx, 0.25f + float(i) * (upper - 0.2f) / 3.5f, lz1}}, {0.014f}, kThin);
        bedding(b, w, len, mattTop, mattT, -len * 0.5f, 1, cover);
        b.part("mattress");
        b.roundedBox({0.0f, upperTop - mattT * 0.4f, 0.0f}, {w, mattT * 0.8f, len}, 0.04f);
        b.part("blanket");
        b.roundedBox({0.0f, upperTop - 0.05f, len * 0.5f - len * cover * 0.5f + 0.03f}, {w + 0.06f, 0.14f, len * cover + 0.02f}, 0.03f);
        b.part("pillows");
        b.roundedBox({0, 0, 0}, {std::min(0.7f, w - 0.12f), 0.13f, 0.4f}, 0.06f, translation({0.0f, upperTop + 0.06f, -len * 0.5f + 0.27f}) * rotationX(-0.2f));
        return;
    }
    b.part("frame");
    rails(frameH);
    const float headTop = mattTop + headH, footTop = mattTop + footH - 0.1f;
    // Corner posts: square (turned on the four-poster, which carries a canopy frame).
    if (style == 3) {
        const float postH = 1.9f + 0.25f * widthK;
        for (float sx : {-1.0f, 1.0f})
            for (float z : {zh, zf}) {
                turnedLeg(b, sx * xw, z, 0.0f, postH, postT * 0.6f);
            }
        for (float z : {zh, zf}) slab(b, {0.0f, postH - 0.04f, z}, {2.0f * xw + postT * 0.4f, 0.07f, 0.035f}, 0.006f, 0);
        for (float sx : {-1.0f, 1.0f}) slab(b, {sx * xw, postH - 0.04f, 0.0f}, {0.035f, 0.07f, zf - zh + postT * 0.4f}, 0.006f, 2);
    } else {
        for (float sx : {-1.0f, 1.0f}) {
            slab(b, {sx * xw, (headTop + 0.03f) * 0.5f, zh}, {postT, headTop + 0.03f, postT}, postT * 0.15f, 1);
            slab(b, {sx * xw, (footTop + 0.02f) * 0.5f, zf}, {postT, footTop + 0.02f, postT}, postT * 0.15f, 1);
        }
    }
    b.part("headboard");
    slab(b, {0.0f, 0.5f * (frameH - 0.05f + headTop - 0.04f), zh}, {w + 0.01f, headTop - 0.04f - frameH + 0.05f, 0.035f}, 0.008f, 0);
    if (wide && style == 1) slab(b, {0.0f, headTop - 0.04f, zh}, {2.0f * xw + postT * 0.3f, 0.06f, 0.06f}, 0.01f, 0);  // a capping rail
    slab(b, {0.0f, 0.5f * (frameH - 0.05f + footTop), zf}, {w + 0.01f, footTop - frameH + 0.05f, 0.035f}, 0.008f, 0);
    bedding(b, w, len, mattTop, mattT, -len * 0.5f, wide ? 2 : 1, cover);
}


// ---------------------------------------------------------------------------------------------
// Case furniture (desk, cabinet, wardrobe, bookshelf): a carcass, fronts set proud of it with
// small gaps, and handles. Fronts face +Z.

// A door or drawer front centred at (x, y) on a carcass whose front is at z = zf, with a raised
// inner panel when `panelled`. Its rounded edges are what make the seams between fronts read.
void front(AssetBuilder& b, float x, float y, float w, float h, float zf, bool panelled) {
    slab(b, {x, y, zf + 0.008f}, {w, h, 0.02f}, 0.007f, 2);
    const float m = std::min(0.08f, 0.2f * std::min(w, h));
    if (panelled && w > 0.2f && h > 0.2f) slab(b, {x, y, zf + 0.02f}, {w - 2.0f * m, h - 2.0f * m, 0.012f}, 0.0055f, 2);
}

// The handle of a front whose surface is at zf: a bar (vertical or across) or a knob.
void handle(AssetBuilder& b, const glm::vec3& at, bool bar, bool vertical, float length) {
    if (bar) pull(b, at, length, vertical, 0.0065f);
    else knob(b, at, 0.017f);
}

// Desk. Styles: 0 four plain legs, 1 a drawer pedestal, 2 L-shaped with a return, 3 writing desk
// with a hutch of cubbyholes.
void desk(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float width = k.range("width", 1.0f, 1.6f), depth = k.range("depth", 0.55f, 0.75f), height = k.range("height", 0.72f, 0.76f);
    const float topT = k.range("top-thickness", 0.025f, 0.04f), legT = k.range("leg-thickness", 0.04f, 0.06f);
    const float pedW = k.range("pedestal-width", 0.38f, 0.45f), returnL = k.range("return-length", 1.0f, 1.4f), hutchH = k.range("hutch-height", 0.25f, 0.38f);
    const bool bar = k.flag("bar-handles", 0.5f);
    notes.sizeWord = extremeWord(k.position("width"), "small", "large");
    const float W = style == 3 ? width * 0.8f : width, D = style == 3 ? depth * 0.85f : depth, under = height - topT;
    b.part("top");
    slab(b, {0.0f, under + topT * 0.5f, 0.0f}, {W, topT, D}, topT * 0.3f, 0);
    b.part("legs");
    const float ex = W * 0.5f - 0.03f, ez = D * 0.5f - 0.03f;
    auto squareLeg = [&](float x, float z) { slab(b, {x, (under + 0.004f) * 0.5f, z}, {legT, under + 0.004f, legT}, legT * 0.15f, 1); };
    auto panelEnd = [&](float x, float z, float d) { slab(b, {x, (under + 0.004f) * 0.5f, z}, {0.03f, under + 0.004f, d}, 0.005f, 1); };
    // A modesty panel across the back under the top.
    auto modesty = [&](float x0, float x1) { slab(b, {0.5f * (x0 + x1), under - 0.14f, -ez + 0.01f}, {x1 - x0, 0.28f, 0.018f}, 0.004f, 0); };
    if (style == 0) {
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) squareLeg(sx * (ex - legT * 0.5f), sz * (ez - legT * 0.5f));
        b.part("apron");
        for (float sz : {-1.0f, 1.0f}) slab(b, {0.0f, under - 0.04f, sz * (ez - legT * 0.5f)}, {2.0f * ex - legT, 0.08f, 0.02f}, 0.004f, 0);
        for (float sx : {-1.0f, 1.0f}) slab(b, {sx * (ex - legT * 0.5f), under - 0.04f, 0.0f}, {0.02f, 0.08f, 2.0f * ez - legT}, 0.004f, 2);
        b.part("legs");
        modesty(-ex + legT, ex - legT);
    } else if (style == 1 || style == 2) {
        // A pedestal of three drawers on the right; a panel end on the left.
        const float px = ex - pedW * 0.5f + 0.02f, pd = D - 0.05f, zf = -D * 0.5f + 0.01f + pd;
        b.roundedBox({px, (under + 0.004f) * 0.5f, zf - pd * 0.5f}, {pedW, under + 0.004f, pd}, 0.006f);
        if (style == 1) {
            panelEnd(-ex + 0.015f, 0.0f, D - 0.04f);
            modesty(-ex, px - pedW * 0.5f);
        } else {
            // The return runs forward from the left end; panels carry its far end and the corner.
            // (Its back and outer edges stand 2 mm in from the main top's so no edges coincide.)
            const float rw = D * 0.85f, rx = -W * 0.5f + 0.002f + rw * 0.5f;
            b.part("top");
            slab(b, {rx, under + topT * 0.5f, -D * 0.5f + 0.002f + returnL * 0.5f}, {rw, topT, returnL}, topT * 0.3f, 2);
            b.part("legs");
            slab(b, {rx, (under + 0.004f) * 0.5f, -D * 0.5f + returnL - 0.04f}, {rw - 0.06f, under + 0.004f, 0.03f}, 0.005f, 0);
            panelEnd(-W * 0.5f + 0.03f, 0.0f, D - 0.06f);
            modesty(-W * 0.5f + rw, px - pedW * 0.5f);
        }
        b.part("drawers");
        const float dh = (under - 0.06f) / 3.0f;
        for (int i = 0; i < 3; ++i) {
            const float y = 0.05f + dh * (float(i) + 0.5f);
            front(b, px, y, pedW - 0.012f, dh - 0.008f, zf, false);
            b.part("handles");
            handle(b, {px, y + dh * 0.25f, zf + 0.018f}, bar, false, pedW * 0.4f);
            b.part("drawers");
        }
    } else {
        // Writing desk: slim turned legs, a drawer in the apron, a hutch of cubbyholes at the back.
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) turnedLeg(b, sx * (ex - legT * 0.5f), sz * (ez - legT * 0.5f), 0.0f, under + 0.004f, legT * 0.5f);
        b.part("apron");
        const float ah = 0.1f, zf = ez - legT * 0.5f;
        slab(b, {0.0f, under - ah * 0.5f, -(ez - legT * 0.5f)}, {2.0f * ex - legT, ah, 0.02f}, 0.004f, 0);
        for (float sx : {-1.0f, 1.0f}) slab(b, {sx * (ex - legT * 0.5f), under - ah * 0.5f, 0.0f}, {0.02f, ah, 2.0f * ez - legT}, 0.004f, 2);
        slab(b, {0.0f, under - ah * 0.5f, zf - 0.012f}, {2.0f * ex - legT, ah, 0.02f}, 0.004f, 0);
        b.part("drawers");
        front(b, 0.0f, under - ah * 0.5f, W * 0.45f, ah - 0.02f, zf - 0.012f, false);
        b.part("handles");
        handle(b, {-W * 0.1f, under - ah * 0.5f, zf + 0.006f}, false, false, 0.0f);
        handle(b, {W * 0.1f, under - ah * 0.5f, zf + 0.006f}, false, false, 0.0f);
        b.part("hutch");
        const float hd = 0.22f, hz = -D * 0.5f + hd * 0.5f, y0 = height - 0.002f, hw = W - 0.04f, t = 0.018f;
        b.box({0.0f, y0 + hutchH * 0.5f, -D * 0.5f + 0.006f}, {hw - 0.004f, hutchH, 0.01f});
        for (float sx : {-1.0f, 1.0f}) slab(b, {sx * (hw - t) * 0.5f, y0 + hutchH * 0.5f, hz}, {t, hutchH, hd}, 0.004f, 1);
        slab(b, {0.0f, y0 + hutchH - t * 0.5f + 0.001f, hz + 0.005f}, {hw + 0.02f, t, hd + 0.01f}, 0.004f, 0);
        slab(b, {0.0f, y0 + hutchH * 0.45f, hz}, {hw - 2.0f * t + 0.004f, t * 0.8f, hd - 0.004f}, 0.003f, 0);
        for (int i = 1; i < 4; ++i) slab(b, {-hw * 0.5f + hw * float(i) / 4.0f, y0 + hutchH * 0.5f, hz}, {t * 0.8f, hutchH - 0.004f, hd - 0.006f}, 0.003f, 1);
    }
}

// Cabinet. Styles: 0 sideboard with paired doors on legs, 1 chest of drawers, 2 nightstand with a
// drawer over an open niche.
void cabinet(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float wK = k.range("width", 0.0f, 1.0f), hK = k.range("height", 0.0f, 1.0f), depth = k.range("depth", 0.38f, 0.5f);
    const float legH = k.range("leg-height", 0.08f, 0.18f), over = k.range("top-overhang", 0.004f, 0.025f);
    const bool bar = k.flag("bar-handles", 0.6f), panelled = k.flag("panelled", 0.4f);
    const int drawers = k.count("drawers", 3, 5);
    const float legT = k.range("leg-thickness", 0.03f, 0.05f);
    notes.sizeWord = extremeWord(k.position("height"), "low", "tall");
    const float topT = 0.025f;
    float W, H, base;
    if (style == 0) W = 1.2f + 0.6f * wK, H = 0.72f + 0.15f * hK, base = legH;
    else if (style == 1) W = 0.7f + 0.3f * wK, H = 0.8f + 0.4f * hK, base = 0.05f + legH * 0.3f;
    else W = 0.4f + 0.15f * wK, H = 0.5f + 0.15f * hK, base = legH * 0.7f;
    const float D = style == 2 ? depth * 0.85f : depth, zf = D * 0.5f, bodyTop = H - topT;
    b.part("body");
    slab(b, {0.0f, bodyTop + topT * 0.5f - 0.001f, over * 0.5f}, {W + 2.0f * over, topT, D + over}, 0.006f, 0);
    if (style == 2) {
        // An open carcass: sides, bottom, back and a shelf under the drawer.
        const float t = 0.02f, dh = (bodyTop - base) * 0.32f;
        for (float s : {-1.0f, 1.0f}) slab(b, {s * (W - t) * 0.5f, 0.5f * (base + bodyTop), 0.0f}, {t, bodyTop - base + 0.002f, D}, 0.004f, 1);
        slab(b, {0.0f, base + t * 0.5f, 0.0f}, {W - 2.0f * t + 0.004f, t, D}, 0.004f, 0);
        b.box({0.0f, 0.5f * (base + bodyTop), -D * 0.5f + 0.006f}, {W - 0.01f, bodyTop - base, 0.01f});
        b.roundedBox({0.0f, bodyTop - dh * 0.5f, 0.0f}, {W - 2.0f * t + 0.004f, dh, D - 0.01f}, 0.004f);
        b.part("drawers");
        front(b, 0.0f, bodyTop - dh * 0.5f, W - 0.01f, dh - 0.008f, zf - 0.006f, false);
        b.part("handles");
        handle(b, {0.0f, bodyTop - dh * 0.5f, zf + 0.012f}, bar, false, W * 0.35f);
    } else {
        b.roundedBox({0.0f, 0.5f * (base + bodyTop), 0.0f}, {W, bodyTop - base + 0.002f, D}, 0.006f);
        if (style == 0) {
            const int doors = W > 1.5f ? 4 : 2;
            const float dw = W / float(doors);
            b.part("doors");
            for (int i = 0; i < doors; ++i) front(b, -W * 0.5f + dw * (float(i) + 0.5f), 0.5f * (base + bodyTop), dw - 0.012f, bodyTop - base - 0.02f, zf, panelled);
            b.part("handles");
            // Handles near the meeting edges of each pair.
            for (int i = 0; i < doors; ++i) {
                const float x = -W * 0.5f + dw * (float(i) + (i % 2 == 0 ? 0.88f : 0.12f));
                handle(b, {x, base + (bodyTop - base) * 0.6f, zf + (panelled ? 0.026f : 0.018f)}, bar, true, 0.14f);
            }
        } else {
            b.part("drawers");
            const float dh = (bodyTop - base - 0.01f) / float(drawers);
            for (int i = 0; i < drawers; ++i) front(b, 0.0f, base + 0.005f + dh * (float(i) + 0.5f), W - 0.02f, dh - 0.008f, zf, false);
            b.part("handles");
            for (int i = 0; i < drawers; ++i) {
                const float y = base + 0.005f + dh * (float(i) + 0.5f);
                if (bar) pull(b, {0.0f, y, zf + 0.018f}, std::min(0.3f, W * 0.3f), false, 0.0055f);
                else
                    for (float s : {-1.0f, 1.0f}) knob(b, {s * W * 0.27f, y, zf + 0.018f}, 0.015f);
            }
        }
    }
    b.part("legs");
    if (style == 1) {
        slab(b, {0.0f, base * 0.5f + 0.001f, -0.01f}, {W - 0.04f, base + 0.002f, D - 0.06f}, 0.004f, 0);
    } else {
        const float lx = W * 0.5f - legT, lz = D * 0.5f - legT;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) b.frustum({sx * lx, 0.0f, sz * lz}, legT * 0.3f, legT * 0.5f, base + 0.006f, 16);
    }
}

// Wardrobe. Styles: 0 two doors, 1 three doors, 2 two doors over drawers, 3 sliding panels.
void wardrobe(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float wK = k.range("width", 0.0f, 1.0f), H = k.range("height", 1.8f, 2.2f), D = k.range("depth", 0.5f, 0.62f);
    const float plinth = k.range("plinth", 0.06f, 0.12f), cornice = k.range("cornice", 0.0f, 0.05f);
    const bool panelled = k.flag("panelled", 0.6f), bar = k.flag("bar-handles", 0.6f);
    notes.sizeWord = extremeWord(k.position("height"), "low", "tall");
    float W;
    if (style == 0) W = 0.9f + 0.3f * wK;
    else if (style == 1) W = 1.35f + 0.45f * wK;
    else if (style == 2) W = 1.0f + 0.3f * wK;
    else W = 1.5f + 0.5f * wK;
    const float topT = 0.03f, bodyTop = H - topT, zf = D * 0.5f;
    b.part("body");
    b.roundedBox({0.0f, 0.5f * (plinth + bodyTop), 0.0f}, {W, bodyTop - plinth + 0.002f, D}, 0.006f);
    slab(b, {0.0f, bodyTop + topT * 0.5f - 0.001f, cornice * 0.5f}, {W + 2.0f * cornice + 0.004f, topT, D + cornice + 0.002f}, 0.008f, 0);
    if (cornice > 0.02f) slab(b, {0.0f, bodyTop - 0.02f, cornice * 0.25f}, {W + cornice, 0.04f, D + cornice * 0.5f}, 0.01f, 0);
    slab(b, {0.0f, plinth * 0.5f + 0.001f, -0.01f}, {W - 0.03f, plinth + 0.002f, D - 0.04f}, 0.004f, 0);
    const float y0 = plinth + 0.01f, y1 = bodyTop - 0.01f;
    if (style == 3) {
        // Two panels, each a little over half the width, on two tracks.
        b.part("doors");
        const float pw = W * 0.5f + 0.02f;
        for (int i = 0; i < 2; ++i) {
            const float x = (i == 0 ? -1.0f : 1.0f) * (W * 0.5f - pw * 0.5f - 0.004f), z = zf + (i == 0 ? 0.0f : 0.024f);
            front(b, x, 0.5f * (y0 + y1), pw, y1 - y0, z, panelled);
            b.part("handles");
            const float hx = x + (i == 0 ? -1.0f : 1.0f) * (pw * 0.5f - 0.04f);
            slab(b, {hx, 0.5f * (y0 + y1), z + 0.02f}, {0.018f, (y1 - y0) * 0.35f, 0.012f}, 0.004f, 1);
            b.part("doors");
        }
        return;
    }
    const int doors = style == 1 ? 3 : 2;
    const float dw = W / float(doors);
    float doorBottom = y0;
    if (style == 2) {
        b.part("drawers");
        const float dh = 0.2f;
        for (int i = 0; i < 2; ++i) {
            const float y = y0 + dh * (float(i) + 0.5f);
            front(b, 0.0f, y, W - 0.01f, dh - 0.008f, zf, false);
            b.part("handles");
            handle(b, {0.0f, y, zf + 0.018f}, bar, false, 0.2f);
            b.part("drawers");
        }
        doorBottom = y0 + 2.0f * dh;
    }
    b.part("doors");
    for (int i = 0; i < doors; ++i) front(b, -W * 0.5f + dw * (float(i) + 0.5f), 0.5f * (doorBottom + y1), dw - 0.012f, y1 - doorBottom, zf, panelled);
    b.part("handles");
    const float hy = std::min(1.05f, 0.5f * (doorBottom + y1));
    for (int i = 0; i < doors; ++i) {
        // Handles by the edge each door opens from: the pair meets in the middle, the third
        // door's handle sits by its left edge.
        const bool leftEdge = i % 2 == 1;
        const float x = -W * 0.5f + dw * (float(i) + (leftEdge ? 0.1f : 0.9f));
        handle(b, {x, hy, zf + (panelled ? 0.026f : 0.018f)}, bar, true, 0.32f);
    }
}

// Bookshelf: a case with a back. Styles: 0 plinth and crown moulding, 1 two bays side by side,
// 2 cupboard doors below the shelves.
void bookshelf(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float hK = k.range("height", 0.0f, 1.0f), wK = k.range("width", 0.0f, 1.0f), D = k.range("depth", 0.28f, 0.38f);
    const float bt = k.range("board-thickness", 0.018f, 0.028f), spacing = k.range("spacing", 0.28f, 0.36f);
    const float plinth = k.range("plinth", 0.05f, 0.1f), crown = k.range("crown", 0.02f, 0.045f);
    const float lowH = k.range("cupboard-height", 0.7f, 0.8f);
    const bool stagger = k.flag("staggered", 0.5f);
    notes.sizeWord = extremeWord(k.position("height"), "low", "tall");
    float W, H;
    if (style == 0) W = 0.7f + 0.3f * wK, H = 1.5f + 0.6f * hK;
    else if (style == 1) W = 1.3f + 0.5f * wK, H = 0.9f + 1.1f * hK;
    else W = 0.8f + 0.4f * wK, H = 1.8f + 0.3f * hK;
    const float zf = D * 0.5f, r = bt * 0.25f, inW = W - 2.0f * bt;
    b.part("body");
    for (float s : {-1.0f, 1.0f}) slab(b, {s * (W - bt) * 0.5f, H * 0.5f, 0.0f}, {bt, H, D}, r, 1);
    b.box({0.0f, H * 0.5f, -zf + 0.006f}, {W - 0.006f, H - 0.004f, 0.01f});
    slab(b, {0.0f, plinth * 0.5f, zf - 0.02f}, {inW + 0.004f, plinth, bt}, r, 0);
    // The top: flush on a plain case, a stepped crown on the classic one.
    if (style == 0) {
        slab(b, {0.0f, H + 0.01f, crown * 0.5f}, {W + 2.0f * crown, 0.024f, D + crown}, 0.006f, 0);
        slab(b, {0.0f, H + 0.032f, crown * 0.5f + 0.005f}, {W + 2.0f * crown + 0.02f, 0.022f, D + crown + 0.01f}, 0.008f, 0);
    } else {
        slab(b, {0.0f, H - bt * 0.5f, 0.0f}, {inW + 0.004f, bt, D}, r, 0);
    }
    b.part("shelves");
    auto shelvesBetween = [&](float x0, float x1, float y0, float y1, bool half) {
        const int n = std::max(1, int(std::lround((y1 - y0) / spacing)));
        for (int i = half ? 0 : 1; i < n; ++i) {
            const float y = lerp(y0, y1, (float(i) + (half ? 0.5f : 0.0f)) / float(n));
            slab(b, {0.5f * (x0 + x1), y, 0.005f}, {x1 - x0 + 0.004f, bt, D - 0.01f}, r, 0);
        }
    };
    const float bottom = plinth + bt * 0.5f, top = style == 0 ? H - 0.002f : H - bt;
    slab(b, {0.0f, bottom, 0.0f}, {inW + 0.004f, bt, D}, r, 0);
    if (style == 0) {
        shelvesBetween(-inW * 0.5f, inW * 0.5f, bottom, top, false);
    } else if (style == 1) {
        b.part("body");
        slab(b, {0.0f, 0.5f * (bottom + top), 0.0f}, {bt, top - bottom, D - 0.01f}, r, 1);
        b.part("shelves");
        shelvesBetween(-inW * 0.5f, -bt * 0.5f, bottom, top, false);
        shelvesBetween(bt * 0.5f, inW * 0.5f, bottom, top, stagger);
    } else {
        // A ledge over the cupboard, a little deeper than the case.
        slab(b, {0.0f, lowH, 0.012f}, {inW + 0.004f, bt * 1.4f, D + 0.02f}, r, 0);
        shelvesBetween(-inW * 0.5f, inW * 0.5f, lowH, top, false);
        b.part("doors");
        const float dy0 = plinth + 0.004f, dy1 = lowH - bt * 0.7f - 0.004f, dw = W * 0.5f;
        for (float s : {-1.0f, 1.0f}) front(b, s * dw * 0.5f, 0.5f * (dy0 + dy1), dw - 0.012f, dy1 - dy0, zf, true);
        b.part("handles");
        for (float s : {-1.0f, 1.0f}) knob(b, {s * 0.06f, dy1 - 0.1f, zf + 0.026f}, 0.017f);
    }
}

} // namespace

void addFurniture(std::vector<CategoryDef>& out) {
    const std::vector<MK> woodish{MK::Wood, MK::Painted, MK::Metal, MK::Plastic};
    out.push_back({{"chair",
                    "furniture",
                    {{"round-legs", "with four round legs"}, {"square-legs", "with square legs"}, {"armrests", "with a pair of armrests"},
                     {"slatted", "with a slatted back"}},
                    {{"seat", 0}, {"backrest", 0}, {"legs", 1}, {"armrests", 1}},
                    {{"seat", false, {MK::Wood, MK::Painted, MK::Plastic, MK::Fabric, MK::Leather}}, {"frame", false, woodish}},
                    0.6f, 1.25f,
                    {{"leg-length", "make the legs longer", "make the legs shorter"}, {"back-height", "make the back taller", "make the back lower"}}},
                   chair});
    out.push_back({{"stool",
                    "furniture",
                    {{"three-legs", "with three splayed legs and a foot ring"}, {"four-legs", "with four legs and rungs"},
                     {"bar", "on a pedestal at bar height"}},
                    {{"seat", 0}, {"legs", 1}, {"footrest", 1}},
                    {{"seat", false, {MK::Wood, MK::Painted, MK::Plastic, MK::Leather}}, {"base", false, {MK::Metal, MK::Wood, MK::Painted}}},
                    0.38f, 0.95f,
                    {{"seat-height", "make the stool taller", "make the stool shorter"}, {"seat-size", "make the seat wider", "make the seat narrower"}}},
                   stool});
    out.push_back({{"table",
                    "furniture",
                    {{"pedestal", "in a round pedestal design"}, {"four-legs", "with four legs and an apron"},
                     {"trestle", "on trestle supports with a stretcher"}},
                    {{"top", 0}, {"legs", 1}, {"apron", 1}},
                    {{"top", false, {MK::Wood, MK::Painted, MK::Stone, MK::Glass}}, {"base", false, {MK::Wood, MK::Metal, MK::Painted}}},
                    0.7f, 2.3f,
                    {{"size", "make the table bigger", "make the table smaller"}, {"height", "make the table taller", "make the table lower"}}},
                   table});
    out.push_back({{"bench",
                    "furniture",
                    {{"backless", "without a back"}, {"backrest", "with a slatted backrest"}, {"park", "for a park, with curved slats"}},
                    {{"seat", 0}, {"backrest", 0}, {"legs", 1}, {"rails", 1}, {"armrests", 1}},
                    {{"seat", false, {MK::Wood, MK::Painted, MK::Plastic, MK::Metal}}, {"frame", false, {MK::Metal, MK::Wood, MK::Painted, MK::Rusty}}},
                    0.95f, 2.0f,
                    {{"length", "make the bench longer", "make the bench shorter"}, {"seat-height", "raise the seat", "lower the seat"}}},
                   bench});
    out.push_back({{"shelf",
                    "furniture",
                    {{"panels", "with solid side panels"}, {"ladder", "leaning like a ladder"}, {"posts", "on four slim posts"},
                     {"cubbies", "with square cubbies"}},
                    {{"shelves", 0}, {"frame", 1}},
                    {{"shelves", true, {MK::Wood, MK::Painted, MK::Metal, MK::Plastic}}, {"frame", false, {MK::Wood, MK::Metal, MK::Painted}}},
                    0.6f, 2.1f,
                    {{"height", "make the shelf taller", "make the shelf lower"}, {"width", "make the shelf wider", "make the shelf narrower"}}},
                   shelf});
    out.push_back({{"lamp",
                    "furniture",
                    {{"floor", "standing on the floor"}, {"desk", "with an adjustable arm"}, {"table", "with a bulbous body"},
                     {"arc", "with an arching pole"}},
                    {{"shade", 0}, {"base", 1}, {"stand", 1}},
                    {{"shade", false, {MK::Fabric, MK::Painted, MK::Metal, MK::Plastic, MK::Glass}},
                     {"base", false, {MK::Metal, MK::Wood, MK::Ceramic, MK::Painted}}},
                    0.28f, 2.2f,
                    {{"height", "make the lamp taller", "make the lamp shorter"}, {"shade-size", "make the shade bigger", "make the shade smaller"}}},
                   lamp});
    const std::vector<MK> upholstery{MK::Fabric, MK::Leather};
    out.push_back({{"sofa",
                    "furniture",
                    {{"two-seat", "for two people"}, {"three-seat", "for three people"}, {"corner", "in a corner layout"}, {"rolled-arms", "with rolled arms"}},
                    {{"frame", 0}, {"backrest", 0}, {"arms", 0}, {"cushions", 0}, {"legs", 1}},
                    {{"upholstery", true, upholstery}, {"legs", true, {MK::Wood, MK::Metal, MK::Plastic}}},
                    1.3f, 2.9f,
                    {{"back-height", "make the back taller", "make the back lower"}, {"leg-length", "make the legs longer", "make the legs shorter"}}},
                   sofa});
    out.push_back({{"armchair",
                    "furniture",
                    {{"club", "in a boxy club shape"}, {"wingback", "with a winged back"}, {"mid-century", "in a mid-century style on tapered feet"}},
                    {{"frame", 0}, {"backrest", 0}, {"arms", 0}, {"wings", 0}, {"cushions", 0}, {"legs", 1}},
                    {{"upholstery", true, upholstery}, {"legs", true, {MK::Wood, MK::Metal}}},
                    0.65f, 1.3f,
                    {{"back-height", "make the back taller", "make the back lower"}, {"leg-length", "make the legs longer", "make the legs shorter"}}},
                   armchair});
    out.push_back({{"bed",
                    "furniture",
                    {{"single", "for one sleeper"}, {"double", "for two sleepers"}, {"bunk", "with a second bunk above"}, {"four-poster", "with four corner posts"}},
                    {{"mattress", 0}, {"pillows", 0}, {"blanket", 1}, {"frame", 2}, {"headboard", 2}, {"ladder", 2}},
                    {{"bedding", true, {MK::Fabric}}, {"blanket", false, {MK::Fabric}}, {"frame", false, {MK::Wood, MK::Metal, MK::Painted}}},
                    1.9f, 2.4f,
                    {{"headboard-height", "make the headboard taller", "make the headboard lower"}, {"frame-height", "raise the bed", "lower the bed"}}},
                   bed});
    const std::vector<MK> handles{MK::Metal, MK::Wood, MK::Plastic};
    out.push_back({{"desk",
                    "furniture",
                    {{"plain", "on four plain legs"}, {"pedestal", "with a drawer pedestal"}, {"l-shaped", "with a corner return"},
                     {"writing", "for writing, with a hutch of cubbyholes"}},
                    {{"top", 0}, {"hutch", 0}, {"legs", 1}, {"apron", 1}, {"drawers", 1}, {"handles", 1}},
                    {{"top", false, {MK::Wood, MK::Painted, MK::Plastic}}, {"base", false, {MK::Wood, MK::Metal, MK::Painted}}},
                    0.78f, 1.8f,
                    {{"width", "make the desk wider", "make the desk narrower"}, {"height", "make the desk taller", "make the desk lower"}}},
                   desk});
    out.push_back({{"cabinet",
                    "furniture",
                    {{"sideboard", "as a sideboard with paired doors"}, {"chest", "with a stack of drawers"}, {"nightstand", "for a bedside, with one drawer and a niche"}},
                    {{"body", 0}, {"doors", 0}, {"drawers", 0}, {"legs", 0}, {"handles", 1}},
                    {{"body", false, {MK::Wood, MK::Painted, MK::Metal, MK::Plastic}}, {"handles", true, handles}},
                    0.45f, 1.9f,
                    {{"width", "make the cabinet wider", "make the cabinet narrower"}, {"height", "make the cabinet taller", "make the cabinet lower"}}},
                   cabinet});
    out.push_back({{"wardrobe",
                    "furniture",
                    {{"two-door", "with two doors"}, {"three-door", "with three doors"}, {"drawers", "with drawers under the doors"},
                     {"sliding", "with sliding panels"}},
                    {{"body", 0}, {"doors", 0}, {"drawers", 0}, {"handles", 1}},
                    {{"body", false, {MK::Wood, MK::Painted, MK::Metal}}, {"handles", true, handles}},
                    1.75f, 2.35f,
                    {{"height", "make the wardrobe taller", "make the wardrobe lower"}, {"width", "make the wardrobe wider", "make the wardrobe narrower"}}},
                   wardrobe});
    out.push_back({{"bookshelf",
                    "furniture",
                    {{"classic", "with a plinth and crown moulding"}, {"two-bays", "with two bays side by side"}, {"cupboard", "with cupboard doors below"}},
                    {{"body", 0}, {"doors", 0}, {"handles", 0}, {"shelves", 1}},
                    {{"body", false, {MK::Wood, MK::Painted, MK::Metal}}, {"shelves", true, {MK::Wood, MK::Painted, MK::Metal}}},
                    0.85f, 2.25f,
                    {{"height", "make the bookshelf taller", "make the bookshelf lower"}, {"width", "make the bookshelf wider", "make the bookshelf narrower"}}},
                   bookshelf});
}

} // namespace kiln::procgen::detail
