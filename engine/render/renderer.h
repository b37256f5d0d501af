#pragma once

// The one renderer (DESIGN.md engine/render), in Filament's shape: a Renderer draws a View
// (camera, size, shading; view.h) of its Scene (GPU copies of assets; scene.h) into an offscreen
// image or a SurfaceTarget's swapchain (surface_target.h). No Vulkan types in these headers.
#include "core/asset.h"
#include "core/camera.h"
#include "core/image.h"
#include "core/radiance_field.h"
#include "render/scene.h"
#include "render/surface_target.h"
#include "render/view.h"

#include <glm/mat4x4.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::render {

// Khronos validation layer: On requires it (error when not installed); Auto enables it in
// debug builds when it is installed.
enum class Validation : std::uint8_t { Off, On, Auto };
// Where splats are depth-sorted: on the CPU (a worker thread while presenting), or in compute
// after the per-splat preprocess (exact every frame). Auto picks by device.
enum class SplatSort : std::uint8_t { Auto, Cpu, Gpu };
const char* toString(SplatSort sort);
// "auto", "cpu" or "gpu"; anything else throws kiln::Error: `option` "NAME" is not auto, cpu or gpu.
SplatSort splatSortFromString(const std::string& name, const std::string& option);

// How splats are rasterized: instanced quads blended by the fixed function ("raster"), a
// compute tile rasterizer that blends each 4x4 tile's splats front to back with early
// termination ("compute"; it bins on the host from the CPU sort's order), or Kiln's own tile
// rasterizer on the CPU, composited by a compute pass ("host"; for CPU devices; a frame with
// meshes, whose depth it does not test, takes the compute path instead). Auto picks by device.
enum class SplatPath : std::uint8_t { Auto, Raster, Compute, Host };
const char* toString(SplatPath path);
// "auto", "raster", "compute" or "host"; anything else throws kiln::Error naming `option`.
SplatPath splatPathFromString(const std::string& name, const std::string& option);

struct RendererOptions {
    Validation validation = Validation::Auto;
    SplatSort splatSort = SplatSort::Auto;
    SplatPath splatPath = SplatPath::Auto;
    std::vector<std::string> instanceExtensions; // e.g. surface extensions for an on-screen viewport
    bool swapchain = false;                   // enable VK_KHR_swapchain on the device
};

// Frame statistics for the HUD and benchmarks.
struct FrameStats {
    double cpuMs = 0.0;         // sort + recording + submit + wait for the GPU
    double gpuMs = 0.0;         // the frame's GPU time by its timestamps, once it has finished (0 where the device has none)
    double sortMs = 0.0;        // splat depth sort: on the CPU (headless frames) or in compute (GPU timestamps, once the frame is done); 0 for a presented frame's worker sort
    std::size_t triangles = 0;
    std::size_t splats = 0;       // drawn (a level-of-detail prefix while ViewOptions::maxSplats limits them)
    std::size_t sceneSplats = 0;  // in the visible clouds
    // A presented frame drew a cloud with an older sort than its camera (or level of detail) asks
    // for; the newer one is being computed, and the next frame will have it.
    bool splatOrderPending = false;
    int width = 0, height = 0;  // the frame's drawn size (below the surface's while resolutionScale < 1)
    // The scene pass's MSAA samples: ViewOptions::msaaSamples as the device supports it, 1 for a
    // frame without meshes on a CPU device with smooth lines (its grid is drawn with them).
    int samples = 1;
    // The compute splat path: the splats' tile entries (a splat counts once per 4x4 tile it
    // reaches) and the host time binning them; 0 on the raster path.
    std::size_t tileEntries = 0;
    double binMs = 0.0;
    bool splatTiles = false;  // this frame's splats went through the compute or the host path
    bool splatHost = false;   // the host path (binMs is then its whole drawing time)
    // A presented frame's bins (made after recording, into buffers sized from the last frame's)
    // did not all fit: some far splats were left out, and the next frame has room. Known once
    // the frame has finished; draw another frame.
    bool tilesClipped = false;
};

