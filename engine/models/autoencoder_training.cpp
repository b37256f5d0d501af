#include "models/autoencoder_training.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/latent_data.h"
#include "models/shape_autoencoder.h"
#include "models/torch_weights.h"
#include "models/training.h"
#include "procgen/dataset.h"
#include "procgen/shape_rng.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <cmath>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

void check(const AutoencoderTrainOptions& o) {
    auto bad = [](const std::string& m) { throw Error(m); };
    if (o.data.empty()) bad("--data: no dataset folder given");
    if (o.out.empty()) bad("--out: no model folder given");
    if (o.steps < 1 || o.steps > 10000000) bad("--steps must be from 1 to 10000000");
    if (o.batch < 1 || o.batch > 4096) bad("--batch must be from 1 to 4096");
    if (!(o.learningRate > 0.0 && o.learningRate < 1.0)) bad("--lr must be between 0 and 1");
    if (o.checkpointEvery < 1) bad("--checkpoint-every must be at least 1");
    if (o.planeResolution != 0 && (o.planeResolution < 4 || o.planeResolution > 512)) bad("--plane-resolution must be from 4 to 512");
    if (o.planeResolution != 0 && o.decoderFrom.empty()) bad("--plane-resolution: only with --decoder-from");
    if (o.localNeighbours < -1 || o.localNeighbours > 64) bad("--local-neighbours must be from 0 to 64");
    if (o.lookKeys < -1 || o.lookKeys > 256) bad("--look-keys must be from 0 to 256");
    if (o.fineResolution != 0 && (o.fineResolution < 8 || o.fineResolution > 512)) bad("--fine-resolution must be from 8 to 512");
    if (o.fineResolution != 0 && o.decoderFrom.empty()) bad("--fine-resolution: only with --decoder-from");
    if (!(o.thinWall >= 0.0f && o.thinWall <= 0.1f)) bad("--thin-wall must be from 0 to 0.1 (of the normalised frame)");
    if (o.detailTokens != 0 && o.decoderFrom.empty()) bad("--detail-tokens: only with --decoder-from");
    if (o.detailEvery < 2 || o.detailEvery > 16) bad("--detail-every must be from 2 to 16");
    if (o.detailTokens != 0 && (o.detailTokens < 16 || o.detailTokens > 4096)) bad("--detail-tokens must be from 16 to 4096");
    if (!(o.anchorJitter >= 0.0f && o.anchorJitter <= 0.1f)) bad("--anchor-jitter must be from 0 to 0.1 (of the normalised frame)");
}

