#include "pipelines/reconstruct.h"

#include "core/error.h"
#include "geometry/decimate.h"
#include "geometry/mesh_cleanup.h"
#include "geometry/tsdf.h"
#include "io/posed_images.h"
#include "optimize/splat_fitter.h"
#include "optimize/splat_raster.h"

#include <glm/geometric.hpp>
#include <glm/matrix.hpp>
#include <glm/gtc/type_ptr.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace kiln::pipelines {

namespace {

// Expected depth of the splats along each pixel (colour channel = view depth, normalised by the
// accumulated opacity) and their colour, for TSDF fusion. Pixels with opacity < 0.5 have no depth.
void renderDepthAndColor(const core::GaussianCloud& cloud, const optimize::RasterCamera& cam, core::Image& depth, core::Image& color) {
    core::GaussianCloud depthCloud;
    depthCloud.resize(cloud.size(), 0);
    depthCloud.positions = cloud.positions;
    depthCloud.logScales = cloud.logScales;
    depthCloud.rotations = cloud.rotations;
    depthCloud.opacityLogits = cloud.opacityLogits;
    const glm::mat4 view = glm::make_mat4(cam.view);
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float d = -(view * glm::vec4(cloud.positions[i], 1.0f)).z;
        for (int c = 0; c < 3; ++c) depthCloud.sh[i * 3 + std::size_t(c)] = ((c == 0 ? d : 1.0f) - 0.5f) / core::kShC0;
    }
    const std::vector<float> dz = optimize::renderCloud(depthCloud, cam, glm::vec3(0.0f));
    const std::vector<float> rgb = optimize::renderCloud(cloud, cam, glm::vec3(0.0f));
    depth = core::Image::makeF32(cam.width, cam.height, 1);
    color = core::Image::makeU8(cam.width, cam.height, 3);
    for (std::size_t p = 0; p < depth.pixelCount(); ++p) {
        const float alpha = dz[p * 3 + 1];
        depth.f32[p] = alpha > 0.5f ? dz[p * 3] / alpha : 0.0f;
        for (int c = 0; c < 3; ++c)
            color.u8[p * 3 + std::size_t(c)] = std::uint8_t(std::clamp(rgb[p * 3 + std::size_t(c)] / std::max(alpha, 1e-3f), 0.0f, 1.0f) * 255.0f + 0.5f);
    }
}

} // namespace

