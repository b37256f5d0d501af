#pragma once

// A text-to-3d model folder (torch-free): config.json (architecture, vocabulary, latent
// statistics, the autoencoder it was trained with, what it knows, the recipe), weights.safetensors
// and manifest.json.

#include "models/shape_latent.h"
#include "models/tokenizer.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln::models {

struct TextToLatentConfig {
    int width = 160;
    int heads = 4;
    int textLayers = 2;
    int layers = 6;
    int mlpRatio = 4;
    int maxWords = 24;
    int tokens = 128;      // latent tokens (the autoencoder's)
    int tokenDim = 19;     // 3 anchor + C channels
    // Tokens sorted along a Morton curve of their anchors, each with a learned index embedding
    // (false: the older permutation-equivariant set model).
    bool ordered = false;
    std::int64_t vocabSize = 0;

    void validate(const std::string& what) const;
};

struct TextModelFile {
    TextToLatentConfig config;
    Tokenizer tokenizer;
    LatentStatistics stats;                // the autoencoder's, as the tokens were normalised with
    std::string autoencoderName, autoencoderVersion, autoencoderWeightsSha256;
    // The autoencoder's encoder (ShapeLatentModel::encoderSha256): an autoencoder whose decoder was
    // fine-tuned with this encoder frozen has the same latent space, so it serves this model too.
    // Empty in configs written before it was recorded: then only the exact weights do.
    std::string autoencoderEncoderSha256;
    int samplerSteps = 32;
    float guidance = 3.0f;
    // Decoding a sampled latent: added to the occupancy logits (DecodeOptions::surfaceBias),
    // chosen when the model is evaluated; 0 when the config does not say.
    float surfaceBias = 0.0f;
    // The starting noise's scale (sampling at a lower temperature: more typical shapes, less
    // varied), chosen when the model is evaluated; 1 when the config does not say. (0, 1.5].
    float temperature = 1.0f;
    // Trained to sample the appearance of a given shape (TextTrainOptions::shapeGivenFraction):
    // sampleAppearance then feeds the shape clean at every step instead of RePaint's noised copy.
    bool shapeGiven = false;
    std::vector<std::string> categories, colours, materials;  // what the prompts can name
    std::string trainingJson = "{}";
};

// Throws kiln::Error naming the file on anything missing or malformed.
// `file`: the config's name in the folder (the image-to-3d model keeps its flow's as flow.json).
TextModelFile readTextModelFile(const std::filesystem::path& dir, const std::string& file = "config.json");
void writeTextModelConfig(const TextModelFile& model, const std::filesystem::path& dir, const std::string& file = "config.json");

} // namespace kiln::models
