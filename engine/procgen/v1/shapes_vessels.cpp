// Vessels and containers: mug, bowl, vase, bottle, barrel, crate.
#include "shapes.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace kiln::procgen::v1::detail {

namespace {

constexpr float kPi = std::numbers::pi_v<float>;

// Radius through (r, y) control points, eased (zero slope at each control point) so bellies and
// necks come out round; `perSpan` samples between consecutive controls.
std::vector<glm::vec2> easedOutline(const std::vector<glm::vec2>& yr, int perSpan) {
    std::vector<glm::vec2> out;
    for (std::size_t i = 0; i + 1 < yr.size(); ++i)
        for (int k = 0; k < perSpan; ++k) {
            const float t = float(k) / float(perSpan), e = 0.5f - 0.5f * std::cos(kPi * t);
            out.push_back({yr[i].x + (yr[i + 1].x - yr[i].x) * e, yr[i].y + (yr[i + 1].y - yr[i].y) * t});
        }
    out.push_back(yr.back());
    return out;  // (r, y) points from bottom to top
}

// A closed solid of revolution: outer outline (r, y) bottom to top, then a cylindrical cavity of
// radius `innerR` from the rim down to `floorY` (no cavity when innerR <= 0).
std::vector<glm::vec2> vesselProfile(const std::vector<glm::vec2>& outer, float innerR, float floorY) {
    std::vector<glm::vec2> p{{0.0f, outer.front().y}};
    p.insert(p.end(), outer.begin(), outer.end());
    const float top = outer.back().y;
    if (innerR > 0.0f) {
        p.push_back({innerR, top});
        p.push_back({innerR, floorY});
        p.push_back({0.0f, floorY});
    } else {
        p.push_back({0.0f, top});
    }
    return p;
}

// Styles: 0 with-handle, 1 without-handle.
void mug(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    const float r = rng.uniform(0.038f, 0.05f), h = rng.uniform(0.08f, 0.12f, tH), wall = rng.uniform(0.005f, 0.007f);
    notes.sizeWord = extremeWord(tH, "short", "tall");
    const float taper = rng.uniform(0.85f, 1.0f);
    const std::vector<glm::vec2> outer{{r * taper, 0.0f}, {r, h}};
    // Wall thickness measured at the narrower bottom keeps the cavity inside a tapered wall.
    b.lathe(vesselProfile(outer, r * taper - wall, rng.uniform(0.007f, 0.011f)), 40);
    if (style == 0) {
        const float reach = rng.uniform(0.025f, 0.035f), span = h * rng.uniform(0.28f, 0.36f), tubeR = rng.uniform(0.0055f, 0.0075f);
        const float cy = h * 0.5f, x0 = r * taper - wall * 0.5f;
        std::vector<glm::vec3> path;
        // A half ellipse out from the wall and back, its ends buried in the wall.
        for (int i = 0; i <= 16; ++i) {
            const float a = kPi * 0.5f - kPi * float(i) / 16.0f;
            const float x = x0 + (r - x0 + reach) * std::cos(a);
            path.push_back({std::max(x, x0), cy + span * std::sin(a), 0.0f});
        }
        path.front().x = x0 - 0.002f;
        path.back().x = x0 - 0.002f;
        b.tube(path, tubeR, 12);
    }
}

// Styles: 0 shallow, 1 deep, 2 footed.
void bowl(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tR = 0.0f;
    const float r = rng.uniform(0.07f, 0.15f, tR), wall = std::max(0.004f, r * 0.05f);
    notes.sizeWord = extremeWord(tR, "small", "large");
    const float h = r * (style == 1 ? rng.uniform(0.65f, 0.85f) : rng.uniform(0.35f, 0.5f));
    const float foot = style == 2 ? h * rng.uniform(0.35f, 0.5f) : 0.0f;
    const float baseR = r * (style == 2 ? 0.35f : rng.uniform(0.35f, 0.5f));
    // Outer wall a quarter ellipse from the base ring to the rim; inner wall follows it `wall` in.
    std::vector<glm::vec2> p{{0.0f, foot}, {baseR, foot}};
    const int n = 14;
    for (int i = 1; i <= n; ++i) {
        const float a = 0.5f * kPi * float(i) / float(n);
        p.push_back({baseR + (r - baseR) * std::sin(a), foot + h * (1.0f - std::cos(a))});
    }
    const float rimIn = r - wall;
    for (int i = n; i >= 1; --i) {
        const float a = 0.5f * kPi * float(i) / float(n);
        const float ri = (baseR - wall) * 0.9f + (rimIn - (baseR - wall) * 0.9f) * std::sin(a);
        p.push_back({ri, foot + wall + (h - wall) * (1.0f - std::cos(a))});
    }
    p.push_back({0.0f, foot + wall});
    b.lathe(p, 48);
    if (style == 2) b.frustum({0.0f, 0.0f, 0.0f}, baseR * rng.uniform(0.95f, 1.15f), baseR * 0.75f, foot + wall * 0.5f, 40);
}

// Styles: 0 narrow-neck, 1 straight, 2 flared.
void vase(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    const float h = rng.uniform(0.2f, 0.45f, tH), rb = h * rng.uniform(0.25f, 0.35f), wall = std::max(0.004f, rb * 0.06f);
    notes.sizeWord = extremeWord(tH, "short", "tall");
    std::vector<glm::vec2> controls;  // (r, y)
    float cavity = 0.0f;
    if (style == 0) {
        const float belly = rng.uniform(0.3f, 0.45f), neck = rb * rng.uniform(0.22f, 0.32f);
        controls = {{rb * 0.6f, 0.0f}, {rb, h * belly}, {neck, h * 0.78f}, {neck, h * 0.92f}, {neck * 1.35f, h}};
        cavity = h * 0.2f;
    } else if (style == 1) {
        const float rr = rb * rng.uniform(0.65f, 0.8f);
        controls = {{rr * 0.92f, 0.0f}, {rr, h * 0.5f}, {rr, h}};
        cavity = h * 0.85f;
    } else {
        const float waist = rb * rng.uniform(0.35f, 0.45f);
        controls = {{rb * 0.65f, 0.0f}, {waist, h * rng.uniform(0.35f, 0.5f)}, {rb * rng.uniform(0.9f, 1.1f), h}};
        cavity = h * 0.5f;
    }
    const std::vector<glm::vec2> outer = easedOutline(controls, 8);
    float minR = 1e9f;
    for (const glm::vec2& q : outer)
        if (q.y >= h - cavity - wall) minR = std::min(minR, q.x);
    b.lathe(vesselProfile(outer, minR - wall, h - cavity), 40);
}

// Styles: 0 round (a bottle turned on a lathe), 1 square (square body, round neck).
void bottle(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    const float h = rng.uniform(0.18f, 0.34f, tH), r = h * rng.uniform(0.16f, 0.24f), neckR = r * rng.uniform(0.3f, 0.42f);
    const float shoulder = h * rng.uniform(0.55f, 0.7f), neckBase = shoulder + h * 0.12f;
    notes.sizeWord = extremeWord(tH, "short", "tall");
    const float lipR = neckR * 1.18f, lip = h * 0.03f;
    if (style == 0) {
        std::vector<glm::vec2> controls{{r * 0.95f, 0.0f}, {r, h * 0.05f}, {r, shoulder}, {neckR, neckBase}, {neckR, h - lip}};
        std::vector<glm::vec2> outer = easedOutline(controls, 6);
        outer.push_back({lipR, h - lip});
        outer.push_back({lipR, h});
        b.lathe(vesselProfile(outer, neckR * 0.7f, h - h * 0.15f), 40);
    } else {
        const float s = r * 1.75f, depth = s * rng.uniform(0.7f, 1.0f), base = 0.46f * depth;
        b.box({0.0f, shoulder * 0.5f, 0.0f}, {s, shoulder, depth});
        std::vector<glm::vec2> outer{{base, shoulder - 0.01f}, {base, shoulder + 0.004f}};
        for (int i = 1; i <= 6; ++i) {
            const float t = float(i) / 6.0f;
            outer.push_back({base + (neckR - base) * std::sin(0.5f * kPi * t), shoulder + (neckBase - shoulder) * t});
        }
        outer.push_back({neckR, h - lip});
        outer.push_back({lipR, h - lip});
        outer.push_back({lipR, h});
        b.lathe(vesselProfile(outer, neckR * 0.7f, h - h * 0.15f), 32);
    }
}

// Styles: 0 upright, 1 lying (on its side).
void barrel(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    const float h = rng.uniform(0.5f, 0.95f, tH), rEnd = h * rng.uniform(0.28f, 0.34f), bulge = rEnd * rng.uniform(1.1f, 1.2f);
    notes.sizeWord = extremeWord(tH, "small", "large");
    const glm::mat4 xf = style == 1 ? translation({0.0f, bulge, 0.0f}) * rotationZ(kPi * 0.5f) * translation({0.0f, -h * 0.5f, 0.0f})
                                    : glm::mat4(1.0f);
    auto radius = [&](float y) { return rEnd + (bulge - rEnd) * std::sin(kPi * y / h); };
    std::vector<glm::vec2> p{{0.0f, 0.0f}};
    for (int i = 0; i <= 12; ++i) p.push_back({radius(h * float(i) / 12.0f), h * float(i) / 12.0f});
    p.push_back({0.0f, h});
    b.lathe(p, 40, xf);
    const float hoopR = h * 0.012f;
    for (float f : {0.1f, 0.3f, 0.7f, 0.9f}) b.torus({0.0f, h * f, 0.0f}, radius(h * f), hoopR, 40, 8, xf);
}

// Styles: 0 slatted (open top, gaps between the slats), 1 closed (a lidded box with edge trims).
void crate(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tW = 0.0f;
    const float w = rng.uniform(0.3f, 0.7f, tW), d = w * rng.uniform(0.6f, 1.0f), h = w * rng.uniform(0.5f, 0.8f);
    notes.sizeWord = extremeWord(tW, "small", "large");
    const float post = w * 0.07f;
    if (style == 0) {
        b.box({0.0f, post * 0.25f, 0.0f}, {w - post, post * 0.5f, d - post});  // floor
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) b.box({sx * (w - post) * 0.5f, h * 0.5f, sz * (d - post) * 0.5f}, {post, h, post});
        const int slats = rng.range(3, 4);
        const float slatH = h / (float(slats) * 1.6f), t = post * 0.35f;
        for (int i = 0; i < slats; ++i) {
            const float y = slatH * 0.5f + (h - slatH) * float(i) / float(slats - 1);
            for (float s : {-1.0f, 1.0f}) {
                b.box({0.0f, y, s * (d - post) * 0.5f}, {w - post, slatH, t});
                b.box({s * (w - post) * 0.5f, y, 0.0f}, {t, slatH, d - post});
            }
        }
    } else {
        b.box({0.0f, h * 0.5f, 0.0f}, {w, h, d});
        const float trim = post * 0.8f, out = trim * 0.4f;
        // Edge trims stand slightly proud of the faces (they overlap the box, never share its edges).
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) b.box({sx * (w * 0.5f - trim * 0.5f + out), h * 0.5f, sz * (d * 0.5f - trim * 0.5f + out)}, {trim, h * 0.98f, trim});
        for (float sy : {0.0f, 1.0f})
            for (float s : {-1.0f, 1.0f}) {
                const float y = sy > 0.0f ? h - trim * 0.5f + out : trim * 0.5f - out * 0.5f;
                b.box({0.0f, y, s * (d * 0.5f - trim * 0.5f + out)}, {w * 0.97f, trim, trim});
                b.box({s * (w * 0.5f - trim * 0.5f + out), y, 0.0f}, {trim, trim, d * 0.97f});
            }
        b.box({0.0f, h * 0.5f, d * 0.5f + out * 0.5f}, {trim * 0.8f, h * 0.9f, trim * 0.5f});  // middle board on the front
    }
}

} // namespace

