// `kiln pipelines [--json]` and `kiln <pipeline-id> INPUTS... -o OUT [options]`: every pipeline
// command parses its options from the pipeline's schema (engine/pipelines/options.h); nothing
// here knows a particular pipeline.
#include "cli.h"
#include "pipeline_cli.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/field_io.h"
#include "io/mesh_io.h"
#include "models/compute.h"
#include "pipelines/pipeline.h"
#include "pipelines/pipeline_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

using pipelines::InputKind;
using pipelines::OptionType;
using pipelines::OutputKind;

// Options every pipeline command takes besides its schema.
struct CommonOption {
    const char* name;
    bool takesValue;
    const char* help;
};
constexpr CommonOption kCommon[] = {
    {"output", true, "-o, --output FILE   where the result goes; its extension picks splats (.ply .spz .splat), a mesh (.glb .gltf .obj .fbx .stl) or a field (.kfield)"},
    {"format", true, "--format EXT        the output format when FILE has no extension"},
    {"quality", true, "--quality PRESET    a preset of the options below"},
    {"model", true, "--model DIR         a model folder for the pipeline's slot (default: the bundled model)"},
    {"mesh", false, "--mesh              also write a mesh (to --mesh-output, default OUT_mesh.glb)"},
    {"mesh-output", true, "--mesh-output FILE  where --mesh writes the mesh"},
    {"threads", true, "--threads N         compute threads (default: all cores)"},
    {"force", false, "--force             replace existing files"},
};

bool isCommon(const std::string& name) {
    return std::any_of(std::begin(kCommon), std::end(kCommon), [&](const CommonOption& c) { return name == c.name; });
}
bool commonTakesValue(const std::string& name) {
    for (const auto& c : kCommon)
        if (name == c.name) return c.takesValue;
    return false;
}

OutputKind outputKindFor(const fs::path& out, const pipelines::PipelineInfo& info) {
    const std::string ext = io::lowerExtension(out);
    auto supports = [&](OutputKind k) { return std::find(info.outputs.begin(), info.outputs.end(), k) != info.outputs.end(); };
    const auto& splatExts = io::splatExtensions();
    const auto& meshExts = io::meshExportExtensions();
    if (supports(OutputKind::Splats) && std::find(splatExts.begin(), splatExts.end(), ext) != splatExts.end()) return OutputKind::Splats;
    if (supports(OutputKind::Field) && io::isFieldPath(out)) return OutputKind::Field;
    if (supports(OutputKind::Mesh) && std::find(meshExts.begin(), meshExts.end(), ext) != meshExts.end()) return OutputKind::Mesh;
    std::vector<std::string> formats;
    if (supports(OutputKind::Splats)) formats.push_back("splats (.ply .spz .splat)");
    if (supports(OutputKind::Mesh)) formats.push_back("a mesh (.glb .gltf .obj .fbx .stl" + std::string(supports(OutputKind::Splats) ? ")" : " .ply)"));
    if (supports(OutputKind::Field)) formats.push_back("a radiance field (.kfield)");
    std::string list;
    for (std::size_t i = 0; i < formats.size(); ++i) list += (i == 0 ? "" : i + 1 == formats.size() ? " or " : ", ") + formats[i];
    throw Error(out.string() + ": " + info.id + " writes " + list);
}

int parseThreads(const std::string& value) {
    if (value.empty() || value.size() > 3 || value.find_first_not_of("0123456789") != std::string::npos || std::stoi(value) < 1 || std::stoi(value) > 256)
        throw Error("--threads must be a whole number from 1 to 256, not '" + value + "'");
    return std::stoi(value);
}

const core::Asset* firstOf(const std::vector<core::Asset>& assets, core::AssetKind kind) {
    for (const auto& a : assets)
        if (a.kind() == kind) return &a;
    return nullptr;
}

std::string describe(const core::Asset& a) {
    if (const auto* m = a.mesh()) return std::to_string(m->triangleCount()) + " triangles";
    if (const auto* g = a.gaussians()) return std::to_string(g->size()) + " splats";
    return "empty";
}

} // namespace

