#include "textgen/text_bench.h"

#include "procgen/v1/procgen.h"
#include "textgen/model.h"
#include "textgen/model_file.h"
#include "textgen/text_to_3d.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace kiln::textgen {

namespace {

double medianMs(int repeat, const std::function<void()>& fn) {
    std::vector<double> t;
    for (int i = 0; i < repeat; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

} // namespace

TextBenchResult benchTextTo3d(const std::filesystem::path& modelDir, int repeat) {
    const std::filesystem::path dir = modelDir.empty() ? bundledModelPath() : modelDir;
    const ModelFile mf = readModelFile(dir);
    TextBenchResult r;

    const procgen::v1::ProcAsset asset = procgen::v1::generate(procgen::v1::AssetParams{.category = 0, .style = 0, .colour = 0, .material = procgen::v1::MaterialKind::Wood, .shapeSeed = 1});
    const core::GaussianCloud splats = procgen::v1::sampleSplats(asset.mesh, 4096, 1);
    std::vector<glm::vec3> colours(splats.size());
    for (std::size_t i = 0; i < splats.size(); ++i)
        for (int c = 0; c < 3; ++c) colours[i][c] = 0.5f + core::kShC0 * splats.sh[i * 3 + std::size_t(c)];
    r.encodeMs = medianMs(repeat, [&] { (void)encodeShape(splats.positions, colours, mf.config.parts); });

    // Training step on random tokens and prompts: forward, backward, AdamW.
    const int threadsBefore = torch::get_num_threads();
    TextToShape net(mf.config);
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-4));
    const int batch = 64;
    std::vector<std::vector<std::int64_t>> words(batch, std::vector<std::int64_t>{3, 4, 5, 6, 7, 8, 9, 10});
    const auto ids = padWords(words);
    const auto x = torch::randn({batch, mf.config.parts + 1, kTokenDim});
    auto step = [&] {
        const auto t = torch::rand({batch});
        const auto loss = (net->forward(x, t, net->encodeText(ids)) - x).pow(2).mean();
        opt.zero_grad();
        loss.backward();
        opt.step();
    };
    for (int threads : {1, 2}) {
        torch::set_num_threads(threads);
        step();  // warm-up
        (threads == 1 ? r.trainStepMs1 : r.trainStepMs2) = medianMs(repeat, step);
    }
    torch::set_num_threads(threadsBefore);

    const Generator generator(dir);
    GenerateOptions o;
    o.steps = generator.defaultSteps();
    r.steps = o.steps;
    core::Progress quiet;
    const std::string prompt = "a red wooden chair with four square legs";
    (void)generator.generate(prompt, o, quiet, {});
    r.sampleMs = medianMs(repeat, [&] { (void)generator.generate(prompt, o, quiet, {}); });
    GenerateOptions unguided = o;
    unguided.guidance = 1.0f;
    r.sampleNoGuidanceMs = medianMs(repeat, [&] { (void)generator.generate(prompt, unguided, quiet, {}); });
    GenerateOptions mesh = o;
    mesh.mesh = true;
    r.meshMs = medianMs(repeat, [&] { (void)generator.generate(prompt, mesh, quiet, {}); });
    return r;
}

} // namespace kiln::textgen
