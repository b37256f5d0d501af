#pragma once

// A text-to-3D model folder: config.json (architecture, vocabulary, token statistics, what the
// model knows, the training recipe), weights.safetensors (the EMA weights) and manifest.json.

#include "textgen/model_config.h"
#include "textgen/shape_tokens.h"
#include "textgen/tokenizer.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::textgen {

struct ModelFile {
    ModelConfig config;
    Tokenizer tokenizer;
    // Per-channel standardisation of part tokens, and of the size token's first channel.
    float tokenMean[kTokenDim] = {}, tokenStd[kTokenDim] = {};
    float sizeMean = 0.0f, sizeStd = 1.0f;
    std::vector<std::string> categories, colours, materials;
    int samplerSteps = 32;
    float guidance = 3.0f;
    int childrenPerPart = 32;
    std::string trainingJson = "{}";   // the recipe and training summary, kept verbatim

    std::filesystem::path weightsPath(const std::filesystem::path& dir) const { return dir / "weights.safetensors"; }
};

// Throws kiln::Error naming the folder or file on anything missing or malformed.
ModelFile readModelFile(const std::filesystem::path& dir);
void writeModelConfig(const ModelFile& model, const std::filesystem::path& dir);

} // namespace kiln::textgen
