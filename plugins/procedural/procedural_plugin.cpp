// The "procedural" plug-in: a prompt to the procedural library's closest asset. It is the
// deterministic baseline every learned generator is compared against (what you get from the
// training data alone, with no model), and the reference plug-in built in this repository.
#include "plugins/plugin_api.h"

#include "core/error.h"
#include "procgen/procgen.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace {

using namespace kiln;
using namespace kiln::pipelines;

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::string w;
    for (const char c : text + " ") {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') w += char(std::tolower(static_cast<unsigned char>(c)));
        else if (!w.empty()) {
            out.push_back(w);
            w.clear();
        }
    }
    return out;
}

bool has(const std::vector<std::string>& ws, const std::string& w) { return std::find(ws.begin(), ws.end(), w) != ws.end(); }

class ProceduralPipeline final : public Pipeline {
public:
    explicit ProceduralPipeline(std::string origin) {
        m_info.id = "procedural";
        m_info.displayName = "Procedural";
        m_info.description = "The procedural library's asset closest to a prompt: the no-model baseline for the generators (plug-in)";
        m_info.inputs = {{InputKind::Prompt, "Prompt", "A category from the library and optionally a colour, material and style, e.g. a red wooden chair", 1, 1}};
        m_info.schema.options = {seedOption(), intOption("splats", "Splats", 20000, 100, 2000000, "Surface splats when splats are asked for")};
        m_info.outputs = {OutputKind::Mesh, OutputKind::Splats};
        m_info.needsTorch = false;
        m_info.origin = std::move(origin);
    }
    const PipelineInfo& info() const override { return m_info; }

    // The library's parameters a prompt names; what it leaves open comes from the seed.
    procgen::AssetParams paramsFor(const std::string& prompt, std::uint64_t seed) const {
        const auto ws = words(prompt);
        const auto& cats = procgen::categories();
        int category = -1;
        for (std::size_t c = 0; c < cats.size() && category < 0; ++c)
            if (has(ws, cats[c].name) || has(ws, cats[c].name + "s") || has(ws, cats[c].name + "es")) category = int(c);
        if (category < 0) {
            std::string names;
            for (const auto& c : cats) names += (names.empty() ? "" : ", ") + c.name;
            throw Error("procedural: the prompt \"" + prompt + "\" names no category of the library (" + names + ")");
        }
        std::mt19937_64 rng(seed);
        procgen::AssetParams p = procgen::randomParams(category, rng);
        p.shapeSeed = seed;
        const auto& pal = procgen::palette();
        for (std::size_t i = 0; i < pal.size(); ++i)
            if (has(ws, pal[i].name)) p.colour = int(i);
        const auto& cat = cats[std::size_t(category)];
        for (const auto kind : cat.materials) {
            const auto& m = procgen::materials()[std::size_t(kind)];
            if (has(ws, m.name) || has(ws, m.noun)) p.material = kind;
        }
        // The style whose caption phrase shares the most words with the prompt.
        int best = -1, bestScore = 0;
        for (std::size_t s = 0; s < cat.styles.size(); ++s) {
            int score = 0;
            for (const auto& w : words(cat.styles[s].phrase))
                if (w.size() > 3 && has(ws, w)) ++score;
            if (score > bestScore) best = int(s), bestScore = score;
        }
        if (best >= 0) p.style = best;
        return p;
    }

    PipelineResult run(const PipelineRequest& r, core::Progress& progress, const core::CancelToken& cancel) const override {
        validate(r);
        const auto seed = std::uint64_t(r.options.getInt("seed"));
        progress.report("matching the prompt", 0.1f);
        const procgen::AssetParams params = paramsFor(r.inputs.prompt, seed);
        cancel.throwIfCancelled();
        progress.report("building the asset", 0.3f);
        procgen::ProcAsset asset = procgen::generate(params);
        core::Provenance prov;
        prov.source = "generate:procedural";
        prov.prompt = r.inputs.prompt;
        prov.seed = seed;
        prov.model = "procedural library (plug-in " + m_info.origin + ")";
        prov.options = "{\"caption\": \"" + asset.caption + "\"}";
        prov.createdAt = core::utcNowIso8601();
        PipelineResult out;
        std::string name = procgen::categories()[std::size_t(params.category)].name;
        if (r.outputs.count(OutputKind::Splats)) {
            cancel.throwIfCancelled();
            progress.report("sampling splats", 0.6f);
            out.assets.push_back(core::Asset::fromGaussians(name + "_splats", procgen::sampleSplats(asset.mesh, int(r.options.getInt("splats")), seed), prov));
        }
        out.assets.push_back(core::Asset::fromMesh(name, std::move(asset.mesh), prov));
        if (r.outputs.count(OutputKind::Splats)) std::swap(out.assets.front(), out.assets.back());
        out.report.push_back("the library's \"" + asset.caption + "\" (seed " + std::to_string(seed) + ")");
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
