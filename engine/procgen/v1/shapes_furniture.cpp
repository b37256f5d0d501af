// Furniture: chair, stool, table, bench, shelf, lamp. Sizes follow ordinary furniture (metres).
#include "shapes.h"

#include <cmath>
#include <numbers>

namespace kiln::procgen::v1::detail {

namespace {

constexpr float kPi = std::numbers::pi_v<float>;

// A leg standing on the floor at (x, z) up to `top`: a cylinder or a square post.
void leg(MeshBuilder& b, bool round, float x, float z, float top, float thickness) {
    if (round)
        b.cylinder({x, 0.0f, z}, thickness * 0.5f, top, 16);
    else
        b.box({x, top * 0.5f, z}, {thickness, top, thickness});
}

// Styles: 0 round-legs, 1 square-legs, 2 armrests (square legs and two arms).
void chair(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tBack = 0.0f;
    const float seatH = rng.uniform(0.42f, 0.50f), width = rng.uniform(0.40f, 0.52f), depth = rng.uniform(0.38f, 0.50f);
    const float seatT = rng.uniform(0.03f, 0.05f), backH = rng.uniform(0.32f, 0.55f, tBack), legT = rng.uniform(0.03f, 0.045f);
    notes.sizeWord = extremeWord(tBack, "low", "tall");
    const bool round = style == 0;
    b.box({0.0f, seatH - seatT * 0.5f, 0.0f}, {width, seatT, depth});
    const float lx = width * 0.5f - legT * 0.7f, lz = depth * 0.5f - legT * 0.7f;
    const float legTop = seatH - seatT * 0.4f;
    leg(b, round, -lx, lz, legTop, legT);
    leg(b, round, lx, lz, legTop, legT);
    // The back legs run on up as the posts of the backrest.
    leg(b, round, -lx, -lz, seatH + backH, legT);
    leg(b, round, lx, -lz, seatH + backH, legT);
    const float rail = backH * rng.uniform(0.3f, 0.5f);
    b.box({0.0f, seatH + backH - rail * 0.5f - legT * 0.3f, -lz}, {2.0f * lx, rail, legT * 0.6f});
    if (style == 2) {
        const float armH = rng.uniform(0.2f, 0.26f), armW = legT * 1.6f;
        for (float s : {-1.0f, 1.0f}) {
            b.box({s * lx, seatH + armH * 0.5f, lz}, {legT * 0.9f, armH, legT * 0.9f});  // front support
            b.box({s * lx, seatH + armH + armW * 0.25f, 0.0f}, {armW, armW * 0.5f, 2.0f * lz + legT});
        }
    }
}

// Styles: 0 round-seat (three legs and a foot ring), 1 square-seat (four legs and rungs).
void stool(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    const float h = rng.uniform(0.45f, 0.78f, tH), seatT = rng.uniform(0.03f, 0.05f);
    notes.sizeWord = extremeWord(tH, "low", "tall");
    if (style == 0) {
        const float r = rng.uniform(0.15f, 0.2f), legR = rng.uniform(0.012f, 0.018f), ringH = h * rng.uniform(0.3f, 0.4f);
        b.cylinder({0.0f, h - seatT, 0.0f}, r, seatT, 32);
        const float lr = r * 0.72f;
        for (int k = 0; k < 3; ++k) {
            const float a = kPi * 0.5f + 2.0f * kPi * float(k) / 3.0f;
            b.cylinder({lr * std::cos(a), 0.0f, lr * std::sin(a)}, legR, h - seatT * 0.5f, 12);
        }
        b.torus({0.0f, ringH, 0.0f}, lr, legR * 0.8f, 32, 8);
    } else {
        const float w = rng.uniform(0.3f, 0.4f), legT = rng.uniform(0.03f, 0.04f);
        b.box({0.0f, h - seatT * 0.5f, 0.0f}, {w, seatT, w});
        const float l = w * 0.5f - legT * 0.8f, rungH = h * rng.uniform(0.25f, 0.35f);
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) leg(b, false, sx * l, sz * l, h - seatT * 0.5f, legT);
        for (float s : {-1.0f, 1.0f}) {
            b.box({s * l, rungH, 0.0f}, {legT * 0.5f, legT * 0.6f, 2.0f * l});
            b.box({0.0f, rungH + legT, s * l}, {2.0f * l, legT * 0.6f, legT * 0.5f});
        }
    }
}

// Styles: 0 round-top (one pedestal on a round foot), 1 square-top (four legs).
void table(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tSize = 0.0f;
    const float h = rng.uniform(0.7f, 0.78f), topT = rng.uniform(0.03f, 0.05f);
    if (style == 0) {
        const float r = rng.uniform(0.35f, 0.6f, tSize), post = rng.uniform(0.035f, 0.06f), foot = r * rng.uniform(0.45f, 0.6f);
        b.cylinder({0.0f, h - topT, 0.0f}, r, topT, 48);
        b.cylinder({0.0f, 0.02f, 0.0f}, post, h - topT * 0.5f - 0.02f, 24);
        b.frustum({0.0f, 0.0f, 0.0f}, foot, post * 1.6f, 0.05f, 32);
    } else {
        const float w = rng.uniform(0.7f, 1.5f, tSize), d = w * rng.uniform(0.7f, 1.0f), legT = rng.uniform(0.04f, 0.07f);
        b.box({0.0f, h - topT * 0.5f, 0.0f}, {w, topT, d});
        const float lx = w * 0.5f - legT * 1.2f, lz = d * 0.5f - legT * 1.2f;
        for (float sx : {-1.0f, 1.0f})
            for (float sz : {-1.0f, 1.0f}) leg(b, false, sx * lx, sz * lz, h - topT * 0.5f, legT);
        // Apron under the top ties the legs together.
        const float apron = rng.uniform(0.06f, 0.1f);
        for (float s : {-1.0f, 1.0f}) {
            b.box({0.0f, h - topT - apron * 0.5f + 0.005f, s * lz}, {2.0f * lx, apron, legT * 0.4f});
            b.box({s * lx, h - topT - apron * 0.5f + 0.004f, 0.0f}, {legT * 0.4f, apron, 2.0f * lz});
        }
    }
    notes.sizeWord = extremeWord(tSize, "small", "large");
}

// Styles: 0 backless, 1 with-backrest. Slab ends as legs.
void bench(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tLen = 0.0f;
    const float len = rng.uniform(0.9f, 1.8f, tLen), depth = rng.uniform(0.32f, 0.45f), h = rng.uniform(0.4f, 0.48f);
    const float seatT = rng.uniform(0.04f, 0.06f), slab = rng.uniform(0.04f, 0.06f);
    notes.sizeWord = extremeWord(tLen, "short", "long");
    b.box({0.0f, h - seatT * 0.5f, 0.0f}, {len, seatT, depth});
    const float ex = len * 0.5f - rng.uniform(0.06f, 0.15f);
    for (float s : {-1.0f, 1.0f}) b.box({s * ex, (h - seatT * 0.5f) * 0.5f, 0.0f}, {slab, h - seatT * 0.5f, depth * 0.9f});
    b.box({0.0f, h * 0.3f, 0.0f}, {2.0f * ex, slab * 0.8f, slab * 0.6f});  // stretcher
    if (style == 1) {
        const float backH = rng.uniform(0.35f, 0.5f), postT = slab * 0.8f, z = -depth * 0.5f + postT * 0.5f;
        for (float s : {-1.0f, 1.0f}) b.box({s * ex, h - seatT + backH * 0.5f, z}, {postT, backH, postT});
        const float board = backH * rng.uniform(0.35f, 0.55f);
        b.box({0.0f, h - seatT + backH - board * 0.5f, z}, {len * 0.97f, board, postT * 0.6f});
    }
}

// Styles: 0 tall (four to five shelf levels), 1 low (two levels, wider than tall).
void shelf(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tW = 0.0f;
    const bool tall = style == 0;
    const float h = tall ? rng.uniform(1.4f, 2.0f) : rng.uniform(0.55f, 0.85f);
    const float w = tall ? rng.uniform(0.6f, 0.9f, tW) : rng.uniform(0.9f, 1.4f, tW);
    const float d = rng.uniform(0.25f, 0.38f), t = rng.uniform(0.018f, 0.028f);
    notes.sizeWord = extremeWord(tW, "narrow", "wide");
    for (float s : {-1.0f, 1.0f}) b.box({s * (w - t) * 0.5f, h * 0.5f, 0.0f}, {t, h, d});
    const int levels = tall ? rng.range(4, 5) : 2;
    const float plinth = rng.uniform(0.04f, 0.08f);
    // levels + 1 boards: bottom (above the plinth), the shelves, top.
    for (int i = 0; i <= levels; ++i) {
        const float y = plinth + (h - plinth - t * 0.5f) * float(i) / float(levels);
        b.box({0.0f, std::min(y, h - t * 0.5f), 0.01f}, {w - t, t, d - 0.02f});
    }
    b.box({0.0f, h * 0.5f, -d * 0.5f + 0.006f}, {w - t * 1.2f, h - t, 0.008f});  // back panel
    b.box({0.0f, plinth * 0.5f, d * 0.5f - 0.02f}, {w - t, plinth, 0.015f});      // kick board
}

// Styles: 0 floor (tall pole on a disc), 1 desk (a round ceramic-like body under a wide shade).
void lamp(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    if (style == 0) {
        const float h = rng.uniform(1.3f, 1.75f, tH), baseR = rng.uniform(0.12f, 0.18f), poleR = rng.uniform(0.012f, 0.02f);
        const float shadeH = rng.uniform(0.22f, 0.32f), shadeR = rng.uniform(0.16f, 0.24f);
        b.frustum({0.0f, 0.0f, 0.0f}, baseR, baseR * 0.9f, 0.03f, 32);
        b.cylinder({0.0f, 0.02f, 0.0f}, poleR, h - shadeH * 0.5f, 12);
        b.frustum({0.0f, h - shadeH, 0.0f}, shadeR, shadeR * rng.uniform(0.6f, 0.8f), shadeH, 32);
    } else {
        const float bodyH = rng.uniform(0.16f, 0.3f, tH), bodyR = rng.uniform(0.06f, 0.1f);
        const float shadeH = rng.uniform(0.14f, 0.2f), shadeR = rng.uniform(0.13f, 0.2f);
        std::vector<glm::vec2> p{{0.0f, 0.0f}};
        for (int i = 0; i <= 12; ++i) {
            const float y = bodyH * float(i) / 12.0f;
            p.push_back({bodyR * (0.55f + 0.45f * std::sin(kPi * (0.15f + 0.75f * float(i) / 12.0f))), y});
        }
        p.push_back({0.0f, bodyH});
        b.lathe(p, 32);
        const float neck = rng.uniform(0.04f, 0.08f);
        b.cylinder({0.0f, bodyH - 0.01f, 0.0f}, 0.012f, neck + 0.02f, 12);
        b.frustum({0.0f, bodyH + neck, 0.0f}, shadeR, shadeR * rng.uniform(0.6f, 0.85f), shadeH, 32);
    }
    notes.sizeWord = extremeWord(tH, "small", "tall");
}

} // namespace

