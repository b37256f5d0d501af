#pragma once

// Internal to engine/render: the swapchain behind a SurfaceTarget. A presented frame is drawn
// offscreen like any other, then blitted onto the acquired swapchain image (see
// Renderer::renderToSurface), optionally under the caller's overlay.
#include "render/surface_target.h"
#include "render/vk_context.h"

#include <atomic>
#include <optional>
#include <vector>

namespace kiln::render {

struct SurfaceTarget::Impl {
    const VkContext* ctx = nullptr;
    vk::SurfaceKHR surface;  // owned by the caller
    vk::raii::SwapchainKHR swapchain{nullptr};
    std::vector<vk::Image> images;
    vk::Extent2D extent;
    vk::raii::Semaphore acquired{nullptr}, rendered{nullptr};
    int width = 0, height = 0;  // what the window asked for; the surface may dictate `extent`
    // Resized, suboptimal or out of date: recreate before the next frame. Atomic: the presenting
    // thread sets it while the caller may resize.
    std::atomic<bool> dirty{true};
    // Overlay hook: a LOAD render pass on the swapchain images and one framebuffer per image.
    vk::Format format = vk::Format::eUndefined;
    vk::raii::RenderPass overlayPass{nullptr};
    std::vector<vk::raii::ImageView> views;
    std::vector<vk::raii::Framebuffer> framebuffers;

    Impl(const VkContext& context, vk::SurfaceKHR surface, int width, int height);

    void recreate();
    // Recreates the swapchain when dirty; false while there is nothing to present on (minimised).
    bool ready();
    // The next swapchain image, or nothing when the swapchain went out of date (the caller skips
    // this frame; the next one recreates it).
    std::optional<std::uint32_t> acquire();
    // Copies the finished frame (`source`, TRANSFER_SRC, the swapchain's size) onto image
    // `index`, runs `overlay` in the overlay pass when given, and leaves the image PRESENT_SRC.
    // Blits the rendered frame (`sourceWidth` x `sourceHeight` at the source's origin) over the
    // whole swapchain image, linearly filtered when the sizes differ.
    void recordPresentCopy(const vk::raii::CommandBuffer& cmd, vk::Image source, std::uint32_t sourceWidth, std::uint32_t sourceHeight, std::uint32_t index,
                           const OverlayFn& overlay) const;
    // After the frame's submit, which signals `rendered`.
    void present(std::uint32_t index);

private:
    void createOverlayPass();
    void recordOverlay(const vk::raii::CommandBuffer& cmd, std::uint32_t index, const OverlayFn& overlay) const;
};

} // namespace kiln::render
