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
        const glm::vec3 tip = elbow + l2 * glm::vec3(0.0f, std::sin(-0.12f), std::cos(-0.12f));
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
                    {{"pedestal", "round, on a central pedestal"}, {"four-legs", "with four legs and an apron"},
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
}

} // namespace kiln::procgen::detail