// The training examples, made in parallel from the dataset's parameters (deterministic).
std::vector<ShapeSample> makeSamples(const std::vector<procgen::DatasetItem>& items, const ShapeSampleOptions& options, const core::CancelToken& cancel,
                                     core::Progress& progress, float from, float to) {
    std::vector<ShapeSample> out(items.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::exception_ptr failure;
    std::mutex mutex;
    auto work = [&] {
        try {
            for (;;) {
                const std::size_t i = next.fetch_add(1);
                if (i >= items.size() || cancel.cancelled()) return;
                const procgen::ProcAsset a = procgen::generate(items[i].params, {.textureSize = 0});
                out[i] = makeShapeSample(a, options, items[i].params.shapeSeed);
                ++done;
            }
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> threads;
        const unsigned n = std::max(1u, std::thread::hardware_concurrency());
        for (unsigned t = 0; t < n; ++t) threads.emplace_back(work);
        while (done.load() < items.size() && !cancel.cancelled() && !failure) {
            progress.report("preparing examples " + std::to_string(done.load()) + "/" + std::to_string(items.size()),
                            from + (to - from) * float(done.load()) / float(items.size()));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    if (failure) std::rethrow_exception(failure);
    cancel.throwIfCancelled();
    return out;
}

// A step's examples with targets drawn for that step: the encoder input and frame of the item's
// fixed example, queries and appearance points from a seed of the item and the step.
std::vector<ShapeSample> freshExamples(const std::vector<procgen::DatasetItem>& items, const std::vector<ShapeSample>& samples,
                                       const std::vector<std::int64_t>& idx, const ShapeSampleOptions& options, std::uint64_t seed, int step) {
    std::vector<ShapeSample> out;
    out.reserve(idx.size());
    for (const auto i : idx) {
        const procgen::DatasetItem& item = items[std::size_t(i)];
        const procgen::ProcAsset a = procgen::generate(item.params, {.textureSize = 0});
        ShapeSample s;
        s.frame = samples[std::size_t(i)].frame;
        s.logSize = samples[std::size_t(i)].logSize;
        s.surface = samples[std::size_t(i)].surface;
        makeShapeTargets(a, s.frame, options, procgen::mix64(item.params.shapeSeed ^ procgen::mix64(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(step) + 1)), s);
        out.push_back(std::move(s));
    }
    return out;
}

struct Batch {
    torch::Tensor surface, points, occupancy, appearance;
    std::int64_t queries = 0;
};

Batch makeBatch(const std::vector<ShapeSample>& samples, const std::vector<std::int64_t>& idx) {
    std::vector<torch::Tensor> surface, points, occ, look;
    for (const auto i : idx) {
        const ShapeSample& s = samples[std::size_t(i)];
        const auto n = std::int64_t(s.surface.size() / kSurfaceFeatures), q = std::int64_t(s.occupancy.size()),
                   a = std::int64_t(s.appearance.size() / kAppearanceChannels);
        surface.push_back(torch::from_blob(const_cast<float*>(s.surface.data()), {n, kSurfaceFeatures}).clone());
        auto qp = torch::from_blob(const_cast<float*>(s.queries.data()), {q, 3});
        auto ap = torch::from_blob(const_cast<float*>(s.appearancePoints.data()), {a, 3});
        points.push_back(torch::cat({qp, ap}, 0));
        occ.push_back(torch::from_blob(const_cast<float*>(s.occupancy.data()), {q}).clone());
        look.push_back(torch::from_blob(const_cast<float*>(s.appearance.data()), {a, kAppearanceChannels}).clone());
    }
    Batch b;
    b.surface = torch::stack(surface);
    b.points = torch::stack(points);
    b.occupancy = torch::stack(occ);
    b.appearance = torch::stack(look);
    b.queries = b.occupancy.size(1);
    return b;
}

struct Losses {
    torch::Tensor total, occupancy, appearance, kl;
};

// Each item's encoding by a frozen encoder, computed once (decoder fine-tuning).
struct FrozenEncodings {
    torch::Tensor anchors, mean, logVar;  // items x M x 3 / C / C
    ShapeAutoencoderImpl::Encoding batch(const std::vector<std::int64_t>& idx) const {
        const auto i = torch::tensor(idx, torch::kLong);
        return {anchors.index_select(0, i), mean.index_select(0, i), logVar.index_select(0, i)};
    }
};

FrozenEncodings encodeAll(ShapeAutoencoder& model, const std::vector<ShapeSample>& samples, int tokens, const core::CancelToken& cancel,
                          core::Progress& progress, float from, float to) {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> anchors, mean, logVar;
    for (std::size_t i = 0; i < samples.size(); i += 16) {
        cancel.throwIfCancelled();
        std::vector<std::int64_t> idx;
        for (std::size_t j = i; j < std::min(samples.size(), i + 16); ++j) idx.push_back(std::int64_t(j));
        const auto enc = model->encode(makeBatch(samples, idx).surface, tokens);
        anchors.push_back(enc.anchors);
        mean.push_back(enc.mean);
        logVar.push_back(enc.logVar);
        progress.report("encoding examples at " + std::to_string(enc.anchors.size(1)) + " tokens " + std::to_string(i + idx.size()) + "/" + std::to_string(samples.size()),
                        from + (to - from) * float(i + idx.size()) / float(samples.size()));
    }
    return {torch::cat(anchors), torch::cat(mean), torch::cat(logVar)};
}

Losses lossOf(ShapeAutoencoder& model, const Batch& b, const AutoencoderTrainOptions& o, at::Generator& gen, bool sample,
              const ShapeAutoencoderImpl::Encoding* frozen = nullptr) {
    const auto enc = frozen ? *frozen : model->encode(b.surface);
    torch::Tensor z = enc.mean;
    torch::Tensor anchors = enc.anchors;
    if (sample) {
        z = enc.mean + torch::exp(0.5 * enc.logVar) * torch::randn(enc.mean.sizes(), gen, enc.mean.options());
        if (o.anchorJitter > 0.0f) {
            const auto spread = o.anchorJitter * torch::rand({anchors.size(0), 1, 1}, gen, anchors.options());
            anchors = anchors + spread * torch::randn(anchors.sizes(), gen, anchors.options());
        }
    }
    const auto tokens = model->decodeTokens(anchors, z);
    const auto field = model->query(tokens, b.points);
    const auto terms = ShapeAutoencoderImpl::fieldLoss(field, b.queries, b.occupancy, b.appearance);
    Losses l;
    l.occupancy = terms.occupancy;
    l.appearance = terms.appearance;
    l.kl = (0.5 * (enc.mean.square() + enc.logVar.exp() - 1.0 - enc.logVar)).mean();
    l.total = l.occupancy + o.appearanceWeight * l.appearance + o.klWeight * l.kl;
    return l;
}

} // namespace

AutoencoderTrainResult trainShapeAutoencoder(const AutoencoderTrainOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    check(o);
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path checkpointPath = o.out / "checkpoint.pt";
    prepareTrainingFolder(o.out, o.resume, o.overwrite);
    const int threads = trainingThreads(o.threads);
    torch::manual_seed(o.seed);

    // Data: train and validation items of the dataset.
    const procgen::Dataset ds = procgen::readDataset(o.data);
    std::vector<procgen::DatasetItem> train, val;
    for (const auto& it : ds.items) {
        if (it.split == "train") train.push_back(it);
        else if (it.split == "val" && val.size() < 64) val.push_back(it);
    }
    if (o.items > 0 && int(train.size()) > o.items) train.resize(std::size_t(o.items));
    if (train.empty()) throw Error(o.data.string() + ": the dataset has no training items");
    ShapeSampleOptions sampleOptions;
    if (o.bandedQueries) sampleOptions.mix = QueryMix::Banded;
    sampleOptions.thinWall = o.thinWall;
    const auto samples = makeSamples(train, sampleOptions, cancel, progress, 0.0f, 0.08f);
    // Validation always asks the same questions, so runs with different training targets compare.
    const auto valSamples = makeSamples(val, {}, cancel, progress, 0.08f, 0.1f);
    AutoencoderTrainResult result;
    result.trainItems = int(train.size());
    result.validationItems = int(val.size());
    result.dataSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    ShapeAutoencoderConfig cfg;
    cfg.tokens = o.tokens;
    cfg.channels = o.channels;
    cfg.width = o.width;
    cfg.heads = o.heads;
    cfg.encoderLayers = o.encoderLayers;
    cfg.decoderLayers = o.decoderLayers;
    const bool decoderOnly = !o.decoderFrom.empty();
    LatentStatistics sourceStats;
    if (decoderOnly) readShapeAutoencoderConfig(o.decoderFrom / "config.json", cfg, sourceStats);
    const ShapeAutoencoderConfig sourceCfg = cfg;
    if (o.planeResolution > 0) cfg.planeResolution = o.planeResolution;
    if (o.localNeighbours >= 0) cfg.localNeighbours = o.localNeighbours;
    if (o.lookKeys >= 0) cfg.lookKeys = o.lookKeys;
    if (o.fineResolution > 0) cfg.fineResolution = o.fineResolution;
    if (o.detailTokens > 0) cfg.detailTokens = o.detailTokens;
    cfg.validate("--local-neighbours / --fine-resolution / --look-keys / --detail-tokens");
    ShapeAutoencoder model(cfg), ema(cfg);
    std::vector<torch::Tensor> trainable;
    if (decoderOnly) {
        // The source's weights; every parameter keeps its shape at another plane resolution (only
        // the derived texel-centre buffer differs, and the new network made its own).
        ShapeAutoencoder source(sourceCfg);
        loadModuleWeights(*source, o.decoderFrom / "weights.safetensors");
        copyWeights(*model, *source, /*buffers=*/false);
        for (auto& p : model->named_parameters()) {
            const bool encoder = ShapeAutoencoderImpl::encoderParameter(p.key());
            p.value().set_requires_grad(!encoder);
            if (!encoder) trainable.push_back(p.value());
        }
    } else {
        trainable = model->parameters();
    }
    copyWeights(*ema, *model);
    torch::optim::AdamW optimizer(trainable, torch::optim::AdamWOptions(o.learningRate).weight_decay(0.01).betas({0.9, 0.99}));
    std::vector<float> losses, rates;
    std::vector<float> occupancyTerms, appearanceTerms;  // this run's steps only (not checkpointed)
    int start = 0;
    if (o.resume) {
        CheckpointState state = loadCheckpoint(checkpointPath, *model, *ema, optimizer);
        start = state.step;
        losses = std::move(state.losses);
        rates = std::move(state.rates);
        if (start > o.steps) throw Error(checkpointPath.string() + ": checkpoint is at step " + std::to_string(start) + ", past --steps");
    }
    FrozenEncodings frozen, frozenDetail;
    if (decoderOnly) frozen = encodeAll(model, samples, cfg.tokens, cancel, progress, 0.1f, 0.11f);
    if (o.detailTokens > 0) frozenDetail = encodeAll(model, samples, o.detailTokens, cancel, progress, 0.11f, 0.12f);

    auto evaluateAt = [&](int tokens, double& iou) {
        torch::NoGradGuard noGrad;
        ema->eval();
        double inter = 0.0, uni = 0.0, l1 = 0.0;
        for (std::size_t i = 0; i < valSamples.size(); i += 8) {
            std::vector<std::int64_t> idx;
            for (std::size_t j = i; j < std::min(valSamples.size(), i + 8); ++j) idx.push_back(std::int64_t(j));
            const Batch b = makeBatch(valSamples, idx);
            const auto enc = ema->encode(b.surface, tokens);
            const auto field = ema->query(ema->decodeTokens(enc.anchors, enc.mean), b.points);
            const auto pred = field.slice(1, 0, b.queries).select(-1, 0) > 0;
            const auto truth = b.occupancy > 0.5;
            inter += (pred & truth).sum().item<double>();
            uni += (pred | truth).sum().item<double>();
            l1 += (ShapeAutoencoderImpl::appearance(field.slice(1, b.queries)) - b.appearance).abs().mean().item<double>() * double(idx.size());
        }
        ema->train();
        iou = uni > 0 ? inter / uni : 0.0;
        return valSamples.empty() ? 0.0 : l1 / double(valSamples.size());
    };
    auto evaluate = [&] {
        result.validationAppearanceL1 = evaluateAt(cfg.tokens, result.validationIoU);
        if (cfg.detailTokens > 0) evaluateAt(cfg.detailTokens, result.validationDetailIoU);
    };

    auto save = [&](int step) {
        if (decoderOnly) {
            // The frozen encoder, bit for bit: averaging equal weights into the EMA still rounds.
            torch::NoGradGuard noGrad;
            const auto from = model->named_parameters();
            for (auto& p : ema->named_parameters())
                if (ShapeAutoencoderImpl::encoderParameter(p.key())) p.value().copy_(from[p.key()]);
        }
        saveCheckpoint(checkpointPath, *model, *ema, optimizer, {step, losses, rates});
        nlohmann::ordered_json recipe = trainingRecipe({.data = o.data, .trainItems = train.size(), .steps = o.steps, .stepsDone = step, .batch = o.batch,
                                                         .warmupSteps = o.warmupSteps, .threads = threads, .learningRate = o.learningRate,
                                                         .emaDecay = o.emaDecay, .seed = o.seed});
        recipe["klWeight"] = o.klWeight;
        recipe["freshQueries"] = o.freshQueries;
        recipe["queryMix"] = o.bandedQueries ? "banded" : "surface";
        if (o.thinWall > 0.0f) recipe["thinWall"] = o.thinWall;
        if (o.anchorJitter > 0.0f) recipe["anchorJitter"] = o.anchorJitter;
        recipe["appearanceWeight"] = o.appearanceWeight;
        if (decoderOnly) {
            recipe["decoderFrom"] = o.decoderFrom.string();
            recipe["encoderFrozen"] = true;
            recipe["planeResolution"] = cfg.planeResolution;
            recipe["localNeighbours"] = cfg.localNeighbours;
            if (cfg.lookKeys > 0) recipe["lookKeys"] = cfg.lookKeys;
            if (o.detailTokens > 0) recipe["detailTokens"] = o.detailTokens;
            if (o.detailTokens > 0 && o.detailEvery != 2) recipe["detailEvery"] = o.detailEvery;
            recipe["fineResolution"] = cfg.fineResolution;
        }
        const auto sm = smoothed(losses, 50);
        recipe["finalLoss"] = sm.empty() ? 0.0 : sm.back();
        recipe["validationIoU"] = result.validationIoU;
        if (cfg.detailTokens > 0) recipe["validationDetailIoU"] = result.validationDetailIoU;
        recipe["validationAppearanceL1"] = result.validationAppearanceL1;
        saveModuleWeights(*ema, o.out / "weights.safetensors", true, {{"slot", "shape-autoencoder"}});
        // A frozen encoder keeps the source's latent statistics exactly (generators trained on them).
        const LatentStatistics stats = decoderOnly ? sourceStats : latentStatistics(*ema, samples);
        writeShapeAutoencoderConfig(o.out / "config.json", cfg, stats, recipe.dump());
        writeLossFiles(o.out, losses, rates);
        writeTrainedManifest(o.out, "shape-autoencoder", step, recipe.dump());
    };

    model->train();
    const auto tTrain = std::chrono::steady_clock::now();
    auto lastReport = tTrain;
    const std::int64_t n = std::int64_t(samples.size());
    // A step's items: the first draw of its generator (the loss draws from it next).
    auto drawItems = [&](at::Generator& gen) {
        const auto perm = torch::randint(n, {o.batch}, gen, torch::kLong);
        return std::vector<std::int64_t>(perm.data_ptr<std::int64_t>(), perm.data_ptr<std::int64_t>() + perm.numel());
    };
    auto prefetch = [&](int step) {
        at::Generator g = stepGenerator(o.seed, step);
        const auto idx = drawItems(g);
        return std::async(std::launch::async, [&, idx, step] { return freshExamples(train, samples, idx, sampleOptions, o.seed, step); });
    };
    std::future<std::vector<ShapeSample>> next;
    if (o.freshQueries && start < o.steps) next = prefetch(start);
    for (int step = start; step < o.steps; ++step) {
        cancel.throwIfCancelled();
        at::Generator gen = stepGenerator(o.seed, step);
        const auto idx = drawItems(gen);
        Batch b;
        if (o.freshQueries) {
            const std::vector<ShapeSample> examples = next.get();
            if (step + 1 < o.steps) next = prefetch(step + 1);
            std::vector<std::int64_t> all(examples.size());
            for (std::size_t k = 0; k < all.size(); ++k) all[k] = std::int64_t(k);
            b = makeBatch(examples, all);
        } else {
            b = makeBatch(samples, idx);
        }
        const double lr = learningRateAt(o.learningRate, o.warmupSteps, o.steps, step);
        for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        optimizer.zero_grad();
        ShapeAutoencoderImpl::Encoding enc;
        // With detail tokens, one step in detailEvery at that count (the last of each group, so a
        // run's first step is at the generators' count).
        if (decoderOnly) enc = (o.detailTokens > 0 && step % o.detailEvery == o.detailEvery - 1 ? frozenDetail : frozen).batch(idx);
        const Losses l = lossOf(model, b, o, gen, true, decoderOnly ? &enc : nullptr);
        l.total.backward();
        torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
        optimizer.step();
        updateEma(*ema, *model, step < 200 ? 0.9 : o.emaDecay);
        losses.push_back(l.total.item<float>());
        occupancyTerms.push_back(l.occupancy.item<float>());
        appearanceTerms.push_back(l.appearance.item<float>());
        rates.push_back(float(lr));
        const auto now = std::chrono::steady_clock::now();
        if (now - lastReport > std::chrono::milliseconds(500) || step + 1 == o.steps) {
            char stage[160];
            std::snprintf(stage, sizeof stage, "step %d/%d  loss %.4f (occupancy %.4f, appearance %.4f, kl %.2f)", step + 1, o.steps, double(losses.back()),
                          l.occupancy.item<double>(), l.appearance.item<double>(), l.kl.item<double>());
            progress.report(stage, 0.12f + 0.86f * float(step + 1) / float(o.steps));
            lastReport = now;
        }
        if ((step + 1) % o.checkpointEvery == 0 || step + 1 == o.steps) {
            evaluate();
            save(step + 1);
        }
    }
    if (start == o.steps) {
        evaluate();
        save(o.steps);
    }
    result.steps = o.steps;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.secondsPerStep = o.steps > start ? std::chrono::duration<double>(std::chrono::steady_clock::now() - tTrain).count() / double(o.steps - start) : 0.0;
    const auto sm = smoothed(losses, 50);
    result.finalLoss = sm.empty() ? 0.0 : sm.back();
    const auto so = smoothed(occupancyTerms, 50), sa = smoothed(appearanceTerms, 50);
    result.finalOccupancyLoss = so.empty() ? 0.0 : so.back();
    result.finalAppearanceLoss = sa.empty() ? 0.0 : sa.back();
    for (std::size_t i = 0; i < sm.size(); i += std::max<std::size_t>(1, sm.size() / 10)) result.curve.emplace_back(int(i + 1), sm[i]);
    progress.report("done", 1.0f);
    return result;
}

} // namespace kiln::models
