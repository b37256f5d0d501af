// `kiln bench texture`: texture generation in an artist's own UV layout, measured on library
// assets no model trained on. Each asset is textured from its own caption; its real appearance
// (the library's materials, per part) is the reference, read at the same surface points the
// generated texture is sampled at, so any layout can be scored: the asset's own atlas, or
// (--layout blender) one Blender's Smart UV Project made, as a different tool would. Beside it,
// on the same points: the prompt without its colour and material words (the category alone), and
// the latent's own reconstruction of the real appearance (its ceiling at this token count).
#include "cli.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/closest_point.h"
#include "geometry/mesh_raster.h"
#include "geometry/metrics.h"
#include "geometry/uv_unwrap.h"
#include "io/gltf_retexture.h"
#include "io/image_io.h"
#include "io/mesh_io.h"
#include "models/latent_data.h"
#include "models/mesh_texture.h"
#include "models/photo_projection.h"
#include "models/model_paths.h"
#include "models/shape_latent.h"
#include "models/text_to_3d.h"
#include "optimize/splat_fitter.h"
#include "procgen/procgen.h"
#include "render/renderer.h"
#include "render/views.h"

#include <nlohmann/json.hpp>

#include <glm/geometric.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

namespace fs = std::filesystem;

namespace kiln::app {

std::vector<procgen::AssetParams> benchAssets(const Args& args, int repeat);  // app/cmd_bench.cpp

namespace {

// Points on a layout mesh (area-weighted), with their UV, the material map they read and the
// library part (of the original asset) they lie on.
struct SurfacePoints {
    std::vector<glm::vec3> positions, normals;
    std::vector<glm::vec2> uvs;
    std::vector<int> material, part;
};

SurfacePoints samplePoints(const core::Mesh& layout, const procgen::ProcAsset& asset, const geometry::TriangleBvh& original, int count) {
    const std::size_t tris = layout.triangleCount();
    std::vector<int> triMaterial(tris, -1);
    for (const auto& s : layout.submeshes)
        for (std::uint32_t i = s.firstIndex / 3; i < (s.firstIndex + s.indexCount) / 3; ++i) triMaterial[i] = s.material;
    SurfacePoints p;
    for (const auto& [t, r1, r2] : geometry::stratifiedPoints(layout, count)) {
        const std::uint32_t* idx = &layout.indices[3 * t];
        const glm::vec3 w(float(1.0 - r1 - r2), float(r1), float(r2));
        const glm::vec3 pos = w.x * layout.positions[idx[0]] + w.y * layout.positions[idx[1]] + w.z * layout.positions[idx[2]];
        const auto hit = original.closest(pos, 1e9f);
        if (!hit) continue;
        p.positions.push_back(pos);
        p.normals.push_back(glm::normalize(glm::cross(layout.positions[idx[1]] - layout.positions[idx[0]], layout.positions[idx[2]] - layout.positions[idx[0]])));
        p.uvs.push_back(w.x * layout.uv0[idx[0]] + w.y * layout.uv0[idx[1]] + w.z * layout.uv0[idx[2]]);
        p.material.push_back(triMaterial[t]);
        p.part.push_back(asset.triangleParts[hit->triangle]);
    }
    return p;
}

struct Score {
    double deltaE = 0.0;    // mean CIE76 over the points
    double roughness = 0.0, metallic = 0.0;  // mean absolute error over the points (when known)
    double psnr = 0.0;      // of the sRGB base colour over the points
    double partsRight = 0.0;  // area fraction of parts whose mean colour lies within ΔE 20 of the real part's
};

Score score(const std::vector<glm::vec3>& got, const std::vector<glm::vec3>& real, const std::vector<int>& part) {
    Score s;
    double se = 0.0;
    std::map<int, std::pair<glm::dvec3, glm::dvec3>> sums;  // part -> (got, real) sums
    std::map<int, int> counts;
    for (std::size_t i = 0; i < got.size(); ++i) {
        s.deltaE += double(core::deltaE76(got[i], real[i]));
        for (int c = 0; c < 3; ++c) {
            const double d = double(core::srgbFromLinear(got[i][c])) - double(core::srgbFromLinear(real[i][c]));
            se += d * d;
        }
        sums[part[i]].first += glm::dvec3(got[i]);
        sums[part[i]].second += glm::dvec3(real[i]);
        ++counts[part[i]];
    }
    s.deltaE /= double(got.size());
    s.psnr = 10.0 * std::log10(1.0 / std::max(1e-12, se / double(3 * got.size())));
    int right = 0;
    for (const auto& [p, sum] : sums) {
        const glm::vec3 g(sum.first / double(counts[p])), r(sum.second / double(counts[p]));
        if (core::deltaE76(g, r) < 20.0f) right += counts[p];
    }
    s.partsRight = double(right) / double(got.size());
    return s;
}

// 8 unlit renders (base colour only, 256 px, around the asset at pitch 0.35 rad, white background)
// of the real asset with its library textures and of the same mesh with the generated maps: PSNR
// and SSIM (optimize::psnr/ssim, 11x11 Gaussian window), averaged over the views.
std::pair<double, double> renderScores(render::Renderer& renderer, const core::Mesh& real, const core::Mesh& generated) {
    constexpr int size = 256;
    render::ViewOptions v;
    v.mode = render::ShadingMode::Unlit;
    v.grid = false;
    v.axisGizmo = false;
    v.background = glm::vec4(1.0f);
    const auto views = [&](const core::Mesh& m) {
        renderer.clear();
        renderer.add(core::Asset::fromMesh("bench", m));
        std::vector<std::vector<float>> out;
        for (const auto& cam : render::orbitViews(core::computeBounds(m), 8, 0.35f, 1.0f)) {
            const core::Image img = renderer.renderImage(cam, size, size, v);
            std::vector<float> rgb(std::size_t(size) * size * 3);
            for (int y = 0; y < size; ++y)
                for (int x = 0; x < size; ++x)
                    for (int c = 0; c < 3; ++c) rgb[(std::size_t(y) * size + std::size_t(x)) * 3 + std::size_t(c)] = img.at(x, y, c);
            out.push_back(std::move(rgb));
        }
        return out;
    };
    const auto a = views(real), b = views(generated);
    double p = 0.0, q = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) p += optimize::psnr(a[i], b[i]), q += optimize::ssim(a[i], b[i], size, size);
    return {p / double(a.size()), q / double(a.size())};
}

// The caption without its colour and material words: the category (and shape words) alone.
std::string withoutLook(const std::string& caption) {
    static const std::vector<std::string> look = {"black", "blue", "brown", "copper", "dark", "golden", "gray", "green", "light", "orange", "pink",
                                                  "purple", "red", "silver", "teal", "white", "yellow", "ceramic", "fabric", "glass", "leather",
                                                  "metal", "painted", "plastic", "rusty", "stone", "wooden"};
    std::string out, word;
    auto flush = [&] {
        if (!word.empty() && std::find(look.begin(), look.end(), word) == look.end()) out += (out.empty() ? "" : " ") + word;
        word.clear();
    };
    for (const char c : caption) {
        if (c == ' ' || c == ',') flush();
        else word.push_back(c);
    }
    flush();
    return out;
}

// Re-lays out every GLB of `in` with Blender's Smart UV Project into `out` (one Blender process).
void blenderSmartUv(const fs::path& in, const fs::path& out) {
    const fs::path script = in.parent_path() / "smart_uv.py";
    std::ofstream(script) << R"PY(import math, os, sys
import numpy
numpy.bool = bool
import bpy
src, dst = sys.argv[sys.argv.index("--") + 1:]
for name in sorted(os.listdir(src)):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=os.path.join(src, name))
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    bpy.ops.object.select_all(action="DESELECT")
    for o in meshes:
        o.select_set(True)
    bpy.context.view_layer.objects.active = meshes[0]
    bpy.ops.object.mode_set(mode="EDIT")
    bpy.ops.mesh.select_all(action="SELECT")
    bpy.ops.uv.smart_project(angle_limit=math.radians(66.0), island_margin=0.02)
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.ops.export_scene.gltf(filepath=os.path.join(dst, name), export_format="GLB")
)PY";
    const std::string cmd = "blender -b --factory-startup --python-exit-code 1 --python '" + script.string() + "' -- '" + in.string() + "' '" +
                            out.string() + "' > '" + (in.parent_path() / "blender.log").string() + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) throw Error("kiln bench texture: Blender's Smart UV Project failed (see " + (in.parent_path() / "blender.log").string() + ")");
}

} // namespace

