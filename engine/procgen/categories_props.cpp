// Props of the procedural library (procgen/category_defs.h): chest, book, potion, lantern,
// streetlight, fence, tyre, birdhouse, boat and rocket. Metres, +Y up; sizes follow the real
// objects (a dinghy is 3-4 m, a car tyre 0.55-0.75 m across, a birdhouse 20-40 cm tall).
#include "procgen/category_defs.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

namespace kiln::procgen::detail {

namespace {

using glm::vec2;
using glm::vec3;

// --- Shared helpers ---------------------------------------------------------------------------

// Twice the signed area of a polygon (positive: counter-clockwise).
float signedArea2(const std::vector<vec2>& poly) {
    float a = 0.0f;
    for (std::size_t i = 0; i < poly.size(); ++i) {
        const vec2 p = poly[i], q = poly[(i + 1) % poly.size()];
        a += p.x * q.y - q.x * p.y;
    }
    return a;
}

// prism() wants counter-clockwise outlines; outlines built from shape logic may run either way.
std::vector<vec2> ccw(std::vector<vec2> poly) {
    if (signedArea2(poly) < 0.0f) std::reverse(poly.begin(), poly.end());
    return poly;
}

// The outline starting at its k-th point. prism() unrolls its side walls into a strip of quads
// that share no vertices; when a seam's running length is a simple multiple of a side of the
// chart that limits the atlas density (the prism's own cap: a rectangle's first edge is its
// width; or a 2.6r fin root against a 1.4r disc), the seam lands exactly on a texel centre and
// both quads claim it. Outlines therefore start with a slanted or curved edge, whose length is
// no simple multiple of anything, so every seam after it is offset by it.
std::vector<vec2> startAt(std::vector<vec2> poly, std::size_t k) {
    std::rotate(poly.begin(), poly.begin() + std::ptrdiff_t(k % poly.size()), poly.end());
    return poly;
}

// The outline mirrored in x (mirroring reverses the winding, so the order is reversed too).
std::vector<vec2> mirroredX(const std::vector<vec2>& poly) {
    std::vector<vec2> out(poly.rbegin(), poly.rend());
    for (vec2& p : out) p.x = -p.x;
    return out;
}

// Maps prism/section coordinates (x, y, z) to world (z, y, x) + offset: outlines drawn in a side
// view (depth, height) are extruded along world X. A mirror; the builder keeps faces outward.
glm::mat4 sideView(const vec3& offset = vec3(0.0f)) {
    glm::mat4 m(0.0f);
    m[0] = glm::vec4(0, 0, 1, 0);
    m[1] = glm::vec4(0, 1, 0, 0);
    m[2] = glm::vec4(1, 0, 0, 0);
    m[3] = glm::vec4(offset, 1);
    return m;
}

// An ellipsoid whose UV chart is measured in its own metres. (AssetBuilder::ellipsoid() scales a
// unit sphere, so its chart is 2pi x pi "metres" whatever the radii: a 5 cm knob then claims as
// much of the atlas as a 6 m wall and starves every other part of texels.)
void ellipsoid(AssetBuilder& b, const vec3& centre, const vec3& radii, int segments) {
    const int rings = std::max(3, segments / 2);
    std::vector<vec2> profile{{0.0f, -radii.y}};
    for (int i = 1; i < rings; ++i) {
        const float a = -0.5f * kPi + kPi * float(i) / float(rings);
        profile.push_back({radii.x * std::cos(a), radii.y * std::sin(a)});
    }
    profile.push_back({0.0f, radii.y});
    b.lathe(profile, segments, translation(centre) * scaling({1.0f, 1.0f, radii.z / radii.x}), 80.0f);
}

// Points of a cubic Bezier curve (tube paths for arms, handles).
std::vector<vec3> bezier(const vec3& p0, const vec3& p1, const vec3& p2, const vec3& p3, int n) {
    std::vector<vec3> out;
    for (int i = 0; i <= n; ++i) {
        const float t = float(i) / float(n), s = 1.0f - t;
        out.push_back(s * s * s * p0 + 3.0f * s * s * t * p1 + 3.0f * s * t * t * p2 + t * t * t * p3);
    }
    return out;
}

// Upper half of an ellipse from (+a, y0) over the top to (-a, y0); with its straight base it is a
// counter-clockwise outline (a curved chest lid, a band over it).
std::vector<vec2> arch(float halfWidth, float height, float y0, int n) {
    std::vector<vec2> out;
    for (int i = 0; i <= n; ++i) {
        const float a = kPi * float(i) / float(n);
        out.push_back({halfWidth * std::cos(a), y0 + height * std::sin(a)});
    }
    return out;
}

// The profile with every interior point flanked by two close points, so that normals smoothed
// over it (displace()) bend only in thin bands at its creases and stay flat in between.
std::vector<vec2> sharpened(const std::vector<vec2>& p, float fraction = 0.03f) {
    std::vector<vec2> out{p.front()};
    for (std::size_t i = 1; i + 1 < p.size(); ++i) {
        out.push_back(p[i] + (p[i - 1] - p[i]) * fraction);
        out.push_back(p[i]);
        out.push_back(p[i] + (p[i + 1] - p[i]) * fraction);
    }
    out.push_back(p.back());
    return out;
}

// Pulls every vertex of the current part (lathes around +Y through the origin) onto an n-sided
// polygon in plan, the first flat facing +X: pyramids, faceted glass. The lathe needs a multiple
// of 2n segments so the corners are vertices; its smoothed normals are then exactly flat across
// each face but for bands one segment wide at the corners. (Faceted displacement would split
// every triangle loose, and loose triangles sharing a UV corner that falls on a texel centre
// would all claim that texel.) Call it before the part's other primitives.
void polygonPlan(AssetBuilder& b, int sides) {
    const float step = 2.0f * kPi / float(sides), flat = std::cos(kPi / float(sides));
    b.displace([=](const vec3& p) {
        const float r = std::sqrt(p.x * p.x + p.z * p.z);
        if (r < 1e-9f) return p;
        const float a = std::atan2(p.z, p.x), local = a - step * std::round(a / step);
        const float scale = flat / std::cos(local);
        return vec3(p.x * scale, p.y, p.z * scale);
    });
}

// A square frustum or pyramid whose faces look along the axes, `halfWidth` measured across the
// flats (polygonPlan() makes it square; call that next).
void squareFrustum(AssetBuilder& b, const vec3& base, float halfWidth0, float halfWidth1, float height) {
    const float k = std::sqrt(2.0f);
    std::vector<vec2> profile{{0.0f, 0.0f}, {halfWidth0 * k, 0.0f}};
    if (halfWidth1 > 0.0f) profile.push_back({halfWidth1 * k, height});
    profile.push_back({0.0f, height});
    b.lathe(sharpened(profile), 32, translation(base), 10.0f);
}

// --- Chest ------------------------------------------------------------------------------------

// Styles: 0 treasure chest (curved lid, two bands), 1 plain box chest, 2 banded chest.
void chest(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float width = k.range("width", 0.5f, 0.92f), depth = width * k.range("depth", 0.52f, 0.68f);
    const float height = width * k.range("height", 0.42f, 0.62f);
    const float lidRise = k.range("lid-rise", 0.55f, 1.0f), lidT = k.range("lid-thickness", 0.05f, 0.08f);
    const float bandW = width * k.range("band-width", 0.04f, 0.065f);
    const int bands = k.count("bands", 3, 4);
    const bool handles = k.flag("handles", 0.7f);
    notes.sizeWord = extremeWord(k.position("width"), "small", "large");

    const float over = 0.008f;  // the lid overhangs the body a little
    const float rise = 0.5f * depth * lidRise;
    b.part("body");
    b.roundedBox({0.0f, 0.5f * height, 0.0f}, {width, height, depth}, 0.008f);
    b.part("lid");
    const bool curved = style == 0;
    const float lidBase = height - 0.003f;
    if (curved) b.prism(arch(0.5f * depth + over, rise, lidBase, 24), -0.5f * width - over, 0.5f * width + over, sideView());
    else b.roundedBox({0.0f, lidBase + 0.5f * lidT, 0.0f}, {width + 2.0f * over, lidT, depth + 2.0f * over}, 0.012f);
    const float lidFront = 0.5f * depth + over;

    // Bands wrap the body and lid from back to front (the lid's in its own outline, larger).
    b.part("bands");
    // A treasure chest's lid has a rim band round its lower edge.
    if (curved) b.box({0.0f, lidBase + 0.35f * bandW, 0.0f}, {width + 2.0f * over + 2.0f * 0.004f, 0.7f * bandW, depth + 2.0f * over + 2.0f * 0.004f});
    std::vector<float> bandX;
    if (style == 0) bandX = {-0.3f * width, 0.3f * width};
    if (style == 2)
        for (int i = 0; i < bands; ++i) bandX.push_back(-0.5f * width + bandW + (width - 2.0f * bandW) * float(i) / float(bands - 1));
    const float bt = 0.005f;  // band thickness
    for (const float x : bandX) {
        b.box({x, 0.5f * height - 0.001f, 0.0f}, {bandW, height - 0.004f, depth + 2.0f * bt});
        if (curved) b.prism(arch(lidFront + bt, rise + over + bt, lidBase - 0.001f, 24), x - 0.5f * bandW, x + 0.5f * bandW, sideView());
        else b.box({x, lidBase + 0.5f * lidT, 0.0f}, {bandW, lidT + 2.0f * bt, depth + 2.0f * (over + bt)});
    }
    if (style == 2) {
        // Rims around the bottom and the top of the body, standing a little prouder than the
        // vertical bands, and corner angles.
        for (const float y : {0.5f * bandW + 0.002f, height - 0.5f * bandW - 0.004f})
            b.box({0.0f, y, 0.0f}, {width + 4.0f * bt, bandW, depth + 4.0f * bt});
        for (const float sx : {-1.0f, 1.0f})
            for (const float sz : {-1.0f, 1.0f})
                b.box({sx * (0.5f * width - 0.012f), 0.5f * height, sz * (0.5f * depth - 0.012f)}, {0.03f, height - 0.01f, 0.03f});
    }
    // Lock plate on the body's front and a hasp down from the lid over it.
    b.part("lock");
    const float lockW = std::max(0.05f, 0.1f * width);
    b.roundedBox({0.0f, height - 0.6f * lockW, 0.5f * depth + 0.004f}, {lockW, 1.1f * lockW, 0.012f}, 0.003f);
    b.roundedBox({0.0f, lidBase + 0.01f - 0.2f * lockW, lidFront + 0.003f}, {0.45f * lockW, 0.9f * lockW, 0.01f}, 0.003f);
    b.cylinder({0.0f, 0.0f, 0.0f}, 0.1f * lockW, 0.012f, 12, translation({0.0f, height - 0.75f * lockW, 0.5f * depth + 0.001f}) * rotationX(kPi / 2.0f));
    // Hinges at the back.
    for (const float sx : {-1.0f, 1.0f})
        b.roundedBox({sx * 0.3f * width, lidBase, -0.5f * depth - 0.004f}, {0.06f * width + 0.02f, 0.07f, 0.01f}, 0.002f);
    if (handles || style == 1) {
        b.part("handles");
        const float hy = 0.72f * height, hw = std::min(0.09f, 0.25f * depth), drop = 0.55f * hw;
        for (const float sx : {-1.0f, 1.0f}) {
            const float x = sx * (0.5f * width + 0.005f);
            b.roundedBox({x, hy, 0.0f}, {0.012f, 0.04f, 2.0f * hw + 0.035f}, 0.003f);
            std::vector<vec3> path;
            for (int i = 0; i <= 10; ++i) {
                const float a = kPi * float(i) / 10.0f;
                path.push_back({x + sx * 0.008f, hy - drop * std::sin(a), hw * std::cos(a)});
            }
            b.tube(path, {0.0065f}, 10);
        }
    }
}

// --- Book -------------------------------------------------------------------------------------

// Styles: 0 closed hardcover, 1 thick tome with raised bands and a clasp, 2 lying open.
void book(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float heightK = k.range("height", 0.17f, 0.29f), widthR = k.range("width", 0.64f, 0.78f);
    const float thicknessK = k.range("thickness", 0.018f, 0.045f), boardK = k.range("board", 0.0025f, 0.004f);
    const int raised = k.count("bands", 3, 5);
    const float spread = k.range("page-curl", 0.6f, 1.0f);
    notes.sizeWord = extremeWord(k.position("height"), "small", "large");

    const bool tome = style == 1;
    const float h = tome ? heightK * 1.3f : heightK, w = h * widthR;
    const float c = tome ? boardK * 1.6f : boardK, t = std::max(2.0f * c + 0.006f, tome ? thicknessK * 1.8f + 0.025f : thicknessK);
    const float ov = 0.003f;  // boards overhang the pages

    if (style == 2) {
        // Open, lying flat: both boards on the table, the page blocks curling up from the gutter.
        const float tp = 0.5f * t, g = 0.004f;
        b.part("cover");
        for (const float s : {-1.0f, 1.0f}) b.roundedBox({s * (0.5f * w + g), 0.5f * c, 0.0f}, {w, c, h}, 0.45f * c);
        b.box({0.0f, 0.4f * c, 0.0f}, {2.0f * g + 0.02f, 0.8f * c, h - 0.001f});
        b.part("pages");
        std::vector<vec2> right{{-0.002f, c - 0.0005f}, {w - ov, c - 0.0005f}};
        const int n = 20;
        for (int i = n; i >= 0; --i) {
            const float s = float(i) / float(n);
            // Pages dip into the gutter, rise within the first third, then sag a little to the edge.
            const float hRise = 0.3f + 0.7f * std::sin(std::min(s / 0.35f, 1.0f) * 0.5f * kPi);
            const float sag = 0.18f * spread * std::pow(std::max(0.0f, (s - 0.35f) / 0.65f), 2.0f);
            right.push_back({-0.002f + s * (w - ov + 0.002f), c + tp * (hRise - sag)});
        }
        right = startAt(ccw(right), 5);
        b.prism(right, -0.5f * h + ov, 0.5f * h - ov);
        b.prism(mirroredX(right), -0.5f * h + ov, 0.5f * h - ov);
        return;
    }
    // Closed, lying on its back board; the spine on -x, the height along z.
    b.part("cover");
    for (const float y : {0.5f * c, t - 0.5f * c}) b.roundedBox({0.0f, y, 0.0f}, {w, c, h}, 0.45f * c);
    const float sx = -0.5f * w + 0.006f, bulge = std::max(0.004f, 0.22f * t);
    std::vector<vec2> spine;
    for (int i = 0; i <= 16; ++i) {
        const float a = 0.5f * kPi + kPi * float(i) / 16.0f;
        spine.push_back({sx + bulge * std::cos(a), 0.5f * t + (0.5f * t - 0.0003f) * std::sin(a)});
    }
    b.prism(ccw(spine), -0.5f * h, 0.5f * h);
    if (tome) {
        // Raised bands across the spine, and a clasp strap over the fore-edge.
        for (int i = 0; i < raised; ++i) {
            const float z = -0.5f * h + h * float(i + 1) / float(raised + 1);
            std::vector<vec2> band;
            for (int j = 0; j <= 16; ++j) {
                const float a = 0.5f * kPi + kPi * float(j) / 16.0f;
                band.push_back({sx + (bulge + 0.0035f) * std::cos(a), 0.5f * t + (0.5f * t - 0.0006f) * std::sin(a)});
            }
            b.prism(ccw(band), z - 0.004f, z + 0.004f);
        }
        const float strapW = 0.1f * h;
        b.roundedBox({0.5f * w - 0.0258f, t + 0.0015f, 0.0f}, {0.059f, 0.004f, strapW}, 0.0015f);
        b.roundedBox({0.5f * w + 0.0015f, 0.5f * (0.45f * t + t + 0.003f), 0.0f}, {0.004f, 0.55f * t + 0.003f, strapW}, 0.0015f);
        // Corner caps on the top board's fore-edge corners.
        for (const float sz : {-1.0f, 1.0f})
            b.roundedBox({0.5f * w - 0.012f, t - 0.5f * c + 0.0008f, sz * (0.5f * h - 0.012f)}, {0.026f, c + 0.0025f, 0.026f}, 0.001f);
    }
    b.part("pages");
    const float px0 = -0.5f * w + 0.004f, px1 = 0.5f * w - ov;
    b.roundedBox({0.5f * (px0 + px1), 0.5f * t, 0.0f}, {px1 - px0, t - 2.0f * c + 0.001f, h - 2.0f * ov}, 0.001f);
}

// --- Potion -----------------------------------------------------------------------------------

// Styles: 0 round flask with a long neck, 1 faceted gem-shaped bottle, 2 slender vial.
void potion(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float radius = k.range("body-radius", 0.032f, 0.06f), neckL = k.range("neck-length", 0.8f, 1.8f);
    const float neckR = k.range("neck-radius", 0.22f, 0.3f), stopperH = k.range("stopper-height", 0.9f, 1.4f);
    const float vialH = k.range("vial-height", 3.6f, 5.0f);
    const int facets = k.count("facets", 6, 8);
    notes.sizeWord = extremeWord(k.position("body-radius"), "small", "large");

    b.part("flask");
    float rn = 0.0f, top = 0.0f;  // the neck's radius and the lip's top
    if (style == 0) {
        const float r = radius, rb = 0.4f * r, cy = std::sqrt(r * r - rb * rb);
        rn = std::max(0.007f, neckR * r);
        std::vector<vec2> p{{0.0f, 0.0f}};
        const float a0 = -std::acos(rb / r), a1 = std::acos((rn * 1.25f) / r);
        for (int i = 0; i <= 20; ++i) {
            const float a = a0 + (a1 - a0) * float(i) / 20.0f;
            p.push_back({r * std::cos(a), cy + r * std::sin(a)});
        }
        const float yj = cy + r * std::sin(a1), nl = neckL * r * 1.2f;
        p.push_back({rn * 1.06f, yj + 0.25f * nl});
        p.push_back({rn, yj + 0.45f * nl});
        p.push_back({rn, yj + nl});
        top = yj + nl + 0.35f * rn;
        p.push_back({rn * 1.28f, yj + nl + 0.05f * rn});
        p.push_back({rn * 1.3f, top});
        p.push_back({0.0f, top});
        b.lathe(p, 40, glm::mat4(1.0f), 50.0f);
    } else if (style == 1) {
        const float r = radius * 1.05f, hb = 2.0f * r;
        rn = std::max(0.007f, neckR * radius * 0.95f);
        const float nl = neckL * radius * 0.5f;
        top = hb + nl + 0.3f * rn;
        const std::vector<vec2> p{{0.0f, 0.0f},           {0.5f * r, 0.0f},        {0.92f * r, 0.32f * hb}, {r, 0.52f * hb},
                                  {0.66f * r, 0.82f * hb}, {1.3f * rn, 0.97f * hb}, {rn, hb + 0.2f * nl},    {rn, hb + nl},
                                  {1.3f * rn, hb + nl},    {1.3f * rn, top},        {0.0f, top}};
        b.lathe(sharpened(p), 4 * facets, glm::mat4(1.0f), 5.0f);
        polygonPlan(b, facets);
    } else {
        const float r = radius * 0.45f, hv = r * vialH * 1.9f;
        rn = std::max(0.006f, 0.62f * r);
        top = hv + 0.5f * rn;
        const std::vector<vec2> p{{0.0f, 0.0f}, {0.8f * r, 0.0f},  {0.97f * r, 0.06f * r}, {r, 0.2f * r},    {r, hv - 0.8f * r}, {0.93f * r, hv - 0.45f * r},
                                  {rn, hv - 0.15f * r}, {rn, hv}, {1.22f * rn, hv + 0.05f * rn}, {1.22f * rn, top}, {0.0f, top}};
        b.lathe(p, 32, glm::mat4(1.0f), 50.0f);
    }
    // The stopper: a tapered plug pressed into the neck (faceted bottles get a round knob on it).
    b.part("stopper");
    const float sh = stopperH * 2.0f * rn, sIn = 0.35f * sh;
    // (The faceted neck's flats lie inside its round radius: its plug is thinner.)
    const float r0 = (style == 1 ? 0.74f : 0.88f) * rn, r1 = (style == 1 ? 0.8f : 1.12f) * rn;
    std::vector<vec2> s{{0.0f, top - sIn}, {r0, top - sIn}, {r1, top + sh - sIn - 0.15f * rn}, {0.85f * r1, top + sh - sIn}, {0.0f, top + sh - sIn}};
    b.lathe(s, 24, glm::mat4(1.0f), 40.0f);
    if (style == 1) ellipsoid(b, {0.0f, top + sh - sIn + 0.9f * rn, 0.0f}, vec3(1.15f * rn), 16);
}

// --- Lantern ----------------------------------------------------------------------------------

// Styles: 0 hurricane lantern (fuel tank, bulging glass chimney, wire guards, bail handle),
// 1 square lantern with glass panes and a pyramid roof, 2 round ribbed paper-style lantern.
void lantern(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float h = k.range("height", 0.2f, 0.34f), widthR = k.range("width", 0.5f, 0.68f);
    const float handleR = k.range("handle-size", 0.6f, 1.0f), bulge = k.range("bulge", 0.75f, 1.0f);
    const int ribs = k.count("ribs", 8, 14);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");
    const float w = h * widthR;

    if (style == 0) {
        const float rt = 0.5f * w, ht = 0.24f * h;
        b.part("base");
        b.lathe({{0.0f, 0.0f}, {0.92f * rt, 0.0f}, {rt, 0.12f * ht}, {rt, 0.5f * ht}, {0.9f * rt, 0.82f * ht}, {0.6f * rt, ht}, {0.0f, ht}}, 40,
                glm::mat4(1.0f), 35.0f);
        const float y0 = ht + 0.03f * h;
        b.cylinder({0.0f, ht - 0.004f, 0.0f}, 0.42f * rt, y0 - ht + 0.008f, 32);  // burner collar
        // The globe: wider low down, pinched at both ends.
        b.part("shade");
        const float y1 = 0.84f * h, rMax = 0.82f * rt * bulge, r0 = 0.4f * rt, r1 = 0.34f * rt;
        auto globeR = [&](float s) { return (r0 + (r1 - r0) * s) + (rMax - 0.5f * (r0 + r1)) * std::pow(std::max(0.0f, std::sin(kPi * s)), 0.75f); };
        std::vector<vec2> g{{0.0f, y0}};
        for (int i = 0; i <= 18; ++i) {
            const float s = float(i) / 18.0f;
            g.push_back({globeR(s), y0 + (y1 - y0) * s});
        }
        g.push_back({0.0f, y1});
        b.lathe(g, 36, glm::mat4(1.0f), 60.0f);
        b.part("top");
        const float rc = 0.56f * rt, yc = y1 - 0.012f;
        b.lathe({{0.0f, yc}, {rc, yc}, {rc, yc + 0.035f * h}, {0.62f * rc, yc + 0.1f * h}, {0.36f * rc, yc + 0.12f * h}, {0.0f, yc + 0.12f * h}}, 32,
                glm::mat4(1.0f), 35.0f);
        b.part("frame");
        // Wire guards bowed around the globe, and the two side air tubes of a hurricane lamp.
        for (int i = 0; i < 4; ++i) {
            const float a = kPi / 4.0f + 0.5f * kPi * float(i);
            std::vector<vec3> path;
            for (int j = 0; j <= 12; ++j) {
                const float s = 0.04f + 0.92f * float(j) / 12.0f, rr = globeR(s) + 0.006f;
                path.push_back({rr * std::cos(a), y0 + (y1 - y0) * s, rr * std::sin(a)});
            }
            b.tube(path, {0.0018f}, 6);
        }
        b.torus({0.0f, y0 + 0.04f * (y1 - y0), 0.0f}, globeR(0.04f) + 0.006f, 0.0025f, 32, 6);
        const float ry = yc + 0.05f * h;
        vec3 pivot(0.0f);  // where the bail hooks onto the right-hand tube
        for (const float sx : {-1.0f, 1.0f}) {
            const std::vector<vec3> path = bezier({sx * 0.9f * rt, 0.7f * ht, 0.0f}, {sx * 0.98f * rt, 0.5f * (ht + ry), 0.0f}, {sx * 0.98f * rt, ry, 0.0f},
                                                  {sx * 0.5f * rc, ry + 0.02f * h, 0.0f}, 12);
            b.tube(path, {0.006f}, 10);
            pivot = path[9];
        }
        b.part("handle");
        const float hr = pivot.x;
        std::vector<vec3> bail;
        for (int i = 0; i <= 20; ++i) {
            const float a = kPi * float(i) / 20.0f;
            bail.push_back({hr * std::cos(a), pivot.y + hr * handleR * std::sin(a), 0.0f});
        }
        b.tube(bail, {0.0025f}, 8);
        b.torus({0.0f, 0.0f, 0.0f}, 0.012f, 0.0025f, 16, 6, translation({0.0f, yc + 0.12f * h + 0.012f, 0.0f}) * rotationX(kPi / 2.0f));
        return;
    }
    if (style == 1) {
        const float hw = 0.5f * w, baseH = 0.07f * h, y1 = 0.78f * h, post = 0.07f * w;
        b.part("base");
        b.roundedBox({0.0f, 0.5f * baseH, 0.0f}, {w, baseH, w}, 0.004f);
        b.roundedBox({0.0f, baseH + 0.004f, 0.0f}, {w - 0.01f, 0.012f, w - 0.01f}, 0.003f);
        b.part("shade");
        b.box({0.0f, 0.5f * (baseH + y1), 0.0f}, {w - 0.022f, y1 - baseH, w - 0.022f});
        b.part("frame");
        for (const float sx : {-1.0f, 1.0f})
            for (const float sz : {-1.0f, 1.0f})
                b.box({sx * (hw - 0.5f * post - 0.004f), 0.5f * (baseH + y1), sz * (hw - 0.5f * post - 0.004f)}, {post, y1 - baseH + 0.004f, post});
        // A bar across each pane's middle, as on a carriage lantern.
        for (int i = 0; i < 4; ++i)
            b.box({0.0f, 0.5f * (baseH + y1), hw - 0.009f}, {w - 0.03f, 0.006f, 0.006f}, rotationY(0.5f * kPi * float(i)));
        b.part("top");
        const float roofH = 0.16f * h;
        squareFrustum(b, {0.0f, y1 + 0.012f, 0.0f}, hw + 0.012f, 0.18f * hw, roofH);
        polygonPlan(b, 4);
        b.roundedBox({0.0f, y1 + 0.008f, 0.0f}, {w + 0.006f, 0.016f, w + 0.006f}, 0.003f);
        b.cylinder({0.0f, y1 + roofH, 0.0f}, 0.16f * hw, 0.025f * h, 16);
        b.part("handle");
        const float rr = 0.28f * w * handleR + 0.01f;
        b.torus({0.0f, 0.0f, 0.0f}, rr, 0.004f, 32, 8, translation({0.0f, y1 + roofH + 0.025f * h + rr - 0.003f, 0.0f}) * rotationX(kPi / 2.0f));
        return;
    }
    // Round ribbed lantern: a melon-shaped shade between two caps.
    const float rl = 0.62f * w, y0 = 0.05f * h, y1 = 0.88f * h, rEnd = 0.42f * rl;
    b.part("base");
    b.cylinder({0.0f, 0.0f, 0.0f}, 0.46f * rl, y0 + 0.01f, 32);
    b.part("shade");
    std::vector<vec2> p{{0.0f, y0}, {rEnd, y0}};
    for (int i = 1; i < 16; ++i) {
        const float a = -0.5f * kPi + kPi * float(i) / 16.0f;
        const float r = rl * std::pow(std::max(0.0f, std::cos(a)), 0.7f);
        p.push_back({std::max(rEnd, r), 0.5f * (y0 + y1) + 0.5f * (y1 - y0) * std::sin(a)});
    }
    p.push_back({rEnd, y1});
    p.push_back({0.0f, y1});
    b.lathe(p, ribs * 4, glm::mat4(1.0f), 70.0f);
    // Ribs: the covering sags between the frame's wires.
    const float depth = 0.05f * bulge;
    b.displace([&](const vec3& q) {
        const float rr = std::sqrt(q.x * q.x + q.z * q.z);
        if (rr < 1e-6f) return q;
        const float a = std::atan2(q.z, q.x), s = std::sin(0.5f * float(ribs) * a);
        const float f = 1.0f - depth * s * s * std::min(1.0f, (rr - rEnd * 0.9f) / (0.3f * rl));
        return vec3(q.x * f, q.y, q.z * f);
    });
    b.part("top");
    b.cylinder({0.0f, y1 - 0.01f, 0.0f}, 0.46f * rl, 0.05f * h, 32);
    // Wire ribs where the covering is stretched full (the displacement's zeros).
    b.part("frame");
    for (int i = 0; i < ribs; ++i) {
        const float a = 2.0f * kPi * float(i) / float(ribs);
        std::vector<vec3> path;
        for (std::size_t j = 2; j + 2 < p.size(); ++j) path.push_back({(p[j].x + 0.0015f) * std::cos(a), p[j].y, (p[j].x + 0.0015f) * std::sin(a)});
        b.tube(path, {0.0022f}, 6);
    }
    b.part("handle");
    const float yt = y1 + 0.05f * h - 0.01f, hr = 0.4f * rl;
    std::vector<vec3> bail;
    for (int i = 0; i <= 20; ++i) {
        const float a = kPi * float(i) / 20.0f;
        bail.push_back({hr * std::cos(a), yt - 0.01f + hr * handleR * 1.2f * std::sin(a), 0.0f});
    }
    b.tube(bail, {0.0025f}, 8);
}

// --- Streetlight ------------------------------------------------------------------------------

// A bell-shaped lamp housing hanging at `top` with its glass bowl under it.
void hangingLamp(AssetBuilder& b, const vec3& top, float rb) {
    b.part("housing");
    const float yb = top.y - rb;
    b.lathe({{0.0f, yb}, {rb, yb}, {0.95f * rb, yb + 0.2f * rb}, {0.5f * rb, yb + 0.6f * rb}, {0.2f * rb, yb + 0.9f * rb}, {0.0f, yb + rb}}, 32,
            translation({top.x, 0.0f, top.z}), 50.0f);
    b.part("shade");
    ellipsoid(b, {top.x, yb, top.z}, {0.8f * rb, 0.7f * rb, 0.8f * rb}, 24);
}

// Styles: 0 single curved arm with a flat head, 1 two curved arms with hanging lamps,
// 2 classic post-top lantern head.
void streetlight(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float heightK = k.range("height", 4.5f, 8.0f), poleR = k.range("pole-radius", 0.06f, 0.1f);
    const float armL = k.range("arm-length", 0.8f, 1.8f), head = k.range("head-size", 0.8f, 1.2f);
    const float baseH = k.range("base-height", 0.3f, 0.6f);
    notes.sizeWord = extremeWord(k.position("height"), "short", "tall");

    const float h = style == 2 ? heightK * 0.5f : heightK;
    const float rb = poleR * (style == 2 ? 1.2f : 1.0f), rt = rb * 0.55f;
    b.part("pole");
    b.tube({{0.0f, 0.0f, 0.0f}, {0.0f, h, 0.0f}}, {rb, rt}, 20);
    b.part("base");
    const float bh = baseH * (style == 2 ? 1.4f : 1.0f);
    b.lathe({{0.0f, 0.0f},
             {1.9f * rb, 0.0f},
             {1.9f * rb, 0.12f * bh},
             {1.55f * rb, 0.3f * bh},
             {1.5f * rb, 0.85f * bh},
             {1.25f * rb, bh},
             {0.0f, bh}},
            24, glm::mat4(1.0f), 35.0f);
    b.torus({0.0f, bh + 0.02f, 0.0f}, 1.08f * rb, 0.025f, 24, 8);

    if (style == 0) {
        b.part("arms");
        const float l = armL * 1.3f;
        const std::vector<vec3> arm = bezier({0.0f, h - 0.4f, 0.0f}, {0.0f, h + 0.25f, 0.0f}, {0.35f * l, h + 0.45f, 0.0f}, {l, h + 0.42f, 0.0f}, 16);
        b.tube(arm, {0.045f}, 12);
        ellipsoid(b, {0.0f, h, 0.0f}, vec3(rt * 1.2f), 16);
        b.part("housing");
        const vec3 c(l + 0.22f * head, h + 0.4f, 0.0f);
        ellipsoid(b, c, {0.38f * head, 0.1f * head, 0.17f * head}, 32);
        b.part("shade");
        ellipsoid(b, c - vec3(0.0f, 0.045f * head, 0.0f), {0.3f * head, 0.07f * head, 0.13f * head}, 32);
        return;
    }
    if (style == 1) {
        b.part("arms");
        const float l = armL * 0.7f, drop = 0.35f * head;
        for (const float s : {-1.0f, 1.0f}) {
            const std::vector<vec3> arm =
                bezier({s * 0.01f, h - 0.35f, 0.0f}, {s * 0.35f * l, h + 0.05f, 0.0f}, {s * 0.85f * l, h + 0.25f, 0.0f}, {s * l, h - 0.05f, 0.0f}, 16);
            b.tube(arm, {0.035f}, 12);
            b.tube({{s * l, h - 0.04f, 0.0f}, {s * l, h - 0.05f - drop * 0.4f, 0.0f}}, {0.018f}, 10);
            hangingLamp(b, {s * l, h - 0.05f - drop * 0.4f + 0.01f, 0.0f}, 0.24f * head);
            b.part("arms");
        }
        // A finial on the pole's top.
        ellipsoid(b, {0.0f, h + 0.02f, 0.0f}, vec3(rt * 1.5f), 16);
        b.frustum({0.0f, h + 0.02f + rt, 0.0f}, 0.4f * rt, 0.0f, 0.2f, 12);
        return;
    }
    // Post top: a collar, then a four-sided lantern widening upwards under a pyramid roof.
    const float hw0 = 0.14f * head, hw1 = 0.22f * head, lh = 0.42f * head;
    b.part("housing");
    const float y0 = h + 0.06f;
    squareFrustum(b, {0.0f, y0 - 0.02f, 0.0f}, 0.6f * hw0, hw0 + 0.02f, 0.05f);
    squareFrustum(b, {0.0f, y0 + lh - 0.005f, 0.0f}, hw1 + 0.06f, 0.15f * hw1, 0.22f * head);
    polygonPlan(b, 4);
    b.cylinder({0.0f, h - 0.15f, 0.0f}, rt * 1.5f, 0.22f, 20);
    ellipsoid(b, {0.0f, y0 + lh + 0.22f * head + 0.03f, 0.0f}, vec3(0.04f * head), 16);
    for (int i = 0; i < 4; ++i) {
        const float a = kPi / 4.0f + 0.5f * kPi * float(i), k2 = std::sqrt(2.0f);
        b.tube({{k2 * hw0 * std::cos(a), y0 + 0.02f, k2 * hw0 * std::sin(a)}, {k2 * hw1 * std::cos(a), y0 + lh, k2 * hw1 * std::sin(a)}}, {0.012f}, 8);
    }
    b.part("shade");
    squareFrustum(b, {0.0f, y0 + 0.01f, 0.0f}, hw0 - 0.004f, hw1 - 0.004f, lh);
    polygonPlan(b, 4);
}

// --- Fence ------------------------------------------------------------------------------------

// Styles: 0 picket fence, 1 post-and-rail fence of round logs, 2 welded wire mesh panels.
void fence(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float bay = k.range("bay-length", 1.4f, 2.4f), h = k.range("height", 0.8f, 1.5f);
    const int bays = k.count("bays", 1, 2);
    const float ps = k.range("post-size", 0.07f, 0.12f), pw = k.range("picket-width", 0.06f, 0.09f);
    const float gap = k.range("gap", 0.035f, 0.06f);
    const int rails = k.count("rails", 2, 3);
    const float mesh = k.range("mesh", 0.08f, 0.14f);
    notes.sizeWord = extremeWord(k.position("height"), "low", "tall");
    ShapeRng& rng = k.rng();

    const float total = bay * float(bays);
    std::vector<float> postX;
    for (int i = 0; i <= bays; ++i) postX.push_back(-0.5f * total + bay * float(i));

    if (style == 0) {
        const float pt = 0.02f, rt = 0.03f, railH = 0.075f;
        const float railZ = -(0.5f * pt + 0.5f * rt) + 0.002f;
        b.part("posts");
        for (const float x : postX) {
            b.roundedBox({x, 0.5f * (h + 0.08f), railZ}, {ps, h + 0.08f, ps}, 0.006f);
            b.roundedBox({x, h + 0.08f + 0.01f, railZ}, {ps + 0.025f, 0.025f, ps + 0.025f}, 0.005f);
        }
        b.part("rails");
        for (int i = 0; i < bays; ++i) {
            const float x0 = postX[std::size_t(i)], x1 = postX[std::size_t(i) + 1];
            // Rails per bay, the ends lapping inside the posts.
            for (const float y : {0.22f * h, 0.75f * h}) b.box({0.5f * (x0 + x1), y, railZ}, {x1 - x0 + 0.02f, railH, rt});
            // Pickets with pointed tops, centred in the bay.
            const float inner = (x1 - x0) - ps - 0.02f;
            const int n = std::max(1, int(std::floor((inner + gap) / (pw + gap))));
            const float used = float(n) * pw + float(n - 1) * gap;
            for (int j = 0; j < n; ++j) {
                const float cx = 0.5f * (x0 + x1) - 0.5f * used + 0.5f * pw + float(j) * (pw + gap);
                const float top = h + 0.02f * (rng.uniform01() - 0.5f);
                // The board as a four-sided tube (one compact chart round it, where a prism of the
                // whole outline would unroll into a strip twice its height long), its point a
                // small prism lapping over its top.
                const float shoulder = top - 0.6f * pw, r = pw / std::sqrt(2.0f);
                b.tube({{0.0f, 0.05f, 0.0f}, {0.0f, shoulder - 0.004f, 0.0f}}, {r}, 4, translation({cx, 0.0f, 0.0f}) * scaling({1.0f, 1.0f, pt / pw}) * rotationY(0.25f * kPi));
                const std::vector<vec2> tip{{cx, top}, {cx - 0.5f * pw, shoulder}, {cx - 0.5f * pw, shoulder - 0.02f}, {cx + 0.5f * pw, shoulder - 0.02f}, {cx + 0.5f * pw, shoulder}};
                b.prism(tip, -0.5f * pt, 0.5f * pt);
            }
        }
        return;
    }
    if (style == 1) {
        const float pr = 0.6f * ps, rr = 0.38f * ps;
        b.part("posts");
        for (const float x : postX) {
            const float lean = 0.015f * (rng.uniform01() - 0.5f);
            b.tube({{x, 0.0f, 0.0f}, {x + lean, h + 0.1f, 0.0f}}, {pr * 1.05f, pr * 0.95f}, 14);
        }
        b.part("rails");
        for (int i = 0; i < bays; ++i) {
            const float x0 = postX[std::size_t(i)] - (i == 0 ? 0.08f : 0.0f) - 0.02f, x1 = postX[std::size_t(i) + 1] + (i == bays - 1 ? 0.08f : 0.0f) + 0.02f;
            for (int r = 0; r < rails; ++r) {
                const float y = h * (rails == 2 ? (r == 0 ? 0.4f : 0.85f) : 0.3f + 0.28f * float(r));
                const float sag = 0.012f * rng.uniform01(), dz = 0.01f * (rng.uniform01() - 0.5f);
                b.tube({{x0, y, dz}, {0.5f * (x0 + x1), y - sag, -dz}, {x1, y + 0.01f * (rng.uniform01() - 0.5f), dz}},
                       {rr * (0.95f + 0.1f * rng.uniform01()), rr, rr * 0.92f}, 12);
            }
        }
        return;
    }
    // Wire mesh: round posts, a tube frame per bay, welded wires (the horizontals just in front).
    // One tube per wire: a single outline for a whole row (a comb) would unroll into one strip
    // tens of metres long that the atlas can only fit at a few texels per metre.
    const float pr = 0.4f * ps, fr = 0.018f, wr = 0.0025f;
    // Long horizontals are laid as pieces joined at a vertical wire, so no chart is a whole bay long.
    auto horizontal = [&](const std::vector<float>& joints, float y, float z, float r, int segs) {
        for (std::size_t j = 0; j + 1 < joints.size(); ++j)
            b.tube({{joints[j] - (j > 0 ? 0.001f : 0.0f), y, z}, {joints[j + 1] + (j + 2 < joints.size() ? 0.001f : 0.0f), y, z}}, {r}, segs);
    };
    b.part("posts");
    for (const float x : postX) {
        b.tube({{x, 0.0f, 0.0f}, {x, h + 0.06f, 0.0f}}, {pr}, 16);
        ellipsoid(b, {x, h + 0.06f, 0.0f}, {pr * 1.08f, pr * 0.7f, pr * 1.08f}, 16);
    }
    b.part("rails");
    for (int i = 0; i < bays; ++i) {
        const float x0 = postX[std::size_t(i)] + pr + 0.025f, x1 = postX[std::size_t(i) + 1] - pr - 0.025f;
        const float y0 = 0.06f, y1 = h - 0.02f;
        const int nv = std::max(2, int((x1 - x0) / mesh)), nh = std::max(2, int((y1 - y0) / (2.0f * mesh)));
        const int pieces = std::max(1, int(std::ceil((x1 - x0) / 0.7f)));
        std::vector<float> joints{x0};
        for (int j = 1; j < pieces; ++j) joints.push_back(x0 + (x1 - x0) * float(j * nv / pieces) / float(nv));
        joints.push_back(x1);
        horizontal(joints, y0, 0.0f, fr, 10);
        joints.front() -= 0.9f * fr;
        joints.back() += 0.9f * fr;
        horizontal(joints, y1, 0.0f, fr, 10);
        joints.front() += 0.9f * fr;
        joints.back() -= 0.9f * fr;
        b.tube({{x0, y0 - fr * 0.9f, 0.0f}, {x0, y1, 0.0f}}, {fr}, 10);
        b.tube({{x1, y0 - fr * 0.9f, 0.0f}, {x1, y1, 0.0f}}, {fr}, 10);
        // Clamps to the posts.
        for (const float y : {y0 + 0.1f, y1 - 0.1f})
            for (const float x : {x0 - 0.5f * (pr + 0.025f), x1 + 0.5f * (pr + 0.025f)}) b.box({x, y, 0.0f}, {pr + 0.05f, 0.03f, 0.012f});
        for (int j = 1; j < nv; ++j) {
            const float x = x0 + (x1 - x0) * float(j) / float(nv);
            b.tube({{x, y0, 0.0f}, {x, y1, 0.0f}}, {wr}, 6);
        }
        for (int j = 1; j < nh; ++j) {
            const float y = y0 + (y1 - y0) * float(j) / float(nh);
            horizontal(joints, y, 0.004f, wr, 6);
        }
    }
}

// --- Tyre -------------------------------------------------------------------------------------

// The cross-section of a tyre as a closed counter-clockwise loop in (radius, axial) for a lathe:
// bulging sidewalls, rounded shoulders, and a tread at `ro` cut by `grooves` circumferential grooves.
std::vector<vec2> tyreSection(float ro, float ri, float width, float beadWidth, int grooves, float grooveDepth) {
    const float sh = 0.16f * width, bulge = 0.07f * width;
    std::vector<vec2> p;
    const int n = 8;
    // Lower sidewall, bead to shoulder.
    for (int i = 0; i < n; ++i) {
        const float s = float(i) / float(n);
        p.push_back({ri + s * (ro - sh - ri), -(0.5f * beadWidth + (0.5f * width - 0.5f * beadWidth) * s) - bulge * std::sin(kPi * s)});
    }
    for (int i = 0; i < 4; ++i) {
        const float a = -0.5f * kPi + 0.5f * kPi * float(i) / 4.0f;
        p.push_back({ro - sh + sh * std::cos(a), -0.5f * width + sh + sh * std::sin(a)});
    }
    // Tread, with grooves.
    const float y0 = -0.5f * width + sh, y1 = 0.5f * width - sh, gw = 0.07f * width;
    p.push_back({ro, y0});
    for (int g = 0; g < grooves; ++g) {
        const float yc = y0 + (y1 - y0) * float(g + 1) / float(grooves + 1);
        p.push_back({ro, yc - 0.5f * gw});
        p.push_back({ro - grooveDepth, yc - 0.4f * gw});
        p.push_back({ro - grooveDepth, yc + 0.4f * gw});
        p.push_back({ro, yc + 0.5f * gw});
    }
    for (int i = 0; i < 4; ++i) {
        const float a = 0.5f * kPi * float(i) / 4.0f;
        p.push_back({ro - sh + sh * std::cos(a), 0.5f * width - sh + sh * std::sin(a)});
    }
    for (int i = 0; i <= n; ++i) {
        const float s = 1.0f - float(i) / float(n);
        p.push_back({ri + s * (ro - sh - ri), 0.5f * beadWidth + (0.5f * width - 0.5f * beadWidth) * s + bulge * std::sin(kPi * s)});
    }
    p.push_back(p.front());  // closed loop: back down the bead
    return p;
}

// A wheel rim inside a tyre whose bead sits at radius `ri`: a barrel with flanges and a dished
// centre disc with a hub, lug nuts and (cars) raised spokes. Built around +Y, then `xf`.
void wheelRim(AssetBuilder& b, float ri, float width, int spokes, float hubR, const glm::mat4& xf) {
    const float hw = 0.5f * width, fl = std::max(0.006f, 0.02f * ri), bt = std::max(0.012f, 0.05f * ri);
    b.lathe({{ri - bt, -hw},
             {ri + fl, -hw},
             {ri + fl, -hw + 0.4f * fl + 0.004f},
             {ri - 0.002f, -hw + 0.6f * fl + 0.008f},
             {ri - 0.002f, hw - 0.6f * fl - 0.008f},
             {ri + fl, hw - 0.4f * fl - 0.004f},
             {ri + fl, hw},
             {ri - bt, hw},
             {ri - bt, -hw}},
            48, xf, 35.0f);
    // The centre disc sits towards the outer face (+Y), its hub standing out.
    const float yf = 0.25f * hw, dt = std::max(0.008f, 0.04f * ri);
    b.lathe({{0.0f, yf - dt},
             {ri - 0.7f * bt, yf - dt},
             {ri - 0.7f * bt, yf},
             {hubR * 1.6f, yf + 0.3f * dt},
             {hubR, yf + 0.9f * dt},
             {0.7f * hubR, yf + 1.8f * dt},
             {0.0f, yf + 2.0f * dt}},
            40, xf, 30.0f);
    for (int i = 0; i < 5; ++i) {
        const float a = 2.0f * kPi * float(i) / 5.0f, rr = 1.25f * hubR;
        b.cylinder({rr * std::cos(a), yf + 0.5f * dt, rr * std::sin(a)}, 0.14f * hubR, 0.9f * dt, 12, xf);
    }
    for (int i = 0; i < spokes; ++i) {
        const float a = 2.0f * kPi * float(i) / float(spokes), len = ri - 0.7f * bt - 1.6f * hubR;
        b.roundedBox({1.6f * hubR + 0.5f * len, yf + 0.6f * dt, 0.0f}, {len + 0.01f, 1.6f * dt, 0.3f * hubR + 0.03f * ri}, 0.4f * dt,
                     xf * rotationY(a));
    }
}

// Styles: 0 car tyre on a rim, 1 bicycle wheel (thin tyre, rim, hub, spokes), 2 tractor tyre
// with chunky chevron lugs on a dished rim. The wheel stands on its tread, axle along Z.
void tyre(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float dia = k.range("diameter", 0.56f, 0.74f), widthR = k.range("width", 0.28f, 0.38f);
    const float profile = k.range("profile", 0.4f, 0.62f);
    const int grooves = k.count("grooves", 3, 4), spokes = 2 * k.count("spokes", 14, 18), lugs = k.count("lugs", 16, 22);
    const float lugAngle = k.range("lug-angle", 0.45f, 0.75f);
    notes.sizeWord = extremeWord(k.position("diameter"), "small", "large");
    const glm::mat4 up = rotationX(0.5f * kPi);  // lathe axis +Y -> the axle along Z

    b.part("tyre");
    if (style == 0) {
        const float ro = 0.5f * dia, wt = widthR * dia * 0.8f, ri = ro - profile * wt;
        b.lathe(tyreSection(ro, ri, wt, 0.82f * wt, grooves, 0.012f), 64, up, 35.0f);
        b.part("rim");
        wheelRim(b, ri, 0.86f * wt, 5, 0.07f * ri + 0.02f, up);
        return;
    }
    if (style == 1) {
        const float ro = 0.5f * (dia + 0.06f), wt = 0.026f + 0.025f * (widthR - 0.28f) / 0.1f, ri = ro - 0.85f * wt;
        b.lathe(tyreSection(ro, ri, wt, 0.7f * wt, 0, 0.0f), 64, up, 35.0f);
        b.part("rim");
        const float rr = ri - 0.02f, rw = 0.6f * wt;
        b.lathe({{rr, -0.5f * rw}, {ri + 0.003f, -0.5f * rw}, {ri + 0.003f, 0.5f * rw}, {rr, 0.5f * rw}, {rr - 0.004f, 0.0f}, {rr, -0.5f * rw}}, 64, up,
                35.0f);
        // Hub with two flanges and an axle.
        const float fy = 0.032f;
        b.lathe({{0.0f, -0.07f}, {0.005f, -0.07f}, {0.005f, -0.045f}, {0.016f, -0.045f}, {0.016f, -fy - 0.004f}, {0.026f, -fy - 0.003f},
                 {0.026f, -fy + 0.003f}, {0.014f, -fy + 0.004f}, {0.012f, 0.0f}, {0.014f, fy - 0.004f}, {0.026f, fy - 0.003f}, {0.026f, fy + 0.003f},
                 {0.016f, fy + 0.004f}, {0.016f, 0.045f}, {0.005f, 0.045f}, {0.005f, 0.07f}, {0.0f, 0.07f}},
                24, up, 35.0f);
        // Spokes from alternate flanges to the rim, leaning tangentially (a laced wheel).
        for (int i = 0; i < spokes; ++i) {
            const float a = 2.0f * kPi * float(i) / float(spokes), side = (i % 2) ? 1.0f : -1.0f;
            const float ah = a + side * 0.18f;
            const vec3 hub(0.022f * std::cos(ah), side * fy, 0.022f * std::sin(ah)), rim((rr + 0.002f) * std::cos(a), 0.0f, (rr + 0.002f) * std::sin(a));
            b.tube({hub, rim}, {0.0012f}, 5, up);
        }
        return;
    }
    // Tractor: a big tall-sided tyre, chevron lugs alternating left and right.
    const float ro = dia * 1.05f, wt = widthR * dia * 1.25f, ri = ro - 0.75f * wt, sh = 0.16f * wt;
    b.lathe(tyreSection(ro, ri, wt, 0.85f * wt, 0, 0.0f), 64, up, 35.0f);
    const float lugH = 0.06f * ro, lw = 0.13f * wt, slope = std::tan(lugAngle);
    const float a0 = 0.04f * wt, a1 = 0.5f * wt - 0.6f * sh, base = ro - std::max(0.02f, 0.9f * sh);
    for (int i = 0; i < lugs; ++i)
        for (const float side : {-1.0f, 1.0f}) {
            const float th = 2.0f * kPi * (float(i) + (side > 0 ? 0.5f : 0.0f)) / float(lugs);
            // Outline in (axial, tangential): a bar running from the centre line out to the
            // shoulder, swept back along the rotation so the pair forms a chevron.
            // (Tapering outwards, as real lugs do; a parallelogram's seams would also fall at
            // half its perimeter, on a texel centre whenever the lug's strip sets the density.)
            std::vector<vec2> o{{side * a0, -0.5f * lw}, {side * a1, (a1 - a0) * slope - 0.36f * lw}, {side * a1, (a1 - a0) * slope + 0.36f * lw}, {side * a0, 0.5f * lw}};
            const vec3 radial(std::cos(th), 0.0f, std::sin(th)), tangent(-std::sin(th), 0.0f, std::cos(th));
            glm::mat4 frame(1.0f);
            frame[0] = glm::vec4(0, 1, 0, 0);
            frame[1] = glm::vec4(tangent, 0);
            frame[2] = glm::vec4(radial, 0);
            b.prism(ccw(o), base, ro + lugH, up * frame);
        }
    b.part("rim");
    wheelRim(b, ri, 0.9f * wt, 0, 0.12f * ri, up);
}

// --- Birdhouse --------------------------------------------------------------------------------

// The front wall's outline split down the middle around a round entrance: the left half with a
// semicircular notch, overlapping the centre line by `ov` (the right half is its mirror). `roofY`
// gives the top edge's height at x.
std::vector<vec2> frontHalf(float w, float holeY, float holeR, float ov, const std::function<float(float)>& roofY) {
    // The notch starts a little left of the centre line so the two halves share no edge.
    std::vector<vec2> p{{-0.5f * w, 0.0f}, {ov, 0.0f}, {ov, holeY - holeR}};
    const int n = 12;
    for (int i = 0; i <= n; ++i) {
        const float a = -0.5f * kPi - 0.02f - (kPi - 0.04f) * float(i) / float(n);
        p.push_back({holeR * std::cos(a), holeY + holeR * std::sin(a)});
    }
    p.push_back({ov, holeY + holeR});
    p.push_back({ov, roofY(ov)});
    p.push_back({-0.5f * w, roofY(-0.5f * w)});
    return startAt(ccw(p), 5);
}

// Styles: 0 gable roof, 1 flat slanted roof on a back board, 2 gable roof with a perch and a
// landing board. Walls are boards around a hollow inside; the entrance is a real hole.
void birdhouse(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float w = k.range("width", 0.12f, 0.2f), d = w * k.range("depth", 0.85f, 1.15f), h = k.range("height", 0.15f, 0.26f);
    const float t = k.range("wall", 0.012f, 0.02f), holeR = k.range("hole", 0.016f, 0.024f), pitch = k.range("pitch", 0.55f, 0.85f);
    const float overhang = k.range("overhang", 0.02f, 0.05f), perchL = k.range("perch-length", 0.04f, 0.07f);
    const float slant = k.range("slant", 0.2f, 0.35f);
    notes.sizeWord = extremeWord(k.position("height"), "small", "large");

    const bool gable = style != 1;
    const float ridge = 0.5f * w * std::tan(pitch);
    const float hf = h, hb = gable ? h : h - d * std::tan(slant);  // front and back eaves heights
    std::function<float(float)> frontTop = [&](float x) { return gable ? h + ridge * (1.0f - std::abs(x) / (0.5f * w)) : hf; };
    std::function<float(float)> backTop = [&](float x) { return gable ? h + ridge * (1.0f - std::abs(x) / (0.5f * w)) : hb; };
    const float holeY = 0.66f * hf - (gable ? 0.0f : 0.04f * hf), ov = 0.001f;

    b.part("body");
    const std::vector<vec2> left = frontHalf(w, holeY, holeR, ov, frontTop);
    b.prism(left, 0.5f * d - t, 0.5f * d);
    b.prism(mirroredX(left), 0.5f * d - t, 0.5f * d);
    if (gable) b.prism(startAt({{-0.5f * w, 0.0f}, {0.5f * w, 0.0f}, {0.5f * w, h}, {0.0f, h + ridge}, {-0.5f * w, h}}, 3), -0.5f * d, -0.5f * d + t);
    else b.box({0.0f, 0.5f * hb, -0.5f * d + 0.5f * t}, {w, hb, t});
    // Side walls between front and back, up under the roof line; the floor inside.
    const float zi = 0.5f * d - t + 0.001f;
    for (const float s : {-1.0f, 1.0f}) {
        const float x0 = s > 0 ? 0.5f * w - t : -0.5f * w + 0.0005f, x1 = s > 0 ? 0.5f * w - 0.0005f : -0.5f * w + t;
        if (gable) {
            b.box({0.5f * (x0 + x1), 0.5f * (h + 0.0005f), 0.0f}, {x1 - x0, h - 0.0005f, 2.0f * zi});
            continue;
        }
        const std::vector<vec2> side{{-zi, 0.0005f}, {zi, 0.0005f}, {zi, hf - (0.5f * d - zi) * std::tan(slant)}, {-zi, hb + (0.5f * d - zi) * std::tan(slant)}};
        b.prism(startAt(ccw(side), 2), x0, x1, sideView());
    }
    b.box({0.0f, 0.5f * t + 0.001f, 0.0f}, {w - 2.0f * t + 0.002f, t, d - 2.0f * t + 0.002f});
    if (style == 2) {
        b.part("perch");
        const float py = holeY - holeR - 0.022f;
        b.tube({{0.0f, py, 0.5f * d - 0.5f * t}, {0.0f, py, 0.5f * d + perchL}}, {0.0045f}, 12);
        b.roundedBox({0.0f, 0.5f * t + 0.001f, 0.5f * d + 0.5f * perchL - 0.002f}, {w, t, perchL + 0.02f}, 0.002f);
    }
    b.part("roof");
    const float rt = gable ? std::max(0.008f, 0.8f * t) : std::max(0.012f, 1.1f * t);
    if (gable) {
        const float len = std::sqrt(0.25f * w * w + ridge * ridge);
        for (const float s : {-1.0f, 1.0f}) {
            const vec2 dir = vec2(s * 0.5f * w, -ridge) / len, nrm = vec2(s * ridge, 0.5f * w) / len;
            // The right board runs on past the ridge so the two boards lap there.
            const float s0 = s > 0 ? -rt * 0.9f : 0.0f, s1 = len + overhang;
            const vec2 c = vec2(0.0f, h + ridge) + dir * (0.5f * (s0 + s1)) + nrm * (0.5f * rt - 0.001f);
            b.roundedBox({0.0f, 0.0f, 0.0f}, {s1 - s0, rt, d + 2.0f * overhang}, 0.002f,
                         translation({c.x, c.y, 0.0f}) * rotationZ(std::atan2(dir.y, dir.x)));
        }
    } else {
        // One board sloping down to the back, reaching further out over the entrance.
        const float len = d / std::cos(slant), front = 1.6f * overhang, back = 0.6f * overhang;
        const vec3 c = vec3(0.0f, 0.5f * (hf + hb), 0.0f) + vec3(0.0f, std::cos(slant), -std::sin(slant)) * (0.5f * rt - 0.001f) +
                       vec3(0.0f, std::sin(slant), std::cos(slant)) * (0.5f * (front - back));
        b.roundedBox({0.0f, 0.0f, 0.0f}, {w + 1.2f * overhang, rt, len + front + back}, 0.003f, translation(c) * rotationX(-slant));
    }
}

// --- Boat -------------------------------------------------------------------------------------

// A hull: a closed shell lofted through cross-sections along its length. Each section is the
// lower half of a superellipse (flatter bottom for exponent < 1); an open hull's section runs on
// over a rounded gunwale and back along the inside, a decked one closes with a cambered deck.
struct HullSpec {
    float length = 3.0f;
    float wall = 0.0f;       // shell thickness; 0 = decked
    float fullness = 0.8f;   // section exponent
    bool transom = false;    // flat stern at u = 0 instead of a point
    std::function<float(float)> halfWidth, rim, keel;  // of u in [0, 1], stern to bow
};

// The section point at u for loop parameter q in [0, 1): q in [0.5, 1) the outside, from the
// port gunwale under the keel to starboard; q in [0, 0.5) the gunwales and inside (or the deck).
vec2 hullSection(const HullSpec& s, float u, float q, int segments) {
    const float w = s.halfWidth(u), top = s.rim(u), depth = top - s.keel(u);
    auto se = [&](float v) { return std::copysign(std::pow(std::abs(v), s.fullness), v); };
    if (q >= 0.5f) {
        const float a = 2.0f * kPi * q;
        return {w * se(std::cos(a)), top + depth * se(std::sin(a))};
    }
    if (s.wall <= 0.0f) {
        const float a = 2.0f * kPi * q;
        return {w * std::cos(a), top + 0.04f * w * std::sin(a)};
    }
    const float gq = 2.0f / float(segments);  // two segments round each gunwale
    const float t = std::min(s.wall, 0.45f * w), td = std::min(s.wall, 0.45f * depth);
    if (q < gq) {
        const float a = kPi * q / gq;
        return {w - 0.5f * t + 0.5f * t * std::cos(a), top + 0.5f * t * std::sin(a)};
    }
    if (q > 0.5f - gq) {
        const float a = kPi * (q - (0.5f - gq)) / gq;
        return {-(w - 0.5f * t) + 0.5f * t * std::cos(a), top + 0.5f * t * std::sin(a)};
    }
    const float a = 2.0f * kPi - kPi * (q - gq) / (0.5f - 2.0f * gq);
    return {(w - t) * se(std::cos(a)), top + (depth - td) * se(std::sin(a))};
}

// Builds the hull in the current part: a lathe (a tube of stations with poles at both ends)
// whose vertices are moved onto the sections, so it stays one closed surface. Length along X
// (stern at -x), beam along Z.
void hull(AssetBuilder& b, const HullSpec& s) {
    const int segs = 64, stations = 30;
    const float girth = 2.0f * (s.halfWidth(0.5f) + s.rim(0.5f) - s.keel(0.5f)), rl = girth / (2.0f * kPi);
    std::vector<vec2> profile{{0.0f, 0.0f}};
    const float u0 = s.transom ? 0.0f : 0.004f;
    for (int i = 0; i < stations; ++i) {
        const float x = float(i) / float(stations - 1);
        profile.push_back({rl, s.length * (u0 + (0.996f - u0) * (0.5f - 0.5f * std::cos(kPi * x)))});
    }
    profile.push_back({0.0f, s.length});
    b.lathe(profile, segs);
    b.displace([&](const vec3& p) {
        const float u = std::clamp(p.y / s.length, 0.0f, 1.0f), x = u * s.length - 0.5f * s.length;
        if (p.x * p.x + p.z * p.z < 1e-12f) return vec3(x, 0.5f * (s.rim(u) + s.keel(u)), 0.0f);
        float q = std::atan2(p.z, p.x) / (2.0f * kPi);
        if (q < 0.0f) q += 1.0f;
        if (q >= 1.0f) q -= 1.0f;
        const vec2 c = hullSection(s, u, q, segs);
        return vec3(x, c.y, c.x);
    });
}

// The inside half-width of an open hull at station u and height y (for thwarts that reach the
// planking).
float innerHalfWidth(const HullSpec& s, float u, float y) {
    const float w = s.halfWidth(u) - std::min(s.wall, 0.45f * s.halfWidth(u)), top = s.rim(u);
    const float depth = top - s.keel(u) - std::min(s.wall, 0.45f * (top - s.keel(u)));
    const float sn = std::pow(std::clamp((top - y) / depth, 0.0f, 1.0f), 1.0f / s.fullness);
    return w * std::pow(std::sqrt(std::max(0.0f, 1.0f - sn * sn)), s.fullness);
}

// A thwart (bench) across an open hull at station u, its top `below` under the gunwale.
void thwart(AssetBuilder& b, const HullSpec& s, float u, float below, float width) {
    const float th = 0.025f, y = s.rim(u) - below - 0.5f * th;
    const float du = 0.5f * width / s.length;
    const float half = std::min({innerHalfWidth(s, u - du, y - 0.5f * th), innerHalfWidth(s, u + du, y - 0.5f * th), innerHalfWidth(s, u, y - 0.5f * th)}) +
                       0.5f * std::min(s.wall, 0.02f);
    b.roundedBox({(u - 0.5f) * s.length, y, 0.0f}, {width, th, 2.0f * half}, 0.006f);
}

// Styles: 0 rowing boat (transom stern, thwarts, oars), 1 canoe (pointed both ends, seats),
// 2 sailing dinghy (mast, boom, sail, rudder).
void boat(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float lengthK = k.range("length", 0.85f, 1.15f), beamK = k.range("beam", 0.9f, 1.1f), depthK = k.range("depth", 0.88f, 1.12f);
    const float sheerK = k.range("sheer", 0.6f, 1.4f), mastK = k.range("mast-height", 1.45f, 1.8f);
    const float sailK = k.range("sail-size", 0.8f, 1.0f);
    notes.sizeWord = extremeWord(k.position("length"), "small", "large");

    HullSpec s;
    const float beam = (style == 1 ? 0.84f : style == 0 ? 1.35f : 1.4f) * beamK;
    const float depth = (style == 1 ? 0.34f : style == 0 ? 0.5f : 0.48f) * depthK;
    s.length = (style == 1 ? 4.8f : style == 0 ? 3.2f : 3.6f) * lengthK;
    s.wall = style == 1 ? 0.012f : 0.022f;
    const float hb = 0.5f * beam, sheer = sheerK;
    if (style == 1) {
        // Canoe: symmetric, pointed, the gunwales sweeping up at both ends.
        s.fullness = 0.85f;
        s.halfWidth = [=](float u) { return std::max(0.01f, hb * std::pow(std::max(0.0f, std::sin(kPi * u)), 0.8f)); };
        s.rim = [=](float u) { return depth * (1.0f + 0.55f * sheer * std::pow(2.0f * u - 1.0f, 6.0f)); };
        s.keel = [=](float u) { return depth * 0.55f * std::pow(std::abs(2.0f * u - 1.0f), 4.0f); };
    } else {
        // Transom stern at u = 0, a fine bow at u = 1.
        s.transom = true;
        s.fullness = 0.75f;
        s.halfWidth = [=](float u) {
            // Forward of midships the plan narrows to a fine bow (reaching ~0 right at the stem,
            // so the last station is a thin sliver); aft it eases to the transom's width.
            const float bow = u > 0.45f ? std::pow(std::max(0.0f, 1.0f - std::pow((u - 0.45f) / 0.55f, 2.0f)), 0.85f) : 1.0f - 0.3f * std::pow((0.45f - u) / 0.45f, 2.0f);
            return std::max(0.008f, hb * bow);
        };
        s.rim = [=](float u) { return depth * (1.0f + 0.12f * sheer * (1.0f - u) * (1.0f - u) + 0.3f * sheer * u * u * u); };
        s.keel = [=](float u) { return depth * (0.3f * std::pow(std::max(0.0f, 0.35f - u) / 0.35f, 2.0f) + 0.55f * std::pow(std::max(0.0f, u - 0.55f) / 0.45f, 2.0f)); };
    }
    b.part("hull");
    hull(b, s);
    if (s.transom) {
        // The transom board: it closes the flat stern (the loft's end fan lies inside it).
        std::vector<vec2> o;
        const float w0 = s.halfWidth(0.0f) + 0.004f, top = s.rim(0.0f) + 0.012f, d0 = s.rim(0.0f) - s.keel(0.0f) + 0.004f;
        for (int i = 0; i <= 24; ++i) {
            const float a = kPi + kPi * float(i) / 24.0f;
            o.push_back({w0 * std::copysign(std::pow(std::abs(std::cos(a)), s.fullness), std::cos(a)), s.rim(0.0f) + d0 * std::copysign(std::pow(std::abs(std::sin(a)), s.fullness), std::sin(a))});
        }
        o.push_back({w0, top});
        o.push_back({-w0, top});
        b.prism(ccw(o), -0.008f, 0.02f, sideView({-0.5f * s.length, 0.0f, 0.0f}));
    }
    b.part("seats");
    if (style == 0) {
        thwart(b, s, 0.22f, 0.16f, 0.3f);
        thwart(b, s, 0.5f, 0.14f, 0.22f);
        thwart(b, s, 0.75f, 0.12f, 0.2f);
        // Oars resting in the boat, blades towards the stern.
        b.part("oars");
        const float oarL = 0.75f * s.length, y = s.rim(0.5f) - 0.14f + 0.03f;
        for (const float side : {-1.0f, 1.0f}) {
            const float z = side * 0.22f * hb;
            const vec3 a(-0.5f * s.length + 0.3f, y + 0.01f, z), e = a + vec3(oarL, 0.0f, -side * 0.05f);
            b.tube({a + vec3(0.25f, 0.0f, 0.0f), e}, {0.02f, 0.016f}, 10);
            b.roundedBox({0.0f, 0.0f, 0.0f}, {0.5f, 0.014f, 0.13f}, 0.006f, translation(a + vec3(0.12f, 0.0f, 0.0f)));
        }
        return;
    }
    if (style == 1) {
        thwart(b, s, 0.2f, 0.07f, 0.24f);
        thwart(b, s, 0.5f, 0.04f, 0.08f);
        thwart(b, s, 0.8f, 0.07f, 0.24f);
        return;
    }
    thwart(b, s, 0.62f, 0.1f, 0.22f);
    thwart(b, s, 0.25f, 0.12f, 0.3f);
    // Mast through the forward thwart, boom aft, a triangular mainsail between them, a rudder.
    b.part("mast");
    const float mu = 0.66f, mx = (mu - 0.5f) * s.length, mastH = mastK * s.length * 0.9f;
    const float boomY = s.rim(mu) + 0.75f, boomEnd = -0.5f * s.length + 0.15f;
    b.tube({{mx, s.keel(mu) + 0.01f, 0.0f}, {mx, mastH, 0.0f}}, {0.04f, 0.028f}, 12);
    b.tube({{mx + 0.02f, boomY, 0.0f}, {boomEnd, boomY, 0.0f}}, {0.03f, 0.025f}, 10);
    const float rudderX = -0.5f * s.length - 0.01f;
    b.prism(startAt(ccw({{rudderX, s.rim(0.0f) + 0.05f}, {rudderX - 0.06f, s.rim(0.0f) + 0.05f}, {rudderX - 0.12f, std::max(0.03f, s.keel(0.0f) - 0.1f)},
                 {rudderX - 0.02f, std::max(0.02f, s.keel(0.0f) - 0.12f)}}), 1),
            -0.012f, 0.012f);
    b.tube({{rudderX - 0.03f, s.rim(0.0f) + 0.03f, 0.0f}, {rudderX + 0.7f, s.rim(0.0f) + 0.08f, 0.0f}}, {0.018f}, 8);
    b.part("sail");
    const float luff = (mastH - boomY - 0.15f) * sailK;
    // Head, clew, tack (counter-clockwise): the first seam is the leech, not the foot, whose
    // length is the cap's own width.
    b.prism({{mx - 0.03f, boomY + 0.03f + luff}, {boomEnd + 0.1f, boomY + 0.03f}, {mx - 0.03f, boomY + 0.03f}}, -0.003f, 0.003f);
}

// --- Rocket -----------------------------------------------------------------------------------

// Profile points of a tangent ogive nose from radius r at y0 to a point at y0 + len.
void ogive(std::vector<vec2>& p, float r, float y0, float len, int n) {
    const float rho = (r * r + len * len) / (2.0f * r);
    for (int i = 1; i <= n; ++i) {
        const float x = len * float(i) / float(n);
        const float rr = i == n ? 0.0f : std::sqrt(std::max(0.0f, rho * rho - x * x)) + r - rho;
        p.push_back({std::max(0.0f, rr), y0 + x});
    }
}

// `count` fins around the body, each a thin swept trapezoid whose root sits in the body.
// The tip chord runs from `drop` below the root's foot (a swept fin reaches below the body).
// Counter-clockwise from the leading edge's top (see startAt).
void fins(AssetBuilder& b, int count, float r, float rootY, float root, float span, float tip, float drop, float thick) {
    const std::vector<vec2> o{{r + span, rootY - drop + tip}, {r - 0.003f, rootY + root}, {r - 0.003f, rootY}, {r + span, rootY - drop}};
    for (int i = 0; i < count; ++i) b.prism(o, -0.5f * thick, 0.5f * thick, rotationY(2.0f * kPi * float(i) / float(count)));
}

// Styles: 0 classic (slender, ogive nose, swept fins), 1 multi-stage (stacked stages, two sets of
// fins), 2 stubby toy (fat body, round nose, big rounded fins, a porthole). It stands on its fins.
void rocket(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float radius = k.range("radius", 0.035f, 0.065f), lengthR = k.range("length", 8.0f, 13.0f), noseR = k.range("nose-length", 2.5f, 4.0f);
    const int finCount = k.count("fins", 3, 4);
    const float span = k.range("fin-span", 1.1f, 2.0f), sweep = k.range("fin-sweep", 0.3f, 0.8f);
    notes.sizeWord = extremeWord(k.position("length"), "short", "tall");

    if (style == 2) {
        // A bulbous body tapering to a blunt point, three or four big fins as legs, a porthole.
        const float r = radius * 1.9f, hgt = r * (2.6f + 0.12f * lengthR + 0.2f * noseR);
        b.part("body");
        std::vector<vec2> p{{0.0f, 0.0f}, {0.6f * r, 0.0f}, {0.8f * r, 0.07f * hgt}, {0.94f * r, 0.18f * hgt}, {r, 0.32f * hgt}, {0.985f * r, 0.45f * hgt}};
        ogive(p, 0.985f * r, 0.45f * hgt, 0.55f * hgt, 16);
        p[p.size() - 2].x = std::max(p[p.size() - 2].x, 0.04f * r);  // a rounded-off tip
        b.lathe(p, 40, glm::mat4(1.0f), 45.0f);
        b.part("fins");
        const float tipX = r * (1.0f + 0.55f * span), tipY = -0.22f * r;
        std::vector<vec2> o{{0.55f * r, 0.52f * hgt}, {0.55f * r, 0.1f * hgt}};
        for (const vec2& q : std::vector<vec2>{{0.9f * r, 0.06f * hgt}, {tipX - 0.1f * r, 0.0f}, {tipX, tipY}, {tipX + 0.04f * r, tipY + 0.3f * r}})
            o.push_back(q);
        const std::vector<vec3> lead = bezier({tipX + 0.04f * r, tipY + 0.3f * r, 0.0f}, {tipX - 0.05f * r, 0.3f * hgt, 0.0f}, {0.95f * r, 0.45f * hgt, 0.0f},
                                              {0.6f * r, 0.52f * hgt, 0.0f}, 8);
        for (std::size_t i = 1; i + 1 < lead.size(); ++i) o.push_back({lead[i].x, lead[i].y});
        o = ccw(o);
        o = startAt(o, o.size() - 3);  // on the curved leading edge
        // No fin straight under the porthole (on +z).
        const float offset = 0.5f * kPi + (finCount % 2 == 0 ? kPi / float(finCount) : 0.0f);
        for (int i = 0; i < finCount; ++i) b.prism(o, -0.045f * r, 0.045f * r, rotationY(2.0f * kPi * float(i) / float(finCount) + offset));
        const float py = 0.55f * hgt, pr = 0.3f * r;
        b.torus({0.0f, 0.0f, 0.0f}, pr, 0.06f * r, 32, 10, translation({0.0f, py, 0.975f * r}) * rotationX(0.5f * kPi));
        ellipsoid(b, {0.0f, py, 0.96f * r}, {pr, pr, 0.07f * r}, 24);
        b.frustum({0.0f, -0.12f * r, 0.0f}, 0.45f * r, 0.38f * r, 0.2f * r, 24);
        return;
    }
    const float r = radius;
    b.part("body");
    std::vector<vec2> p{{0.0f, 0.0f}, {0.85f * r, 0.0f}, {r, 0.06f * r}};
    float topR = r, topY = lengthR * r;
    std::vector<std::pair<float, float>> joints;  // (y, radius) where a stage ends: rings go there
    if (style == 0) {
        p.push_back({r, topY});
        joints.push_back({topY, r});
    } else {
        const float l1 = 0.45f * lengthR * r, r2 = 0.78f * r, l2 = 0.3f * lengthR * r, r3 = 0.6f * r;
        p.push_back({r, l1});
        p.push_back({r2, l1 + 0.7f * r});
        p.push_back({r2, l1 + 0.7f * r + l2});
        p.push_back({r3, l1 + 1.2f * r + l2});
        topY = l1 + 1.2f * r + l2 + 0.25f * lengthR * r;
        p.push_back({r3, topY});
        topR = r3;
        joints = {{l1, r}, {l1 + 0.7f * r + l2, r2}, {topY, r3}};
    }
    ogive(p, topR, topY, noseR * topR * (style == 1 ? 1.2f : 1.0f), 14);
    b.lathe(p, 32, glm::mat4(1.0f), 25.0f);
    b.part("fins");
    const float thick = std::max(0.003f, 0.07f * r);
    fins(b, finCount, r, 0.02f * lengthR * r, 2.6f * r, span * r, 1.2f * r, 0.5f * r + sweep * r, thick);
    if (style == 1) fins(b, finCount, 0.78f * r, joints[0].first + 0.75f * r, 1.45f * r, 0.5f * span * r, 0.6f * r, 0.3f * r, thick * 0.8f);
    for (const auto& [y, rr] : joints) b.torus({0.0f, y, 0.0f}, rr + 0.002f, std::max(0.002f, 0.05f * r), 32, 8);
    b.lathe({{0.0f, -0.45f * r}, {0.7f * r, -0.45f * r}, {0.55f * r, -0.2f * r}, {0.45f * r, 0.02f}, {0.0f, 0.02f}}, 24, glm::mat4(1.0f), 30.0f);
}

} // namespace

void addProps(std::vector<CategoryDef>& out) {
    const std::vector<MK> trimMetals{MK::Metal, MK::Rusty};
    out.push_back({{"chest",
                    "prop",
                    {{"treasure", "with a curved lid"}, {"plain", "with a flat lid"}, {"banded", "with wide reinforcing bands"}},
                    {{"body", 0}, {"lid", 0}, {"bands", 1}, {"lock", 1}, {"handles", 1}},
                    {{"body", false, {MK::Wood, MK::Painted, MK::Leather}}, {"trim", false, trimMetals}},
                    0.45f, 1.05f,
                    {{"width", "make the chest wider", "make the chest narrower"}, {"height", "make the chest taller", "make the chest lower"}}},
                   chest});
    out.push_back({{"book",
                    "prop",
                    {{"hardcover", "with a hardback binding"}, {"tome", "as a thick tome with raised bands"}, {"open", "lying open"}},
                    {{"cover", 0}, {"pages", 1}},
                    {{"cover", false, {MK::Leather, MK::Fabric, MK::Painted}}, {"pages", true, {MK::Painted}}},
                    0.15f, 0.5f,
                    {{"thickness", "make the book thicker", "make the book thinner"}, {"height", "make the book bigger", "make the book smaller"}}},
                   book});
    out.push_back({{"potion",
                    "prop",
                    {{"round", "with a round body and a long neck"}, {"faceted", "with a faceted gem shape"}, {"vial", "shaped as a slender vial"}},
                    {{"flask", 0}, {"stopper", 1}},
                    {{"flask", false, {MK::Glass}}, {"stopper", false, {MK::Wood, MK::Glass, MK::Metal}}},
                    0.06f, 0.32f,
                    {{"neck-length", "make the neck longer", "make the neck shorter"}, {"body-radius", "make the potion bigger", "make the potion smaller"}}},
                   potion});
    out.push_back({{"lantern",
                    "prop",
                    {{"hurricane", "with a bulging chimney and wire guards"}, {"square", "with four square sides"}, {"ribbed", "with a round ribbed body"}},
                    {{"base", 0}, {"top", 0}, {"frame", 0}, {"handle", 0}, {"shade", 1}},
                    {{"frame", false, {MK::Metal, MK::Rusty, MK::Painted}}, {"shade", false, {MK::Glass, MK::Fabric}}},
                    0.18f, 0.6f,
                    {{"height", "make the lantern taller", "make the lantern shorter"}, {"width", "make the lantern wider", "make the lantern narrower"}}},
                   lantern});
    out.push_back({{"streetlight",
                    "structure",
                    {{"single-arm", "with one curved arm"}, {"double-arm", "with two curved arms"}, {"post-top", "topped with a classic four-sided head"}},
                    {{"pole", 0}, {"base", 0}, {"arms", 0}, {"housing", 0}, {"shade", 1}},
                    {{"pole", false, {MK::Metal, MK::Painted, MK::Rusty}}, {"shade", false, {MK::Glass}}},
                    2.6f, 9.0f,
                    {{"height", "make the streetlight taller", "make the streetlight shorter"}, {"arm-length", "make the arms longer", "make the arms shorter"}}},
                   streetlight});
    const std::vector<MK> fenceKinds{MK::Wood, MK::Painted, MK::Metal, MK::Rusty};
    out.push_back({{"fence",
                    "structure",
                    {{"picket", "with pointed pickets"}, {"rail", "with long horizontal logs"}, {"mesh", "with a welded wire mesh"}},
                    {{"posts", 0}, {"rails", 1}},
                    {{"posts", true, fenceKinds}, {"rails", true, fenceKinds}},
                    1.2f, 5.2f,
                    {{"height", "make the fence taller", "make the fence lower"}, {"bay-length", "make the fence longer", "make the fence shorter"}}},
                   fence});
    out.push_back({{"tyre",
                    "prop",
                    {{"car", "for a car with grooved ribs"}, {"bicycle", "on a spoked bicycle wheel"}, {"tractor", "for a tractor with chunky lugs"}},
                    {{"tyre", 0}, {"rim", 1}},
                    {{"tread", false, {MK::Plastic}}, {"rim", false, {MK::Metal, MK::Painted, MK::Rusty}}},
                    0.5f, 1.8f,
                    {{"diameter", "make the tyre bigger", "make the tyre smaller"}, {"width", "make the tyre wider", "make the tyre narrower"}}},
                   tyre});
    out.push_back({{"birdhouse",
                    "prop",
                    {{"gable", "with a pitched gable top"}, {"flat", "with a flat slanted top"}, {"perch", "with a round entrance and a perch"}},
                    {{"body", 0}, {"perch", 0}, {"roof", 1}},
                    {{"body", false, {MK::Wood, MK::Painted}}, {"roof", false, {MK::Wood, MK::Painted, MK::Metal, MK::Rusty}}},
                    0.14f, 0.5f,
                    {{"height", "make the birdhouse taller", "make the birdhouse shorter"}, {"overhang", "make the roof overhang more", "make the roof overhang less"}}},
                   birdhouse});
    out.push_back({{"boat",
                    "prop",
                    {{"rowing", "for rowing with oars"}, {"canoe", "shaped as a pointed canoe"}, {"sailboat", "with a mast and a sail"}},
                    {{"hull", 0}, {"oars", 0}, {"mast", 0}, {"seats", 1}, {"sail", 1}},
                    {{"hull", false, {MK::Wood, MK::Painted, MK::Plastic}}, {"seats", true, {MK::Painted, MK::Plastic, MK::Fabric}}},
                    2.2f, 8.0f,
                    {{"length", "make the boat longer", "make the boat shorter"}, {"depth", "make the hull deeper", "make the hull shallower"}}},
                   boat});
    out.push_back({{"rocket",
                    "prop",
                    {{"classic", "with a slender pointed nose"}, {"multi-stage", "with several stages"}, {"stubby", "shaped like a stubby toy"}},
                    {{"body", 0}, {"fins", 1}},
                    {{"body", false, {MK::Painted, MK::Metal, MK::Plastic}}, {"fins", true, {MK::Painted, MK::Metal, MK::Plastic}}},
                    0.22f, 1.4f,
                    {{"length", "make the rocket longer", "make the rocket shorter"}, {"fin-span", "make the fins bigger", "make the fins smaller"}}},
                   rocket});
}

} // namespace kiln::procgen::detail
