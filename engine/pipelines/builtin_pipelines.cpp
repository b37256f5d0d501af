// The built-in pipelines' declarations, and their run() over the engine (LibTorch builds only;
// without LibTorch they are still registered, so the CLI and the studio can say why they are off).
#include "pipelines/pipeline.h"

#include "core/error.h"

#include <glm/vec2.hpp>

#include <cmath>
#include <functional>
#include <optional>
#include <set>

#ifdef KILN_WITH_TORCH
#include "io/posed_images.h"
#include "pipelines/reconstruct.h"
#include "geometry/uv_unwrap.h"
#include "core/sha256.h"
#include "io/binary_reader.h"
#include "io/gltf_retexture.h"
#include "io/image_io.h"
#include "models/image_to_3d.h"
#include "models/matting.h"
#include "models/mesh_edit.h"
#include "models/part_segmenter.h"
#include "models/mesh_texture.h"
#include "models/model_paths.h"
#include "models/text_to_3d.h"
#include "models/upscale.h"

#include <nlohmann/json.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace kiln::pipelines {

namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

#ifdef KILN_WITH_TORCH
// Loading a generator's two models takes a while; the last pair of each kind stays loaded for the
// next job (text-to-3d, texture and edit share the text generator).
template <class Generator>
std::shared_ptr<const Generator> cachedGenerator(const std::filesystem::path& model, const std::filesystem::path& ae) {
    static std::mutex mutex;
    static std::shared_ptr<const Generator> generator;
    static std::filesystem::path loadedModel, loadedAe;
    std::lock_guard lock(mutex);
    if (!generator || loadedModel != model || loadedAe != ae) {
        generator.reset();
        generator = std::make_shared<const Generator>(model, ae);
        loadedModel = model;
        loadedAe = ae;
    }
    return generator;
}

std::shared_ptr<const models::TextTo3dGenerator> generatorFor(const std::filesystem::path& text, const std::filesystem::path& ae) {
    return cachedGenerator<models::TextTo3dGenerator>(text, ae);
}

// An asset-in pipeline's result: its provenance from the input, the prompt, the seed and the models.
core::Provenance derivedProvenance(const char* source, const core::Asset& input, const std::string& prompt, std::uint64_t seed,
                                   const models::TextTo3dGenerator& generator, const nlohmann::json& options) {
    core::Provenance prov;
    prov.source = source;
    prov.sourcePath = input.provenance.sourcePath;
    prov.prompt = prompt;
    prov.seed = seed;
    prov.model = generator.name() + " + " + generator.autoencoder().name();
    prov.modelLicence = input.provenance.modelLicence;
    prov.options = options.dump();
    prov.createdAt = core::utcNowIso8601();
    return prov;
}

// New maps as the glTF rewriter takes them (PNG bytes).
std::vector<io::GltfMaterialImages> gltfImages(const std::vector<models::MaterialMaps>& maps) {
    std::vector<io::GltfMaterialImages> out;
    for (const auto& m : maps)
        out.push_back({m.material, io::encodePng(m.baseColor), io::encodePng(m.metallicRoughness), m.normal.empty() ? std::vector<std::uint8_t>{} : io::encodePng(m.normal)});
    return out;
}

// Writes variant N's maps into a copy of the glTF `source` (every buffer byte for byte).
std::function<void(const std::filesystem::path&, std::size_t)> retexturedGlbWriter(const std::filesystem::path& source,
                                                                                    std::vector<std::vector<io::GltfMaterialImages>> images,
                                                                                    std::vector<core::ProvenanceRecord> records) {
    return [source, images = std::move(images), records = std::move(records)](const std::filesystem::path& target, std::size_t variant) {
        io::writeRetexturedGlb(source, images.at(variant), target, records.at(variant));
    };
}

// UDIM tiles: each tile its own material (and maps), drawn through the same UVs; a glTF cannot
// keep its buffers with them (it has no tiles), so it is refused. Returns the tiles' note, if any.
std::optional<std::string> prepareUdimTiles(core::Mesh& mesh, bool gltf, const std::string& name, const char* verb) {
    if (mesh.uv0.size() != mesh.positions.size()) return std::nullopt;
    std::set<int> tiles;
    for (const int t : models::udimTiles(mesh, name)) tiles.insert(t);
    if (tiles.size() == 1 && *tiles.begin() == 1001) return std::nullopt;
    if (gltf)
        throw Error(name + ": UVs in UDIM tiles beyond 1001, and glTF has no UDIM tiles to keep them in; " + verb + " it from an FBX or OBJ of the mesh");
    mesh = models::splitUdimMaterials(mesh, name);
    std::string list;
    for (const int t : tiles) list += (list.empty() ? "" : ", ") + std::to_string(t);
    return "UDIM tiles " + list + ": each tile gets its own material and maps (glTF and FBX have no UDIM, so every viewer draws them)";
}

std::string stagesLine(const std::vector<std::pair<std::string, double>>& stageSeconds) {
    std::string stages = "stages:";
    for (const auto& [stage, seconds] : stageSeconds) stages += " " + stage + " " + fixed(seconds, 2) + " s,";
    stages.pop_back();
    return stages;
}
#endif

std::string joinedWords(const std::vector<std::string>& words) {
    std::string s;
    for (const auto& w : words) s += (s.empty() ? "" : ", ") + w;
    return s;
}

// The latent generators' shared options (candidates; the decoder's resolution, faces, texture
// size and splats) and quality presets (sampler steps, candidates, resolution, texture size).
OptionSpec candidatesOption() {
    return intOption("candidates", "Candidates", 4, 1, 16, "Samples tried one after another until one decodes to a mesh in one piece (1: the seed's own sample)");
}

