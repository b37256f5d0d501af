#pragma once

// One interface for every generation pipeline (DESIGN.md "Pipelines are declared once"). A
// pipeline declares what it takes (inputs), how it can be tuned (an options schema with quality
// presets), which model slots it needs and what it makes; the CLI (`kiln <id>`, `kiln pipelines`),
// the studio's Create tabs and plug-ins are all built from that declaration.
// No torch and no Qt here: the studio, the CLI and plug-ins include this header.

#include "core/asset.h"
#include "core/progress.h"
#include "core/radiance_field.h"
#include "pipelines/options.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kiln::pipelines {

enum class InputKind : std::uint8_t {
    Prompt,      // text describing the asset or the edit
    Images,      // one or more image files
    PosedViews,  // a transforms.json or a COLMAP folder
    Asset,       // an existing asset (the studio's selection, or a file on the CLI)
};
const char* toString(InputKind kind);

struct InputSpec {
    InputKind kind = InputKind::Prompt;
    std::string label;   // "Prompt", "Photos", "Input"
    std::string help;
    int minCount = 1;    // Images: how many files
    int maxCount = 1;
};

enum class OutputKind : std::uint8_t { Splats, Mesh, Field };
const char* toString(OutputKind kind);

struct PipelineInfo {
    std::string id;           // "text-to-3d": the CLI command and the JSON key
    std::string displayName;  // the studio tab's title: "Text"
    std::string description;  // one line for `kiln pipelines` and the tab's tooltip
    std::vector<InputSpec> inputs;
    OptionsSchema schema;
    std::vector<std::string> modelSlots;  // model folders (models/manifest.h) it loads
    std::vector<OutputKind> outputs;      // what it can make; the first is made when nothing is asked
    std::vector<OutputKind> studioOutputs;  // what a studio run adds to the document by default
    std::string verb = "Generate";        // job titles: "Generate “a red chair”", "Reconstruct lego"
    bool needsTorch = true;               // runs LibTorch code (unavailable in builds without it)
    std::string origin = "built-in";      // or the plug-in file that registered it
};

struct PipelineInputs {
    std::string prompt;
    std::vector<std::filesystem::path> images;
    std::filesystem::path views;
    std::optional<core::Asset> asset;
    // The file `asset` was loaded from, when it was (the CLI): a pipeline that must keep the
    // file's own bytes (texture: the artist's glTF buffers) reads it again.
    std::filesystem::path assetFile;
    // Per triangle of `asset`'s mesh, 1: marked by the artist in the viewport as a region to keep
    // (the studio's painted or boxed region; pipelines with a keep region honour it). Empty: none.
    std::vector<std::uint8_t> keptTriangles;
};

struct PipelineRequest {
    PipelineInputs inputs;
    OptionValues options;                                   // complete: from the schema's defaults
    std::set<OutputKind> outputs;                           // what the caller will use (never empty)
    std::map<std::string, std::filesystem::path> models;    // slot -> model folder; absent = the default
};

struct PipelineResult {
    std::vector<core::Asset> assets;          // for the document / the output files, primary first
    std::optional<core::RadianceField> field;  // OutputKind::Field
    std::vector<std::string> report;          // lines the CLI prints after writing (metrics, curves)
    std::vector<std::string> notes;           // things the user should know ("ignored the word ...")
    double seconds = 0.0;
    // When set, a .glb mesh output is written by this (given the path to write and which mesh
    // asset, in order: variants) instead of from the mesh asset: texture rewrites the input glTF
    // so its buffers stay byte for byte.
    std::function<void(const std::filesystem::path&, std::size_t meshIndex)> writeGlb;
};

class Pipeline {
public:
    virtual ~Pipeline() = default;
    virtual const PipelineInfo& info() const = 0;
    // Why it cannot run in this build or on this machine (no LibTorch, no model for a slot);
    // empty when it can. The default checks needsTorch and that every slot has a model, either
    // in `chosen` (slot -> folder the user picked, checked when loaded) or a default one.
    virtual std::string unavailableReason(const std::map<std::string, std::filesystem::path>& chosen = {}) const;
    // Checks the request before any work, so a bad input fails before an hour of compute and
    // before any file is touched. The default checks inputs against info().inputs.
    virtual void validate(const PipelineRequest& request) const;
    // Throws kiln::Error (bad input) or kiln::Cancelled; polls `cancel` at least every 100 ms.
    virtual PipelineResult run(const PipelineRequest& request, core::Progress& progress, const core::CancelToken& cancel) const = 0;

    // A request with the schema's defaults (and default preset) and the first output kind.
    PipelineRequest defaultRequest() const;
    // The outputs `options` let the pipeline make (info().outputs less what Choice options with
    // choiceOutputs rule out).
    std::set<OutputKind> possibleOutputs(const OptionValues& options) const;
    // The model folder for `slot`: the request's, else models::defaultModelDir(slot).
    static std::filesystem::path modelFor(const PipelineRequest& request, const std::string& slot);
};

// Pipelines by id, in registration order. Built-in pipelines register at start-up
// (registerBuiltinPipelines), plug-ins when they are loaded (plugins/). Thread-safe.
class PipelineRegistry {
public:
    static PipelineRegistry& instance();
    // Throws kiln::Error on an empty, malformed or duplicate id, or a malformed schema.
    void add(std::shared_ptr<const Pipeline> pipeline);
    bool remove(const std::string& id);  // tests and plug-in unloading
    std::shared_ptr<const Pipeline> find(const std::string& id) const;
    std::vector<std::shared_ptr<const Pipeline>> all() const;

private:
    PipelineRegistry() = default;
    mutable std::mutex m_mutex;
    std::vector<std::shared_ptr<const Pipeline>> m_pipelines;
};

// Registers text-to-3d and views-to-3d once (later calls do nothing).
void registerBuiltinPipelines();

} // namespace kiln::pipelines
