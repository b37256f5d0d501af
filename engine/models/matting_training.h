#pragma once

// `kiln train matting`: Kiln's matting network (models/matting_net.h) trained on composites made
// on the fly: a procedural-library training asset rendered on the CPU (image_views.h: random
// orbit camera, random studio light; exact coverage as alpha) laid at a random size, place and
// stretch over a random crop of a real photograph (only the photographs named for training;
// the rest stay held out for the benchmark), with a contact shadow, colour shifts, blur and noise,
// and some samples with no object at all. Loss: binary cross-entropy plus soft IoU on the alpha.
// Writes a model folder (config.json, weights.safetensors with batch norm folded into the convs,
// manifest.json, loss.csv/png, checkpoint.pt). Torch-free header.

#include "core/image.h"
#include "core/progress.h"

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace kiln::models {

struct MattingTrainOptions {
    std::filesystem::path data;                 // dataset folder (kiln dataset build): its train items
    std::filesystem::path photos;               // folder of background photographs
    std::vector<std::string> trainPhotos;       // file names in `photos` used for training (empty: every image there)
    std::filesystem::path out;
    int items = 0;                              // 0: every train item
    int viewsPerItem = 2;                       // rendered once, before training
    int renderSize = 160;
    int resolution = 128;                       // the training composites' side
    std::vector<int> channels{16, 32, 64, 96, 128};
    int steps = 3000;
    int batch = 24;
    double learningRate = 2e-3;
    int warmupSteps = 100;
    double emaDecay = 0.998;
    std::uint64_t seed = 0;
    int checkpointEvery = 250;
    int threads = 0;
    bool resume = false, overwrite = false;
};

struct MattingTrainResult {
    int steps = 0, trainItems = 0, photos = 0;
    double seconds = 0.0, renderSeconds = 0.0, secondsPerStep = 0.0, finalLoss = 0.0;
    std::vector<std::pair<int, double>> curve;
};

MattingTrainResult trainMatting(const MattingTrainOptions& options, core::Progress& progress, const core::CancelToken& cancel);

// An object cut out for compositing: straight (not premultiplied) RGBA, 8 bits, cropped to its
// coverage's box.
struct MattingObject {
    int width = 0, height = 0;
    std::vector<std::uint8_t> rgba;
};
// The object of an F32 RGBA render (alpha = coverage); empty when nothing is covered.
MattingObject cutOutObject(const core::Image& rgba);

// One training composite: `object` (or none, when `object` is null) over a random crop of one of
// `photos` (F32 or U8 RGB), `size` x `size`: rgb F32 3 channels, truth F32 alpha.
struct MattingComposite {
    core::Image rgb, truth;
};
MattingComposite composeMattingSample(const MattingObject* object, const std::vector<core::Image>& photos, int size, std::mt19937_64& rng);

// The photographs of a folder as training backgrounds (downscaled so the short side is at most
// `shortSide`); `names` picks files (empty: every image). Throws kiln::Error naming the folder.
std::vector<core::Image> loadBackgroundPhotos(const std::filesystem::path& folder, const std::vector<std::string>& names, int shortSide);

// The training checkpoint's averaged network (LibTorch, batch norm as trained, not folded) on an
// image squashed to `resolution`: the reference the folded ONNX network must reproduce (tests).
core::Image runMattingCheckpoint(const std::filesystem::path& dir, const core::Image& image, int resolution);

} // namespace kiln::models
