#pragma once

// Text -> 3D with Kiln's own bundled generator (no torch types here: many files include this).

#include "core/asset.h"
#include "core/progress.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kiln::textgen {

struct GenerateOptions {
    std::filesystem::path model;   // model folder; empty = the bundled model (bundledModelPath())
    std::uint64_t seed = 0;
    int steps = 32;                // sampler steps, 1..1000
    float guidance = 3.0f;         // classifier-free guidance scale, 0..20
    bool mesh = false;             // also extract a mesh from the generated splats
    int splats = 0;                // 0 = the model's default output splat count
};

struct GenerateResult {
    std::vector<core::Asset> assets;          // the Gaussian cloud, then the mesh when asked for
    std::vector<std::string> unknownWords;    // prompt words the model has never seen
    std::string vocabularyHint;               // what the model knows (for the message)
    double seconds = 0.0;
};

// A loaded model; generate() may be called many times (evaluation, the studio). Not thread-safe:
// one generation at a time per Generator.
class Generator {
public:
    // Throws kiln::Error naming the folder when the model is missing or corrupt.
    explicit Generator(const std::filesystem::path& modelDir);
    ~Generator();
    Generator(const Generator&) = delete;
    Generator& operator=(const Generator&) = delete;

    GenerateResult generate(const std::string& prompt, const GenerateOptions& options, core::Progress& progress,
                            const core::CancelToken& cancel) const;

    const std::filesystem::path& modelDir() const;
    std::string vocabularyHint() const;
    int defaultSteps() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Throws kiln::Error when the prompt has no words (before any model is loaded).
void checkPromptNotEmpty(const std::string& prompt);

// One-shot: loads options.model (or the bundled model) and generates.
// Throws kiln::Error (empty prompt, no known word, missing/corrupt model, option out of range)
// or kiln::Cancelled. Reports a stage per sampler step and previews the intermediate cloud.
GenerateResult generate(const std::string& prompt, const GenerateOptions& options, core::Progress& progress,
                        const core::CancelToken& cancel);

// resources/models/text-to-3d in the source tree or beside the installed executable.
std::filesystem::path bundledModelPath();

} // namespace kiln::textgen
