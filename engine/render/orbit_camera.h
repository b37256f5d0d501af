#pragma once

#include "core/camera.h"
#include "core/mesh.h"

#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

#include <optional>
#include <string>

namespace kiln::render {

// Axis-aligned views in the glTF convention (+Y up, +Z toward the viewer in Front).
enum class ViewPreset {
    Front,   // from +Z looking down -Z
    Back,    // from -Z looking down +Z
    Left,    // from -X looking down +X
    Right,   // from +X looking down -X
    Top,     // from +Y looking down -Y (screen up is -Z)
    Bottom,  // from -Y looking up +Y (screen up is +Z)
    Iso      // from (+1, +1, +1) toward the target
};

std::string toString(ViewPreset preset);  // "front", "back", "left", "right", "top", "bottom", "iso"
ViewPreset viewPresetFromString(const std::string& name);  // case-insensitive; throws kiln::Error listing valid names

// A turntable camera around a target point: the viewer sits at
//   target + distance * (sin(yaw) cos(pitch), sin(pitch), cos(yaw) cos(pitch))
// looking at the target with +Y up, so yaw = pitch = 0 is the Front view. Pixel arguments use
// image coordinates (x right, y down). No window system: the viewport feeds it mouse deltas.
class OrbitCamera {
public:
    static constexpr float kOrbitRadiansPerPixel = 0.01f;
    static constexpr float kZoomBase = 0.9f;            // distance factor per zoom step
    static constexpr float kFrameMargin = 1.1f;
    static constexpr float kMinDistance = 1e-4f;
    static constexpr float kMaxDistance = 1e7f;
    static constexpr float kPitchLimit = 1.5607964f;    // pi/2 - 0.01

    OrbitCamera() = default;

    const glm::vec3& target() const { return m_target; }
    float distance() const { return m_distance; }
    float yaw() const { return m_yaw; }
    float pitch() const { return m_pitch; }
    float fovY() const { return m_fovY; }
    // Radius of the framed content, which scales the near and far planes.
    float sceneRadius() const { return m_sceneRadius; }

    void setTarget(const glm::vec3& target) {
        m_pose.reset();
        m_target = target;
    }
    void setDistance(float distance);                  // clamped to [kMinDistance, kMaxDistance]
    void setAngles(float yaw, float pitch);            // pitch clamped to +-kPitchLimit, yaw wrapped to (-pi, pi]

    // Looks through `camera` exactly (its pose, roll included, and vertical field of view), e.g.
    // the camera of an input photo. The orbit parameters are set to the nearest turntable view
    // pivoting `pivotDistance` ahead of the camera, so the next orbit, pan, zoom, frame or preset
    // continues from where the camera stands (dropping any roll) and ends the look-through.
    void lookThrough(const core::Camera& camera, float pivotDistance);
    bool lookingThrough() const { return m_pose.has_value(); }
    void setFovY(float fovY);                          // radians, clamped to [0.01, 3.0]
    void setSceneRadius(float radius);                 // clamped to > 0

    // The eye and its axes (those of the looked-through camera while lookingThrough()).
    glm::vec3 position() const;
    glm::vec3 forward() const;  // unit, from the eye toward the target
    glm::vec3 right() const;    // unit, screen +x
    glm::vec3 up() const;       // unit, screen up (-y in pixels)

    // Turntable rotation: dragging right turns the scene to the right, dragging down shows more of its top.
    void orbit(float dxPixels, float dyPixels);
    // Moves the target in the view plane so the point under the cursor at the target's depth
    // follows the cursor exactly.
    void pan(float dxPixels, float dyPixels, int viewportHeight);
    // Multiplicative dolly: distance *= kZoomBase^steps (positive steps move closer).
    void zoom(float steps);
    // Dolly that keeps the point under the cursor (at the target's depth) under the cursor.
    void zoomToCursor(float steps, float cursorX, float cursorY, int viewportWidth, int viewportHeight);

    // Centres on the bounds and backs off until their bounding sphere fits both the vertical and
    // the horizontal field of view with kFrameMargin; keeps the viewing angles. Invalid bounds are
    // ignored.
    void frame(const core::Bounds& bounds, float aspect);
    // Looks along a preset axis; keeps target and distance.
    void viewPreset(ViewPreset preset);

    // Near and far planes enclose the scene sphere around the target at any distance:
    // near = max(0.5 (distance - radius), 1e-3 (distance + radius)), far = 10 (distance + radius).
    core::Camera toCamera() const;

private:
    glm::vec3 m_target{0.0f};
    float m_distance = 5.0f;
    float m_yaw = 0.0f;
    float m_pitch = 0.0f;
    float m_fovY = 0.8f;
    float m_sceneRadius = 1.0f;
    std::optional<glm::mat4> m_pose;  // camera-to-world while looking through an input camera
};

// Mouse navigation presets of the studio viewport.
enum class NavigationStyle { Blender, Maya };
enum class MouseButton { Left, Middle, Right };
struct Modifiers {
    bool shift = false;
    bool ctrl = false;
    bool alt = false;
};
enum class NavAction { None, Orbit, Pan, Zoom };

// Blender: MMB orbit, Shift+MMB pan, Ctrl+MMB zoom. Maya: Alt+LMB orbit, Alt+MMB pan, Alt+RMB zoom.
// Exactly those modifiers; any other combination is None.
NavAction navigationAction(NavigationStyle style, MouseButton button, Modifiers modifiers);

std::string toString(NavigationStyle style);  // "blender", "maya"
NavigationStyle navigationStyleFromString(const std::string& name);  // case-insensitive; throws kiln::Error

} // namespace kiln::render
