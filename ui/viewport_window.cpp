#include "ui/viewport_window.h"

#include "core/asset_stats.h"
#include "ui/studio_document.h"

#include <imgui.h>

#include <QDropEvent>
#include <QExposeEvent>
#include <QMimeData>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPlatformSurfaceEvent>
#include <QResizeEvent>
#include <QVulkanInstance>
#include <QWheelEvent>

#include <glm/ext/matrix_transform.hpp>
#include <glm/geometric.hpp>
#include <glm/mat4x4.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::ui {

namespace {

render::MouseButton toButton(Qt::MouseButton b) {
    if (b == Qt::MiddleButton) return render::MouseButton::Middle;
    if (b == Qt::RightButton) return render::MouseButton::Right;
    return render::MouseButton::Left;
}

render::Modifiers toModifiers(Qt::KeyboardModifiers m) {
    return {m.testFlag(Qt::ShiftModifier), m.testFlag(Qt::ControlModifier), m.testFlag(Qt::AltModifier)};
}

float distanceToSegment(glm::vec2 p, glm::vec2 a, glm::vec2 b) {
    const glm::vec2 ab = b - a;
    const float len2 = glm::dot(ab, ab);
    const float t = len2 > 0.0f ? std::clamp(glm::dot(p - a, ab) / len2, 0.0f, 1.0f) : 0.0f;
    return glm::length(p - (a + t * ab));
}

constexpr ImU32 kAxisColors[3] = {IM_COL32(230, 70, 70, 255), IM_COL32(90, 200, 80, 255), IM_COL32(70, 130, 240, 255)};
constexpr const char* kAxisNames[3] = {"X", "Y", "Z"};
constexpr float kGizmoPixels = 90.0f;   // length of the move gizmo's arrows on screen
constexpr float kAxisGizmoRadius = 38.0f;

} // namespace

ViewportWindow::ViewportWindow(render::Renderer& renderer, QVulkanInstance& instance, StudioDocument& document)
    : m_renderer(renderer), m_instance(instance), m_document(document) {
    setSurfaceType(QSurface::VulkanSurface);
    setVulkanInstance(&instance);
    m_view.axisGizmo = false;  // the overlay draws an interactive one
    m_camera.setAngles(0.6f, 0.35f);
    m_settleTimer.setSingleShot(true);
    m_settleTimer.setInterval(120);
    connect(&m_settleTimer, &QTimer::timeout, this, &ViewportWindow::scheduleRender);
    connect(&document, &StudioDocument::documentChanged, this, [this] {
        syncScene();
        scheduleRender();
    });
    connect(&document, &StudioDocument::selectionChanged, this, [this] { scheduleRender(); });
    m_clock.start();
}

ViewportWindow::~ViewportWindow() { releaseSurface(); }

void ViewportWindow::releaseSurface() {
    m_overlay.reset();
    m_target.reset();
}

void ViewportWindow::setShadingMode(render::ShadingMode mode) {
    m_view.mode = mode;
    scheduleRender();
}

void ViewportWindow::setGridVisible(bool visible) {
    m_view.grid = visible;
    scheduleRender();
}

void ViewportWindow::setHudVisible(bool visible) {
    m_hud = visible;
    scheduleRender();
}

void ViewportWindow::syncScene() {
    const core::Document& doc = m_document.document();
    // Drop objects whose asset is gone or whose current version changed.
    for (auto it = m_objects.begin(); it != m_objects.end();) {
        const core::DocumentAsset* a = doc.find(it->first);
        if (!a || a->current != it->second.version) {
            m_renderer.remove(it->second.object);
            it = m_objects.erase(it);
        } else {
            ++it;
        }
    }
    for (const core::DocumentAsset& a : doc.assets()) {
        if (m_objects.count(a.id)) continue;
        const core::AssetVersion& v = a.currentVersion();
        SceneObject obj;
        obj.version = v.id;
        obj.object = m_renderer.add(v.asset);
        m_objects.emplace(a.id, obj);
    }
    if (!m_framedOnce && !m_objects.empty()) {
        m_framedOnce = true;
        frameAll();
    }
    if (m_objects.empty()) m_framedOnce = false;
}

void ViewportWindow::frameSelected() {
    const core::AssetId sel = m_document.selected();
    const core::DocumentAsset* a = sel ? m_document.document().find(sel) : nullptr;
    if (!a) return frameAll();
    const core::Bounds b = core::computeBounds(a->currentVersion().asset);
    m_camera.frame(b, height() > 0 ? float(width()) / float(height()) : 1.0f);
    scheduleRender();
}

