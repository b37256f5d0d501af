#include "render/orbit_camera.h"

#include "core/camera.h"
#include "core/error.h"
#include "core/mesh.h"

#include <glm/geometric.hpp>
#include <glm/mat4x4.hpp>
#include <glm/vec2.hpp>
#include <glm/vec4.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using kiln::core::Bounds;
using kiln::core::Camera;
using kiln::render::MouseButton;
using kiln::render::NavAction;
using kiln::render::NavigationStyle;
using kiln::render::OrbitCamera;
using kiln::render::ViewPreset;

namespace {

Bounds box(glm::vec3 lo, glm::vec3 hi) {
    Bounds b;
    b.extend(lo);
    b.extend(hi);
    return b;
}

std::vector<glm::vec3> corners(const Bounds& b) {
    std::vector<glm::vec3> out;
    for (int i = 0; i < 8; ++i)
        out.push_back({(i & 1) ? b.max.x : b.min.x, (i & 2) ? b.max.y : b.min.y, (i & 4) ? b.max.z : b.min.z});
    return out;
}

// Pixel position (x right, y down) through the camera's own view and projection matrices.
glm::vec2 toPixel(const Camera& camera, float width, float height, glm::vec3 p) {
    const glm::vec4 clip = camera.projection(width / height) * camera.view() * glm::vec4(p, 1.0f);
    return {(clip.x / clip.w + 1.0f) * 0.5f * width, (1.0f - clip.y / clip.w) * 0.5f * height};
}

void expectVecNear(glm::vec3 got, glm::vec3 expected, float tolerance, const std::string& what) {
    EXPECT_LT(glm::length(got - expected), tolerance)
        << what << ": got (" << got.x << ", " << got.y << ", " << got.z << ") expected (" << expected.x << ", " << expected.y << ", "
        << expected.z << ")";
}

} // namespace

TEST(OrbitCamera, FrameKeepsEveryCornerInsideTheFrustum) {
    const std::vector<Bounds> boxes = {box({-1, -1, -1}, {1, 1, 1}), box({10, 0, -3}, {12, 0.1f, 5}), box({0, 0, 0}, {100, 50, 2}),
                                       box({-0.01f, 0.2f, 0.3f}, {0.01f, 0.25f, 0.3f})};
    const std::vector<float> aspects = {0.3f, 0.75f, 1.0f, 16.0f / 9.0f, 3.0f};
    const std::vector<glm::vec2> angles = {{0, 0}, {2.1f, -0.4f}, {-0.7f, 1.2f}, {3.0f, -1.5f}};
    for (const Bounds& b : boxes) {
        for (const float aspect : aspects) {
            for (const glm::vec2 a : angles) {
                OrbitCamera orbit;
                orbit.setAngles(a.x, a.y);
                orbit.frame(b, aspect);
                const Camera camera = orbit.toCamera();
                ASSERT_GT(camera.znear, 0.0f);
                ASSERT_GT(camera.zfar, camera.znear);
                const glm::mat4 viewProjection = camera.projection(aspect) * camera.view();
                for (const glm::vec3& corner : corners(b)) {
                    const glm::vec4 clip = viewProjection * glm::vec4(corner, 1.0f);
                    ASSERT_GT(clip.w, 0.0f);
                    EXPECT_LE(std::abs(clip.x), clip.w) << "aspect " << aspect;
                    EXPECT_LE(std::abs(clip.y), clip.w) << "aspect " << aspect;
                    EXPECT_GE(clip.z, 0.0f) << "aspect " << aspect;
                    EXPECT_LE(clip.z, clip.w) << "aspect " << aspect;
                }
            }
        }
    }
}

TEST(OrbitCamera, FrameCentresAndFitsTheSphereWithMargin) {
    OrbitCamera orbit;
    orbit.frame(box({1, 2, 3}, {3, 4, 5}), 2.0f);
    expectVecNear(orbit.target(), {2, 3, 4}, 1e-5f, "target");
    const float radius = std::sqrt(3.0f);
    // Wide viewport: the vertical field of view is the tighter one.
    EXPECT_NEAR(orbit.distance(), 1.1f * radius / std::sin(0.5f * orbit.fovY()), 1e-4f);
    EXPECT_NEAR(orbit.sceneRadius(), radius, 1e-5f);
    // Tall viewport: the horizontal one is.
    orbit.frame(box({1, 2, 3}, {3, 4, 5}), 0.5f);
    const float halfFovX = std::atan(0.5f * std::tan(0.5f * orbit.fovY()));
    EXPECT_NEAR(orbit.distance(), 1.1f * radius / std::sin(halfFovX), 1e-4f);
    // Invalid bounds change nothing.
    const float before = orbit.distance();
    orbit.frame(Bounds{}, 1.0f);
    EXPECT_EQ(orbit.distance(), before);
}

