#pragma once

#include "core/asset.h"

#include <cstddef>
#include <string>
#include <vector>

namespace kiln::core {

struct TextureStats {
    std::string name;
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<std::string> uses;  // material slots that sample it: "baseColor", "metallicRoughness", "normal", "emissive", "occlusion"
};

// What `kiln info` and the studio's inspector show about an asset.
struct AssetStats {
    std::string kind;  // "mesh" or "gaussians"
    std::size_t vertices = 0;
    std::size_t triangles = 0;
    std::size_t submeshes = 0;
    std::vector<std::string> materials;
    std::vector<TextureStats> textures;
    bool hasNormals = false, hasUv0 = false, hasUv1 = false, hasColors = false;
    std::size_t splats = 0;
    int shDegree = 0;
    Bounds bounds;
};

AssetStats computeStats(const Asset& asset);

} // namespace kiln::core
