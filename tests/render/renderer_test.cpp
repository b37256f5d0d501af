// Renderer tests on whatever Vulkan device is present (lavapipe in CI): image baselines in the
// f3d style, analytic splat checks, and agreement with the independent CPU reference.
#include "render/image_compare.h"
#include "render/splat_reference.h"
#include "test_util.h"

#include "core/error.h"
#include "core/radiance_field.h"
#include "io/asset_io.h"
#include "io/image_io.h"
#include "render/orbit_camera.h"
#include "render/renderer.h"
#include "render/splat_host.h"
#include "render/splat_sort.h"

#include <glm/geometric.hpp>
#include <glm/gtc/matrix_transform.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <numbers>
#include <numeric>
#include <random>
#include <tuple>

namespace fs = std::filesystem;
using kiln::test::scratchDir;
using kiln::test::testdata;

namespace {

constexpr float kDeg = std::numbers::pi_v<float> / 180.0f;
constexpr int kWidth = 320, kHeight = 240;

kiln::render::Renderer& sharedRenderer() {
    static std::unique_ptr<kiln::render::Renderer> renderer = std::make_unique<kiln::render::Renderer>();
    return *renderer;
}

kiln::core::Camera framedCamera(const kiln::core::Bounds& bounds, int width, int height, float yawDeg = 30.0f, float pitchDeg = 20.0f) {
    kiln::render::OrbitCamera orbit;
    orbit.setAngles(yawDeg * kDeg, pitchDeg * kDeg);
    orbit.frame(bounds, float(width) / float(height));
    return orbit.toCamera();
}

// f3d-style baseline check: fails above the error budget and writes actual + diff images.
// KILN_UPDATE_BASELINES=1 rewrites the committed baseline instead.
void expectMatchesBaseline(const kiln::core::Image& actual, const std::string& name) {
    const fs::path baseline = fs::path(KILN_SOURCE_DIR) / "tests/render/baselines" / (name + ".png");
    const fs::path outDir = scratchDir();
    kiln::io::writeImage(actual, outDir / (name + ".png"));
    if (std::getenv("KILN_UPDATE_BASELINES")) {
        fs::create_directories(baseline.parent_path());
        kiln::io::writeImage(actual, baseline);
        GTEST_SKIP() << "baseline written: " << baseline;
    }
    ASSERT_TRUE(fs::exists(baseline)) << "missing baseline " << baseline << " (render with KILN_UPDATE_BASELINES=1)";
    const kiln::core::Image expected = kiln::io::readImage(baseline);
    ASSERT_EQ(expected.width, actual.width);
    ASSERT_EQ(expected.height, actual.height);
    const kiln::test::ImageDiff d = kiln::test::diffImages(actual, expected);
    kiln::io::writeImage(d.image, outDir / (name + ".diff.png"));
    EXPECT_TRUE(kiln::test::withinBudget(d)) << name << ": " << kiln::test::describe(d) << ", see " << outDir;
}

kiln::core::Image renderFile(const fs::path& file, kiln::render::ViewOptions options = {}) {
    auto& r = sharedRenderer();
    r.clear();
    r.add(kiln::io::loadAsset(file));
    return r.renderImage(framedCamera(r.sceneBounds(), kWidth, kHeight), kWidth, kHeight, options);
}

// One splat of colour `rgb` (display space) with opacity `opacity`, isotropic scale `scale`.
void addSplat(kiln::core::GaussianCloud& cloud, glm::vec3 position, float scale, float opacity, glm::vec3 rgb) {
    const std::size_t i = cloud.size();
    cloud.resize(i + 1, cloud.shDegree);
    cloud.positions[i] = position;
    cloud.logScales[i] = glm::vec3(std::log(scale));
    cloud.rotations[i] = glm::vec4(1, 0, 0, 0);
    cloud.opacityLogits[i] = std::log(opacity / (1.0f - opacity));
    const int coeffs = cloud.coeffCount();
    for (int c = 0; c < 3; ++c) cloud.sh[i * std::size_t(coeffs) * 3 + std::size_t(c)] = (rgb[c] - 0.5f) / kiln::core::kShC0;
}

// Puts the shared renderer's splat sort and path back as they were when the test ends.
struct SplatChoicesRestored {
    explicit SplatChoicesRestored(kiln::render::Renderer& renderer) : r(renderer), sort(renderer.splatSort()), path(renderer.splatPath()) {}
    ~SplatChoicesRestored() { r.setSplatChoices(sort, path); }
    kiln::render::Renderer& r;
    kiln::render::SplatSort sort;
    kiln::render::SplatPath path;
};

kiln::render::ViewOptions bareView() {
    kiln::render::ViewOptions v;
    v.grid = false;
    v.axisGizmo = false;
    v.background = glm::vec4(0, 0, 0, 1);
    return v;
}

double psnr(const kiln::core::Image& gpu, const kiln::core::Image& reference) {
    double se = 0.0;
    for (std::size_t p = 0; p < gpu.pixelCount(); ++p)
        for (int c = 0; c < 3; ++c) {
            const double e = gpu.u8[p * 4 + std::size_t(c)] / 255.0 - std::clamp(reference.f32[p * 3 + std::size_t(c)], 0.0f, 1.0f);
            se += e * e;
        }
    const double mse = se / double(gpu.pixelCount() * 3);
    return 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
}

float value(const kiln::core::Image& img, int x, int y, int c) { return img.u8[(std::size_t(y) * std::size_t(img.width) + std::size_t(x)) * 4 + std::size_t(c)] / 255.0f; }

} // namespace

