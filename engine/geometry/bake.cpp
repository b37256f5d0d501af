#include "geometry/bake.h"

#include "geometry/uv_raster.h"

#include "core/color.h"
#include "core/error.h"

#include <glm/common.hpp>
#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace kiln::geometry {

namespace {

constexpr int kPadding = 2;   // texels between a triangle and its cell's edge
constexpr int kMinCell = 8;   // 2 x padding plus a triangle a few texels across

// sRGB encoding (IEC 61966-2-1) of a linear value in [0, 1].
std::uint8_t encodeSrgb(float linear) {
    return std::uint8_t(std::lround(core::srgbFromLinear(linear) * 255.0f));
}

} // namespace

core::Mesh bakeVertexColorsToTexture(const core::Mesh& mesh, int textureSize) {
    mesh.validate("texture bake");
    if (mesh.colors.empty()) throw Error("texture bake: the mesh has no vertex colours to bake");
    const std::size_t n = mesh.triangleCount();
    if (n == 0) throw Error("texture bake: the mesh has no triangles");
    if (textureSize < 16 || textureSize > 16384) throw Error("texture bake: texture size " + std::to_string(textureSize) + " is outside [16, 16384]");
    const int cols = int(std::ceil(std::sqrt(double(n))));
    const int cell = textureSize / cols;
    if (cell < kMinCell)
        throw Error("texture bake: " + std::to_string(n) + " triangles need a texture of at least " + std::to_string(cols * kMinCell) +
                    " px (got " + std::to_string(textureSize) + "); decimate the mesh or raise the texture size");

    core::Mesh out;
    out.positions.resize(3 * n);
    if (!mesh.normals.empty()) out.normals.resize(3 * n);
    out.uv0.resize(3 * n);
    out.indices.resize(3 * n);
    core::Texture tex;
    tex.name = "basecolor.png";
    tex.image = core::Image::makeU8(textureSize, textureSize, 3);
    const float inv = 1.0f / float(textureSize);

    for (std::size_t f = 0; f < n; ++f) {
        const int col = int(f % std::size_t(cols)), row = int(f / std::size_t(cols));
        const int x0 = col * cell, y0 = row * cell;
        // Texel-space corners: the right angle at the cell's top-left, legs along the cell edges.
        const glm::vec2 corner[3] = {{float(x0 + kPadding), float(y0 + kPadding)},
                                     {float(x0 + cell - kPadding), float(y0 + kPadding)},
                                     {float(x0 + kPadding), float(y0 + cell - kPadding)}};
        glm::vec3 color[3];
        for (int k = 0; k < 3; ++k) {
            const std::uint32_t src = mesh.indices[3 * f + std::size_t(k)];
            const std::size_t dst = 3 * f + std::size_t(k);
            out.positions[dst] = mesh.positions[src];
            if (!mesh.normals.empty()) out.normals[dst] = mesh.normals[src];
            out.uv0[dst] = corner[k] * inv;  // glTF UV: origin at the image's top-left
            out.indices[dst] = std::uint32_t(dst);
            color[k] = glm::vec3(mesh.colors[src]);
        }
        for (int y = y0; y < y0 + cell; ++y)
            for (int x = x0; x < x0 + cell; ++x) {
                const glm::vec3 b = nearestBarycentric({float(x) + 0.5f, float(y) + 0.5f}, corner[0], corner[1], corner[2]);
                const glm::vec3 c = b.x * color[0] + b.y * color[1] + b.z * color[2];
                std::uint8_t* px = &tex.image.u8[(std::size_t(y) * std::size_t(textureSize) + std::size_t(x)) * 3];
                for (int ch = 0; ch < 3; ++ch) px[ch] = encodeSrgb(c[ch]);
            }
    }

    core::Material material;
    material.name = "baked";
    material.metallicFactor = 0.0f;
    material.roughnessFactor = 1.0f;
    material.baseColorTexture = 0;
    out.materials.push_back(material);
    out.textures.push_back(std::move(tex));
    core::Submesh sub;
    sub.name = mesh.submeshes.size() == 1 ? mesh.submeshes[0].name : "baked";
    sub.indexCount = std::uint32_t(out.indices.size());
    sub.vertexCount = std::uint32_t(out.positions.size());
    sub.material = 0;
    out.submeshes.push_back(sub);
    return out;
}

} // namespace kiln::geometry
