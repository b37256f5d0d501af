#include "procgen/materials.h"

#include "core/color.h"
#include "core/error.h"
#include "procgen/noise.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::procgen {

namespace {

PaletteColour colour(const char* name, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    PaletteColour c;
    c.name = name;
    c.srgb[0] = r;
    c.srgb[1] = g;
    c.srgb[2] = b;
    for (int k = 0; k < 3; ++k) c.linear[k] = core::linearFromSrgb(float(c.srgb[k]) / 255.0f);
    return c;
}

enum : int { Red, Orange, Yellow, Green, Teal, Blue, Purple, Pink, Brown, Black, White, Gray, Light, Dark, Silver, Golden, Copper };

glm::vec3 mix(const glm::vec3& a, const glm::vec3& b, float t) { return a + (b - a) * t; }
float smooth01(float e0, float e1, float x) {
    const float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

// Distance from the frame's axis line and position along it.
void axial(const MaterialFrame& f, const glm::vec3& p, float& along, glm::vec3& across) {
    const glm::vec3 d = p - f.origin;
    along = glm::dot(d, f.axis);
    across = d - along * f.axis;
}

SurfacePoint wood(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    float along;
    glm::vec3 across;
    axial(f, p, along, across);
    // Growth rings around an axis offset from the part's own (boards are cut off-centre), warped
    // by low-frequency noise; fine streaks stretched along the grain.
    const glm::vec3 q = across + glm::vec3(0.21f, -0.13f, 0.17f);
    const float warp = 0.012f * fbm(glm::vec3(along * 3.0f, q.x * 9.0f, q.z * 9.0f), 2, f.seed);
    const float rings = std::fmod((glm::length(q) + warp) * 70.0f, 1.0f);
    const float ring = smooth01(0.55f, 0.95f, rings) * (1.0f - smooth01(0.95f, 1.0f, rings));
    const glm::vec3 streakP = across * 140.0f + f.axis * (along * 6.0f);
    const float streak = gradientNoise(streakP, f.seed + 7u);
    const float shade = 1.0f + 0.22f * ring * -1.0f + 0.10f * streak;
    SurfacePoint s;
    s.albedo = base * std::max(0.2f, shade) * 1.06f;
    s.roughness = 0.62f + 0.10f * ring + 0.04f * streak;
    s.metallic = 0.0f;
    s.height = -0.0004f * ring + 0.00015f * streak;
    return s;
}

SurfacePoint metal(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    float along;
    glm::vec3 across;
    axial(f, p, along, across);
    // Brushed: fine streaks along the axis in roughness, a faint shimmer in colour.
    const float brush = gradientNoise(across * 400.0f + f.axis * (along * 8.0f), f.seed + 3u);
    const float blotch = fbm(p * 6.0f, 2, f.seed + 5u);
    SurfacePoint s;
    s.albedo = base * (1.0f + 0.05f * brush + 0.04f * blotch);
    s.roughness = 0.28f + 0.08f * brush + 0.05f * blotch;
    s.metallic = 1.0f;
    s.height = 0.00005f * brush;
    return s;
}

SurfacePoint painted(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    const float peel = gradientNoise(p * 90.0f, f.seed + 11u);   // orange-peel
    const float tone = fbm(p * 4.0f, 2, f.seed + 13u);
    SurfacePoint s;
    s.albedo = base * (1.0f + 0.05f * tone);
    s.roughness = 0.42f + 0.05f * peel;
    s.metallic = 0.0f;
    s.height = 0.00008f * peel;
    return s;
}

SurfacePoint rusty(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    // Patches where the paint has gone to rust; rust is rough, dark orange and not metallic.
    const float m = fbm(p * 7.0f, 4, f.seed + 17u);
    const float rust = smooth01(0.05f, 0.25f, m);
    const float grain = gradientNoise(p * 160.0f, f.seed + 19u);
    const glm::vec3 rustColour = glm::vec3(0.26f, 0.075f, 0.022f) * (1.0f + 0.25f * grain);
    SurfacePoint s;
    s.albedo = mix(base, rustColour, rust);
    s.roughness = 0.5f + 0.42f * rust;
    s.metallic = 0.45f * (1.0f - rust);
    s.height = 0.0006f * rust * (0.5f + 0.5f * grain);
    return s;
}

SurfacePoint stone(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    const float mottle = fbm(p * 5.0f, 4, f.seed + 23u);
    const float cells = cellular(p * 28.0f, f.seed + 29u);
    const float speck = gradientNoise(p * 220.0f, f.seed + 31u);
    SurfacePoint s;
    s.albedo = base * std::max(0.3f, 1.0f + 0.22f * mottle + 0.12f * (cells - 0.5f) + 0.08f * speck);
    s.roughness = 0.82f + 0.08f * speck;
    s.metallic = 0.0f;
    s.height = 0.0015f * mottle + 0.0005f * cells + 0.0002f * speck;
    return s;
}

SurfacePoint ceramic(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    // A glaze pools a little darker and thinner in places.
    const float pool = fbm(p * 6.0f, 3, f.seed + 37u);
    SurfacePoint s;
    s.albedo = base * (1.0f + 0.08f * pool);
    s.roughness = 0.14f + 0.04f * pool;
    s.metallic = 0.0f;
    s.height = 0.00005f * pool;
    return s;
}

SurfacePoint plastic(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    const float n = gradientNoise(p * 120.0f, f.seed + 41u);
    SurfacePoint s;
    s.albedo = base * (1.0f + 0.02f * n);
    s.roughness = 0.36f + 0.04f * n;
    s.metallic = 0.0f;
    s.height = 0.00003f * n;
    return s;
}

SurfacePoint fabric(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    // A woven texture: two sets of threads at right angles (in the part's frame), and lint.
    const glm::vec3 helper = std::abs(f.axis.y) < 0.9f ? glm::vec3(0, 1, 0) : glm::vec3(1, 0, 0);
    const glm::vec3 a = glm::normalize(glm::cross(helper, f.axis)), b = glm::cross(f.axis, a);
    const glm::vec3 d = p - f.origin;
    const float k = 2.0f * 3.14159265f * 450.0f;
    const float warp = std::sin(glm::dot(d, f.axis) * k), weft = std::sin((glm::dot(d, a) + glm::dot(d, b)) * k);
    const float weave = 0.5f + 0.25f * warp + 0.25f * weft;
    const float lint = fbm(p * 30.0f, 2, f.seed + 43u);
    SurfacePoint s;
    s.albedo = base * (0.86f + 0.2f * weave + 0.06f * lint);
    s.roughness = 0.9f;
    s.metallic = 0.0f;
    s.height = 0.0002f * weave;
    return s;
}

SurfacePoint glass(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    const float n = fbm(p * 3.0f, 2, f.seed + 47u);
    SurfacePoint s;
    s.albedo = base * (1.0f + 0.05f * n);
    s.roughness = 0.05f;
    s.metallic = 0.0f;
    s.height = 0.0f;
    return s;
}

SurfacePoint leather(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    const float cells = cellular(p * 160.0f, f.seed + 53u);
    const float wear = fbm(p * 5.0f, 3, f.seed + 59u);
    SurfacePoint s;
    s.albedo = base * (0.9f + 0.18f * cells + 0.1f * wear);
    s.roughness = 0.55f + 0.12f * cells;
    s.metallic = 0.0f;
    s.height = 0.00025f * cells;
    return s;
}

SurfacePoint rubber(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    const float n = fbm(p * 40.0f, 2, f.seed + 61u);
    SurfacePoint s;
    s.albedo = base * (1.0f + 0.06f * n);
    s.roughness = 0.88f + 0.05f * n;
    s.metallic = 0.0f;
    s.height = 0.00005f * n;
    return s;
}

SurfacePoint paper(const glm::vec3& base, const MaterialFrame& f, const glm::vec3& p) {
    // Fibres: fine noise stretched along the part's axis.
    float along;
    glm::vec3 across;
    axial(f, p, along, across);
    const float fibre = gradientNoise(across * 300.0f + f.axis * (along * 60.0f), f.seed + 67u);
    SurfacePoint s;
    s.albedo = base * (0.96f + 0.05f * fibre);
    s.roughness = 0.92f;
    s.metallic = 0.0f;
    s.height = 0.00003f * fibre;
    return s;
}

} // namespace

const std::vector<PaletteColour>& palette() {
    static const std::vector<PaletteColour> p = {
        colour("red", 190, 38, 36),    colour("orange", 232, 122, 28), colour("yellow", 236, 198, 48), colour("green", 58, 142, 62),
        colour("teal", 28, 142, 142),  colour("blue", 40, 82, 184),    colour("purple", 122, 60, 164), colour("pink", 232, 132, 172),
        colour("brown", 118, 74, 40),  colour("black", 26, 26, 28),    colour("white", 236, 236, 230), colour("gray", 128, 128, 128),
        colour("light", 212, 172, 122), colour("dark", 78, 46, 28),    colour("silver", 204, 204, 210), colour("golden", 232, 180, 78),
        colour("copper", 200, 118, 78),
    };
    return p;
}

const std::vector<MaterialInfo>& materials() {
    static const std::vector<MaterialInfo> m = {
        {MaterialKind::Wood, "wooden", "wood", {Light, Brown, Dark}, 0.65f, 0.0f},
        {MaterialKind::Metal, "metal", "metal", {Silver, Golden, Copper, Black}, 0.3f, 1.0f},
        {MaterialKind::Painted, "painted", "paint", {Red, Orange, Yellow, Green, Teal, Blue, Purple, Pink, Brown, Black, White, Gray}, 0.42f, 0.0f},
        {MaterialKind::Rusty, "rusty", "rusty metal", {Red, Blue, Green, Gray, Black}, 0.7f, 0.25f},
        {MaterialKind::Stone, "stone", "stone", {Gray, White, Brown, Black}, 0.85f, 0.0f},
        {MaterialKind::Ceramic, "ceramic", "ceramic", {Red, Orange, Yellow, Green, Teal, Blue, Purple, Pink, Brown, Black, White, Gray}, 0.14f, 0.0f},
        {MaterialKind::Plastic, "plastic", "plastic", {Red, Orange, Yellow, Green, Teal, Blue, Purple, Pink, Black, White, Gray}, 0.36f, 0.0f},
        {MaterialKind::Fabric, "fabric", "fabric", {Red, Orange, Yellow, Green, Teal, Blue, Purple, Pink, Brown, Black, White, Gray}, 0.9f, 0.0f},
        {MaterialKind::Glass, "glass", "glass", {Green, Blue, Teal, Purple, White, Yellow}, 0.05f, 0.0f},
        {MaterialKind::Leather, "leather", "leather", {Brown, Black, Red, White}, 0.6f, 0.0f},
        {MaterialKind::Rubber, "rubber", "rubber", {Black, Gray, Brown}, 0.9f, 0.0f},
        {MaterialKind::Paper, "paper", "paper", {White, Yellow, Brown}, 0.92f, 0.0f},
    };
    return m;
}

const MaterialInfo& materialInfo(MaterialKind kind) {
    const auto i = std::size_t(kind);
    if (i >= materials().size()) throw Error("procgen: unknown material " + std::to_string(int(kind)));
    return materials()[i];
}

int paletteIndex(const std::string& name) {
    const auto& p = palette();
    for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i].name == name) return int(i);
    return -1;
}

