#include "ui/viewport_window.h"

#include "core/asset_stats.h"
#include "geometry/mesh_raster.h"
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
#include <glm/matrix.hpp>

#include <QLineF>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

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

glm::mat4 toMatrix(const core::Similarity& xf) {
    glm::mat4 m(xf.rotation * xf.scale);
    m[3] = glm::vec4(xf.translation, 1.0f);
    return m;
}

bool isIdentity(const core::Similarity& xf) {
    return xf.scale == 1.0f && xf.translation == glm::vec3(0.0f) && xf.rotation == glm::mat3(1.0f);
}

// A similarity about `pivot`: p' = pivot + scale * rotation * (p - pivot).
core::Similarity aboutPivot(const glm::mat3& rotation, float scale, const glm::vec3& pivot) {
    core::Similarity xf;
    xf.rotation = rotation;
    xf.scale = scale;
    xf.translation = pivot - scale * (rotation * pivot);
    return xf;
}

// Slab test; the entry distance along the ray, or < 0 when it misses.
float rayBox(const glm::vec3& o, const glm::vec3& d, const core::Bounds& b) {
    float t0 = 0.0f, t1 = std::numeric_limits<float>::max();
    for (int k = 0; k < 3; ++k) {
        if (std::abs(d[k]) < 1e-12f) {
            if (o[k] < b.min[k] || o[k] > b.max[k]) return -1.0f;
            continue;
        }
        float a = (b.min[k] - o[k]) / d[k], c = (b.max[k] - o[k]) / d[k];
        if (a > c) std::swap(a, c);
        t0 = std::max(t0, a);
        t1 = std::min(t1, c);
        if (t0 > t1) return -1.0f;
    }
    return t0;
}

// Moller-Trumbore ray/triangle intersection (both faces); the hit distance, or < 0.
float rayTriangle(const glm::vec3& o, const glm::vec3& d, const glm::vec3& a, const glm::vec3& b, const glm::vec3& c) {
    const glm::vec3 e1 = b - a, e2 = c - a;
    const glm::vec3 p = glm::cross(d, e2);
    const float det = glm::dot(e1, p);
    if (std::abs(det) < 1e-12f) return -1.0f;
    const float inv = 1.0f / det;
    const glm::vec3 s = o - a;
    const float u = glm::dot(s, p) * inv;
    if (u < 0.0f || u > 1.0f) return -1.0f;
    const glm::vec3 q = glm::cross(s, e1);
    const float v = glm::dot(d, q) * inv;
    if (v < 0.0f || u + v > 1.0f) return -1.0f;
    return glm::dot(e2, q) * inv;
}

// The nearest hit of a ray on a mesh's triangles; < 0 when it misses them all.
float rayMesh(const glm::vec3& o, const glm::vec3& d, const core::Mesh& m) {
    float t = -1.0f;
    for (std::size_t i = 0; i + 2 < m.indices.size(); i += 3) {
        const float ti = rayTriangle(o, d, m.positions[m.indices[i]], m.positions[m.indices[i + 1]], m.positions[m.indices[i + 2]]);
        if (ti > 0.0f && (t < 0.0f || ti < t)) t = ti;
    }
    return t;
}

constexpr ImU32 kAxisColors[3] = {IM_COL32(230, 70, 70, 255), IM_COL32(90, 200, 80, 255), IM_COL32(70, 130, 240, 255)};
constexpr const char* kAxisNames[3] = {"X", "Y", "Z"};
constexpr float kGizmoPixels = 90.0f;   // length of the move gizmo's arrows on screen
constexpr float kAxisGizmoRadius = 38.0f;
constexpr float kHandlePixels = 7.0f;   // how close a press must be to grab a gizmo handle
constexpr float kClickSlopPixels = 4.0f; // a left press that moves further is a drag, not a click
constexpr int kRingSegments = 48;

} // namespace

const char* toString(GizmoMode mode) {
    switch (mode) {
    case GizmoMode::Move: return "move";
    case GizmoMode::Rotate: return "rotate";
    case GizmoMode::Scale: return "scale";
    }
    return "move";
}

ViewportWindow::ViewportWindow(render::Renderer& renderer, QVulkanInstance& instance, StudioDocument& document)
    : m_renderer(renderer), m_instance(instance), m_document(document) {
    setSurfaceType(QSurface::VulkanSurface);
    setVulkanInstance(&instance);
    m_view.axisGizmo = false;  // the overlay draws an interactive one
    m_camera.setAngles(0.6f, 0.35f);
    m_framePoll.setInterval(2);
    m_framePoll.setTimerType(Qt::PreciseTimer);
    connect(&m_framePoll, &QTimer::timeout, this, [this] { pollFrame(); });
    m_settleTimer.setSingleShot(true);
    m_settleTimer.setInterval(120);
    connect(&m_settleTimer, &QTimer::timeout, this, [this] {
        m_moving = false;
        scheduleRender();
    });
    connect(&document, &StudioDocument::documentChanged, this, [this] {
        syncScene();
        m_highlightDirty = true;  // the marked asset may be gone or its triangles changed
        scheduleRender();
    });
    connect(&document, &StudioDocument::selectionChanged, this, [this] {
        m_highlightDirty = true;  // the kept region is shown on the selected asset only
        scheduleRender();
    });
    m_clock.start();
}