TEST(RenderBaseline, Box) { expectMatchesBaseline(renderFile(testdata("gltf/Box/Box.glb")), "Box"); }
TEST(RenderBaseline, BoxTextured) { expectMatchesBaseline(renderFile(testdata("gltf/BoxTextured/BoxTextured.glb")), "BoxTextured"); }
TEST(RenderBaseline, Duck) { expectMatchesBaseline(renderFile(testdata("gltf/Duck/Duck.glb")), "Duck"); }
TEST(RenderBaseline, CesiumMilkTruck) { expectMatchesBaseline(renderFile(testdata("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf")), "CesiumMilkTruck"); }
TEST(RenderBaseline, VertexColorTest) { expectMatchesBaseline(renderFile(testdata("gltf/VertexColorTest/glTF/VertexColorTest.gltf")), "VertexColorTest"); }
TEST(RenderBaseline, BikerSplats) { expectMatchesBaseline(renderFile(testdata("splats/biker_inria_sub20.ply")), "BikerSplats"); }

TEST(RenderBaseline, DuckDebugModes) {
    for (auto mode : {kiln::render::ShadingMode::Normals, kiln::render::ShadingMode::UvChecker, kiln::render::ShadingMode::Wireframe,
                      kiln::render::ShadingMode::Unlit}) {
        kiln::render::ViewOptions v;
        v.mode = mode;
        expectMatchesBaseline(renderFile(testdata("gltf/Duck/Duck.glb"), v), std::string("Duck_") + kiln::render::toString(mode));
    }
}

TEST(RenderBaseline, BikerSplatDebugModes) {
    for (auto mode : {kiln::render::ShadingMode::SplatCenters, kiln::render::ShadingMode::SplatEllipsoids}) {
        kiln::render::ViewOptions v;
        v.mode = mode;
        expectMatchesBaseline(renderFile(testdata("splats/biker_inria_sub20.ply"), v), std::string("Biker_") + kiln::render::toString(mode));
    }
}

TEST(RenderBaseline, RadianceFieldGrid) {
    auto& r = sharedRenderer();
    r.clear();
    r.addField(kiln::core::makeDemoField(48));
    expectMatchesBaseline(r.renderImage(framedCamera(r.sceneBounds(), kWidth, kHeight), kWidth, kHeight), "RadianceField");
}

TEST(RenderSplats, SingleIsotropicGaussianHasExpectedPeakAndFootprint) {
    kiln::core::GaussianCloud cloud;
    const float z = 5.0f, s = 0.08f, o = 0.5f;
    addSplat(cloud, {0, 0, -z}, s, o, {1.0f, 0.5f, 0.25f});
    auto& r = sharedRenderer();
    r.clear();
    r.add(kiln::core::Asset::fromGaussians("one", cloud));
    const auto cam = kiln::core::Camera::lookAt({0, 0, 0}, {0, 0, -1}, {0, 1, 0}, 0.8f);
    const int w = 128, h = 128;
    const auto img = r.renderImage(cam, w, h, bareView());
    // Centre pixel (64, 64) has its centre 0.5 px from the splat centre at (64, 64).
    const float f = cam.focalPixels(h);
    const float sigma2 = (f * s / z) * (f * s / z) + 0.3f;
    const float falloff = std::exp(-0.5f * 0.5f / sigma2);
    EXPECT_NEAR(value(img, 64, 64, 0), o * 1.0f * falloff, 2.5f / 255.0f);
    EXPECT_NEAR(value(img, 64, 64, 1), o * 0.5f * falloff, 2.5f / 255.0f);
    // Footprint: the second moment of the red profile along the centre row.
    double m0 = 0.0, m2 = 0.0;
    for (int x = 0; x < w; ++x) {
        const double v = value(img, x, 63, 0), dx = x + 0.5 - 64.0;
        m0 += v;
        m2 += v * dx * dx;
    }
    EXPECT_NEAR(std::sqrt(m2 / m0), std::sqrt(double(sigma2)), 0.05 * std::sqrt(double(sigma2)));
    // Same as the CPU reference everywhere.
    const auto ref = kiln::test::renderSplatsReference(cloud, cam, w, h, glm::vec3(0.0f));
    EXPECT_GT(psnr(img, ref), 40.0);
}

TEST(RenderSplats, OverlappingSplatsBlendInDepthOrderFromBothSides) {
    kiln::core::GaussianCloud cloud;
    addSplat(cloud, {0, 0, 0.5f}, 0.3f, 0.9f, {1, 0, 0});   // red, nearer +Z
    addSplat(cloud, {0, 0, -0.5f}, 0.3f, 0.9f, {0, 0, 1});  // blue, nearer -Z
    auto& r = sharedRenderer();
    r.clear();
    r.add(kiln::core::Asset::fromGaussians("two", cloud));
    const auto fromFront = kiln::core::Camera::lookAt({0, 0, 5}, {0, 0, 0}, {0, 1, 0}, 0.8f);
    const auto fromBack = kiln::core::Camera::lookAt({0, 0, -5}, {0, 0, 0}, {0, 1, 0}, 0.8f);
    const auto a = r.renderImage(fromFront, 96, 96, bareView());
    const auto b = r.renderImage(fromBack, 96, 96, bareView());
    EXPECT_GT(value(a, 48, 48, 0), 0.8f);
    EXPECT_LT(value(a, 48, 48, 2), 0.15f);
    EXPECT_GT(value(b, 48, 48, 2), 0.8f);
    EXPECT_LT(value(b, 48, 48, 0), 0.15f);
    EXPECT_GT(psnr(a, kiln::test::renderSplatsReference(cloud, fromFront, 96, 96, glm::vec3(0.0f))), 40.0);
    EXPECT_GT(psnr(b, kiln::test::renderSplatsReference(cloud, fromBack, 96, 96, glm::vec3(0.0f))), 40.0);
}

