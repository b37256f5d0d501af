#pragma once

#include <cstdint>
#include <string>

namespace kiln::textgen {

// Architecture of the text -> shape-token generator; stored in the model's config.json.
struct ModelConfig {
    int width = 128;        // transformer width
    int heads = 4;
    int textLayers = 2;     // text encoder depth
    int layers = 6;         // denoiser depth
    int mlpRatio = 4;
    int maxWords = 16;      // longest prompt the encoder reads
    int parts = 64;         // shape tokens (a cube: 27, 64, 125)
    std::int64_t vocabSize = 0;

    // Throws kiln::Error naming `what` on a value out of range.
    void validate(const std::string& what) const;
};

} // namespace kiln::textgen
