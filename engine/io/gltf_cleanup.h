#pragma once

#include "core/asset.h"

#include <filesystem>

namespace kiln::io {

// Tidies a .glb or .gltf (+ its .bin) that Assimp 5.2 wrote, in place, so DCC importers and the
// Khronos validator see only what the asset uses:
//  - extension objects with no effect are dropped (FB_ngon_encoding on triangle primitives,
//    KHR_materials_volume without KHR_materials_transmission), and extensionsUsed/Required list
//    exactly the extensions still present;
//  - TEXCOORD_n attributes no texture of the primitive's material samples are dropped;
//  - materials no primitive uses, textures no material uses, images and samplers no texture
//    uses, accessors and buffer views nothing references are removed, references renumbered and
//    the binary buffer repacked;
//  - asset.generator names Kiln; asset.extras.kiln holds `record` (a generated asset's
//    provenance and model licences) when it is not empty.
// Any structural surprise is a kiln::Error naming the file.
void cleanGltf(const std::filesystem::path& path, const core::ProvenanceRecord& record = {});

// asset.extras.kiln of a .glb or .gltf (empty when it has none). Throws kiln::Error naming the
// file when it is not glTF.
core::ProvenanceRecord readGltfProvenance(const std::filesystem::path& path);

} // namespace kiln::io