TEST(RenderSplats, AgreesWithCpuReferenceOnBiker) {
    const auto asset = kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply"));
    auto& r = sharedRenderer();
    r.clear();
    r.add(asset);
    const kiln::render::SplatSort was = r.splatSort();
    const kiln::render::SplatPath wasPath = r.splatPath();
    using Path = kiln::render::SplatPath;
    using Sort = kiln::render::SplatSort;
    // Both sorts on the raster path, and the compute and host paths (which bin from the CPU sort).
    for (const auto& [path, sort] : {std::pair{Path::Raster, Sort::Cpu}, std::pair{Path::Raster, Sort::Gpu}, std::pair{Path::Compute, Sort::Cpu},
                                     std::pair{Path::Host, Sort::Cpu}}) {
        r.setSplatChoices(sort, path);
        for (float yaw : {0.0f, 120.0f, 240.0f}) {
            const auto cam = framedCamera(r.sceneBounds(), 256, 256, yaw, 15.0f);
            const auto gpu = r.renderImage(cam, 256, 256, bareView());
            EXPECT_EQ(r.lastFrameStats().splatTiles, path != Path::Raster);
            EXPECT_EQ(r.lastFrameStats().splatHost, path == Path::Host);
            const auto ref = kiln::test::renderSplatsReference(*asset.gaussians(), cam, 256, 256, glm::vec3(0.0f));
            const double p = psnr(gpu, ref);
            const std::string what = std::string(kiln::render::toString(path)) + "_" + kiln::render::toString(sort) + "_sort";
            RecordProperty("psnr_" + what + "_yaw" + std::to_string(int(yaw)), std::to_string(p));
            EXPECT_GT(p, 35.0) << what << ", yaw " << yaw;
        }
    }
    r.setSplatChoices(was, wasPath);
}

// The compute path (splats binned into 4x4 tiles, blended front to back in compute) and the host
// path (16x16 tiles drawn on the CPU, composited in compute) draw what the raster path draws: the
// splat baseline, a level-of-detail prefix, several clouds, splats in front of and behind a mesh
// (the host path hands that frame to the compute path), and a view where most splats are off
// screen or behind the camera.
class TilePaths : public ::testing::TestWithParam<kiln::render::SplatPath> {};

TEST_P(TilePaths, MatchTheRasterPathAndTheBaselines) {
    using Path = kiln::render::SplatPath;
    const Path tiled = GetParam();
    auto& r = sharedRenderer();
    const SplatChoicesRestored restore(r);
    r.setSplatChoices(kiln::render::SplatSort::Cpu, Path::Raster);
    auto both = [&](const kiln::core::Camera& cam, int w, int h, const kiln::render::ViewOptions& v) {
        r.setSplatPath(Path::Raster);
        const auto raster = r.renderImage(cam, w, h, v);
        EXPECT_FALSE(r.lastFrameStats().splatTiles);
        const std::size_t rasterSplats = r.lastFrameStats().splats;
        r.setSplatPath(tiled);
        const auto compute = r.renderImage(cam, w, h, v);
        EXPECT_TRUE(r.lastFrameStats().splatTiles);
        EXPECT_EQ(r.lastFrameStats().splatHost, tiled == Path::Host && r.lastFrameStats().triangles == 0);
        EXPECT_EQ(r.lastFrameStats().splats, rasterSplats);
        return std::pair{raster, compute};
    };
    auto expectSame = [&](const std::pair<kiln::core::Image, kiln::core::Image>& images, const char* what) {
        const kiln::test::ImageDiff d = kiln::test::diffImages(images.second, images.first);
        RecordProperty(std::string("mean_abs_") + what, std::to_string(d.meanAbs));
        EXPECT_LT(d.meanAbs, 0.5) << what << ": " << kiln::test::describe(d);  // of 255
        EXPECT_TRUE(kiln::test::withinBudget(d)) << what << ": " << kiln::test::describe(d);
    };
    const auto asset = kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply"));
    r.clear();
    r.add(asset);
    const auto cam = framedCamera(r.sceneBounds(), 200, 150, 200.0f, 25.0f);
    expectSame(both(cam, 200, 150, bareView()), "whole_cloud");
    EXPECT_GT(r.lastFrameStats().tileEntries, asset.gaussians()->size() / 2);
    kiln::render::ViewOptions lod = bareView();
    lod.maxSplats = asset.gaussians()->size() / 3;
    expectSame(both(cam, 200, 150, lod), "level_of_detail");
    EXPECT_EQ(r.lastFrameStats().splats, lod.maxSplats);
    // Inside the cloud, looking out: splats behind the camera and off screen are left out.
    const kiln::core::Bounds b = r.sceneBounds();
    const glm::vec3 mid = 0.5f * (b.min + b.max);
    expectSame(both(kiln::core::Camera::lookAt(mid, mid + glm::vec3(1, 0, 0), {0, 1, 0}, 1.0f), 120, 90, bareView()), "inside");
    // A cloud large enough to be binned on two threads (the nearer half's entries before the
    // farther half's in every tile): overlapping splats of random colours blend in depth order.
    {
        kiln::core::GaussianCloud dense;
        std::mt19937 rng(5);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (int i = 0; i < 30000; ++i)
            addSplat(dense, {u(rng) * 2.0f - 1.0f, u(rng) * 2.0f - 1.0f, u(rng) * 2.0f - 1.0f}, 0.02f + 0.05f * u(rng), 0.3f + 0.6f * u(rng),
                     {u(rng), u(rng), u(rng)});
        r.clear();
        r.add(kiln::core::Asset::fromGaussians("dense", dense));
        expectSame(both(framedCamera(r.sceneBounds(), 160, 120, 40.0f, 20.0f), 160, 120, bareView()), "two_threads");
    }
    // Two clouds, one moved and turned, blend one after the other (no mesh: the host path too).
    {
        r.clear();
        kiln::core::GaussianCloud a, b;
        std::mt19937 rng(9);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (int i = 0; i < 400; ++i) {
            addSplat(a, {u(rng) - 0.5f, u(rng) - 0.5f, u(rng) - 0.5f}, 0.05f + 0.1f * u(rng), 0.3f + 0.6f * u(rng), {u(rng), 0.2f, 0.2f});
            addSplat(b, {u(rng) - 0.5f, u(rng) - 0.5f, u(rng) - 0.5f}, 0.05f + 0.1f * u(rng), 0.3f + 0.6f * u(rng), {0.2f, u(rng), u(rng)});
        }
        r.add(kiln::core::Asset::fromGaussians("a", a));
        r.add(kiln::core::Asset::fromGaussians("b", b), glm::rotate(glm::translate(glm::mat4(1.0f), {0.3f, 0.1f, 0.4f}), 0.7f, glm::vec3(0, 1, 0)));
        expectSame(both(framedCamera(r.sceneBounds(), 128, 96, 30.0f, 15.0f), 128, 96, bareView()), "two_clouds");
    }
    // Two clouds blend one after the other, splats composite with a mesh's depth.
    r.clear();
    r.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));
    kiln::core::GaussianCloud behind, front;
    addSplat(behind, {0, 0, -2.0f}, 0.4f, 0.99f, {0, 1, 0});
    addSplat(front, {0.3f, 0.2f, 2.0f}, 0.1f, 0.9f, {1, 0, 0});
    addSplat(front, {-0.6f, -0.1f, 1.0f}, 0.3f, 0.6f, {0, 0, 1});
    r.add(kiln::core::Asset::fromGaussians("behind", behind));
    r.add(kiln::core::Asset::fromGaussians("front", front));
    const auto boxCam = kiln::core::Camera::lookAt({0, 0, 5}, {0, 0, 0}, {0, 1, 0}, 0.8f);
    const auto box = both(boxCam, 96, 96, bareView());
    expectSame(box, "mesh_composite");
    // The green splat is behind the box: nothing of it shows at the centre.
    EXPECT_LT(value(box.second, 48, 48, 1), 0.5f * value(box.second, 48, 48, 0) + 0.5f * value(box.second, 48, 48, 2) + 0.2f);
    r.clear();
    r.setSplatPath(tiled);
    expectMatchesBaseline(renderFile(testdata("splats/biker_inria_sub20.ply")), "BikerSplats");
    EXPECT_TRUE(r.lastFrameStats().splatTiles);
    EXPECT_EQ(r.lastFrameStats().splatHost, tiled == Path::Host);
    // The debug modes draw through the raster path whatever the path.
    kiln::render::ViewOptions centers;
    centers.mode = kiln::render::ShadingMode::SplatCenters;
    expectMatchesBaseline(renderFile(testdata("splats/biker_inria_sub20.ply"), centers), "Biker_centers");
    EXPECT_FALSE(r.lastFrameStats().splatTiles);
}

