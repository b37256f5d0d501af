#include "render/orbit_camera.h"

#include "core/error.h"

#include <glm/geometric.hpp>
#include <glm/gtc/constants.hpp>
#include <glm/mat4x4.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <utility>

namespace kiln::render {
namespace {

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

constexpr std::array<std::pair<ViewPreset, const char*>, 7> kPresetNames = {{
    {ViewPreset::Front, "front"},
    {ViewPreset::Back, "back"},
    {ViewPreset::Left, "left"},
    {ViewPreset::Right, "right"},
    {ViewPreset::Top, "top"},
    {ViewPreset::Bottom, "bottom"},
    {ViewPreset::Iso, "iso"},
}};

constexpr std::array<std::pair<NavigationStyle, const char*>, 2> kStyleNames = {{
    {NavigationStyle::Blender, "blender"},
    {NavigationStyle::Maya, "maya"},
}};

template <typename Names>
std::string validNames(const Names& names) {
    std::string list;
    for (const auto& [value, name] : names) list += (list.empty() ? "" : ", ") + std::string(name);
    return list;
}

// World units per pixel in the plane through the target, parallel to the image.
float unitsPerPixel(float distance, float fovY, int viewportHeight) {
    return 2.0f * distance * std::tan(0.5f * fovY) / float(std::max(viewportHeight, 1));
}

} // namespace

std::string toString(ViewPreset preset) {
    for (const auto& [value, name] : kPresetNames)
        if (value == preset) return name;
    return "front";
}

ViewPreset viewPresetFromString(const std::string& name) {
    const std::string key = lowercase(name);
    for (const auto& [value, presetName] : kPresetNames)
        if (key == presetName) return value;
    throw Error("unknown view preset '" + name + "' (valid: " + validNames(kPresetNames) + ")");
}

std::string toString(NavigationStyle style) {
    for (const auto& [value, name] : kStyleNames)
        if (value == style) return name;
    return "blender";
}

NavigationStyle navigationStyleFromString(const std::string& name) {
    const std::string key = lowercase(name);
    for (const auto& [value, styleName] : kStyleNames)
        if (key == styleName) return value;
    throw Error("unknown navigation style '" + name + "' (valid: " + validNames(kStyleNames) + ")");
}

NavAction navigationAction(NavigationStyle style, MouseButton button, Modifiers modifiers) {
    const bool none = !modifiers.shift && !modifiers.ctrl && !modifiers.alt;
    const bool shiftOnly = modifiers.shift && !modifiers.ctrl && !modifiers.alt;
    const bool ctrlOnly = !modifiers.shift && modifiers.ctrl && !modifiers.alt;
    const bool altOnly = !modifiers.shift && !modifiers.ctrl && modifiers.alt;
    switch (style) {
    case NavigationStyle::Blender:
        if (button != MouseButton::Middle) return NavAction::None;
        if (none) return NavAction::Orbit;
        if (shiftOnly) return NavAction::Pan;
        if (ctrlOnly) return NavAction::Zoom;
        return NavAction::None;
    case NavigationStyle::Maya:
        if (!altOnly) return NavAction::None;
        switch (button) {
        case MouseButton::Left: return NavAction::Orbit;
        case MouseButton::Middle: return NavAction::Pan;
        case MouseButton::Right: return NavAction::Zoom;
        }
        return NavAction::None;
    }
    return NavAction::None;
}

void OrbitCamera::setDistance(float distance) {
    if (!std::isfinite(distance)) return;
    m_pose.reset();
    m_distance = std::clamp(distance, kMinDistance, kMaxDistance);
}

void OrbitCamera::setAngles(float yaw, float pitch) {
    if (!std::isfinite(yaw) || !std::isfinite(pitch)) return;
    m_pose.reset();
    const float twoPi = glm::two_pi<float>();
    yaw = std::remainder(yaw, twoPi);
    if (yaw <= -glm::pi<float>()) yaw += twoPi;
    m_yaw = yaw;
    m_pitch = std::clamp(pitch, -kPitchLimit, kPitchLimit);
}

void OrbitCamera::setFovY(float fovY) {
    if (!std::isfinite(fovY)) return;
    m_fovY = std::clamp(fovY, 0.01f, 3.0f);
}

void OrbitCamera::setSceneRadius(float radius) {
    if (!std::isfinite(radius)) return;
    m_sceneRadius = std::max(radius, 1e-6f);
}

void OrbitCamera::lookThrough(const core::Camera& camera, float pivotDistance) {
    const glm::mat4& m = camera.cameraToWorld;
    for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 4; ++r)
            if (!std::isfinite(m[c][r])) return;
    const glm::vec3 eye(m[3]);
    const glm::vec3 forward = -glm::vec3(m[2]);
    const float len = glm::length(forward);
    if (!(len > 1e-6f)) return;
    const glm::vec3 f = forward / len;
    const float distance = std::isfinite(pivotDistance) && pivotDistance > kMinDistance ? pivotDistance : m_distance;
    // The turntable's offset from target to eye is -forward = (sin yaw cos pitch, sin pitch, cos yaw cos pitch).
    setAngles(std::atan2(-f.x, -f.z), std::asin(std::clamp(-f.y, -1.0f, 1.0f)));
    setDistance(distance);
    m_target = eye + distance * f;
    setFovY(camera.fovY);
    // Orthonormal axes (the source may carry a little scale or shear from its own conversions).
    const glm::vec3 back = -f;
    const glm::vec3 right = glm::normalize(glm::vec3(m[0]) - glm::dot(glm::vec3(m[0]), back) * back);
    const glm::vec3 up = glm::cross(back, right);
    m_pose = glm::mat4(glm::vec4(right, 0.0f), glm::vec4(up, 0.0f), glm::vec4(back, 0.0f), glm::vec4(eye, 1.0f));
}

