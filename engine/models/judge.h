#pragma once

// The attribute judge: a small convolutional network Kiln trains on renders of its own library
// (four lit views of an asset) to say what an asset shows: its category, and the colour and
// material of its main part group. Evaluation asks it about generated assets, so accuracy is
// measured by what the asset looks like, not by how close it is to one training shape.
// Torch-free header.

#include "core/mesh.h"
#include "core/progress.h"
#include "procgen/materials.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kiln::models {

inline constexpr int kJudgeViews = 4;
inline constexpr int kJudgeSize = 64;

struct JudgeVerdict {
    int category = -1;   // procgen::categories() index
    int colour = -1;     // procgen::palette() index
    procgen::MaterialKind material = procgen::MaterialKind::Wood;
};

// Renders the judge's views of a mesh: kJudgeViews lit 64x64 views around it (RGB, 0..1).
class JudgeRenderer {
public:
    JudgeRenderer();
    ~JudgeRenderer();
    std::vector<float> views(const core::Mesh& mesh, float yawOffset = 0.0f);  // kJudgeViews x 3 x 64 x 64

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

class AttributeJudge {
public:
    // Verifies the folder (slot "judge") and loads it.
    explicit AttributeJudge(const std::filesystem::path& dir);
    ~AttributeJudge();
    JudgeVerdict judge(const std::vector<float>& views) const;
    JudgeVerdict judge(const core::Mesh& mesh) const;  // renders, then judges

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

struct JudgeTrainOptions {
    std::filesystem::path data, out;
    int items = 3000;
    int steps = 2500;
    int batch = 32;
    double learningRate = 1e-3;
    std::uint64_t seed = 0;
    int threads = 0;
    bool overwrite = false;
};
struct JudgeTrainResult {
    int items = 0, steps = 0;
    double renderSeconds = 0.0, seconds = 0.0;
    double categoryAccuracy = 0.0, colourAccuracy = 0.0, materialAccuracy = 0.0;  // on held-out real assets
    int validationItems = 0;
};
JudgeTrainResult trainJudge(const JudgeTrainOptions& options, core::Progress& progress, const core::CancelToken& cancel);

} // namespace kiln::models