void appendDecodeOptions(OptionsSchema& schema) {
    for (auto& o : {intOption("resolution", "Resolution", 128, 32, 512, "Marching-cubes cells per axis (the field is evaluated only near the surface)"),
                    intOption("faces", "Faces", 20000, 500, 1000000, "Triangle budget of the mesh"),
                    choiceOption("texture-size", "Texture size", {"256", "512", "1024", "2048", "4096"}, "1024", "Texels per side of the baked PBR maps"),
                    intOption("splats", "Splats", 20000, 100, 2000000, "Gaussian splats when splats are asked for")})
        schema.options.push_back(o);
    schema.presets = {{"draft", "Draft", {{"steps", "12"}, {"candidates", "1"}, {"resolution", "96"}, {"texture-size", "512"}}},
                      {"standard", "Standard", {{"steps", "16"}, {"candidates", "4"}, {"resolution", "128"}, {"texture-size", "1024"}}},
                      {"high", "High", {{"steps", "32"}, {"candidates", "8"}, {"resolution", "256"}, {"texture-size", "2048"}}}};
}

// ---- text -> 3D ---------------------------------------------------------------------------------

class TextTo3d final : public Pipeline {
public:
    TextTo3d() {
        m_info.id = "text-to-3d";
        m_info.displayName = "Text";
        m_info.description = "A prompt to a textured, watertight asset: Kiln's text->latent flow and the shared 3D latent's decoder";
        m_info.inputs = {{InputKind::Prompt, "Prompt", "Describe the asset, e.g. a tall red ceramic vase", 1, 1}};
        m_info.schema.options = {
            seedOption(),
            intOption("steps", "Steps", 16, 1, 1000, "Sampler steps from noise to shape"),
            floatOption("guidance", "Guidance", 3.0, 0.0, 20.0,
                        "Classifier-free guidance: higher follows the prompt more closely, with less variety"),
            candidatesOption(),
        };
        appendDecodeOptions(m_info.schema);
        m_info.schema.options.push_back(choiceOption("upscale", "Upscale textures", {"1", "2", "4"}, "1",
                                                     "Upscale the baked maps after baking (the ESRGAN-slim pack for colour when installed, else bicubic)",
                                                     {"No", "x2", "x4"}));
        m_info.schema.defaultPreset = "standard";
        m_info.modelSlots = {"text-to-3d", "shape-autoencoder"};
        m_info.outputs = {OutputKind::Mesh, OutputKind::Splats};
        m_info.studioOutputs = {OutputKind::Mesh};
        m_info.verb = "Generate";
    }
    const PipelineInfo& info() const override { return m_info; }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
#ifdef KILN_WITH_TORCH
        validate(r);
        models::checkPromptNotEmpty(r.inputs.prompt);
        const auto generator = generatorFor(modelFor(r, "text-to-3d"), modelFor(r, "shape-autoencoder"));
        models::TextTo3dOptions o;
        o.seed = std::uint64_t(r.options.getInt("seed"));
        o.steps = int(r.options.getInt("steps"));
        o.guidance = float(r.options.getFloat("guidance"));
        o.candidates = int(r.options.getInt("candidates"));
        o.decode.resolution = int(r.options.getInt("resolution"));
        o.decode.maxFaces = std::size_t(r.options.getInt("faces"));
        o.decode.textureSize = std::stoi(r.options.getText("texture-size"));
        o.decode.splatCount = int(r.options.getInt("splats"));
        o.mesh = r.outputs.count(OutputKind::Mesh) != 0;
        models::TextTo3dResult g = generator->generate(r.inputs.prompt, o, progress, cancel);
        PipelineResult out;
        if (const int scale = std::stoi(r.options.getText("upscale")); scale > 1) {
            progress.report("upscaling textures", 0.97f);
            const auto model = models::defaultUpscaleModel();
            for (auto& a : g.assets) {
                const core::Mesh* m = a.mesh();
                if (!m) continue;
                core::Mesh copy = *m;
                std::string licence;
                out.report.push_back(models::upscaleTextures(copy, scale, model, &licence));
                core::Provenance prov = a.provenance;
                if (!licence.empty()) prov.modelLicence += (prov.modelLicence.empty() ? "" : "; ") + licence;
                a = core::Asset::fromMesh(a.name, std::move(copy), prov);
            }
            if (model.empty()) out.notes.push_back("textures upscaled bicubically; the esrgan-slim pack upscales colour maps better (kiln models install esrgan-slim)");
        }
        for (auto& a : g.assets)
            if (r.outputs.count(a.kind() == core::AssetKind::Mesh ? OutputKind::Mesh : OutputKind::Splats)) out.assets.push_back(std::move(a));
        out.seconds = g.seconds;
        out.report.push_back("for \"" + r.inputs.prompt + "\", seed " + std::to_string(o.seed) + ", " + std::to_string(o.steps) + " steps (" +
                             (g.watertight ? "watertight" : "NOT watertight") + ")");
        if (g.choice.pieces.size() > 1) {
            std::string pieces;
            for (const std::size_t p : g.choice.pieces) pieces += (pieces.empty() ? "" : ", ") + std::to_string(p);
            out.report.push_back("kept candidate " + std::to_string(g.choice.chosen + 1) + " of the " + std::to_string(g.choice.pieces.size()) +
                                 " tried (pieces in each: " + pieces + ")");
        }
        std::string stages = "stages:";
        for (const auto& [stage, seconds] : g.stageSeconds) stages += " " + stage + " " + fixed(seconds, 2) + " s,";
        stages.pop_back();
        out.report.push_back(stages);
        if (!g.unknownWords.empty())
            out.notes.push_back("the model does not know \"" + joinedWords(g.unknownWords) + "\" and ignored it; it knows " + g.vocabularyHint);
        return out;
#else
        (void)r, (void)progress, (void)cancel;
        throw Error(unavailableReason());  // the pipeline needs LibTorch: says so
#endif
    }

private:
    PipelineInfo m_info;
};

// ---- image -> 3D ---------------------------------------------------------------------------------

