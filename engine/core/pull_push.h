#pragma once

// Pull-push fill (Gortler et al. 1996, "The Lumigraph", section 3.4): every uncovered pixel of an
// image takes a smooth extension of the covered ones, from a pyramid of weighted averages. Texture
// atlases use it so that the gutters around UV islands hold the island's own colours and filtering
// or mip-mapping never pulls in the background.

#include <cstdint>
#include <vector>

namespace kiln::core {

// `values`: width x height x channels floats, rows top to bottom; `covered`: width x height flags.
// Uncovered pixels are overwritten, covered ones are left exactly as they are. Does nothing when
// no pixel is covered.
void pullPushFill(std::vector<float>& values, const std::vector<std::uint8_t>& covered, int width, int height, int channels);

} // namespace kiln::core
