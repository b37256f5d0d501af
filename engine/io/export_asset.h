#pragma once

#include "core/asset.h"
#include "io/export_check.h"
#include "io/export_presets.h"
#include "io/fbx_writer.h"

#include <filesystem>
#include <optional>
#include <string>

namespace kiln::io {

// How to hand an asset to a DCC tool. `kiln convert` and the studio's export dialog fill this
// from the same preset registry (export_presets.h).
struct ExportOptions {
    std::string preset = "generic";
    bool overwrite = false;
    // Generic preset only: +Y keeps Kiln's frame, +Z rotates +Y-up to +Z-up (front +Z -> -Y).
    // Every other preset fixes the frame per format.
    std::optional<Axis> up{};
    // Multiplies positions (and splat sizes) in Kiln's frame before the preset's unit
    // conversion, e.g. 1000 for an asset that was modelled in millimetres.
    float scale = 1.0f;
    FbxTextures fbxTextures = FbxTextures::Embed;
    int fbxVersion = 7400;
};

// Checks that `preset` writes `path`'s format and the asset's kind, and measures what would be
// written (counts, topology, size in metres, warnings) without writing anything. Errors are
// kiln::Error naming the file: wrong format for the preset, a splat cloud to a mesh format
// (saying which formats hold splats and that the cloud must be converted to a mesh), bad options.
ExportReport checkExport(const core::Asset& asset, const std::filesystem::path& path, const ExportOptions& options);

// checkExport, then converts to the preset's frame for the format (axes, units) and writes the
// file atomically with its companions (.mtl, textures, .bin). Returns the report; warnings do
// not stop the export.
ExportReport exportAsset(const core::Asset& asset, const std::filesystem::path& path, const ExportOptions& options);

} // namespace kiln::io