void addFurniture(std::vector<CategoryDef>& out) {
    using M = MaterialKind;
    out.push_back({"chair",
                   {{"round-legs", "with four round legs"}, {"square-legs", "with four square legs"}, {"armrests", "with armrests"}},
                   {M::Wood, M::Metal, M::Plastic},
                   chair});
    out.push_back({"stool",
                   {{"round-seat", "with a round seat and three legs"}, {"square-seat", "with a square seat and four legs"}},
                   {M::Wood, M::Metal, M::Plastic},
                   stool});
    out.push_back({"table",
                   {{"round-top", "with a round top on a single pedestal"}, {"square-top", "with a square top and four legs"}},
                   {M::Wood, M::Metal, M::Stone, M::Plastic},
                   table});
    out.push_back({"bench", {{"backless", "without a backrest"}, {"backrest", "with a backrest"}}, {M::Wood, M::Metal, M::Stone}, bench});
    out.push_back({"shelf", {{"tall", "with many shelves"}, {"low", "with two shelves"}}, {M::Wood, M::Metal, M::Plastic}, shelf});
    out.push_back({"lamp", {{"floor", "with a long pole"}, {"desk", "with a round base"}}, {M::Metal, M::Ceramic, M::Plastic}, lamp});
}

} // namespace kiln::procgen::v1::detail
