#pragma once

// Bakes a procedural asset's materials into its UV atlas (atlas.h): base colour, metallic-
// roughness (glTF: G roughness, B metallic) and a tangent-space normal map from the bump height.

#include "core/image.h"
#include "procgen/asset_builder.h"
#include "procgen/materials.h"

#include <functional>

namespace kiln::procgen {

struct BakedAtlas {
    core::Image baseColor;          // RGB8, sRGB
    core::Image metallicRoughness;  // RGB8: R 255, G roughness, B metallic (glTF)
    core::Image normal;             // RGB8 tangent space (+X along u, +Y up in the image, glTF)
    std::vector<std::int16_t> texelPart;  // part whose surface covers each texel, -1 = gutter
};

// The material at a point of part `part` (positions in the asset's frame).
using SurfaceFn = std::function<SurfacePoint(int part, const glm::vec3& position)>;

// Rasterises every part's triangles into the atlas (conservatively: a texel a triangle touches
// is covered, evaluated at the triangle's closest point to its centre), evaluates the surface at
// each covered texel, derives normals from the height's gradient within each chart, and fills the
// gutters by pull-push (core/pull_push.h; `dilate` is unused, kept for callers). `density` is the
// atlas' texels per metre (packAtlas).
BakedAtlas bakeAtlas(const std::vector<PartMesh>& parts, int size, float density, int dilate, const SurfaceFn& surface);

} // namespace kiln::procgen
