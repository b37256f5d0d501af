#pragma once

// Retexturing an artist's glTF without touching its geometry: the triangles its scene draws (for
// computing the new maps), and a .glb written from the original file with new base colour and
// metallic-roughness images on chosen materials. Every accessor reads the same bytes (geometry,
// UVs, skins, animations), nodes, scenes and accessors are kept as they are, other textures too;
// only materials, textures, images, buffer views (re-based into one buffer) and primitives'
// material / COLOR_0 entries change.

#include "core/asset.h"
#include "core/mesh.h"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace kiln::io {

// The triangles the default scene (else every root node) draws, node transforms applied:
// positions, normals when every drawn primitive has them, uv0 from TEXCOORD_0 (glTF's origin,
// top-left) when any drawn primitive has it ((0, 0) on the others, as importMesh pads them). One submesh per drawn primitive instance, whose
// `material` is the glTF material index (-1: none) and whose name is "mesh M primitive P"; the
// materials' names, factors and base-colour / metallic-roughness images (TEXCOORD_0 ones).
// Strips and fans become triangle lists; points and lines are skipped.
// Throws kiln::Error naming the file: not glTF, unreadable buffers, accessors out of range,
// sparse accessors, compressed geometry (Draco, meshopt), or nothing drawn.
core::Mesh readGltfTriangles(const std::filesystem::path& path);

// New maps for one glTF material (-1: the primitives that have none get a new material).
struct GltfMaterialImages {
    int material = -1;
    std::vector<std::uint8_t> baseColorPng;         // sRGB
    std::vector<std::uint8_t> metallicRoughnessPng; // G roughness, B metallic
    std::vector<std::uint8_t> normalPng;            // tangent space; empty: none (a material's own normal map is kept)
};

// Writes `out` as a .glb: `input`'s JSON and buffers (merged into the GLB's one buffer; views
// re-based, their bytes unchanged; external or data-URI images embedded) with each listed
// material's base colour and metallic-roughness textures replaced by the new images sampled
// through TEXCOORD_0 (factors 1, the base colour alpha kept; a specular-glossiness extension on the
// material is dropped, and COLOR_0 on its primitives, which glTF would multiply in). Textures,
// images and views nothing uses any more are removed. `record` goes into asset.extras.kiln.
// Writes `out` directly: wrap in writeAtomically.
void writeRetexturedGlb(const std::filesystem::path& input, const std::vector<GltfMaterialImages>& maps, const std::filesystem::path& out,
                        const core::ProvenanceRecord& record = {});

// Whether `path` names a .glb or .gltf file (by extension).
bool isGltfPath(const std::filesystem::path& path);

} // namespace kiln::io
