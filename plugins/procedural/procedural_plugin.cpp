// The "procedural" plug-in: a prompt to the procedural library's closest asset. It is the
// deterministic baseline every learned generator is compared against (what you get from the
// training data alone, with no model), and the reference plug-in built in this repository.
#include "plugins/plugin_api.h"

#include "core/error.h"
#include "procgen/procgen.h"
#include "procgen/prompt_match.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace {

using namespace kiln;
using namespace kiln::pipelines;

class ProceduralPipeline final : public Pipeline {
public:
    explicit ProceduralPipeline(std::string origin) {
        m_info.id = "procedural";
        m_info.displayName = "Procedural";
        m_info.description = "The procedural library's asset closest to a prompt: the no-model baseline for the generators (plug-in)";
        m_info.inputs = {{InputKind::Prompt, "Prompt", "A category from the library and optionally a colour, material and style, e.g. a red wooden chair", 1, 1}};
        m_info.schema.options = {seedOption(), intOption("splats", "Splats", 20000, 100, 2000000, "Surface splats when splats are asked for"),
                                 choiceOption("texture-size", "Texture size", {"256", "512", "1024", "2048"}, "1024", "Texels per side of the baked atlas")};
        m_info.outputs = {OutputKind::Mesh, OutputKind::Splats};
        m_info.needsTorch = false;
        m_info.origin = std::move(origin);
    }
    const PipelineInfo& info() const override { return m_info; }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
        validate(r);
        const auto seed = std::uint64_t(r.options.getInt("seed"));
        progress.report("matching the prompt", 0.1f);
        procgen::PromptMatch match;
        try {
            match = procgen::matchPrompt(r.inputs.prompt, seed);
        } catch (const Error& e) {
            throw Error(std::string("procedural: ") + e.what());
        }
        const procgen::AssetParams& params = match.params;
        cancel.throwIfCancelled();
        progress.report("building the asset", 0.3f);
        procgen::ProcAsset asset = procgen::generate(params, {.textureSize = std::stoi(r.options.getText("texture-size"))});
        core::Provenance prov;
        prov.source = "generate:procedural";
        prov.prompt = r.inputs.prompt;
        prov.seed = seed;
        prov.model = "procedural library (plug-in " + m_info.origin + ")";
        prov.options = "{\"caption\": \"" + asset.caption + "\"}";
        prov.createdAt = core::utcNowIso8601();
        PipelineResult out;
        const std::string name = procgen::categories()[std::size_t(params.category)].name;
        if (r.outputs.count(OutputKind::Splats)) {
            cancel.throwIfCancelled();
            progress.report("sampling splats", 0.6f);
            out.assets.push_back(core::Asset::fromGaussians(name + "_splats", procgen::sampleSplats(asset, int(r.options.getInt("splats")), seed), prov));
        }
        out.assets.push_back(core::Asset::fromMesh(name, std::move(asset.mesh), prov));
        if (r.outputs.count(OutputKind::Splats)) std::swap(out.assets.front(), out.assets.back());
        out.report.push_back("the library's \"" + asset.caption + "\" (seed " + std::to_string(seed) + ")");
        if (!match.unknownWords.empty()) {
            std::string words;
            for (const auto& w : match.unknownWords) words += (words.empty() ? "" : ", ") + w;
            out.notes.push_back("the library has no \"" + words + "\"; ignored");
        }
        progress.report("done", 1.0f);
        return out;
    }

private:
    PipelineInfo m_info;
};

} // namespace

KILN_PLUGIN("procedural")

KILN_PLUGIN_REGISTER(kiln::plugins::PluginRegistrar* registrar) {
    registrar->addPipeline(std::make_shared<ProceduralPipeline>("libkiln_procedural.so"));
}
