#pragma once

// The procedural dataset on disk: what `kiln dataset build` writes and `kiln train` reads.
//
// Layout of DIR:
//   meshes/NNNNNN.glb   the procedural mesh (vertex colours, one material)
//   splats/NNNNNN.ply   Gaussian splats sampled on its surface (INRIA 3DGS PLY, SH degree 0,
//                       same frame as the mesh: +Y up, metres)
//   views/NNNNNN.png    `views` lit renders around the object, tiled in one image
//                       (render::composeGrid, ceil(sqrt(views)) columns, viewSize pixels square)
//   dataset.json        the manifest (written last; see buildDataset)
//
// The split is by parameter combination: isValidationTriple(category, style, colour) decides,
// so validation items show (category, colour, style) combinations never seen together in training.

#include "core/progress.h"
#include "procgen/v1/procgen.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace kiln::procgen::v1 {

struct DatasetOptions {
    std::filesystem::path outDir;
    int count = 0;               // items, >= 1
    std::uint64_t seed = 0;
    int splats = 4096;           // splats per item, >= 1
    int views = 4;               // renders per item, 0 = none (no views/ folder, no "views" keys)
    int viewSize = 128;          // pixels, square
    double valFraction = 0.1;    // of (category, style, colour) triples, 0..0.5
    bool force = false;          // replace an existing dataset in a non-empty outDir
    int threads = 2;             // mesh/splat workers; rendering stays on the calling thread
};

struct DatasetSummary {
    int items = 0;
    int train = 0;
    int val = 0;
    int valTriples = 0;          // distinct (category, style, colour) triples among val items
    double seconds = 0.0;
    std::filesystem::path manifest;
};

// Parameters of item `index`: category index % categoryCount, the rest from an RNG seeded by
// (seed, index), so an item does not depend on thread scheduling or on the dataset size.
AssetParams datasetParams(std::uint64_t seed, int index);

// Item id as used in file names: six digits, zero padded ("000123").
std::string datasetItemId(int index);

// Builds the dataset. Refuses (kiln::Error naming the folder) a non-empty outDir unless `force`;
// with `force` it first removes outDir/dataset.json and the meshes/, splats/, views/ folders
// (nothing else). Item files are written atomically one by one and dataset.json last, so a
// failed or cancelled build never leaves a manifest naming missing files.
DatasetSummary buildDataset(const DatasetOptions& options, core::Progress& progress, const core::CancelToken& cancel = {});

} // namespace kiln::procgen::v1
