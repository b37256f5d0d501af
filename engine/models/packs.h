#pragma once

// Model packs: real pretrained networks that the npm registry carries, fetched with the npm
// client, checked, converted into Kiln model folders (models/manifest.h) and installed where
// Kiln looks for models. Optional: every pipeline works without them and says which pack would
// help. Torch-free.
//
//   isnet        slot "matting":  IS-Net (DIS) salient-object segmentation, MIT, from the data
//                files of @imgly/background-removal-data (FP16 ONNX in 4 MiB chunks; converted
//                to FP32 for OpenCV's DNN module)
//   esrgan-slim  slot "upscale":  ESRGAN-slim (an RDN) x2/x3/x4/x8, MIT, from
//                @upscalerjs/esrgan-slim (TF.js layers models; converted to safetensors)

#include "core/progress.h"
#include "models/manifest.h"
#include "models/model_paths.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::models {

struct PackInfo {
    std::string name;         // "isnet"
    std::string slot;         // "matting"
    std::string package;      // "@imgly/background-removal-data"
    std::string version;      // "1.4.5"
    std::string licence;      // of the network and its weights
    std::string description;  // one line for `kiln models packs` and the studio
};

const std::vector<PackInfo>& knownPacks();
// Throws kiln::Error listing the known packs when `name` is not one of them.
const PackInfo& findPack(const std::string& name);

// Packs install into packsDir() (models/model_paths.h), which Kiln searches for models.

// An installed pack's folder (packsDir()/name) when it holds a manifest of the pack's slot and
// version (not verified: verifying hashes every file); nullopt otherwise.
std::optional<std::filesystem::path> installedPack(const std::string& name);

// The package tarball a fetch keeps (DIR/.downloads/NAME-VERSION.tgz; DIR default packsDir()),
// so a reinstall or a conversion check needs no network.
std::filesystem::path packDownload(const std::string& name, const std::filesystem::path& dir = {});

struct PackInstallOptions {
    std::filesystem::path from;  // a package tarball (npm pack's .tgz) to use instead of fetching
    std::filesystem::path dir;   // install folder (default packsDir())
    bool force = false;          // reinstall even when a verified install is present
};

struct PackInstallResult {
    std::filesystem::path dir;
    bool alreadyInstalled = false;
    std::uint64_t bytes = 0;
    double seconds = 0.0;
};

// Fetches (npm pack), checks (package name and version, the chunk hashes the package lists),
// converts and installs atomically: a failure at any step leaves no folder and no partial file.
// Idempotent: a verified install of the same version is kept. Throws kiln::Error naming the pack
// and the reason (npm missing or the registry unreachable, a truncated or tampered tarball, a
// package of the wrong version).
PackInstallResult installPack(const std::string& name, const PackInstallOptions& options, core::Progress& progress);

// A gzip-compressed tar file's regular files by path (npm's "package/..." prefix kept).
// Throws kiln::Error naming the file when it is truncated or not a tar.gz.
std::map<std::string, std::vector<std::uint8_t>> readTarGz(const std::filesystem::path& path);

// IEEE half to float (all values: zeros, subnormals, infinities, NaN).
float halfToFloat(std::uint16_t h);

} // namespace kiln::models
