#pragma once

// Packing rectangles (UV charts) into a square atlas at one scale: shelf packing, tallest first,
// at the largest scale that fits (binary search). Used by the procedural library's atlases and by
// the UV unwrapper of generated and artists' meshes.

#include <glm/vec2.hpp>

#include <vector>

namespace kiln::core {

struct RectPacking {
    float scale = 0.0f;              // atlas texels per unit of the rectangles' sizes
    std::vector<glm::vec2> offsets;  // per rectangle, its corner in texels (half a texel in)
};

// Every rectangle gets ceil(size * scale) + 1 texels and `padding` texels of gutter around it.
// Throws kiln::Error when there is nothing to pack or the atlas is too small for the padding.
RectPacking packRects(const std::vector<glm::vec2>& sizes, int atlasSize, int padding);

} // namespace kiln::core
