#pragma once

#include "core/asset.h"
#include "core/camera.h"
#include "core/image.h"
#include "core/radiance_field.h"

#include <glm/mat4x4.hpp>
#include <glm/vec4.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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
};

// Khronos validation layer: On requires it (error when not installed); Auto enables it in
// debug builds when it is installed.
enum class Validation : std::uint8_t { Off, On, Auto };

struct RendererOptions {
    Validation validation = Validation::Auto;
    std::vector<std::string> instanceExtensions; // e.g. surface extensions for an on-screen viewport
    bool swapchain = false;                   // enable VK_KHR_swapchain on the device
};

// Frame statistics for the HUD and benchmarks.
struct FrameStats {
    double cpuMs = 0.0;         // sort + recording + submit + wait for the GPU
    double sortMs = 0.0;        // splat depth sort on the CPU (headless frames)
    std::size_t triangles = 0;
    std::size_t splats = 0;
};

class SurfaceTarget;

// ---- Overlay hook: lets a window layer (the studio's Dear ImGui HUD) draw on top of a presented
// frame. Raw handles as integers so this header stays free of Vulkan types. ----

// What a Vulkan UI back-end (ImGui_ImplVulkan_Init) needs to share the renderer's device.
struct DeviceHandles {
    std::uint64_t instance = 0;        // VkInstance
    std::uint64_t physicalDevice = 0;  // VkPhysicalDevice
    std::uint64_t device = 0;          // VkDevice
    std::uint64_t queue = 0;           // VkQueue (graphics + present); used only on the rendering thread
    std::uint32_t queueFamily = 0;
    std::uint32_t apiVersion = 0;      // the instance's VK_API_VERSION
};

// Passed to the overlay callback while the renderer's overlay render pass is active on the
// swapchain image (one colour attachment, load op LOAD, final layout PRESENT_SRC).
struct OverlayContext {
    std::uint64_t commandBuffer = 0;  // VkCommandBuffer, recording, inside the render pass
    std::uint64_t renderPass = 0;     // VkRenderPass (SurfaceTarget::overlayRenderPass())
    std::uint32_t width = 0, height = 0;
    std::uint32_t imageIndex = 0, imageCount = 0;
};
using OverlayFn = std::function<void(const OverlayContext&)>;

// The one renderer (DESIGN.md engine/render). Owns GPU copies of assets it is given; the data
// stays with the caller (STYLE 4). Headless by default; draws to a caller's VkSurfaceKHR through
// SurfaceTarget. Not thread-safe: one thread drives a Renderer.
class Renderer {
public:
    explicit Renderer(const RendererOptions& options = {});
    ~Renderer();
    Renderer(const Renderer&) = delete;
    Renderer& operator=(const Renderer&) = delete;

    using ObjectId = std::uint64_t;
    ObjectId add(const core::Asset& asset, const glm::mat4& transform = glm::mat4(1.0f));
    ObjectId addField(const core::RadianceField& field, const glm::mat4& transform = glm::mat4(1.0f));
    void setTransform(ObjectId id, const glm::mat4& transform);
    void setVisible(ObjectId id, bool visible);
    void remove(ObjectId id);
    void clear();
    core::Bounds sceneBounds() const;  // world bounds of visible objects

    // Renders one frame offscreen and reads it back as 8-bit sRGB RGBA.
    core::Image renderImage(const core::Camera& camera, int width, int height, const ViewOptions& options = {});
    // Renders one frame offscreen and waits for it; reads nothing back unless asked (benchmarks).
    void renderFrame(const core::Camera& camera, int width, int height, const ViewOptions& options = {}, bool readback = false);

    std::string deviceName() const;
    bool validationEnabled() const;
    // Validation messages of severity warning or error seen so far (only with validation on).
    std::vector<std::string> validationMessages() const;
    const FrameStats& lastFrameStats() const;

    // Raw handles for a window system that adopts the renderer's instance (Qt's QVulkanInstance).
    std::uint64_t vkInstance() const;

    // Presenting: a swapchain on a VkSurfaceKHR made from vkInstance(). Resizes on demand.
    std::unique_ptr<SurfaceTarget> createSurfaceTarget(std::uint64_t vkSurface, int width, int height);
    // Returns false when the surface is out of date or minimised (the caller retries next frame).
    bool renderToSurface(SurfaceTarget& target, const core::Camera& camera, const ViewOptions& options = {});
    // Same, then begins the target's overlay render pass on the swapchain image, calls `overlay`
    // and ends the pass before presenting. The frame is complete on the GPU when this returns.
    bool renderToSurface(SurfaceTarget& target, const core::Camera& camera, const ViewOptions& options, const OverlayFn& overlay);
    DeviceHandles deviceHandles() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

class SurfaceTarget {
public:
    ~SurfaceTarget();
    void resize(int width, int height);
    // VkRenderPass for overlay drawing on the swapchain images; stable for the target's lifetime.
    std::uint64_t overlayRenderPass() const;
    std::uint32_t imageCount() const;
    struct Impl;
    explicit SurfaceTarget(std::unique_ptr<Impl> impl);

private:
    friend class Renderer;
    std::unique_ptr<Impl> m_impl;
};

} // namespace kiln::render
