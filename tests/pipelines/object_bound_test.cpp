// The object bound of photo captures (pipelines/object_bound.h) on a cluttered synthetic scene:
// an object on a table, the table's far parts, a wall behind, and a ring of cameras that keep the
// object near the middle of the frame (with the aim wandering, as a hand-held phone's does).
#include "pipelines/object_bound.h"

#include <gtest/gtest.h>

#include <random>

using namespace kiln;
using namespace kiln::pipelines;

namespace {

bool inside(const core::Bounds& b, const glm::vec3& p) {
    return p.x >= b.min.x && p.y >= b.min.y && p.z >= b.min.z && p.x <= b.max.x && p.y <= b.max.y && p.z <= b.max.z;
}

struct Scene {
    std::vector<glm::vec3> object, clutter;
    std::vector<DepthView> views;
};

Scene clutteredScene() {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Scene s;
    // The object: a 0.4 x 0.5 x 0.3 box standing on the table at the origin.
    for (int i = 0; i < 400; ++i) s.object.push_back({-0.2f + 0.4f * u(rng), 0.5f * u(rng), -0.15f + 0.3f * u(rng)});
    // The table beyond a plain patch around the object, and a wall 3 units behind it.
    while (s.clutter.size() < 1200) {
        const glm::vec3 p(-3.0f + 6.0f * u(rng), 0.0f, -3.0f + 6.0f * u(rng));
        if (glm::length(glm::vec2(p.x, p.z)) > 0.6f) s.clutter.push_back(p);
    }
    for (int i = 0; i < 800; ++i) s.clutter.push_back({-3.0f + 6.0f * u(rng), 3.0f * u(rng), -3.0f});
    // 30 photos on a ring of radius 1.5 at heights 0.5-1.1, aimed within 0.08 of the object's middle.
    for (int i = 0; i < 30; ++i) {
        const float a = 6.2831853f * float(i) / 30.0f;
        const glm::vec3 eye(1.5f * std::sin(a), 0.5f + 0.6f * u(rng), 1.5f * std::cos(a));
        const glm::vec3 target = glm::vec3(0.0f, 0.25f, 0.0f) + 0.08f * glm::vec3(u(rng) - 0.5f, u(rng) - 0.5f, u(rng) - 0.5f) * 2.0f;
        DepthView v;
        v.camera = core::Camera::lookAt(eye, target, {0.0f, 1.0f, 0.0f}, 0.9f);
        v.width = 480;
        v.height = 640;
        v.fx = v.fy = 520.0f;
        v.cx = 240.0f;
        v.cy = 320.0f;
        s.views.push_back(v);
    }
    return s;
}

} // namespace

TEST(ObjectBound, FindsTheObjectTheCamerasAreCentredOnAndNotTheRoom) {
    const Scene s = clutteredScene();
    std::vector<glm::vec3> points = s.clutter;
    points.insert(points.end(), s.object.begin(), s.object.end());
    const core::Bounds box = objectBounds(s.views, points);
    ASSERT_TRUE(box.valid);
    int objectIn = 0, clutterIn = 0;
    for (const auto& p : s.object) objectIn += inside(box, p);
    for (const auto& p : s.clutter) clutterIn += inside(box, p);
    EXPECT_GE(objectIn, int(0.97 * double(s.object.size()))) << "object points inside the bound";
    EXPECT_LE(clutterIn, int(0.01 * double(s.clutter.size()))) << "table and wall points inside the bound";
    const float diagonal = glm::length(box.size()), objectDiagonal = glm::length(glm::vec3(0.4f, 0.5f, 0.3f));
    EXPECT_LT(diagonal, 1.5f * objectDiagonal) << "the bound hugs the object";
}

TEST(ObjectBound, TooFewCentredPointsKeepTheScene) {
    const Scene s = clutteredScene();
    // The wall alone: seen at the frame's edges, never in the middle of most photos.
    EXPECT_FALSE(objectBounds(s.views, std::vector<glm::vec3>(s.clutter.end() - 800, s.clutter.end())).valid);
    EXPECT_FALSE(objectBounds(s.views, {}).valid);
    EXPECT_FALSE(objectBounds(s.views, std::vector<glm::vec3>(s.object.begin(), s.object.begin() + 10)).valid) << "10 points, fewer than 20";
}

TEST(ObjectBound, CropKeepsTheSplatsInsideWithTheirAttributes) {
    core::GaussianCloud c;
    c.resize(4, 1);
    const glm::vec3 at[4] = {{0, 0, 0}, {2, 0, 0}, {0.5f, 0.5f, 0.5f}, {0, -3, 0}};
    for (std::size_t i = 0; i < 4; ++i) {
        c.positions[i] = at[i];
        c.opacityLogits[i] = float(i);
        for (std::size_t k = 0; k < 12; ++k) c.sh[i * 12 + k] = float(i * 100 + k);
    }
    core::Bounds box;
    box.extend({-1, -1, -1});
    box.extend({1, 1, 1});
    cropToBox(c, box);
    ASSERT_EQ(c.size(), 2u);
    c.validate("cropped");
    EXPECT_EQ(c.opacityLogits[0], 0.0f);
    EXPECT_EQ(c.opacityLogits[1], 2.0f);
    EXPECT_EQ(c.sh[12], 200.0f);
    EXPECT_EQ(c.sh[23], 211.0f);
}
