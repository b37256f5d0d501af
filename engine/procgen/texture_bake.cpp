#include "procgen/texture_bake.h"

#include "core/color.h"
#include "core/error.h"
#include "core/pull_push.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace kiln::procgen {

namespace {

struct Texel {
    glm::vec3 position{0.0f};
    float priority = 0.0f;  // 2 = centre inside a triangle, 1 = touched only
};

// Closest point of triangle abc to p (2D), as barycentrics (Ericson, Real-Time Collision Detection 5.1.5).
glm::vec3 closestBarycentric(glm::vec2 p, glm::vec2 a, glm::vec2 b, glm::vec2 c) {
    const glm::vec2 ab = b - a, ac = c - a, ap = p - a;
    const float d1 = glm::dot(ab, ap), d2 = glm::dot(ac, ap);
    if (d1 <= 0.0f && d2 <= 0.0f) return {1, 0, 0};
    const glm::vec2 bp = p - b;
    const float d3 = glm::dot(ab, bp), d4 = glm::dot(ac, bp);
    if (d3 >= 0.0f && d4 <= d3) return {0, 1, 0};
    const float vc = d1 * d4 - d3 * d2;
    if (vc <= 0.0f && d1 >= 0.0f && d3 <= 0.0f) {
        const float v = d1 / (d1 - d3);
        return {1 - v, v, 0};
    }
    const glm::vec2 cp = p - c;
    const float d5 = glm::dot(ab, cp), d6 = glm::dot(ac, cp);
    if (d6 >= 0.0f && d5 <= d6) return {0, 0, 1};
    const float vb = d5 * d2 - d1 * d6;
    if (vb <= 0.0f && d2 >= 0.0f && d6 <= 0.0f) {
        const float w = d2 / (d2 - d6);
        return {1 - w, 0, w};
    }
    const float va = d3 * d6 - d5 * d4;
    if (va <= 0.0f && (d4 - d3) >= 0.0f && (d5 - d6) >= 0.0f) {
        const float w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return {0, 1 - w, w};
    }
    const float denom = 1.0f / (va + vb + vc);
    const float v = vb * denom, w = vc * denom;
    return {1 - v - w, v, w};
}

std::uint8_t toByte(float v) { return std::uint8_t(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f); }

// sRGB encoding of a linear value through a table (the transfer function's pow per texel costs
// more than the rest of the output); 4096 steps are finer than 8 bits everywhere.
std::uint8_t srgbByte(float linear) {
    static const auto table = [] {
        std::array<std::uint8_t, 4097> t{};
        for (int i = 0; i <= 4096; ++i) t[std::size_t(i)] = toByte(core::srgbFromLinear(float(i) / 4096.0f));
        return t;
    }();
    return table[std::size_t(std::clamp(linear, 0.0f, 1.0f) * 4096.0f + 0.5f)];
}

} // namespace