void addVessels(std::vector<CategoryDef>& out) {
    using M = MaterialKind;
    out.push_back({"mug", {{"with-handle", "with a handle"}, {"without-handle", "without a handle"}}, {M::Ceramic, M::Metal, M::Plastic}, mug});
    out.push_back({"bowl",
                   {{"shallow", "with shallow sides"}, {"deep", "with deep sides"}, {"footed", "with a raised foot"}},
                   {M::Ceramic, M::Wood, M::Metal, M::Stone, M::Plastic},
                   bowl});
    out.push_back({"vase",
                   {{"narrow-neck", "with a narrow neck"}, {"straight", "with straight sides"}, {"flared", "with a flared rim"}},
                   {M::Ceramic, M::Stone, M::Metal},
                   vase});
    out.push_back({"bottle", {{"round", "with a round body"}, {"square", "with a square body"}}, {M::Plastic, M::Ceramic, M::Metal}, bottle});
    out.push_back({"barrel", {{"upright", "standing upright"}, {"lying", "lying on its side"}}, {M::Wood, M::Metal, M::Plastic}, barrel});
    out.push_back({"crate", {{"slatted", "with slatted sides"}, {"closed", "with a closed lid"}}, {M::Wood, M::Plastic, M::Metal}, crate});
}

} // namespace kiln::procgen::v1::detail
