#include "pipelines/options.h"

#include "core/error.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kiln::pipelines {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string numberText(double v) {
    char buf[64];
    if (v == std::floor(v) && std::abs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
    else std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string joinChoices(const std::vector<std::string>& choices) {
    std::string s;
    for (std::size_t i = 0; i < choices.size(); ++i) s += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
    return s;
}

} // namespace

const char* toString(OptionType type) {
    switch (type) {
    case OptionType::Int: return "int";
    case OptionType::Float: return "float";
    case OptionType::Bool: return "bool";
    case OptionType::Choice: return "choice";
    case OptionType::Text: return "text";
    }
    return "?";
}

OptionSpec intOption(std::string name, std::string label, std::int64_t def, std::int64_t min, std::int64_t max, std::string help) {
    OptionSpec o;
    o.name = std::move(name);
    o.label = std::move(label);
    o.type = OptionType::Int;
    o.defaultNumber = double(def);
    o.min = double(min);
    o.max = double(max);
    o.help = std::move(help);
    return o;
}

OptionSpec floatOption(std::string name, std::string label, double def, double min, double max, std::string help) {
    OptionSpec o = intOption(std::move(name), std::move(label), 0, 0, 0, std::move(help));
    o.type = OptionType::Float;
    o.defaultNumber = def;
    o.min = min;
    o.max = max;
    return o;
}

OptionSpec boolOption(std::string name, std::string label, bool def, std::string help) {
    OptionSpec o;
    o.name = std::move(name);
    o.label = std::move(label);
    o.type = OptionType::Bool;
    o.defaultBool = def;
    o.help = std::move(help);
    return o;
}

OptionSpec choiceOption(std::string name, std::string label, std::vector<std::string> choices, std::string def, std::string help,
                        std::vector<std::string> labels) {
    OptionSpec o;
    o.name = std::move(name);
    o.label = std::move(label);
    o.type = OptionType::Choice;
    o.choices = std::move(choices);
    o.choiceLabels = std::move(labels);
    o.defaultText = std::move(def);
    o.help = std::move(help);
    return o;
}

OptionSpec textOption(std::string name, std::string label, std::string def, std::string help) {
    OptionSpec o;
    o.name = std::move(name);
    o.label = std::move(label);
    o.type = OptionType::Text;
    o.defaultText = std::move(def);
    o.help = std::move(help);
    return o;
}

OptionSpec seedOption() {
    OptionSpec o = intOption("seed", "Seed", 0, 0, 2147483647, "Random seed: the same seed and options give the same result");
    o.isSeed = true;
    return o;
}

const OptionValue& OptionValues::get(const std::string& name) const {
    const auto it = m_values.find(name);
    if (it == m_values.end()) throw Error("no option '" + name + "' in this pipeline");
    return it->second;
}

std::int64_t OptionValues::getInt(const std::string& name) const {
    const auto& v = get(name);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    throw Error("option '" + name + "' is not a whole number");
}

double OptionValues::getFloat(const std::string& name) const {
    const auto& v = get(name);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return double(*i);
    throw Error("option '" + name + "' is not a number");
}

bool OptionValues::getBool(const std::string& name) const {
    const auto& v = get(name);
    if (const auto* b = std::get_if<bool>(&v)) return *b;
    throw Error("option '" + name + "' is not on/off");
}

const std::string& OptionValues::getText(const std::string& name) const {
    const auto& v = get(name);
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    throw Error("option '" + name + "' is not text");
}

std::string OptionValues::text(const std::string& name) const {
    const auto& v = get(name);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&v)) return numberText(*d);
    if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    return std::get<std::string>(v);
}

const OptionSpec* OptionsSchema::find(const std::string& name) const {
    for (const auto& o : options)
        if (o.name == name) return &o;
    return nullptr;
}

const Preset* OptionsSchema::findPreset(const std::string& name) const {
    for (const auto& p : presets)
        if (lower(p.name) == lower(name)) return &p;
    return nullptr;
}