void ViewportWindow::frameAll() {
    const core::Bounds b = m_renderer.sceneBounds();
    if (!b.valid) return;
    m_camera.frame(b, height() > 0 ? float(width()) / float(height()) : 1.0f);
    scheduleRender();
}

void ViewportWindow::clearLiveTransform(core::AssetId asset) {
    if (auto it = m_objects.find(asset); it != m_objects.end()) m_renderer.setTransform(it->second.object, glm::mat4(1.0f));
    scheduleRender();
}

void ViewportWindow::viewPreset(render::ViewPreset preset) {
    m_camera.viewPreset(preset);
    scheduleRender();
}

void ViewportWindow::scheduleRender() {
    if (m_updatePending) return;
    m_updatePending = true;
    requestUpdate();
}

void ViewportWindow::exposeEvent(QExposeEvent*) {
    if (isExposed()) renderNow();
}

void ViewportWindow::resizeEvent(QResizeEvent*) {
    if (m_target) m_target->resize(int(width() * devicePixelRatio()), int(height() * devicePixelRatio()));
    scheduleRender();
}

bool ViewportWindow::event(QEvent* e) {
    if (e->type() == QEvent::UpdateRequest) {
        m_updatePending = false;
        renderNow();
        return true;
    }
    if (e->type() == QEvent::DragEnter || e->type() == QEvent::DragMove) {
        auto* d = static_cast<QDragMoveEvent*>(e);
        if (d->mimeData()->hasUrls()) d->acceptProposedAction();
        return true;
    }
    if (e->type() == QEvent::Drop) {
        auto* d = static_cast<QDropEvent*>(e);
        QStringList paths;
        for (const QUrl& url : d->mimeData()->urls())
            if (url.isLocalFile()) paths << url.toLocalFile();
        if (!paths.isEmpty()) {
            d->acceptProposedAction();
            emit filesDropped(paths);
        }
        return true;
    }
    if (e->type() == QEvent::PlatformSurface &&
        static_cast<QPlatformSurfaceEvent*>(e)->surfaceEventType() == QPlatformSurfaceEvent::SurfaceAboutToBeDestroyed)
        releaseSurface();
    return QWindow::event(e);
}

glm::vec2 ViewportWindow::project(const glm::vec3& world, bool* inFront) const {
    const core::Camera cam = m_camera.toCamera();
    const float aspect = height() > 0 ? float(width()) / float(height()) : 1.0f;
    const glm::vec4 clip = cam.projection(aspect) * cam.view() * glm::vec4(world, 1.0f);
    if (inFront) *inFront = clip.w > 1e-6f;
    const float w = std::abs(clip.w) > 1e-9f ? clip.w : 1e-9f;
    return {(clip.x / w * 0.5f + 0.5f) * float(width()), (0.5f - clip.y / w * 0.5f) * float(height())};
}

bool ViewportWindow::gizmoAxes(GizmoAxis (&axes)[3]) const {
    const core::AssetId sel = m_document.selected();
    const auto it = m_objects.find(sel);
    const core::DocumentAsset* a = sel ? m_document.document().find(sel) : nullptr;
    if (!a || it == m_objects.end()) return false;
    const core::Bounds b = core::computeBounds(a->currentVersion().asset);
    if (!b.valid) return false;
    const glm::vec3 origin = b.center() + m_gizmoDelta;
    bool front = false;
    const glm::vec2 o = project(origin, &front);
    if (!front) return false;
    // World length that spans about kGizmoPixels on screen at the origin's depth.
    const float depth = glm::dot(origin - m_camera.position(), m_camera.forward());
    const float worldLen = kGizmoPixels * 2.0f * depth * std::tan(0.5f * m_camera.fovY()) / float(std::max(height(), 1));
    for (int i = 0; i < 3; ++i) {
        glm::vec3 dir(0.0f);
        dir[i] = 1.0f;
        axes[i].from = o;
        axes[i].to = project(origin + dir * worldLen);
        axes[i].direction = dir;
        axes[i].worldLength = worldLen;
    }
    return true;
}

