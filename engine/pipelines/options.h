#pragma once

// A pipeline's options, declared once (STYLE 17): the CLI parser, `--help`, `kiln pipelines
// --json` and the studio's Create forms are all built from this schema.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kiln::pipelines {

enum class OptionType : std::uint8_t { Int, Float, Bool, Choice, Text };

const char* toString(OptionType type);

struct OptionSpec {
    std::string name;   // CLI "--name", JSON key, studio widget object name: "steps"
    std::string label;  // studio form label: "Steps"
    OptionType type = OptionType::Int;
    std::string help;   // one sentence; the CLI's --help and the studio's tooltip
    double defaultNumber = 0.0, min = 0.0, max = 0.0;  // Int and Float (inclusive range)
    bool defaultBool = false;
    std::string defaultText;           // Choice (one of `choices`) and Text
    std::vector<std::string> choices;  // Choice
    std::vector<std::string> choiceLabels;  // Choice: studio labels, same order (empty: the choices)
    // Choice: what each choice lets the pipeline make, same order, as OutputKind values (empty: no
    // restriction). The studio asks only for outputs the selected choice makes.
    std::vector<std::vector<int>> choiceOutputs;
    bool isSeed = false;               // a random seed: the studio adds a dice button
};

// Builders, so a declaration reads as one line per option.
OptionSpec intOption(std::string name, std::string label, std::int64_t def, std::int64_t min, std::int64_t max, std::string help);
OptionSpec floatOption(std::string name, std::string label, double def, double min, double max, std::string help);
OptionSpec boolOption(std::string name, std::string label, bool def, std::string help);
OptionSpec choiceOption(std::string name, std::string label, std::vector<std::string> choices, std::string def, std::string help,
                        std::vector<std::string> labels = {});
OptionSpec textOption(std::string name, std::string label, std::string def, std::string help);
OptionSpec seedOption();  // "seed", 0..2^31-1, default 0

// A named set of option values (quality presets: "draft", "standard", "high").
struct Preset {
    std::string name;
    std::string label;
    std::map<std::string, std::string> values;  // option name -> value text
};

using OptionValue = std::variant<std::int64_t, double, bool, std::string>;

class OptionsSchema;

// Values for every option of a schema; always complete and in range (OptionsSchema builds and
// checks them).
class OptionValues {
public:
    std::int64_t getInt(const std::string& name) const;
    double getFloat(const std::string& name) const;
    bool getBool(const std::string& name) const;
    const std::string& getText(const std::string& name) const;  // Choice and Text
    // The value as text (what the CLI would take), for provenance and display.
    std::string text(const std::string& name) const;
    const std::map<std::string, OptionValue>& all() const { return m_values; }
    // Options the user set explicitly (CLI or form), as opposed to defaults and presets.
    bool isExplicit(const std::string& name) const { return m_explicit.count(name) != 0; }

private:
    friend class OptionsSchema;
    const OptionValue& get(const std::string& name) const;
    std::map<std::string, OptionValue> m_values;
    std::map<std::string, bool> m_explicit;
};

class OptionsSchema {
public:
    std::vector<OptionSpec> options;
    std::vector<Preset> presets;  // may be empty
    std::string defaultPreset;    // applied by defaults() when not empty

    const OptionSpec* find(const std::string& name) const;
    const Preset* findPreset(const std::string& name) const;  // case-insensitive
    // Defaults of every option, then the default preset.
    OptionValues defaults() const;
    // Parses `text` for option `name` and stores it. Throws kiln::Error worded for the CLI
    // ("--steps must be a whole number from 1 to 1000, not 'x'"; "unknown option --foo").
    void set(OptionValues& values, const std::string& name, const std::string& text, bool isExplicit = true) const;
    // Sets the preset's values (not overriding options set explicitly). Throws on an unknown name.
    void applyPreset(OptionValues& values, const std::string& preset) const;
    // Throws kiln::Error when an option, preset or default is malformed (checked at registration).
    void validate(const std::string& pipelineId) const;
};

} // namespace kiln::pipelines