int benchTexture(const Args& args) {
    const int repeat = args.getInt("repeat", 12, 1, 1000);
    const int resolution = args.getInt("resolution", 1024, 256, 4096);
    models::checkTextureResolution(resolution);
    const std::string layoutKind = args.get("layout", "own");
    // --photo-view YAW,PITCH: each asset also gets an unlit render of the real asset from that view
    // as its --photo (the camera found by silhouette), scored on the points that view sees.
    std::optional<glm::vec2> photoView;
    if (args.has("photo-view")) {
        float yaw = 0.0f, pitch = 0.0f;
        if (std::sscanf(args.get("photo-view").c_str(), "%f,%f", &yaw, &pitch) != 2) throw Error("--photo-view: YAW,PITCH in degrees");
        photoView = glm::vec2(yaw, pitch);
    }
    double sumSeenWithout = 0.0, sumSeenWith = 0.0, sumHiddenWith = 0.0, sumHiddenWithout = 0.0, sumSeen = 0.0, sumViewError = 0.0;
    int viewsRight = 0;
    if (layoutKind != "own" && layoutKind != "blender") throw Error("--layout: 'own' or 'blender'");
    const std::vector<procgen::AssetParams> picks = benchAssets(args, repeat);
    const fs::path out = args.has("out") ? fs::path(args.get("out")) : fs::temp_directory_path() / "kiln_bench_texture";
    fs::create_directories(out);
    const models::TextTo3dGenerator generator(args.has("model") ? fs::path(args.get("model")) : models::defaultModelDir("text-to-3d"),
                                              args.has("autoencoder") ? fs::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder"));
    const models::ShapeLatentModel& ae = generator.autoencoder();
    std::printf("kiln bench texture: %s + %s, %d held-out assets, %s layout, %d^2 maps\n", generator.name().c_str(), ae.name().c_str(), repeat,
                layoutKind == "own" ? "their own" : "Blender Smart UV Project", resolution);

    std::vector<procgen::ProcAsset> assets;
    for (const auto& p : picks) assets.push_back(procgen::generate(p, {.textureSize = 0}));
    render::Renderer renderer;
    double sumRenderPsnr = 0.0, sumRenderSsim = 0.0, sumRenderPsnrBare = 0.0, sumRenderSsimBare = 0.0;
    std::vector<core::Mesh> layouts;
    if (layoutKind == "own") {
        for (const auto& a : assets) layouts.push_back(a.mesh);
    } else {
        const fs::path in = out / "blender_in", re = out / "blender_out";
        fs::remove_all(in), fs::remove_all(re);
        fs::create_directories(in), fs::create_directories(re);
        for (std::size_t i = 0; i < assets.size(); ++i) io::exportMesh(assets[i].mesh, in / ("asset" + std::to_string(100 + i) + ".glb"));
        blenderSmartUv(in, re);
        for (std::size_t i = 0; i < assets.size(); ++i) layouts.push_back(io::readGltfTriangles(re / ("asset" + std::to_string(100 + i) + ".glb")));
    }

    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    Score sumGen, sumBare, sumCeil;
    double sumSeam = 0.0, sumInterior = 0.0, sumSeconds = 0.0, sumTexels = 0.0, sumOurTilt = 0.0, sumRealTilt = 0.0;
    int assetsWithNormal = 0;
    std::map<std::string, double> stageSums;
    std::printf("%-12s %-62s %8s %8s %8s %7s %7s %7s %9s %7s\n", "category", "caption", "ΔE", "ΔE bare", "ΔE ceil", "parts", "bare", "ceil", "seam/int", "s");
    for (std::size_t i = 0; i < assets.size(); ++i) {
        const procgen::ProcAsset& asset = assets[i];
        const core::Mesh& layout = layouts[i];
        models::checkTextureLayout(layout, "asset " + std::to_string(i));
        const geometry::TriangleBvh original(asset.mesh);
        const SurfacePoints pts = samplePoints(layout, asset, original, 20000);
        std::vector<glm::vec3> real;
        for (std::size_t k = 0; k < pts.positions.size(); ++k) real.push_back(procgen::surfaceAt(asset, pts.part[k], pts.positions[k]).albedo);
        core::Progress quiet;
        models::MeshTextureOptions o;
        o.resolution = resolution;
        o.seed = 1;
        o.neutralAppearance = true;
        const auto textured = [&](const std::string& prompt, models::MeshTextureResult* keep, Score* material) {
            const models::MeshTextureResult r = models::generateMeshTexture(generator, layout, prompt, o, quiet, {});
            std::map<int, const models::MaterialMaps*> maps;
            for (const auto& m : r.maps) maps[m.material] = &m;
            std::vector<glm::vec3> got;
            for (std::size_t k = 0; k < pts.positions.size(); ++k) {
                const auto it = maps.find(pts.material[k]);
                got.push_back(it != maps.end() ? geometry::sampleBaseColor(it->second->baseColor, pts.uvs[k]) : glm::vec3(0.0f));
                if (material && it != maps.end()) {
                    // Roughness (G) and metallic (B) are linear: read them without the sRGB decode.
                    const core::Image& mr = it->second->metallicRoughness;
                    const int x = std::clamp(int(pts.uvs[k].x * float(mr.width)), 0, mr.width - 1), y = std::clamp(int(pts.uvs[k].y * float(mr.height)), 0, mr.height - 1);
                    const procgen::SurfacePoint sp = procgen::surfaceAt(asset, pts.part[k], pts.positions[k]);
                    material->roughness += std::abs(double(mr.at(x, y, 1)) - double(sp.roughness));
                    material->metallic += std::abs(double(mr.at(x, y, 2)) - double(sp.metallic));
                }
            }
            if (material) material->roughness /= double(pts.positions.size()), material->metallic /= double(pts.positions.size());
            if (keep) *keep = r;
            return got;
        };
        models::MeshTextureResult gen;
        Score material;
        Score sg = score(textured(asset.caption, &gen, &material), real, pts.part);
        sg.roughness = material.roughness, sg.metallic = material.metallic;
        if (photoView) {
            // The "photo": the real asset unlit (each pixel its part's albedo), 384 px, with alpha.
            const models::PhotoView trueView{photoView->x, photoView->y, 40.0f, 0.0};
            const int size = 384;
            const geometry::MeshRaster pr = geometry::rasterizeMesh(asset.mesh, models::orbitCamera(core::computeBounds(asset.mesh), trueView), size, size);
            core::Image photo = core::Image::makeU8(size, size, 4), alpha = core::Image::makeF32(size, size, 1);
            for (int y = 0; y < size; ++y)
                for (int x = 0; x < size; ++x) {
                    const std::size_t k = std::size_t(y) * std::size_t(size) + std::size_t(x);
                    if (pr.triangle[k] < 0) continue;
                    const std::uint32_t* idx = &asset.mesh.indices[3 * std::size_t(pr.triangle[k])];
                    const glm::vec3 centroid = (asset.mesh.positions[idx[0]] + asset.mesh.positions[idx[1]] + asset.mesh.positions[idx[2]]) / 3.0f;
                    const glm::vec3 albedo = procgen::surfaceAt(asset, asset.triangleParts[std::size_t(pr.triangle[k])], centroid).albedo;
                    for (int c = 0; c < 3; ++c) photo.u8[4 * k + std::size_t(c)] = std::uint8_t(std::lround(255.0f * core::srgbFromLinear(albedo[c])));
                    photo.u8[4 * k + 3] = 255;
                    alpha.f32[k] = 1.0f;
                }
            const fs::path photoPath = out / (std::to_string(100 + i) + "_photo.png");
            io::writeImage(photo, photoPath);
            // The points that view sees squarely, by the true camera.
            const models::PhotoProjector truth(layout, photo, alpha, trueView);
            std::vector<bool> seen(pts.positions.size());
            for (std::size_t k = 0; k < pts.positions.size(); ++k) {
                glm::vec3 c;
                seen[k] = truth.sample(pts.positions[k], pts.normals[k], &c) >= 0.5f;
            }
            const std::vector<glm::vec3> without = textured(asset.caption, nullptr, nullptr);
            o.photo = photoPath;
            models::MeshTextureResult withPhoto;
            const std::vector<glm::vec3> with = textured(asset.caption, &withPhoto, nullptr);
            o.photo.clear();
            double a = 0, b = 0, h0 = 0, h1 = 0;
            std::size_t ns = 0, nh = 0;
            for (std::size_t k = 0; k < pts.positions.size(); ++k) {
                const double d0 = double(core::deltaE76(without[k], real[k])), d1 = double(core::deltaE76(with[k], real[k]));
                if (seen[k]) a += d0, b += d1, ++ns;
                else h0 += d0, h1 += d1, ++nh;
            }
            const double yawError = std::abs(std::remainder(double(withPhoto.photoView->yawDegrees - trueView.yawDegrees), 360.0));
            const bool viewRight = yawError <= 15.0 && std::abs(withPhoto.photoView->pitchDegrees - trueView.pitchDegrees) <= 15.0f;
            std::printf("  photo: seen %.0f %% of the surface, ΔE there %.2f -> %.2f with the photo; hidden %.2f -> %.2f; view found yaw %.0f pitch %.0f (IoU %.2f)%s\n",
                        100.0 * double(ns) / double(pts.positions.size()), ns ? a / double(ns) : 0.0, ns ? b / double(ns) : 0.0, nh ? h0 / double(nh) : 0.0,
                        nh ? h1 / double(nh) : 0.0, withPhoto.photoView->yawDegrees, withPhoto.photoView->pitchDegrees, withPhoto.photoView->silhouetteIoU,
                        viewRight ? "" : "  (not the true view)");
            sumSeenWithout += ns ? a / double(ns) : 0.0, sumSeenWith += ns ? b / double(ns) : 0.0;
            sumHiddenWithout += nh ? h0 / double(nh) : 0.0, sumHiddenWith += nh ? h1 / double(nh) : 0.0;
            sumSeen += double(ns) / double(pts.positions.size());
            sumViewError += yawError;
            viewsRight += viewRight;
        }
        const std::string bare = withoutLook(asset.caption);
        models::MeshTextureResult bareResult;
        const Score sb = score(textured(bare, &bareResult, nullptr), real, pts.part);
        // Ceiling: the real appearance encoded (generators' token count) and decoded at the points.
        const models::ShapeLatent enc = ae.encode(asset, asset.params.shapeSeed, 4096, ae.tokens());
        std::vector<glm::vec3> normalised, ceilAlbedo;
        for (const auto& p : pts.positions) normalised.push_back(enc.frame.toNormalised(p));
        ae.field(enc, normalised, nullptr, &ceilAlbedo);
        const Score sc = score(ceilAlbedo, real, pts.part);
        const core::Mesh out3 = models::applyMaterialMaps(layout, gen.maps);
        const geometry::SeamScore seams = geometry::textureSeams(out3);
        const core::Mesh realTextured = procgen::generate(asset.params, {.textureSize = 512}).mesh;
        const auto [renderPsnr, renderSsim] = renderScores(renderer, realTextured, out3);
        const auto [barePsnr, bareSsim] = renderScores(renderer, realTextured, models::applyMaterialMaps(layout, bareResult.maps));
        sumRenderPsnr += renderPsnr, sumRenderSsim += renderSsim, sumRenderPsnrBare += barePsnr, sumRenderSsimBare += bareSsim;
        std::size_t texels = 0;
        for (const auto& m : gen.maps) texels += m.texels;
        // Relief: the mean tilt of the normal maps (|xy| of the tangent-space normal over the map,
        // gutters filled), ours against the library's own bake of the real asset.
        const auto meanTilt = [](const core::Image& img) {
            double sum = 0.0;
            for (std::size_t k = 0; k < img.pixelCount(); ++k) {
                const float x = float(img.u8[3 * k]) / 127.5f - 1.0f, y = float(img.u8[3 * k + 1]) / 127.5f - 1.0f;
                sum += std::sqrt(double(x * x + y * y));
            }
            return img.pixelCount() ? sum / double(img.pixelCount()) : 0.0;
        };
        double ourTilt = 0.0, realTilt = 0.0;
        std::size_t withNormal = 0;
        for (const auto& m : gen.maps)
            if (!m.normal.empty()) ourTilt += meanTilt(m.normal), ++withNormal;
        if (withNormal) ourTilt /= double(withNormal);
        for (const auto& mat : realTextured.materials)
            if (mat.normalTexture >= 0) {
                realTilt = meanTilt(realTextured.textures[std::size_t(mat.normalTexture)].image);
                break;
            }
        if (withNormal) ++assetsWithNormal, sumOurTilt += ourTilt, sumRealTilt += realTilt;
        const std::string name = procgen::categories()[std::size_t(asset.params.category)].name;
        std::printf("%-12s %-62.62s %8.2f %8.2f %8.2f %6.0f%% %6.0f%% %6.0f%% %4.1f/%-4.1f %7.2f\n", name.c_str(), asset.caption.c_str(), sg.deltaE, sb.deltaE,
                    sc.deltaE, 100 * sg.partsRight, 100 * sb.partsRight, 100 * sc.partsRight, seams.seamDeltaE, seams.interiorDeltaE, gen.seconds);
        std::fflush(stdout);
        io::exportMesh(out3, out / (std::to_string(100 + i) + "_" + name + ".glb"));
        // The real asset with its library textures, to look at beside it.
        io::exportMesh(realTextured, out / (std::to_string(100 + i) + "_" + name + "_real.glb"));
        sumGen.deltaE += sg.deltaE, sumGen.psnr += sg.psnr, sumGen.partsRight += sg.partsRight, sumGen.roughness += sg.roughness, sumGen.metallic += sg.metallic;
        sumBare.deltaE += sb.deltaE, sumBare.psnr += sb.psnr, sumBare.partsRight += sb.partsRight;
        sumCeil.deltaE += sc.deltaE, sumCeil.psnr += sc.psnr, sumCeil.partsRight += sc.partsRight;
        sumSeam += seams.seamDeltaE, sumInterior += seams.interiorDeltaE, sumSeconds += gen.seconds;
        sumTexels += double(texels) / double(gen.maps.size() * std::size_t(resolution) * std::size_t(resolution));
        for (const auto& [stage, sec] : gen.stageSeconds) stageSums[stage] += sec;
        rows.push_back({{"category", name}, {"caption", asset.caption}, {"deltaE", sg.deltaE}, {"psnr", sg.psnr}, {"partsRight", sg.partsRight},
                        {"roughnessError", sg.roughness}, {"metallicError", sg.metallic}, {"bareDeltaE", sb.deltaE}, {"barePartsRight", sb.partsRight}, {"ceilingDeltaE", sc.deltaE}, {"ceilingPartsRight", sc.partsRight},
                        {"seamDeltaE", seams.seamDeltaE}, {"interiorDeltaE", seams.interiorDeltaE}, {"cutEdges", seams.cutEdges}, {"seconds", gen.seconds},
                        {"normalMap", withNormal > 0}, {"normalTilt", ourTilt}, {"realNormalTilt", realTilt},
                        {"renderPsnr", renderPsnr}, {"renderSsim", renderSsim}, {"bareRenderPsnr", barePsnr}, {"bareRenderSsim", bareSsim}});
    }
    const double n = double(assets.size());
    std::printf("\nmean over %zu assets (surface points: 20000 per asset, area-weighted; ΔE CIE76 of the base colour against the library's material):\n", assets.size());
    std::printf("  generated from the caption:        ΔE %6.2f   PSNR %5.2f dB   parts within ΔE 20 of their real colour %5.1f %%\n", sumGen.deltaE / n, sumGen.psnr / n, 100 * sumGen.partsRight / n);
    std::printf("  material from the caption: roughness off by %.3f, metallic by %.3f (mean absolute, 0..1)\n", sumGen.roughness / n, sumGen.metallic / n);
    std::printf("  caption without colours/materials: ΔE %6.2f   PSNR %5.2f dB   %5.1f %%\n", sumBare.deltaE / n, sumBare.psnr / n, 100 * sumBare.partsRight / n);
    std::printf("  real appearance encoded + decoded: ΔE %6.2f   PSNR %5.2f dB   %5.1f %%   (the latent's ceiling at %d tokens)\n", sumCeil.deltaE / n, sumCeil.psnr / n,
                100 * sumCeil.partsRight / n, ae.tokens());
    std::printf("  8 unlit renders against the real asset's (256 px, white background): PSNR %.2f dB, SSIM %.4f; caption without look words %.2f dB, %.4f\n",
                sumRenderPsnr / n, sumRenderSsim / n, sumRenderPsnrBare / n, sumRenderSsimBare / n);
    std::printf("  seams: ΔE %.2f across UV cuts against %.2f one texel apart inside islands; texels covered %.1f %% of each map (the rest filled by pull-push)\n",
                sumSeam / n, sumInterior / n, 100 * sumTexels / n);
    std::printf("  normal maps: %d of %zu assets got one (their caption names wood, rust, stone, fabric or leather); mean tilt %.3f against %.3f in the "
                "library's own bake of the same assets (|xy| of the tangent-space normal)\n",
                assetsWithNormal, assets.size(), assetsWithNormal ? sumOurTilt / assetsWithNormal : 0.0, assetsWithNormal ? sumRealTilt / assetsWithNormal : 0.0);
    if (photoView)
        std::printf("  photo from yaw %.0f, pitch %.0f (found by silhouette; right within 15° for %d of %zu, mean yaw error %.0f°): on the %.0f %% of the surface it sees, ΔE %.2f -> %.2f; elsewhere %.2f -> %.2f\n",
                    photoView->x, photoView->y, viewsRight, assets.size(), sumViewError / n, 100 * sumSeen / n, sumSeenWithout / n, sumSeenWith / n,
                    sumHiddenWithout / n, sumHiddenWith / n);
    std::string stages;
    for (const auto& [stage, sec] : stageSums) stages += " " + stage + " " + std::to_string(sec / n).substr(0, 5) + " s,";
    if (!stages.empty()) stages.pop_back();
    std::printf("  time per asset at %d^2: %.2f s (%s)\n", resolution, sumSeconds / n, stages.c_str());
    nlohmann::ordered_json summary{{"assets", assets.size()}, {"layout", layoutKind}, {"resolution", resolution}, {"model", generator.name()},
                                   {"autoencoder", ae.name()}, {"deltaE", sumGen.deltaE / n}, {"psnr", sumGen.psnr / n}, {"partsRight", sumGen.partsRight / n},
                                   {"roughnessError", sumGen.roughness / n}, {"metallicError", sumGen.metallic / n},
                                   {"bareDeltaE", sumBare.deltaE / n}, {"barePartsRight", sumBare.partsRight / n}, {"ceilingDeltaE", sumCeil.deltaE / n},
                                   {"ceilingPartsRight", sumCeil.partsRight / n}, {"seamDeltaE", sumSeam / n}, {"interiorDeltaE", sumInterior / n},
                                   {"coveredFraction", sumTexels / n}, {"assetsWithNormalMap", assetsWithNormal},
                                   {"normalTilt", assetsWithNormal ? sumOurTilt / assetsWithNormal : 0.0}, {"realNormalTilt", assetsWithNormal ? sumRealTilt / assetsWithNormal : 0.0},
                                   {"renderPsnr", sumRenderPsnr / n}, {"renderSsim", sumRenderSsim / n}, {"bareRenderPsnr", sumRenderPsnrBare / n},
                                   {"bareRenderSsim", sumRenderSsimBare / n},
                                   {"photo", photoView ? nlohmann::ordered_json{{"yaw", photoView->x}, {"pitch", photoView->y}, {"viewsRight", viewsRight},
                                                                                 {"meanYawError", sumViewError / n}, {"seenFraction", sumSeen / n},
                                                                                 {"seenDeltaEWithout", sumSeenWithout / n}, {"seenDeltaEWith", sumSeenWith / n},
                                                                                 {"hiddenDeltaEWithout", sumHiddenWithout / n}, {"hiddenDeltaEWith", sumHiddenWith / n}}
                                                        : nlohmann::ordered_json()}, {"seconds", sumSeconds / n}, {"perAsset", rows}};
    std::ofstream(out / "bench_texture.json") << summary.dump(2) << "\n";
    std::printf("wrote %s (and the textured assets as GLBs)\n", (out / "bench_texture.json").string().c_str());
    return 0;
}

namespace {

// UV islands: triangles joined through shared vertices (every layout here splits vertices at its
// seams, glTF's included).
int uvIslands(const core::Mesh& m) {
    std::vector<std::uint32_t> parent(m.positions.size());
    for (std::size_t i = 0; i < parent.size(); ++i) parent[i] = std::uint32_t(i);
    const auto find = [&](std::uint32_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    };
    for (std::size_t t = 0; t < m.triangleCount(); ++t)
        for (int k = 1; k < 3; ++k) parent[find(m.indices[3 * t + std::size_t(k)])] = find(m.indices[3 * t]);
    std::vector<bool> root(parent.size(), false);
    int n = 0;
    for (const auto i : m.indices)
        if (!root[find(i)]) root[find(i)] = true, ++n;
    return n;
}

} // namespace

// `kiln bench unwrap`: the --unwrap step's layouts (planar charts, conformal charts) beside Blender
// Smart UV Project's (the peer, headless Blender 3.4) on held-out library assets and on real
// fixtures whose UVs are dropped: islands, angle distortion, area stretch, UV coverage, time.
int benchUnwrap(const Args& args) {
    const int repeat = args.getInt("repeat", 42, 1, 1000);
    const int atlas = args.getInt("resolution", 1024, 64, 8192);
    const fs::path testdata = args.get("testdata", KILN_DEFAULT_TESTDATA);
    std::vector<std::pair<std::string, core::Mesh>> meshes;
    for (const auto& p : benchAssets(args, repeat)) meshes.emplace_back(procgen::categories()[std::size_t(p.category)].name, procgen::generate(p, {.textureSize = 0}).mesh);
    for (const char* fixture : {"Duck/Duck.glb", "2CylinderEngine/2CylinderEngine.glb", "CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"})
        if (fs::exists(testdata / "gltf" / fixture)) meshes.emplace_back(fs::path(fixture).stem().string(), io::readGltfTriangles(testdata / "gltf" / fixture));
    for (auto& [name, m] : meshes) m.uv0.clear(), m.uv1.clear();
    const fs::path out = args.has("out") ? fs::path(args.get("out")) : fs::temp_directory_path() / "kiln_bench_unwrap";
    const fs::path in = out / "blender_in", re = out / "blender_out";
    fs::remove_all(in), fs::remove_all(re);
    fs::create_directories(in), fs::create_directories(re);
    for (std::size_t i = 0; i < meshes.size(); ++i) io::exportMesh(meshes[i].second, in / ("mesh" + std::to_string(100 + i) + ".glb"));
    const auto b0 = std::chrono::steady_clock::now();
    blenderSmartUv(in, re);
    const double blenderSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - b0).count();
    std::printf("kiln bench unwrap: %zu meshes without UVs (%d held-out library assets + fixtures), %d^2 atlas; mean per mesh:\n"
                "islands, angle distortion (1 = conformal), area stretch (1 = uniform), UV coverage, seconds\n", meshes.size(), repeat, atlas);
    std::printf("%-16s %8s | %-34s | %-34s | %-28s\n", "mesh", "faces", "planar charts (55°)", "conformal charts (65°)", "Blender Smart UV Project");
    struct Sum { double islands = 0, angle = 0, area = 0, coverage = 0, seconds = 0; };
    Sum sums[3];
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < meshes.size(); ++i) {
        const auto& [name, m] = meshes[i];
        core::Mesh layouts[3];
        double seconds[3] = {0, 0, 0};
        for (int k = 0; k < 2; ++k) {
            const auto t = std::chrono::steady_clock::now();
            const bool conformal = k == 1;
            layouts[k] = geometry::unwrapMesh(m, {.coneDegrees = conformal ? 65.0f : 55.0f, .atlasSize = atlas, .padding = std::max(8, atlas / 128), .conformal = conformal}).mesh;
            seconds[k] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        }
        layouts[2] = io::readGltfTriangles(re / ("mesh" + std::to_string(100 + i) + ".glb"));
        seconds[2] = blenderSeconds / double(meshes.size());
        std::printf("%-16s %8zu", name.c_str(), m.triangleCount());
        nlohmann::ordered_json row = {{"mesh", name}, {"faces", m.triangleCount()}};
        const char* keys[3] = {"planar", "conformal", "blender"};
        for (int k = 0; k < 3; ++k) {
            const geometry::UvDistortion d = geometry::measureUvDistortion(layouts[k]);
            const int islands = uvIslands(layouts[k]);
            std::printf(" | %6d %6.3f %6.3f %5.2f %7.3f", islands, d.angle, d.area, d.coverage, seconds[k]);
            row[keys[k]] = {{"islands", islands}, {"angle", d.angle}, {"area", d.area}, {"coverage", d.coverage}, {"seconds", seconds[k]}};
            sums[k].islands += islands, sums[k].angle += d.angle, sums[k].area += d.area, sums[k].coverage += d.coverage, sums[k].seconds += seconds[k];
        }
        std::printf("\n");
        rows.push_back(row);
    }
    const double n = double(meshes.size());
    std::printf("%-16s %8s", "mean", "");
    for (const Sum& s : sums) std::printf(" | %6.1f %6.3f %6.3f %5.2f %7.3f", s.islands / n, s.angle / n, s.area / n, s.coverage / n, s.seconds / n);
    std::printf("\n(Blender's seconds: one headless process for all meshes, start-up included, divided evenly)\n");
    std::ofstream(out / "unwrap.json") << rows.dump(1) << "\n";
    return 0;
}

} // namespace kiln::app