class ImageTo3d final : public Pipeline {
public:
    ImageTo3d() {
        m_info.id = "image-to-3d";
        m_info.displayName = "Image";
        m_info.description = "One to four photos of an object to a textured, watertight asset: background removed, the hidden side generated "
                             "by Kiln's image->latent flow, the photo projected onto the side it shows";
        m_info.inputs = {{InputKind::Images, "Photos", "A photo or render of one object (up to 4 of it, from different sides)", 1, 4}};
        m_info.schema.options = {
            seedOption(),
            intOption("steps", "Steps", 16, 1, 1000, "Sampler steps from noise to shape"),
            floatOption("guidance", "Guidance", 3.0, 0.0, 20.0, "Classifier-free guidance: higher follows the photos more closely, with less variety"),
            candidatesOption(),
            intOption("variants", "Variants", 1, 1, 8, "Assets to make, seeds SEED, SEED+1, ... (the CLI writes OUT, OUT_v2, ...; the studio adds each as a version)"),
            textOption("mask", "Mask", "", "The first photo's foreground as an image file (white or opaque = object), instead of matting it"),
            choiceOption("matte", "Background removal", {"auto", "kiln", "isnet", "grabcut", "alpha"}, "auto",
                         "auto: the image's alpha, else Kiln's matting network, else the IS-Net pack when installed, else GrabCut",
                         {"Automatic", "Kiln network", "IS-Net pack", "GrabCut", "Image alpha"}),
            boolOption("no-refine", "No refinement", false, "Leave the generated shape and texture as they are (no photo silhouette, no photo projected onto the side it shows)"),
            intOption("shape-steps", "Shape refinement", 0, 0, 200,
                      "Steps pulling the shape towards the first photo's silhouette from its camera, within a bound (0: only the texture is refined)"),
            floatOption("fov", "Field of view", 40.0, 5.0, 120.0, "The first photo's vertical field of view in degrees (placing it on the mesh)"),
        };
        appendDecodeOptions(m_info.schema);
        m_info.schema.defaultPreset = "standard";
        m_info.modelSlots = {"image-to-3d", "shape-autoencoder"};
        m_info.outputs = {OutputKind::Mesh, OutputKind::Splats};
        m_info.studioOutputs = {OutputKind::Mesh};
        m_info.verb = "Generate";
    }
    const PipelineInfo& info() const override { return m_info; }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
#ifdef KILN_WITH_TORCH
        validate(r);
        const auto t0 = std::chrono::steady_clock::now();
        // The photos and their mattes first: a bad photo or mask fails before any model loads.
        progress.report("removing the background", 0.02f);
        std::vector<models::PhotoInput> photos;
        std::vector<std::string> matteLines;
        models::MatteOptions mo;
        mo.method = r.options.getText("matte");
        models::ImageMatter matter(mo);
        const std::string mask = r.options.getText("mask");
        for (std::size_t i = 0; i < r.inputs.images.size(); ++i) {
            cancel.throwIfCancelled();
            const std::filesystem::path& file = r.inputs.images[i];
            models::PhotoInput p;
            p.name = file.filename().string();
            const std::vector<std::uint8_t> bytes = io::readFileBytes(file);
            p.sha256 = core::sha256Hex(bytes);
            p.image = io::decodeImage(bytes, p.name);
            if (p.image.empty() || p.image.channels < 3) throw Error(p.name + ": not a colour image");
            if (i == 0 && !mask.empty()) {
                p.matte = models::matteFromMaskFile(mask, p.image, p.name);
                p.matteSource = "mask " + std::filesystem::path(mask).filename().string();
                matteLines.push_back(p.name + ": the " + p.matteSource);
            } else {
                const models::Matte m = matter.run(p.image, p.name);
                p.matte = m.alpha;
                const std::string model = m.modelName.empty() ? "" : " (" + m.modelName + ")";
                p.matteSource = m.method + model;
                matteLines.push_back(p.name + ": " + m.method + " matte" + model + ", " +
                                     fixed(100.0 * m.coverage, 1) + " % of the image" + (m.note.empty() ? "" : " (" + m.note + ")"));
            }
            photos.push_back(std::move(p));
        }
        const double matteSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto generator = cachedGenerator<models::ImageTo3dGenerator>(modelFor(r, "image-to-3d"), modelFor(r, "shape-autoencoder"));
        models::ImageTo3dOptions o;
        o.seed = std::uint64_t(r.options.getInt("seed"));
        o.steps = int(r.options.getInt("steps"));
        o.guidance = float(r.options.getFloat("guidance"));
        o.candidates = int(r.options.getInt("candidates"));
        o.refine = !r.options.getBool("no-refine");
        o.shapeSteps = int(r.options.getInt("shape-steps"));
        o.fovDegrees = float(r.options.getFloat("fov"));
        o.decode.resolution = int(r.options.getInt("resolution"));
        o.decode.maxFaces = std::size_t(r.options.getInt("faces"));
        o.decode.textureSize = std::stoi(r.options.getText("texture-size"));
        o.decode.splatCount = int(r.options.getInt("splats"));
        o.mesh = r.outputs.count(OutputKind::Mesh) != 0;
        PipelineResult out;
        out.report = matteLines;
        const int variants = int(r.options.getInt("variants"));
        const std::uint64_t firstSeed = o.seed;
        for (int v = 0; v < variants; ++v) {
            o.seed = firstSeed + std::uint64_t(v);
            models::ImageTo3dResult g = generator->generate(photos, o, progress, cancel);
            for (auto& a : g.assets) {
                if (!r.outputs.count(a.kind() == core::AssetKind::Mesh ? OutputKind::Mesh : OutputKind::Splats)) continue;
                if (v > 0) a.name += "_v" + std::to_string(v + 1);
                out.assets.push_back(std::move(a));
            }
            out.seconds += g.seconds;
            out.report.push_back("seed " + std::to_string(o.seed) + ", " + std::to_string(o.steps) + " steps (" + (g.watertight ? "watertight" : "NOT watertight") + ")");
            if (g.view)
                out.report.push_back("the photo seen from yaw " + fixed(g.view->yawDegrees, 0) + "°, pitch " + fixed(g.view->pitchDegrees, 0) +
                                     "° (silhouette IoU " + fixed(g.view->silhouetteIoU, 2) + "): " + fixed(100.0 * g.photoTexels, 1) + " % of the texels take it");
            if (g.view && o.shapeSteps > 0)
                out.report.push_back("shape pulled towards the photo's silhouette: IoU " + fixed(g.silhouetteBefore, 2) + " -> " + fixed(g.silhouetteAfter, 2));
            auto stages = g.stageSeconds;
            if (v == 0) stages.insert(stages.begin(), {"matting", matteSeconds});
            out.report.push_back(stagesLine(stages));
        }
        // Variants sorted by kind: every mesh first (OUT, OUT_v2, ...), then the splats.
        std::stable_partition(out.assets.begin(), out.assets.end(), [](const core::Asset& a) { return a.kind() == core::AssetKind::Mesh; });
        out.seconds += matteSeconds;
        return out;
#else
        (void)r, (void)progress, (void)cancel;
        throw Error(unavailableReason());
#endif
    }

