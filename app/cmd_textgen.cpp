// kiln train text-to-3d / kiln eval text-to-3d: thin wrappers over engine/textgen (generation is the
// text-to-3d pipeline, app/cmd_pipeline.cpp).
#include "cli.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/compute.h"
#include "textgen/eval.h"
#include "textgen/text_to_3d.h"
#include "textgen/train.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace fs = std::filesystem;

namespace kiln::app {

int cmdTrain(int argc, char** argv) {
    if (argc < 3 || std::string(argv[2]) != "text-to-3d") throw Error("usage: kiln train text-to-3d --data DIR --out MODEL [options] (only text-to-3d can be trained)");
    const Args args = parseArgs(argc, argv, 3,
                                {"data", "out", "threads", "steps", "batch", "lr", "seed", "width", "heads", "layers", "text-layers", "parts", "checkpoint-every", "warmup"},
                                {"resume", "force"});
    if (!args.positional.empty() || !args.has("data") || !args.has("out"))
        throw Error("usage: kiln train text-to-3d --data DIR --out MODEL [--steps N] [--batch B] [--lr X] [--seed S] [--width W] [--heads H] "
                    "[--layers L] [--text-layers L] [--parts 27|64|125] [--warmup N] [--checkpoint-every N] [--threads N] [--resume] [--force]");
    textgen::TrainOptions o;
    o.data = args.get("data");
    o.out = args.get("out");
    o.steps = args.getInt("steps", o.steps, 1, 10000000);
    o.batch = args.getInt("batch", o.batch, 1, 4096);
    o.learningRate = float(args.getDouble("lr", o.learningRate, 1e-7, 0.5));
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.warmupSteps = args.getInt("warmup", o.warmupSteps, 0, 1000000);
    o.model.width = args.getInt("width", o.model.width, 16, 2048);
    o.model.heads = args.getInt("heads", o.model.heads, 1, 64);
    o.model.layers = args.getInt("layers", o.model.layers, 1, 64);
    o.model.textLayers = args.getInt("text-layers", o.model.textLayers, 1, 32);
    o.model.parts = args.getInt("parts", o.model.parts, 8, 216);
    o.checkpointEvery = args.getInt("checkpoint-every", o.checkpointEvery, 1, 10000000);
    if (args.has("threads")) models::configureComputeThreads(args.getInt("threads", 0, 1, 256));
    o.resume = args.has("resume");
    o.overwrite = args.has("force");
    auto result = std::make_shared<textgen::TrainResult>();
    runJob("train text-to-3d", [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = textgen::trainTextTo3d(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    std::printf("trained %d steps on %d items (%d held out for validation) in %.1f s (data %.1f s, %.3f s/step, %d threads); final loss %.4f\n",
                result->steps, result->trainItems, result->validationItems, result->seconds, result->loadSeconds, result->secondsPerStep,
                models::computeThreads(), result->finalLoss);
    std::printf("loss by step:");
    for (const auto& [step, loss] : result->curve) std::printf(" %d:%.3f", step, loss);
    std::printf("\nwrote %s (config.json, weights.pt, checkpoint.pt, loss.csv, loss.png)\n", o.out.string().c_str());
    return 0;
}

int cmdEval(int argc, char** argv) {
    if (argc < 3 || std::string(argv[2]) != "text-to-3d") throw Error("usage: kiln eval text-to-3d --data DIR [--model MODEL] (only text-to-3d can be evaluated)");
    const Args args = parseArgs(argc, argv, 3, {"model", "data", "prompts", "diversity-prompts", "seeds", "steps", "guidance", "latency-runs", "json", "threads"}, {});
    if (args.has("threads")) models::configureComputeThreads(args.getInt("threads", 0, 1, 256));
    if (!args.positional.empty() || !args.has("data"))
        throw Error("usage: kiln eval text-to-3d --data DIR [--model MODEL] [--prompts N] [--diversity-prompts N] [--seeds N] [--steps N] [--guidance G] "
                    "[--latency-runs N] [--threads N] [--json OUT.json]");
    textgen::EvalOptions o;
    o.model = args.get("model");
    o.data = args.get("data");
    o.maxPrompts = args.getInt("prompts", 0, 0, 1000000);
    o.diversityPrompts = args.getInt("diversity-prompts", o.diversityPrompts, 0, 100000);
    o.seeds = args.getInt("seeds", o.seeds, 2, 64);
    o.steps = args.getInt("steps", 0, 0, 1000);
    o.guidance = float(args.getDouble("guidance", -1.0, 0.0, 20.0));
    o.latencyRuns = args.getInt("latency-runs", o.latencyRuns, 0, 100);
    if (args.has("json")) io::checkCanWrite(args.get("json"), true);
    auto report = std::make_shared<textgen::EvalReport>();
    runJob("eval text-to-3d", [&, report](core::Progress& progress, const core::CancelToken& cancel) {
        *report = textgen::evaluateTextTo3d(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    const auto& r = *report;
    std::printf("%-10s %8s %10s %10s\n", "category", "prompts", "category%", "colour%");
    for (const auto& row : r.categories) {
        if (row.prompts == 0) continue;
        std::printf("%-10s %8d %9.1f%% %9.1f%%\n", row.category.c_str(), row.prompts, 100.0 * row.categoryHits / row.prompts,
                    100.0 * row.colourHits / row.prompts);
    }
    std::printf("%-10s %8d %9.1f%% %9.1f%%   (targets: >= 90%%, >= 90%%)\n", "all", r.prompts, 100.0 * r.categoryAccuracy, 100.0 * r.colourAccuracy);
    std::printf("metric ceiling: the same classifier on the real held-out shapes gets %.1f%% category accuracy\n", 100.0 * r.referenceCategoryAccuracy);
    std::printf("diversity: mean pairwise Chamfer of %d seeds %.4f (floor %.4f = 0.25 x same-style training shapes %.4f): %s\n", o.seeds, r.diversity,
                r.diversityFloor, r.dataDiversity, r.diversity >= r.diversityFloor ? "above floor" : "BELOW floor");
    std::printf("latency: prompt -> splats %.3f s, prompt -> GLB (mesh) %.2f s median (target < 10 s)\n", r.samplingSeconds, r.latencySeconds);
    if (!r.failures.empty()) {
        std::printf("misses (prompt -> nearest category, colour):\n");
        for (const auto& f : r.failures) std::printf("  %s\n", f.c_str());
    }
    if (args.has("json")) {
        nlohmann::ordered_json j;
        j["prompts"] = r.prompts;
        j["categoryAccuracy"] = r.categoryAccuracy;
        j["colourAccuracy"] = r.colourAccuracy;
        j["referenceCategoryAccuracy"] = r.referenceCategoryAccuracy;
        j["diversity"] = r.diversity;
        j["diversityFloor"] = r.diversityFloor;
        j["dataDiversity"] = r.dataDiversity;
        j["latencySeconds"] = r.latencySeconds;
        j["samplingSeconds"] = r.samplingSeconds;
        for (const auto& row : r.categories) j["categories"][row.category] = {{"prompts", row.prompts}, {"categoryHits", row.categoryHits}, {"colourHits", row.colourHits}};
        j["failures"] = r.failures;
        const std::string text = j.dump(1) + "\n";
        const std::vector<std::uint8_t> bytes(text.begin(), text.end());
        io::writeAtomically(args.get("json"), true, [&](const fs::path& tmp) { io::writeFileBytes(tmp, bytes); });
    }
    return 0;
}

} // namespace kiln::app