glm::vec3 OrbitCamera::position() const {
    if (m_pose) return glm::vec3((*m_pose)[3]);
    const glm::vec3 offset(std::sin(m_yaw) * std::cos(m_pitch), std::sin(m_pitch), std::cos(m_yaw) * std::cos(m_pitch));
    return m_target + m_distance * offset;
}

glm::vec3 OrbitCamera::forward() const {
    if (m_pose) return -glm::vec3((*m_pose)[2]);
    return -glm::vec3(std::sin(m_yaw) * std::cos(m_pitch), std::sin(m_pitch), std::cos(m_yaw) * std::cos(m_pitch));
}

glm::vec3 OrbitCamera::right() const {
    if (m_pose) return glm::vec3((*m_pose)[0]);
    return {std::cos(m_yaw), 0.0f, -std::sin(m_yaw)};
}

glm::vec3 OrbitCamera::up() const {
    if (m_pose) return glm::vec3((*m_pose)[1]);
    return glm::cross(right(), forward());
}

void OrbitCamera::orbit(float dxPixels, float dyPixels) {
    setAngles(m_yaw - dxPixels * kOrbitRadiansPerPixel, m_pitch + dyPixels * kOrbitRadiansPerPixel);
}

void OrbitCamera::pan(float dxPixels, float dyPixels, int viewportHeight) {
    m_pose.reset();
    const float scale = unitsPerPixel(m_distance, m_fovY, viewportHeight);
    m_target += (-dxPixels * right() + dyPixels * up()) * scale;
}

void OrbitCamera::zoom(float steps) { setDistance(m_distance * std::pow(kZoomBase, steps)); }

void OrbitCamera::zoomToCursor(float steps, float cursorX, float cursorY, int viewportWidth, int viewportHeight) {
    m_pose.reset();
    const float scale = unitsPerPixel(m_distance, m_fovY, viewportHeight);
    const glm::vec3 underCursor = m_target + (cursorX - 0.5f * float(viewportWidth)) * scale * right() -
                                  (cursorY - 0.5f * float(viewportHeight)) * scale * up();
    const float before = m_distance;
    zoom(steps);
    // The view-plane scale shrinks by the same ratio as the distance, so pulling the target toward
    // the cursor point by that ratio keeps the point's pixel offset.
    const float ratio = m_distance / before;
    m_target = underCursor + ratio * (m_target - underCursor);
}

void OrbitCamera::frame(const core::Bounds& bounds, float aspect) {
    if (!bounds.valid) return;
    if (!std::isfinite(aspect) || aspect <= 0.0f) aspect = 1.0f;
    const float radius = std::max(0.5f * glm::length(bounds.size()), 1e-3f);
    const float halfFovY = 0.5f * m_fovY;
    const float halfFovX = std::atan(aspect * std::tan(halfFovY));
    // A sphere of radius r lies inside a frustum side plane at half-angle a when the eye is at
    // least r / sin(a) from its centre.
    m_pose.reset();
    m_target = bounds.center();
    setSceneRadius(radius);
    setDistance(kFrameMargin * radius / std::sin(std::min(halfFovX, halfFovY)));
}

void OrbitCamera::viewPreset(ViewPreset preset) {
    const float halfPi = glm::half_pi<float>();
    switch (preset) {
    case ViewPreset::Front: setAngles(0.0f, 0.0f); break;
    case ViewPreset::Back: setAngles(glm::pi<float>(), 0.0f); break;
    case ViewPreset::Left: setAngles(-halfPi, 0.0f); break;
    case ViewPreset::Right: setAngles(halfPi, 0.0f); break;
    case ViewPreset::Top: setAngles(0.0f, kPitchLimit); break;
    case ViewPreset::Bottom: setAngles(0.0f, -kPitchLimit); break;
    case ViewPreset::Iso: setAngles(glm::quarter_pi<float>(), std::asin(1.0f / std::sqrt(3.0f))); break;
    }
}

core::Camera OrbitCamera::toCamera() const {
    core::Camera camera;
    const glm::vec3 r = right(), u = up(), back = -forward();
    camera.cameraToWorld = glm::mat4(glm::vec4(r, 0.0f), glm::vec4(u, 0.0f), glm::vec4(back, 0.0f), glm::vec4(position(), 1.0f));
    camera.fovY = m_fovY;
    camera.znear = std::max(0.5f * (m_distance - m_sceneRadius), 1e-3f * (m_distance + m_sceneRadius));
    camera.zfar = 10.0f * (m_distance + m_sceneRadius);
    return camera;
}

} // namespace kiln::render
