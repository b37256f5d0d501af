#pragma once

#include "core/asset.h"
#include "core/mesh.h"
#include "io/export_presets.h"

#include <filesystem>
#include <string>

namespace kiln::io {

enum class FbxTextures : std::uint8_t {
    Embed,   // image bytes inside the FBX (Video/Content); one self-contained file
    Beside,  // image files written next to the FBX, referenced by relative file name
};

struct FbxOptions {
    // The frame the mesh's coordinates are already in; written as GlobalSettings metadata
    // (UpAxis/FrontAxis/CoordAxis with signs, UnitScaleFactor = centimetres per unit).
    FileFrame frame;
    FbxTextures textures = FbxTextures::Embed;
    int version = 7400;  // 7400 (FBX 2014/2015, 32-bit offsets) or 7500 (FBX 2016+, 64-bit)
    // A generated asset's provenance and model licences (core::provenanceRecord), written as user
    // properties "kiln:<key>" of the Model (DCC tools show them as custom properties).
    core::ProvenanceRecord record;
};

// Writes `mesh` as a binary FBX: one Model with one Geometry (control points welded by position,
// triangles, per-corner normals, UV sets, vertex colours in sRGB as DCC tools expect, per-polygon
// material indices), one Phong material per used Kiln material (base colour, emissive, opacity,
// metallic as ReflectionFactor) and base-colour, normal and emissive textures (Texture + Video,
// embedded or beside the file). UVs are flipped to FBX's bottom-left origin.
// Companion texture files go into path's folder; user-facing code wraps this in writeAtomically().
void writeFbx(const core::Mesh& mesh, const std::filesystem::path& path, const FbxOptions& options);

} // namespace kiln::io
