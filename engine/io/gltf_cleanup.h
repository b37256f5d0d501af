#pragma once

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
//  - asset.generator names Kiln.
// Any structural surprise is a kiln::Error naming the file.
void cleanGltf(const std::filesystem::path& path);

} // namespace kiln::io