// The CPU depth sort, one thread and several: every index once, farthest first, and ties in index
// order (the LSD radix sort is stable), checked against std::stable_sort; a cloud above the
// threshold takes the threaded sort and gives the same order.
TEST(RenderSplats, DepthSortIsStableOnOneThreadAndMany) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> coarse(0, 400);  // few distinct depths: many ties
    for (const std::size_t n : {std::size_t(1000), kiln::render::kParallelSortSplats + 12345}) {
        std::vector<glm::vec3> positions(n);
        for (glm::vec3& p : positions) p = glm::vec3(0.01f * float(coarse(rng)), 1.0f, -0.01f * float(coarse(rng)));
        const glm::mat4 view = glm::lookAt(glm::vec3(0.3f, 0.2f, 5.0f), glm::vec3(0.0f), glm::vec3(0, 1, 0));
        std::vector<std::uint32_t> order;
        kiln::render::sortSplatsBackToFront(positions, n, view, order);
        std::vector<std::uint32_t> expected(n);
        std::iota(expected.begin(), expected.end(), 0u);
        // View-space z as the sort computes it (row 2 of the matrix), most negative first.
        const glm::vec4 row(view[0][2], view[1][2], view[2][2], view[3][2]);
        auto depth = [&](std::uint32_t i) { return row.x * positions[i].x + row.y * positions[i].y + row.z * positions[i].z + row.w; };
        std::stable_sort(expected.begin(), expected.end(), [&](std::uint32_t a, std::uint32_t b) { return depth(a) < depth(b); });
        EXPECT_EQ(order, expected) << n << " splats";
    }
}