ReconstructResult reconstruct(const std::filesystem::path& input, const ReconstructOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    if (o.representation != "splats")
        throw Error("--representation '" + o.representation + "' is not available: Kiln fits 'splats' (radiance-field fitting is not built yet)");
    if (o.iterations < 1 || o.iterations > 1000000) throw Error("--iterations must be between 1 and 1000000");
    if (o.resolution < 16 || o.resolution > 4096) throw Error("--resolution must be between 16 and 4096");
    const auto t0 = std::chrono::steady_clock::now();
    progress.report("loading views", 0.0f);
    io::LoadOptions load;
    load.maxSize = o.resolution;
    const io::PosedImageSet set = io::loadPosedImages(input, load);
    cancel.throwIfCancelled();

    ReconstructResult result;
    result.notes = set.notes;
    std::vector<optimize::TrainView> train, test;
    for (std::size_t i = 0; i < set.images.size(); ++i) {
        const io::PosedImage& v = set.images[i];
        optimize::TrainView tv{v.image, optimize::makeRasterCamera(v.camera, v.image.width, v.image.height, v.fx, v.fy, v.cx, v.cy)};
        tv.camera.znear = 0.01f;
        (o.holdoutEvery > 0 && int(i) % o.holdoutEvery == o.holdoutEvery - 1 ? test : train).push_back(std::move(tv));
    }
    if (train.empty()) throw Error(input.string() + ": no views left to train on");
    result.trainViews = int(train.size());
    result.testViews = int(test.size());

    optimize::SplatFitOptions fit;
    fit.iterations = o.iterations;
    fit.seed = o.seed;
    fit.background = o.whiteBackground ? glm::vec3(1.0f) : glm::vec3(0.0f);
    fit.shDegreeInterval = std::max(1, o.iterations / 6);
    fit.densifyFrom = std::min(500, o.iterations / 6);
    fit.opacityResetInterval = std::max(1000, o.iterations / 3);
    if (!set.points.empty()) {
        fit.initPoints = set.points;
        fit.initColors = set.pointColors;
    } else {
        // No sparse points: random points in the region the cameras look at (around the point
        // closest to all optical axes), carved to the silhouettes when the views have alpha.
        // The point closest to every optical axis, in least squares: sum_i (I - d_i d_i^T)(p - c_i) = 0.
        glm::mat3 a(0.0f);
        glm::vec3 b(0.0f);
        for (const auto& v : set.images) {
            const glm::vec3 d = v.camera.forward();
            const glm::mat3 proj = glm::mat3(1.0f) - glm::outerProduct(d, d);
            a += proj;
            b += proj * v.camera.position();
        }
        glm::vec3 centre(0.0f);
        for (const auto& v : set.images) centre += v.camera.position();
        centre /= float(set.images.size());
        if (std::abs(glm::determinant(a)) > 1e-6f) centre = glm::inverse(a) * b;  // else the cameras are parallel
        float radius = 0.0f;
        for (const auto& v : set.images) radius += glm::distance(v.camera.position(), centre) / float(set.images.size());
        const float half = 0.45f * radius;
        fit.initBounds.extend(centre - glm::vec3(half));
        fit.initBounds.extend(centre + glm::vec3(half));
        fit.initialCount = 100000;
    }
    // The fit's progress is the first 85 % (90 % without a mesh) of the job.
    const float fitShare = o.mesh ? 0.85f : 0.97f;
    core::Progress fitProgress([&](const core::ProgressUpdate& u) {
        if (u.preview) progress.preview(*u.preview);
        else progress.report(u.stage, 0.02f + fitShare * u.fraction);
    });
    optimize::SplatFitResult fitted = optimize::fitSplats(train, fit, fitProgress, cancel);
    result.trainCurve = fitted.trainPsnr;
    result.splats = int(fitted.cloud.size());

    if (!test.empty()) {
        progress.report("scoring held-out views", 0.02f + fitShare);
        for (const auto& v : test) {
            const std::vector<float> img = optimize::renderCloud(fitted.cloud, v.camera, fit.background);
            const std::vector<float> target = optimize::targetPixels(v.image, fit.background);
            result.testPsnr += optimize::psnr(img, target);
            result.testSsim += optimize::ssim(img, target, v.camera.width, v.camera.height);
        }
        result.testPsnr /= double(test.size());
        result.testSsim /= double(test.size());
    }
    core::Provenance prov;
    prov.source = "reconstruct";
    prov.sourcePath = std::filesystem::absolute(input).string();
    prov.seed = o.seed;
    prov.model = "3dgs-cpu";
    prov.options = "{\"iterations\": " + std::to_string(o.iterations) + ", \"resolution\": " + std::to_string(o.resolution) + "}";
    prov.createdAt = core::utcNowIso8601();
    result.assets.push_back(core::Asset::fromGaussians(input.stem().string() + "_splats", fitted.cloud, prov));

    if (o.mesh) {
        cancel.throwIfCancelled();
        progress.report("fusing depth (TSDF)", 0.9f);
        const core::Bounds b = core::computeBounds(fitted.cloud);
        core::Bounds padded;
        padded.extend(b.min - 0.05f * b.size());
        padded.extend(b.max + 0.05f * b.size());
        const float voxel = std::max({padded.size().x, padded.size().y, padded.size().z}) / float(o.meshResolution);
        geometry::TsdfVolume tsdf(padded, o.meshResolution, 4.0f * voxel);
        for (const auto& v : set.images) {
            cancel.throwIfCancelled();
            optimize::RasterCamera cam = optimize::makeRasterCamera(v.camera, v.image.width, v.image.height, v.fx, v.fy, v.cx, v.cy);
            core::Image depth, color;
            renderDepthAndColor(fitted.cloud, cam, depth, color);
            tsdf.integrate(depth, color, v.camera, v.fx, v.fy, v.cx, v.cy);
        }
        progress.report("extracting mesh", 0.95f);
        core::Mesh mesh = geometry::cleanupMesh(tsdf.extractMesh());
        if (mesh.triangleCount() > o.meshFaces) mesh = geometry::decimate(mesh, o.meshFaces);
        if (mesh.empty()) throw Error(input.string() + ": the fitted splats gave no surface to extract");
        core::Provenance meshProv = prov;
        meshProv.source = "reconstruct:mesh";
        result.assets.push_back(core::Asset::fromMesh(input.stem().string() + "_mesh", std::move(mesh), meshProv));
    }
    progress.report("done", 1.0f);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

} // namespace kiln::pipelines
