#pragma once

// Internal to engine/render: the offscreen image every frame is drawn into, whether it is read
// back (renderImage) or blitted to a swapchain (renderToSurface).
#include "core/image.h"
#include "render/pipelines.h"

namespace kiln::render {

struct RenderTarget {
    int width = 0, height = 0, samples = 0;
    GpuImage colorMs, depthMs;  // multisampled attachments, only when samples > 1
    GpuImage color, depth;      // resolved: the overlay pass draws on these
    vk::raii::Framebuffer sceneFb{nullptr}, overlayFb{nullptr};
    GpuBuffer readback;         // host-visible copy of `color` (RGBA16F)
};

// Rebuilds `target` when the size or sample count changed (waiting for the GPU first).
// Returns true when it did: the frame's depth binding must follow the new depth image.
bool ensureRenderTarget(RenderTarget& target, const VkContext& ctx, Pipelines& pipelines, int width, int height, int samples);

// After the overlay pass: copies the colour image into `target.readback` for the host.
void recordReadback(const vk::raii::CommandBuffer& cmd, const RenderTarget& target);
// The read-back colour as 8-bit RGBA (values already display-referred, see common.glsl).
core::Image readbackImage(const RenderTarget& target);

} // namespace kiln::render
