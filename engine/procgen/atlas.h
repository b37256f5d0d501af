#pragma once

// One texture atlas for a procedural asset: every part's UV charts packed into a square image at
// one texel density, then baked (texture_bake.h).

#include "procgen/asset_builder.h"

namespace kiln::procgen {

struct AtlasOptions {
    int size = 512;     // texels per side
    int padding = 8;    // gutter texels between charts and around the border (dilated into)
};

// Places every chart (shelf packing, tallest first) at the largest texel density that fits, and
// rewrites each part's uv from chart metres to atlas coordinates in [0, 1] (glTF: origin at the
// image's top-left, v down). Sets each chart's offset (texels) and scale (texels per metre).
// Returns the texel density. Throws kiln::Error when there are no charts.
float packAtlas(std::vector<PartMesh>& parts, const AtlasOptions& options);

} // namespace kiln::procgen