private:
    PipelineInfo m_info;
};

// ---- views -> 3D --------------------------------------------------------------------------------

class ViewsTo3d final : public Pipeline {
public:
    ViewsTo3d() {
        m_info.id = "views-to-3d";
        m_info.displayName = "Photos/Views";
        m_info.description = "Posed photos or renders (transforms.json or COLMAP; unposed photos are posed by COLMAP) to Gaussian splats or a radiance field, optionally a mesh";
        m_info.inputs = {{InputKind::PosedViews, "Input", "transforms.json, a COLMAP folder, or a folder of photos (posed by COLMAP)", 1, 1}};
        m_info.schema.options = {
            choiceOption("representation", "Representation", {"splats", "field"}, "splats",
                         "Gaussian splats (3DGS), or a radiance field (triplanes + MLP; lands in the studio as its mesh)",
                         {"Gaussian splats", "Radiance field (as a mesh)"}),
            intOption("iterations", "Iterations", 3000, 1, 1000000, "Optimisation steps"),
            intOption("resolution", "Resolution", 200, 16, 4096, "Views are downscaled until their longer side fits (pixels)"),
            intOption("holdout", "Hold out", 0, 0, 1000, "Keep every Nth view out of training and score it (0: none)"),
            seedOption(),
            choiceOption("background", "Background", {"white", "black"}, "white", "Colour behind RGBA views (NeRF-Synthetic: white)"),
            choiceOption("matte", "Remove background", {"none", "auto", "isnet", "grabcut"}, "none",
                         "Cut the object out of views without alpha first (auto: the IS-Net pack when installed, else GrabCut)",
                         {"No", "Automatic", "IS-Net pack", "GrabCut"}),
            choiceOption("up", "Up axis", {"y", "z", "cameras"}, "y",
                         "The capture's up axis (cameras: the photos' mean up, for phone captures); results are rotated so it becomes +Y"),
            choiceOption("bound", "Object bound", {"auto", "none"}, "auto",
                         "Photos with sparse points: keep the object the photos are centred on, not the room (splats and their mesh)",
                         {"The object", "The whole scene"}),
            intOption("mesh-resolution", "Mesh resolution", 192, 16, 1024, "TSDF voxels along the longest side (splats)"),
            intOption("mesh-faces", "Mesh faces", 100000, 100, 10000000, "Triangle budget of the extracted mesh"),
            intOption("field-resolution", "Field resolution", 128, 2, 1024, "Baked grid cells along the longest side (field)"),
            intOption("rays", "Rays", 4096, 1, 1048576, "Rays per iteration (field)"),
        };
        m_info.schema.presets = {{"draft", "Draft", {{"iterations", "1000"}, {"resolution", "128"}}},
                                 {"standard", "Standard", {{"iterations", "3000"}, {"resolution", "200"}}},
                                 {"high", "High", {{"iterations", "7000"}, {"resolution", "400"}}}};
        m_info.schema.defaultPreset = "standard";
        m_info.outputs = {OutputKind::Splats, OutputKind::Mesh, OutputKind::Field};
        m_info.studioOutputs = {OutputKind::Splats};
        m_info.verb = "Reconstruct";
        m_info.schema.options[0].choiceOutputs = {{int(OutputKind::Splats), int(OutputKind::Mesh)}, {int(OutputKind::Field), int(OutputKind::Mesh)}};
    }
    const PipelineInfo& info() const override { return m_info; }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
#ifdef KILN_WITH_TORCH
        validate(r);
        ReconstructOptions o;
        o.representation = r.options.getText("representation");
        o.iterations = int(r.options.getInt("iterations"));
        o.resolution = int(r.options.getInt("resolution"));
        o.holdoutEvery = int(r.options.getInt("holdout"));
        o.seed = std::uint64_t(r.options.getInt("seed"));
        o.whiteBackground = r.options.getText("background") == "white";
        o.matte = r.options.getText("matte");
        o.up = io::upFromName(r.options.getText("up"));
        o.bound = r.options.getText("bound");
        o.meshResolution = int(r.options.getInt("mesh-resolution"));
        o.meshFaces = std::size_t(r.options.getInt("mesh-faces"));
        o.fieldResolution = int(r.options.getInt("field-resolution"));
        o.fieldRays = int(r.options.getInt("rays"));
        const bool field = o.representation == "field";
        // A document holds meshes and splats: a field run adds its mesh whether or not asked.
        o.mesh = r.outputs.count(OutputKind::Mesh) != 0 || (field && !r.outputs.count(OutputKind::Field));
        ReconstructResult rr = reconstruct(r.inputs.views, o, progress, cancel);
        PipelineResult out;
        out.assets = std::move(rr.assets);
        out.seconds = rr.seconds;
        if (field) out.field = std::move(rr.field);
        out.report.push_back("from " + std::to_string(rr.trainViews) + " views" + (field ? "" : ", " + std::to_string(rr.splats) + " Gaussians"));
        if (rr.testViews > 0)
            out.report.push_back("held-out views: " + std::to_string(rr.testViews) + "  PSNR " + fixed(rr.testPsnr, 2) + " dB  SSIM " + fixed(rr.testSsim, 4));
        std::string curve = "training PSNR by iteration:";
        const std::size_t step = std::max<std::size_t>(1, rr.trainCurve.size() / 10);
        for (std::size_t i = 0; i < rr.trainCurve.size(); i += step)
            curve += " " + std::to_string(rr.trainCurve[i].first) + ":" + fixed(rr.trainCurve[i].second, 1);
        out.report.push_back(curve);
        if (!rr.testCurve.empty()) {
            std::string held = "held-out PSNR by iteration:";
            for (const auto& [it, p] : rr.testCurve) held += " " + std::to_string(it) + ":" + fixed(p, 2);
            out.report.push_back(held);
        }
        out.notes = std::move(rr.notes);
        return out;
#else
        (void)r, (void)progress, (void)cancel;
        throw Error(unavailableReason());  // the pipeline needs LibTorch: says so
#endif
    }

