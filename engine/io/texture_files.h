#pragma once

#include "core/mesh.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln::io {

// Texture bytes as they go into a file: the original PNG/JPEG when the texture kept them,
// otherwise the pixels encoded as PNG.
struct EncodedTexture {
    std::vector<std::uint8_t> bytes;
    bool jpeg = false;
};
EncodedTexture encodeTexture(const core::Texture& texture);

// File name for texture `index` written beside `model` ("Duck_0_texture0.png"): unique per
// texture, only [A-Za-z0-9_-] in the stem, extension from the encoding.
std::string companionTextureName(const std::filesystem::path& model, std::size_t index, const core::Texture& texture);

} // namespace kiln::io
