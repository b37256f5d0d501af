#pragma once

#include "render/renderer.h"

#include <cstdint>

struct ImGuiContext;

namespace kiln::ui {

// A Dear ImGui context drawn with imgui_impl_vulkan into the renderer's overlay pass
// (Renderer::renderToSurface's OverlayFn). Owns its ImGui context, descriptor pool and font
// texture; input is fed by the window that owns it. Used on one thread only.
class ImGuiOverlay {
public:
    ImGuiOverlay(const render::DeviceHandles& device, std::uint64_t renderPass, std::uint32_t imageCount);
    ~ImGuiOverlay();
    ImGuiOverlay(const ImGuiOverlay&) = delete;
    ImGuiOverlay& operator=(const ImGuiOverlay&) = delete;

    // Starts a frame of `width` x `height` logical pixels at `devicePixelRatio`; makes the
    // context current so the caller can use the ImGui API until record().
    void beginFrame(float width, float height, float devicePixelRatio, float deltaSeconds);
    // Ends the frame and records its draw commands into the overlay pass.
    void record(const render::OverlayContext& context);
    // Ends a frame that was begun but will not be recorded (the swapchain was out of date).
    void cancelFrame();

    void mouseMove(float x, float y);
    void mouseButton(int button, bool down);  // 0 left, 1 right, 2 middle
    void mouseWheel(float steps);
    // True when ImGui wants the mouse (the cursor is over an ImGui window or item being dragged).
    bool wantsMouse() const;

private:
    ImGuiContext* m_context = nullptr;
    std::uint64_t m_device = 0;
    std::uint64_t m_descriptorPool = 0;
    bool m_frameOpen = false;
};

} // namespace kiln::ui