// The host path's AVX2 kernel (an exp polynomial, eight pixels at a time) against its scalar
// loop (std::exp, one pixel at a time), which machines without AVX2 run: the same colour and
// transmittance to 1e-4 at every pixel.
TEST(RenderSplats, HostKernelsAgree) {
    const auto asset = kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply"));
    const kiln::core::GaussianCloud& cloud = *asset.gaussians();
    const std::size_t n = cloud.size();
    std::vector<std::uint32_t> lod(n), order;
    std::vector<glm::vec3> positions(cloud.positions.begin(), cloud.positions.end());
    std::vector<kiln::render::SplatShape> shapes(n);
    for (std::size_t i = 0; i < n; ++i) {
        lod[i] = std::uint32_t(i);
        shapes[i] = kiln::render::splatShape(cloud.rotations[i], cloud.logScales[i], cloud.opacityLogits[i]);
    }
    kiln::core::Bounds bounds;
    for (const glm::vec3& p : cloud.positions) bounds.extend(p);
    const int w = 240, h = 180;
    const kiln::core::Camera cam = framedCamera(bounds, w, h, 60.0f, 20.0f);
    kiln::render::HostSplatView view{cam.view(), cam.projection(float(w) / float(h)), cam.focalPixels(h), cam.position(), w, h};
    kiln::render::sortSplatsBackToFront(positions, n, view.view, order);
    const std::vector<kiln::render::HostSplatCloud> clouds = {{&cloud, lod.data(), &positions, &shapes, order.data(), n, glm::mat4(1.0f), nullptr}};
    std::vector<glm::vec4> fast(std::size_t(w) * h, glm::vec4(0, 0, 0, 1)), scalar(std::size_t(w) * h, glm::vec4(0, 0, 0, 1));
    kiln::render::HostSplatRasterizer r;
    const std::size_t entries = r.draw(clouds, view, fast.data());
    EXPECT_GT(entries, n / 2);
    kiln::render::HostSplatRasterizer::forceScalar(true);
    EXPECT_FALSE(kiln::render::HostSplatRasterizer::vectorized());
    EXPECT_EQ(r.draw(clouds, view, scalar.data()), entries);
    kiln::render::HostSplatRasterizer::forceScalar(false);
    float worst = 0.0f, covered = 0.0f;
    for (std::size_t i = 0; i < fast.size(); ++i) {
        for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(fast[i][c] - scalar[i][c]));
        covered += 1.0f - scalar[i].w;
    }
    EXPECT_GT(covered, 0.05f * float(fast.size())) << "the cloud covers part of the view";
    EXPECT_LT(worst, 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(RenderSplats, TilePaths, ::testing::Values(kiln::render::SplatPath::Compute, kiln::render::SplatPath::Host),
                         [](const auto& info) { return std::string(kiln::render::toString(info.param)); });

TEST(RenderSplats, SplatPathChoicesAndErrors) {
    using Path = kiln::render::SplatPath;
    using Sort = kiln::render::SplatSort;
    kiln::render::Renderer r;
    EXPECT_EQ(kiln::render::splatPathFromString("compute", "--splat-path"), Path::Compute);
    try {
        (void)kiln::render::splatPathFromString("tiles", "--splat-path");
        ADD_FAILURE() << "no error";
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("--splat-path \"tiles\" is not auto, raster, compute or host"), std::string::npos) << e.what();
    }
    // The compute path bins from the CPU sort's order: with the GPU sort it is an error that
    // changes nothing; with the automatic sort it sorts on the CPU.
    r.setSplatPath(Path::Raster);
    r.setSplatSort(Sort::Gpu);
    EXPECT_THROW(r.setSplatPath(Path::Compute), kiln::Error);
    EXPECT_EQ(r.splatPath(), Path::Raster);
    EXPECT_EQ(r.splatSort(), Sort::Gpu);
    r.setSplatSort(Sort::Auto);
    r.setSplatPath(Path::Compute);
    EXPECT_EQ(r.splatSort(), Sort::Cpu);
    EXPECT_THROW(r.setSplatSort(Sort::Gpu), kiln::Error);
    EXPECT_EQ(r.splatPath(), Path::Compute);
    EXPECT_THROW(r.setSplatChoices(Sort::Gpu, Path::Compute), kiln::Error);
    EXPECT_EQ(r.splatPath(), Path::Compute);
    EXPECT_EQ(r.splatSort(), Sort::Cpu);
    // The host path likewise.
    EXPECT_EQ(kiln::render::splatPathFromString("host", "--splat-path"), Path::Host);
    EXPECT_THROW(r.setSplatChoices(Sort::Gpu, Path::Host), kiln::Error);
    EXPECT_EQ(r.splatPath(), Path::Compute);
    r.setSplatPath(Path::Host);
    EXPECT_EQ(r.splatSort(), Sort::Cpu);
    EXPECT_THROW(r.setSplatSort(Sort::Gpu), kiln::Error);
    EXPECT_EQ(r.splatPath(), Path::Host);
    // Auto on a CPU device: the host path for frames without meshes; beside a mesh, the compute
    // path once a frame draws 50k splats or more.
    r.setSplatPath(Path::Auto);
    if (r.deviceName().find("llvmpipe") == std::string::npos) GTEST_SKIP() << "the automatic choice is measured on lavapipe";
    kiln::core::GaussianCloud cloud;
    cloud.resize(60000, 0);
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        cloud.positions[i] = glm::vec3(float(i % 509), float((i / 509) % 509), float(i / (509 * 509))) * 0.01f;
        cloud.logScales[i] = glm::vec3(std::log(0.004f));
        cloud.rotations[i] = glm::vec4(1, 0, 0, 0);
        cloud.opacityLogits[i] = 1.0f;
    }
    r.add(kiln::core::Asset::fromGaussians("dense", cloud));
    const auto cam = framedCamera(r.sceneBounds(), 64, 64);
    (void)r.renderImage(cam, 64, 64, bareView());
    EXPECT_TRUE(r.lastFrameStats().splatHost);
    kiln::render::ViewOptions lod = bareView();
    lod.maxSplats = 40000;
    (void)r.renderImage(cam, 64, 64, lod);
    EXPECT_TRUE(r.lastFrameStats().splatHost);
    r.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));
    (void)r.renderImage(cam, 64, 64, bareView());
    EXPECT_TRUE(r.lastFrameStats().splatTiles);
    EXPECT_FALSE(r.lastFrameStats().splatHost);
    (void)r.renderImage(cam, 64, 64, lod);  // a level of detail below the threshold
    EXPECT_FALSE(r.lastFrameStats().splatTiles);
}

