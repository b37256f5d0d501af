#include "pipelines/reconstruct.h"

#include "core/error.h"
#include "geometry/decimate.h"
#include "geometry/marching_cubes.h"
#include "geometry/mesh_cleanup.h"
#include "io/posed_images.h"
#include "models/matting.h"
#include "models/packs.h"
#include "optimize/field_fitter.h"
#include "optimize/splat_fitter.h"
#include "optimize/splat_raster.h"
#include "pipelines/object_bound.h"
#include "pipelines/pose_photos.h"
#include "pipelines/splat_mesh.h"

#include <glm/geometric.hpp>
#include <glm/vector_relational.hpp>
#include <nlohmann/json.hpp>
#include <glm/matrix.hpp>
#include <glm/gtc/type_ptr.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace kiln::pipelines {

namespace {

// Scores a view set: mean PSNR and SSIM of renders against the targets over `background`.
template <class RenderFn>
std::pair<double, double> scoreViews(const std::vector<optimize::TrainView>& views, glm::vec3 background, RenderFn&& render) {
    double p = 0.0, q = 0.0;
    for (const auto& v : views) {
        const std::vector<float> img = render(v.camera);
        const std::vector<float> target = optimize::targetPixels(v.image, background);
        p += optimize::psnr(img, target);
        q += optimize::ssim(img, target, v.camera.width, v.camera.height);
    }
    return {p / double(views.size()), q / double(views.size())};
}

// The radiance-field branch of reconstruct(): fit, score, bake, optionally mesh.
// Where a reconstructed asset came from: the input, the fitter and the options that shaped it.
// "up" and, for photos Kiln posed itself, "poses" (the COLMAP model) let a viewer look through
// the input cameras in the result's (Y-up) frame.
core::Provenance provenance(const std::filesystem::path& input, const std::filesystem::path& poses, const ReconstructOptions& o, std::string source,
                            std::string model) {
    core::Provenance prov;
    prov.source = std::move(source);
    prov.sourcePath = std::filesystem::absolute(input).string();
    prov.seed = o.seed;
    prov.model = std::move(model);
    nlohmann::ordered_json options = {{"iterations", o.iterations}, {"resolution", o.resolution}, {"up", io::upName(o.up)}};
    if (poses != input) options["poses"] = std::filesystem::absolute(poses).generic_string();
    prov.options = options.dump();
    prov.createdAt = core::utcNowIso8601();
    return prov;
}

void reconstructField(const std::filesystem::path& input, const std::filesystem::path& poses, const ReconstructOptions& o,
                      const std::vector<optimize::TrainView>& train, const std::vector<optimize::TrainView>& test, core::Progress& progress,
                      const core::CancelToken& cancel, ReconstructResult& result) {
    optimize::FieldFitOptions fit;
    fit.iterations = o.iterations;
    fit.seed = o.seed;
    fit.raysPerBatch = o.fieldRays;
    fit.background = o.whiteBackground ? glm::vec3(1.0f) : glm::vec3(0.0f);
    fit.warmupIterations = std::min(100, std::max(1, o.iterations / 10));
    fit.occupancyWarmup = std::min(256, std::max(1, o.iterations / 8));
    const float fitShare = o.mesh ? 0.8f : 0.9f;
    // Held-out PSNR at five checkpoints (first two test views, to keep it cheap) for the curve.
    if (!test.empty()) {
        fit.checkpointInterval = std::max(1, o.iterations / 5);
        fit.onCheckpoint = [&](int it, const optimize::FieldModel& model) {
            if (it == o.iterations) return;  // scored in full below
            const std::vector<optimize::TrainView> probe(test.begin(), test.begin() + std::ptrdiff_t(std::min<std::size_t>(2, test.size())));
            progress.report("scoring held-out views", 0.02f + fitShare * float(it) / float(o.iterations));
            result.testCurve.emplace_back(it, scoreViews(probe, fit.background, [&](const optimize::RasterCamera& c) { return model.render(c, fit.background, &cancel); }).first);
        };
    }
    core::Progress fitProgress([&](const core::ProgressUpdate& u) {
        if (u.preview) progress.preview(*u.preview);
        else progress.report(u.stage, 0.02f + fitShare * u.fraction);
    });
    const optimize::FieldFitResult fitted = optimize::fitField(train, fit, fitProgress, cancel);
    result.trainCurve = fitted.trainPsnr;
    result.notes.push_back("radiance field: " + std::to_string(int(fitted.samplesPerRay + 0.5)) + " samples per ray at the end, " +
                           std::to_string(int(fitted.occupiedFraction * 1000.0) / 10.0).substr(0, 4) + " % of the occupancy grid occupied");
    if (!test.empty()) {
        progress.report("scoring held-out views", 0.02f + fitShare);
        std::tie(result.testPsnr, result.testSsim) =
            scoreViews(test, fit.background, [&](const optimize::RasterCamera& c) { return fitted.model->render(c, fit.background, &cancel); });
        result.testCurve.emplace_back(o.iterations, result.testPsnr);
    }
    progress.report("baking radiance field", 0.04f + fitShare);
    result.field = fitted.model->bake(o.fieldResolution, &cancel);

    if (o.mesh) {
        progress.report("extracting mesh (marching cubes)", 0.9f);
        const core::Bounds ob = fitted.model->occupiedBounds();
        const float step = std::max({ob.size().x, ob.size().y, ob.size().z}) / float(o.meshResolution - 1);
        const glm::ivec3 dims = glm::max(glm::ivec3(2), glm::ivec3(glm::ceil(ob.size() / step)) + 1);
        core::Bounds grid;
        grid.extend(ob.min);
        grid.extend(ob.min + glm::vec3(dims - 1) * step);
        std::vector<float> density;
        std::vector<glm::vec3> color;
        fitted.model->sampleCorners(grid, dims, density, color, &cancel);
        cancel.throwIfCancelled();
        core::Mesh mesh = geometry::cleanupMesh(geometry::marchingCubes(density, dims, grid, fitted.model->surfaceDensity(), &color, geometry::IsoSide::Above));
        if (mesh.triangleCount() > o.meshFaces) mesh = geometry::decimate(mesh, o.meshFaces);
        if (mesh.empty()) throw Error(input.string() + ": the fitted radiance field gave no surface to extract");
        result.assets.push_back(core::Asset::fromMesh(input.stem().string() + "_mesh", std::move(mesh),
                                                      provenance(input, poses, o, "reconstruct:mesh", "field-triplane-cpu")));
    }
}

// Gives every view without alpha a matte (models/matting.h), then drops the sparse points that
// most views in which they are in frame see as background.
void matteViews(io::PosedImageSet& set, const std::string& method, core::Progress& progress, const core::CancelToken& cancel,
                std::vector<std::string>& notes) {
    const auto t0 = std::chrono::steady_clock::now();
    std::string used = method;
    const auto pack = models::installedPack("isnet");
    if (used == "auto") used = pack ? "isnet" : "grabcut";
    if (used == "isnet" && !pack) throw Error("--matte isnet: the IS-Net pack is not installed (kiln models install isnet)");
    std::unique_ptr<models::IsNetMatting> net;
    if (used == "isnet") {
        // The views are already at the fitting resolution: the network runs at about their size
        // (a multiple of 32, 256 to 512 px; 512 px costs ~1.4 s a view on 2 cores, 256 px ~0.3 s).
        int side = 0;
        for (const auto& v : set.images) side = std::max({side, v.image.width, v.image.height});
        net = std::make_unique<models::IsNetMatting>(*pack, std::clamp((side + 31) / 32 * 32, 256, 512));
    }
    int matted = 0;
    std::vector<core::Image> alphas(set.images.size());
    for (std::size_t i = 0; i < set.images.size(); ++i) {
        cancel.throwIfCancelled();
        core::Image& img = set.images[i].image;
        if (img.channels == 4) continue;  // the view's own alpha wins
        progress.report("removing backgrounds (" + used + ") " + std::to_string(i + 1) + "/" + std::to_string(set.images.size()),
                        0.01f * float(i) / float(set.images.size()));
        alphas[i] = net ? net->run(img) : models::grabCutAlpha(img);
        img = models::applyMatte(img, alphas[i]);
        ++matted;
    }
    if (matted == 0) return;
    // Sparse points: keep those inside the matte in at least half the views that frame them.
    if (!set.points.empty()) {
        std::vector<glm::vec3> keptPoints, keptColors;
        for (std::size_t p = 0; p < set.points.size(); ++p) {
            int framed = 0, inside = 0;
            for (const auto& v : set.images) {
                const glm::vec3 c = glm::vec3(glm::inverse(v.camera.cameraToWorld) * glm::vec4(set.points[p], 1.0f));
                if (c.z >= -1e-4f) continue;
                const float u = v.fx * c.x / -c.z + v.cx, w = -v.fy * c.y / -c.z + v.cy;
                const int x = int(u), y = int(w);
                if (u < 0 || w < 0 || x >= v.image.width || y >= v.image.height) continue;
                ++framed;
                inside += v.image.at(x, y, 3) >= 0.5f;
            }
            if (framed > 0 && 2 * inside >= framed) {
                keptPoints.push_back(set.points[p]);
                if (!set.pointColors.empty()) keptColors.push_back(set.pointColors[p]);
            }
        }
        notes.push_back("background removal kept " + std::to_string(keptPoints.size()) + " of " + std::to_string(set.points.size()) + " sparse points");
        set.points = std::move(keptPoints);
        set.pointColors = std::move(keptColors);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char line[200];
    std::snprintf(line, sizeof line, "backgrounds removed from %d views by %s (%.1f s, %.2f s per view)", matted,
                  used == "isnet" ? ("IS-Net at " + std::to_string(net->resolution()) + " px").c_str() : "GrabCut", s, s / matted);
    notes.push_back(line);
    if (used == "grabcut" && method == "auto") notes.push_back("the IS-Net pack removes backgrounds of real photos better (kiln models install isnet)");
}

} // namespace

core::Bounds cameraFocusBox(const std::vector<core::Camera>& cameras) {
    if (cameras.empty()) throw Error("cameraFocusBox: no cameras");
    // The point closest to every optical axis, in least squares: sum_i (I - d_i d_i^T)(p - c_i) = 0.
    glm::mat3 a(0.0f);
    glm::vec3 b(0.0f);
    glm::vec3 centre(0.0f);
    for (const auto& c : cameras) {
        const glm::vec3 d = c.forward();
        const glm::mat3 proj = glm::mat3(1.0f) - glm::outerProduct(d, d);
        a += proj;
        b += proj * c.position();
        centre += c.position() / float(cameras.size());
    }
    if (std::abs(glm::determinant(a)) > 1e-6f) centre = glm::inverse(a) * b;  // else the cameras are parallel
    float radius = 0.0f;
    for (const auto& c : cameras) radius += glm::distance(c.position(), centre) / float(cameras.size());
    const float half = 0.45f * radius;
    core::Bounds box;
    box.extend(centre - glm::vec3(half));
    box.extend(centre + glm::vec3(half));
    return box;
}

namespace {

void validateOptions(const ReconstructOptions& o) {
    if (o.representation != "splats" && o.representation != "field")
        throw Error("--representation '" + o.representation + "' is not available: Kiln fits 'splats' or 'field'");
    if (o.up != 'y' && o.up != 'z' && o.up != 'c') throw Error("--up must be y, z or cameras");
    if (o.fieldResolution < 2 || o.fieldResolution > 1024) throw Error("--field-resolution must be between 2 and 1024");
    if (o.fieldRays < 1 || o.fieldRays > 1048576) throw Error("--rays must be between 1 and 1048576");
    if (o.meshResolution < 2 || o.meshResolution > 1024) throw Error("--mesh-resolution must be between 2 and 1024");
    if (o.iterations < 1 || o.iterations > 1000000) throw Error("--iterations must be between 1 and 1000000");
    if (o.resolution < 16 || o.resolution > 4096) throw Error("--resolution must be between 16 and 4096");
    if (o.matte != "none" && o.matte != "auto" && o.matte != "isnet" && o.matte != "grabcut") throw Error("--matte must be none, auto, isnet or grabcut");
    if (o.bound != "auto" && o.bound != "none") throw Error("--bound must be auto or none");
}

// `input` names the results and their provenance; the views and poses are read from `poses`
// (the input itself, or the COLMAP model Kiln posed its photos into).
ReconstructResult reconstructViews(const std::filesystem::path& input, const std::filesystem::path& poses, const ReconstructOptions& o,
                                   core::Progress& progress, const core::CancelToken& cancel) {
    const auto t0 = std::chrono::steady_clock::now();
    progress.report("loading views", 0.0f);
    io::LoadOptions load;
    load.maxSize = o.resolution;
    io::PosedImageSet set = io::loadPosedImages(poses, load);
    cancel.throwIfCancelled();
    if (o.up != 'y') {
        // Z-up source (Blender, NeRF-Synthetic): rotate the world -90 degrees about X so +Z becomes
        // +Y; 'cameras' (photo captures): rotate the cameras' mean up direction onto +Y. Fitting
        // in the rotated frame makes every result (splats, field, mesh) Y-up.
        const glm::mat4 toY = io::upRotation(o.up, set);
        for (auto& v : set.images) v.camera.cameraToWorld = toY * v.camera.cameraToWorld;
        for (auto& p : set.points) p = glm::vec3(toY * glm::vec4(p, 1.0f));
    }

    ReconstructResult result;
    if (o.matte != "none") matteViews(set, o.matte, progress, cancel, set.notes);
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
    if (o.representation == "field") {
        reconstructField(input, poses, o, train, test, progress, cancel, result);
        progress.report("done", 1.0f);
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return result;
    }

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
        // No sparse points: random points in the region the cameras look at, carved to the
        // silhouettes when the views have alpha.
        std::vector<core::Camera> cameras;
        for (const auto& v : set.images) cameras.push_back(v.camera);
        fit.initBounds = cameraFocusBox(cameras);
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
    if (fitted.loadReducedSamples > 0)
        result.notes.push_back("another process kept a core busy for " + std::to_string(100 * fitted.loadReducedSamples / std::max(1, fitted.loadSamples)) +
                               " % of the fit: it ran with fewer threads there (the result is the same)");

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
    std::vector<DepthView> views;
    for (const auto& v : set.images) views.push_back({v.camera, v.image.width, v.image.height, v.fx, v.fy, v.cx, v.cy});
    const bool photos = std::any_of(set.images.begin(), set.images.end(), [](const io::PosedImage& v) { return v.image.channels < 4; });
    if (o.bound == "auto" && photos && !set.points.empty()) {
        const core::Bounds box = objectBounds(views, set.points);
        if (box.valid) {
            const std::size_t before = fitted.cloud.size();
            cropToBox(fitted.cloud, box);
            const glm::vec3 size = box.size();
            char line[200];
            std::snprintf(line, sizeof line, "object bound: %zu of %zu splats in the %.3g x %.3g x %.3g box the photos are centred on (--bound none keeps the scene)",
                          fitted.cloud.size(), before, double(size.x), double(size.y), double(size.z));
            result.notes.push_back(line);
            if (fitted.cloud.empty()) throw Error(input.string() + ": no splats inside the object bound (try --bound none)");
        } else {
            result.notes.push_back("object bound: the photos are not centred on one object (too few sparse points near the middle of the frames); the whole scene is kept");
        }
    }
    result.splats = int(fitted.cloud.size());
    const core::Provenance prov = provenance(input, poses, o, "reconstruct", "3dgs-" + fitted.device);
    result.assets.push_back(core::Asset::fromGaussians(input.stem().string() + "_splats", fitted.cloud, prov));

    if (o.mesh) {
        cancel.throwIfCancelled();
        progress.report("fusing depth (TSDF)", 0.9f);
        core::Mesh mesh;
        try {
            mesh = meshFromSplats(fitted.cloud, views, {.resolution = o.meshResolution, .maxFaces = o.meshFaces}, cancel);
        } catch (const Error& e) {
            throw Error(input.string() + ": " + e.what());
        }
        core::Provenance meshProv = prov;
        meshProv.source = "reconstruct:mesh";
        result.assets.push_back(core::Asset::fromMesh(input.stem().string() + "_mesh", std::move(mesh), meshProv));
    }
    progress.report("done", 1.0f);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

} // namespace

ReconstructResult reconstruct(const std::filesystem::path& input, const ReconstructOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    validateOptions(o);
    if (!isUnposedPhotoFolder(input)) return reconstructViews(input, input, o, progress, cancel);
    // Photos without poses: COLMAP poses them first (the first 15 % of the job's progress).
    constexpr float kPoseShare = 0.15f;
    const PosePhotosResult posed = posePhotos(input, {}, progress, cancel, 0.0f, kPoseShare);
    core::Progress rest([&](const core::ProgressUpdate& u) {
        if (u.preview) progress.preview(*u.preview);
        else progress.report(u.stage, kPoseShare + (1.0f - kPoseShare) * u.fraction);
    });
    ReconstructResult result = reconstructViews(input, posed.model, o, rest, cancel);
    std::vector<std::string> notes = posed.notes;
    char line[160];
    std::snprintf(line, sizeof line, "posed %d of %d photos with COLMAP in %.1f s", posed.posed, posed.photos, posed.seconds);
    notes.emplace_back(line);
    result.notes.insert(result.notes.begin(), notes.begin(), notes.end());
    result.seconds += posed.seconds;
    return result;
}

} // namespace kiln::pipelines
