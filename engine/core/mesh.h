#pragma once

#include "core/image.h"

#include <glm/vec2.hpp>
#include <glm/vec3.hpp>
#include <glm/vec4.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::core {

// A texture keeps the decoded pixels for rendering and, when it came from a file, the original
// encoded bytes so an export does not re-encode (and degrade) a JPEG.
struct Texture {
    std::string name;                  // original file name or a generated one ("basecolor.png")
    Image image;                       // decoded pixels
    std::vector<std::uint8_t> encoded; // original PNG/JPEG bytes, may be empty
    std::string mimeType;              // "image/png", "image/jpeg" when encoded is set
};

enum class AlphaMode : std::uint8_t { Opaque, Mask, Blend };

// glTF 2.0 metallic-roughness material; texture fields index Mesh::textures, -1 = none.
struct Material {
    std::string name;
    glm::vec4 baseColorFactor{1.0f};
    float metallicFactor = 1.0f;
    float roughnessFactor = 1.0f;
    glm::vec3 emissiveFactor{0.0f};
    AlphaMode alphaMode = AlphaMode::Opaque;
    float alphaCutoff = 0.5f;
    bool doubleSided = false;
    int baseColorTexture = -1;
    int metallicRoughnessTexture = -1;
    int normalTexture = -1;
    int occlusionTexture = -1;
    int emissiveTexture = -1;
};

// A contiguous index range drawn with one material (a glTF primitive / an Assimp mesh).
struct Submesh {
    std::string name;
    std::uint32_t firstIndex = 0;
    std::uint32_t indexCount = 0;
    std::uint32_t firstVertex = 0;
    std::uint32_t vertexCount = 0;
    int material = -1;  // index into Mesh::materials, -1 = default material
};

// Triangle mesh as a struct of arrays. Attribute arrays are either empty or positions.size() long.
// Units metres, +Y up, right-handed (glTF). Node transforms are baked in on import.
struct Mesh {
    std::vector<glm::vec3> positions;
    std::vector<glm::vec3> normals;
    std::vector<glm::vec2> uv0;
    std::vector<glm::vec2> uv1;
    std::vector<glm::vec4> colors;    // linear RGBA vertex colours
    std::vector<std::uint32_t> indices; // triangles, indices relative to the whole mesh
    std::vector<Submesh> submeshes;     // cover indices exactly once
    std::vector<Material> materials;
    std::vector<Texture> textures;

    std::size_t vertexCount() const { return positions.size(); }
    std::size_t triangleCount() const { return indices.size() / 3; }
    bool empty() const { return positions.empty() || indices.empty(); }

    // Throws kiln::Error naming `what` when arrays disagree, indices are out of range or
    // submeshes do not cover the index buffer.
    void validate(const std::string& what) const;
};

struct Bounds {
    glm::vec3 min{0.0f};
    glm::vec3 max{0.0f};
    bool valid = false;
    void extend(const glm::vec3& p);
    glm::vec3 center() const { return (min + max) * 0.5f; }
    glm::vec3 size() const { return max - min; }
};

Bounds computeBounds(const Mesh& mesh);

// "x0,y0,z0,x1,y1,z1" (two opposite corners) -> a box; kiln::Error naming `what` otherwise.
Bounds parseBounds(const std::string& text, const std::string& what);

// For every position, the index of the first position exactly equal to it (-0 and +0 equal):
// how DCC tools and topology checks see vertices split only by normal, UV or colour seams.
std::vector<std::uint32_t> firstAtSamePosition(const std::vector<glm::vec3>& positions);
Bounds computeBounds(const std::vector<glm::vec3>& points);

} // namespace kiln::core
