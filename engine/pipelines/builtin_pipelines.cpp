// The built-in pipelines' declarations, and their run() over the engine (LibTorch builds only;
// without LibTorch they are still registered, so the CLI and the studio can say why they are off).
#include "pipelines/pipeline.h"

#include "core/error.h"

#ifdef KILN_WITH_TORCH
#include "pipelines/reconstruct.h"
#include "textgen/text_to_3d.h"
#endif

#include <cstdio>
#include <mutex>

namespace kiln::pipelines {

namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

[[noreturn]] void noTorch(const PipelineInfo& i) {
    throw Error("This build of Kiln lacks LibTorch (KILN_WITH_TORCH=OFF): " + i.displayName + " is not available");
}

// ---- text -> 3D ---------------------------------------------------------------------------------

class TextTo3d final : public Pipeline {
public:
    TextTo3d() {
        m_info.id = "text-to-3d";
        m_info.displayName = "Text";
        m_info.description = "A prompt to an asset with Kiln's own text->3D generator (splats; a mesh on request)";
        m_info.inputs = {{InputKind::Prompt, "Prompt", "Describe the asset, e.g. a tall red ceramic vase", 1, 1}};
        m_info.schema.options = {
            seedOption(),
            intOption("steps", "Steps", 32, 1, 1000, "Sampler steps from noise to shape"),
            floatOption("guidance", "Guidance", 3.0, 0.0, 20.0,
                        "Classifier-free guidance: higher follows the prompt more closely, with less variety"),
            intOption("splats", "Splats", 0, 0, 10000000, "Gaussian splats in the result (0: the model's default)"),
        };
        m_info.schema.presets = {{"draft", "Draft", {{"steps", "12"}}}, {"standard", "Standard", {{"steps", "32"}}}, {"high", "High", {{"steps", "64"}}}};
        m_info.schema.defaultPreset = "standard";
        m_info.modelSlots = {"text-to-3d"};
        m_info.outputs = {OutputKind::Splats, OutputKind::Mesh};
        m_info.studioOutputs = {OutputKind::Splats, OutputKind::Mesh};
        m_info.verb = "Generate";
    }
    const PipelineInfo& info() const override { return m_info; }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
#ifdef KILN_WITH_TORCH
        validate(r);
        textgen::GenerateOptions o;
        o.model = modelFor(r, "text-to-3d");
        o.seed = std::uint64_t(r.options.getInt("seed"));
        o.steps = int(r.options.getInt("steps"));
        o.guidance = float(r.options.getFloat("guidance"));
        o.splats = int(r.options.getInt("splats"));
        o.mesh = r.outputs.count(OutputKind::Mesh) != 0;
        textgen::GenerateResult g = textgen::generate(r.inputs.prompt, o, progress, cancel);
        PipelineResult out;
        out.assets = std::move(g.assets);
        out.seconds = g.seconds;
        out.report.push_back("for \"" + r.inputs.prompt + "\", seed " + std::to_string(o.seed) + ", " + std::to_string(o.steps) + " steps");
        if (!g.unknownWords.empty()) {
            std::string words;
            for (const auto& w : g.unknownWords) words += (words.empty() ? "" : ", ") + w;
            out.notes.push_back("the model does not know \"" + words + "\" and ignored it; it knows " + g.vocabularyHint);
        }
        return out;
#else
        (void)r, (void)progress, (void)cancel;
        noTorch(m_info);
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
        m_info.description = "Posed photos or renders (transforms.json or COLMAP) to Gaussian splats or a radiance field, optionally a mesh";
        m_info.inputs = {{InputKind::PosedViews, "Input", "transforms.json or a COLMAP folder", 1, 1}};
        m_info.schema.options = {
            choiceOption("representation", "Representation", {"splats", "field"}, "splats",
                         "Gaussian splats (3DGS), or a radiance field (triplanes + MLP; lands in the studio as its mesh)",
                         {"Gaussian splats", "Radiance field (as a mesh)"}),
            intOption("iterations", "Iterations", 3000, 1, 1000000, "Optimisation steps"),
            intOption("resolution", "Resolution", 200, 16, 4096, "Views are downscaled until their longer side fits (pixels)"),
            intOption("holdout", "Hold out", 0, 0, 1000, "Keep every Nth view out of training and score it (0: none)"),
            seedOption(),
            choiceOption("background", "Background", {"white", "black"}, "white", "Colour behind RGBA views (NeRF-Synthetic: white)"),
            choiceOption("up", "Up axis", {"y", "z"}, "y", "The capture's up axis; results are rotated so it becomes +Y"),
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
        o.up = r.options.getText("up")[0];
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
        noTorch(m_info);
#endif
    }

private:
    PipelineInfo m_info;
};

} // namespace

void registerBuiltinPipelines() {
    static std::once_flag once;
    std::call_once(once, [] {
        auto& registry = PipelineRegistry::instance();
        registry.add(std::make_shared<TextTo3d>());
        registry.add(std::make_shared<ViewsTo3d>());
    });
}

} // namespace kiln::pipelines