OptionValues OptionsSchema::defaults() const {
    OptionValues v;
    for (const auto& o : options) {
        switch (o.type) {
        case OptionType::Int: v.m_values[o.name] = std::int64_t(o.defaultNumber); break;
        case OptionType::Float: v.m_values[o.name] = o.defaultNumber; break;
        case OptionType::Bool: v.m_values[o.name] = o.defaultBool; break;
        case OptionType::Choice:
        case OptionType::Text: v.m_values[o.name] = o.defaultText; break;
        }
    }
    if (!defaultPreset.empty()) applyPreset(v, defaultPreset);
    return v;
}

void OptionsSchema::set(OptionValues& values, const std::string& name, const std::string& text, bool isExplicit) const {
    const OptionSpec* o = find(name);
    if (!o) throw Error("unknown option --" + name);
    const std::string flag = "--" + name;
    switch (o->type) {
    case OptionType::Int: {
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno == ERANGE || double(v) < o->min || double(v) > o->max)
            throw Error(flag + " must be a whole number from " + numberText(o->min) + " to " + numberText(o->max) + ", not '" + text + "'");
        values.m_values[name] = std::int64_t(v);
        break;
    }
    case OptionType::Float: {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v) || v < o->min || v > o->max)
            throw Error(flag + " must be a number from " + numberText(o->min) + " to " + numberText(o->max) + ", not '" + text + "'");
        values.m_values[name] = v;
        break;
    }
    case OptionType::Bool: {
        const std::string l = lower(text);
        if (l == "" || l == "1" || l == "true" || l == "on" || l == "yes") values.m_values[name] = true;
        else if (l == "0" || l == "false" || l == "off" || l == "no") values.m_values[name] = false;
        else throw Error(flag + " is on or off (true/false), not '" + text + "'");
        break;
    }
    case OptionType::Choice:
        if (std::find(o->choices.begin(), o->choices.end(), text) == o->choices.end())
            throw Error(flag + " must be " + joinChoices(o->choices) + ", not '" + text + "'");
        values.m_values[name] = text;
        break;
    case OptionType::Text: values.m_values[name] = text; break;
    }
    if (isExplicit) values.m_explicit[name] = true;
}

void OptionsSchema::applyPreset(OptionValues& values, const std::string& preset) const {
    const Preset* p = findPreset(preset);
    if (!p) {
        std::vector<std::string> names;
        for (const auto& q : presets) names.push_back(q.name);
        if (names.empty()) throw Error("this pipeline has no quality presets");
        throw Error("--quality must be " + joinChoices(names) + ", not '" + preset + "'");
    }
    for (const auto& [name, text] : p->values)
        if (!values.isExplicit(name)) set(values, name, text, false);
}

void OptionsSchema::validate(const std::string& id) const {
    for (std::size_t i = 0; i < options.size(); ++i) {
        const auto& o = options[i];
        const std::string where = "pipeline '" + id + "': option '" + o.name + "'";
        if (o.name.empty() || o.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
            throw Error(where + ": names are lower-case words joined by '-'");
        for (std::size_t j = 0; j < i; ++j)
            if (options[j].name == o.name) throw Error(where + ": declared twice");
        if ((o.type == OptionType::Int || o.type == OptionType::Float) && !(o.min <= o.defaultNumber && o.defaultNumber <= o.max))
            throw Error(where + ": default outside its range");
        if (o.type == OptionType::Choice &&
            (o.choices.empty() || std::find(o.choices.begin(), o.choices.end(), o.defaultText) == o.choices.end() ||
             (!o.choiceLabels.empty() && o.choiceLabels.size() != o.choices.size()) ||
             (!o.choiceOutputs.empty() && o.choiceOutputs.size() != o.choices.size())))
            throw Error(where + ": default is not one of its choices");
    }
    for (const auto& p : presets) {
        OptionValues v = OptionValues();
        for (const auto& o : options) v.m_values[o.name] = std::int64_t(0);
        for (const auto& [name, text] : p.values) set(v, name, text, false);  // throws on unknown or out of range
    }
    if (!defaultPreset.empty() && !findPreset(defaultPreset)) throw Error("pipeline '" + id + "': default preset '" + defaultPreset + "' is not declared");
}

} // namespace kiln::pipelines