SurfacePoint evaluateMaterial(const MaterialSpec& m, const MaterialFrame& f, const glm::vec3& p) {
    const auto& pal = palette();
    if (m.colour < 0 || m.colour >= int(pal.size())) throw Error("procgen: colour index " + std::to_string(m.colour) + " is out of range");
    const glm::vec3 base = pal[std::size_t(m.colour)].linear;
    SurfacePoint s;
    switch (m.kind) {
    case MaterialKind::Wood: s = wood(base, f, p); break;
    case MaterialKind::Metal: s = metal(base, f, p); break;
    case MaterialKind::Painted: s = painted(base, f, p); break;
    case MaterialKind::Rusty: s = rusty(base, f, p); break;
    case MaterialKind::Stone: s = stone(base, f, p); break;
    case MaterialKind::Ceramic: s = ceramic(base, f, p); break;
    case MaterialKind::Plastic: s = plastic(base, f, p); break;
    case MaterialKind::Fabric: s = fabric(base, f, p); break;
    case MaterialKind::Glass: s = glass(base, f, p); break;
    case MaterialKind::Leather: s = leather(base, f, p); break;
    case MaterialKind::Rubber: s = rubber(base, f, p); break;
    case MaterialKind::Paper: s = paper(base, f, p); break;
    }
    s.albedo = glm::clamp(s.albedo, glm::vec3(0.0f), glm::vec3(1.0f));
    s.roughness = std::clamp(s.roughness, 0.02f, 1.0f);
    s.metallic = std::clamp(s.metallic, 0.0f, 1.0f);
    return s;
}

} // namespace kiln::procgen