TEST(OrbitCamera, NearAndFarScaleWithDistanceAndScene) {
    OrbitCamera orbit;
    orbit.frame(box({-10, -10, -10}, {10, 10, 10}), 1.0f);
    const Camera far = orbit.toCamera();
    EXPECT_LT(far.znear, orbit.distance() - orbit.sceneRadius());
    EXPECT_GT(far.zfar, orbit.distance() + orbit.sceneRadius());
    orbit.zoom(40.0f);  // inside the scene
    const Camera inside = orbit.toCamera();
    EXPECT_GT(inside.znear, 0.0f);
    EXPECT_LT(inside.znear, 0.1f * orbit.distance());
    EXPECT_GT(inside.zfar, orbit.distance() + orbit.sceneRadius());
}

TEST(OrbitCamera, OrbitKeepsDistanceToTarget) {
    OrbitCamera orbit;
    orbit.setTarget({1, -2, 0.5f});
    orbit.setDistance(7.0f);
    const std::vector<glm::vec2> drags = {{10, 0}, {0, 25}, {-300, 80}, {1000, -1000}, {0, 5000}, {3, 3}};
    for (const glm::vec2 d : drags) {
        const glm::vec3 targetBefore = orbit.target();
        orbit.orbit(d.x, d.y);
        expectVecNear(orbit.target(), targetBefore, 1e-6f, "target");
        EXPECT_NEAR(glm::length(orbit.position() - orbit.target()), 7.0f, 1e-4f);
        EXPECT_NEAR(glm::length(orbit.toCamera().position() - orbit.target()), 7.0f, 1e-4f);
        EXPECT_LE(std::abs(orbit.pitch()), OrbitCamera::kPitchLimit);
    }
    orbit.orbit(0, 1e6f);
    EXPECT_FLOAT_EQ(orbit.pitch(), OrbitCamera::kPitchLimit);
    orbit.orbit(0, -1e6f);
    EXPECT_FLOAT_EQ(orbit.pitch(), -OrbitCamera::kPitchLimit);
}

TEST(OrbitCamera, LookThroughAnInputCameraIsExactUntilTheUserNavigates) {
    // A photo's camera with roll: eye at (2, 1, 3), looking at the origin, screen up tilted 20 degrees.
    const glm::vec3 eye(2.0f, 1.0f, 3.0f);
    Camera input = Camera::lookAt(eye, glm::vec3(0.0f), glm::vec3(std::sin(0.35f), std::cos(0.35f), 0.0f), 0.6f);
    OrbitCamera orbit;
    orbit.lookThrough(input, glm::length(eye));
    ASSERT_TRUE(orbit.lookingThrough());
    const Camera seen = orbit.toCamera();
    for (int c = 0; c < 4; ++c) expectVecNear(glm::vec3(seen.cameraToWorld[c]), glm::vec3(input.cameraToWorld[c]), 1e-5f, "pose column");
    EXPECT_FLOAT_EQ(seen.fovY, 0.6f);
    // The turntable parameters describe the same eye and viewing direction, pivoting at the origin.
    expectVecNear(orbit.target(), glm::vec3(0.0f), 1e-5f, "pivot");
    EXPECT_NEAR(orbit.distance(), glm::length(eye), 1e-5f);
    // Orbiting continues from there: the roll is dropped, the eye keeps its distance to the pivot.
    orbit.orbit(0.0f, 0.0f);
    EXPECT_FALSE(orbit.lookingThrough());
    expectVecNear(orbit.position(), eye, 1e-4f, "eye after the look-through ends");
    expectVecNear(orbit.forward(), input.forward(), 1e-5f, "forward after the look-through ends");
    EXPECT_NEAR(orbit.right().y, 0.0f, 1e-6f);  // no roll left: screen x is horizontal
    // Every navigation ends it.
    orbit.lookThrough(input, 2.0f);
    orbit.pan(5.0f, 0.0f, 100);
    EXPECT_FALSE(orbit.lookingThrough());
    orbit.lookThrough(input, 2.0f);
    orbit.zoom(1.0f);
    EXPECT_FALSE(orbit.lookingThrough());
    orbit.lookThrough(input, 2.0f);
    orbit.viewPreset(ViewPreset::Top);
    EXPECT_FALSE(orbit.lookingThrough());
    // A non-finite pose is ignored.
    Camera bad = input;
    bad.cameraToWorld[3].x = std::nanf("");
    orbit.lookThrough(bad, 2.0f);
    EXPECT_FALSE(orbit.lookingThrough());
}

