#pragma once

#include "core/asset.h"
#include "core/mesh.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::io {

// Mesh import through Assimp: glTF/GLB (incl. Draco), OBJ+MTL, FBX, PLY, STL, DAE and the other
// formats Assimp reads. Node transforms are baked, polygons triangulated, points and lines
// dropped, UVs in glTF convention (origin top-left). Embedded and external textures are decoded.
// Any failure is kiln::Error("<file>: <reason>").
core::Mesh importMesh(const std::filesystem::path& path);

// Mesh export through Assimp to .glb, .gltf, .obj (+ .mtl and texture files beside it), .ply, .stl.
// Writes `path` and its companions into path's folder as they are; user-facing code wraps this
// in writeAtomically().
// glTF outputs carry `record` (core::provenanceRecord) in asset.extras.kiln.
void exportMesh(const core::Mesh& mesh, const std::filesystem::path& path, const core::ProvenanceRecord& record = {});

// Lower-case extensions (with dot) accepted by importMesh / exportMesh.
bool isMeshImportExtension(const std::string& ext);
const std::vector<std::string>& meshExportExtensions();

} // namespace kiln::io