BakedAtlas bakeAtlas(const std::vector<PartMesh>& parts, int size, float density, int dilate, const SurfaceFn& surface) {
    if (size < 16 || !(density > 0.0f)) throw Error("procgen: bad atlas for baking");
    const std::size_t n = std::size_t(size) * std::size_t(size);
    std::vector<Texel> texels(n);
    BakedAtlas out;
    out.texelPart.assign(n, -1);
    const float fsize = float(size);
    for (std::size_t p = 0; p < parts.size(); ++p) {
        const PartMesh& m = parts[p];
        for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3) {
            const std::uint32_t i0 = m.indices[t], i1 = m.indices[t + 1], i2 = m.indices[t + 2];
            const glm::vec2 a = m.uv[i0] * fsize, b = m.uv[i1] * fsize, c = m.uv[i2] * fsize;
            const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
            if (std::abs(area) < 1e-9f) continue;  // a pole's sliver: its neighbours cover it
            const int x0 = std::max(0, int(std::floor(std::min({a.x, b.x, c.x}))) - 1), x1 = std::min(size - 1, int(std::ceil(std::max({a.x, b.x, c.x}))) + 1);
            const int y0 = std::max(0, int(std::floor(std::min({a.y, b.y, c.y}))) - 1), y1 = std::min(size - 1, int(std::ceil(std::max({a.y, b.y, c.y}))) + 1);
            const float inv = 1.0f / area;
            // Barycentric w_i times area / |opposite edge| is the distance to that edge, in texels.
            const float edgeScale[3] = {std::abs(area) / std::max(1e-12f, glm::length(c - b)), std::abs(area) / std::max(1e-12f, glm::length(a - c)),
                                        std::abs(area) / std::max(1e-12f, glm::length(b - a))};
            for (int y = y0; y <= y1; ++y)
                for (int x = x0; x <= x1; ++x) {
                    const glm::vec2 q(float(x) + 0.5f, float(y) + 0.5f);
                    float w0 = ((b.x - q.x) * (c.y - q.y) - (b.y - q.y) * (c.x - q.x)) * inv;
                    float w1 = ((c.x - q.x) * (a.y - q.y) - (c.y - q.y) * (a.x - q.x)) * inv;
                    float w2 = 1.0f - w0 - w1;
                    float priority = 2.0f;
                    if (w0 < 0.0f || w1 < 0.0f || w2 < 0.0f) {
                        // Far outside one edge (more than half a texel diagonal): not touched.
                        if (w0 * edgeScale[0] < -0.71f || w1 * edgeScale[1] < -0.71f || w2 * edgeScale[2] < -0.71f) continue;
                        // Conservative: the triangle touches the texel's square.
                        const glm::vec3 cb = closestBarycentric(q, a, b, c);
                        const glm::vec2 closest = cb.x * a + cb.y * b + cb.z * c;
                        const glm::vec2 d = glm::abs(closest - q);
                        if (d.x > 0.5f || d.y > 0.5f) continue;
                        w0 = cb.x, w1 = cb.y, w2 = cb.z;
                        priority = 1.0f;
                    }
                    const std::size_t k = std::size_t(y) * std::size_t(size) + std::size_t(x);
                    if (texels[k].priority >= priority) continue;
                    texels[k].priority = priority;
                    texels[k].position = w0 * m.positions[i0] + w1 * m.positions[i1] + w2 * m.positions[i2];
                    out.texelPart[k] = std::int16_t(p);
                }
        }
    }

    std::vector<glm::vec3> albedo(n, glm::vec3(0.0f));
    std::vector<float> rough(n, 0.0f), metal(n, 0.0f), height(n, 0.0f);
    for (std::size_t k = 0; k < n; ++k) {
        if (out.texelPart[k] < 0) continue;
        const SurfacePoint s = surface(out.texelPart[k], texels[k].position);
        albedo[k] = s.albedo;
        rough[k] = s.roughness;
        metal[k] = s.metallic;
        height[k] = s.height;
    }
    // Tangent-space normals from the height's slope along u (right) and v (down in the image;
    // glTF's +Y points up, against v), using neighbours of the same part only.
    std::vector<glm::vec3> normal(n, glm::vec3(0.0f, 0.0f, 1.0f));
    const float metresPerTexel = 1.0f / density;
    auto same = [&](int x, int y, std::int16_t part) {
        return x >= 0 && y >= 0 && x < size && y < size && out.texelPart[std::size_t(y) * std::size_t(size) + std::size_t(x)] == part;
    };
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const std::size_t k = std::size_t(y) * std::size_t(size) + std::size_t(x);
            const std::int16_t part = out.texelPart[k];
            if (part < 0) continue;
            auto slope = [&](int dx, int dy) {
                const bool f = same(x + dx, y + dy, part), b = same(x - dx, y - dy, part);
                if (!f && !b) return 0.0f;
                const float hf = f ? height[std::size_t(y + dy) * std::size_t(size) + std::size_t(x + dx)] : height[k];
                const float hb = b ? height[std::size_t(y - dy) * std::size_t(size) + std::size_t(x - dx)] : height[k];
                return (hf - hb) / (float((f ? 1 : 0) + (b ? 1 : 0)) * metresPerTexel);
            };
            normal[k] = glm::normalize(glm::vec3(-slope(1, 0), slope(0, 1), 1.0f));
        }
    // Gutters: pull-push, so every texel off the islands holds a smooth extension of them (mip-maps
    // and bilinear filtering at island borders never reach the background).
    (void)dilate;
    std::vector<std::uint8_t> covered(n);
    for (std::size_t k = 0; k < n; ++k) covered[k] = out.texelPart[k] >= 0;
    std::vector<float> packed(n * 8);
    for (std::size_t k = 0; k < n; ++k) {
        float* v = packed.data() + 8 * k;
        v[0] = albedo[k].r, v[1] = albedo[k].g, v[2] = albedo[k].b, v[3] = rough[k], v[4] = metal[k];
        v[5] = normal[k].x, v[6] = normal[k].y, v[7] = normal[k].z;
    }
    core::pullPushFill(packed, covered, size, size, 8);
    for (std::size_t k = 0; k < n; ++k) {
        if (covered[k]) continue;
        const float* v = packed.data() + 8 * k;
        albedo[k] = {v[0], v[1], v[2]};
        rough[k] = v[3];
        metal[k] = v[4];
        const glm::vec3 nr(v[5], v[6], v[7]);
        normal[k] = glm::length(nr) > 1e-6f ? glm::normalize(nr) : glm::vec3(0, 0, 1);
    }
    out.baseColor = core::Image::makeU8(size, size, 3);
    out.metallicRoughness = core::Image::makeU8(size, size, 3);
    out.normal = core::Image::makeU8(size, size, 3);
    for (std::size_t k = 0; k < n; ++k) {
        for (int c = 0; c < 3; ++c) {
            out.baseColor.u8[3 * k + std::size_t(c)] = srgbByte(albedo[k][c]);
            out.normal.u8[3 * k + std::size_t(c)] = toByte(0.5f + 0.5f * normal[k][c]);
        }
        out.metallicRoughness.u8[3 * k] = 255;
        out.metallicRoughness.u8[3 * k + 1] = toByte(rough[k]);
        out.metallicRoughness.u8[3 * k + 2] = toByte(metal[k]);
    }
    return out;
}

} // namespace kiln::procgen
