#include "textgen/eval.h"

#include "core/color.h"
#include "core/error.h"
#include "io/asset_io.h"
#include "textgen/shape_tokens.h"
#include "textgen/text_to_3d.h"
#include "textgen/training_data.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <unistd.h>

namespace kiln::textgen {

namespace fs = std::filesystem;

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

EvalReport evaluateTextTo3d(const EvalOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    if (o.seeds < 2 || o.seeds > 64) throw Error("eval: --seeds must be 2..64");
    const Generator generator(o.model.empty() ? bundledModelPath() : o.model);
    core::Progress loadProgress([&](const core::ProgressUpdate& u) { progress.report(u.stage, 0.1f * u.fraction); });
    const TrainingSet set = loadTrainingSet(o.data, 0, loadProgress, cancel);

    // References: the first N training shapes of every category.
    std::vector<std::vector<const TrainingItem*>> refs(set.categories.size());
    std::map<std::pair<int, int>, std::vector<const TrainingItem*>> byStyle;
    std::vector<const TrainingItem*> prompts;
    for (const auto& item : set.items) {
        if (item.validation) {
            prompts.push_back(&item);
        } else {
            auto& r = refs[std::size_t(item.category)];
            if (int(r.size()) < o.referencesPerCategory) r.push_back(&item);
            auto& s = byStyle[{item.category, item.style}];
            if (s.size() < 4) s.push_back(&item);
        }
    }
    if (prompts.empty()) throw Error(o.data.string() + ": the dataset has no validation items to evaluate on");
    if (o.maxPrompts > 0 && int(prompts.size()) > o.maxPrompts) {
        // Spread the subset over the whole list so every category stays represented.
        std::vector<const TrainingItem*> subset;
        for (int i = 0; i < o.maxPrompts; ++i) subset.push_back(prompts[std::size_t(i) * prompts.size() / std::size_t(o.maxPrompts)]);
        prompts = subset;
    }
    std::vector<glm::vec3> paletteLab;
    for (const auto& c : set.paletteLinear) paletteLab.push_back(linearRgbToLab(c));

    EvalReport report;
    report.prompts = int(prompts.size());
    for (const auto& c : set.categories) report.categories.push_back({c, 0, 0, 0});
    GenerateOptions go;
    go.steps = o.steps > 0 ? o.steps : generator.defaultSteps();
    if (o.guidance >= 0.0f) go.guidance = o.guidance;
    go.splats = 1024;
    core::Progress quiet;
    std::vector<double> sampleTimes;
    auto sample = [&](const std::string& prompt, std::uint64_t seed) {
        go.seed = seed;
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = generator.generate(prompt, go, quiet, cancel);
        sampleTimes.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        return *r.assets.at(0).gaussians();
    };

    auto nearestCategory = [&](const std::vector<glm::vec3>& points) {
        int bestCategory = -1;
        double best = std::numeric_limits<double>::max();
        for (std::size_t c = 0; c < refs.size(); ++c)
            for (const auto* ref : refs[c]) {
                const double d = chamfer(points, ref->points);
                if (d < best) best = d, bestCategory = int(c);
            }
        return bestCategory;
    };
    int catHits = 0, colHits = 0, refHits = 0;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        cancel.throwIfCancelled();
        progress.report("prompt " + std::to_string(i + 1) + "/" + std::to_string(prompts.size()), 0.1f + 0.6f * float(i) / float(prompts.size()));
        const TrainingItem& item = *prompts[i];
        const std::string& prompt = item.texts.at(0);
        const core::GaussianCloud cloud = sample(prompt, 0);
        const int bestCategory = nearestCategory(subsamplePoints(normalisePoints(cloud.positions), 512));
        refHits += nearestCategory(item.points) == item.category;
        glm::dvec3 mean(0.0);
        for (std::size_t k = 0; k < cloud.size(); ++k)
            for (int ch = 0; ch < 3; ++ch) mean[ch] += core::linearFromSrgb(0.5f + core::kShC0 * cloud.sh[k * 3 + std::size_t(ch)]);
        const glm::vec3 lab = linearRgbToLab(glm::vec3(mean / double(std::max<std::size_t>(1, cloud.size()))));
        int bestColour = 0;
        float bestDist = std::numeric_limits<float>::max();
        for (std::size_t c = 0; c < paletteLab.size(); ++c) {
            const glm::vec3 d = lab - paletteLab[c];
            const float e = glm::dot(d, d);
            if (e < bestDist) bestDist = e, bestColour = int(c);
        }
        auto& row = report.categories[std::size_t(item.category)];
        ++row.prompts;
        const bool catOk = bestCategory == item.category, colOk = bestColour == item.colour;
        row.categoryHits += catOk;
        row.colourHits += colOk;
        catHits += catOk;
        colHits += colOk;
        if (!catOk || !colOk)
            report.failures.push_back("\"" + prompt + "\" -> " + (bestCategory >= 0 ? set.categories[std::size_t(bestCategory)] : "?") + ", " +
                                      set.colours[std::size_t(bestColour)]);
    }
    report.categoryAccuracy = double(catHits) / double(prompts.size());
    report.colourAccuracy = double(colHits) / double(prompts.size());
    report.referenceCategoryAccuracy = double(refHits) / double(prompts.size());