void ViewportWindow::drawOverlay() {
    const render::FrameStats& st = m_renderer.lastFrameStats();
    if (m_hud) {
        ImGui::SetNextWindowPos(ImVec2(10, 10));
        ImGui::SetNextWindowBgAlpha(0.55f);
        ImGui::Begin("##hud", nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoInputs |
                         ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
        ImGui::Text("%.0f fps  %.1f ms", m_smoothedFps, m_lastFrameMs);
        ImGui::Text("triangles %zu", st.triangles);
        ImGui::Text("splats    %zu", st.splats);
        ImGui::TextDisabled("%s | %s", render::toString(m_view.mode), render::toString(m_navigation).c_str());
        ImGui::End();
    }
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    // Axis gizmo (top right): world axes as seen by the camera; click a label to look along it.
    const ImVec2 c(float(width()) - kAxisGizmoRadius - 14.0f, kAxisGizmoRadius + 14.0f);
    dl->AddCircleFilled(c, kAxisGizmoRadius + 8.0f, IM_COL32(20, 22, 26, 140));
    const glm::mat4 view = m_camera.toCamera().view();
    int order[3] = {0, 1, 2};
    std::sort(order, order + 3, [&](int a, int b) { return view[a][2] < view[b][2]; });  // far axes first
    for (int i : order) {
        const ImVec2 tip(c.x + view[i][0] * kAxisGizmoRadius, c.y - view[i][1] * kAxisGizmoRadius);
        dl->AddLine(c, tip, kAxisColors[i], 2.0f);
        dl->AddCircleFilled(tip, 8.0f, kAxisColors[i]);
        const ImVec2 ts = ImGui::CalcTextSize(kAxisNames[i]);
        dl->AddText(ImVec2(tip.x - ts.x * 0.5f, tip.y - ts.y * 0.5f), IM_COL32(15, 15, 15, 255), kAxisNames[i]);
    }
    // Move gizmo of the selected asset.
    GizmoAxis axes[3];
    if (gizmoAxes(axes)) {
        for (int i = 0; i < 3; ++i) {
            const ImU32 col = (m_gizmoAxis == i) ? IM_COL32(255, 220, 60, 255) : kAxisColors[i];
            const ImVec2 a(axes[i].from.x, axes[i].from.y), b(axes[i].to.x, axes[i].to.y);
            dl->AddLine(a, b, col, 3.0f);
            dl->AddCircleFilled(b, 6.0f, col);
        }
        dl->AddCircleFilled(ImVec2(axes[0].from.x, axes[0].from.y), 4.0f, IM_COL32(240, 240, 240, 255));
    }
}

bool ViewportWindow::renderNow() {
    if (!isExposed() || width() <= 0 || height() <= 0) return false;
    const qreal dpr = devicePixelRatio();
    if (!m_target) {
        const VkSurfaceKHR surface = QVulkanInstance::surfaceForWindow(this);
        if (surface == VK_NULL_HANDLE) return false;
        m_target = m_renderer.createSurfaceTarget(reinterpret_cast<std::uint64_t>(surface), int(width() * dpr), int(height() * dpr));
        m_overlay = std::make_unique<ImGuiOverlay>(m_renderer.deviceHandles(), m_target->overlayRenderPass(), m_target->imageCount());
        syncScene();
    }
    const double t0 = m_clock.nsecsElapsed() * 1e-6;
    m_overlay->beginFrame(float(width()), float(height()), float(dpr), float(m_lastFrameMs * 1e-3));
    drawOverlay();
    const bool ok = m_renderer.renderToSurface(*m_target, m_camera.toCamera(), m_view,
                                               [this](const render::OverlayContext& oc) { m_overlay->record(oc); });
    if (!ok) {
        // Swapchain out of date (resize) or minimised: end the ImGui frame and retry soon.
        m_overlay->cancelFrame();
        scheduleRender();
        return false;
    }
    m_lastFrameMs = m_clock.nsecsElapsed() * 1e-6 - t0;
    const double fps = m_lastFrameMs > 0.0 ? 1000.0 / m_lastFrameMs : 0.0;
    m_smoothedFps = m_smoothedFps == 0.0 ? fps : 0.8 * m_smoothedFps + 0.2 * fps;
    ++m_framesPresented;
    emit framePresented();
    return true;
}

void ViewportWindow::mousePressEvent(QMouseEvent* e) {
    m_lastMouse = e->position();
    if (m_overlay) {
        m_overlay->mouseMove(float(e->position().x()), float(e->position().y()));
        m_overlay->mouseButton(e->button() == Qt::LeftButton ? 0 : e->button() == Qt::RightButton ? 1 : 2, true);
    }
    m_drag = render::navigationAction(m_navigation, toButton(e->button()), toModifiers(e->modifiers()));
    if (m_drag != render::NavAction::None || e->button() != Qt::LeftButton || e->modifiers() != Qt::NoModifier) return;
    const glm::vec2 p(float(e->position().x()), float(e->position().y()));
    // Axis gizmo labels: look along that axis.
    const glm::mat4 view = m_camera.toCamera().view();
    const glm::vec2 c(float(width()) - kAxisGizmoRadius - 14.0f, kAxisGizmoRadius + 14.0f);
    for (int i = 0; i < 3; ++i) {
        const glm::vec2 tip(c.x + view[i][0] * kAxisGizmoRadius, c.y - view[i][1] * kAxisGizmoRadius);
        if (glm::length(p - tip) <= 9.0f) {
            static constexpr render::ViewPreset kPresets[3] = {render::ViewPreset::Right, render::ViewPreset::Top, render::ViewPreset::Front};
            viewPreset(kPresets[i]);
            return;
        }
    }
    GizmoAxis axes[3];
    if (!gizmoAxes(axes)) return;
    for (int i = 0; i < 3; ++i)
        if (distanceToSegment(p, axes[i].from, axes[i].to) <= 7.0f) {
            m_gizmoAxis = i;
            m_gizmoStart = e->position();
            m_gizmoDelta = glm::vec3(0.0f);
            scheduleRender();
            return;
        }
}

void ViewportWindow::mouseMoveEvent(QMouseEvent* e) {
    const QPointF d = e->position() - m_lastMouse;
    m_lastMouse = e->position();
    if (m_overlay) m_overlay->mouseMove(float(e->position().x()), float(e->position().y()));
    if (m_gizmoAxis >= 0) {
        const auto it = m_objects.find(m_document.selected());
        if (it == m_objects.end()) return;
        m_gizmoDelta = glm::vec3(0.0f);
        GizmoAxis axes[3];
        if (!gizmoAxes(axes)) return;
        const GizmoAxis& ax = axes[m_gizmoAxis];
        const glm::vec2 screenAxis = ax.to - ax.from;
        const float len2 = glm::dot(screenAxis, screenAxis);
        if (len2 < 4.0f) return;  // the axis points at the camera: no stable drag direction
        const QPointF total = e->position() - m_gizmoStart;
        const float t = glm::dot(glm::vec2(float(total.x()), float(total.y())), screenAxis) / len2;
        m_gizmoDelta = ax.direction * (t * ax.worldLength);
        m_renderer.setTransform(it->second.object, glm::translate(glm::mat4(1.0f), m_gizmoDelta));
        scheduleRender();
        return;
    }
    switch (m_drag) {
    case render::NavAction::Orbit: m_camera.orbit(float(d.x()), float(d.y())); break;
    case render::NavAction::Pan: m_camera.pan(float(d.x()), float(d.y()), height()); break;
    case render::NavAction::Zoom: m_camera.zoom(float(-d.y()) * 0.05f); break;
    case render::NavAction::None: return;
    }
    scheduleRender();
    m_settleTimer.start();
}

void ViewportWindow::mouseReleaseEvent(QMouseEvent* e) {
    if (m_overlay) m_overlay->mouseButton(e->button() == Qt::LeftButton ? 0 : e->button() == Qt::RightButton ? 1 : 2, false);
    m_drag = render::NavAction::None;
    if (m_gizmoAxis >= 0) {
        m_gizmoAxis = -1;
        const glm::vec3 delta = m_gizmoDelta;
        m_gizmoDelta = glm::vec3(0.0f);
        const core::AssetId sel = m_document.selected();
        if (auto it = m_objects.find(sel); it != m_objects.end()) m_renderer.setTransform(it->second.object, glm::mat4(1.0f));
        if (glm::length(delta) > 0.0f) {
            // The baked version replaces the live transform once its job lands; until then show it moved.
            if (auto it = m_objects.find(sel); it != m_objects.end())
                m_renderer.setTransform(it->second.object, glm::translate(glm::mat4(1.0f), delta));
            emit moveRequested(sel, delta);
        }
        scheduleRender();
    }
}

void ViewportWindow::wheelEvent(QWheelEvent* e) {
    const float steps = float(e->angleDelta().y()) / 120.0f;
    if (steps == 0.0f) return;
    m_camera.zoomToCursor(steps, float(e->position().x()), float(e->position().y()), width(), height());
    scheduleRender();
    m_settleTimer.start();
}

void ViewportWindow::keyPressEvent(QKeyEvent* e) {
    const bool ctrl = e->modifiers().testFlag(Qt::ControlModifier);
    switch (e->key()) {
    case Qt::Key_F: frameSelected(); return;
    case Qt::Key_Home: frameAll(); return;
    case Qt::Key_1: viewPreset(ctrl ? render::ViewPreset::Back : render::ViewPreset::Front); return;
    case Qt::Key_3: viewPreset(ctrl ? render::ViewPreset::Left : render::ViewPreset::Right); return;
    case Qt::Key_7: viewPreset(ctrl ? render::ViewPreset::Bottom : render::ViewPreset::Top); return;
    case Qt::Key_0: viewPreset(render::ViewPreset::Iso); return;
    default: QWindow::keyPressEvent(e);
    }
}

} // namespace kiln::ui