TEST(OrbitCamera, OrbitDirection) {
    OrbitCamera orbit;
    orbit.orbit(50.0f, 0.0f);  // drag right: the camera swings to the left (-X) of the front view
    EXPECT_LT(orbit.position().x, 0.0f);
    orbit.orbit(0.0f, 50.0f);  // drag down: the camera rises and sees the top
    EXPECT_GT(orbit.position().y, 0.0f);
}

TEST(OrbitCamera, PanMovesTargetInTheViewPlaneUnderTheCursor) {
    OrbitCamera orbit;
    orbit.setTarget({0.3f, 0.2f, -1.0f});
    orbit.setDistance(4.0f);
    orbit.setAngles(0.6f, -0.3f);
    const float width = 800.0f, height = 600.0f;
    const glm::vec3 oldTarget = orbit.target();
    const glm::vec3 viewDirection = orbit.forward();
    const float dx = 37.0f, dy = -21.0f;
    orbit.pan(dx, dy, int(height));
    const glm::vec3 moved = orbit.target() - oldTarget;
    EXPECT_GT(glm::length(moved), 1e-3f);
    EXPECT_NEAR(glm::dot(moved, viewDirection), 0.0f, 1e-5f);
    expectVecNear(orbit.forward(), viewDirection, 1e-6f, "view direction");
    // The old target (the point that was under the cursor at the target depth) follows the cursor.
    const glm::vec2 p = toPixel(orbit.toCamera(), width, height, oldTarget);
    EXPECT_NEAR(p.x, 0.5f * width + dx, 1e-2f);
    EXPECT_NEAR(p.y, 0.5f * height + dy, 1e-2f);
}

TEST(OrbitCamera, ZoomChangesDistanceMonotonically) {
    OrbitCamera orbit;
    orbit.setDistance(10.0f);
    orbit.zoom(1.0f);
    EXPECT_NEAR(orbit.distance(), 9.0f, 1e-5f);
    orbit.zoom(-2.0f);
    EXPECT_NEAR(orbit.distance(), 10.0f / 0.9f, 1e-4f);
    float previous = orbit.distance();
    for (int i = 0; i < 400; ++i) {
        orbit.zoom(1.0f);
        EXPECT_LE(orbit.distance(), previous);
        EXPECT_GE(orbit.distance(), OrbitCamera::kMinDistance);
        previous = orbit.distance();
    }
    EXPECT_FLOAT_EQ(orbit.distance(), OrbitCamera::kMinDistance);
    for (int i = 0; i < 50; ++i) {
        orbit.zoom(-1.0f);
        EXPECT_GT(orbit.distance(), previous);
        previous = orbit.distance();
    }
}

TEST(OrbitCamera, ZoomToCursorKeepsThePointUnderTheCursor) {
    OrbitCamera orbit;
    orbit.setTarget({0, 1, 0});
    orbit.setDistance(5.0f);
    orbit.setAngles(-0.4f, 0.3f);
    const float width = 640.0f, height = 480.0f, cx = 500.0f, cy = 100.0f;
    const Camera before = orbit.toCamera();
    // The point at the target depth under the cursor, through the inverse of the pinhole model.
    const float f = before.focalPixels(int(height));
    const glm::vec3 viewPoint((cx - 0.5f * width) * 5.0f / f, -(cy - 0.5f * height) * 5.0f / f, -5.0f);
    const glm::vec3 underCursor = glm::vec3(before.cameraToWorld * glm::vec4(viewPoint, 1.0f));
    orbit.zoomToCursor(3.0f, cx, cy, int(width), int(height));
    EXPECT_NEAR(orbit.distance(), 5.0f * std::pow(0.9f, 3.0f), 1e-4f);
    const glm::vec2 p = toPixel(orbit.toCamera(), width, height, underCursor);
    EXPECT_NEAR(p.x, cx, 1e-2f);
    EXPECT_NEAR(p.y, cy, 1e-2f);
}