private:
    PipelineInfo m_info;
};

// ---- texture ------------------------------------------------------------------------------------

class Texture final : public Pipeline {
public:
    Texture() {
        m_info.id = "texture";
        m_info.displayName = "Texture";
        m_info.description = "New PBR textures for a mesh from a prompt, painted into the mesh's own UV layout (geometry and UVs untouched)";
        m_info.inputs = {{InputKind::Asset, "Mesh", "The mesh to texture (.glb/.gltf keep their buffers byte for byte; any mesh Kiln imports)", 1, 1},
                         {InputKind::Prompt, "Prompt", "The look, e.g. weathered red paint over metal", 1, 1}};
        m_info.schema.options = {
            seedOption(),
            intOption("resolution", "Resolution", 1024, 256, 4096, "Texels per side of each material's maps (a power of two)"),
            intOption("steps", "Steps", 16, 1, 1000, "Sampler steps from noise to appearance"),
            floatOption("guidance", "Guidance", 3.0, 0.0, 20.0, "Classifier-free guidance: higher follows the prompt more closely"),
            floatOption("strength", "Strength", 1.0, 0.05, 1.0, "1: a new appearance; less keeps more of the mesh's own look (its materials' colours and textures)"),
            boolOption("unwrap", "Unwrap", false, "Lay out UVs for a mesh that has none (a mesh with UVs keeps its own)"),
            boolOption("no-normal-map", "No normal map", false,
                       "Skip the normal map of the relief of the prompt's materials (wood grain, rust, stone, fabric, leather); a material's own normal map is always kept"),
            textOption("photo", "Photo", "", "A photo of the object, projected onto the side it shows (the rest is generated)"),
            textOption("photo-view", "Photo view", "", "The photo's camera as YAW,PITCH in degrees (empty: found by the mesh's silhouette)"),
            floatOption("photo-fov", "Photo field of view", 40.0, 5.0, 120.0, "The photo's vertical field of view, degrees"),
            intOption("variants", "Variants", 1, 1, 8, "Textures to make, seeds SEED, SEED+1, ... (the CLI writes OUT, OUT_v2, ...; the studio adds each as a version)"),
        };
        m_info.schema.presets = {{"draft", "Draft", {{"resolution", "512"}, {"steps", "12"}}},
                                 {"standard", "Standard", {{"resolution", "1024"}, {"steps", "16"}}},
                                 {"high", "High", {{"resolution", "2048"}, {"steps", "32"}}}};
        m_info.schema.defaultPreset = "standard";
        m_info.modelSlots = {"text-to-3d", "shape-autoencoder"};
        m_info.outputs = {OutputKind::Mesh};
        m_info.studioOutputs = {OutputKind::Mesh};
        m_info.verb = "Texture";
    }
    const PipelineInfo& info() const override { return m_info; }

