// kiln eval text-to-3d: the held-out evaluation of text -> 3D (engine/models/text_eval.h).
#include "cli.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/image_io.h"
#include "models/text_eval.h"

#include <cstdio>
#include <memory>

namespace kiln::app {

int cmdEval(int argc, char** argv) {
    const std::string usage =
        "usage: kiln eval text-to-3d --data DIR [--model DIR] [--autoencoder DIR] [--judge DIR] [--per-category N] [--references N] "
        "[--diversity-prompts N] [--seeds N] [--latency-runs N] [--reconstructions N [--refine STEPS] [--reconstruction-tokens M]] [--resolution N] [--steps N] [--guidance G] [--surface-bias B] [--temperature T] [--seed S] [--candidates N] [--json OUT.json] [--sheet OUT.png]";
    if (argc < 3 || std::string(argv[2]) != "text-to-3d") throw Error(usage);
    const Args args = parseArgs(argc, argv, 3,
                                {"data", "model", "autoencoder", "judge", "per-category", "references", "diversity-prompts", "seeds", "latency-runs",
                                 "reconstructions", "refine", "reconstruction-tokens", "resolution", "json", "sheet", "sheet-prompts", "steps", "guidance", "surface-bias", "temperature", "seed", "candidates"},
                                {});
    if (!args.positional.empty() || !args.has("data")) throw Error(usage);
    models::TextEvalOptions o;
    o.data = args.get("data");
    o.model = args.get("model");
    o.autoencoder = args.get("autoencoder");
    o.judge = args.get("judge");
    o.perCategory = args.getInt("per-category", o.perCategory, 1, 100);
    o.references = args.getInt("references", o.references, 1, 1000);
    o.diversityPrompts = args.getInt("diversity-prompts", o.diversityPrompts, 0, 1000);
    o.seeds = args.getInt("seeds", o.seeds, 2, 64);
    o.latencyRuns = args.getInt("latency-runs", o.latencyRuns, 1, 100);
    o.reconstructions = args.getInt("reconstructions", o.reconstructions, 0, 10000);
    o.reconstructionTokens = args.getInt("reconstruction-tokens", 0, 1, 4096);
    o.refineSteps = args.getInt("refine", 0, 0, 10000);
    o.resolution = args.getInt("resolution", o.resolution, 32, 512);
    o.steps = args.getInt("steps", 0, 1, 1000);
    if (args.has("guidance")) o.guidance = float(args.getDouble("guidance", 3.0, 0.0, 20.0));
    if (args.has("temperature")) o.temperature = float(args.getDouble("temperature", 1.0, 0.01, 1.5));
    if (args.has("surface-bias")) o.surfaceBias = float(args.getDouble("surface-bias", 0.0, -8.0, 8.0));
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 1 << 30));
    o.candidates = args.getInt("candidates", 0, 1, 16);
    o.sheetPrompts = args.has("sheet") ? args.getInt("sheet-prompts", o.sheetPrompts, 1, 1000) : 0;
    if (args.has("json")) io::checkCanWrite(args.get("json"), true);
    auto report = std::make_shared<models::TextEvalReport>();
    runJob("eval text-to-3d", [&, report](core::Progress& progress, const core::CancelToken& cancel) {
        *report = models::evaluateTextTo3d(o, progress, cancel);
        return std::vector<core::Asset>{};
    });
    const auto& r = *report;
    std::printf("%-12s %7s %9s %9s %9s %11s %9s\n", "category", "prompts", "category", "colour", "material", "watertight", "ratio");
    for (const auto& c : r.categories)
        std::printf("%-12s %7d %8.0f%% %8.0f%% %8.0f%% %10.0f%% %9.2f\n", c.category.c_str(), c.prompts, 100.0 * c.categoryHits / c.prompts,
                    100.0 * c.colourHits / c.prompts, 100.0 * c.materialHits / c.prompts, 100.0 * c.watertight / c.prompts, c.medianRatio);
    std::printf("%-12s %7d %8.1f%% %8.1f%% %8.1f%% %10.1f%% %9.2f\n", "all", r.prompts, 100.0 * r.categoryAccuracy, 100.0 * r.colourAccuracy,
                100.0 * r.materialAccuracy, 100.0 * r.watertightFraction, r.medianRatio);
    std::printf("the judge on the real held-out assets (its ceiling): category %.1f%%, colour %.1f%%, material %.1f%%\n", 100.0 * r.judgeCategoryCeiling,
                100.0 * r.judgeColourCeiling, 100.0 * r.judgeMaterialCeiling);
    std::printf("distance to the data (generated / real): median %.2f (95%% bootstrap interval over the prompts %.2f-%.2f), worst category %s %.2f "
                "(targets <= 1.5, every category <= 2)\n",
                r.medianRatio, r.medianRatioLow, r.medianRatioHigh, r.worstCategory.c_str(), r.worstCategoryRatio);
    std::printf("1-NNA generated vs real: %.1f%% (50%% ideal, target <= 70%%)\n", 100.0 * r.oneNna);
    std::printf("one connected piece where the real asset is one: %.1f%%\n", 100.0 * r.connectedFraction);
    std::printf("autoencoder on held-out assets: F-score@1%% %.3f (lowest %.3f), albedo dE %.2f (targets >= 0.95, <= 5)\n", r.reconstructionFScore,
                r.reconstructionFScoreMin, r.albedoDeltaE);
    if (!r.reconstructionScores.empty())
        std::printf("  its reconstructions' distance to the data: median %.2f (the floor a perfect generator of this latent would reach)\n",
                    r.reconstructionMedianRatio);
    if (r.refineSteps > 0)
        std::printf("  with each encoding refined (%d steps): F-score@1%% %.3f (lowest %.3f), albedo dE %.2f\n", r.refineSteps, r.refinedFScore,
                    r.refinedFScoreMin, r.refinedAlbedoDeltaE);
    std::printf("diversity: %.4f (data %.4f, floor %.4f): %s\n", r.diversity, r.dataDiversity, r.diversityFloor,
                r.diversity >= r.diversityFloor ? "above the floor" : "BELOW the floor");
    std::printf("candidates tried per prompt: %.2f on average (of up to %d)\n", r.candidatesTried, r.samplerCandidates);
    std::printf("latency prompt -> textured GLB: %.2f s median, %.2f s at most (target <= 3 s);", r.latencyMedian, r.latencyMax);
    for (const auto& [s, sec] : r.latencyStages) std::printf(" %s %.2f s,", s.c_str(), sec);
    std::printf("\n");
    if (!r.misses.empty()) {
        std::printf("misses (caption -> judged category, colour, material):\n");
        for (const auto& m : r.misses) std::printf("  %s\n", m.c_str());
    }
    if (args.has("json")) {
        const std::string text = r.json();
        io::writeAtomically(args.get("json"), true,
                            [&](const std::filesystem::path& tmp) { io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}); });
    }
    if (args.has("sheet") && !r.sheet.empty())
        io::writeAtomically(args.get("sheet"), true, [&](const std::filesystem::path& tmp) { io::writeImage(r.sheet, tmp); });
    return 0;
}

} // namespace kiln::app
