#include "pipelines/pipeline_json.h"

namespace kiln::pipelines {

nlohmann::ordered_json toJson(const OptionsSchema& schema) {
    const OptionValues defaults = schema.defaults();
    nlohmann::ordered_json options = nlohmann::ordered_json::array();
    for (const auto& o : schema.options) {
        nlohmann::ordered_json j;
        j["name"] = o.name;
        j["label"] = o.label;
        j["type"] = toString(o.type);
        switch (o.type) {
        case OptionType::Int:
            j["default"] = defaults.getInt(o.name);
            j["min"] = std::int64_t(o.min);
            j["max"] = std::int64_t(o.max);
            break;
        case OptionType::Float:
            j["default"] = defaults.getFloat(o.name);
            j["min"] = o.min;
            j["max"] = o.max;
            break;
        case OptionType::Bool: j["default"] = defaults.getBool(o.name); break;
        case OptionType::Choice:
            j["default"] = defaults.getText(o.name);
            j["choices"] = o.choices;
            if (!o.choiceOutputs.empty()) {
                nlohmann::ordered_json makes = nlohmann::ordered_json::object();
                for (std::size_t c = 0; c < o.choices.size(); ++c) {
                    std::vector<std::string> kinds;
                    for (const int k : o.choiceOutputs[c]) kinds.emplace_back(toString(OutputKind(k)));
                    makes[o.choices[c]] = kinds;
                }
                j["choiceOutputs"] = makes;
            }
            break;
        case OptionType::Text: j["default"] = defaults.getText(o.name); break;
        }
        if (o.isSeed) j["seed"] = true;
        j["help"] = o.help;
        options.push_back(std::move(j));
    }
    nlohmann::ordered_json presets = nlohmann::ordered_json::array();
    for (const auto& p : schema.presets) presets.push_back({{"name", p.name}, {"label", p.label}, {"values", p.values}});
    nlohmann::ordered_json out;
    out["options"] = std::move(options);
    out["presets"] = std::move(presets);
    if (!schema.defaultPreset.empty()) out["defaultPreset"] = schema.defaultPreset;
    return out;
}

nlohmann::ordered_json toJson(const Pipeline& pipeline) {
    const PipelineInfo& i = pipeline.info();
    nlohmann::ordered_json j;
    j["id"] = i.id;
    j["name"] = i.displayName;
    j["description"] = i.description;
    j["origin"] = i.origin;
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (const auto& in : i.inputs)
        inputs.push_back({{"kind", toString(in.kind)}, {"label", in.label}, {"help", in.help}, {"min", in.minCount}, {"max", in.maxCount}});
    j["inputs"] = std::move(inputs);
    std::vector<std::string> outputs;
    for (const auto k : i.outputs) outputs.emplace_back(toString(k));
    j["outputs"] = outputs;
    j["modelSlots"] = i.modelSlots;
    const std::string why = pipeline.unavailableReason();
    j["available"] = why.empty();
    if (!why.empty()) j["unavailableReason"] = why;
    const auto schema = toJson(i.schema);
    for (const auto& [k, v] : schema.items()) j[k] = v;
    return j;
}

} // namespace kiln::pipelines
