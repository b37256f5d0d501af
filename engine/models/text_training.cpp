#include "models/text_training.h"

#include "core/error.h"
#include "models/latent_data.h"
#include "models/manifest.h"
#include "models/shape_latent.h"
#include "models/text_model_file.h"
#include "models/text_to_latent.h"
#include "models/torch_weights.h"
#include "models/training.h"
#include "procgen/dataset.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <optional>
#include <set>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

struct Example {
    std::vector<float> tokens;               // (M + 1) x dim, unit scale
    std::vector<std::vector<std::int64_t>> captions;  // word ids of the caption and its paraphrases
};

// The latent of every training item, as unit-scale tokens (anchors / anchorStd, channels
// standardised, a last row with the standardised log size).
std::vector<Example> encodeItems(const ShapeLatentModel& ae, const std::vector<procgen::DatasetItem>& items, const Tokenizer& tok, int maxWords,
                                 bool ordered, core::Progress& progress, const core::CancelToken& cancel) {
    const LatentStatistics& st = ae.statistics();
    std::vector<Example> out;
    out.reserve(items.size());
    auto last = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < items.size(); ++i) {
        cancel.throwIfCancelled();
        const procgen::ProcAsset a = procgen::generate(items[i].params, {.textureSize = 0});
        const ShapeLatent l = ae.encode(a, items[i].params.shapeSeed);
        const glm::vec3 size = core::computeBounds(a.mesh).size();
        Example e;
        e.tokens = unitTokens(l, st, ordered, std::log(std::max({size.x, size.y, size.z})));
        e.captions.push_back(tok.encode(items[i].caption, maxWords));
        for (const auto& p : items[i].paraphrases) e.captions.push_back(tok.encode(p, maxWords));
        out.push_back(std::move(e));
        if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(250)) {
            progress.report("encoding " + std::to_string(i + 1) + "/" + std::to_string(items.size()), 0.1f * float(i + 1) / float(items.size()));
            last = std::chrono::steady_clock::now();
        }
    }
    return out;
}

} // namespace

