#include "procgen/texture_bake.h"

#include "core/color.h"
#include "core/error.h"
#include "core/pull_push.h"
#include "geometry/uv_raster.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace kiln::procgen {

namespace {

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
    // One mesh of every part, remembering which part each triangle came from.
    core::Mesh all;
    std::vector<std::int16_t> partOfTriangle;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        const std::uint32_t base = std::uint32_t(all.positions.size());
        all.positions.insert(all.positions.end(), parts[p].positions.begin(), parts[p].positions.end());
        all.uv0.insert(all.uv0.end(), parts[p].uv.begin(), parts[p].uv.end());
        for (const auto i : parts[p].indices) all.indices.push_back(base + i);
        partOfTriangle.insert(partOfTriangle.end(), parts[p].indices.size() / 3, std::int16_t(p));
    }
    const geometry::UvRaster raster = geometry::rasterizeUv(all, size);
    BakedAtlas out;
    out.texelPart.assign(n, -1);
    for (std::size_t k = 0; k < n; ++k)
        if (raster.covered(k)) out.texelPart[k] = partOfTriangle[std::size_t(raster.triangle[k])];
    std::vector<glm::vec3> albedo(n, glm::vec3(0.0f));
    std::vector<float> rough(n, 0.0f), metal(n, 0.0f), height(n, 0.0f);
    for (std::size_t k = 0; k < n; ++k) {
        if (out.texelPart[k] < 0) continue;
        const SurfacePoint s = surface(out.texelPart[k], raster.position(all, k));
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
