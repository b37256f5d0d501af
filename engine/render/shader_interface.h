#pragma once

// Internal to engine/render: C++ mirrors of what the shaders read (shaders/*.vert, *.frag,
// common.glsl). Change a layout here and in the GLSL together.
#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>
#include <glm/vec4.hpp>

namespace kiln::render {

// Set 0, binding 0 of every pipeline: `Frame` in common.glsl.
struct FrameUniforms {
    glm::mat4 view, proj, viewProj, invViewProj;
    glm::vec4 cameraPos, viewport;
    glm::vec4 lightDir[3], lightColor[3];
    glm::vec4 skyColor, groundColor;
    glm::ivec4 mode;
};

// frame.mode.x in common.glsl (kModeLit ...).
enum ShaderMode : int { kShaderModeLit = 0, kShaderModeUnlit = 1, kShaderModeNormals = 2, kShaderModeUvChecker = 3 };
// SplatPush::info.y in splat.vert.
enum SplatDebug : int { kSplatDebugOff = 0, kSplatDebugCenters = 1, kSplatDebugEllipsoids = 2 };

struct MeshPush {
    glm::mat4 model;
    glm::vec4 baseColor;
    glm::vec4 emissiveMetallic;
    glm::vec4 params;  // roughness, alpha cutoff, alpha mode (0 opaque, 1 mask, 2 blend), flags (1: normal map)
};
static_assert(sizeof(MeshPush) <= 128, "Vulkan guarantees 128 bytes of push constants");

struct SplatPush {
    glm::mat4 model;
    glm::ivec4 info;  // SH degree, debug mode, splat count, 1 = the GPU sort's keys are written
};

// radix_*.comp: one 8-bit digit pass of the GPU radix sort.
struct SortPush {
    std::uint32_t count, shift, blocks, pad;
};
inline constexpr std::uint32_t kRadixBlock = 1024;  // keys per workgroup (256 invocations x 4)

// splat_preprocess.comp's output per splat (struct Projected: four vec4).
inline constexpr std::size_t kProjectedSplatBytes = 64;
inline constexpr std::uint32_t kSplatPreprocessGroup = 256;  // its local_size_x

struct FieldPush {
    glm::mat4 worldToGrid;
    glm::vec4 params;  // x: ray-march steps across the grid diagonal
};

struct LinePush {
    glm::mat4 transform;
};

struct LineVertex {
    glm::vec3 position;
    glm::vec4 color;
};

// One splat in the storage buffer splat.vert reads (std430).
struct SplatGpu {
    glm::vec4 positionOpacity;
    glm::vec4 rotation;
    glm::vec4 logScale;
    float sh[48];
};

} // namespace kiln::render
