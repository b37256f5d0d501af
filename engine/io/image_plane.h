#pragma once

#include "core/asset.h"

#include <filesystem>

namespace kiln::io {

// True for the image formats an import turns into a textured plane (png, jpg, exr, ...).
bool isImagePath(const std::filesystem::path& path);

// An image as a textured plane, as Blender's "Images as Planes" does: a quad one metre tall and
// as wide as the image's aspect ratio, centred on the origin in the XY plane facing +Z, with the
// image as its base-colour texture. PNG and JPEG keep their original encoded bytes so an export
// does not re-encode them. Throws kiln::Error naming the file when it cannot be read.
core::Asset imagePlaneAsset(const std::filesystem::path& path);

} // namespace kiln::io