PipelineCommandLine parsePipelineCommandLine(const pipelines::Pipeline& pipeline, const std::vector<std::string>& words) {
    const auto& info = pipeline.info();
    const auto& schema = info.schema;
    PipelineCommandLine cl;
    cl.request = pipeline.defaultRequest();
    cl.request.outputs.clear();
    std::vector<std::string> positional;
    std::string quality;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& a = words[i];
        if (a == "-o") {
            if (i + 1 >= words.size()) throw Error("option -o needs a value");
            cl.output = words[++i];
            continue;
        }
        if (a.size() <= 2 || a.rfind("--", 0) != 0) {
            positional.push_back(a);
            continue;
        }
        std::string key = a.substr(2), value;
        const auto eq = key.find('=');
        const bool inlineValue = eq != std::string::npos;
        if (inlineValue) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
        }
        const pipelines::OptionSpec* spec = schema.find(key);
        const bool takesValue = spec ? spec->type != OptionType::Bool : commonTakesValue(key);
        if (!spec && !isCommon(key)) throw Error("unknown option --" + key + " (kiln " + info.id + " --help lists the options)");
        if (takesValue && !inlineValue) {
            if (i + 1 >= words.size()) throw Error("option --" + key + " needs a value");
            value = words[++i];
        }
        if (!takesValue && inlineValue && !spec) throw Error("option --" + key + " takes no value");
        if (spec) schema.set(cl.request.options, key, value);
        else if (key == "output") cl.output = value;
        else if (key == "format") cl.format = value;
        else if (key == "quality") quality = value;
        else if (key == "model") {
            if (info.modelSlots.empty()) throw Error("--model: " + info.id + " uses no model");
            cl.request.models[info.modelSlots.front()] = value;
        } else if (key == "mesh") cl.mesh = true;
        else if (key == "mesh-output") cl.meshOutput = value;
        else if (key == "threads") cl.threads = parseThreads(value);
        else if (key == "force") cl.force = true;
    }
    if (!quality.empty()) schema.applyPreset(cl.request.options, quality);

    // Inputs, in the order the pipeline declares them.
    std::size_t next = 0;
    for (const auto& in : info.inputs) {
        switch (in.kind) {
        case InputKind::Prompt:
            if (next < positional.size()) cl.request.inputs.prompt = positional[next++];
            break;
        case InputKind::PosedViews:
            if (next < positional.size()) cl.request.inputs.views = positional[next++];
            break;
        case InputKind::Asset:
            if (next < positional.size()) cl.assetPath = positional[next++];
            break;
        case InputKind::Images:
            while (next < positional.size() && int(cl.request.inputs.images.size()) < in.maxCount) cl.request.inputs.images.emplace_back(positional[next++]);
            break;
        }
    }
    if (next < positional.size()) throw Error("unexpected argument '" + positional[next] + "' (kiln " + info.id + " --help shows the usage)");
    if (cl.output.empty()) throw Error("no output: give -o FILE (kiln " + info.id + " --help shows the usage)");
    if (!cl.format.empty()) {
        const std::string ext = io::lowerExtension(cl.output);
        if (ext.empty()) cl.output += "." + cl.format;
        else if (ext != "." + cl.format) throw Error(cl.output.string() + ": the extension does not match --format " + cl.format);
    }
    const OutputKind primary = outputKindFor(cl.output, info);
    cl.request.outputs.insert(primary);
    if (cl.mesh || !cl.meshOutput.empty()) {
        if (std::find(info.outputs.begin(), info.outputs.end(), OutputKind::Mesh) == info.outputs.end())
            throw Error("--mesh: " + info.id + " makes no mesh");
        if (primary != OutputKind::Mesh) {
            cl.request.outputs.insert(OutputKind::Mesh);
            if (cl.meshOutput.empty()) cl.meshOutput = cl.output.parent_path() / (cl.output.stem().string() + "_mesh.glb");
        }
    }
    return cl;
}

std::string pipelineUsage(const pipelines::Pipeline& pipeline) {
    const auto& info = pipeline.info();
    std::string s = "usage: kiln " + info.id;
    for (const auto& in : info.inputs) {
        switch (in.kind) {
        case InputKind::Prompt: s += " \"PROMPT\""; break;
        case InputKind::PosedViews: s += " VIEWS"; break;
        case InputKind::Asset: s += " ASSET"; break;
        case InputKind::Images: s += in.maxCount > 1 ? " IMAGE..." : " IMAGE"; break;
        }
    }
    s += " -o OUT [options]\n  " + info.description + "\n\ninputs:\n";
    for (const auto& in : info.inputs) s += "  " + std::string(pipelines::toString(in.kind)) + ": " + in.help + "\n";
    s += "\noptions:\n";
    for (const auto& o : info.schema.options) {
        std::string left = "  --" + o.name;
        switch (o.type) {
        case OptionType::Int: left += " N"; break;
        case OptionType::Float: left += " X"; break;
        case OptionType::Bool: break;
        case OptionType::Choice: {
            std::string c;
            for (const auto& ch : o.choices) c += (c.empty() ? "" : "|") + ch;
            left += " " + c;
            break;
        }
        case OptionType::Text: left += " TEXT"; break;
        }
        while (left.size() < 34) left += ' ';
        pipelines::OptionValues defaults = info.schema.defaults();
        s += left + " " + o.help;
        if (o.type == OptionType::Int) {
            s += " (" + std::to_string(std::int64_t(o.min)) + ".." + std::to_string(std::int64_t(o.max)) + ", default " + defaults.text(o.name) + ")";
        } else if (o.type == OptionType::Float) {
            char range[96];
            std::snprintf(range, sizeof range, " (%g..%g, default %s)", o.min, o.max, defaults.text(o.name).c_str());
            s += range;
        } else if (o.type != OptionType::Text) {
            s += " (default " + defaults.text(o.name) + ")";
        }
        s += "\n";
    }
    if (!info.schema.presets.empty()) {
        s += "\nquality presets (--quality):";
        for (const auto& p : info.schema.presets) {
            s += "\n  " + p.name + ":";
            for (const auto& [k, v] : p.values) s += " --" + k + " " + v;
            if (p.name == info.schema.defaultPreset) s += "  (default)";
        }
        s += "\n";
    }
    s += "\ncommon options:\n";
    for (const auto& c : kCommon) {
        if (std::string(c.name) == "model" && info.modelSlots.empty()) continue;
        if ((std::string(c.name) == "mesh" || std::string(c.name) == "mesh-output") &&
            std::find(info.outputs.begin(), info.outputs.end(), OutputKind::Mesh) == info.outputs.end())
            continue;
        s += "  " + std::string(c.help) + "\n";
    }
    return s;
}

