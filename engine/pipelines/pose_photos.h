#pragma once

// Photos without poses -> a COLMAP model, by running Debian's `colmap` (SIFT features on the CPU,
// exhaustive matching up to kExhaustiveLimit photos and sequential matching beyond, incremental
// mapping). The result is cached per photo folder, so a second reconstruction of the same photos
// does not pose them again.
#include "core/progress.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::pipelines {

// A folder that holds photos (JPEG, PNG, TIFF, EXR, ...) and neither a transforms*.json nor a
// COLMAP model (in it, or in sparse/0, sparse or colmap/sparse/0).
bool isUnposedPhotoFolder(const std::filesystem::path& input);

struct PosePhotosOptions {
    std::filesystem::path cacheDir;  // where the COLMAP workspace goes; empty: defaultPoseCache()
    int threads = 0;                 // <= 0: every core
    int maxImageSize = 1600;         // SIFT on images downscaled to this longer side
    bool reuse = true;               // a finished workspace for the same photos is used again
};

struct PosePhotosResult {
    std::filesystem::path model;  // the COLMAP model folder (<workspace>/sparse/N) with the most posed photos
    int photos = 0;               // photos in the folder
    int posed = 0;                // photos COLMAP registered in that model
    bool reused = false;          // the workspace was posed by an earlier run
    double seconds = 0.0;
    std::vector<std::string> notes;
};

constexpr int kExhaustiveLimit = 60;

// $XDG_CACHE_HOME/kiln/colmap, else ~/.cache/kiln/colmap.
std::filesystem::path defaultPoseCache();

// Runs COLMAP on `folder`, reporting its stages ("posing photos: features 12/31", "matching",
// "mapping: 20 posed") between `from` and `to` of the job's progress; cancelling stops COLMAP.
// Throws kiln::Error naming the folder and the reason when COLMAP is not installed, fails, or
// poses fewer than 3 photos.
PosePhotosResult posePhotos(const std::filesystem::path& folder, const PosePhotosOptions& options, core::Progress& progress,
                            const core::CancelToken& cancel, float from = 0.0f, float to = 0.1f);

} // namespace kiln::pipelines
