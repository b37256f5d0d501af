#include "core/asset_stats.h"

#include <algorithm>

namespace kiln::core {

AssetStats computeStats(const Asset& asset) {
    AssetStats s;
    s.bounds = computeBounds(asset);
    if (const Mesh* m = asset.mesh()) {
        s.kind = "mesh";
        s.vertices = m->vertexCount();
        s.triangles = m->triangleCount();
        s.submeshes = m->submeshes.size();
        for (const auto& mat : m->materials) s.materials.push_back(mat.name);
        for (const auto& t : m->textures) s.textures.push_back({t.name, t.image.width, t.image.height, t.image.channels, {}});
        for (const auto& mat : m->materials) {
            const std::pair<int, const char*> slots[] = {{mat.baseColorTexture, "baseColor"},
                                                         {mat.metallicRoughnessTexture, "metallicRoughness"},
                                                         {mat.normalTexture, "normal"},
                                                         {mat.emissiveTexture, "emissive"},
                                                         {mat.occlusionTexture, "occlusion"}};
            for (const auto& [index, slot] : slots) {
                if (index < 0 || std::size_t(index) >= s.textures.size()) continue;
                auto& uses = s.textures[std::size_t(index)].uses;
                if (std::find(uses.begin(), uses.end(), slot) == uses.end()) uses.push_back(slot);
            }
        }
        s.hasNormals = !m->normals.empty();
        s.hasUv0 = !m->uv0.empty();
        s.hasUv1 = !m->uv1.empty();
        s.hasColors = !m->colors.empty();
    } else if (const GaussianCloud* g = asset.gaussians()) {
        s.kind = "gaussians";
        s.splats = g->size();
        s.shDegree = g->shDegree;
    }
    return s;
}

} // namespace kiln::core
