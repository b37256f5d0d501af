#pragma once

// Presenting: a swapchain on a caller's VkSurfaceKHR that Renderer::renderToSurface draws into,
// and the hook that lets a window layer (the studio's Dear ImGui HUD) draw on top of a frame.
// Raw handles travel as integers so this header stays free of Vulkan types.
#include <cstdint>
#include <functional>
#include <memory>

namespace kiln::render {

// Passed to the overlay callback while the target's overlay render pass is active on the
// swapchain image (one colour attachment, load op LOAD, final layout PRESENT_SRC).
struct OverlayContext {
    std::uint64_t commandBuffer = 0;  // VkCommandBuffer, recording, inside the render pass
    std::uint64_t renderPass = 0;     // VkRenderPass (SurfaceTarget::overlayRenderPass())
    std::uint32_t width = 0, height = 0;
    std::uint32_t imageIndex = 0, imageCount = 0;
};
using OverlayFn = std::function<void(const OverlayContext&)>;

// Made by Renderer::createSurfaceTarget; must not outlive that Renderer.
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
