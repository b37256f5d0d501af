#pragma once

#include "core/progress.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::textgen {

struct EvalOptions {
    std::filesystem::path model;   // empty = bundled
    std::filesystem::path data;    // dataset folder; its validation items are the prompts
    int maxPrompts = 0;            // 0 = every validation item
    int diversityPrompts = 20;     // prompts sampled with `seeds` seeds for diversity
    int seeds = 4;
    int steps = 0;                 // 0 = the model's default
    float guidance = -1.0f;        // < 0 = the model's default
    int latencyRuns = 3;           // prompt -> GLB timings (0 = skip)
    int referencesPerCategory = 16; // training shapes each category is compared against
};

struct EvalCategoryRow {
    std::string category;
    int prompts = 0, categoryHits = 0, colourHits = 0;
};

struct EvalReport {
    int prompts = 0;
    double categoryAccuracy = 0.0, colourAccuracy = 0.0;
    // The same nearest-reference classifier applied to the real held-out shapes of the prompts:
    // how well category can be told from normalised shape at all (the metric's ceiling).
    double referenceCategoryAccuracy = 0.0;
    double diversity = 0.0;        // mean pairwise Chamfer between seeds of one prompt (normalised units)
    double dataDiversity = 0.0;    // mean pairwise Chamfer between training shapes of one category and style
    double diversityFloor = 0.0;   // stated floor: 0.25 x dataDiversity
    double latencySeconds = 0.0;   // median prompt -> GLB on this machine
    double samplingSeconds = 0.0;  // median prompt -> splats (no mesh)
    std::vector<EvalCategoryRow> categories;
    std::vector<std::string> failures;  // "prompt -> predicted category / colour" for misses
};

// Category accuracy: the generated cloud's nearest reference (Chamfer after normalisation) is of
// the prompted category. Colour accuracy: the mean splat colour is nearest (CIE Lab) to the prompted
// palette colour. Deterministic for a model and dataset.
EvalReport evaluateTextTo3d(const EvalOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::textgen
