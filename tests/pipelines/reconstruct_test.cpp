// Views -> 3D end to end: views of BoxTextured rendered by Kiln's own renderer are written as a
// NeRF-Synthetic style dataset, reconstructed as splats (and a mesh), and scored on held-out views.
#include "test_util.h"

#include "core/error.h"
#include "geometry/mesh_cleanup.h"
#include "io/asset_io.h"
#include "io/image_io.h"
#include "pipelines/reconstruct.h"
#include "render/renderer.h"
#include "render/views.h"

#include <glm/gtc/type_ptr.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <numbers>

namespace fs = std::filesystem;
using kiln::test::scratchDir;
using kiln::test::testdata;

namespace {

// Writes `count` unlit RGBA views around the asset (transparent background) + transforms.json.
fs::path writeDataset(const fs::path& dir, const fs::path& asset, int count, int size) {
    kiln::render::RendererOptions ro;
    ro.validation = kiln::render::Validation::Off;
    kiln::render::Renderer renderer(ro);
    renderer.add(kiln::io::loadAsset(asset));
    kiln::render::ViewOptions view;
    view.mode = kiln::render::ShadingMode::Unlit;
    view.grid = false;
    view.axisGizmo = false;
    view.background = glm::vec4(0.0f);
    view.msaaSamples = 4;
    nlohmann::json frames = nlohmann::json::array();
    float fov = 0.0f;
    for (int ring = 0; ring < 2; ++ring) {
        const auto cams = kiln::render::orbitViews(renderer.sceneBounds(), count / 2, ring == 0 ? 0.35f : -0.25f, 1.0f, ring * 0.4f, 0.7f);
        for (std::size_t i = 0; i < cams.size(); ++i) {
            const std::string name = "r_" + std::to_string(ring) + "_" + std::to_string(i);
            kiln::io::writeImage(renderer.renderImage(cams[i], size, size, view), dir / (name + ".png"));
            nlohmann::json m = nlohmann::json::array();
            for (int r = 0; r < 4; ++r) m.push_back({cams[i].cameraToWorld[0][r], cams[i].cameraToWorld[1][r], cams[i].cameraToWorld[2][r], cams[i].cameraToWorld[3][r]});
            frames.push_back({{"file_path", "./" + name}, {"transform_matrix", m}});
            fov = cams[i].fovY;
        }
    }
    std::ofstream(dir / "transforms.json") << nlohmann::json{{"camera_angle_x", fov}, {"frames", frames}}.dump(1);
    return dir / "transforms.json";
}

} // namespace

TEST(Reconstruct, ShortFitOnBoxTexturedViewsReachesPsnrAndGivesAMesh) {
    const fs::path dir = scratchDir();
    const fs::path transforms = writeDataset(dir, testdata("gltf/BoxTextured/BoxTextured.glb"), 32, 64);
    kiln::pipelines::ReconstructOptions o;
    o.iterations = 400;
    o.resolution = 64;
    o.holdoutEvery = 8;
    o.mesh = true;
    o.meshResolution = 48;
    o.whiteBackground = false;
    kiln::core::Progress progress;
    kiln::core::CancelToken cancel;
    const auto r = kiln::pipelines::reconstruct(transforms, o, progress, cancel);
    RecordProperty("heldout_psnr", std::to_string(r.testPsnr));
    RecordProperty("seconds", std::to_string(r.seconds));
    EXPECT_EQ(r.testViews, 4);
    EXPECT_EQ(r.trainViews, 28);
    EXPECT_GT(r.testPsnr, 22.0) << "held-out PSNR after " << o.iterations << " iterations";
    ASSERT_EQ(r.assets.size(), 2u);
    ASSERT_NE(r.assets[0].gaussians(), nullptr);
    ASSERT_NE(r.assets[1].mesh(), nullptr);
    // The box is a cube of side 1: the extracted surface is a piece of about that size.
    const auto report = kiln::geometry::analyse(*r.assets[1].mesh());
    RecordProperty("mesh_boundary_edges", std::to_string(report.boundaryEdges));
    EXPECT_GT(report.triangles, 100u);
    const auto b = kiln::core::computeBounds(*r.assets[1].mesh());
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(b.size()[k], 1.0f, 0.2f);
    // The result loads in the renderer and saves as splats.
    kiln::io::saveAsset(r.assets[0], dir / "box.spz");
    EXPECT_GT(fs::file_size(dir / "box.spz"), 1000u);
}

TEST(Reconstruct, CancelStopsTheFit) {
    const fs::path dir = scratchDir();
    const fs::path transforms = writeDataset(dir, testdata("gltf/Box/Box.glb"), 8, 32);
    kiln::pipelines::ReconstructOptions o;
    o.iterations = 100000;
    o.resolution = 32;
    kiln::core::CancelToken cancel;
    int reports = 0;  // the fit reports every 100 iterations
    kiln::core::Progress progress([&](const kiln::core::ProgressUpdate& u) {
        if (!u.preview && u.fraction > 0.02f && ++reports == 1) cancel.cancel();
    });
    EXPECT_THROW(kiln::pipelines::reconstruct(transforms, o, progress, cancel), kiln::Cancelled);
}

TEST(Reconstruct, BadOptionsAndInputsAreClearErrors) {
    const fs::path dir = scratchDir();
    kiln::core::Progress progress;
    kiln::core::CancelToken cancel;
    kiln::pipelines::ReconstructOptions o;
    o.representation = "voxels";
    EXPECT_THROW(kiln::pipelines::reconstruct(dir, o, progress, cancel), kiln::Error);
    o = {};
    o.iterations = 0;
    EXPECT_THROW(kiln::pipelines::reconstruct(dir, o, progress, cancel), kiln::Error);
    o = {};
    try {
        (void)kiln::pipelines::reconstruct(dir / "missing" / "transforms.json", o, progress, cancel);
        FAIL();
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("transforms.json"), std::string::npos) << e.what();
    }
    // A dataset whose image is missing names the image.
    std::ofstream(dir / "transforms.json") << R"({"camera_angle_x": 0.7, "frames": [{"file_path": "./gone", "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]})";
    try {
        (void)kiln::pipelines::reconstruct(dir / "transforms.json", o, progress, cancel);
        FAIL();
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("gone"), std::string::npos) << e.what();
    }
}