int cmdRunPipeline(const std::string& id, int argc, char** argv, int first) {
    pipelines::registerBuiltinPipelines();
    const auto pipeline = pipelines::PipelineRegistry::instance().find(id);
    if (!pipeline) throw Error("no pipeline '" + id + "' (kiln pipelines lists them)");
    std::vector<std::string> words(argv + first, argv + argc);
    if (std::find(words.begin(), words.end(), "--help") != words.end() || std::find(words.begin(), words.end(), "-h") != words.end()) {
        std::fputs(pipelineUsage(*pipeline).c_str(), stdout);
        return 0;
    }
    PipelineCommandLine cl = parsePipelineCommandLine(*pipeline, words);
    if (cl.threads > 0) models::configureComputeThreads(cl.threads);
    // The user's own mistakes first (they can fix them here), then what the machine lacks.
    if (!cl.assetPath.empty()) {
        cl.request.inputs.asset = io::loadAsset(cl.assetPath);
        cl.request.inputs.assetFile = cl.assetPath;
    }
    pipeline->validate(cl.request);
    if (const std::string why = pipeline->unavailableReason(cl.request.models); !why.empty()) throw Error(why);
    // Refuse before the work, not after it.
    io::checkCanWrite(cl.output, cl.force);
    if (!cl.meshOutput.empty()) io::checkCanWrite(cl.meshOutput, cl.force);

    auto result = std::make_shared<pipelines::PipelineResult>();
    runJob(id, [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = pipeline->run(cl.request, progress, cancel);
        return result->assets;
    });
    const std::string prefix = "kiln " + id;
    auto write = [&](const fs::path& path, OutputKind kind) {
        if (kind == OutputKind::Field) {
            if (!result->field) throw Error(id + " made no radiance field");
            io::saveField(*result->field, path, cl.force);
            std::printf("wrote %s (%dx%dx%d radiance field)\n", path.string().c_str(), result->field->resolution.x, result->field->resolution.y,
                        result->field->resolution.z);
            return;
        }
        // Every asset of the kind: the first to `path`, variants beside it (OUT_v2.glb, ...).
        const core::AssetKind want = kind == OutputKind::Mesh ? core::AssetKind::Mesh : core::AssetKind::Gaussians;
        std::size_t index = 0;
        for (const core::Asset& a : result->assets) {
            if (a.kind() != want) continue;
            const fs::path target = index == 0 ? path : path.parent_path() / (path.stem().string() + "_v" + std::to_string(index + 1) + path.extension().string());
            if (kind == OutputKind::Mesh && result->writeGlb && io::lowerExtension(target) == ".glb")
                io::writeAtomically(target, cl.force, [&](const fs::path& tmp) { result->writeGlb(tmp, index); });
            else
                io::saveAsset(a, target, {.overwrite = cl.force});
            std::printf("wrote %s (%s) in %.2f s\n", target.string().c_str(), describe(a).c_str(), result->seconds);
            ++index;
        }
        if (index == 0) throw Error(id + " made no " + pipelines::toString(kind));
    };
    write(cl.output, outputKindFor(cl.output, pipeline->info()));
    if (!cl.meshOutput.empty()) write(cl.meshOutput, OutputKind::Mesh);
    for (const auto& line : result->report) std::printf("%s\n", line.c_str());
    for (const auto& n : result->notes) std::fprintf(stderr, "%s: note: %s\n", prefix.c_str(), n.c_str());
    return 0;
}

int cmdPipelines(int argc, char** argv) {
    pipelines::registerBuiltinPipelines();
    const Args args = parseArgs(argc, argv, 2, {}, {"json"});
    if (!args.positional.empty()) throw Error("usage: kiln pipelines [--json]");
    const auto all = pipelines::PipelineRegistry::instance().all();
    if (args.has("json")) {
        nlohmann::ordered_json j = nlohmann::ordered_json::array();
        for (const auto& p : all) j.push_back(pipelines::toJson(*p));
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    for (const auto& p : all) {
        const auto& i = p->info();
        const std::string why = p->unavailableReason();
        std::printf("%-14s %-14s %s%s\n", i.id.c_str(), i.displayName.c_str(), i.description.c_str(),
                    i.origin == "built-in" ? "" : (" [plug-in " + i.origin + "]").c_str());
        if (!why.empty()) std::printf("%-14s unavailable: %s\n", "", why.c_str());
    }
    std::printf("\nkiln PIPELINE --help shows a pipeline's inputs and options\n");
    return 0;
}

} // namespace kiln::app
