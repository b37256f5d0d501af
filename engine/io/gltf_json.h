#pragma once

// glTF plumbing the glTF tools share (gltf_cleanup, gltf_retexture): the GLB container and small
// JSON helpers. Internal to engine/io.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace kiln::io {

// The chunks of a glTF binary (GLB 2.0): the JSON text and, when present, the BIN chunk.
struct GlbChunks {
    std::string json;
    std::vector<std::uint8_t> bin;
    bool haveBin = false;
};
// Throws kiln::Error naming `name` on a bad header or truncated chunks.
GlbChunks parseGlb(std::span<const std::uint8_t> bytes, const std::string& name);
// A GLB of `json` (padded with spaces) and `bin` (padded with zeros; no BIN chunk when empty).
std::vector<std::uint8_t> buildGlb(std::string json, std::vector<std::uint8_t> bin);

// object[key] when present (null when absent or `object` is not an object).
nlohmann::json* gltfMember(nlohmann::json& object, const char* key);
// The elements of object[key] when it is an array, none otherwise.
std::span<nlohmann::json> gltfItems(nlohmann::json& object, const char* key);
// The names of all extension objects used anywhere in `node` (extras skipped).
void collectGltfExtensions(const nlohmann::json& node, std::set<std::string>& out);
// extensionsUsed / extensionsRequired list exactly the extensions still present (Required only
// those it listed before).
void syncGltfExtensionLists(nlohmann::json& doc);

// Removes textures no material uses, images and samplers no texture uses, and buffer views nothing
// references, renumbering every reference (gltf_cleanup.cpp; cleanGltf does this and more).
// Throws kiln::Error naming `file` on a reference out of range.
void removeUnusedTextures(nlohmann::json& doc, const std::string& file);

} // namespace kiln::io
