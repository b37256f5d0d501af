#pragma once

#include "core/asset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::io {

// Loads any supported file as an Asset: meshes through Assimp, Gaussian splats from INRIA PLY
// (a PLY with 3DGS properties and no faces), .splat and .spz. Provenance records the source file.
core::Asset loadAsset(const std::filesystem::path& path);

struct SaveOptions {
    bool overwrite = false;
};

// Writes an asset atomically; the format follows the extension. A Gaussian cloud saved to a mesh
// format (or a mesh to a splat format) is a kiln::Error that says which conversion is needed.
void saveAsset(const core::Asset& asset, const std::filesystem::path& path, const SaveOptions& options = {});

// Extensions (lower case, with dot) that saveAsset accepts for each kind.
const std::vector<std::string>& splatExtensions();
bool isSplatPath(const std::filesystem::path& path);  // .spz, .splat; .ply is decided by content

} // namespace kiln::io