// What a Vulkan UI back-end (ImGui_ImplVulkan_Init) needs to share the renderer's device.
// Raw handles as integers so this header stays free of Vulkan types.
struct DeviceHandles {
    std::uint64_t instance = 0;        // VkInstance
    std::uint64_t physicalDevice = 0;  // VkPhysicalDevice
    std::uint64_t device = 0;          // VkDevice
    std::uint64_t queue = 0;           // VkQueue (graphics + present); used only on the rendering thread
    std::uint32_t queueFamily = 0;
    std::uint32_t apiVersion = 0;      // the instance's VK_API_VERSION
};

// Owns the Vulkan device, its Scene and the frame resources. Headless by default; draws to a
// caller's VkSurfaceKHR through SurfaceTarget. Not thread-safe: one thread drives a Renderer.
class Renderer {
public:
    explicit Renderer(const RendererOptions& options = {});
    ~Renderer();
    Renderer(const Renderer&) = delete;
    Renderer& operator=(const Renderer&) = delete;

    Scene& scene();
    const Scene& scene() const;

    // Renders `view` of the scene offscreen and reads it back as 8-bit sRGB RGBA.
    core::Image renderImage(const View& view);
    // Renders offscreen and waits for it; reads nothing back unless asked (benchmarks).
    void renderFrame(const View& view, bool readback = false);

    // Conveniences that forward to scene() and to the View overloads.
    using ObjectId = Scene::ObjectId;
    ObjectId add(const core::Asset& asset, const glm::mat4& transform = glm::mat4(1.0f));
    ObjectId addField(const core::RadianceField& field, const glm::mat4& transform = glm::mat4(1.0f));
    void setTransform(ObjectId id, const glm::mat4& transform);
    void setVisible(ObjectId id, bool visible);
    void remove(ObjectId id);
    void clear();
    core::Bounds sceneBounds() const;  // world bounds of visible objects
    core::Image renderImage(const core::Camera& camera, int width, int height, const ViewOptions& options = {});
    void renderFrame(const core::Camera& camera, int width, int height, const ViewOptions& options = {}, bool readback = false);

    std::string deviceName() const;
    bool validationEnabled() const;
    // Validation messages of severity warning or error seen so far (only with validation on).
    std::vector<std::string> validationMessages() const;
    const FrameStats& lastFrameStats() const;
    // The splat sort in use (never Auto) and a change of it (Auto: the device's choice).
    SplatSort splatSort() const;
    void setSplatSort(SplatSort sort);
    // The splat rasterizer in use and a change of it: Raster, Compute, or Auto where the device
    // chooses per frame (a CPU device: the compute path for frames of at least 50k splats;
    // FrameStats::splatTiles tells which ran). The compute path bins from the CPU sort's order:
    // choosing it with the GPU sort set explicitly throws kiln::Error, and the automatic sort is
    // the CPU's while it may run.
    SplatPath splatPath() const;
    void setSplatPath(SplatPath path);
    // Both at once (any pair but Compute with Gpu, which throws and changes nothing).
    void setSplatChoices(SplatSort sort, SplatPath path);

    // Raw handles for a window system that adopts the renderer's instance (Qt's QVulkanInstance).
    std::uint64_t vkInstance() const;

    // Presenting: a swapchain on a VkSurfaceKHR made from vkInstance(). Resizes on demand.
    std::unique_ptr<SurfaceTarget> createSurfaceTarget(std::uint64_t vkSurface, int width, int height);
    // Draws at the target's size. Returns false when the surface is out of date or minimised
    // (the caller retries next frame).
    bool renderToSurface(SurfaceTarget& target, const core::Camera& camera, const ViewOptions& options = {});
    // Same, then begins the target's overlay render pass on the swapchain image, calls `overlay`
    // and ends the pass before presenting. With FrameWait::Finish the frame is complete on the
    // device when this returns; with Submit it returns once the frame is submitted and presented
    // (queued), and the device finishes it while the caller goes on (on lavapipe, on the driver's
    // threads): frameInFlight() tells when it has, and every other call that needs the device
    // first waits for it.
    enum class FrameWait { Finish, Submit };
    bool renderToSurface(SurfaceTarget& target, const core::Camera& camera, const ViewOptions& options, const OverlayFn& overlay,
                         FrameWait wait = FrameWait::Finish);
    // Whether a frame submitted with FrameWait::Submit is still running on the device (does not
    // wait), and waiting for it.
    bool frameInFlight();
    void finishFrame();
    DeviceHandles deviceHandles() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace kiln::render
