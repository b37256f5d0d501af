// One frame of Renderer::Impl, step by step: size the offscreen target, refresh splat orders,
// fill the frame uniforms and guide lines, record the scene pass (meshes, wireframe, grid) and
// the overlay pass (fields, splats, gizmo), submit and wait.
#include "render/field_pass.h"
#include "render/grid_gizmo.h"
#include "render/mesh_pass.h"
#include "render/renderer_impl.h"

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>

namespace kiln::render {

namespace {

// The sRGB transfer function (IEC 61966-2-1), per channel.
float linearToSrgb(float c) { return c <= 0.0031308f ? c * 12.92f : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f; }

int shaderMode(ShadingMode mode) {
    switch (mode) {
    case ShadingMode::Unlit: return kShaderModeUnlit;
    case ShadingMode::Normals: return kShaderModeNormals;
    case ShadingMode::UvChecker: return kShaderModeUvChecker;
    default: return kShaderModeLit;  // wireframe and the splat debug modes shade meshes lit
    }
}

// Viewport and scissor cover the whole target.
void setFullViewport(const vk::raii::CommandBuffer& cmd, const RenderTarget& target) {
    cmd.setViewport(0, vk::Viewport(0.0f, 0.0f, float(target.width), float(target.height), 0.0f, 1.0f));
    cmd.setScissor(0, vk::Rect2D({0, 0}, {std::uint32_t(target.width), std::uint32_t(target.height)}));
}

vk::Rect2D fullArea(const RenderTarget& target) { return vk::Rect2D({0, 0}, {std::uint32_t(target.width), std::uint32_t(target.height)}); }

} // namespace

int Renderer::Impl::sceneSamples(int msaaSamples) const {
    const int samples = ctx.supportedSamples(msaaSamples);
    // On a CPU device every multisampled frame clears and resolves four times its pixels (lavapipe,
    // 1280x720 x4: 13 ms of a 66 ms biker frame). Without meshes the samples only smooth the grid's
    // lines, which smooth lines do at a fraction of that.
    if (samples == 1 || !ctx.smoothLines || ctx.properties.deviceType != vk::PhysicalDeviceType::eCpu) return samples;
    return sceneData.hasVisibleMeshes() ? samples : 1;
}

void Renderer::Impl::prepareTarget(int width, int height, int msaaSamples) {
    if (!ensureRenderTarget(target, ctx, pipelines, width, height, sceneSamples(msaaSamples))) return;
    // Frame set binding 1 follows the new resolved depth (the overlay pass samples it).
    vk::DescriptorImageInfo depthInfo(*resources.depthSampler, *target.depth.view, vk::ImageLayout::eDepthStencilReadOnlyOptimal);
    ctx.device.updateDescriptorSets(vk::WriteDescriptorSet(*frameSet, 1, 0, vk::DescriptorType::eCombinedImageSampler, depthInfo), {});
}

void Renderer::Impl::updateSplatOrders(const View& view, bool async, bool deferTiles) {
    splatPass.updateOrders(sceneData, view.camera.view(), async, view.options.maxSplats);
    stats.tileEntries = 0;
    stats.binMs = 0.0;
    stats.tilesClipped = false;
    tilesDeferred = false;
    // Decided once per frame: recordFrame follows it.
    stats.splatTiles = splatPass.tiles(sceneData, view.options.mode);
    stats.splatHost = stats.splatTiles && splatPass.hostFrame();
    if (!stats.splatTiles) {
        splatPass.dropTiles();
        return;
    }
    const float aspect = float(target.width) / float(target.height);
    splatPass.planTiles(sceneData, {view.camera.view(), view.camera.projection(aspect), view.camera.focalPixels(target.height), target.width, target.height,
                                    view.camera.position()});
    if (deferTiles) {
        splatPass.prepareTileBuffers(resources, target.width, target.height, *target.color.view, false);
        tilesDeferred = true;
        return;
    }
    const auto start = std::chrono::steady_clock::now();
    // The host path draws into its buffer; the compute path's buffers are sized for its bins.
    if (stats.splatHost) splatPass.prepareTileBuffers(resources, target.width, target.height, *target.color.view, true);
    stats.tileEntries = splatPass.binTiles();
    if (!stats.splatHost) splatPass.prepareTileBuffers(resources, target.width, target.height, *target.color.view, true);
    stats.tilesClipped = splatPass.writeTiles();
    stats.binMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void Renderer::Impl::binDeferredTiles() {
    const auto start = std::chrono::steady_clock::now();
    deferredBins.entries = splatPass.binTiles();
    deferredBins.clipped = splatPass.writeTiles();
    deferredBins.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    deferredBins.ready = true;
}

FrameUniforms Renderer::Impl::writeFrameUniforms(const View& view) {
    const core::Camera& camera = view.camera;
    const float aspect = float(target.width) / float(target.height);
    FrameUniforms u{};
    u.view = camera.view();
    u.proj = camera.projection(aspect);
    u.proj[1][1] *= -1.0f;  // Vulkan clip space is y-down
    u.viewProj = u.proj * u.view;
    u.invViewProj = glm::inverse(u.viewProj);
    u.cameraPos = glm::vec4(camera.position(), 1.0f);
    u.viewport = glm::vec4(float(target.width), float(target.height), camera.focalPixels(target.height), 0.0f);
    // Studio rig in camera space (key upper left, fill right, rim behind), so every view is lit.
    const glm::mat3 camRot(camera.cameraToWorld);
    const glm::vec3 dirs[3] = {{-0.5f, 0.7f, 0.6f}, {0.8f, 0.2f, 0.5f}, {0.0f, 0.6f, -0.9f}};
    const glm::vec3 colors[3] = {{2.6f, 2.5f, 2.4f}, {0.9f, 0.95f, 1.05f}, {1.2f, 1.2f, 1.3f}};
    for (int i = 0; i < 3; ++i) {
        u.lightDir[i] = glm::vec4(glm::normalize(camRot * dirs[i]), 0.0f);
        u.lightColor[i] = glm::vec4(colors[i], 0.0f);
    }
    u.skyColor = glm::vec4(0.55f, 0.6f, 0.7f, 0.0f);
    u.groundColor = glm::vec4(0.25f, 0.23f, 0.2f, 0.0f);
    u.mode = glm::ivec4(shaderMode(view.options.mode), 0, 0, 0);
    std::memcpy(frameUbo.mapped, &u, sizeof u);
    return u;
}

void Renderer::Impl::recordFrame(const View& view) {
    const FrameUniforms uniforms = writeFrameUniforms(view);
    const GuideLines lines = writeGuideLines(sceneData.bounds(), view.options, lineVertices);
    cmd.reset();
    cmd.begin({vk::CommandBufferUsageFlagBits::eOneTimeSubmit});
    if (!*frameTimer && ctx.properties.limits.timestampComputeAndGraphics)
        frameTimer = vk::raii::QueryPool(ctx.device, vk::QueryPoolCreateInfo({}, vk::QueryType::eTimestamp, 2));
    if (*frameTimer) {
        cmd.resetQueryPool(*frameTimer, 0, 2);
        cmd.writeTimestamp(vk::PipelineStageFlagBits::eTopOfPipe, *frameTimer, 0);
    }
    splatPass.recordPreprocess(PassContext{cmd, resources, pipelines, *frameSet}, sceneData, view.options.mode);
    recordScenePass(view, uniforms, lines);
    if (stats.splatTiles)
        stats.splats = splatPass.recordTiles(PassContext{cmd, resources, pipelines, *frameSet}, *target.color.image, target.width, target.height);
    recordOverlayPass(view, uniforms, lines);
}

void Renderer::Impl::recordScenePass(const View& view, const FrameUniforms& uniforms, const GuideLines& lines) {
    const ViewOptions& opt = view.options;
    const ScenePassSet& ps = pipelines.scenePass(target.samples);
    // The clear colour is display-referred like everything in the target.
    const glm::vec3 bg(linearToSrgb(opt.background.r), linearToSrgb(opt.background.g), linearToSrgb(opt.background.b));
    std::array<vk::ClearValue, 4> clears = {vk::ClearColorValue(std::array<float, 4>{bg.r, bg.g, bg.b, opt.background.a}),
                                            vk::ClearDepthStencilValue(1.0f, 0), vk::ClearColorValue(std::array<float, 4>{0, 0, 0, 0}),
                                            vk::ClearDepthStencilValue(1.0f, 0)};
    cmd.beginRenderPass(vk::RenderPassBeginInfo(*ps.pass, *target.sceneFb, fullArea(target), clears), vk::SubpassContents::eInline);
    setFullViewport(cmd, target);
    const PassContext pass{cmd, resources, pipelines, *frameSet};
    stats.width = view.width;
    stats.height = view.height;
    stats.samples = target.samples;
    stats.triangles = recordMeshes(pass, sceneData, *ps.mesh);
    if ((opt.wireframeOverlay || opt.mode == ShadingMode::Wireframe) && *ps.wire) recordMeshes(pass, sceneData, *ps.wire);
    recordGrid(pass, *ps.grid, lineVertices, lines, uniforms.viewProj);
    cmd.endRenderPass();
}

void Renderer::Impl::recordOverlayPass(const View& view, const FrameUniforms& uniforms, const GuideLines& lines) {
    cmd.beginRenderPass(vk::RenderPassBeginInfo(pipelines.overlayPass(), *target.overlayFb, fullArea(target), {}), vk::SubpassContents::eInline);
    setFullViewport(cmd, target);
    const PassContext pass{cmd, resources, pipelines, *frameSet};
    recordFields(pass, sceneData);
    if (!stats.splatTiles) stats.splats = splatPass.record(pass, sceneData, view.options.mode);
    stats.sceneSplats = SplatPass::visibleSplats(sceneData);
    stats.splatOrderPending = SplatPass::ordersStale(sceneData);
    recordGizmo(pass, lineVertices, lines, uniforms.view, target.width, target.height);
    cmd.endRenderPass();
}

void Renderer::Impl::endFrameTimer() {
    if (!*frameTimer) return;
    cmd.writeTimestamp(vk::PipelineStageFlagBits::eBottomOfPipe, *frameTimer, 1);
    frameTimed = true;
}

void Renderer::Impl::submitAndWait(vk::Semaphore wait, vk::Semaphore signal) {
    submit(wait, signal);
    finishFrame();
}

void Renderer::Impl::finishFrame() {
    presenter.wait();
    if (deferredBins.ready) {
        // Binned on the presenting thread (it has finished: wait() above).
        stats.tileEntries = deferredBins.entries;
        stats.binMs = deferredBins.ms;
        stats.tilesClipped = deferredBins.clipped;
        deferredBins = {};
    }
    if (!inFlight) return;
    ctx.waitFence(*frameFence);
    inFlight = false;
    // The compute sort's time, from the frame's timestamps (presented and offscreen frames).
    if (splatPass.gpuSort())
        if (const double ms = splatPass.takeGpuSortMs(ctx); ms > 0.0) stats.sortMs = ms;
    if (frameTimed) {
        frameTimed = false;
        std::array<std::uint64_t, 2> ticks{};
        const vk::Result r = (*ctx.device).getQueryPoolResults(*frameTimer, 0, 2, sizeof ticks, ticks.data(), sizeof(std::uint64_t),
                                                               vk::QueryResultFlagBits::e64 | vk::QueryResultFlagBits::eWait);
        stats.gpuMs = r == vk::Result::eSuccess && ticks[1] >= ticks[0]
                          ? double(ticks[1] - ticks[0]) * double(ctx.properties.limits.timestampPeriod) * 1e-6
                          : 0.0;
    }
}

void Renderer::Impl::submit(vk::Semaphore wait, vk::Semaphore signal) {
    finishFrame();
    submitRecorded(wait, signal);
}

void Renderer::Impl::submitRecorded(vk::Semaphore wait, vk::Semaphore signal) {
    ctx.device.resetFences(*frameFence);
    vk::CommandBuffer raw = *cmd;
    // A presented frame waits for its swapchain image only where it first writes it (the blit).
    const vk::PipelineStageFlags waitStage = vk::PipelineStageFlagBits::eTransfer;
    vk::SubmitInfo info;
    info.setCommandBuffers(raw);
    if (wait) info.setWaitSemaphores(wait).setWaitDstStageMask(waitStage);
    if (signal) info.setSignalSemaphores(signal);
    ctx.queue.submit(info, *frameFence);
    inFlight = true;
}

} // namespace kiln::render
