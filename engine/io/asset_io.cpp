#include "io/asset_io.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/mesh_io.h"
#include "io/splat_io.h"

#include <algorithm>

namespace fs = std::filesystem;

namespace kiln::io {

const std::vector<std::string>& splatExtensions() {
    static const std::vector<std::string> kExts = {".ply", ".spz", ".splat"};
    return kExts;
}

bool isSplatPath(const fs::path& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".spz" || ext == ".splat";
}

core::Asset loadAsset(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path.string() + ": file not found");
    if (fs::is_directory(path, ec)) throw Error(path.string() + ": is a directory, not a file");
    const std::string ext = lowerExtension(path);
    core::Provenance prov;
    prov.source = "import";
    prov.sourcePath = fs::absolute(path, ec).string();
    prov.createdAt = core::utcNowIso8601();
    const std::string name = path.stem().string();
    if (ext == ".spz") return core::Asset::fromGaussians(name, readSpz(path), prov);
    if (ext == ".splat") return core::Asset::fromGaussians(name, readSplatFile(path), prov);
    if (ext == ".ply" && looksLikeSplatPly(path)) return core::Asset::fromGaussians(name, readSplatPly(path), prov);
    if (!isMeshImportExtension(ext))
        throw Error(displayName(path) + ": unsupported file type '" + ext + "'");
    return core::Asset::fromMesh(name, importMesh(path), prov);
}

void saveAsset(const core::Asset& asset, const fs::path& path, const SaveOptions& options) {
    const std::string ext = lowerExtension(path);
    const std::string name = displayName(path);
    if (const core::GaussianCloud* cloud = asset.gaussians()) {
        if (ext != ".ply" && ext != ".spz" && ext != ".splat") {
            const auto& meshExts = meshExportExtensions();
            if (std::find(meshExts.begin(), meshExts.end(), ext) != meshExts.end())
                throw Error(name + ": '" + asset.name + "' is a Gaussian splat cloud; save it as .ply, .spz or .splat, "
                            "or convert it to a mesh first (splat-to-mesh extraction)");
            throw Error(name + ": unsupported splat format '" + ext + "' (supported: .ply, .spz, .splat)");
        }
        cloud->validate(name);
        writeAtomically(path, options.overwrite, [&](const fs::path& temp) {
            if (ext == ".ply") writeSplatPly(*cloud, temp);
            else if (ext == ".spz") writeSpz(*cloud, temp);
            else writeSplatFile(*cloud, temp);
        });
        return;
    }
    const core::Mesh* mesh = asset.mesh();
    if (!mesh) throw Error(name + ": asset '" + asset.name + "' has no data");
    if (ext == ".spz" || ext == ".splat")
        throw Error(name + ": '" + asset.name + "' is a mesh; splat formats need a Gaussian cloud (sample the mesh into splats first)");
    const auto& exts = meshExportExtensions();
    if (std::find(exts.begin(), exts.end(), ext) == exts.end())
        throw Error(name + ": cannot export a mesh as '" + ext + "' (supported: .glb, .gltf, .obj, .ply, .stl)");
    const core::ProvenanceRecord record = core::provenanceRecord(asset.provenance);
    writeAtomically(path, options.overwrite, [&](const fs::path& temp) { exportMesh(*mesh, temp, record); });
}

} // namespace kiln::io