TEST(RenderSplats, LevelOfDetailDrawsTheMostVisibleSplats) {
    const auto asset = kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply"));
    const kiln::core::GaussianCloud& cloud = *asset.gaussians();
    const std::size_t n = cloud.size(), k = n / 4;
    // The order: opacity x area of the largest cross-section, never increasing.
    auto importance = [&](std::size_t i) {
        glm::vec3 s = glm::exp(cloud.logScales[i]);
        const float smallest = std::min({s.x, s.y, s.z});
        return double(s.x) * s.y * s.z / smallest / (1.0 + std::exp(-double(cloud.opacityLogits[i])));
    };
    const std::vector<std::uint32_t> order = kiln::render::splatLodOrder(cloud);
    ASSERT_EQ(order.size(), n);
    for (std::size_t j = 1; j < n; ++j) ASSERT_GE(importance(order[j - 1]) * (1.0 + 1e-5), importance(order[j])) << j;
    // Drawing a prefix of k is drawing the cloud of those k splats.
    auto subset = [&](std::size_t from, std::size_t to) {
        kiln::core::GaussianCloud part;
        part.shDegree = cloud.shDegree;
        part.resize(to - from, cloud.shDegree);
        const std::size_t coeffs = std::size_t(cloud.coeffCount()) * 3;
        for (std::size_t j = from; j < to; ++j) {
            const std::size_t i = order[j], o = j - from;
            part.positions[o] = cloud.positions[i];
            part.logScales[o] = cloud.logScales[i];
            part.rotations[o] = cloud.rotations[i];
            part.opacityLogits[o] = cloud.opacityLogits[i];
            std::copy_n(cloud.sh.begin() + std::ptrdiff_t(i * coeffs), coeffs, part.sh.begin() + std::ptrdiff_t(o * coeffs));
        }
        return kiln::core::Asset::fromGaussians("part", part);
    };
    auto& r = sharedRenderer();
    r.clear();
    r.add(asset);
    const auto cam = framedCamera(r.sceneBounds(), 192, 192, 60.0f, 15.0f);
    kiln::render::ViewOptions lod = bareView();
    lod.maxSplats = k;
    const auto prefix = r.renderImage(cam, 192, 192, lod);
    EXPECT_EQ(r.lastFrameStats().splats, k);
    EXPECT_EQ(r.lastFrameStats().sceneSplats, n);
    const auto full = r.renderImage(cam, 192, 192, bareView());
    EXPECT_EQ(r.lastFrameStats().splats, n);
    EXPECT_NE(prefix.u8, full.u8);
    lod.maxSplats = n + 1;  // a limit above the cloud's size draws all of it
    EXPECT_EQ(r.renderImage(cam, 192, 192, lod).u8, full.u8);
    r.clear();
    r.add(subset(0, k));
    EXPECT_EQ(r.renderImage(cam, 192, 192, bareView()).u8, prefix.u8);
    // The most visible quarter is much nearer the whole picture than the least visible quarter.
    r.clear();
    r.add(subset(n - k, n));
    const auto bottom = r.renderImage(cam, 192, 192, bareView());
    const double topError = kiln::test::diffImages(prefix, full).meanAbs, bottomError = kiln::test::diffImages(bottom, full).meanAbs;
    RecordProperty("lod_top_quarter_error", std::to_string(topError));
    RecordProperty("lod_bottom_quarter_error", std::to_string(bottomError));
    EXPECT_LT(topError * 1.5, bottomError);
}

// The compute sort (radix sort of the depth keys after the preprocess) draws what the CPU sort
// draws: the splat baselines on both paths, a level-of-detail prefix, and a composite with a mesh.
TEST(RenderSplats, GpuSortMatchesTheBaselinesAndTheCpuSort) {
    auto& r = sharedRenderer();
    const SplatChoicesRestored restore(r);
    const auto asset = kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply"));
    r.clear();
    r.add(asset);
    const auto cam = framedCamera(r.sceneBounds(), 160, 160, 200.0f, 25.0f);
    kiln::render::ViewOptions lod = bareView();
    lod.maxSplats = asset.gaussians()->size() / 3;
    r.setSplatSort(kiln::render::SplatSort::Cpu);
    ASSERT_EQ(r.splatSort(), kiln::render::SplatSort::Cpu);
    const auto cpu = r.renderImage(cam, 160, 160, bareView()), cpuLod = r.renderImage(cam, 160, 160, lod);
    r.setSplatSort(kiln::render::SplatSort::Gpu);
    ASSERT_EQ(r.splatSort(), kiln::render::SplatSort::Gpu);
    const auto gpu = r.renderImage(cam, 160, 160, bareView()), gpuLod = r.renderImage(cam, 160, 160, lod);
    for (const auto& [a, b, what] : {std::tuple{&gpu, &cpu, "whole cloud"}, std::tuple{&gpuLod, &cpuLod, "level of detail"}}) {
        const kiln::test::ImageDiff d = kiln::test::diffImages(*a, *b);
        EXPECT_LT(d.meanAbs, 0.05) << what << ": " << kiln::test::describe(d);
        EXPECT_TRUE(kiln::test::withinBudget(d)) << what;
    }
    EXPECT_EQ(r.lastFrameStats().splats, lod.maxSplats);
    expectMatchesBaseline(renderFile(testdata("splats/biker_inria_sub20.ply")), "BikerSplats");
    r.clear();
    r.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));
    kiln::core::GaussianCloud behind;
    addSplat(behind, {0, 0, -2.0f}, 0.4f, 0.99f, {0, 1, 0});
    addSplat(behind, {0.3f, 0.2f, 2.0f}, 0.1f, 0.9f, {1, 0, 0});
    r.add(kiln::core::Asset::fromGaussians("two", behind));
    const auto boxCam = kiln::core::Camera::lookAt({0, 0, 5}, {0, 0, 0}, {0, 1, 0}, 0.8f);
    const auto gpuBox = r.renderImage(boxCam, 96, 96, bareView());
    r.setSplatSort(kiln::render::SplatSort::Cpu);
    EXPECT_EQ(gpuBox.u8, r.renderImage(boxCam, 96, 96, bareView()).u8);
}