TEST(OrbitCamera, ViewPresetsLookAlongDocumentedAxes) {
    struct Case {
        ViewPreset preset;
        glm::vec3 forward;
        glm::vec3 up;
    };
    const glm::vec3 iso = -glm::normalize(glm::vec3(1, 1, 1));
    const std::vector<Case> cases = {
        {ViewPreset::Front, {0, 0, -1}, {0, 1, 0}}, {ViewPreset::Back, {0, 0, 1}, {0, 1, 0}},
        {ViewPreset::Left, {1, 0, 0}, {0, 1, 0}},   {ViewPreset::Right, {-1, 0, 0}, {0, 1, 0}},
        {ViewPreset::Top, {0, -1, 0}, {0, 0, -1}},  {ViewPreset::Bottom, {0, 1, 0}, {0, 0, 1}},
        {ViewPreset::Iso, iso, glm::normalize(glm::vec3(-1, 2, -1))},
    };
    for (const Case& c : cases) {
        OrbitCamera orbit;
        orbit.setTarget({1, 2, 3});
        orbit.setDistance(4.0f);
        orbit.orbit(123.0f, -45.0f);
        orbit.viewPreset(c.preset);
        const std::string name = kiln::render::toString(c.preset);
        // Top and bottom stop 0.01 rad short of the pole.
        expectVecNear(orbit.forward(), c.forward, 0.011f, name + " forward");
        expectVecNear(orbit.up(), c.up, 0.011f, name + " up");
        const Camera camera = orbit.toCamera();
        expectVecNear(camera.forward(), c.forward, 0.011f, name + " camera forward");
        expectVecNear(camera.position(), glm::vec3(1, 2, 3) - 4.0f * orbit.forward(), 1e-4f, name + " position");
        // An orthonormal, right-handed pose.
        const glm::vec3 x(camera.cameraToWorld[0]), y(camera.cameraToWorld[1]), z(camera.cameraToWorld[2]);
        expectVecNear(glm::cross(x, y), z, 1e-5f, name + " handedness");
        EXPECT_NEAR(glm::dot(x, y), 0.0f, 1e-6f);
        EXPECT_NEAR(glm::length(x), 1.0f, 1e-6f);
        EXPECT_NEAR(glm::length(y), 1.0f, 1e-6f);
        EXPECT_EQ(kiln::render::viewPresetFromString(name), c.preset);
    }
    // Front view: +X is to the right, +Y up on screen.
    OrbitCamera front;
    front.viewPreset(ViewPreset::Front);
    const glm::vec2 right = toPixel(front.toCamera(), 100, 100, {1, 0, 0});
    const glm::vec2 above = toPixel(front.toCamera(), 100, 100, {0, 1, 0});
    EXPECT_GT(right.x, 50.0f);
    EXPECT_LT(above.y, 50.0f);
}

TEST(OrbitCamera, NavigationMappingTable) {
    const MouseButton buttons[] = {MouseButton::Left, MouseButton::Middle, MouseButton::Right};
    for (const NavigationStyle style : {NavigationStyle::Blender, NavigationStyle::Maya}) {
        for (const MouseButton button : buttons) {
            for (int bits = 0; bits < 8; ++bits) {
                const kiln::render::Modifiers mods{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0};
                NavAction expected = NavAction::None;
                if (style == NavigationStyle::Blender && button == MouseButton::Middle) {
                    if (bits == 0) expected = NavAction::Orbit;
                    if (bits == 1) expected = NavAction::Pan;   // shift
                    if (bits == 2) expected = NavAction::Zoom;  // ctrl
                }
                if (style == NavigationStyle::Maya && bits == 4) {  // alt
                    if (button == MouseButton::Left) expected = NavAction::Orbit;
                    if (button == MouseButton::Middle) expected = NavAction::Pan;
                    if (button == MouseButton::Right) expected = NavAction::Zoom;
                }
                EXPECT_EQ(kiln::render::navigationAction(style, button, mods), expected)
                    << kiln::render::toString(style) << " button " << int(button) << " modifiers " << bits;
            }
        }
    }
}

TEST(OrbitCamera, NavigationStyleNames) {
    EXPECT_EQ(kiln::render::toString(NavigationStyle::Blender), "blender");
    EXPECT_EQ(kiln::render::toString(NavigationStyle::Maya), "maya");
    EXPECT_EQ(kiln::render::navigationStyleFromString("Maya"), NavigationStyle::Maya);
    EXPECT_EQ(kiln::render::navigationStyleFromString("BLENDER"), NavigationStyle::Blender);
    try {
        kiln::render::navigationStyleFromString("3dsmax");
        FAIL() << "expected kiln::Error";
    } catch (const kiln::Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("3dsmax"), std::string::npos);
        EXPECT_NE(message.find("blender"), std::string::npos);
        EXPECT_NE(message.find("maya"), std::string::npos);
    }
    EXPECT_THROW(kiln::render::viewPresetFromString("diagonal"), kiln::Error);
}
