#include "models/image_training.h"

#include "core/error.h"
#include "models/image_to_latent.h"
#include "models/image_views.h"
#include "models/manifest.h"
#include "models/shape_latent.h"
#include "models/torch_weights.h"
#include "models/training.h"
#include "procgen/dataset.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

struct Example {
    std::vector<float> tokens;        // (M + 1) x dim, unit scale
    std::vector<std::uint8_t> views;  // viewsPerItem x 4 x S x S, 0..255
};

// The item's views rendered at twice the frame's size and framed as a photo is at generation.
std::vector<std::uint8_t> renderViews(const procgen::ProcAsset& asset, std::uint64_t seed, int count, int size) {
    std::vector<std::uint8_t> out;
    out.reserve(std::size_t(count) * 4 * std::size_t(size) * std::size_t(size));
    for (int v = 0; v < count; ++v) {
        const TrainingView view = randomTrainingView(seed * 16 + std::uint64_t(v));
        const core::Image rgba = renderAssetView(asset, view, 2 * size, 1);
        core::Image alpha = core::Image::makeF32(rgba.width, rgba.height, 1);
        for (std::size_t p = 0; p < rgba.pixelCount(); ++p) alpha.f32[p] = rgba.f32[p * 4 + 3];
        const FramedView f = frameObject(rgba, alpha, size, "training view");
        for (int c = 0; c < 4; ++c)
            for (std::size_t p = 0; p < f.image.pixelCount(); ++p)
                out.push_back(std::uint8_t(std::lround(std::clamp(f.image.f32[p * 4 + std::size_t(c)], 0.0f, 1.0f) * 255.0f)));
    }
    return out;
}

} // namespace