TEST(RenderComposite, SplatsRespectMeshDepth) {
    auto& r = sharedRenderer();
    r.clear();
    r.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));  // unit cube at the origin
    kiln::core::GaussianCloud behind, front;
    addSplat(behind, {0, 0, -2.0f}, 0.4f, 0.99f, {0, 1, 0});
    addSplat(front, {0, 0, 2.0f}, 0.1f, 0.99f, {0, 1, 0});
    const auto cam = kiln::core::Camera::lookAt({0, 0, 5}, {0, 0, 0}, {0, 1, 0}, 0.8f);
    const auto behindId = r.add(kiln::core::Asset::fromGaussians("behind", behind));
    const auto boxOnly = r.renderImage(cam, 96, 96, bareView());
    EXPECT_LT(value(boxOnly, 48, 48, 1) - value(boxOnly, 48, 48, 0), 0.3f) << "green splat behind the box must be hidden";
    r.remove(behindId);
    r.add(kiln::core::Asset::fromGaussians("front", front));
    const auto withFront = r.renderImage(cam, 96, 96, bareView());
    EXPECT_GT(value(withFront, 48, 48, 1), 0.9f);
    EXPECT_LT(value(withFront, 48, 48, 0), 0.1f);
}

TEST(RenderComposite, FieldStopsAtMeshDepth) {
    auto& r = sharedRenderer();
    r.clear();
    r.addField(kiln::core::makeDemoField(32));
    const auto cam = kiln::core::Camera::lookAt({0, 0, 4}, {0, 0, 0}, {0, 1, 0}, 0.8f);
    const auto fieldOnly = r.renderImage(cam, 96, 96, bareView());
    EXPECT_GT(value(fieldOnly, 48, 48, 0) + value(fieldOnly, 48, 48, 1) + value(fieldOnly, 48, 48, 2), 0.5f);
    // A box in front of the field (scaled 0.4, at z = 1.5) hides the field in the centre.
    glm::mat4 xf(0.4f);
    xf[3] = glm::vec4(0, 0, 1.5f, 1);
    r.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")), xf);
    kiln::render::ViewOptions unlit = bareView();
    unlit.mode = kiln::render::ShadingMode::Normals;  // box front face shows (0.5, 0.5, 1.0)
    const auto occluded = r.renderImage(cam, 96, 96, unlit);
    EXPECT_NEAR(value(occluded, 48, 48, 0), 0.5f, 0.02f);
    EXPECT_NEAR(value(occluded, 48, 48, 2), 1.0f, 0.02f);
}

TEST(RenderApi, SceneAndViewDrawWhatTheConveniencesDraw) {
    auto& r = sharedRenderer();
    r.clear();
    kiln::render::Scene& scene = r.scene();
    const auto id = scene.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));
    const kiln::render::View view{framedCamera(scene.bounds(), 96, 72), 96, 72, bareView()};
    const auto viaView = r.renderImage(view);
    EXPECT_EQ(viaView.u8, r.renderImage(view.camera, view.width, view.height, view.options).u8);
    scene.setVisible(id, false);
    EXPECT_FALSE(scene.bounds().valid);
    EXPECT_FALSE(r.sceneBounds().valid);
    EXPECT_NE(r.renderImage(view).u8, viaView.u8);
    EXPECT_THROW(scene.setTransform(id + 1000, glm::mat4(1.0f)), kiln::Error);
    EXPECT_THROW((void)r.renderImage(kiln::render::View{view.camera, 0, 72, {}}), kiln::Error);
}

// FrameStats::gpuMs comes from the frame's own timestamps: a frame's GPU time is positive and
// within its wall time, and a frame with far more to draw takes longer on the GPU. Each side is
// the fastest of several frames: ctest runs other tests beside this one, and a busy core only ever
// makes a frame slower (CI once saw an 8 ms 64x48 box frame beside a 7 ms 640x480 splat frame).
TEST(RenderApi, FrameStatsHoldTheFramesGpuTime) {
    auto& r = sharedRenderer();
    r.clear();
    r.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));
    const kiln::core::Camera camera = framedCamera(r.sceneBounds(), 64, 48);
    // The first frame of each size is not counted: lavapipe compiles shader variants during a
    // pipeline's first draw.
    constexpr int kFrames = 6;
    r.renderFrame(camera, 64, 48, bareView());
    double small = std::numeric_limits<double>::infinity();
    for (int i = 0; i < kFrames; ++i) {
        r.renderFrame(camera, 64, 48, bareView());
        const kiln::render::FrameStats stats = r.lastFrameStats();
        EXPECT_GT(stats.gpuMs, 0.0);
        EXPECT_LE(stats.gpuMs, stats.cpuMs);
        small = std::min(small, stats.gpuMs);
    }
    r.clear();
    // A mesh, so the frame keeps its samples (a CPU device draws a frame without meshes single-
    // sampled, and a host-path splat frame is mostly CPU time).
    r.add(kiln::io::loadAsset(testdata("gltf/Duck/Duck.glb")));
    kiln::render::ViewOptions options = bareView();
    options.msaaSamples = 4;
    const kiln::core::Camera wide = framedCamera(r.sceneBounds(), 640, 480);
    r.renderFrame(wide, 640, 480, options);
    double large = std::numeric_limits<double>::infinity();
    for (int i = 0; i < kFrames; ++i) {
        r.renderFrame(wide, 640, 480, options);
        const kiln::render::FrameStats stats = r.lastFrameStats();
        EXPECT_LE(stats.gpuMs, stats.cpuMs);
        large = std::min(large, stats.gpuMs);
    }
    EXPECT_GT(large, 2.0 * small) << "the duck at 640x480 MSAA 4 vs a 64x48 box, fastest of " << kFrames;
}

