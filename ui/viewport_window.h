#pragma once

#include "core/document.h"
#include "render/orbit_camera.h"
#include "render/renderer.h"
#include "ui/imgui_overlay.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWindow>

#include <glm/vec3.hpp>

#include <map>
#include <memory>

class QVulkanInstance;

namespace kiln::ui {

class StudioDocument;

// The live viewport: the engine renderer presenting to this window's Vulkan surface, with a
// Dear ImGui overlay (stats HUD, axis gizmo, move gizmo of the selected asset). Renders on demand
// (camera, document or selection changes), so an idle studio costs nothing while a job runs.
// Embedded in the main window with QWidget::createWindowContainer.
class ViewportWindow : public QWindow {
    Q_OBJECT
public:
    ViewportWindow(render::Renderer& renderer, QVulkanInstance& instance, StudioDocument& document);
    ~ViewportWindow() override;

    render::OrbitCamera& camera() { return m_camera; }
    render::NavigationStyle navigationStyle() const { return m_navigation; }
    void setNavigationStyle(render::NavigationStyle style) { m_navigation = style; }
    render::ShadingMode shadingMode() const { return m_view.mode; }
    void setShadingMode(render::ShadingMode mode);
    void setGridVisible(bool visible);
    void setHudVisible(bool visible);

    void frameSelected();  // the selected asset, or everything when nothing is selected
    void frameAll();
    void viewPreset(render::ViewPreset preset);

    // Frames presented so far and the time of the last one (tests and the HUD).
    int framesPresented() const { return m_framesPresented; }
    double lastFrameMs() const { return m_lastFrameMs; }
    // Drops the live (not yet baked) move of an asset, e.g. when its bake job failed.
    void clearLiveTransform(core::AssetId asset);
    // Renders and presents now if the surface is ready; returns whether a frame was presented.
    bool renderNow();

signals:
    void framePresented();
    // The move gizmo was released after dragging the selected asset by `delta` (world units).
    void moveRequested(kiln::core::AssetId asset, glm::vec3 delta);
    // Local files dropped onto the viewport.
    void filesDropped(const QStringList& paths);

protected:
    void exposeEvent(QExposeEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    bool event(QEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    struct SceneObject {
        core::VersionId version = 0;
        render::Renderer::ObjectId object = 0;
    };
    struct GizmoAxis {
        glm::vec2 from{0.0f}, to{0.0f};  // screen (logical pixels)
        glm::vec3 direction{0.0f};       // world
        float worldLength = 0.0f;
    };

    void scheduleRender();
    void syncScene();
    void releaseSurface();
    void drawOverlay();
    bool gizmoAxes(GizmoAxis (&axes)[3]) const;
    glm::vec2 project(const glm::vec3& world, bool* inFront = nullptr) const;

    render::Renderer& m_renderer;
    QVulkanInstance& m_instance;
    StudioDocument& m_document;
    std::unique_ptr<render::SurfaceTarget> m_target;
    std::unique_ptr<ImGuiOverlay> m_overlay;
    std::map<core::AssetId, SceneObject> m_objects;
    render::OrbitCamera m_camera;
    render::NavigationStyle m_navigation = render::NavigationStyle::Blender;
    render::ViewOptions m_view;
    bool m_hud = true;
    bool m_framedOnce = false;

    // Mouse navigation and the move gizmo.
    render::NavAction m_drag = render::NavAction::None;
    QPointF m_lastMouse;
    int m_gizmoAxis = -1;
    glm::vec3 m_gizmoDelta{0.0f};
    QPointF m_gizmoStart;

    QTimer m_settleTimer;  // one more frame after the camera stops (asynchronous splat sort)
    QElapsedTimer m_clock;
    double m_lastFrameMs = 0.0;
    double m_smoothedFps = 0.0;
    int m_framesPresented = 0;
    bool m_updatePending = false;
};

} // namespace kiln::ui