    void validate(const PipelineRequest& r) const override {
        Pipeline::validate(r);
#ifdef KILN_WITH_TORCH
        models::checkPromptNotEmpty(r.inputs.prompt);
        models::checkTextureResolution(int(r.options.getInt("resolution")));
        if (r.inputs.asset && !r.inputs.asset->mesh())
            throw Error("texture: " + r.inputs.asset->name + " is Gaussian splats; texturing needs a mesh with a UV layout");
        if (const core::Mesh* m = r.inputs.asset ? r.inputs.asset->mesh() : nullptr; m && !(r.options.getBool("unwrap") && m->uv0.empty()))
            models::checkTextureLayout(*m, r.inputs.asset->name);
        if (const std::string photo = r.options.getText("photo"); !photo.empty() && !std::filesystem::is_regular_file(photo))
            throw Error("--photo " + photo + ": no such file");
        (void)photoView(r);
#endif
    }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
#ifdef KILN_WITH_TORCH
        validate(r);
        const core::Asset& input = *r.inputs.asset;
        core::Mesh mesh = *input.mesh();
        PipelineResult out;
        const bool unwrap = mesh.uv0.empty() && r.options.getBool("unwrap");
        // A glTF file is textured in its own terms (its materials, its buffers), so the .glb
        // written keeps every buffer byte for byte.
        const bool gltf = !r.inputs.assetFile.empty() && io::isGltfPath(r.inputs.assetFile) && !unwrap;
        if (gltf) mesh = io::readGltfTriangles(r.inputs.assetFile);
        if (unwrap) {
            progress.report("laying out UVs", 0.01f);
            const int size = int(r.options.getInt("resolution"));
            // Conformal charts: an artist's curved surfaces unroll with their angles kept (measured
            // by `kiln bench unwrap` against planar charts and Blender's Smart UV Project).
            mesh = geometry::unwrapMesh(mesh, {.coneDegrees = 65.0f, .atlasSize = size, .padding = std::max(8, size / 128), .conformal = true}).mesh;
            out.notes.push_back("the mesh had no UVs: laid out new ones (--unwrap)");
        } else if (r.options.getBool("unwrap")) {
            out.notes.push_back("the mesh has UVs: kept them (--unwrap only lays out meshes without any)");
        }
        if (const auto note = prepareUdimTiles(mesh, gltf, input.name, "texture")) out.notes.push_back(*note);
        const auto generator = generatorFor(modelFor(r, "text-to-3d"), modelFor(r, "shape-autoencoder"));
        models::MeshTextureOptions o;
        o.seed = std::uint64_t(r.options.getInt("seed"));
        o.steps = int(r.options.getInt("steps"));
        o.guidance = float(r.options.getFloat("guidance"));
        o.resolution = int(r.options.getInt("resolution"));
        o.strength = float(r.options.getFloat("strength"));
        o.normalMaps = !r.options.getBool("no-normal-map");
        o.photo = r.options.getText("photo");
        o.photoFov = float(r.options.getFloat("photo-fov"));
        if (const auto view = photoView(r)) o.photoYaw = view->x, o.photoPitch = view->y;
        const int variants = int(r.options.getInt("variants"));
        const std::uint64_t firstSeed = o.seed;
        std::vector<std::vector<io::GltfMaterialImages>> images;
        std::vector<core::ProvenanceRecord> records;
        for (int v = 0; v < variants; ++v) {
            o.seed = firstSeed + std::uint64_t(v);
            const models::MeshTextureResult t = models::generateMeshTexture(*generator, mesh, r.inputs.prompt, o, progress, cancel);
            nlohmann::json options{{"resolution", o.resolution}, {"steps", o.steps}, {"guidance", o.guidance}, {"strength", o.strength}, {"unwrap", unwrap}};
            if (variants > 1) options["variant"] = v + 1;
            if (!o.photo.empty()) {
                options["photo"] = o.photo.filename().string();
                options["photoSha256"] = core::sha256Hex(io::readFileBytes(o.photo));
                options["photoView"] = {t.photoView->yawDegrees, t.photoView->pitchDegrees, t.photoView->fovDegrees};
            }
            const core::Provenance prov = derivedProvenance("texture", input, r.inputs.prompt, o.seed, *generator, options);
            out.assets.push_back(core::Asset::fromMesh(input.name + "_textured" + (v > 0 ? "_v" + std::to_string(v + 1) : std::string()),
                                                       models::applyMaterialMaps(mesh, t.maps), prov));
            if (gltf) {
                images.push_back(gltfImages(t.maps));
                records.push_back(core::provenanceRecord(prov));
            }
            out.seconds += t.seconds;
            std::size_t texels = 0, normalMaps = 0;
            for (const auto& m : t.maps) texels += m.texels, normalMaps += !m.normal.empty();
            out.report.push_back("for \"" + r.inputs.prompt + "\", seed " + std::to_string(o.seed) + ": " + std::to_string(t.maps.size()) + " material(s), " +
                                 std::to_string(o.resolution) + "^2 maps" + (normalMaps ? " with normal maps" : "") + ", " + std::to_string(texels) + " texels covered" +
                                 (gltf ? "; the input's buffers kept byte for byte" : ""));
            out.report.push_back(stagesLine(t.stageSeconds));
            if (v > 0) continue;  // the notes are the same for every variant
            if (!t.unknownWords.empty())
                out.notes.push_back("the model does not know \"" + joinedWords(t.unknownWords) + "\" and ignored it; it knows " + generator->vocabularyHint());
            if (!t.untextured.empty())
                out.notes.push_back(std::to_string(t.untextured.size()) + " material(s) without UVs left as they were");
            if (t.photoView)
                out.report.push_back("photo from yaw " + fixed(t.photoView->yawDegrees, 0) + "°, pitch " + fixed(t.photoView->pitchDegrees, 0) + "°" +
                                     (r.options.getText("photo-view").empty() ? " (found by silhouette, IoU " + fixed(t.photoView->silhouetteIoU, 2) + ")" : "") +
                                     ": " + fixed(100.0 * t.photoTexels, 1) + " % of the texels take it");
        }
        if (gltf) out.writeGlb = retexturedGlbWriter(r.inputs.assetFile, std::move(images), std::move(records));
        return out;
#else
        (void)r, (void)progress, (void)cancel;
        throw Error(unavailableReason());
#endif
    }

private:
    // --photo-view YAW,PITCH, if given; kiln::Error on anything else.
    static std::optional<glm::vec2> photoView(const PipelineRequest& r) {
        const std::string text = r.options.getText("photo-view");
        if (text.empty()) return std::nullopt;
        float yaw = 0.0f, pitch = 0.0f;
        char tail = 0;
        if (std::sscanf(text.c_str(), "%f,%f%c", &yaw, &pitch, &tail) != 2 || !(std::abs(pitch) <= 89.0f) || !std::isfinite(yaw))
            throw Error("--photo-view " + text + ": give YAW,PITCH in degrees (pitch -89..89)");
        return glm::vec2(yaw, pitch);
    }
    PipelineInfo m_info;
};

// ---- edit ---------------------------------------------------------------------------------------