ViewportWindow::~ViewportWindow() { releaseSurface(); }

void ViewportWindow::releaseSurface() {
    if (m_framePending) {
        m_framePoll.stop();
        m_renderer.finishFrame();
        m_framePending = false;
    }
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

void ViewportWindow::setAsynchronousFrames(bool on) {
    m_async = on;
    scheduleRender();
}

void ViewportWindow::setAdaptiveQuality(bool on) {
    m_adaptive = on;
    scheduleRender();
}

// The scale that brings a full frame of `m_fullFrameMs` to the interactive frame time (pixels
// scale with its square), in steps so a gesture does not flicker between sizes.
float ViewportWindow::movingScale() const {
    if (m_fullFrameMs <= m_interactiveMs) return 1.0f;
    const float want = float(std::sqrt(m_interactiveMs / m_fullFrameMs));
    for (const float step : {0.7f, 0.5f, 0.35f})
        if (want >= step) return step;
    return render::kMinResolutionScale;
}

void ViewportWindow::cameraMoved() {
    if (!m_moving) m_gestureScale = movingScale();
    m_moving = true;
    scheduleRender();
    m_settleTimer.start();
}

void ViewportWindow::setHudVisible(bool visible) {
    m_hud = visible;
    scheduleRender();
}

void ViewportWindow::setGizmoMode(GizmoMode mode) {
    if (mode == m_gizmoMode || m_gizmoAxis >= 0) return;  // not while a drag is in progress
    m_gizmoMode = mode;
    emit gizmoModeChanged(mode);
    scheduleRender();
}

core::AssetId ViewportWindow::pick(QPointF position) const {
    if (width() <= 0 || height() <= 0) return 0;
    glm::vec3 origin;
    const glm::vec3 dir = rayThrough(position, &origin);
    core::AssetId best = 0;
    float bestT = std::numeric_limits<float>::max();
    for (const auto& [id, obj] : m_objects) {
        const core::DocumentAsset* a = m_document.document().find(id);
        if (!a) continue;
        const core::Asset& asset = a->currentVersion().asset;
        const core::Bounds b = core::computeBounds(asset);
        const float tBox = b.valid ? rayBox(origin, dir, b) : -1.0f;
        if (tBox < 0.0f || tBox >= bestT) continue;
        // Splats: their bounds are close enough for selection.
        const float t = asset.mesh() ? rayMesh(origin, dir, *asset.mesh()) : tBox;
        if (t > 0.0f && t < bestT) {
            bestT = t;
            best = id;
        }
    }
    return best;
}

glm::vec3 ViewportWindow::rayThrough(QPointF position, glm::vec3* origin) const {
    const core::Camera cam = m_camera.toCamera();
    const glm::mat4 inv = glm::inverse(cam.projection(float(width()) / float(std::max(height(), 1))) * cam.view());
    // Screen to normalised device coordinates as project() maps them (y up, Vulkan depth 0..1).
    const float x = 2.0f * float(position.x()) / float(std::max(width(), 1)) - 1.0f;
    const float y = 1.0f - 2.0f * float(position.y()) / float(std::max(height(), 1));
    const glm::vec4 n = inv * glm::vec4(x, y, 0.0f, 1.0f), f = inv * glm::vec4(x, y, 1.0f, 1.0f);
    *origin = glm::vec3(n) / n.w;
    return glm::normalize(glm::vec3(f) / f.w - *origin);
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
        m_highlightDirty = true;  // the highlight is drawn after (over) the assets: added again last
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

void ViewportWindow::lookThrough(const core::Camera& camera) {
    const core::Bounds b = m_renderer.sceneBounds();
    float pivot = m_camera.distance();
    if (b.valid) {
        const float depth = glm::dot(b.center() - camera.position(), camera.forward());
        if (depth > 0.0f) pivot = depth;
        m_camera.setSceneRadius(std::max(0.5f * glm::length(b.size()), 1e-3f));
    }
    m_camera.lookThrough(camera, pivot);
    scheduleRender();
}

void ViewportWindow::scheduleRender() {
    // QWindow coalesces requests itself. (A flag of our own stuck at "pending" for good when the
    // first request came before the window had a platform window, which QWindow ignores: from
    // then on nothing but an expose or a direct renderNow drew a frame.)
    requestUpdate();
}

void ViewportWindow::exposeEvent(QExposeEvent*) {
    if (isExposed()) renderFrame(m_async ? render::Renderer::FrameWait::Submit : render::Renderer::FrameWait::Finish);
}

void ViewportWindow::resizeEvent(QResizeEvent*) {
    if (m_target) m_target->resize(int(width() * devicePixelRatio()), int(height() * devicePixelRatio()));
    scheduleRender();
}

bool ViewportWindow::event(QEvent* e) {
    if (e->type() == QEvent::UpdateRequest) {
        renderFrame(m_async ? render::Renderer::FrameWait::Submit : render::Renderer::FrameWait::Finish);
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
    if (m_keepTool != KeepTool::None) return false;  // the left button marks the region to keep
    const core::AssetId sel = m_document.selected();
    const auto it = m_objects.find(sel);
    const core::DocumentAsset* a = sel ? m_document.document().find(sel) : nullptr;
    if (!a || it == m_objects.end()) return false;
    const core::Bounds b = core::computeBounds(a->currentVersion().asset);
    if (!b.valid) return false;
    const glm::vec3 origin = m_live.scale * (m_live.rotation * b.center()) + m_live.translation;
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
        axes[i].origin = origin;
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
        // Always shown, so the HUD keeps its size when a gesture starts or ends.
        ImGui::Text("scale %3.0f %%  %dx%d", 100.0 * m_view.resolutionScale, st.width, st.height);
        ImGui::Text("triangles %zu", st.triangles);
        m_hudTriangles = st.triangles;
        if (st.splats < st.sceneSplats)
            ImGui::Text("splats    %zu of %zu", st.splats, st.sceneSplats);
        else
            ImGui::Text("splats    %zu", st.splats);
        if (st.sceneSplats > 0) {
            if (m_renderer.splatSort() == render::SplatSort::Gpu)
                ImGui::Text("sort      %.1f ms (compute)", m_lastSortMs);
            else
                ImGui::Text("sort      CPU worker");
            if (st.splatHost)
                ImGui::Text("raster    host tiles (%zu, drawn %.0f ms)", st.tileEntries, st.binMs);
            else if (st.splatTiles)
                ImGui::Text("raster    compute tiles (%zu, binned %.0f ms)", st.tileEntries, st.binMs);
            else
                ImGui::Text("raster    quads");
        }
        ImGui::TextDisabled("%s | %s | %s", render::toString(m_view.mode), render::toString(m_navigation).c_str(), toString(m_gizmoMode));
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
    // The region an edit keeps, on the selected asset: its box's edges (those in front).
    m_keepEdgesDrawn = 0;
    if (m_keepBox && m_document.document().find(m_document.selected())) {
        glm::vec2 corner[8];
        bool front[8];
        for (int k = 0; k < 8; ++k) {
            const glm::vec3 p((k & 1) ? m_keepBox->max.x : m_keepBox->min.x, (k & 2) ? m_keepBox->max.y : m_keepBox->min.y,
                              (k & 4) ? m_keepBox->max.z : m_keepBox->min.z);
            corner[k] = project(m_live.scale * (m_live.rotation * p) + m_live.translation, &front[k]);
        }
        const ImU32 amber = IM_COL32(255, 176, 40, 255);
        for (int a = 0; a < 8; ++a)
            for (int bit = 1; bit < 8; bit <<= 1) {
                const int b = a | bit;
                if (b == a || !front[a] || !front[b]) continue;
                dl->AddLine(ImVec2(corner[a].x, corner[a].y), ImVec2(corner[b].x, corner[b].y), amber, 2.0f);
                ++m_keepEdgesDrawn;
            }
        if (front[7]) dl->AddText(ImVec2(corner[7].x + 4.0f, corner[7].y - 16.0f), amber, "kept");
    }
    // The keep tool: the brush under the cursor, the rectangle being dragged, what is marked.
    if (m_keepTool != KeepTool::None) {
        const ImU32 amber = IM_COL32(255, 176, 40, 255), erase = IM_COL32(240, 90, 80, 255);
        const ImU32 col = m_keepErasing ? erase : amber;
        const ImVec2 at(float(m_lastMouse.x()), float(m_lastMouse.y()));
        if (m_keepTool == KeepTool::Brush) dl->AddCircle(at, m_brushPixels, col, 40, 1.5f);
        if (m_keepTool == KeepTool::Box && m_keepDragging) {
            const ImVec2 lo(std::min(float(m_keepStart.x()), at.x), std::min(float(m_keepStart.y()), at.y));
            const ImVec2 hi(std::max(float(m_keepStart.x()), at.x), std::max(float(m_keepStart.y()), at.y));
            dl->AddRectFilled(lo, hi, m_keepErasing ? IM_COL32(240, 90, 80, 40) : IM_COL32(255, 176, 40, 40));
            dl->AddRect(lo, hi, col, 0.0f, 0, 1.5f);
        }
        char line[160];
        std::snprintf(line, sizeof line, "keep: %s, %s (Ctrl unmarks)  %zu triangles marked", m_keepTool == KeepTool::Brush ? "brush" : "box",
                      m_keepVisibleOnly ? "visible surface" : "through the mesh", keepMarkedCount(m_document.selected()));
        dl->AddText(ImVec2(12.0f, float(height()) - 24.0f), amber, line);
    }
    // Transform gizmo of the selected asset: arrows (move), rings (rotate) or square-tipped
    // handles (uniform scale).
    GizmoAxis axes[3];
    if (gizmoAxes(axes)) {
        for (int i = 0; i < 3; ++i) {
            const ImU32 col = (m_gizmoAxis == i) ? IM_COL32(255, 220, 60, 255) : kAxisColors[i];
            const ImVec2 a(axes[i].from.x, axes[i].from.y), b(axes[i].to.x, axes[i].to.y);
            if (m_gizmoMode == GizmoMode::Rotate) {
                std::vector<ImVec2> pts;
                for (const glm::vec2& p : ring(axes[i])) pts.emplace_back(p.x, p.y);
                dl->AddPolyline(pts.data(), int(pts.size()), col, ImDrawFlags_Closed, 2.5f);
                continue;
            }
            dl->AddLine(a, b, col, 3.0f);
            if (m_gizmoMode == GizmoMode::Scale) dl->AddRectFilled(ImVec2(b.x - 5, b.y - 5), ImVec2(b.x + 5, b.y + 5), col);
            else dl->AddCircleFilled(b, 6.0f, col);
        }
        dl->AddCircleFilled(ImVec2(axes[0].from.x, axes[0].from.y), 4.0f, IM_COL32(240, 240, 240, 255));
    }
}

void ViewportWindow::setKeepBox(std::optional<core::Bounds> box) {
    m_keepBox = box;
    scheduleRender();
}

void ViewportWindow::setKeepTool(KeepTool tool) {
    if (m_gizmoAxis >= 0) return;  // not while the gizmo is dragged
    m_keepTool = tool;
    m_keepDragging = false;
    scheduleRender();
}

const core::Mesh* ViewportWindow::keepMesh(core::AssetId* asset) const {
    const core::AssetId sel = m_document.selected();
    const core::DocumentAsset* a = sel ? m_document.document().find(sel) : nullptr;
    const core::Mesh* m = a ? a->currentVersion().asset.mesh() : nullptr;
    if (!m || m->triangleCount() == 0) return nullptr;
    if (asset) *asset = sel;
    return m;
}

namespace {
std::uint64_t topologyHash(const core::Mesh& m) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the index buffer
    for (const std::uint32_t i : m.indices) h = (h ^ i) * 1099511628211ull;
    return h;
}
} // namespace

bool ViewportWindow::marksValid(core::AssetId asset) const {
    const core::DocumentAsset* a = asset && asset == m_marksAsset ? m_document.document().find(asset) : nullptr;
    const core::Mesh* m = a ? a->currentVersion().asset.mesh() : nullptr;
    if (!m || m->triangleCount() != m_marks.size()) return false;
    // Another version with the same triangles (an appearance edit, a move) keeps the marks.
    if (a->current == m_marksVersion) return true;
    if (topologyHash(*m) != m_marksTopology) return false;
    m_marksVersion = a->current;
    return true;
}

void ViewportWindow::startMarks(core::AssetId asset, const core::Mesh& mesh) {
    if (marksValid(asset)) return;
    m_marks.assign(mesh.triangleCount(), 0);
    m_marksAsset = asset;
    m_marksTopology = topologyHash(mesh);
    m_marksVersion = m_document.document().find(asset)->current;
}

std::size_t ViewportWindow::keepMarkedCount(core::AssetId asset) const { return marksValid(asset) ? m_marked : 0; }

std::vector<std::uint8_t> ViewportWindow::keepMarks(core::AssetId asset) const {
    if (m_marked == 0 || !marksValid(asset)) return {};
    return m_marks;
}

void ViewportWindow::clearKeepMarks() {
    const core::AssetId asset = m_marksAsset;
    m_marks.clear();
    m_marksAsset = 0;
    m_marked = 0;
    m_highlightDirty = true;
    scheduleRender();
    emit keepMarksChanged(asset, 0);
}

void ViewportWindow::marksEdited(core::AssetId asset) {
    m_marked = std::size_t(std::count_if(m_marks.begin(), m_marks.end(), [](std::uint8_t k) { return k != 0; }));
    m_highlightDirty = true;
    scheduleRender();
    emit keepMarksChanged(asset, m_marked);
}

void ViewportWindow::brushAt(QPointF position, bool mark) {
    core::AssetId asset = 0;
    const core::Mesh* m = keepMesh(&asset);
    if (!m) return;
    startMarks(asset, *m);
    // The point under the cursor, then every triangle with a corner or its centre within the
    // brush's radius of it (the radius: the brush's pixels at that depth).
    glm::vec3 origin;
    const glm::vec3 dir = rayThrough(position, &origin);
    const float t = rayMesh(origin, dir, *m);
    if (t < 0.0f) return;
    const glm::vec3 hit = origin + t * dir;
    const float depth = glm::dot(hit - m_camera.position(), m_camera.forward());
    const float radius = m_brushPixels * 2.0f * depth * std::tan(0.5f * m_camera.fovY()) / float(std::max(height(), 1));
    const float r2 = radius * radius;
    if (m_keepVisibleOnly && m_strokeVisible.size() != m_marks.size()) m_strokeVisible = visibleTriangles(*m);  // once a stroke: the camera stays
    bool changed = false;
    for (std::size_t tri = 0; tri < m_marks.size(); ++tri) {
        if (m_keepVisibleOnly && !m_strokeVisible[tri]) continue;
        const glm::vec3& a = m->positions[m->indices[3 * tri]];
        const glm::vec3& b = m->positions[m->indices[3 * tri + 1]];
        const glm::vec3& c = m->positions[m->indices[3 * tri + 2]];
        const auto near = [&](const glm::vec3& p) { const glm::vec3 d = p - hit; return glm::dot(d, d) <= r2; };
        if (!(near(a) || near(b) || near(c) || near((a + b + c) / 3.0f))) continue;
        changed |= m_marks[tri] != std::uint8_t(mark);
        m_marks[tri] = std::uint8_t(mark);
    }
    if (changed) marksEdited(asset);
}

void ViewportWindow::markRectangle(QRectF rect, bool mark) {
    core::AssetId asset = 0;
    const core::Mesh* m = keepMesh(&asset);
    if (!m) return;
    startMarks(asset, *m);
    rect = rect.normalized();
    const std::vector<std::uint8_t> visible = m_keepVisibleOnly ? visibleTriangles(*m) : std::vector<std::uint8_t>{};
    bool changed = false;
    for (std::size_t tri = 0; tri < m_marks.size(); ++tri) {
        if (!visible.empty() && !visible[tri]) continue;
        const glm::vec3 c = (m->positions[m->indices[3 * tri]] + m->positions[m->indices[3 * tri + 1]] + m->positions[m->indices[3 * tri + 2]]) / 3.0f;
        bool front = false;
        const glm::vec2 p = project(c, &front);
        if (!front || !rect.contains(QPointF(p.x, p.y))) continue;
        changed |= m_marks[tri] != std::uint8_t(mark);
        m_marks[tri] = std::uint8_t(mark);
    }
    if (changed) marksEdited(asset);
}

// The triangles of `m` the viewport shows: those nearest the camera at some pixel of a CPU
// z-buffer of the mesh at the viewport's size, and those too small to own a pixel that face the
// camera (by their winding) with their centre no deeper than the surface drawn there (a
// thousandth of the depth, plus a hair).
std::vector<std::uint8_t> ViewportWindow::visibleTriangles(const core::Mesh& m) const {
    const int w = std::max(width(), 1), h = std::max(height(), 1);
    const core::Camera cam = m_camera.toCamera();
    const geometry::MeshRaster r = geometry::rasterizeMesh(m, cam, w, h);
    std::vector<std::uint8_t> visible(m.triangleCount(), 0);
    for (const std::int32_t t : r.triangle)
        if (t >= 0) visible[std::size_t(t)] = 1;
    for (std::size_t tri = 0; tri < visible.size(); ++tri) {
        if (visible[tri]) continue;
        const glm::vec3 a = m.positions[m.indices[3 * tri]], b = m.positions[m.indices[3 * tri + 1]], c = (a + b + m.positions[m.indices[3 * tri + 2]]) / 3.0f;
        if (glm::dot(glm::cross(b - a, c - a), cam.position() - c) <= 0.0f) continue;  // faces away (by its winding)
        bool front = false;
        const glm::vec2 p = project(c, &front);
        const int x = int(std::floor(p.x)), y = int(std::floor(p.y));
        if (!front || x < 0 || y < 0 || x >= w || y >= h) continue;
        const float depth = glm::dot(c - cam.position(), cam.forward());
        const float surface = r.depth[std::size_t(y) * std::size_t(w) + std::size_t(x)];
        visible[tri] = depth <= surface * 1.001f + 1e-6f;
    }
    return visible;
}

// The marked triangles of the selected asset drawn over it in translucent amber: a copy of them
// lifted off the surface along their normals by a fraction of the asset's size, so the depth test
// shows them where the surface is visible and hides them where it is not.
void ViewportWindow::updateKeepHighlight() {
    if (!m_highlightDirty) return;
    m_highlightDirty = false;
    if (m_highlight) m_renderer.remove(*m_highlight);
    m_highlight.reset();
    m_highlightTriangles = 0;
    if (m_marksAsset != m_document.selected() || m_marked == 0 || !marksValid(m_marksAsset)) return;
    const std::vector<std::uint8_t>& marks = m_marks;
    const core::Mesh& m = *m_document.document().find(m_marksAsset)->currentVersion().asset.mesh();
    const core::Bounds b = core::computeBounds(m);
    const float lift = 0.002f * glm::length(b.size());
    core::Mesh h;
    for (std::size_t tri = 0; tri < marks.size(); ++tri) {
        if (!marks[tri]) continue;
        const glm::vec3 a = m.positions[m.indices[3 * tri]], bb = m.positions[m.indices[3 * tri + 1]], c = m.positions[m.indices[3 * tri + 2]];
        const glm::vec3 n = glm::cross(bb - a, c - a);
        const float len = glm::length(n);
        const glm::vec3 off = len > 0.0f ? n * (lift / len) : glm::vec3(0.0f);
        for (const glm::vec3& p : {a, bb, c}) {
            h.indices.push_back(std::uint32_t(h.positions.size()));
            h.positions.push_back(p + off);
            h.normals.push_back(len > 0.0f ? n / len : glm::vec3(0.0f, 1.0f, 0.0f));
        }
    }
    // Hatching in space (amber and dark brown stripes across x + y + z, a fiftieth of the asset's
    // size apart), readable over any colour the asset has, amber and black among them.
    const float period = 0.02f * glm::length(b.size());
    for (const glm::vec3& p : h.positions) h.uv0.emplace_back((p.x + p.y + p.z) / (period > 0.0f ? period : 1.0f), 0.5f);
    core::Texture stripes;
    stripes.name = "kept_stripes";
    stripes.image = core::Image::makeU8(8, 1, 4);
    for (int x = 0; x < 8; ++x) {
        const bool band = x < 4;
        const std::uint8_t px[4] = {std::uint8_t(band ? 255 : 70), std::uint8_t(band ? 140 : 35), std::uint8_t(band ? 10 : 0), std::uint8_t(band ? 235 : 150)};
        std::copy(px, px + 4, stripes.image.u8.begin() + 4 * x);
    }
    h.textures.push_back(std::move(stripes));
    core::Material amber;
    amber.name = "kept";
    amber.baseColorTexture = 0;
    amber.baseColorFactor = glm::vec4(1.0f);
    amber.metallicFactor = 0.0f;
    amber.roughnessFactor = 1.0f;
    amber.emissiveFactor = glm::vec3(0.2f, 0.1f, 0.0f);
    amber.alphaMode = core::AlphaMode::Blend;
    h.materials.push_back(amber);
    core::Submesh s;
    s.name = "kept";
    s.indexCount = std::uint32_t(h.indices.size());
    s.vertexCount = std::uint32_t(h.positions.size());
    s.material = 0;
    h.submeshes.push_back(s);
    m_highlightTriangles = h.triangleCount();
    m_highlight = m_renderer.add(core::Asset::fromMesh("kept region", std::move(h)));
}

std::vector<glm::vec2> ViewportWindow::ring(const GizmoAxis& axis) const {
    // Two unit vectors spanning the plane the ring lies in (perpendicular to the axis).
    const glm::vec3 u = std::abs(axis.direction.x) < 0.9f ? glm::normalize(glm::cross(axis.direction, glm::vec3(1, 0, 0)))
                                                          : glm::normalize(glm::cross(axis.direction, glm::vec3(0, 1, 0)));
    const glm::vec3 v = glm::cross(axis.direction, u);
    std::vector<glm::vec2> pts;
    pts.reserve(kRingSegments);
    for (int k = 0; k < kRingSegments; ++k) {
        const float a = 6.2831853f * float(k) / float(kRingSegments);
        pts.push_back(project(axis.origin + axis.worldLength * (std::cos(a) * u + std::sin(a) * v)));
    }
    return pts;
}

bool ViewportWindow::gizmoHandle(int axis, QPointF* centre, QPointF* handle) const {
    GizmoAxis axes[3];
    if (axis < 0 || axis > 2 || !gizmoAxes(axes)) return false;
    const GizmoAxis& ax = axes[axis];
    // On a ring, an eighth of a turn in: the rings of the other axes cross it only at 0, 90, 180 and 270 degrees.
    const glm::vec2 h = m_gizmoMode == GizmoMode::Rotate ? ring(ax)[kRingSegments / 8] : ax.from + 0.75f * (ax.to - ax.from);
    if (centre) *centre = QPointF(ax.from.x, ax.from.y);
    if (handle) *handle = QPointF(h.x, h.y);
    return true;
}

int ViewportWindow::gizmoHandleAt(glm::vec2 p) const {
    GizmoAxis axes[3];
    if (!gizmoAxes(axes)) return -1;
    // The nearest handle within reach (handles cross each other on screen).
    int best = -1;
    float bestDistance = kHandlePixels;
    for (int i = 0; i < 3; ++i) {
        float d = std::numeric_limits<float>::max();
        if (m_gizmoMode != GizmoMode::Rotate) {
            d = distanceToSegment(p, axes[i].from, axes[i].to);
        } else {
            const std::vector<glm::vec2> pts = ring(axes[i]);
            for (std::size_t k = 0; k < pts.size(); ++k) d = std::min(d, distanceToSegment(p, pts[k], pts[(k + 1) % pts.size()]));
        }
        if (d <= bestDistance) {
            bestDistance = d;
            best = i;
        }
    }
    return best;
}

void ViewportWindow::updateGizmoDrag(QPointF position) {
    const auto it = m_objects.find(m_document.selected());
    if (it == m_objects.end()) return;
    m_live = core::Similarity{};
    GizmoAxis axes[3];
    if (!gizmoAxes(axes)) return;
    const GizmoAxis& ax = axes[m_gizmoAxis];
    const glm::vec2 total(float(position.x() - m_gizmoStart.x()), float(position.y() - m_gizmoStart.y()));
    const glm::vec2 screenAxis = ax.to - ax.from;
    const float len2 = glm::dot(screenAxis, screenAxis);
    switch (m_gizmoMode) {
    case GizmoMode::Move:
        if (len2 < 4.0f) return;  // the axis points at the camera: no stable drag direction
        m_live.translation = ax.direction * (glm::dot(total, screenAxis) / len2 * ax.worldLength);
        break;
    case GizmoMode::Scale: {
        if (len2 < 4.0f) return;
        // Dragging the handle out to twice its length doubles the size.
        const float s = std::max(0.05f, 1.0f + glm::dot(total, screenAxis) / len2);
        m_live = aboutPivot(glm::mat3(1.0f), s, m_gizmoCentre);
        break;
    }
    case GizmoMode::Rotate: {
        // Screen angle swept around the gizmo centre (y down: positive is clockwise as seen),
        // which is a positive rotation about an axis pointing away from the viewer.
        const glm::vec2 a = glm::vec2(float(m_gizmoStart.x()), float(m_gizmoStart.y())) - ax.from;
        const glm::vec2 b = glm::vec2(float(position.x()), float(position.y())) - ax.from;
        if (glm::length(a) < 1.0f || glm::length(b) < 1.0f) return;
        const float swept = std::atan2(a.x * b.y - a.y * b.x, glm::dot(a, b));
        const float sign = glm::dot(ax.direction, m_camera.forward()) >= 0.0f ? 1.0f : -1.0f;
        const glm::mat3 r(glm::rotate(glm::mat4(1.0f), sign * swept, ax.direction));
        m_live = aboutPivot(r, 1.0f, m_gizmoCentre);
        break;
    }
    }
    m_renderer.setTransform(it->second.object, toMatrix(m_live));
    scheduleRender();
}

bool ViewportWindow::renderNow() {
    if (m_framePending) {
        m_renderer.finishFrame();
        m_framePoll.stop();
        m_framePending = false;
        frameFinished();
    }
    m_frameWanted = false;  // this frame is the one wanted
    return renderFrame(render::Renderer::FrameWait::Finish);
}

void ViewportWindow::pollFrame() {
    if (!m_framePending) return m_framePoll.stop();
    if (m_renderer.frameInFlight()) return;
    m_framePoll.stop();
    m_framePending = false;
    frameFinished();
    if (m_frameWanted) {
        m_frameWanted = false;
        renderFrame(m_async ? render::Renderer::FrameWait::Submit : render::Renderer::FrameWait::Finish);
    }
}

bool ViewportWindow::renderFrame(render::Renderer::FrameWait wait) {
    if (m_framePending) {
        // The last frame is still on the device: this one follows when it ends (pollFrame).
        m_frameWanted = true;
        return false;
    }
    if (!isExposed() || width() <= 0 || height() <= 0) return false;
    const qreal dpr = devicePixelRatio();
    if (!m_target) {
        const VkSurfaceKHR surface = QVulkanInstance::surfaceForWindow(this);
        if (surface == VK_NULL_HANDLE) return false;
        m_target = m_renderer.createSurfaceTarget(reinterpret_cast<std::uint64_t>(surface), int(width() * dpr), int(height() * dpr));
        m_overlay = std::make_unique<ImGuiOverlay>(m_renderer.deviceHandles(), m_target->overlayRenderPass(), m_target->imageCount());
        syncScene();
    }
    updateKeepHighlight();
    const double t0 = m_clock.nsecsElapsed() * 1e-6;
    m_view.resolutionScale = m_adaptive && m_moving ? m_gestureScale : 1.0f;
    // Very large clouds also draw their most visible splats only while the camera moves.
    m_view.maxSplats = m_view.resolutionScale < 1.0f && m_sceneSplats > kLodMinimumSplats
                           ? std::max(kLodMinimumSplats, std::size_t(double(m_sceneSplats) * m_view.resolutionScale))
                           : 0;
    // The overlay is built once the frame's scene is recorded, so the HUD shows this frame's
    // counts (built before, it showed the previous frame's: 0 triangles after an import until the
    // view next changed).
    bool overlayBegun = false;
    const bool ok = m_renderer.renderToSurface(*m_target, m_camera.toCamera(), m_view, [&](const render::OverlayContext& oc) {
        m_overlay->beginFrame(float(width()), float(height()), float(dpr), float(m_lastFrameMs * 1e-3));
        overlayBegun = true;
        drawOverlay();
        m_overlay->record(oc);
    }, wait);
    if (!ok) {
        // Swapchain out of date (resize) or minimised: retry soon.
        if (overlayBegun) m_overlay->cancelFrame();
        scheduleRender();
        return false;
    }
    m_frameStartMs = t0;
    m_lastScale = m_view.resolutionScale;
    m_lastMaxSplats = m_view.maxSplats;
    m_sceneSplats = m_renderer.lastFrameStats().sceneSplats;
    m_pendingSortPending = m_renderer.lastFrameStats().splatOrderPending;
    if (wait == render::Renderer::FrameWait::Submit) {
        m_framePending = true;
        m_framePoll.start();
        return true;
    }
    frameFinished();
    return true;
}

void ViewportWindow::frameFinished() {
    // The frame's time is from the start of its recording to the end seen on the device (within
    // the poll's 2 ms when it was submitted without waiting).
    m_lastFrameMs = m_clock.nsecsElapsed() * 1e-6 - m_frameStartMs;
    m_lastSortMs = m_renderer.lastFrameStats().sortMs;
    // A frame whose compute-path bins did not all fit is followed by one that has room.
    if (m_renderer.lastFrameStats().tilesClipped) m_pendingSortPending = true;
    // A still camera converges: a frame drawn with an older splat sort (or the moving camera's
    // level of detail) is followed by one with the sort it asked for once the worker has it.
    if (!m_moving && m_pendingSortPending) QTimer::singleShot(15, this, [this] { scheduleRender(); });
    if (m_lastScale >= 1.0f) m_fullFrameMs = m_lastFrameMs;
    const double fps = m_lastFrameMs > 0.0 ? 1000.0 / m_lastFrameMs : 0.0;
    m_smoothedFps = m_smoothedFps == 0.0 ? fps : 0.8 * m_smoothedFps + 0.2 * fps;
    ++m_framesPresented;
    emit framePresented();
}

void ViewportWindow::mousePressEvent(QMouseEvent* e) {
    m_lastMouse = e->position();
    if (m_overlay) {
        m_overlay->mouseMove(float(e->position().x()), float(e->position().y()));
        m_overlay->mouseButton(e->button() == Qt::LeftButton ? 0 : e->button() == Qt::RightButton ? 1 : 2, true);
    }
    m_drag = render::navigationAction(m_navigation, toButton(e->button()), toModifiers(e->modifiers()));
    if (m_drag == render::NavAction::None && m_keepTool != KeepTool::None && e->button() == Qt::LeftButton &&
        (e->modifiers() == Qt::NoModifier || e->modifiers() == Qt::ControlModifier)) {
        m_keepDragging = true;
        m_keepErasing = e->modifiers() == Qt::ControlModifier;
        m_keepStart = e->position();
        m_strokeVisible.clear();
        if (m_keepTool == KeepTool::Brush) brushAt(e->position(), !m_keepErasing);
        scheduleRender();
        return;
    }
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
    if (const int handle = gizmoHandleAt(p); handle >= 0) {
        const core::DocumentAsset* a = m_document.document().find(m_document.selected());
        m_gizmoAxis = handle;
        m_gizmoStart = e->position();
        m_live = core::Similarity{};
        m_gizmoCentre = a ? core::computeBounds(a->currentVersion().asset).center() : glm::vec3(0.0f);
        scheduleRender();
        return;
    }
    m_clickCandidate = true;
    m_pressPos = e->position();
}

void ViewportWindow::mouseMoveEvent(QMouseEvent* e) {
    const QPointF d = e->position() - m_lastMouse;
    m_lastMouse = e->position();
    if (m_overlay) m_overlay->mouseMove(float(e->position().x()), float(e->position().y()));
    if (m_clickCandidate && QLineF(m_pressPos, e->position()).length() > kClickSlopPixels) m_clickCandidate = false;
    if (m_keepTool != KeepTool::None) {
        if (m_keepDragging && m_keepTool == KeepTool::Brush) brushAt(e->position(), !m_keepErasing);
        if (m_keepDragging || m_drag == render::NavAction::None) scheduleRender();  // the brush follows the cursor
        if (m_keepDragging) return;
    }
    if (m_gizmoAxis >= 0) {
        updateGizmoDrag(e->position());
        return;
    }
    switch (m_drag) {
    case render::NavAction::Orbit: m_camera.orbit(float(d.x()), float(d.y())); break;
    case render::NavAction::Pan: m_camera.pan(float(d.x()), float(d.y()), height()); break;
    case render::NavAction::Zoom: m_camera.zoom(float(-d.y()) * 0.05f); break;
    case render::NavAction::None: return;
    }
    cameraMoved();
}

void ViewportWindow::mouseReleaseEvent(QMouseEvent* e) {
    if (m_overlay) m_overlay->mouseButton(e->button() == Qt::LeftButton ? 0 : e->button() == Qt::RightButton ? 1 : 2, false);
    m_drag = render::NavAction::None;
    if (m_keepDragging && e->button() == Qt::LeftButton) {
        m_keepDragging = false;
        if (m_keepTool == KeepTool::Box) markRectangle(QRectF(m_keepStart, e->position()), !m_keepErasing);
        m_keepErasing = false;
        scheduleRender();
        return;
    }
    if (e->button() == Qt::LeftButton && m_clickCandidate) {
        m_clickCandidate = false;
        m_document.select(pick(e->position()));
        return;
    }
    if (m_gizmoAxis >= 0) {
        m_gizmoAxis = -1;
        const core::Similarity xf = m_live;
        m_live = core::Similarity{};
        const core::AssetId sel = m_document.selected();
        if (auto it = m_objects.find(sel); it != m_objects.end()) {
            // The baked version replaces the live transform once its job lands; until then show it transformed.
            m_renderer.setTransform(it->second.object, toMatrix(xf));
            if (!isIdentity(xf)) emit transformRequested(sel, xf, m_gizmoMode);
        }
        scheduleRender();
    }
}

void ViewportWindow::wheelEvent(QWheelEvent* e) {
    const float steps = float(e->angleDelta().y()) / 120.0f;
    if (steps == 0.0f) return;
    m_camera.zoomToCursor(steps, float(e->position().x()), float(e->position().y()), width(), height());
    cameraMoved();
}

void ViewportWindow::keyPressEvent(QKeyEvent* e) {
    // The ImGui overlay has no text fields (the HUD takes no input; the gizmos are drawn with
    // draw lists and hit-tested here), so keys are not forwarded to it.
    const bool ctrl = e->modifiers().testFlag(Qt::ControlModifier);
    if (!(e->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier | Qt::MetaModifier))) {
        // Transform gizmo modes: Blender's G/R/S, Maya's W/E/R.
        const bool maya = m_navigation == render::NavigationStyle::Maya;
        const int move = maya ? Qt::Key_W : Qt::Key_G, rotate = maya ? Qt::Key_E : Qt::Key_R, scale = maya ? Qt::Key_R : Qt::Key_S;
        if (e->key() == move) return setGizmoMode(GizmoMode::Move);
        if (e->key() == rotate) return setGizmoMode(GizmoMode::Rotate);
        if (e->key() == scale) return setGizmoMode(GizmoMode::Scale);
    }
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
