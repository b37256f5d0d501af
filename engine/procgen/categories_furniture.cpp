// Furniture. Sizes follow ordinary furniture (metres); seats 0.42-0.5 m high, tables 0.72-0.78 m.
#include "procgen/category_defs.h"

#include <cmath>

namespace kiln::procgen::detail {

namespace {

// A leg standing on the floor at (x, z) up to `top`: turned (round, slightly tapered) or square
// with softened edges.
void leg(AssetBuilder& b, bool round, float x, float z, float top, float thickness) {
    if (round) b.frustum({x, 0.0f, z}, thickness * 0.42f, thickness * 0.5f, top, 16);
    else b.roundedBox({x, top * 0.5f, z}, {thickness, top, thickness}, thickness * 0.15f);
}

// Styles: 0 round legs, 1 square legs, 2 armrests, 3 slatted back.
void chair(AssetBuilder& b, int style, Knobs& k, ShapeNotes& notes) {
    const float seatH = k.range("seat-height", 0.42f, 0.50f), width = k.range("width", 0.40f, 0.52f), depth = k.range("depth", 0.38f, 0.50f);
    const float seatT = k.range("seat-thickness", 0.03f, 0.05f), backH = k.range("back-height", 0.32f, 0.55f);
    const float legT = k.range("leg-thickness", 0.03f, 0.045f), tilt = k.range("back-tilt", 0.0f, 0.18f);
    const float legScale = k.range("leg-length", 0.85f, 1.15f);
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
    // The backrest: two posts leaning back and a curved board (or slats) between them.
    b.part("backrest");
    const float postT = legT * 0.9f;
    for (float s : {-1.0f, 1.0f}) {
        const glm::vec3 base(s * lx, seatY - seatT, -lz);
        const glm::vec3 top = base + glm::vec3(0.0f, backH + seatT, -std::sin(tilt) * backH);
        b.tube({base, top}, {postT * 0.5f}, 12);
    }
    const float topY = seatY + backH, topZ = -lz - std::sin(tilt) * backH;
    const float boardH = backH * k.range("board-height", 0.3f, 0.5f);
    if (style == 3) {
        const int slats = k.count("slats", 3, 5);
        for (int i = 0; i < slats; ++i) {
            const float x = -lx + 2.0f * lx * float(i + 1) / float(slats + 1);
            const float y0 = seatY + 0.02f, y1 = topY - postT * 0.5f;
            b.roundedBox({x, 0.5f * (y0 + y1), 0.5f * (-lz + topZ)}, {postT * 0.9f, y1 - y0, postT * 0.5f}, postT * 0.15f,
                         translation({0, 0, 0}) * glm::mat4(1.0f));
        }
        b.roundedBox({0.0f, topY - boardH * 0.25f, topZ}, {2.0f * lx + postT, boardH * 0.5f, postT * 0.8f}, postT * 0.2f, rotationX(-tilt * 0.0f));
    } else {
        b.roundedBox({0.0f, topY - boardH * 0.5f, topZ + std::sin(tilt) * boardH * 0.5f}, {2.0f * lx + postT * 0.5f, boardH, postT * 0.8f},
                     postT * 0.3f);
    }
    if (style == 2) {
        b.part("armrests");
        const float armH = k.range("arm-height", 0.2f, 0.26f), armW = legT * 1.4f;
        for (float s : {-1.0f, 1.0f}) {
            b.tube({{s * lx, seatY - seatT * 0.5f, lz}, {s * lx, seatY + armH, lz}}, {legT * 0.4f}, 12);
            b.roundedBox({s * lx, seatY + armH + armW * 0.2f, 0.0f}, {armW, armW * 0.45f, 2.0f * lz + legT}, armW * 0.2f);
        }
    }
}

} // namespace

void addFurniture(std::vector<CategoryDef>& out) {
    const std::vector<MK> woodish{MK::Wood, MK::Painted, MK::Metal, MK::Plastic};
    out.push_back({{"chair",
                    "furniture",
                    {{"round-legs", "with four round legs"}, {"square-legs", "with square legs"}, {"armrests", "with armrests"},
                     {"slatted", "with a slatted back"}},
                    {{"seat", 0}, {"backrest", 0}, {"legs", 1}, {"armrests", 1}},
                    {{"seat", false, {MK::Wood, MK::Painted, MK::Plastic, MK::Fabric, MK::Leather}}, {"legs", true, woodish}},
                    0.6f, 1.25f,
                    {{"leg-length", "make the legs longer", "make the legs shorter"}, {"back-height", "make the back taller", "make the back lower"}}},
                   chair});
}


} // namespace kiln::procgen::detail
