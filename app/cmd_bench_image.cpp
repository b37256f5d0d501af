// `kiln bench image-to-3d`: photos of held-out library assets (Kiln's Vulkan renderer, lit, laid
// over real photographs, matted as a user's photo is) in, the generated asset out, judged against
// the real asset: eight novel views (PSNR, SSIM, mask IoU; the same renderer, lights and cameras),
// Chamfer distance and F-score at 1 % of the diagonal. Beside it on the same views: the visual hull
// of the input masks (carved with the true cameras inside the real asset's box: an oracle's
// advantage) coloured by projecting the first photo through it, and the category's mean asset
// (every proportion at the middle of its range, given the true category) in the photo's mean
// colour. The generated and the baseline meshes are scaled to the real asset's diagonal (a photo
// has no scale); orientation is not aligned: the generator must place the front itself.
#include "cli.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/marching_cubes.h"
#include "geometry/mesh_raster.h"
#include "geometry/metrics.h"
#include "io/image_io.h"
#include "io/posed_images.h"
#include "io/mesh_io.h"
#include "models/image_to_3d.h"
#include "models/matting.h"
#include "models/model_paths.h"
#include "models/photo_projection.h"
#include "optimize/splat_fitter.h"
#include "optimize/ssim.h"
#include "procgen/procgen.h"
#include "render/renderer.h"
#include "render/views.h"

#include <nlohmann/json.hpp>

#include <glm/geometric.hpp>
#include <glm/trigonometric.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace kiln::app {

std::vector<procgen::AssetParams> benchAssets(const Args& args, int repeat);  // app/cmd_bench.cpp

