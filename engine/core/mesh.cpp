#include "core/mesh.h"

#include "core/error.h"

#include <glm/common.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace kiln::core {

void Bounds::extend(const glm::vec3& p) {
    if (!valid) {
        min = max = p;
        valid = true;
        return;
    }
    min = glm::min(min, p);
    max = glm::max(max, p);
}

Bounds computeBounds(const std::vector<glm::vec3>& points) {
    Bounds b;
    for (const auto& p : points) b.extend(p);
    return b;
}

Bounds computeBounds(const Mesh& mesh) { return computeBounds(mesh.positions); }

Bounds parseBounds(const std::string& text, const std::string& what) {
    float v[6];
    char tail = 0;
    if (std::sscanf(text.c_str(), "%f,%f,%f,%f,%f,%f%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 ||
        !std::all_of(v, v + 6, [](float x) { return std::isfinite(x); }))
        throw Error(what + " " + text + ": six numbers x0,y0,z0,x1,y1,z1 (two opposite corners, in the mesh's units)");
    Bounds b;
    b.extend({v[0], v[1], v[2]});
    b.extend({v[3], v[4], v[5]});
    return b;
}

std::vector<std::uint32_t> firstAtSamePosition(const std::vector<glm::vec3>& positions) {
    struct Key {
        std::uint32_t x, y, z;
        bool operator==(const Key&) const = default;
    };
    struct Hash {
        std::size_t operator()(const Key& k) const {
            std::uint64_t h = k.x * 0x9E3779B97F4A7C15ull;
            h ^= (k.y + 0x7F4A7C15ull + (h << 6) + (h >> 2)) * 0xBF58476D1CE4E5B9ull;
            h ^= (k.z + 0x94D049BBull + (h << 6) + (h >> 2)) * 0x94D049BB133111EBull;
            return std::size_t(h ^ (h >> 31));
        }
    };
    auto bits = [](float f) {
        if (f == 0.0f) f = 0.0f;  // -0 and +0 are one position
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        return u;
    };
    std::unordered_map<Key, std::uint32_t, Hash> first;
    first.reserve(positions.size());
    std::vector<std::uint32_t> ids(positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i) {
        const glm::vec3& p = positions[i];
        ids[i] = first.try_emplace(Key{bits(p.x), bits(p.y), bits(p.z)}, std::uint32_t(i)).first->second;
    }
    return ids;
}

void Mesh::validate(const std::string& what) const {
    const std::size_t n = positions.size();
    auto checkAttr = [&](std::size_t size, const char* name) {
        if (size != 0 && size != n)
            throw Error(what + ": " + name + " has " + std::to_string(size) + " entries for " + std::to_string(n) + " vertices");
    };
    checkAttr(normals.size(), "normals");
    checkAttr(uv0.size(), "UV0");
    checkAttr(uv1.size(), "UV1");
    checkAttr(colors.size(), "vertex colours");
    if (indices.size() % 3 != 0) throw Error(what + ": index count is not a multiple of 3");
    for (std::uint32_t i : indices)
        if (i >= n) throw Error(what + ": vertex index " + std::to_string(i) + " out of range (" + std::to_string(n) + " vertices)");
    for (const auto& p : positions)
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z))
            throw Error(what + ": vertex position is not finite (NaN or infinity)");
    // 1e12 m is past any asset's scale: such coordinates come from corrupt data, not from an artist.
    for (const auto& p : positions)
        if (std::abs(p.x) > 1e12f || std::abs(p.y) > 1e12f || std::abs(p.z) > 1e12f)
            throw Error(what + ": vertex coordinates are implausibly large (corrupt data?)");
    std::size_t covered = 0;
    for (const auto& s : submeshes) {
        if (std::size_t(s.firstIndex) + s.indexCount > indices.size()) throw Error(what + ": submesh '" + s.name + "' exceeds the index buffer");
        if (s.material >= int(materials.size())) throw Error(what + ": submesh '" + s.name + "' uses a missing material");
        covered += s.indexCount;
    }
    if (covered != indices.size()) throw Error(what + ": submeshes do not cover the index buffer");
    auto checkTex = [&](int t, const char* slot) {
        if (t >= int(textures.size())) throw Error(what + ": " + slot + " texture index out of range");
    };
    for (const auto& m : materials) {
        checkTex(m.baseColorTexture, "base colour");
        checkTex(m.metallicRoughnessTexture, "metallic-roughness");
        checkTex(m.normalTexture, "normal");
        checkTex(m.occlusionTexture, "occlusion");
        checkTex(m.emissiveTexture, "emissive");
    }
}

} // namespace kiln::core
