#pragma once

#include "core/asset.h"
#include "core/camera.h"
#include "core/mesh.h"
#include "core/progress.h"
#include "core/radiance_field.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kiln::pipelines {

// Views -> 3D without learned priors (the second stage of SV3D / VFusion3D): fit Gaussians to
// posed images, optionally extract a mesh by TSDF fusion of the splats' rendered depth and colour;
// or fit a radiance field (triplane + MLP, optimize/field_fitter.h), bake it to a density/colour
// grid and optionally extract a mesh by marching cubes of its density.
struct ReconstructOptions {
    std::string representation = "splats";  // "splats" or "field"
    bool mesh = false;
    int iterations = 3000;
    int resolution = 200;        // images are box-downscaled until their longer side fits
    int holdoutEvery = 0;        // > 0: every Nth view is held out and scored, not trained on
    std::uint64_t seed = 0;
    int meshResolution = 192;    // TSDF voxels along the longest side
    std::size_t meshFaces = 100000;
    bool whiteBackground = true; // background behind RGBA views (NeRF-Synthetic convention)
    char up = 'y';               // the source's up axis ('y' or 'z', or 'c': the cameras' mean up); results are rotated so it becomes +Y
    int fieldResolution = 128;   // "field": baked grid cells along the longest side of the occupied box
    int fieldRays = 4096;        // "field": rays per iteration
    // Background removal of views without alpha before fitting: "none", "auto" (the IS-Net pack
    // when installed, else GrabCut), "isnet" or "grabcut". Matted views are fitted over
    // `whiteBackground`'s colour and sparse points that fall outside the mattes are dropped.
    std::string matte = "none";
    // "auto": a photo capture with sparse points (COLMAP) keeps only the splats inside the object
    // it is centred on (pipelines/object_bound.h) and meshes that; the fit itself sees the whole
    // scene, which the photos need. "none": the whole scene.
    std::string bound = "auto";
};

struct ReconstructResult {
    // "splats": the Gaussian cloud, then the mesh when asked for. "field": the mesh when asked for
    // (core::Asset holds no radiance field; the baked field is `field`).
    std::vector<core::Asset> assets;
    core::RadianceField field;        // "field" only
    int trainViews = 0, testViews = 0, splats = 0;
    double testPsnr = 0.0, testSsim = 0.0;  // over held-out views, when any
    std::vector<std::pair<int, double>> trainCurve;
    std::vector<std::pair<int, double>> testCurve;  // held-out PSNR at checkpoints
    double seconds = 0.0;
    std::vector<std::string> notes;
};

// The box a capture without sparse points is seeded in: centred on the point closest to every
// camera's optical axis (least squares; the mean camera centre when the axes are parallel),
// half-width 0.45 x the mean camera distance from it.
core::Bounds cameraFocusBox(const std::vector<core::Camera>& cameras);

// Throws kiln::Error (bad input: missing images, inconsistent sizes, bad poses, unknown
// representation) or kiln::Cancelled.
ReconstructResult reconstruct(const std::filesystem::path& input, const ReconstructOptions& options, core::Progress& progress,
                              const core::CancelToken& cancel);

} // namespace kiln::pipelines