namespace {

constexpr int kInputSize = 320;   // the "photo"
constexpr int kJudgeSize = 192;   // each novel view
constexpr int kNovelViews = 8;

struct Scores {
    double psnr = 0.0, ssim = 0.0, maskIoU = 0.0, chamfer = 0.0, fScore = 0.0;
    Scores& operator+=(const Scores& o) {
        psnr += o.psnr, ssim += o.ssim, maskIoU += o.maskIoU, chamfer += o.chamfer, fScore += o.fScore;
        return *this;
    }
    Scores operator/(double n) const { return {psnr / n, ssim / n, maskIoU / n, chamfer / n, fScore / n}; }
};

// `m` scaled about its base centre so its bounding-box diagonal is `diagonal`, resting on y = 0.
core::Mesh scaledTo(core::Mesh m, float diagonal) {
    const core::Bounds b = core::computeBounds(m);
    const float s = diagonal / std::max(1e-6f, glm::length(b.size()));
    const glm::vec3 base(b.center().x, b.min.y, b.center().z);
    for (auto& p : m.positions) p = (p - base) * s;
    return m;
}

// A lit render (RGB 0..1 floats) and the exact coverage mask of `mesh` through each camera.
struct Views {
    std::vector<std::vector<float>> rgb;
    std::vector<std::vector<bool>> mask;
};
// Lit, 4x MSAA, no grid or gizmo, over `background`.
render::ViewOptions benchView(const glm::vec4& background) {
    render::ViewOptions v;
    v.grid = false;
    v.axisGizmo = false;
    v.background = background;
    v.msaaSamples = 4;
    return v;
}

Views renderViews(render::Renderer& renderer, const core::Mesh& mesh, const std::vector<core::Camera>& cameras) {
    const render::ViewOptions v = benchView(glm::vec4(1.0f));
    renderer.clear();
    renderer.add(core::Asset::fromMesh("bench", mesh));
    Views out;
    for (const auto& cam : cameras) {
        const core::Image img = renderer.renderImage(cam, kJudgeSize, kJudgeSize, v);
        std::vector<float> rgb(std::size_t(kJudgeSize) * kJudgeSize * 3);
        for (int y = 0; y < kJudgeSize; ++y)
            for (int x = 0; x < kJudgeSize; ++x)
                for (int c = 0; c < 3; ++c) rgb[(std::size_t(y) * kJudgeSize + std::size_t(x)) * 3 + std::size_t(c)] = img.at(x, y, c);
        out.rgb.push_back(std::move(rgb));
        const geometry::MeshRaster r = geometry::rasterizeMesh(mesh, cam, kJudgeSize, kJudgeSize);
        std::vector<bool> mask(std::size_t(kJudgeSize) * kJudgeSize);
        for (std::size_t p = 0; p < mask.size(); ++p) mask[p] = r.triangle[p] >= 0;
        out.mask.push_back(std::move(mask));
    }
    return out;
}

Scores compare(const Views& real, const Views& got) {
    Scores s;
    for (std::size_t i = 0; i < real.rgb.size(); ++i) {
        s.psnr += optimize::psnr(real.rgb[i], got.rgb[i]);
        s.ssim += optimize::ssim(real.rgb[i], got.rgb[i], kJudgeSize, kJudgeSize);
        std::size_t both = 0, either = 0;
        for (std::size_t p = 0; p < real.mask[i].size(); ++p) both += real.mask[i][p] && got.mask[i][p], either += real.mask[i][p] || got.mask[i][p];
        s.maskIoU += either ? double(both) / double(either) : 1.0;
    }
    const double n = double(real.rgb.size());
    s.psnr /= n, s.ssim /= n, s.maskIoU /= n;
    return s;
}

void shapeScores(Scores& s, const core::Mesh& got, const core::Mesh& real) {
    const geometry::ChamferResult c = geometry::chamferDistance(got, real, 20000, 7);
    s.chamfer = c.chamfer / std::max(1e-9, c.diagonalB);
    s.fScore = geometry::meshFScore(got, real, 0.01, 7, 100000);
}

// One material of colour `linear`, no textures or vertex colours.
core::Mesh painted(core::Mesh m, const glm::vec3& linear) {
    core::Material mat;
    mat.name = "baseline";
    mat.baseColorFactor = glm::vec4(linear, 1.0f);
    mat.metallicFactor = 0.0f;
    mat.roughnessFactor = 0.7f;
    m.materials = {mat};
    m.textures.clear();
    m.colors.clear();
    for (auto& sm : m.submeshes) sm.material = 0;
    return m;
}

// Where a world point lands in an image of `size` through `cam` (pixels), or false behind it.
bool project(const core::Camera& cam, int size, const glm::vec3& p, glm::vec2* px) {
    const glm::vec4 c = cam.view() * glm::vec4(p, 1.0f);
    if (c.z >= -1e-6f) return false;
    const float f = cam.focalPixels(size);
    *px = glm::vec2(0.5f * float(size) + f * c.x / -c.z, 0.5f * float(size) - f * c.y / -c.z);
    return true;
}

// The visual hull of the masks (alpha >= 0.5) inside `box`, 64^3 voxels, every vertex coloured by
// the first photo where it projects (the photo smeared through the object).
core::Mesh visualHull(const std::vector<core::Image>& photos, const std::vector<core::Image>& mattes, const std::vector<core::Camera>& cams,
                      const core::Bounds& box) {
    constexpr int n = 64;
    const glm::vec3 lo = box.min - 0.04f * box.size(), hi = box.max + 0.04f * box.size();
    std::vector<float> occ(std::size_t(n + 1) * (n + 1) * (n + 1), 0.0f);
    for (int z = 0; z <= n; ++z)
        for (int y = 0; y <= n; ++y)
            for (int x = 0; x <= n; ++x) {
                const glm::vec3 p = lo + (hi - lo) * glm::vec3(x, y, z) / float(n);
                bool inside = true;
                for (std::size_t k = 0; k < cams.size() && inside; ++k) {
                    glm::vec2 px;
                    inside = project(cams[k], mattes[k].width, p, &px) && px.x >= 0 && px.y >= 0 && px.x < float(mattes[k].width) &&
                             px.y < float(mattes[k].height) && mattes[k].at(int(px.x), int(px.y), 0) >= 0.5f;
                }
                occ[(std::size_t(z) * (n + 1) + std::size_t(y)) * (n + 1) + std::size_t(x)] = inside ? 1.0f : 0.0f;
            }
    core::Mesh m = geometry::marchingCubes(occ, glm::ivec3(n + 1), core::Bounds{lo, hi, true}, 0.5f, nullptr, geometry::IsoSide::Above);
    m.colors.resize(m.positions.size());
    for (std::size_t i = 0; i < m.positions.size(); ++i) {
        glm::vec2 px;
        glm::vec3 c(0.5f);
        if (project(cams[0], photos[0].width, m.positions[i], &px)) {
            const int x = std::clamp(int(px.x), 0, photos[0].width - 1), y = std::clamp(int(px.y), 0, photos[0].height - 1);
            for (int k = 0; k < 3; ++k) c[k] = core::linearFromSrgb(photos[0].at(x, y, k));
        }
        m.colors[i] = glm::vec4(c, 1.0f);
    }
    return m;
}

// Out of domain: one NeRF-Synthetic lego view in (its alpha the matte, its field of view given),
// the generated mesh placed in the lego's world through that view (the camera found by silhouette
// mapped onto the lego camera, the object's centre at the lego's distance), then the other views:
// mask IoU against their alpha and PSNR of lit renders against the views over white (Blender's
// lighting is not Kiln's: PSNR is a loose measure here).
int benchLego(const Args& args, const models::ImageTo3dGenerator& generator, models::ImageTo3dOptions o) {
    const fs::path dir = fs::path(args.get("testdata", KILN_DEFAULT_TESTDATA)) / "mv/lego_train";
    io::LoadOptions lo;
    const io::PosedImageSet set = io::loadPosedImages(dir, lo);
    const int input = args.getInt("lego-view", 0, 0, int(set.images.size()) - 1);
    const io::PosedImage& in = set.images[std::size_t(input)];
    auto alphaOf = [](const core::Image& im) {
        core::Image a = core::Image::makeF32(im.width, im.height, 1);
        for (int y = 0; y < im.height; ++y)
            for (int x = 0; x < im.width; ++x) a.f32[std::size_t(y) * std::size_t(im.width) + std::size_t(x)] = im.channels == 4 ? im.at(x, y, 3) : 1.0f;
        return a;
    };
    models::PhotoInput photo;
    photo.image = in.image;
    photo.matte = alphaOf(in.image);
    photo.name = in.name;
    o.fovDegrees = glm::degrees(in.camera.fovY);
    o.seed = 1;
    core::Progress quiet;
    models::ImageTo3dResult g = generator.generate({photo}, o, quiet, {});
    core::Mesh mesh = *g.assets.front().mesh();
    // The generated camera (orbit view of the mesh) onto the lego camera.
    const core::Bounds b = core::computeBounds(mesh);
    const core::Camera ours = models::orbitCamera(b, *g.view);
    const float s = glm::length(in.camera.position()) / glm::length(ours.position() - b.center());
    const glm::mat4 toLego = in.camera.cameraToWorld * glm::mat4(glm::mat3(s)) * glm::inverse(ours.cameraToWorld);
    for (auto& p : mesh.positions) p = glm::vec3(toLego * glm::vec4(p, 1.0f));
    for (auto& n : mesh.normals) n = glm::normalize(glm::mat3(toLego) * n);
    render::Renderer renderer;
    const render::ViewOptions v = benchView(glm::vec4(1.0f));
    renderer.add(core::Asset::fromMesh("lego", mesh));
    std::printf("kiln bench image-to-3d --lego: %s, view %s in (fov %.1f°; found at yaw %.0f°, pitch %.0f°, silhouette IoU %.2f), %.2f s\n",
                generator.name().c_str(), in.name.c_str(), double(o.fovDegrees), double(g.view->yawDegrees), double(g.view->pitchDegrees),
                g.view->silhouetteIoU, g.seconds);
    double sumIoU = 0.0, sumPsnr = 0.0;
    int n = 0;
    constexpr int size = 200;
    for (std::size_t k = 0; k < set.images.size(); k += std::max<std::size_t>(1, set.images.size() / 12)) {
        const io::PosedImage& view = set.images[k];
        const core::Image img = renderer.renderImage(view.camera, size, size, v);
        const geometry::MeshRaster r = geometry::rasterizeMesh(mesh, view.camera, size, size);
        std::vector<float> a, b2;
        std::size_t both = 0, either = 0;
        const double f = double(view.image.width) / size;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const int sx = int((x + 0.5) * f), sy = int((y + 0.5) * f);
                const float alpha = view.image.channels == 4 ? view.image.at(sx, sy, 3) : 1.0f;
                const bool real = alpha >= 0.5f, got = r.triangle[std::size_t(y) * size + std::size_t(x)] >= 0;
                both += real && got, either += real || got;
                for (int c = 0; c < 3; ++c) {
                    a.push_back(view.image.at(sx, sy, c) * alpha + (1.0f - alpha));
                    b2.push_back(img.at(x, y, c));
                }
            }
        const double iou = either ? double(both) / double(either) : 1.0, p = optimize::psnr(a, b2);
        std::printf("  %-12s mask IoU %.3f  PSNR %5.2f%s\n", view.name.c_str(), iou, p, int(k) == input ? "  (the input view)" : "");
        if (int(k) == input) continue;
        sumIoU += iou, sumPsnr += p, ++n;
    }
    std::printf("other views (%d): mask IoU %.3f, PSNR %.2f\n", n, sumIoU / std::max(1, n), sumPsnr / std::max(1, n));
    if (args.has("keep")) io::exportMesh(mesh, fs::path(args.get("out", fs::temp_directory_path().string())) / "lego_generated.glb");
    return 0;
}

} // namespace