ImageTrainResult trainImageToLatent(const ImageTrainOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    if (o.data.empty() || o.out.empty() || o.autoencoder.empty()) throw Error("usage: kiln train image-to-3d --data DIR --autoencoder DIR --out MODEL");
    if (o.steps < 1 || o.batch < 1 || !(o.learningRate > 0.0) || o.checkpointEvery < 1 || o.viewsPerItem < 1 || o.viewsPerItem > 64)
        throw Error("kiln train image-to-3d: an option is out of range");
    if (!o.initFrom.empty() && o.resume) throw Error("kiln train image-to-3d: --init-from starts a new run; it cannot be combined with --resume");
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path checkpointPath = o.out / "checkpoint.pt";
    const int threads = trainingThreads(o.threads);
    torch::manual_seed(o.seed);
    const ShapeLatentModel ae(o.autoencoder);

    ImageModelFile mf;
    mf.image.imageSize = o.imageSize;
    mf.image.validate("kiln train image-to-3d");
    std::string sourceName;
    std::string resumedJson;  // the resumed run's recipe: where it started stays recorded
    if (o.resume && fs::is_regular_file(o.out / "config.json")) {
        const ImageModelFile before = readImageModelFile(o.out);
        mf.image = before.image;
        mf.flow = before.flow;
        resumedJson = before.trainingJson;
    } else if (!o.initFrom.empty()) {
        const ModelManifest from = verifyModelFolder(o.initFrom, "text-to-3d");
        sourceName = from.name + " v" + from.version + " (" + o.initFrom.string() + ")";
        mf.flow = readTextModelFile(o.initFrom);
        if (mf.flow.autoencoderEncoderSha256.empty() || mf.flow.autoencoderEncoderSha256 != ae.encoderSha256())
            throw Error(o.initFrom.string() + ": was trained on another latent than " + o.autoencoder.string() + "; --init-from needs the same encoder");
    } else {
        mf.flow.config.width = o.width;
        mf.flow.config.heads = o.heads;
        mf.flow.config.layers = o.layers;
        mf.flow.config.textLayers = o.textLayers;
        mf.flow.config.ordered = true;
        mf.flow.tokenizer = Tokenizer(std::vector<std::string>{});
        mf.flow.config.vocabSize = std::int64_t(mf.flow.tokenizer.size());
        mf.flow.samplerSteps = 16;
    }
    if (o.resume || o.initFrom.empty()) mf.flow.config.vocabSize = std::int64_t(mf.flow.tokenizer.size());
    mf.flow.config.tokens = ae.tokens();
    mf.flow.config.tokenDim = 3 + ae.channels();
    mf.flow.stats = ae.statistics();
    {
        const auto m = readManifest(o.autoencoder);
        mf.flow.autoencoderName = m.name;
        mf.flow.autoencoderVersion = m.version;
    }
    mf.flow.autoencoderWeightsSha256 = sha256File(o.autoencoder / "weights.safetensors");
    mf.flow.autoencoderEncoderSha256 = ae.encoderSha256();
    prepareTrainingFolder(o.out, o.resume, o.overwrite);

    const procgen::Dataset ds = procgen::readDataset(o.data);
    std::vector<procgen::DatasetItem> train;
    for (const auto& it : ds.items)
        if (it.split == "train") train.push_back(it);
    if (o.items > 0 && int(train.size()) > o.items) train.resize(std::size_t(o.items));
    if (train.empty()) throw Error(o.data.string() + ": the dataset has no training items");

    // Views on worker threads (pure procedural geometry and the CPU rasteriser) while this thread
    // encodes the latents.
    const int size = mf.image.imageSize;
    std::vector<Example> examples(train.size());
    const LatentStatistics& st = ae.statistics();
    forEachOnWorkers(
        train.size(), threads,
        [&](std::size_t i) {
            const procgen::ProcAsset a = procgen::generate(train[i].params, {.textureSize = 0});
            examples[i].views = renderViews(a, train[i].params.shapeSeed ^ 0x5bd1e995ull, o.viewsPerItem, size);
        },
        [&](std::size_t i) { return train[i].id; },
        [&] {
            for (std::size_t i = 0; i < train.size(); ++i) {
                cancel.throwIfCancelled();
                const procgen::ProcAsset a = procgen::generate(train[i].params, {.textureSize = 0});
                const glm::vec3 sz = core::computeBounds(a.mesh).size();
                examples[i].tokens = unitTokens(ae.encode(a, train[i].params.shapeSeed), st, mf.flow.config.ordered, std::log(std::max({sz.x, sz.y, sz.z})));
            }
        },
        "rendering", "kiln train image-to-3d: rendering", progress, cancel);
    ImageTrainResult result;
    result.trainItems = int(examples.size());
    result.renderSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    ImageToLatent model(mf.flow.config, mf.image), ema(mf.flow.config, mf.image);
    if (!o.initFrom.empty()) {
        TextToLatent from(mf.flow.config);
        loadModuleWeights(*from, o.initFrom / "weights.safetensors");
        torch::NoGradGuard noGrad;
        auto into = model->flow()->named_parameters();
        for (const auto& p : from->named_parameters()) into[p.key()].copy_(p.value());
    }
    copyWeights(*ema, *model);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(o.learningRate).weight_decay(0.01).betas({0.9, 0.99}));
    std::vector<float> losses, rates;
    int start = 0;
    if (o.resume) {
        CheckpointState state = loadCheckpoint(checkpointPath, *model, *ema, optimizer);
        start = state.step;
        losses = std::move(state.losses);
        rates = std::move(state.rates);
    }
    auto save = [&](int step) {
        saveCheckpoint(checkpointPath, *model, *ema, optimizer, {step, losses, rates});
        nlohmann::ordered_json recipe = trainingRecipe({.data = o.data, .trainItems = examples.size(), .steps = o.steps, .stepsDone = step, .batch = o.batch,
                                                         .warmupSteps = o.warmupSteps, .threads = threads, .learningRate = o.learningRate,
                                                         .emaDecay = o.emaDecay, .seed = o.seed});
        recipe["datasetCount"] = ds.items.size();
        recipe["datasetSeed"] = std::to_string(ds.seed);
        recipe["autoencoder"] = o.autoencoder.string();
        recipe["conditionDropout"] = o.conditionDropout;
        recipe["viewsPerItem"] = o.viewsPerItem;
        recipe["viewMix"] = o.viewMix;
        recipe["renderSeconds"] = result.renderSeconds;
        if (!sourceName.empty()) recipe["initFrom"] = sourceName;
        if (!resumedJson.empty()) {
            const auto before = nlohmann::ordered_json::parse(resumedJson, nullptr, false);
            if (before.is_object() && before.contains("initFrom")) recipe["initFrom"] = before["initFrom"];
        }
        double finalLoss = 0.0;
        summariseLosses(losses, &finalLoss, nullptr);
        recipe["finalLoss"] = finalLoss;
        mf.trainingJson = recipe.dump();
        mf.flow.trainingJson = "{}";
        saveModuleWeights(*ema, o.out / "weights.safetensors", true, {{"slot", "image-to-3d"}});
        writeImageModelConfig(mf, o.out);
        writeLossFiles(o.out, losses, rates);
        writeTrainedManifest(o.out, "image-to-3d", step, mf.trainingJson);
    };

    const int rows = mf.flow.config.tokens + 1, dim = mf.flow.config.tokenDim;
    const std::int64_t viewBytes = 4 * std::int64_t(size) * size;
    std::vector<double> mix = o.viewMix;
    mix.resize(std::size_t(mf.image.maxViews), 0.0);
    model->train();
    const auto tTrain = std::chrono::steady_clock::now();
    auto lastReport = tTrain;
    for (int step = start; step < o.steps; ++step) {
        cancel.throwIfCancelled();
        at::Generator gen = stepGenerator(o.seed, step);
        // How many views this step's items are seen through.
        int views = 1;
        {
            double u = torch::rand({1}, gen).item<double>() * std::max(1e-9, std::accumulate(mix.begin(), mix.end(), 0.0));
            for (std::size_t k = 0; k < mix.size(); ++k)
                if ((u -= mix[k]) <= 0.0) {
                    views = int(k) + 1;
                    break;
                }
            views = std::min(views, o.viewsPerItem);
        }
        const auto pick = torch::randint(std::int64_t(examples.size()), {o.batch}, gen, torch::kLong);
        const auto drop = torch::rand({o.batch}, gen) < o.conditionDropout;
        auto images = torch::empty({o.batch, views, 4, size, size}, torch::kUInt8);
        std::vector<torch::Tensor> xs;
        for (int b = 0; b < o.batch; ++b) {
            const Example& e = examples[std::size_t(pick[b].item<std::int64_t>())];
            xs.push_back(torch::from_blob(const_cast<float*>(e.tokens.data()), {rows, dim}).clone());
            const auto order = torch::randperm(o.viewsPerItem, gen, torch::kLong);
            for (int v = 0; v < views; ++v) {
                const auto src = torch::from_blob(const_cast<std::uint8_t*>(e.views.data()) + order[v].item<std::int64_t>() * viewBytes, {4, size, size}, torch::kUInt8);
                images[b][v].copy_(src);
            }
        }
        const auto x0 = torch::stack(xs);
        const auto eps = torch::randn(x0.sizes(), gen, x0.options());
        const auto t = torch::sigmoid(torch::randn({o.batch}, gen));
        const auto tt = t.view({o.batch, 1, 1});
        const auto xt = (1 - tt) * x0 + tt * eps;
        const double lr = learningRateAt(o.learningRate, o.warmupSteps, o.steps, step);
        for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        optimizer.zero_grad();
        auto cond = model->encodeViews(images.to(torch::kFloat) / 255.0, torch::ones({o.batch, views}, torch::kBool));
        // Dropped items read the empty prompt instead (classifier-free guidance).
        if (drop.any().item<bool>()) cond = model->withEmptyWhere(cond, drop);
        const auto v = model->forward(xt, t, cond);
        const auto loss = (v - (eps - x0)).square().mean();
        loss.backward();
        flowOptimiserStep(*model, *ema, optimizer, step, o.emaDecay, loss.item<float>(), float(lr), losses, rates);
        reportTrainingStep(progress, step, o.steps, losses.back(), lastReport);
        if ((step + 1) % o.checkpointEvery == 0 || step + 1 == o.steps) save(step + 1);
    }
    if (start == o.steps) save(o.steps);
    result.steps = o.steps;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.secondsPerStep =
        o.steps > start ? std::chrono::duration<double>(std::chrono::steady_clock::now() - tTrain).count() / double(o.steps - start) : 0.0;
    summariseLosses(losses, &result.finalLoss, &result.curve);
    progress.report("done", 1.0f);
    return result;
}

} // namespace kiln::models
