#pragma once

// The procedural library on disk (v2): what `kiln dataset build` writes and trainers read.
//
// Layout of DIR:
//   meshes/NNNNNN.glb        the textured asset (one material per part; base colour, metallic-
//                            roughness and normal maps sharing one atlas)
//   samples/NNNNNN.bin       surface samples: position, normal, albedo (linear), roughness,
//                            metallic, part (readSamples)
//   views/NNNNNN/            with --views: rgba_KK.png (lit, transparent background), depth_KK.png
//                            (16-bit millimetres, 0 = empty), normal_KK.png (world normals),
//                            parts_KK.png (8-bit part index + 1, 0 = empty), transforms.json
//                            (NeRF-Synthetic layout: camera_angle_x, frames with transform_matrix)
//   edits/NNNNNN.glb, .bin   with --edits: the edited asset of item NNNNNN
//   dataset.json             the manifest, written last (items with parameters, captions, split;
//                            edit pairs with their instructions)
//
// Splits: "test-category" for the held-out categories (heldOutCategories), "val-triple" for held-
// out (category, colour, material) triples, "val" for a fraction of the remaining seeds, else
// "train".

#include "core/progress.h"
#include "procgen/edits.h"
#include "procgen/procgen.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln::procgen {

struct DatasetOptions {
    std::filesystem::path outDir;
    int count = 0;              // items, 1..999999
    std::uint64_t seed = 0;
    int textureSize = 512;      // atlas texels per side (power of two, 64..4096)
    int samples = 8192;         // surface samples per item, 0 = none
    bool meshes = true;         // write meshes/*.glb
    int views = 0;              // rendered views per item, 0 = none
    int viewSize = 256;
    int edits = 0;              // edit pairs: the first `edits` items get one each
    double valFraction = 0.05;  // of seeds, 0..0.5
    double tripleFraction = 0.08;  // of (category, colour, material) triples, 0..0.5
    bool force = false;         // replace an existing dataset in a non-empty outDir
    int threads = 2;            // generation workers (rendering stays on the calling thread)
};

struct DatasetSummary {
    int items = 0, train = 0, val = 0, valTriple = 0, testCategory = 0, edits = 0;
    double seconds = 0.0;
    std::filesystem::path manifest;
};

// Item `index`: category = index mod the category count, the rest from (seed, index).
AssetParams datasetParams(std::uint64_t seed, int index);
std::string datasetItemId(int index);  // "000123"
// The split of an item ("train", "val", "val-triple", "test-category").
std::string datasetSplit(const AssetParams& params, std::uint64_t seed, int index, double valFraction, double tripleFraction);

// Refuses (kiln::Error naming the folder) a non-empty outDir unless `force`; with `force` removes
// only dataset.json and the dataset's folders. Files are written atomically, dataset.json last.
DatasetSummary buildDataset(const DatasetOptions& options, core::Progress& progress, const core::CancelToken& cancel = {});

// A dataset read back: every item's parameters, captions and split.
struct DatasetItem {
    std::string id;
    AssetParams params;
    std::string caption;
    std::vector<std::string> paraphrases;
    std::string split;
};
struct DatasetEdit {
    std::string item;
    EditPair pair;
};
struct Dataset {
    std::filesystem::path dir;
    std::uint64_t seed = 0;
    int textureSize = 0;
    std::vector<DatasetItem> items;
    std::vector<DatasetEdit> edits;
};
// Throws kiln::Error naming the file on a missing or malformed manifest.
Dataset readDataset(const std::filesystem::path& dir);

// samples/*.bin
void writeSamples(const SurfaceSamples& samples, const std::filesystem::path& path);
SurfaceSamples readSamples(const std::filesystem::path& path);

// One thumbnail per category x style (lit render, front-three-quarter), captioned with the
// category name, tiled into one image: the library at a glance.
core::Image contactSheet(int thumbnail, std::uint64_t seed, core::Progress& progress, const core::CancelToken& cancel = {});

} // namespace kiln::procgen