int benchImage(const Args& args) {
    const int repeat = args.getInt("repeat", 12, 1, 1000);
    const int photosPer = args.getInt("views", 1, 1, 4);
    const bool trueMatte = args.has("true-matte");
    const std::vector<procgen::AssetParams> picks = benchAssets(args, repeat);
    const fs::path testdata = args.get("testdata", KILN_DEFAULT_TESTDATA);
    const fs::path backgrounds = testdata / "backgrounds";
    if (!fs::is_directory(backgrounds)) throw Error(backgrounds.string() + ": no such folder (pass --testdata DIR)");
    const fs::path out = args.has("out") ? fs::path(args.get("out")) : fs::temp_directory_path() / "kiln_bench_image";
    fs::create_directories(out);
    const models::ImageTo3dGenerator generator(args.has("model") ? fs::path(args.get("model")) : models::defaultModelDir("image-to-3d"),
                                               args.has("autoencoder") ? fs::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder"));
    models::ImageTo3dOptions o;
    o.steps = args.getInt("steps", 0, 0, 1000);
    o.guidance = float(args.getDouble("guidance", 3.0, 0.0, 20.0));
    o.candidates = args.getInt("candidates", 4, 1, 16);
    o.refine = !args.has("no-refine");
    o.shapeSteps = args.getInt("shape-steps", o.shapeSteps, 0, 200);
    o.decode.textureSize = 512;
    if (args.has("lego")) return benchLego(args, generator, o);
    models::MatteOptions mo;
    mo.method = args.get("matte", "auto");
    models::ImageMatter matter(mo);
    std::printf("kiln bench image-to-3d: %s, %d held-out assets (split %s), %d photo(s) each over Kodak photographs (the last 8: never trained on), "
                "%s matte; %d novel views of %d px\n",
                generator.name().c_str(), repeat, args.get("split", "val").c_str(), photosPer, trueMatte ? "true" : mo.method.c_str(), kNovelViews, kJudgeSize);
    std::printf("%-11s %-44s | %-29s | %-29s | %-29s | %5s\n", "category", "asset", "generated PSNR/SSIM/IoU/F", "visual hull", "category mean", "s");
    render::Renderer renderer;
    Scores sumGen, sumHull, sumMean;
    double sumSeconds = 0.0, sumMatteIoU = 0.0;
    std::string matteMethod = "true";
    int sheetCount = 0;
    std::vector<core::Image> sheet;
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < picks.size(); ++i) {
        const procgen::ProcAsset asset = procgen::generate(picks[i], {.textureSize = 512});
        const core::Bounds bounds = core::computeBounds(asset.mesh);
        const float diagonal = glm::length(bounds.size());
        // The photos: lit renders from evenly spaced yaws starting at a per-asset angle, pitch 20°,
        // each over a held-out Kodak photograph (17..24), matted as the pipeline does.
        const float yaw0 = float((i * 137) % 360);
        std::vector<models::PhotoInput> photos;
        std::vector<core::Camera> inputCams;
        std::vector<core::Image> photoImages, mattes;
        double matteIoU = 0.0;
        for (int k = 0; k < photosPer; ++k) {
            const models::PhotoView pv{yaw0 + 360.0f * float(k) / float(photosPer), 20.0f, 40.0f, 0.0};
            const core::Camera cam = models::orbitCamera(bounds, pv);
            const render::ViewOptions v = benchView(glm::vec4(0.0f));
            renderer.clear();
            renderer.add(core::Asset::fromMesh("real", asset.mesh));
            core::Image rgba = renderer.renderImage(cam, 2 * kInputSize, 2 * kInputSize, v);
            const geometry::MeshRaster cover = geometry::rasterizeMesh(asset.mesh, cam, 2 * kInputSize, 2 * kInputSize);
            for (std::size_t p = 0; p < rgba.pixelCount(); ++p) rgba.u8[p * 4 + 3] = cover.triangle[p] >= 0 ? 255 : 0;
            char name[32];
            std::snprintf(name, sizeof name, "kodim%02d.jpg", 17 + int((i + std::size_t(k)) % 8));
            const models::MatteSample s = models::compositeOverPhoto(rgba, io::readImage(backgrounds / name), kInputSize, "bench photo");
            models::PhotoInput in;
            in.image = s.rgb;
            in.name = "photo" + std::to_string(k) + ".png";
            if (trueMatte) {
                in.matte = s.truth;
            } else {
                const models::Matte m = matter.run(s.rgb, in.name);
                in.matte = m.alpha;
                matteMethod = m.method;
            }
            matteIoU += models::scoreMatte(in.matte, s.truth).iou;
            photoImages.push_back(in.image);
            mattes.push_back(in.matte);
            photos.push_back(std::move(in));
            inputCams.push_back(cam);
        }
        matteIoU /= double(photosPer);
        sumMatteIoU += matteIoU;
        o.seed = 1;
        core::Progress quiet;
        models::ImageTo3dResult g = generator.generate(photos, o, quiet, {});
        sumSeconds += g.seconds;
        const core::Mesh generated = scaledTo(*g.assets.front().mesh(), diagonal);
        // Novel views: between the inputs' yaws, at two pitches.
        std::vector<core::Camera> novel;
        for (int k = 0; k < kNovelViews; ++k)
            novel.push_back(models::orbitCamera(bounds, {yaw0 + 22.5f + 45.0f * float(k), k % 2 ? 35.0f : 5.0f, 40.0f, 0.0}));
        const Views real = renderViews(renderer, asset.mesh, novel);
        const Views gotViews = renderViews(renderer, generated, novel);
        Scores gen = compare(real, gotViews);
        shapeScores(gen, generated, asset.mesh);
        // Baselines.
        const core::Mesh hull = visualHull(photoImages, mattes, inputCams, bounds);
        Scores hullScore;
        if (hull.triangleCount() > 0) {
            hullScore = compare(real, renderViews(renderer, hull, novel));
            shapeScores(hullScore, hull, asset.mesh);
        }
        glm::dvec3 meanColour(0.0);
        double weight = 0.0;
        for (int y = 0; y < photoImages[0].height; ++y)
            for (int x = 0; x < photoImages[0].width; ++x) {
                const double a = mattes[0].at(x, y, 0);
                for (int c = 0; c < 3; ++c) meanColour[c] += a * core::linearFromSrgb(photoImages[0].at(x, y, c));
                weight += a;
            }
        meanColour /= std::max(1e-9, weight);
        procgen::AssetParams meanParams = procgen::randomParams(picks[i].category, 1);
        for (const auto& [knob, value] : procgen::generate(meanParams, {.textureSize = 0}).knobs) meanParams.knobs[knob] = 0.5f;
        const core::Mesh mean = painted(scaledTo(procgen::generate(meanParams, {.textureSize = 0}).mesh, diagonal), glm::vec3(meanColour));
        Scores meanScore = compare(real, renderViews(renderer, mean, novel));
        shapeScores(meanScore, mean, asset.mesh);
        sumGen += gen, sumHull += hullScore, sumMean += meanScore;
        const std::string cat = procgen::categories()[std::size_t(picks[i].category)].name;
        std::printf("%-11s %-44.44s | %5.2f %.3f %.3f %.3f | %5.2f %.3f %.3f %.3f | %5.2f %.3f %.3f %.3f | %5.2f\n", cat.c_str(), asset.caption.c_str(), gen.psnr,
                    gen.ssim, gen.maskIoU, gen.fScore, hullScore.psnr, hullScore.ssim, hullScore.maskIoU, hullScore.fScore, meanScore.psnr, meanScore.ssim,
                    meanScore.maskIoU, meanScore.fScore, g.seconds);
        std::fflush(stdout);
        rows.push_back({{"category", cat}, {"caption", asset.caption}, {"matteIoU", matteIoU}, {"seconds", g.seconds},
                        {"generated", {gen.psnr, gen.ssim, gen.maskIoU, gen.chamfer, gen.fScore}},
                        {"visualHull", {hullScore.psnr, hullScore.ssim, hullScore.maskIoU, hullScore.chamfer, hullScore.fScore}},
                        {"categoryMean", {meanScore.psnr, meanScore.ssim, meanScore.maskIoU, meanScore.chamfer, meanScore.fScore}}});
        // A contact sheet: the photo, then two novel views of the real asset and of the generated one.
        if (sheetCount < 16) {
            ++sheetCount;
            auto toImage = [](const std::vector<float>& rgb) {
                core::Image im = core::Image::makeU8(kJudgeSize, kJudgeSize, 3);
                for (std::size_t p = 0; p < rgb.size(); ++p) im.u8[p] = std::uint8_t(std::lround(std::clamp(rgb[p], 0.0f, 1.0f) * 255.0f));
                return im;
            };
            core::Image photo = core::Image::makeU8(kJudgeSize, kJudgeSize, 3);
            for (int y = 0; y < kJudgeSize; ++y)
                for (int x = 0; x < kJudgeSize; ++x)
                    for (int c = 0; c < 3; ++c)
                        photo.u8[(std::size_t(y) * kJudgeSize + std::size_t(x)) * 3 + std::size_t(c)] =
                            photoImages[0].u8[(std::size_t(y * kInputSize / kJudgeSize) * kInputSize + std::size_t(x * kInputSize / kJudgeSize)) * 3 + std::size_t(c)];
            sheet.push_back(photo);
            for (int k : {0, 3}) sheet.push_back(toImage(real.rgb[std::size_t(k)]));
            for (int k : {0, 3}) sheet.push_back(toImage(gotViews.rgb[std::size_t(k)]));
        }
        if (args.has("keep")) io::exportMesh(generated, out / ("generated_" + std::to_string(i) + ".glb"));
    }
    const double n = double(picks.size());
    const Scores g = sumGen / n, h = sumHull / n, m = sumMean / n;
    std::printf("\nmean over %d assets (%d photo(s) each; %s matte, IoU %.3f against the truth):\n", repeat, photosPer, matteMethod.c_str(), sumMatteIoU / n);
    std::printf("%-14s %7s %7s %7s %9s %7s\n", "", "PSNR", "SSIM", "maskIoU", "Chamfer/d", "F@1%");
    std::printf("%-14s %7.2f %7.3f %7.3f %9.4f %7.3f\n", "generated", g.psnr, g.ssim, g.maskIoU, g.chamfer, g.fScore);
    std::printf("%-14s %7.2f %7.3f %7.3f %9.4f %7.3f\n", "visual hull", h.psnr, h.ssim, h.maskIoU, h.chamfer, h.fScore);
    std::printf("%-14s %7.2f %7.3f %7.3f %9.4f %7.3f\n", "category mean", m.psnr, m.ssim, m.maskIoU, m.chamfer, m.fScore);
    std::printf("photo -> textured mesh: %.2f s a photo set (mean, 2 cores)\n", sumSeconds / n);
    if (!sheet.empty()) {
        io::writeImage(render::composeGrid(sheet, 5), out / "sheet.png");
        std::printf("contact sheet (photo | real at two novel views | generated at the same two): %s\n", (out / "sheet.png").string().c_str());
    }
    std::ofstream(out / "results.json") << rows.dump(1) << "\n";
    return 0;
}

} // namespace kiln::app
