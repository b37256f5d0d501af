#pragma once

#include <filesystem>

namespace kiln::textgen {

// Figures for `kiln bench textgen` (milliseconds, medians of `repeat` runs on this machine).
struct TextBenchResult {
    double encodeMs = 0;          // one asset's 4096 splats -> 64 shape tokens (k-means + assignment)
    double trainStepMs1 = 0;      // one training step of the bundled architecture, batch 64, 1 thread
    double trainStepMs2 = 0;      // the same with 2 threads
    double sampleMs = 0;          // prompt -> splats, default steps, guidance on (2 rows per step)
    double sampleNoGuidanceMs = 0;// the same with guidance 1 (the unconditional row skipped)
    double meshMs = 0;            // prompt -> splats -> mesh
    int steps = 0;
};

// Uses the model in `model` (the bundled one when empty). Throws kiln::Error.
TextBenchResult benchTextTo3d(const std::filesystem::path& model, int repeat);

} // namespace kiln::textgen
