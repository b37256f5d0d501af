// The Renderer's public face: building the device, forwarding to the Scene, and the two ways a
// frame leaves the GPU (read back, or presented on a SurfaceTarget). The frame itself is
// recorded in frame.cpp.
#include "render/renderer.h"

#include "core/error.h"
#include "render/grid_gizmo.h"
#include "render/renderer_impl.h"
#include "render/surface_target_impl.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace kiln::render {

namespace {

#ifdef NDEBUG
constexpr bool kDebugBuild = false;
#else
constexpr bool kDebugBuild = true;
#endif

bool wantValidation(Validation v) { return v == Validation::On || (v == Validation::Auto && kDebugBuild); }

double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

Renderer::Impl::Impl(const RendererOptions& options)
    : ctx(wantValidation(options.validation), options.validation == Validation::On, options.instanceExtensions, options.swapchain), resources(ctx),
      pipelines(resources), sceneData(resources) {
    frameUbo = ctx.createBuffer(sizeof(FrameUniforms), vk::BufferUsageFlagBits::eUniformBuffer, true);
    lineVertices = ctx.createBuffer(sizeof(LineVertex) * kMaxLineVertices, vk::BufferUsageFlagBits::eVertexBuffer, true);
    frameSet = resources.allocateSet(*resources.frameLayout);
    vk::DescriptorBufferInfo uboInfo(*frameUbo.buffer, 0, sizeof(FrameUniforms));
    ctx.device.updateDescriptorSets(vk::WriteDescriptorSet(*frameSet, 0, 0, vk::DescriptorType::eUniformBuffer, {}, uboInfo), {});
    vk::raii::CommandBuffers cbs(ctx.device, {*ctx.commandPool, vk::CommandBufferLevel::ePrimary, 1});
    cmd = std::move(cbs[0]);
    frameFence = vk::raii::Fence(ctx.device, vk::FenceCreateInfo(vk::FenceCreateFlagBits::eSignaled));
    sceneData.onRemove = [this](Scene::ObjectId id) { splatPass.forget(id); };
    sceneData.beforeDeviceWork = [this] { finishFrame(); };
}

Renderer::Renderer(const RendererOptions& options) : m_impl(std::make_unique<Impl>(options)) {
    setSplatChoices(options.splatSort, options.splatPath);
}

const char* toString(SplatSort sort) { return sort == SplatSort::Cpu ? "cpu" : sort == SplatSort::Gpu ? "gpu" : "auto"; }

SplatSort splatSortFromString(const std::string& name, const std::string& option) {
    for (const SplatSort sort : {SplatSort::Auto, SplatSort::Cpu, SplatSort::Gpu})
        if (name == toString(sort)) return sort;
    throw Error(option + " \"" + name + "\" is not auto, cpu or gpu");
}

SplatSort Renderer::splatSort() const { return m_impl->splatPass.gpuSort() ? SplatSort::Gpu : SplatSort::Cpu; }

void Renderer::setSplatSort(SplatSort sort) { setSplatChoices(sort, m_impl->requestedPath); }

const char* toString(SplatPath path) {
    switch (path) {
    case SplatPath::Raster: return "raster";
    case SplatPath::Compute: return "compute";
    case SplatPath::Host: return "host";
    default: return "auto";
    }
}

SplatPath splatPathFromString(const std::string& name, const std::string& option) {
    for (const SplatPath path : {SplatPath::Auto, SplatPath::Raster, SplatPath::Compute, SplatPath::Host})
        if (name == toString(path)) return path;
    throw Error(option + " \"" + name + "\" is not auto, raster, compute or host");
}

SplatPath Renderer::splatPath() const { return m_impl->splatPass.path(); }

void Renderer::setSplatPath(SplatPath path) { setSplatChoices(m_impl->requestedSort, path); }

void Renderer::setSplatChoices(SplatSort sort, SplatPath path) {
    // Checked before anything changes: a refused pair leaves both choices as they were.
    if ((path == SplatPath::Compute || path == SplatPath::Host) && sort == SplatSort::Gpu)
        throw Error(std::string("the ") + toString(path) +
                    " splat path bins splats on the CPU from the CPU sort's order; use it with the cpu or auto sort, not gpu");
    Impl& r = *m_impl;
    r.finishFrame();
    r.requestedSort = sort;
    r.requestedPath = path;
    const bool cpuDevice = r.ctx.properties.deviceType == vk::PhysicalDeviceType::eCpu;
    // Auto, by device (bench/results/issue20_viewport.md). On a CPU device (lavapipe): the CPU
    // sort (the compute sort runs on the same cores and measured ~10x slower), and per frame the
    // host path for frames without meshes, else the compute path for frames of many splats
    // (SplatPass::tiles). On a GPU: the compute sort and the raster path (measured on an H200:
    // the fastest of the three on every row).
    if (path == SplatPath::Auto && (!cpuDevice || sort == SplatSort::Gpu)) path = SplatPath::Raster;
    r.splatPass.setPath(path);
    r.splatPass.setGpuSort(path == SplatPath::Raster && (sort == SplatSort::Gpu || (sort == SplatSort::Auto && !cpuDevice)));
}

Renderer::~Renderer() {
    if (!m_impl) return;
    m_impl->finishFrame();
    m_impl->ctx.device.waitIdle();
}

bool Renderer::frameInFlight() {
    Impl& r = *m_impl;
    if (r.presenter.busy()) return true;
    if (!r.inFlight) return false;
    if (r.frameFence.getStatus() == vk::Result::eNotReady) return true;
    r.finishFrame();  // done: does not wait, reads the frame's timings
    return false;
}

void Renderer::finishFrame() { m_impl->finishFrame(); }

// ---- the scene ----------------------------------------------------------------------------

Scene& Renderer::scene() { return m_impl->scene; }
const Scene& Renderer::scene() const { return m_impl->scene; }

Renderer::ObjectId Renderer::add(const core::Asset& asset, const glm::mat4& transform) { return scene().add(asset, transform); }
Renderer::ObjectId Renderer::addField(const core::RadianceField& field, const glm::mat4& transform) { return scene().addField(field, transform); }
void Renderer::setTransform(ObjectId id, const glm::mat4& transform) { scene().setTransform(id, transform); }
void Renderer::setVisible(ObjectId id, bool visible) { scene().setVisible(id, visible); }
void Renderer::remove(ObjectId id) { scene().remove(id); }
void Renderer::clear() { scene().clear(); }
core::Bounds Renderer::sceneBounds() const { return scene().bounds(); }

// ---- offscreen frames ---------------------------------------------------------------------

core::Image Renderer::renderImage(const View& view) {
    renderFrame(view, true);
    return readbackImage(m_impl->target);
}

void Renderer::renderFrame(const View& view, bool readback) {
    if (view.width <= 0 || view.height <= 0 || view.width > 16384 || view.height > 16384)
        throw Error("render size " + std::to_string(view.width) + "x" + std::to_string(view.height) + " is out of range (1..16384)");
    Impl& r = *m_impl;
    r.finishFrame();
    const auto start = std::chrono::steady_clock::now();
    r.prepareTarget(view.width, view.height, view.options.msaaSamples);
    r.updateSplatOrders(view, false);
    r.stats.sortMs = millisecondsSince(start);
    r.recordFrame(view);
    if (readback) recordReadback(r.cmd, r.target);
    r.endFrameTimer();
    r.cmd.end();
    r.submitAndWait();
    r.stats.cpuMs = millisecondsSince(start);
}

core::Image Renderer::renderImage(const core::Camera& camera, int width, int height, const ViewOptions& options) {
    return renderImage(View{camera, width, height, options});
}

void Renderer::renderFrame(const core::Camera& camera, int width, int height, const ViewOptions& options, bool readback) {
    renderFrame(View{camera, width, height, options}, readback);
}

// ---- presenting ---------------------------------------------------------------------------

std::unique_ptr<SurfaceTarget> Renderer::createSurfaceTarget(std::uint64_t vkSurface, int width, int height) {
    const vk::SurfaceKHR surface(reinterpret_cast<VkSurfaceKHR>(vkSurface));
    return std::make_unique<SurfaceTarget>(std::make_unique<SurfaceTarget::Impl>(m_impl->ctx, surface, width, height));
}

bool Renderer::renderToSurface(SurfaceTarget& surfaceTarget, const core::Camera& camera, const ViewOptions& options) {
    return renderToSurface(surfaceTarget, camera, options, OverlayFn{});
}

bool Renderer::renderToSurface(SurfaceTarget& surfaceTarget, const core::Camera& camera, const ViewOptions& options, const OverlayFn& overlay,
                               FrameWait wait) {
    SurfaceTarget::Impl& st = *surfaceTarget.m_impl;
    m_impl->finishFrame();
    // A presented frame's CPU sort runs on the worker, untimed here; the compute sort's time is
    // the last finished frame's until this one is done.
    if (!m_impl->splatPass.gpuSort()) m_impl->stats.sortMs = 0.0;
    if (!st.ready()) return false;
    const auto start = std::chrono::steady_clock::now();
    const std::optional<std::uint32_t> index = st.acquire();
    if (!index) return false;
    Impl& r = *m_impl;
    // Adaptive quality: a smaller frame, upscaled by the blit to the swapchain.
    const float scale = std::isfinite(options.resolutionScale) ? std::clamp(options.resolutionScale, kMinResolutionScale, 1.0f) : 1.0f;
    const int width = std::max(1, int(std::lround(float(st.extent.width) * scale)));
    const int height = std::max(1, int(std::lround(float(st.extent.height) * scale)));
    const View view{camera, width, height, options};
    r.prepareTarget(view.width, view.height, options.msaaSamples);
    r.updateSplatOrders(view, true, wait == FrameWait::Submit);
    r.recordFrame(view);
    st.recordPresentCopy(r.cmd, *r.target.color.image, std::uint32_t(width), std::uint32_t(height), *index, overlay);
    r.endFrameTimer();
    r.cmd.end();
    if (wait == FrameWait::Finish) {
        r.submit(*st.acquired, *st.rendered);
        st.present(*index);
        r.finishFrame();
    } else if (r.tilesDeferred) {
        // The compute path's binning, the submit and the present run on the presenting thread.
        const vk::Semaphore acquired = *st.acquired, rendered = *st.rendered;
        r.presenter.present(st, *index, [&r, acquired, rendered] {
            r.binDeferredTiles();
            r.submitRecorded(acquired, rendered);
        });
    } else {
        r.submit(*st.acquired, *st.rendered);
        r.presenter.present(st, *index);
    }
    r.stats.cpuMs = millisecondsSince(start);
    return true;
}

// ---- device -------------------------------------------------------------------------------

std::string Renderer::deviceName() const { return m_impl->ctx.properties.deviceName.data(); }
bool Renderer::validationEnabled() const { return m_impl->ctx.validation; }
std::vector<std::string> Renderer::validationMessages() const { return m_impl->ctx.messages(); }
const FrameStats& Renderer::lastFrameStats() const { return m_impl->stats; }
std::uint64_t Renderer::vkInstance() const { return reinterpret_cast<std::uint64_t>(static_cast<VkInstance>(*m_impl->ctx.instance)); }

DeviceHandles Renderer::deviceHandles() const {
    const VkContext& c = m_impl->ctx;
    DeviceHandles h;
    h.instance = vkInstance();
    h.physicalDevice = reinterpret_cast<std::uint64_t>(static_cast<VkPhysicalDevice>(*c.physical));
    h.device = reinterpret_cast<std::uint64_t>(static_cast<VkDevice>(*c.device));
    h.queue = reinterpret_cast<std::uint64_t>(static_cast<VkQueue>(*c.queue));
    h.queueFamily = c.queueFamily;
    h.apiVersion = VK_API_VERSION_1_2;
    return h;
}

} // namespace kiln::render
