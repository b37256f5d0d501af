#pragma once

#include "core/asset.h"
#include "core/progress.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kiln::pipelines {

// Views -> 3D without learned priors (the second stage of SV3D / VFusion3D): fit Gaussians to
// posed images, optionally extract a mesh by TSDF fusion of the splats' rendered depth and colour.
struct ReconstructOptions {
    std::string representation = "splats";  // only "splats" is built
    bool mesh = false;
    int iterations = 3000;
    int resolution = 200;        // images are box-downscaled until their longer side fits
    int holdoutEvery = 0;        // > 0: every Nth view is held out and scored, not trained on
    std::uint64_t seed = 0;
    int meshResolution = 192;    // TSDF voxels along the longest side
    std::size_t meshFaces = 100000;
    bool whiteBackground = true; // background behind RGBA views (NeRF-Synthetic convention)
};

struct ReconstructResult {
    std::vector<core::Asset> assets;  // the Gaussian cloud, then the mesh when asked for
    int trainViews = 0, testViews = 0, splats = 0;
    double testPsnr = 0.0, testSsim = 0.0;  // over held-out views, when any
    std::vector<std::pair<int, double>> trainCurve;
    std::vector<std::pair<int, double>> testCurve;  // held-out PSNR at checkpoints
    double seconds = 0.0;
    std::vector<std::string> notes;
};

// Throws kiln::Error (bad input: missing images, inconsistent sizes, bad poses, unknown
// representation) or kiln::Cancelled.
ReconstructResult reconstruct(const std::filesystem::path& input, const ReconstructOptions& options, core::Progress& progress,
                              const core::CancelToken& cancel);

} // namespace kiln::pipelines
