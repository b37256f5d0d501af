// Plants, props and natural shapes: mushroom, tree, rock, candle, sword, cactus.
#include "shapes.h"

#include <glm/geometric.hpp>

#include <cmath>
#include <cstring>
#include <numbers>

namespace kiln::procgen::v1::detail {

namespace {

constexpr float kPi = std::numbers::pi_v<float>;

// Styles: 0 dome cap, 1 flat cap, 2 pointed (conical) cap.
void mushroom(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tS = 0.0f;
    const float s = rng.uniform(0.06f, 0.25f, tS);
    notes.sizeWord = extremeWord(tS, "small", "large");
    const float stemR = s * rng.uniform(0.09f, 0.14f), stemH = s * rng.uniform(0.5f, 0.7f), capR = s * rng.uniform(0.3f, 0.45f);
    b.frustum({0.0f, 0.0f, 0.0f}, stemR * 1.25f, stemR * 0.9f, stemH, 24);
    const float y0 = stemH * 0.9f;
    std::vector<glm::vec2> p{{0.0f, y0}, {capR * 0.92f, y0}};
    if (style == 2) {
        p.push_back({capR, y0 + capR * 0.08f});
        p.push_back({0.0f, y0 + capR * rng.uniform(1.0f, 1.5f)});
    } else {
        const float capH = capR * (style == 0 ? rng.uniform(0.6f, 0.9f) : rng.uniform(0.2f, 0.3f));
        const int n = 10;
        for (int i = 0; i < n; ++i) {
            const float a = 0.5f * kPi * float(i) / float(n);
            p.push_back({capR * std::cos(a), y0 + capH * std::sin(a) + capR * 0.04f});
        }
        p.push_back({0.0f, y0 + capH + capR * 0.04f});
    }
    b.lathe(p, 32);
}

// Styles: 0 round crown (overlapping spheres), 1 pointed crown (stacked cones, like a pine).
void tree(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    const float h = rng.uniform(1.2f, 2.8f, tH), trunkR = h * rng.uniform(0.025f, 0.04f);
    notes.sizeWord = extremeWord(tH, "small", "tall");
    if (style == 0) {
        const float cr = h * rng.uniform(0.24f, 0.3f);
        b.frustum({0.0f, 0.0f, 0.0f}, trunkR * 1.3f, trunkR, h - cr, 16);
        b.sphere({0.0f, h - cr, 0.0f}, glm::vec3(cr, cr * rng.uniform(0.85f, 1.0f), cr), 32);
        const int extra = rng.range(2, 3);
        const float turn = rng.uniform(0.0f, 2.0f * kPi);
        for (int i = 0; i < extra; ++i) {
            const float a = turn + 2.0f * kPi * float(i) / float(extra), r = cr * rng.uniform(0.55f, 0.7f);
            b.sphere({cr * 0.55f * std::cos(a), h - cr * rng.uniform(1.1f, 1.4f), cr * 0.55f * std::sin(a)}, glm::vec3(r), 24);
        }
    } else {
        const float trunkH = h * rng.uniform(0.22f, 0.3f), baseR = h * rng.uniform(0.22f, 0.3f);
        b.frustum({0.0f, 0.0f, 0.0f}, trunkR * 1.3f, trunkR, trunkH + h * 0.05f, 16);
        const int tiers = rng.range(3, 4);
        const float span = h - trunkH, tierH = span / (float(tiers) * 0.62f);
        for (int i = 0; i < tiers; ++i) {
            const float t = float(i) / float(tiers);
            const float y = trunkH + (span - tierH) * float(i) / float(tiers - 1);
            b.frustum({0.0f, y, 0.0f}, baseR * (1.0f - 0.55f * t), 0.0f, tierH, 24);
        }
    }
}

float positionNoise(const glm::vec3& p, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (int k = 0; k < 3; ++k) {
        float f = p[k] == 0.0f ? 0.0f : p[k];  // -0 and +0 are one position and must move together
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        h = mix64(h ^ u);
    }
    return float(h >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f;
}

// Styles: 0 smooth (a rounded boulder), 1 jagged (faceted, strongly displaced).
void rock(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tS = 0.0f;
    const float r = rng.uniform(0.12f, 0.45f, tS);
    notes.sizeWord = extremeWord(tS, "small", "large");
    const bool jagged = style == 1;
    b.sphere({0.0f, 0.0f, 0.0f}, {r, r * rng.uniform(0.5f, 0.8f), r * rng.uniform(0.7f, 1.0f)}, jagged ? 12 : 32);
    struct Wave {
        glm::vec3 dir;
        float freq, phase, amp;
    };
    std::vector<Wave> waves;
    for (int i = 0; i < 4; ++i) {
        const glm::vec3 d(rng.uniform(-1.0f, 1.0f), rng.uniform(-1.0f, 1.0f), rng.uniform(-1.0f, 1.0f));
        waves.push_back({glm::length(d) > 1e-3f ? glm::normalize(d) : glm::vec3(0, 1, 0), rng.uniform(1.5f, 4.0f), rng.uniform(0.0f, 6.28f),
                         rng.uniform(0.03f, 0.07f)});
    }
    const std::uint64_t noiseSeed = rng.next();
    const float jitter = jagged ? 0.12f : 0.0f;
    b.displace(
        [&](const glm::vec3& p) {
            const glm::vec3 u = p / r;
            float k = 1.0f;
            for (const Wave& w : waves) k += w.amp * std::sin(w.freq * glm::dot(w.dir, u) + w.phase) * (jagged ? 1.8f : 1.0f);
            if (jagged) k += jitter * positionNoise(p, noiseSeed);
            // Flatten the underside a little so the rock sits on the ground.
            glm::vec3 q = p * k;
            if (q.y < -0.6f * r * 0.5f) q.y = -0.6f * r * 0.5f + (q.y + 0.3f * r) * 0.3f;
            return q;
        },
        jagged);
}

// Styles: 0 pillar (thick), 1 taper (thin and tall). A dark wick and a small flame are the only
// parts not in the prompted colour.
void candle(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes&) {
    const bool pillar = style == 0;
    const float r = pillar ? rng.uniform(0.03f, 0.05f) : rng.uniform(0.009f, 0.013f);
    const float h = pillar ? rng.uniform(0.07f, 0.18f) : rng.uniform(0.18f, 0.3f);
    const float bevel = r * 0.12f;
    std::vector<glm::vec2> p{{0.0f, 0.0f}, {r, 0.0f}, {r, h - bevel}, {r - bevel * 0.6f, h - bevel * 0.2f}, {r - bevel, h}};
    if (pillar) p.push_back({r * 0.8f, h - r * 0.08f});  // melted hollow around the wick
    p.push_back({0.0f, pillar ? h - r * 0.1f : h});
    b.lathe(p, pillar ? 40 : 20);
    const glm::vec3 body = b.colour();
    const float top = pillar ? h - r * 0.1f : h, fs = pillar ? 1.0f : 0.8f;
    b.setColour(kWickColour);
    b.cylinder({0.0f, top - 0.003f, 0.0f}, 0.0012f, 0.015f * fs + 0.003f, 8);
    b.setColour(kFlameColour);
    b.sphere({0.0f, top + 0.015f * fs + 0.006f * fs, 0.0f}, glm::vec3(0.004f, 0.011f, 0.004f) * fs, 12);
    b.setColour(body);
}

// Styles: 0 straight (long narrow blade), 1 broad (short wide blade). Stands on its pommel.
void sword(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tL = 0.0f;
    const bool broad = style == 1;
    const float len = broad ? rng.uniform(0.6f, 0.85f, tL) : rng.uniform(0.75f, 1.05f, tL);
    notes.sizeWord = extremeWord(tL, "short", "long");
    const float bladeW = broad ? rng.uniform(0.07f, 0.1f) : rng.uniform(0.032f, 0.048f);
    const float thick = rng.uniform(0.005f, 0.008f), grip = rng.uniform(0.1f, 0.16f), pommel = rng.uniform(0.018f, 0.025f);
    const float guardH = rng.uniform(0.018f, 0.028f), guardW = broad ? bladeW * rng.uniform(1.8f, 2.4f) : rng.uniform(0.14f, 0.22f);
    b.sphere({0.0f, pommel, 0.0f}, glm::vec3(pommel), 16);
    b.cylinder({0.0f, pommel, 0.0f}, rng.uniform(0.012f, 0.016f), grip + 0.01f, 16);
    const float guardY = pommel + grip + guardH * 0.5f;
    b.box({0.0f, guardY, 0.0f}, {guardW, guardH, rng.uniform(0.025f, 0.035f)});
    const float y0 = guardY, tip = len, tipLen = bladeW * (broad ? rng.uniform(0.8f, 1.2f) : rng.uniform(1.2f, 2.0f));
    const float hw = bladeW * 0.5f, shoulder = hw * (broad ? rng.uniform(0.9f, 1.0f) : rng.uniform(0.75f, 0.9f));
    b.prism({{-hw, y0}, {hw, y0}, {shoulder, tip - tipLen}, {0.0f, tip}, {-shoulder, tip - tipLen}}, -thick * 0.5f, thick * 0.5f);
}

// Styles: 0 arms (a column with two bent arms), 1 column (no arms), 2 round (ribbed ball).
void cactus(MeshBuilder& b, int style, ShapeRng& rng, ShapeNotes& notes) {
    float tH = 0.0f;
    if (style == 2) {
        const float r = rng.uniform(0.08f, 0.2f, tH), ribs = float(rng.range(10, 16)), depth = rng.uniform(0.04f, 0.07f);
        notes.sizeWord = extremeWord(tH, "small", "large");
        b.sphere({0.0f, 0.0f, 0.0f}, {r, r * rng.uniform(0.7f, 0.9f), r}, 64);
        b.displace(
            [&](const glm::vec3& p) {
                const float a = std::atan2(p.z, p.x);
                const float k = 1.0f + depth * std::cos(ribs * a) * std::sqrt(std::max(0.0f, 1.0f - (p.y / r) * (p.y / r)));
                return glm::vec3(p.x * k, p.y, p.z * k);
            },
            false);
        return;
    }
    const float h = rng.uniform(0.3f, 1.1f, tH), r = h * rng.uniform(0.08f, 0.12f);
    notes.sizeWord = extremeWord(tH, "small", "tall");
    std::vector<glm::vec2> p{{0.0f, 0.0f}, {r, 0.0f}, {r, h - r}};
    for (int i = 1; i < 8; ++i) {
        const float a = 0.5f * kPi * float(i) / 8.0f;
        p.push_back({r * std::cos(a), h - r + r * std::sin(a)});
    }
    p.push_back({0.0f, h});
    b.lathe(p, 24);
    if (style == 0) {
        const glm::mat4 turn = rotationY(rng.uniform(0.0f, kPi));
        for (float s : {-1.0f, 1.0f}) {
            const float ar = r * rng.uniform(0.55f, 0.7f), ya = h * rng.uniform(0.3f, 0.55f), out = r + ar * rng.uniform(1.2f, 2.0f);
            const float bend = ar * 1.5f, up = h * rng.uniform(0.15f, 0.3f);
            std::vector<glm::vec3> path{{0.0f, ya, 0.0f}, {s * (out - bend), ya, 0.0f}};
            for (int i = 1; i <= 6; ++i) {
                const float a = 0.5f * kPi * float(i) / 6.0f;
                path.push_back({s * (out - bend + bend * std::sin(a)), ya + bend * (1.0f - std::cos(a)), 0.0f});
            }
            path.push_back({s * out, ya + bend + up, 0.0f});
            b.tube(path, ar, 16, turn);
            // Slightly larger than the tube and with other segment angles, so no tube ring coincides
            // with a sphere ring (a shared edge would be non-manifold).
            b.sphere({s * out, ya + bend + up, 0.0f}, glm::vec3(ar * 1.04f), 18, turn);
        }
    }
}

} // namespace

void addNature(std::vector<CategoryDef>& out) {
    using M = MaterialKind;
    out.push_back({"mushroom",
                   {{"dome", "with a round cap"}, {"flat", "with a flat cap"}, {"pointed", "with a pointed cap"}},
                   {M::Ceramic, M::Plastic, M::Stone},
                   mushroom});
    out.push_back({"tree", {{"round", "with a round crown"}, {"pointed", "with a pointed crown"}}, {M::Wood, M::Plastic, M::Ceramic}, tree});
    out.push_back({"rock", {{"smooth", "with smooth rounded sides"}, {"jagged", "with sharp jagged faces"}}, {M::Stone}, rock});
    out.push_back({"candle", {{"pillar", "with a thick round body"}, {"taper", "with a thin body"}}, {M::Plastic, M::Ceramic}, candle});
    out.push_back({"sword", {{"straight", "with a narrow blade"}, {"broad", "with a broad blade"}}, {M::Metal, M::Wood, M::Plastic}, sword});
    out.push_back({"cactus",
                   {{"arms", "with two arms"}, {"column", "without arms"}, {"round", "with a round ribbed body"}},
                   {M::Plastic, M::Ceramic, M::Stone},
                   cactus});
}

} // namespace kiln::procgen::v1::detail
