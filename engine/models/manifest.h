#pragma once

// Model folders (STYLE 19): every model Kiln loads is a folder with a manifest.json naming its
// slot, name, version, licence, the recipe that made it and the sha256 of every file. Loading goes
// through verifyModelFolder, so a missing, truncated or tampered file is one error naming it.
//
//   {"format": "kiln-model", "formatVersion": 1, "slot": "text-to-3d", "name": "...",
//    "version": "2", "licence": "...", "recipe": {...} or "...",
//    "files": [{"path": "weights.safetensors", "bytes": 123, "sha256": "ab12..."}, ...]}

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln::models {

struct ManifestFile {
    std::string path;  // relative to the folder, '/'-separated, no "..": "weights.safetensors"
    std::uint64_t bytes = 0;
    std::string sha256;  // lower-case hex
};

struct ModelManifest {
    std::string slot;        // "text-to-3d", "shape-autoencoder", "matting", ...
    std::string name;
    std::string version;
    std::string licence;
    std::string recipeJson = "{}";  // JSON text: the commands and data that made the weights
    std::vector<ManifestFile> files;
};

inline constexpr const char* kManifestName = "manifest.json";

// Reads DIR/manifest.json; throws kiln::Error naming the file on anything missing or malformed.
ModelManifest readManifest(const std::filesystem::path& dir);

// Reads the manifest and checks every listed file: present, the listed size, the listed sha256.
// Throws kiln::Error("<dir>/<file>: <reason>") at the first problem. When `expectedSlot` is not
// empty, a manifest for another slot is an error too.
ModelManifest verifyModelFolder(const std::filesystem::path& dir, const std::string& expectedSlot = {});

// Hashes every regular file under DIR (except manifest.json and hidden files) into
// manifest.files and writes DIR/manifest.json atomically (replacing an existing manifest).
ModelManifest writeManifest(const std::filesystem::path& dir, ModelManifest manifest);

std::string sha256File(const std::filesystem::path& path);

} // namespace kiln::models