// On a CPU device a frame without meshes draws its scene pass single-sampled and its grid as
// smooth lines: four samples would only smooth the grid, for a clear and a resolve of four times
// the pixels (13 ms of a 66 ms biker frame at 1280x720 on lavapipe). The grid looks as it does
// with them: the same frame with a mesh too small to see keeps its four samples, and the two
// differ by a fifth of what leaving the grid out does. (Smooth lines fall off a little wider than
// four samples' coverage: mean error 1.43/255 over a view that is grid nearly everywhere, none of
// it off by more than 24/255; without the grid 7.7/255.)
TEST(RenderApi, AFrameWithoutMeshesOnACpuDeviceSmoothsItsGridWithoutSamples) {
    auto& r = sharedRenderer();
    if (r.deviceName().find("llvmpipe") == std::string::npos) GTEST_SKIP() << "not a CPU device: " << r.deviceName();
    // The splats by quads in both frames (the host path would leave the frame with the mesh for
    // the compute path), so the images differ by their grid only.
    const SplatChoicesRestored restore(r);
    r.setSplatChoices(kiln::render::SplatSort::Cpu, kiln::render::SplatPath::Raster);
    r.clear();
    r.add(kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply")));
    kiln::render::ViewOptions options;
    options.axisGizmo = false;
    options.msaaSamples = 4;
    const int w = 320, h = 240;
    const kiln::core::Camera camera = framedCamera(r.sceneBounds(), w, h);
    const kiln::core::Image smooth = r.renderImage(camera, w, h, options);
    EXPECT_EQ(r.lastFrameStats().samples, 1);
    const glm::vec3 centre = r.sceneBounds().center();
    const auto box = r.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));
    r.scene().setTransform(box, glm::scale(glm::translate(glm::mat4(1.0f), centre), glm::vec3(1e-4f)));
    const kiln::core::Image multisampled = r.renderImage(camera, w, h, options);
    EXPECT_EQ(r.lastFrameStats().samples, 4);
    const auto d = kiln::test::diffImages(smooth, multisampled);
    EXPECT_LT(d.meanAbs, 2.5) << kiln::test::describe(d);
    EXPECT_LT(d.badFraction, kiln::test::kMaxBadFraction) << kiln::test::describe(d);
    // And the grid is drawn: without it the image is further from the multisampled one.
    options.grid = false;
    r.scene().setVisible(box, false);
    const auto bare = kiln::test::diffImages(r.renderImage(camera, w, h, options), multisampled);
    EXPECT_GT(bare.meanAbs, 3.0 * d.meanAbs) << kiln::test::describe(bare) << " vs " << kiln::test::describe(d);
}

TEST(RenderValidation, NoValidationMessagesForEveryFeature) {
    kiln::render::RendererOptions options;
    options.validation = kiln::render::Validation::On;
    kiln::render::Renderer r(options);
    r.add(kiln::io::loadAsset(testdata("gltf/Duck/Duck.glb")));
    r.add(kiln::io::loadAsset(testdata("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf")));
    r.add(kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply")));
    r.addField(kiln::core::makeDemoField(16));
    for (auto mode : {kiln::render::ShadingMode::Lit, kiln::render::ShadingMode::Wireframe, kiln::render::ShadingMode::SplatCenters}) {
        kiln::render::ViewOptions v;
        v.mode = mode;
        for (int msaa : {1, 4}) {
            v.msaaSamples = msaa;
            (void)r.renderImage(framedCamera(r.sceneBounds(), 160, 120), 160, 120, v);
        }
    }
    // Both splat sorts and the compute path, and a level-of-detail prefix on each.
    for (auto sort : {kiln::render::SplatSort::Gpu, kiln::render::SplatSort::Cpu, kiln::render::SplatSort::Auto}) {
        r.setSplatChoices(sort, sort == kiln::render::SplatSort::Auto ? kiln::render::SplatPath::Compute : kiln::render::SplatPath::Raster);
        kiln::render::ViewOptions v;
        if (sort == kiln::render::SplatSort::Auto) {
            v.msaaSamples = 1;  // the compute path after a single-sample scene pass too
            (void)r.renderImage(framedCamera(r.sceneBounds(), 160, 120), 160, 120, v);
            v.msaaSamples = 4;
        }
        (void)r.renderImage(framedCamera(r.sceneBounds(), 160, 120), 160, 120, v);
        v.maxSplats = 1000;
        (void)r.renderImage(framedCamera(r.sceneBounds(), 160, 120), 160, 120, v);
    }
    // The host path: a frame of splats alone (with the field), at MSAA 1 and 4.
    r.clear();
    r.add(kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply")));
    r.addField(kiln::core::makeDemoField(16));
    r.setSplatChoices(kiln::render::SplatSort::Cpu, kiln::render::SplatPath::Host);
    for (int msaa : {1, 4}) {
        kiln::render::ViewOptions v;
        v.msaaSamples = msaa;
        (void)r.renderImage(framedCamera(r.sceneBounds(), 160, 120), 160, 120, v);
        EXPECT_TRUE(r.lastFrameStats().splatHost);
    }
    const auto messages = r.validationMessages();
    for (const auto& m : messages) ADD_FAILURE() << m;
    EXPECT_TRUE(messages.empty());
}

TEST(RenderErrors, BadSizesAndModesAreClearErrors) {
    auto& r = sharedRenderer();
    EXPECT_THROW((void)r.renderImage(kiln::core::Camera{}, 0, 10), kiln::Error);
    EXPECT_THROW((void)r.renderImage(kiln::core::Camera{}, 10, 100000), kiln::Error);
    EXPECT_THROW((void)kiln::render::shadingModeFromString("shiny"), kiln::Error);
}
