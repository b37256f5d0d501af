#include "pipelines/pipeline.h"

#include "core/error.h"
#include "models/model_paths.h"

#include <algorithm>

namespace kiln::pipelines {

const char* toString(InputKind kind) {
    switch (kind) {
    case InputKind::Prompt: return "prompt";
    case InputKind::Images: return "images";
    case InputKind::PosedViews: return "posed-views";
    case InputKind::Asset: return "asset";
    }
    return "?";
}

const char* toString(OutputKind kind) {
    switch (kind) {
    case OutputKind::Splats: return "splats";
    case OutputKind::Mesh: return "mesh";
    case OutputKind::Field: return "field";
    }
    return "?";
}

std::string Pipeline::unavailableReason(const std::map<std::string, std::filesystem::path>& chosen) const {
    const PipelineInfo& i = info();
#ifndef KILN_WITH_TORCH
    if (i.needsTorch) return "This build of Kiln lacks LibTorch (KILN_WITH_TORCH=OFF): " + i.displayName + " is not available";
#endif
    for (const auto& slot : i.modelSlots) {
        if (chosen.count(slot)) continue;
        try {
            models::defaultModelDir(slot);
        } catch (const Error& e) {
            return e.what();
        }
    }
    return {};
}

void Pipeline::validate(const PipelineRequest& r) const {
    const PipelineInfo& i = info();
    for (const auto& in : i.inputs) {
        switch (in.kind) {
        case InputKind::Prompt:
            if (r.inputs.prompt.find_first_not_of(" \t\r\n") == std::string::npos && in.minCount > 0)
                throw Error("empty prompt: describe the object, e.g. \"a tall red ceramic vase\"");
            break;
        case InputKind::Images: {
            const int n = int(r.inputs.images.size());
            if (n < in.minCount || n > in.maxCount)
                throw Error(i.id + " takes " +
                            (in.minCount == in.maxCount ? std::to_string(in.minCount) : std::to_string(in.minCount) + " to " + std::to_string(in.maxCount)) +
                            " image(s), not " + std::to_string(n));
            for (const auto& p : r.inputs.images)
                if (!std::filesystem::is_regular_file(p)) throw Error(p.string() + ": no such image file");
            break;
        }
        case InputKind::PosedViews:
            if (r.inputs.views.empty() && in.minCount > 0) throw Error(i.id + ": choose a transforms.json file or a COLMAP folder");
            if (!r.inputs.views.empty() && !std::filesystem::exists(r.inputs.views)) throw Error(r.inputs.views.string() + " does not exist");
            break;
        case InputKind::Asset:
            if (!r.inputs.asset && in.minCount > 0) throw Error(i.id + ": needs an asset (a mesh file, or the selected asset in the studio)");
            break;
        }
    }
    if (r.outputs.empty()) throw Error(i.id + ": no output asked for");
    const auto possible = possibleOutputs(r.options);
    for (const OutputKind k : r.outputs)
        if (!possible.count(k)) {
            if (std::find(i.outputs.begin(), i.outputs.end(), k) == i.outputs.end())
                throw Error(i.id + " does not make " + std::string(toString(k)) + " output");
            std::string why;
            for (const auto& o : i.schema.options)
                if (o.type == OptionType::Choice && !o.choiceOutputs.empty()) why += " --" + o.name + " " + r.options.getText(o.name);
            throw Error(i.id + " makes no " + std::string(toString(k)) + " output with" + why);
        }
}

PipelineRequest Pipeline::defaultRequest() const {
    PipelineRequest r;
    r.options = info().schema.defaults();
    if (!info().outputs.empty()) r.outputs.insert(info().outputs.front());
    return r;
}

std::set<OutputKind> Pipeline::possibleOutputs(const OptionValues& options) const {
    std::set<OutputKind> out(info().outputs.begin(), info().outputs.end());
    for (const auto& o : info().schema.options) {
        if (o.type != OptionType::Choice || o.choiceOutputs.empty()) continue;
        const auto it = std::find(o.choices.begin(), o.choices.end(), options.getText(o.name));
        if (it == o.choices.end()) continue;
        std::set<OutputKind> allowed;
        for (const int k : o.choiceOutputs[std::size_t(it - o.choices.begin())]) allowed.insert(OutputKind(k));
        std::erase_if(out, [&](OutputKind k) { return !allowed.count(k); });
    }
    return out;
}

std::filesystem::path Pipeline::modelFor(const PipelineRequest& request, const std::string& slot) {
    const auto it = request.models.find(slot);
    if (it != request.models.end() && !it->second.empty()) return it->second;
    return models::defaultModelDir(slot);
}

PipelineRegistry& PipelineRegistry::instance() {
    static PipelineRegistry registry;
    return registry;
}

void PipelineRegistry::add(std::shared_ptr<const Pipeline> pipeline) {
    if (!pipeline) throw Error("pipeline registry: no pipeline given");
    const PipelineInfo& i = pipeline->info();
    if (i.id.empty() || i.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
        throw Error("pipeline id '" + i.id + "' must be lower-case words joined by '-'");
    if (i.displayName.empty()) throw Error("pipeline '" + i.id + "' has no display name");
    if (i.outputs.empty()) throw Error("pipeline '" + i.id + "' declares no outputs");
    i.schema.validate(i.id);
    std::lock_guard lock(m_mutex);
    for (const auto& p : m_pipelines)
        if (p->info().id == i.id) throw Error("pipeline '" + i.id + "' is registered twice (" + p->info().origin + " and " + i.origin + ")");
    m_pipelines.push_back(std::move(pipeline));
}

bool PipelineRegistry::remove(const std::string& id) {
    std::lock_guard lock(m_mutex);
    const auto n = std::erase_if(m_pipelines, [&](const auto& p) { return p->info().id == id; });
    return n > 0;
}

std::shared_ptr<const Pipeline> PipelineRegistry::find(const std::string& id) const {
    std::lock_guard lock(m_mutex);
    for (const auto& p : m_pipelines)
        if (p->info().id == id) return p;
    return nullptr;
}

std::vector<std::shared_ptr<const Pipeline>> PipelineRegistry::all() const {
    std::lock_guard lock(m_mutex);
    return m_pipelines;
}

} // namespace kiln::pipelines
