#pragma once

// A View says how the Scene is looked at (Filament's View): the camera, the viewport in
// pixels and how to shade. Plain values, no Vulkan: the studio keeps one per viewport.
#include "core/camera.h"

#include <glm/vec4.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln::render {

enum class ShadingMode : std::uint8_t {
    Lit,            // PBR metallic-roughness, studio light rig + environment term
    Unlit,          // base colour only
    Normals,        // world-space normals as colour
    UvChecker,      // UV0 checker pattern
    Wireframe,      // lit with a wireframe overlay
    SplatCenters,   // splats as small opaque dots
    SplatEllipsoids // splats as opaque ellipses at 1 sigma
};

const char* toString(ShadingMode mode);
ShadingMode shadingModeFromString(const std::string& name);  // throws kiln::Error listing valid names

struct ViewOptions {
    ShadingMode mode = ShadingMode::Lit;
    bool wireframeOverlay = false;  // in addition to the shading mode
    bool grid = true;
    bool axisGizmo = true;
    glm::vec4 background{0.045f, 0.05f, 0.06f, 1.0f};  // linear RGB, alpha 1 = opaque
    int msaaSamples = 4;            // 1, 2, 4 or 8; clamped to what the device supports
    // Presented frames (Renderer::renderToSurface) draw at this fraction of the surface's size,
    // clamped to [kMinResolutionScale, 1], and are upscaled to it with a linear filter (the
    // studio's adaptive quality while the camera moves). Offscreen renders ignore it.
    float resolutionScale = 1.0f;
    // Level of detail: a cloud of more splats than this draws only its most visible ones (by
    // opacity x size; 0 = every splat). The studio lowers it for very large clouds while the
    // camera moves.
    std::size_t maxSplats = 0;
};

inline constexpr float kMinResolutionScale = 0.25f;

struct View {
    core::Camera camera;
    int width = 0, height = 0;  // pixels; a SurfaceTarget's swapchain size replaces them when presenting
    ViewOptions options;
};

} // namespace kiln::render
