#pragma once

#include "core/image.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace kiln::io {

// Images through OpenImageIO: PNG, JPEG, EXR, TIFF, HDR (and whatever else OIIO reads).
// 8-bit formats load as U8, float/half formats (EXR, HDR) as F32.
core::Image readImage(const std::filesystem::path& path);
// Decodes an image held in memory (e.g. a texture embedded in a GLB); `name` is used in errors.
core::Image decodeImage(std::span<const std::uint8_t> bytes, const std::string& name);

// Format from the extension. U8 images written to EXR/HDR are converted to float and the
// reverse is clamped; writes exactly `path` (wrap in writeAtomically for user-facing output).
void writeImage(const core::Image& image, const std::filesystem::path& path);
// PNG bytes of an image, for embedding in GLB.
// zlib level 0..9: 6 (the default) for files people keep, 1 where encoding time dominates (the
// procedural dataset writes thousands of atlases; level 1 is ~3x faster for ~15 % more bytes).
std::vector<std::uint8_t> encodePng(const core::Image& image, int compressionLevel = 6);

} // namespace kiln::io