class Edit final : public Pipeline {
public:
    Edit() {
        m_info.id = "edit";
        m_info.displayName = "Edit";
        m_info.description = "Change a mesh by describing the change (\"make it blue\", \"a red leather armchair\"); a region you keep stays exactly as it was";
        m_info.inputs = {{InputKind::Asset, "Mesh", "The mesh to edit (any mesh Kiln imports; .glb/.gltf keep their buffers byte for byte in appearance mode)", 1, 1},
                         {InputKind::Prompt, "Edit", "The change, or the asset as it should become, e.g. make it blue", 1, 1}};
        m_info.schema.options = {
            seedOption(),
            floatOption("strength", "Strength", 0.0, 0.0, 1.0,
                        "How much may change, from barely (0.05) to as much as a new asset (1); 0, the default: the mode's own (appearance 1, shape and both "
                        "0.8 with a source, else 0.5: the best measured by kiln bench edit)"),
            choiceOption("mode", "Mode", {"appearance", "shape", "both"}, "appearance",
                         "appearance: new look, geometry and UVs untouched; shape: a new surface where the edit changes it, the old look carried over; both: new surface and look",
                         {"Appearance", "Shape", "Both"}),
            textOption("source", "Source", "",
                       "Shape and both modes: what the mesh is now, in the prompt's words (\"a low green chair\"); the edit then moves it only where the two "
                       "texts differ (FlowEdit) instead of re-making it from its noised self. Empty: the asset's own prompt when Kiln generated it from text"),
            textOption("keep-box", "Keep box", "", "A region that must not change, x0,y0,z0,x1,y1,z1 in the mesh's units (triangles wholly inside are kept)"),
            textOption("keep-mask", "Keep mask", "", "A mask image in the mesh's UV space, white where it must not change"),
            intOption("steps", "Steps", 16, 1, 1000, "Sampler steps"),
            floatOption("guidance", "Guidance", 3.0, 0.0, 20.0, "Classifier-free guidance: higher follows the prompt more closely"),
            intOption("resolution", "Resolution", 0, 0, 4096, "Appearance mode: texels per side of the new maps (a power of two; 0: the mesh's own texture size, else 1024)"),
            intOption("faces", "Faces", 20000, 500, 2000000, "Shape modes: the new surface's face budget"),
            boolOption("no-normal-map", "No normal map", false, "Appearance mode: skip the normal map of the prompt's materials' relief"),
            boolOption("whole", "Whole asset", false,
                       "Edit the whole asset even when the instruction names some of its parts (\"make the wheels black\" otherwise changes the parts named so)"),
            intOption("variants", "Variants", 1, 1, 8, "Edits to make, seeds SEED, SEED+1, ... (the CLI writes OUT, OUT_v2, ...; the studio adds each as a version)"),
        };
        m_info.schema.presets = {{"draft", "Draft", {{"steps", "12"}, {"faces", "10000"}}},
                                 {"standard", "Standard", {{"steps", "16"}, {"faces", "20000"}}},
                                 {"high", "High", {{"steps", "32"}, {"faces", "50000"}}}};
        m_info.schema.defaultPreset = "standard";
        m_info.modelSlots = {"text-to-3d", "shape-autoencoder"};
        m_info.outputs = {OutputKind::Mesh};
        m_info.studioOutputs = {OutputKind::Mesh};
        m_info.verb = "Edit";
    }
    const PipelineInfo& info() const override { return m_info; }

    void validate(const PipelineRequest& r) const override {
        Pipeline::validate(r);
#ifdef KILN_WITH_TORCH
        models::checkPromptNotEmpty(r.inputs.prompt);
        const double strength = r.options.getFloat("strength");
        if (!(strength >= 0.0 && strength <= 1.0)) throw Error("--strength " + fixed(strength, 2) + " is out of range (0..1; 0: the mode's own)");
        const models::EditMode mode = models::parseEditMode(r.options.getText("mode"));
        if (mode == models::EditMode::Appearance && !r.options.getText("source").empty())
            throw Error("--source describes the mesh for a shape edit; appearance mode keeps the shape and reads the look from the mesh (use --mode shape or both)");
        if (const int res = int(r.options.getInt("resolution")); res != 0) models::checkTextureResolution(res);
        if (r.inputs.asset && !r.inputs.asset->mesh()) {
            if (mode == models::EditMode::Appearance)
                throw Error("edit: " + r.inputs.asset->name + " is Gaussian splats; appearance mode paints a mesh's UVs or vertex colours (use --mode shape or both)");
            throw Error("edit: " + r.inputs.asset->name + " is Gaussian splats; editing reads a mesh (convert it to one first)");
        }
        if (const core::Mesh* m = r.inputs.asset ? r.inputs.asset->mesh() : nullptr) {
            if (m->triangleCount() == 0) throw Error("edit: " + r.inputs.asset->name + " has no triangles");
            (void)models::keptTriangles(*m, keepRegion(r, *m));
        }
#endif
    }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
#ifdef KILN_WITH_TORCH
        validate(r);
        const core::Asset& input = *r.inputs.asset;
        core::Mesh mesh = *input.mesh();
        models::MeshEditOptions o;
        o.mode = models::parseEditMode(r.options.getText("mode"));
        const bool appearance = o.mode == models::EditMode::Appearance;
        // A glTF file is edited in its own terms in appearance mode: the .glb written keeps every
        // buffer byte for byte.
        const bool gltf = appearance && !r.inputs.assetFile.empty() && io::isGltfPath(r.inputs.assetFile);
        if (gltf) mesh = io::readGltfTriangles(r.inputs.assetFile);
        PipelineResult out;
        if (appearance)
            if (const auto note = prepareUdimTiles(mesh, gltf, input.name, "edit")) out.notes.push_back(*note);
        o.keep = keepRegion(r, gltf ? mesh : *input.mesh());
        // Shape modes move the mesh by the difference between the edit's text and what the mesh is
        // (FlowEdit) when that is known: said by the artist, or the prompt it was generated from.
        if (!appearance) {
            o.source = models::editSource(r.options.getText("source"), input.provenance);
            o.flowEdit = !o.source.empty();
        }
        o.strength = float(r.options.getFloat("strength"));
        // The mode's own (kiln bench edit): appearance 1; shape 0.8 from a known source, else 0.5.
        if (o.strength == 0.0f) o.strength = appearance ? 1.0f : o.flowEdit ? 0.8f : 0.5f;
        o.steps = int(r.options.getInt("steps"));
        o.guidance = float(r.options.getFloat("guidance"));
        o.resolution = int(r.options.getInt("resolution"));
        o.normalMaps = !r.options.getBool("no-normal-map");
        o.matchParts = !r.options.getBool("whole");
        o.decode.maxFaces = std::size_t(r.options.getInt("faces"));
        o.decode.resolution = 128;
        o.decode.textureSize = 1024;
        const auto generator = generatorFor(modelFor(r, "text-to-3d"), modelFor(r, "shape-autoencoder"));
        // An instruction may name parts the mesh has no names for: the part segmenter (when one is
        // installed) finds them on the encoded shape.
        std::unique_ptr<models::PartSegmenter> segmenter;
        if (o.matchParts && o.keep.empty() && !models::instructionPartWords(r.inputs.prompt).empty())
            if (const auto dir = models::defaultModelDirIfAny("part-segmenter"); !dir.empty()) segmenter = std::make_unique<models::PartSegmenter>(dir, &generator->autoencoder());
        o.parts = segmenter.get();
        const int variants = int(r.options.getInt("variants"));
        const std::uint64_t firstSeed = std::uint64_t(r.options.getInt("seed"));
        std::vector<std::vector<io::GltfMaterialImages>> images;
        std::vector<core::ProvenanceRecord> records;
        for (int v = 0; v < variants; ++v) {
            o.seed = firstSeed + std::uint64_t(v);
            const models::MeshEditResult e = models::editMesh(*generator, mesh, r.inputs.prompt, o, progress, cancel);
            nlohmann::json options{{"mode", models::toString(o.mode)}, {"strength", o.strength}, {"steps", o.steps}, {"guidance", o.guidance}};
            if (o.flowEdit) options["source"] = o.source;
            if (o.keep.box) options["keepBox"] = {o.keep.box->min.x, o.keep.box->min.y, o.keep.box->min.z, o.keep.box->max.x, o.keep.box->max.y, o.keep.box->max.z};
            if (!r.options.getText("keep-mask").empty()) options["keepMask"] = std::filesystem::path(r.options.getText("keep-mask")).filename().string();
            if (!r.inputs.keptTriangles.empty())
                options["keptTrianglesMarked"] = std::count_if(r.inputs.keptTriangles.begin(), r.inputs.keptTriangles.end(), [](std::uint8_t k) { return k != 0; });
            if (variants > 1) options["variant"] = v + 1;
            if (e.partsFound > 0) options["partsFoundBy"] = segmenter->name();
            const core::Provenance prov = derivedProvenance("edit", input, r.inputs.prompt, o.seed, *generator, options);
            out.assets.push_back(core::Asset::fromMesh(input.name + "_edited" + (v > 0 ? "_v" + std::to_string(v + 1) : std::string()), e.mesh, prov));
            if (gltf && !e.vertexColours) {
                images.push_back(gltfImages(e.maps));
                records.push_back(core::provenanceRecord(prov));
            }
            out.seconds += e.seconds;
            std::size_t keptTokens = 0, keptTris = 0;
            for (const auto k : e.keptTokens) keptTokens += k;
            for (const auto k : e.keptTriangle) keptTris += k;
            std::string line = "for \"" + r.inputs.prompt + "\", seed " + std::to_string(o.seed) + ", " + models::toString(o.mode) + " mode, strength " +
                               fixed(o.strength, 2) + ": ";
            if (appearance)
                line += e.vertexColours ? "new vertex colours" : std::to_string(e.maps.size()) + " material(s) repainted in the mesh's own UVs";
            else
                line += "a new surface of " + std::to_string(e.mesh.triangleCount()) + " triangles" +
                        (o.flowEdit ? " (moved from \"" + o.source + "\" by FlowEdit)" : std::string(" (re-made from its noised self: --source says what it is)"));
            if (!e.keptTriangle.empty())
                line += "; kept " + std::to_string(keptTris) + " triangles (" + std::to_string(keptTokens) + " of " + std::to_string(e.keptTokens.size()) +
                        " latent tokens" + (appearance && !e.vertexColours ? ", " + std::to_string(e.keptTexels) + " texels as they were" : std::string()) + ")";
            if (gltf && !e.vertexColours) line += "; the input's buffers kept byte for byte";
            out.report.push_back(line);
            out.report.push_back(stagesLine(e.stageSeconds));
            if (v == 0 && !e.namedParts.empty()) {
                std::string parts;
                for (const auto& p : e.namedParts) parts += (parts.empty() ? "'" : ", '") + p + "'";
                if (e.partsFound > 0)
                    out.notes.push_back("the mesh has no part named " + parts + "; the part segmenter (" + segmenter->name() + ") found it on the shape (" +
                                        std::to_string(e.partsFound) + " triangles): only those change, the rest is kept (--whole edits everything)");
                else
                    out.notes.push_back("the instruction names " + parts + ": only those change, the rest is kept (--whole edits everything)");
            }
            if (v == 0 && !e.unknownWords.empty())
                out.notes.push_back("the model does not know \"" + joinedWords(e.unknownWords) + "\" and ignored it; it knows " + generator->vocabularyHint());
            if (v == 0 && gltf && e.vertexColours) out.notes.push_back("the glTF has no UVs: the edit went into vertex colours, written as a new file (not the input's buffers)");
        }
        if (gltf && !images.empty()) out.writeGlb = retexturedGlbWriter(r.inputs.assetFile, std::move(images), std::move(records));
        return out;
#else
        (void)r, (void)progress, (void)cancel;
        throw Error(unavailableReason());
#endif
    }

