#pragma once

#include "core/progress.h"
#include "textgen/shape_tokens.h"

#include <glm/vec3.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::textgen {

// One sample of a dataset written by `kiln dataset build` (engine/procgen/dataset.h).
struct TrainingItem {
    std::string id;
    int category = 0, style = 0, colour = 0;
    std::string material;
    std::string splats;                 // splat file, relative to the dataset folder
    bool validation = false;
    std::vector<std::string> texts;     // caption first, then its paraphrases
    ShapeTokens tokens;                 // the splats as shape tokens
    std::vector<glm::vec3> points;      // up to 512 splat centres, normalised (evaluation references)
};

struct TrainingSet {
    std::filesystem::path dir;
    std::vector<std::string> categories, styles /* "category/style" */, colours, materials;
    std::vector<std::vector<std::string>> categoryStyles;
    std::vector<glm::vec3> paletteLinear;  // linear RGB per colour
    std::vector<TrainingItem> items;
};

// Reads DIR/dataset.json and every item's splat file, encoding the splats as `parts` shape tokens
// (none when parts is 0) on 2 threads. Throws kiln::Error naming the file on a missing or malformed dataset.
TrainingSet loadTrainingSet(const std::filesystem::path& dir, int parts, core::Progress& progress, const core::CancelToken& cancel);

// "categories: chair, stool, ...; colours: red, ...; materials: wooden, ..." for messages.
std::string vocabularyHint(const std::vector<std::string>& categories, const std::vector<std::string>& colours,
                           const std::vector<std::string>& materials);

} // namespace kiln::textgen
