#pragma once

#include "core/document.h"
#include "core/transform.h"
#include "render/orbit_camera.h"
#include "render/renderer.h"
#include "ui/imgui_overlay.h"
#include "ui/keep_tool.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWindow>

#include <glm/vec3.hpp>

#include <map>
#include <vector>
#include <memory>
#include <optional>

class QVulkanInstance;

namespace kiln::ui {

class StudioDocument;

// What dragging the transform gizmo does. Scale is uniform: asset versions are baked with a
// similarity transform (core::Similarity), which has one scale factor.
enum class GizmoMode { Move, Rotate, Scale };
const char* toString(GizmoMode mode);

// The live viewport: the engine renderer presenting to this window's Vulkan surface, with a
// Dear ImGui overlay (stats HUD, axis gizmo, transform gizmo of the selected asset). Left click
// without dragging selects the asset under the cursor (or nothing). Renders on demand
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
    // Adaptive quality: while the camera moves and a full frame takes longer than the interactive
    // frame time,
    // frames are drawn at a reduced scale (chosen once per gesture from the last full frame's time)
    // and upscaled; kSettleMs after the last move one full-quality frame follows.
    void setAdaptiveQuality(bool on);
    void setInteractiveFrameMs(double ms) { m_interactiveMs = ms > 0.0 ? ms : 33.0; }  // default 33 ms (30 fps)
    bool adaptiveQuality() const { return m_adaptive; }
    // Frames requested by input and document changes are submitted without waiting: the device
    // draws them (lavapipe: on the driver's threads) while the GUI thread goes on handling input,
    // and the next frame starts once the last one is done. Off: each frame is finished on the GUI
    // thread before it returns to its events (the studio before this; kept to measure it).
    void setAsynchronousFrames(bool on);
    bool asynchronousFrames() const { return m_async; }
    float lastResolutionScale() const { return m_lastScale; }  // of the last presented frame
    // Clouds of more splats than this draw a level-of-detail subset while the camera moves
    // (adaptive quality): the most visible max(this, all x scale) splats.
    static constexpr std::size_t kLodMinimumSplats = 250000;
    std::size_t lastSplatLimit() const { return m_lastMaxSplats; }  // of the last presented frame (0: every splat)
    bool cameraMoving() const { return m_moving; }
    GizmoMode gizmoMode() const { return m_gizmoMode; }
    void setGizmoMode(GizmoMode mode);
    // The asset under a point (logical pixels): the nearest triangle hit for meshes, the bounds
    // for splats; 0 when the ray hits nothing.
    core::AssetId pick(QPointF position) const;
    // Where the selected asset's gizmo is on screen (logical pixels): its centre and a point on
    // the handle of `axis` (0 x, 1 y, 2 z) for the current mode; false when none is shown.
    bool gizmoHandle(int axis, QPointF* centre, QPointF* handle) const;

    void frameSelected();  // the selected asset, or everything when nothing is selected
    void frameAll();
    void viewPreset(render::ViewPreset preset);
    // Looks through `camera` exactly (e.g. an input photo's), pivoting at the scene's centre
    // depth; the next navigation continues as a turntable from there.
    void lookThrough(const core::Camera& camera);

    // A region of the selected asset an edit will keep (its own units), outlined in the viewport
    // while set; nullopt clears it.
    void setKeepBox(std::optional<core::Bounds> box);
    int keepBoxEdgesDrawn() const { return m_keepEdgesDrawn; }  // edges of it the last overlay drew (tests)

    // The keep tool (None: the left button selects and drags the transform gizmo as usual; with a
    // tool on, the gizmo is hidden). Marks belong to one asset's mesh: they last while its current
    // version has the triangles they were made on (an appearance edit or a move keeps them) and
    // are dropped when its triangles change or another asset is marked.
    void setKeepTool(KeepTool tool);
    KeepTool keepTool() const { return m_keepTool; }
    void setKeepBrushRadius(float pixels) { m_brushPixels = std::max(2.0f, pixels); }
    float keepBrushRadius() const { return m_brushPixels; }
    // On (the default): the brush and the box mark only the triangles the viewport shows from
    // where the camera stands (the front of a thin part, not its back; not what another part of
    // the mesh hides). Off: through the mesh, every triangle within the brush or under the box.
    void setKeepVisibleOnly(bool on) { m_keepVisibleOnly = on; }
    bool keepVisibleOnly() const { return m_keepVisibleOnly; }
    // Per triangle of the asset's current mesh, 1: kept; empty when it has no marks.
    std::vector<std::uint8_t> keepMarks(core::AssetId asset) const;
    std::size_t keepMarkedCount(core::AssetId asset) const;  // of keepMarks(asset), without copying them
    void clearKeepMarks();
    std::size_t keepHighlightTriangles() const { return m_highlightTriangles; }  // the last highlight drawn (tests)