private:
#ifdef KILN_WITH_TORCH
    // The region to keep on `mesh` (the asset's own mesh, or the same glTF read again with its
    // buffers): the typed box, the mask image and the studio's marked triangles together.
    static models::KeepRegion keepRegion(const PipelineRequest& r, const core::Mesh& mesh) {
        models::KeepRegion keep;
        if (const auto& marks = r.inputs.keptTriangles; !marks.empty()) {
            const core::Mesh& own = *r.inputs.asset->mesh();
            if (marks.size() != own.triangleCount())
                throw Error("edit: the region marked to keep has " + std::to_string(marks.size()) + " triangles but " + r.inputs.asset->name + " has " +
                            std::to_string(own.triangleCount()) + " (it changed since it was marked; mark it again)");
            keep.triangles = &mesh == &own ? marks : models::transferTriangleMarks(own, marks, mesh);
        }
        if (const std::string box = r.options.getText("keep-box"); !box.empty()) keep.box = models::parseKeepBox(box);
        if (const std::string mask = r.options.getText("keep-mask"); !mask.empty()) {
            if (!std::filesystem::is_regular_file(mask)) throw Error("--keep-mask " + mask + ": no such file");
            keep.mask = io::readImage(mask);
        }
        return keep;
    }
#endif
    PipelineInfo m_info;
};

} // namespace

void registerBuiltinPipelines() {
    static std::once_flag once;
    std::call_once(once, [] {
        auto& registry = PipelineRegistry::instance();
        registry.add(std::make_shared<TextTo3d>());
        registry.add(std::make_shared<ImageTo3d>());
        registry.add(std::make_shared<ViewsTo3d>());
        registry.add(std::make_shared<Texture>());
        registry.add(std::make_shared<Edit>());
    });
}

} // namespace kiln::pipelines
