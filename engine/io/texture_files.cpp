#include "io/texture_files.h"

#include "io/image_io.h"

#include <cctype>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

bool keepsOriginal(const core::Texture& t) { return !t.encoded.empty() && (t.mimeType == "image/png" || t.mimeType == "image/jpeg"); }

std::string safeFileStem(std::string s) {
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return s.empty() ? "texture" : s;
}

} // namespace

EncodedTexture encodeTexture(const core::Texture& texture) {
    if (keepsOriginal(texture)) return {texture.encoded, texture.mimeType == "image/jpeg"};
    return {encodePng(texture.image), false};
}

std::string companionTextureName(const fs::path& model, std::size_t index, const core::Texture& texture) {
    const bool jpeg = keepsOriginal(texture) && texture.mimeType == "image/jpeg";
    return model.stem().string() + "_" + std::to_string(index) + "_" + safeFileStem(fs::path(texture.name).stem().string()) +
           (jpeg ? ".jpg" : ".png");
}

} // namespace kiln::io
