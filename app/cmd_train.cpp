// kiln train shape-autoencoder | text-to-3d: thin wrappers over engine/models (generation is the
// text-to-3d pipeline, app/cmd_pipeline.cpp).
#include "cli.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/autoencoder_training.h"
#include "models/compute.h"
#include "models/image_training.h"
#include "models/judge.h"
#include "models/part_segmenter.h"
#include "models/matting_training.h"
#include "models/model_paths.h"
#include "models/text_training.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

int trainAutoencoder(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 3,
                                {"data", "out", "items", "steps", "batch", "lr", "warmup", "kl", "seed", "checkpoint-every", "threads", "tokens",
                                 "channels", "width", "heads", "encoder-layers", "decoder-layers", "decoder-from", "plane-resolution", "local-neighbours", "fine-resolution", "thin-wall", "anchor-jitter", "look-keys", "detail-tokens", "detail-every"},
                                {"resume", "force", "fresh-queries", "banded-queries"});
    if (!args.positional.empty() || !args.has("data") || !args.has("out"))
        throw Error("usage: kiln train shape-autoencoder --data DIR --out MODEL [--steps N] [--batch B] [--lr X] [--items N] [--tokens M] "
                    "[--channels C] [--width W] [--seed S] [--threads N] [--checkpoint-every N] [--decoder-from MODEL [--plane-resolution R] [--fine-resolution R] [--detail-tokens M [--detail-every K]]] [--local-neighbours K] [--look-keys K] [--fresh-queries] [--banded-queries] [--thin-wall H] [--anchor-jitter S] [--resume] [--force]");
    models::AutoencoderTrainOptions o;
    o.data = args.get("data");
    o.out = args.get("out");
    o.items = args.getInt("items", 0, 0, 10000000);
    o.steps = args.getInt("steps", o.steps, 1, 10000000);
    o.batch = args.getInt("batch", o.batch, 1, 4096);
    o.learningRate = args.getDouble("lr", o.learningRate, 1e-7, 0.5);
    o.warmupSteps = args.getInt("warmup", o.warmupSteps, 0, 1000000);
    o.klWeight = args.getDouble("kl", o.klWeight, 0.0, 10.0);
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.checkpointEvery = args.getInt("checkpoint-every", o.checkpointEvery, 1, 10000000);
    o.threads = args.getInt("threads", 0, 0, 256);
    o.tokens = args.getInt("tokens", o.tokens, 8, 4096);
    o.channels = args.getInt("channels", o.channels, 1, 256);
    o.width = args.getInt("width", o.width, 16, 2048);
    o.heads = args.getInt("heads", o.heads, 1, 64);
    o.encoderLayers = args.getInt("encoder-layers", o.encoderLayers, 0, 32);
    o.decoderLayers = args.getInt("decoder-layers", o.decoderLayers, 0, 32);
    o.resume = args.has("resume");
    o.overwrite = args.has("force");
    o.localNeighbours = args.getInt("local-neighbours", -1, 0, 64);
    o.lookKeys = args.getInt("look-keys", -1, 0, 256);
    o.freshQueries = args.has("fresh-queries");
    o.bandedQueries = args.has("banded-queries");
    o.thinWall = float(args.getDouble("thin-wall", 0.0, 0.0, 0.1));
    o.anchorJitter = float(args.getDouble("anchor-jitter", 0.0, 0.0, 0.1));
    o.detailTokens = args.getInt("detail-tokens", 0, 16, 4096);
    o.detailEvery = args.getInt("detail-every", 2, 2, 16);
    if (args.has("decoder-from")) {
        o.decoderFrom = args.get("decoder-from");
        for (const char* arch : {"tokens", "channels", "width", "heads", "encoder-layers", "decoder-layers"})
            if (args.has(arch)) throw Error(std::string("--") + arch + ": the architecture comes from --decoder-from " + o.decoderFrom.string());
        o.planeResolution = args.getInt("plane-resolution", 0, 4, 512);
        o.fineResolution = args.getInt("fine-resolution", 0, 8, 512);
    } else if (args.has("plane-resolution") || args.has("fine-resolution")) {
        throw Error(std::string(args.has("plane-resolution") ? "--plane-resolution" : "--fine-resolution") +
                    ": only with --decoder-from (a new autoencoder takes the default planes)");
    }
    auto result = std::make_shared<models::AutoencoderTrainResult>();
    runJob("train shape-autoencoder", [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = models::trainShapeAutoencoder(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    std::printf("trained %d steps on %d items (%d validation) in %.1f s (examples %.1f s, %.3f s/step, %d threads); final loss %.4f\n", result->steps,
                result->trainItems, result->validationItems, result->seconds, result->dataSeconds, result->secondsPerStep, models::computeThreads(),
                result->finalLoss);
    std::printf("training terms (last 50 steps): occupancy BCE %.4f, appearance L1 %.4f\n", result->finalOccupancyLoss, result->finalAppearanceLoss);
    std::printf("validation: occupancy IoU %.4f, appearance L1 %.4f\n", result->validationIoU, result->validationAppearanceL1);
    if (o.detailTokens > 0) std::printf("validation at %d tokens: occupancy IoU %.4f\n", o.detailTokens, result->validationDetailIoU);
    std::printf("loss by step:");
    for (const auto& [step, loss] : result->curve) std::printf(" %d:%.4f", step, loss);
    std::printf("\nwrote %s (config.json, weights.safetensors, manifest.json, checkpoint.pt, loss.csv, loss.png)\n", o.out.string().c_str());
    return 0;
}

} // namespace

int trainText(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 3,
                                {"data", "autoencoder", "out", "items", "threads", "steps", "batch", "lr", "seed", "width", "heads", "layers", "text-layers",
                                 "checkpoint-every", "warmup", "token-order", "init-from", "anchor-weight", "shape-given"},
                                {"resume", "force", "freeze-source"});
    if (!args.positional.empty() || !args.has("data") || !args.has("out"))
        throw Error("usage: kiln train text-to-3d --data DIR --out MODEL [--autoencoder DIR] [--steps N] [--batch B] [--lr X] [--seed S] [--width W] "
                    "[--heads H] [--layers L] [--text-layers L] [--warmup N] [--items N] [--token-order morton|set] [--init-from MODEL [--layers L [--freeze-source]]] [--anchor-weight W] [--shape-given F] "
                    "[--checkpoint-every N] [--threads N] [--resume] [--force]");
    models::TextTrainOptions o;
    o.data = args.get("data");
    o.out = args.get("out");
    o.autoencoder = args.has("autoencoder") ? std::filesystem::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder");
    o.items = args.getInt("items", 0, 0, 10000000);
    o.steps = args.getInt("steps", o.steps, 1, 10000000);
    o.batch = args.getInt("batch", o.batch, 1, 4096);
    o.learningRate = args.getDouble("lr", o.learningRate, 1e-7, 0.5);
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.warmupSteps = args.getInt("warmup", o.warmupSteps, 0, 1000000);
    o.width = args.getInt("width", o.width, 16, 2048);
    o.heads = args.getInt("heads", o.heads, 1, 64);
    o.layers = args.getInt("layers", o.layers, 1, 64);
    o.textLayers = args.getInt("text-layers", o.textLayers, 1, 32);
    if (args.has("token-order")) {
        const std::string order = args.get("token-order");
        if (order != "morton" && order != "set") throw Error("kiln train text-to-3d: --token-order \"" + order + "\" is not morton or set");
        o.ordered = order == "morton";
    }
    if (args.has("init-from")) {
        if (args.has("width") || args.has("heads") || args.has("text-layers") || args.has("token-order"))
            throw Error("kiln train text-to-3d: --init-from takes the architecture and token order of the model it starts from; leave out "
                        "--width/--heads/--text-layers/--token-order (--layers L deepens it)");
        o.initFrom = args.get("init-from");
        if (args.has("layers")) o.growLayers = o.layers;
    }
    o.anchorWeight = args.getDouble("anchor-weight", 1.0, 1.0, 100.0);
    o.shapeGivenFraction = args.getDouble("shape-given", 0.0, 0.0, 1.0);
    o.checkpointEvery = args.getInt("checkpoint-every", o.checkpointEvery, 1, 10000000);
    o.threads = args.getInt("threads", 0, 0, 256);
    o.resume = args.has("resume");
    o.overwrite = args.has("force");
    o.freezeSource = args.has("freeze-source");
    auto result = std::make_shared<models::TextTrainResult>();
    runJob("train text-to-3d", [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = models::trainTextToLatent(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    std::printf("trained %d steps on %d items in %.1f s (encoding %.1f s, %.3f s/step, %d threads); final loss %.4f\n", result->steps, result->trainItems,
                result->seconds, result->encodeSeconds, result->secondsPerStep, models::computeThreads(), result->finalLoss);
    std::printf("loss by step:");
    for (const auto& [step, loss] : result->curve) std::printf(" %d:%.4f", step, loss);
    std::printf("\nwrote %s (config.json, weights.safetensors, manifest.json, checkpoint.pt, loss.csv, loss.png)\n", o.out.string().c_str());
    return 0;
}

int trainImage(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 3,
                                {"data", "autoencoder", "out", "items", "threads", "steps", "batch", "lr", "seed", "views", "image-size", "warmup",
                                 "checkpoint-every", "init-from", "width", "heads", "layers"},
                                {"resume", "force"});
    if (!args.positional.empty() || !args.has("data") || !args.has("out"))
        throw Error("usage: kiln train image-to-3d --data DIR --out MODEL [--autoencoder DIR] [--init-from TEXT_MODEL] [--steps N] [--batch B] [--lr X] "
                    "[--seed S] [--views N] [--image-size S] [--warmup N] [--items N] [--width W] [--heads H] [--layers L] [--checkpoint-every N] "
                    "[--threads N] [--resume] [--force]");
    models::ImageTrainOptions o;
    o.data = args.get("data");
    o.out = args.get("out");
    o.autoencoder = args.has("autoencoder") ? std::filesystem::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder");
    if (args.has("init-from")) {
        if (args.has("width") || args.has("heads") || args.has("layers"))
            throw Error("kiln train image-to-3d: --init-from takes the flow's architecture from the text model; leave out --width/--heads/--layers");
        o.initFrom = args.get("init-from");
    }
    o.items = args.getInt("items", 0, 0, 10000000);
    o.steps = args.getInt("steps", o.steps, 1, 10000000);
    o.batch = args.getInt("batch", o.batch, 1, 4096);
    o.learningRate = args.getDouble("lr", o.learningRate, 1e-7, 0.5);
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.viewsPerItem = args.getInt("views", o.viewsPerItem, 1, 64);
    o.imageSize = args.getInt("image-size", o.imageSize, 16, 512);
    o.warmupSteps = args.getInt("warmup", o.warmupSteps, 0, 1000000);
    o.width = args.getInt("width", o.width, 16, 2048);
    o.heads = args.getInt("heads", o.heads, 1, 64);
    o.layers = args.getInt("layers", o.layers, 1, 64);
    o.checkpointEvery = args.getInt("checkpoint-every", o.checkpointEvery, 1, 10000000);
    o.threads = args.getInt("threads", 0, 0, 256);
    o.resume = args.has("resume");
    o.overwrite = args.has("force");
    auto result = std::make_shared<models::ImageTrainResult>();
    runJob("train image-to-3d", [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = models::trainImageToLatent(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    std::printf("trained %d steps on %d items in %.1f s (views %.1f s, %.3f s/step, %d threads); final loss %.4f\n", result->steps, result->trainItems,
                result->seconds, result->renderSeconds, result->secondsPerStep, models::computeThreads(), result->finalLoss);
    std::printf("loss by step:");
    for (const auto& [step, loss] : result->curve) std::printf(" %d:%.4f", step, loss);
    std::printf("\nwrote %s (config.json, flow.json, weights.safetensors, manifest.json, checkpoint.pt, loss.csv, loss.png)\n", o.out.string().c_str());
    return 0;
}

int trainJudgeCommand(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 3, {"data", "out", "items", "steps", "batch", "lr", "seed", "threads"}, {"force"});
    if (!args.positional.empty() || !args.has("data") || !args.has("out"))
        throw Error("usage: kiln train judge --data DIR --out MODEL [--items N] [--steps N] [--batch B] [--lr X] [--seed S] [--threads N] [--force]");
    models::JudgeTrainOptions o;
    o.data = args.get("data");
    o.out = args.get("out");
    o.items = args.getInt("items", o.items, 10, 1000000);
    o.steps = args.getInt("steps", o.steps, 1, 10000000);
    o.batch = args.getInt("batch", o.batch, 1, 4096);
    o.learningRate = args.getDouble("lr", o.learningRate, 1e-7, 0.5);
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.threads = args.getInt("threads", 0, 0, 256);
    o.overwrite = args.has("force");
    auto result = std::make_shared<models::JudgeTrainResult>();
    runJob("train judge", [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = models::trainJudge(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    std::printf("trained the judge on %d assets (renders %.1f s) in %.1f s; on %d held-out real assets: category %.1f%%, colour %.1f%%, material %.1f%%\n",
                result->items, result->renderSeconds, result->seconds, result->validationItems, 100.0 * result->categoryAccuracy,
                100.0 * result->colourAccuracy, 100.0 * result->materialAccuracy);
    return 0;
}

int trainPartSegmenterCommand(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 3, {"data", "autoencoder", "out", "items", "validation-items", "points", "points-per-step", "steps", "batch", "width",
                                                "part-balance", "tokens", "lr", "seed", "threads"},
                                {"force"});
    if (!args.positional.empty() || !args.has("data") || !args.has("out"))
        throw Error("usage: kiln train part-segmenter --data DIR --out MODEL [--autoencoder DIR] [--items N] [--validation-items N] [--points N] "
                    "[--points-per-step N] [--steps N] [--batch B] [--width W] [--part-balance F] [--tokens M] [--lr X] [--seed S] [--threads N] [--force]");
    models::PartSegmenterTrainOptions o;
    o.data = args.get("data");
    o.out = args.get("out");
    o.autoencoder = args.has("autoencoder") ? std::filesystem::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder");
    o.items = args.getInt("items", o.items, 1, 1000000);
    o.validationItems = args.getInt("validation-items", o.validationItems, 0, 100000);
    o.points = args.getInt("points", o.points, 16, 100000);
    o.pointsPerStep = args.getInt("points-per-step", o.pointsPerStep, 16, 100000);
    o.steps = args.getInt("steps", o.steps, 1, 10000000);
    o.batch = args.getInt("batch", o.batch, 1, 4096);
    o.width = args.getInt("width", o.width, 16, 1024);
    o.partBalance = float(args.getDouble("part-balance", 0.0, 0.0, 1.0));
    o.tokens = args.getInt("tokens", 0, 1, 4096);
    if (o.width % 4 != 0) throw Error("--width " + std::to_string(o.width) + ": a multiple of 4 (the attention's heads)");
    o.learningRate = args.getDouble("lr", o.learningRate, 1e-7, 0.5);
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.threads = args.getInt("threads", 0, 0, 256);
    o.overwrite = args.has("force");
    auto result = std::make_shared<models::PartSegmenterTrainResult>();
    runJob("train part-segmenter", [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = models::trainPartSegmenter(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    std::printf("trained the part segmenter on %d assets (building and encoding %.1f s) in %.1f s; on %d held-out assets' surface points: part %.1f%%, "
                "group %.1f%%\n",
                result->items, result->prepareSeconds, result->seconds, result->validationItems, 100.0 * result->partAccuracy, 100.0 * result->groupAccuracy);
    return 0;
}

int trainMattingCommand(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 3,
                                {"data", "photos", "train-photos", "out", "items", "views", "render-size", "resolution", "channels", "steps", "batch", "lr",
                                 "warmup", "seed", "checkpoint-every", "threads"},
                                {"resume", "force"});
    if (!args.positional.empty() || !args.has("data") || !args.has("out") || !args.has("photos"))
        throw Error("usage: kiln train matting --data DIR --photos DIR --out MODEL [--train-photos a.jpg,b.jpg,...] [--steps N] [--batch B] [--lr X] "
                    "[--seed S] [--items N] [--views N] [--render-size PX] [--resolution PX] [--channels 16,32,64,96,128] [--warmup N] "
                    "[--checkpoint-every N] [--threads N] [--resume] [--force]");
    models::MattingTrainOptions o;
    o.data = args.get("data");
    o.photos = args.get("photos");
    o.out = args.get("out");
    if (args.has("train-photos")) {
        std::istringstream list(args.get("train-photos"));
        for (std::string name; std::getline(list, name, ',');)
            if (!name.empty()) o.trainPhotos.push_back(name);
        if (o.trainPhotos.empty()) throw Error("--train-photos: names no photo");
    }
    if (args.has("channels")) {
        o.channels.clear();
        for (const float c : parseFloats(args.get("channels"), "--channels")) {
            if (c != std::floor(c) || c < 1 || c > 1024) throw Error("--channels: each count must be a whole number 1..1024");
            o.channels.push_back(int(c));
        }
    }
    o.items = args.getInt("items", 0, 0, 10000000);
    o.viewsPerItem = args.getInt("views", o.viewsPerItem, 1, 16);
    o.renderSize = args.getInt("render-size", o.renderSize, 32, 1024);
    o.resolution = args.getInt("resolution", o.resolution, 32, 1024);
    o.steps = args.getInt("steps", o.steps, 1, 10000000);
    o.batch = args.getInt("batch", o.batch, 1, 4096);
    o.learningRate = args.getDouble("lr", o.learningRate, 1e-7, 0.5);
    o.warmupSteps = args.getInt("warmup", o.warmupSteps, 0, 1000000);
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.checkpointEvery = args.getInt("checkpoint-every", o.checkpointEvery, 1, 10000000);
    o.threads = args.getInt("threads", 0, 0, 256);
    o.resume = args.has("resume");
    o.overwrite = args.has("force");
    auto result = std::make_shared<models::MattingTrainResult>();
    runJob("train matting", [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = models::trainMatting(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    std::printf("trained %d steps on %d items over %d photos in %.1f s (renders %.1f s, %.3f s/step, %d threads); final loss %.4f\n", result->steps,
                result->trainItems, result->photos, result->seconds, result->renderSeconds, result->secondsPerStep, models::computeThreads(), result->finalLoss);
    std::printf("loss by step:");
    for (const auto& [step, loss] : result->curve) std::printf(" %d:%.4f", step, loss);
    std::printf("\nwrote %s (config.json, weights.safetensors, manifest.json, checkpoint.pt, loss.csv, loss.png)\n", o.out.string().c_str());
    return 0;
}

int cmdTrain(int argc, char** argv) {
    if (argc >= 3 && std::string(argv[2]) == "judge") return trainJudgeCommand(argc, argv);
    if (argc >= 3 && std::string(argv[2]) == "part-segmenter") return trainPartSegmenterCommand(argc, argv);
    if (argc >= 3 && std::string(argv[2]) == "shape-autoencoder") return trainAutoencoder(argc, argv);
    if (argc >= 3 && std::string(argv[2]) == "text-to-3d") return trainText(argc, argv);
    if (argc >= 3 && std::string(argv[2]) == "image-to-3d") return trainImage(argc, argv);
    if (argc >= 3 && std::string(argv[2]) == "matting") return trainMattingCommand(argc, argv);
    throw Error("usage: kiln train shape-autoencoder|text-to-3d|image-to-3d|matting|judge|part-segmenter --data DIR --out MODEL [options]");
}

} // namespace kiln::app