TextTrainResult trainTextToLatent(const TextTrainOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    if (o.data.empty() || o.out.empty() || o.autoencoder.empty()) throw Error("usage: kiln train text-to-3d --data DIR --autoencoder DIR --out MODEL");
    if (o.steps < 1 || o.batch < 1 || !(o.learningRate > 0.0) || o.checkpointEvery < 1) throw Error("kiln train text-to-3d: an option is out of range");
    if (!(o.anchorWeight >= 1.0 && o.anchorWeight <= 100.0)) throw Error("kiln train text-to-3d: --anchor-weight must be from 1 to 100");
    if (!(o.shapeGivenFraction >= 0.0 && o.shapeGivenFraction <= 1.0)) throw Error("kiln train text-to-3d: --shape-given must be from 0 to 1");
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path checkpointPath = o.out / "checkpoint.pt";
    if (!o.initFrom.empty() && o.resume) throw Error("kiln train text-to-3d: --init-from starts a new run; it cannot be combined with --resume");
    // Read before the output folder is prepared: --force on the source's own folder must not
    // delete the model it starts from.
    std::optional<TextModelFile> source;
    std::string sourceName;  // "name vVERSION (folder)", for the recipe
    std::optional<TextModelFile> resumed;  // the folder's own model, when resuming
    if (!o.initFrom.empty()) {
        const ModelManifest from = verifyModelFolder(o.initFrom, "text-to-3d");
        sourceName = from.name + " v" + from.version + " (" + o.initFrom.string() + ")";
        source = readTextModelFile(o.initFrom);
        if (fs::weakly_canonical(o.initFrom) == fs::weakly_canonical(o.out))
            throw Error(o.out.string() + ": --init-from and --out name the same folder; write the new run elsewhere");
        if (o.growLayers != 0 && (o.growLayers < source->config.layers || o.growLayers > 64))
            throw Error("kiln train text-to-3d: --layers " + std::to_string(o.growLayers) + " with --init-from must be at least the source's " +
                        std::to_string(source->config.layers) + " (and at most 64): a model can be deepened, not cut");
        if (o.freezeSource && (o.growLayers == 0 || o.growLayers == source->config.layers))
            throw Error("kiln train text-to-3d: --freeze-source trains the blocks --layers adds; give a depth above the source's " +
                        std::to_string(source->config.layers));
    } else if (o.growLayers != 0) {
        throw Error("kiln train text-to-3d: growing the flow's depth needs --init-from MODEL");
    } else if (o.freezeSource && !o.resume) {
        throw Error("kiln train text-to-3d: --freeze-source needs --init-from MODEL --layers L");
    }
    if (o.resume && fs::is_regular_file(o.out / "config.json")) {
        // A resumed run continues the folder's model: its architecture (a deepened model has
        // more blocks than any option says), vocabulary and sampler settings, not the options'.
        resumed = readTextModelFile(o.out);
        // The checkpoint's architecture follows the token order: resuming with the other one
        // would fail to load it with a less helpful message.
        if (resumed->config.ordered != o.ordered)
            throw Error(o.out.string() + ": was trained with --token-order " + (resumed->config.ordered ? "morton" : "set") + "; resume it with the same order");
    }
    // Where the architecture, vocabulary and sampler settings come from, when not the options.
    const TextModelFile* base = source ? &*source : resumed ? &*resumed : nullptr;
    const int threads = trainingThreads(o.threads);
    torch::manual_seed(o.seed);

    const ShapeLatentModel ae(o.autoencoder);
    if (source && (source->autoencoderEncoderSha256.empty() || source->autoencoderEncoderSha256 != ae.encoderSha256()))
        throw Error(o.initFrom.string() + ": was trained on another latent (autoencoder '" + source->autoencoderName + " v" + source->autoencoderVersion +
                    "', a different encoder) than " + o.autoencoder.string() + "; --init-from needs the same encoder");
    prepareTrainingFolder(o.out, o.resume, o.overwrite);
    const procgen::Dataset ds = procgen::readDataset(o.data);
    std::vector<procgen::DatasetItem> train;
    for (const auto& it : ds.items)
        if (it.split == "train") train.push_back(it);
    if (o.items > 0 && int(train.size()) > o.items) train.resize(std::size_t(o.items));
    if (train.empty()) throw Error(o.data.string() + ": the dataset has no training items");

    TextModelFile mf;
    {
        std::vector<std::string> texts;
        std::set<std::string> cats, colours, mats;
        for (const auto& it : train) {
            texts.push_back(it.caption);
            texts.insert(texts.end(), it.paraphrases.begin(), it.paraphrases.end());
            cats.insert(procgen::categories()[std::size_t(it.params.category)].name);
            for (const auto& m : it.params.materials) {
                colours.insert(procgen::palette()[std::size_t(m.colour)].name);
                mats.insert(procgen::materialInfo(m.kind).word);
            }
        }
        mf.tokenizer = base ? base->tokenizer : Tokenizer::fromTexts(texts);
        if (base) {
            // Words the source never saw would all map to one unknown id: refuse, naming one.
            std::vector<std::string> unknown;
            for (const auto& t : texts) mf.tokenizer.encode(t, base->config.maxWords, &unknown);
            if (!unknown.empty())
                throw Error((source ? o.initFrom : o.out).string() + ": does not know the word \"" + unknown.front() + "\" of the training captions (" +
                            std::to_string(unknown.size()) + " unknown word uses); train it from scratch on this data");
        }
        mf.categories.assign(cats.begin(), cats.end());
        mf.colours.assign(colours.begin(), colours.end());
        mf.materials.assign(mats.begin(), mats.end());
    }
    if (base) {
        mf.config = base->config;  // the architecture and token order are the source's
        if (o.growLayers != 0) mf.config.layers = o.growLayers;
        // The sampler settings chosen when the source was evaluated carry over until this run is.
        mf.samplerSteps = base->samplerSteps;
        mf.guidance = base->guidance;
        mf.surfaceBias = base->surfaceBias;
        mf.temperature = base->temperature;
        mf.shapeGiven = base->shapeGiven;
    } else {
        mf.config.width = o.width;
        mf.config.heads = o.heads;
        mf.config.layers = o.layers;
        mf.config.textLayers = o.textLayers;
        mf.config.ordered = o.ordered;
    }
    mf.config.tokens = ae.tokens();
    mf.config.tokenDim = 3 + ae.channels();
    mf.config.vocabSize = std::int64_t(mf.tokenizer.size());
    mf.stats = ae.statistics();
    mf.autoencoderName = ae.name();
    mf.autoencoderVersion = "";
    {
        const auto m = readManifest(o.autoencoder);
        mf.autoencoderName = m.name;
        mf.autoencoderVersion = m.version;
    }
    mf.autoencoderWeightsSha256 = sha256File(o.autoencoder / "weights.safetensors");
    mf.autoencoderEncoderSha256 = ae.encoderSha256();

    const std::vector<Example> examples = encodeItems(ae, train, mf.tokenizer, mf.config.maxWords, mf.config.ordered, progress, cancel);
    TextTrainResult result;
    result.trainItems = int(examples.size());
    result.encodeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    TextToLatent model(mf.config), ema(mf.config);
    if (source) {
        // Every tensor of the source into the tensor of the same name: the whole model, or when
        // deepened blocks 0..L-1, the added blocks left as built (identities until they train).
        TextToLatent from(source->config);
        loadModuleWeights(*from, o.initFrom / "weights.safetensors");
        torch::NoGradGuard noGrad;
        auto into = model->named_parameters();
        for (const auto& p : from->named_parameters()) into[p.key()].copy_(p.value());
    }
    copyWeights(*ema, *model);
    // A resumed run's recipe so far: where the run began, and what it froze.
    const auto before = resumed ? nlohmann::ordered_json::parse(resumed->trainingJson, nullptr, false) : nlohmann::ordered_json();
    // Frozen source blocks: a fresh run's source depth, or the depth a resumed run recorded.
    int frozenBlocks = source && o.freezeSource ? source->config.layers : 0;
    if (before.is_object() && before.contains("frozenBlocks")) frozenBlocks = before["frozenBlocks"].get<int>();
    std::vector<torch::Tensor> trained;
    for (auto& p : model->named_parameters()) {
        bool train = true;
        if (frozenBlocks > 0) {
            // The added blocks ("blocks.<i>." with i >= frozenBlocks) and the output head train.
            const std::string& name = p.key();
            const bool head = name.rfind("final_modulation.", 0) == 0 || name.rfind("out.", 0) == 0;
            const bool added = name.rfind("blocks.", 0) == 0 && std::stoi(name.substr(7)) >= frozenBlocks;
            train = head || added;
        }
        p.value().set_requires_grad(train);
        if (train) trained.push_back(p.value());
    }
    torch::optim::AdamW optimizer(trained, torch::optim::AdamWOptions(o.learningRate).weight_decay(0.01).betas({0.9, 0.99}));
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
        // Enough to rebuild the dataset's split (kiln dataset build --count N --seed S --no-meshes)
        // and evaluate on the same held-out prompts anywhere.
        recipe["datasetCount"] = ds.items.size();
        recipe["datasetSeed"] = std::to_string(ds.seed);
        recipe["autoencoder"] = o.autoencoder.string();
        recipe["conditionDropout"] = o.conditionDropout;
        if (o.anchorWeight != 1.0) recipe["anchorWeight"] = o.anchorWeight;
        if (o.shapeGivenFraction > 0.0) recipe["shapeGivenFraction"] = o.shapeGivenFraction;
        recipe["tokenOrder"] = mf.config.ordered ? "morton" : "set";
        if (source) recipe["initFrom"] = sourceName;
        if (source && mf.config.layers != source->config.layers)
            recipe["grownFrom"] = std::to_string(source->config.layers) + " to " + std::to_string(mf.config.layers) + " flow blocks (added blocks start as identities)";
        if (frozenBlocks > 0) recipe["frozenBlocks"] = frozenBlocks;
        // A resumed run is still the run its folder started: keep where that began.
        for (const char* key : {"initFrom", "grownFrom"})
            if (before.is_object() && before.contains(key)) recipe[key] = before[key];
        double finalLoss = 0.0;
        summariseLosses(losses, &finalLoss, nullptr);
        recipe["finalLoss"] = finalLoss;
        mf.trainingJson = recipe.dump();
        saveModuleWeights(*ema, o.out / "weights.safetensors", true, {{"slot", "text-to-3d"}});
        if (o.shapeGivenFraction > 0.0) mf.shapeGiven = true;
        writeTextModelConfig(mf, o.out);
        writeLossFiles(o.out, losses, rates);
        writeTrainedManifest(o.out, "text-to-3d", step, mf.trainingJson);
    };

    const int rows = mf.config.tokens + 1, dim = mf.config.tokenDim;
    // Per-element loss weights: the anchor columns of the token rows and the log size (the last
    // row's first column) weigh anchorWeight, the channels 1; normalised to a mean of 1 (all ones,
    // and the plain mean, at weight 1).
    auto lossWeight = torch::ones({1, rows, dim});
    lossWeight.slice(1, 0, rows - 1).slice(2, 0, 3).fill_(o.anchorWeight);
    lossWeight.select(1, rows - 1).select(1, 0).fill_(o.anchorWeight);
    lossWeight = lossWeight / lossWeight.mean();
    // The shape's values: every token's anchor and the whole size row.
    auto shapeDims = torch::zeros({1, rows, dim});
    shapeDims.slice(1, 0, rows - 1).slice(2, 0, 3).fill_(1.0f);
    shapeDims.select(1, rows - 1).fill_(1.0f);
    model->train();
    const auto tTrain = std::chrono::steady_clock::now();
    auto lastReport = tTrain;
    for (int step = start; step < o.steps; ++step) {
        cancel.throwIfCancelled();
        at::Generator gen = stepGenerator(o.seed, step);
        const auto pick = torch::randint(std::int64_t(examples.size()), {o.batch}, gen, torch::kLong);
        const auto which = torch::rand({o.batch}, gen);
        const auto drop = torch::rand({o.batch}, gen);
        std::vector<torch::Tensor> xs;
        std::vector<std::vector<std::int64_t>> words;
        for (int b = 0; b < o.batch; ++b) {
            const Example& e = examples[std::size_t(pick[b].item<std::int64_t>())];
            xs.push_back(torch::from_blob(const_cast<float*>(e.tokens.data()), {rows, dim}).clone());
            const std::size_t c = std::min(e.captions.size() - 1, std::size_t(which[b].item<float>() * float(e.captions.size())));
            words.push_back(drop[b].item<float>() < o.conditionDropout ? std::vector<std::int64_t>{Tokenizer::kEmpty} : e.captions[c]);
        }
        const auto x0 = torch::stack(xs);
        const auto eps = torch::randn(x0.sizes(), gen, x0.options());
        // Times from a logit-normal (Esser et al. 2024, SD3): more steps in the middle of the path.
        const auto t = torch::sigmoid(torch::randn({o.batch}, gen));
        const auto tt = t.view({o.batch, 1, 1});
        auto xt = (1 - tt) * x0 + tt * eps;
        auto weight = lossWeight.expand({o.batch, rows, dim});
        if (o.shapeGivenFraction > 0.0) {
            // Items whose shape is given: clean anchors and size in x_t, and no loss on them.
            const auto given = (torch::rand({o.batch}, gen) < o.shapeGivenFraction).to(torch::kFloat).view({o.batch, 1, 1}) * shapeDims;
            xt = given * x0 + (1 - given) * xt;
            weight = weight * (1 - given);
        }
        const double lr = learningRateAt(o.learningRate, o.warmupSteps, o.steps, step);
        for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        optimizer.zero_grad();
        const auto text = model->encodeText(padWordIds(words));
        const auto v = model->forward(xt, t, text);
        const auto loss = ((v - (eps - x0)).square() * weight).mean();
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
