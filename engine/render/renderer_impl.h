#pragma once

// Internal to engine/render: what a Renderer owns, in the order it is built (and torn down in
// reverse): device, shared device resources, pipelines, per-frame resources, the offscreen
// target, the splat pass and the scene. Frame recording is in frame.cpp, the public methods
// in renderer.cpp.
#include "render/device_resources.h"
#include "render/pipelines.h"
#include "render/presenter.h"
#include "render/render_target.h"
#include "render/renderer.h"
#include "render/scene_impl.h"
#include "render/splat_pass.h"

namespace kiln::render {

struct GuideLines;

struct Renderer::Impl {
    explicit Impl(const RendererOptions& options);

    VkContext ctx;
    DeviceResources resources;
    Pipelines pipelines;
    // Reused by every frame: one frame is in flight at a time. A frame submitted without waiting
    // (FrameWait::Submit) is finished by the next call that needs the device (finishFrame).
    GpuBuffer frameUbo, lineVertices;
    vk::raii::DescriptorSet frameSet{nullptr};
    vk::raii::CommandBuffer cmd{nullptr};
    vk::raii::Fence frameFence{nullptr};
    RenderTarget target;
    SplatPass splatPass;
    Scene::Impl sceneData;
    Scene scene{sceneData};
    FrameStats stats;

    // One frame, in the order the steps run (frame.cpp):
    // size the target for the view, refresh splat orders, record, submit.
    void prepareTarget(int width, int height, int msaaSamples);
    // The scene pass's sample count for `msaaSamples` asked: what the device supports, and 1 on a
    // CPU device with smooth lines when no mesh is drawn (the grid's lines are all it would smooth).
    int sceneSamples(int msaaSamples) const;
    // Also decides whether the frame's splats take the compute path (stats.splatTiles).
    // `deferTiles`: the compute path's bins are made after recording, by binDeferredTiles on the
    // presenting thread (a presented frame's GUI thread does not wait for them).
    void updateSplatOrders(const View& view, bool async, bool deferTiles = false);
    void binDeferredTiles();
    // Records both passes into `cmd` (begun here, not ended). Colour ends in TRANSFER_SRC.
    void recordFrame(const View& view);
    void submit(vk::Semaphore wait = {}, vk::Semaphore signal = {});
    // submit without finishing the previous frame first (the caller has); any thread, one at a time.
    void submitRecorded(vk::Semaphore wait, vk::Semaphore signal);
    void submitAndWait(vk::Semaphore wait = {}, vk::Semaphore signal = {});
    // Waits for the frame in flight, if any: before `cmd`, the frame's buffers or the target are
    // touched again.
    void finishFrame();
    bool inFlight = false;
    // The frame's GPU time (FrameStats::gpuMs): timestamps at the start of recordFrame and at
    // endFrameTimer, called just before the command buffer ends.
    void endFrameTimer();
    vk::raii::QueryPool frameTimer{nullptr};
    bool frameTimed = false;
    // The splat sort and path asked for (Auto included); Renderer::setSplatChoices resolves them
    // for this device into the splat pass.
    SplatSort requestedSort = SplatSort::Auto;
    SplatPath requestedPath = SplatPath::Auto;
    // This frame's compute-path bins are made on the presenting thread (binDeferredTiles), and
    // what came of them (read by finishFrame once that thread has finished).
    bool tilesDeferred = false;
    struct DeferredBins {
        bool ready = false, clipped = false;
        std::size_t entries = 0;
        double ms = 0.0;
    } deferredBins;
    Presenter presenter;  // last: its thread stops before anything it presents with goes

private:
    FrameUniforms writeFrameUniforms(const View& view);
    void recordScenePass(const View& view, const FrameUniforms& uniforms, const GuideLines& lines);
    void recordOverlayPass(const View& view, const FrameUniforms& uniforms, const GuideLines& lines);
};

} // namespace kiln::render