    // Diversity: seeds of one prompt should differ about as much as real shapes of one style do.
    double divSum = 0.0;
    int divCount = 0;
    const int nd = std::min<int>(o.diversityPrompts, int(prompts.size()));
    for (int i = 0; i < nd; ++i) {
        cancel.throwIfCancelled();
        progress.report("diversity " + std::to_string(i + 1) + "/" + std::to_string(nd), 0.7f + 0.2f * float(i) / float(std::max(1, nd)));
        const auto& prompt = prompts[std::size_t(i) * prompts.size() / std::size_t(nd)]->texts.at(0);
        std::vector<std::vector<glm::vec3>> clouds;
        for (int s = 0; s < o.seeds; ++s) clouds.push_back(subsamplePoints(normalisePoints(sample(prompt, std::uint64_t(s) + 1).positions), 512));
        for (std::size_t a = 0; a < clouds.size(); ++a)
            for (std::size_t b = a + 1; b < clouds.size(); ++b) divSum += chamfer(clouds[a], clouds[b]), ++divCount;
    }
    report.diversity = divCount ? divSum / divCount : 0.0;
    double dataSum = 0.0;
    int dataCount = 0;
    for (const auto& [key, items] : byStyle)
        for (std::size_t a = 0; a < items.size(); ++a)
            for (std::size_t b = a + 1; b < items.size(); ++b) dataSum += chamfer(items[a]->points, items[b]->points), ++dataCount;
    report.dataDiversity = dataCount ? dataSum / dataCount : 0.0;
    report.diversityFloor = 0.25 * report.dataDiversity;
    report.samplingSeconds = median(sampleTimes);

    // Latency: the whole user path, prompt -> splats -> mesh -> GLB on disk.
    std::vector<double> latency;
    const fs::path tmp = fs::temp_directory_path() / ("kiln-eval-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    for (int i = 0; i < o.latencyRuns; ++i) {
        cancel.throwIfCancelled();
        progress.report("latency " + std::to_string(i + 1) + "/" + std::to_string(o.latencyRuns), 0.9f + 0.1f * float(i) / float(o.latencyRuns));
        const auto t0 = std::chrono::steady_clock::now();
        GenerateOptions lo = go;
        lo.splats = 0;
        lo.mesh = true;
        lo.seed = std::uint64_t(i);
        const auto r = generator.generate(prompts[std::size_t(i) % prompts.size()]->texts.at(0), lo, quiet, cancel);
        io::saveAsset(r.assets.back(), tmp / ("latency" + std::to_string(i) + ".glb"), {.overwrite = true});
        latency.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::error_code ec;
    fs::remove_all(tmp, ec);
    report.latencySeconds = median(latency);
    progress.report("done", 1.0f);
    return report;
}

} // namespace kiln::textgen
