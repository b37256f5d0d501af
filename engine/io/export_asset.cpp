#include "io/export_asset.h"

#include "core/error.h"
#include "core/transform.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/mesh_io.h"

#include <algorithm>
#include <cmath>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

bool isMeshFormat(const std::string& ext) {
    return ext == ".fbx" || ext == ".glb" || ext == ".gltf" || ext == ".obj" || ext == ".stl" || ext == ".ply";
}

std::string formatList(const std::vector<std::string>& formats) {
    std::string s;
    for (const auto& f : formats) s += (s.empty() ? "" : ", ") + f;
    return s;
}

// The user's own transform (generic --up, --scale) in Kiln's frame.
core::Similarity userTransform(const ExportOptions& options) {
    core::Similarity xf;
    xf.scale = options.scale;
    if (options.up == Axis::PosZ) xf.rotation = core::yUpToZUp();
    return xf;
}

bool isIdentity(const core::Similarity& xf) { return xf.scale == 1.0f && xf.rotation == glm::mat3(1.0f) && xf.translation == glm::vec3(0.0f); }

struct Plan {
    const ExportPreset* preset = nullptr;
    std::string ext;
    FileFrame frame;
};

Plan plan(const core::Asset& asset, const fs::path& path, const ExportOptions& options) {
    const std::string name = displayName(path);
    Plan p;
    p.preset = &exportPreset(options.preset);
    const ExportPreset& preset = *p.preset;
    p.ext = lowerExtension(path);
    if (!asset.mesh() && !asset.gaussians()) throw Error(name + ": asset '" + asset.name + "' has no data");
    if (!(options.scale > 0.0f) || !std::isfinite(options.scale) || options.scale > 1e6f)
        throw Error(name + ": scale must be a positive number up to 1e6");
    if (options.up && preset.name != "generic")
        throw Error(name + ": the up axis is fixed by preset '" + preset.name + "' (" + preset.frameFor(p.ext).describe() +
                    "); choose it only with the generic preset");
    if (options.up && *options.up != Axis::PosY && *options.up != Axis::PosZ) throw Error(name + ": up axis must be +Y or +Z");

    if (asset.gaussians()) {
        if (p.ext == ".spz" || p.ext == ".splat" || p.ext == ".ply") {
            if (!preset.allowsSplats)
                throw Error(name + ": '" + asset.name + "' is a Gaussian splat cloud; preset '" + preset.name +
                            "' writes meshes only (" + formatList(preset.formats) + "). Write the splats with --preset generic (.ply, .spz, .splat)");
            return p;
        }
        if (isMeshFormat(p.ext))
            throw Error(name + ": '" + asset.name + "' is a Gaussian splat cloud and " + p.ext +
                        " holds meshes: export the splats as .ply (INRIA 3DGS), .spz or .splat with --preset generic, or convert "
                        "the cloud to a mesh first (splat-to-mesh extraction: `kiln reconstruct VIEWS --mesh` fuses the splats "
                        "fitted to posed views into a mesh) and export that mesh");
        throw Error(name + ": unsupported splat format '" + p.ext + "' (supported: .ply, .spz, .splat)");
    }

    if (p.ext == ".spz" || p.ext == ".splat")
        throw Error(name + ": '" + asset.name + "' is a mesh; " + p.ext + " holds Gaussian splats (sample the mesh into splats first)");
    if (!preset.allowsFormat(p.ext)) {
        const std::string others = presetsWriting(p.ext);
        throw Error(name + ": preset '" + preset.name + "' writes " + formatList(preset.formats) + ", not '" + p.ext + "'" +
                    (others.empty() ? std::string(" (no preset writes it)") : "; " + p.ext + " is written by --preset " + others));
    }
    p.frame = preset.frameFor(p.ext);
    return p;
}

} // namespace

ExportReport checkExport(const core::Asset& asset, const fs::path& path, const ExportOptions& options) {
    const Plan p = plan(asset, path, options);
    const core::Similarity user = userTransform(options);
    if (const core::GaussianCloud* cloud = asset.gaussians()) {
        if (isIdentity(user)) return checkForExport(*cloud, *p.preset);
        core::GaussianCloud copy = *cloud;
        core::transformGaussians(copy, user);
        return checkForExport(copy, *p.preset);
    }
    if (isIdentity(user)) return checkForExport(*asset.mesh(), *p.preset);
    core::Mesh copy = *asset.mesh();
    core::transformMesh(copy, user);
    return checkForExport(copy, *p.preset);
}

ExportReport exportAsset(const core::Asset& asset, const fs::path& path, const ExportOptions& options) {
    const Plan p = plan(asset, path, options);
    const core::Similarity user = userTransform(options);
    // Fail before any work when the output would be refused anyway.
    checkCanWrite(path, options.overwrite);

    if (const core::GaussianCloud* cloud = asset.gaussians()) {
        core::GaussianCloud copy = *cloud;
        if (!isIdentity(user)) core::transformGaussians(copy, user);
        ExportReport report = checkForExport(copy, *p.preset);
        saveAsset(core::Asset::fromGaussians(asset.name, std::move(copy), asset.provenance), path, {.overwrite = options.overwrite});
        return report;
    }

    core::Mesh mesh = *asset.mesh();
    if (!isIdentity(user)) core::transformMesh(mesh, user);
    ExportReport report = checkForExport(mesh, *p.preset);
    // Then from Kiln's frame (metres, +Y up, front +Z) to the file's.
    const core::Similarity toFile = kilnToFrame(p.frame);
    if (!isIdentity(toFile)) core::transformMesh(mesh, toFile);

    if (p.ext == ".fbx") {
        FbxOptions fbx;
        fbx.frame = p.frame;
        fbx.textures = options.fbxTextures;
        fbx.version = options.fbxVersion;
        fbx.record = core::provenanceRecord(asset.provenance);
        writeAtomically(path, options.overwrite, [&](const fs::path& temp) { writeFbx(mesh, temp, fbx); });
    } else {
        saveAsset(core::Asset::fromMesh(asset.name, std::move(mesh), asset.provenance), path, {.overwrite = options.overwrite});
    }
    return report;
}

} // namespace kiln::io