    // Frames presented so far and the time of the last one (tests and the HUD).
    int framesPresented() const { return m_framesPresented; }
    std::size_t hudTriangles() const { return m_hudTriangles; }  // the triangle count the HUD last showed
    double lastFrameMs() const { return m_lastFrameMs; }
    // Drops the live (not yet baked) move of an asset, e.g. when its bake job failed.
    void clearLiveTransform(core::AssetId asset);
    // Renders and presents now if the surface is ready, and waits for the frame (and for one still
    // in flight first); returns whether a frame was presented.
    bool renderNow();

signals:
    void framePresented();
    // The transform gizmo was released after dragging the selected asset: bake `transform`.
    void transformRequested(kiln::core::AssetId asset, const kiln::core::Similarity& transform, kiln::ui::GizmoMode mode);
    void gizmoModeChanged(kiln::ui::GizmoMode mode);
    // Local files dropped onto the viewport.
    void filesDropped(const QStringList& paths);
    // The marked region changed: `marked` triangles of `asset` (0 and 0: none).
    void keepMarksChanged(kiln::core::AssetId asset, std::size_t marked);

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
        glm::vec3 origin{0.0f};          // world
        glm::vec3 direction{0.0f};       // world
        float worldLength = 0.0f;
    };

    void scheduleRender();
    bool renderFrame(render::Renderer::FrameWait wait);
    void frameFinished();
    void pollFrame();
    void syncScene();
    void releaseSurface();
    void drawOverlay();
    bool gizmoAxes(GizmoAxis (&axes)[3]) const;
    glm::vec2 project(const glm::vec3& world, bool* inFront = nullptr) const;
    std::vector<glm::vec2> ring(const GizmoAxis& axis) const;  // rotate handle on screen
    int gizmoHandleAt(glm::vec2 p) const;
    void updateGizmoDrag(QPointF position);
    // The keep tool: the selected mesh (nullptr when the selection is not a mesh), marking at a
    // point or over a rectangle (logical pixels), the highlight object.
    const core::Mesh* keepMesh(core::AssetId* asset = nullptr) const;
    glm::vec3 rayThrough(QPointF position, glm::vec3* origin) const;
    void brushAt(QPointF position, bool mark);
    void markRectangle(QRectF rect, bool mark);
    void marksEdited(core::AssetId asset);
    void updateKeepHighlight();

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

    // Mouse navigation, click selection and the transform gizmo.
    render::NavAction m_drag = render::NavAction::None;
    QPointF m_lastMouse;
    bool m_clickCandidate = false;  // left press that selects on release unless it turns into a drag
    QPointF m_pressPos;
    GizmoMode m_gizmoMode = GizmoMode::Move;
    int m_gizmoAxis = -1;
    core::Similarity m_live;        // the drag so far, shown before it is baked
    glm::vec3 m_gizmoCentre{0.0f};  // world pivot of the drag (the asset's bounds centre)
    QPointF m_gizmoStart;

    void cameraMoved();
    float movingScale() const;

    QTimer m_framePoll;        // while a submitted frame runs on the device: looks for its end
    bool m_async = true;
    bool m_framePending = false;  // submitted, its end not yet seen
    bool m_frameWanted = false;   // a frame was asked for while one was in flight
    double m_frameStartMs = 0.0;
    bool m_pendingSortPending = false;  // the submitted frame's FrameStats::splatOrderPending
    QTimer m_settleTimer;  // one more frame after the camera stops (asynchronous splat sort, full quality)
    bool m_adaptive = true;
    bool m_moving = false;
    float m_gestureScale = 1.0f;
    float m_lastScale = 1.0f;
    std::size_t m_lastMaxSplats = 0;
    std::size_t m_sceneSplats = 0;  // in the visible clouds at the last frame
    double m_fullFrameMs = 0.0;  // the last frame drawn at full scale
    double m_interactiveMs = 33.0;
    QElapsedTimer m_clock;
    double m_lastFrameMs = 0.0;
    double m_lastSortMs = 0.0;  // the compute sort's time in the last finished frame
    double m_smoothedFps = 0.0;
    int m_framesPresented = 0;
    std::size_t m_hudTriangles = 0;
    std::optional<core::Bounds> m_keepBox;
    int m_keepEdgesDrawn = 0;

    KeepTool m_keepTool = KeepTool::None;
    float m_brushPixels = 24.0f;
    bool m_keepVisibleOnly = true;
    std::vector<std::uint8_t> m_strokeVisible;  // per triangle, seen from the camera (this stroke's; empty: not computed yet)
    std::vector<std::uint8_t> visibleTriangles(const core::Mesh& mesh) const;
    bool m_keepDragging = false;  // a left drag of the keep tool in progress
    bool m_keepErasing = false;   // ... with Ctrl: unmarking
    QPointF m_keepStart;          // where a box drag began
    std::vector<std::uint8_t> m_marks;  // per triangle of m_marksAsset's mesh
    core::AssetId m_marksAsset = 0;
    std::uint64_t m_marksTopology = 0;             // hash of the marked mesh's index buffer
    mutable core::VersionId m_marksVersion = 0;    // the last version seen with that topology
    std::size_t m_marked = 0;
    bool marksValid(core::AssetId asset) const;    // m_marks belong to asset's current mesh
    void startMarks(core::AssetId asset, const core::Mesh& mesh);
    bool m_highlightDirty = false;
    std::optional<render::Renderer::ObjectId> m_highlight;
    std::size_t m_highlightTriangles = 0;
};

} // namespace kiln::ui
