#include "textgen/train.h"

#include "models/manifest.h"
#include "models/torch_weights.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/image_io.h"
#include "textgen/model.h"
#include "textgen/model_file.h"
#include "textgen/plot.h"
#include "textgen/training_data.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

namespace kiln::textgen {

namespace fs = std::filesystem;

namespace {

void checkOptions(const TrainOptions& o) {
    auto bad = [](const std::string& what) { throw Error("train text-to-3d: " + what); };
    if (o.steps < 1 || o.steps > 10000000) bad("--steps must be 1..10000000");
    if (o.batch < 1 || o.batch > 4096) bad("--batch must be 1..4096");
    if (!(o.learningRate > 0.0f && o.learningRate < 1.0f)) bad("--lr must be in (0, 1)");
    if (o.warmupSteps < 0) bad("warm-up steps must not be negative");
    if (!(o.conditionDropout >= 0.0f && o.conditionDropout < 1.0f)) bad("condition dropout must be in [0, 1)");
    if (!(o.emaDecay >= 0.0f && o.emaDecay < 1.0f)) bad("EMA decay must be in [0, 1)");
    if (o.checkpointEvery < 1) bad("--checkpoint-every must be at least 1");
}

// Saves a LibTorch archive through a temporary file so an interrupted save never leaves a
// truncated checkpoint behind.
void saveArchive(torch::serialize::OutputArchive& archive, const fs::path& path) {
    io::writeAtomically(path, true, [&](const fs::path& tmp) { archive.save_to(tmp.string()); });
}

double learningRateAt(const TrainOptions& o, int step) {
    if (step < o.warmupSteps) return o.learningRate * double(step + 1) / double(o.warmupSteps);
    // Cosine decay to 10 % of the peak (Loshchilov & Hutter 2017, without restarts).
    const double p = double(step - o.warmupSteps) / double(std::max(1, o.steps - o.warmupSteps));
    return o.learningRate * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(3.14159265358979 * std::min(p, 1.0))));
}

std::vector<double> smooth(const std::vector<float>& losses, int window) {
    std::vector<double> out(losses.size());
    double sum = 0.0;
    for (std::size_t i = 0; i < losses.size(); ++i) {
        sum += losses[i];
        if (i >= std::size_t(window)) sum -= losses[i - std::size_t(window)];
        out[i] = sum / double(std::min<std::size_t>(i + 1, std::size_t(window)));
    }
    return out;
}

void writeLossFiles(const fs::path& dir, const std::vector<float>& losses, const std::vector<float>& rates) {
    const auto smoothed = smooth(losses, 50);
    std::string csv = "step,loss,smoothed_loss,learning_rate\n";
    for (std::size_t i = 0; i < losses.size(); ++i) {
        char line[128];
        std::snprintf(line, sizeof line, "%zu,%.6f,%.6f,%.6g\n", i + 1, double(losses[i]), smoothed[i], double(rates[i]));
        csv += line;
    }
    const std::vector<std::uint8_t> bytes(csv.begin(), csv.end());
    io::writeAtomically(dir / "loss.csv", true, [&](const fs::path& tmp) { io::writeFileBytes(tmp, bytes); });
    const core::Image plot = plotLossCurve(losses, smoothed, 960, 480);
    io::writeAtomically(dir / "loss.png", true, [&](const fs::path& tmp) { io::writeImage(plot, tmp); });
}

} // namespace

TrainResult trainTextTo3d(const TrainOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    checkOptions(o);
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path checkpointPath = o.out / "checkpoint.pt";
    if (o.resume) {
        if (!fs::is_regular_file(checkpointPath)) throw Error(o.out.string() + ": nothing to resume (no checkpoint.pt)");
    } else if (fs::exists(o.out) && !(fs::is_directory(o.out) && fs::is_empty(o.out)) && !o.overwrite) {
        throw Error(o.out.string() + ": already exists (use --force to replace it or --resume to continue it)");
    }
    fs::create_directories(o.out);

    core::Progress loadProgress([&](const core::ProgressUpdate& u) { progress.report(u.stage, 0.05f * u.fraction); });
    const TrainingSet set = loadTrainingSet(o.data, o.model.parts, loadProgress, cancel);
    std::vector<const TrainingItem*> train;
    for (const auto& item : set.items)
        if (!item.validation) train.push_back(&item);
    if (train.empty()) throw Error(o.data.string() + ": the dataset has no training items");

    ModelFile mf;
    mf.config = o.model;
    std::vector<std::string> texts;
    for (const auto* item : train) texts.insert(texts.end(), item->texts.begin(), item->texts.end());
    mf.tokenizer = Tokenizer::fromTexts(texts);
    mf.config.vocabSize = std::int64_t(mf.tokenizer.size());
    mf.config.validate("train text-to-3d");
    mf.categories = set.categories;
    mf.colours = set.colours;
    mf.materials = set.materials;

    // Per-channel statistics of the part tokens (and the size token) for unit-variance targets.
    const int parts = o.model.parts, rows = parts + 1;
    {
        std::vector<double> sum(kTokenDim, 0.0), sum2(kTokenDim, 0.0);
        double s = 0.0, s2 = 0.0;
        for (const auto* item : train) {
            for (int p = 0; p < parts; ++p)
                for (int c = 0; c < kTokenDim; ++c) {
                    const double v = item->tokens.values[std::size_t(p * kTokenDim + c)];
                    sum[std::size_t(c)] += v;
                    sum2[std::size_t(c)] += v * v;
                }
            const double v = item->tokens.values[std::size_t(parts * kTokenDim)];
            s += v;
            s2 += v * v;
        }
        const double n = double(train.size()) * parts;
        for (int c = 0; c < kTokenDim; ++c) {
            const double mean = sum[std::size_t(c)] / n;
            mf.tokenMean[c] = float(mean);
            mf.tokenStd[c] = float(std::sqrt(std::max(sum2[std::size_t(c)] / n - mean * mean, 1e-6)));
        }
        const double m = s / double(train.size());
        mf.sizeMean = float(m);
        mf.sizeStd = float(std::sqrt(std::max(s2 / double(train.size()) - m * m, 1e-4)));
    }
    torch::Tensor data = torch::empty({std::int64_t(train.size()), rows, kTokenDim});
    {
        auto acc = data.accessor<float, 3>();
        for (std::size_t i = 0; i < train.size(); ++i) {
            for (int p = 0; p < parts; ++p)
                for (int c = 0; c < kTokenDim; ++c)
                    acc[std::int64_t(i)][p][c] = (train[i]->tokens.values[std::size_t(p * kTokenDim + c)] - mf.tokenMean[c]) / mf.tokenStd[c];
            for (int c = 0; c < kTokenDim; ++c) acc[std::int64_t(i)][parts][c] = 0.0f;
            acc[std::int64_t(i)][parts][0] = (train[i]->tokens.values[std::size_t(parts * kTokenDim)] - mf.sizeMean) / mf.sizeStd;
        }
    }
    std::vector<std::vector<std::vector<std::int64_t>>> words(train.size());
    for (std::size_t i = 0; i < train.size(); ++i)
        for (const auto& t : train[i]->texts) words[i].push_back(mf.tokenizer.encode(t, mf.config.maxWords));

    // CUDA when this LibTorch has it and a device is present; the CPU otherwise.
    const torch::Device device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    progress.report(std::string("training on ") + (device.is_cuda() ? "CUDA" : "the CPU"), 0.05f);
    data = data.to(device);
    torch::manual_seed(o.seed);
    TextToShape model(mf.config), ema(mf.config);
    model->to(device);
    ema->to(device);
    {
        torch::NoGradGuard noGrad;
        const auto src = model->parameters();
        auto dst = ema->parameters();
        for (std::size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
    }
    ema->eval();
    torch::optim::AdamW optimizer(model->parameters(),
                                  torch::optim::AdamWOptions(o.learningRate).betas({0.9, 0.99}).weight_decay(o.weightDecay));
    int start = 0;
    std::vector<float> losses, rates;
    if (o.resume) {
        try {
            torch::serialize::InputArchive ar, m, e, op;
            ar.load_from(checkpointPath.string(), device);
            ar.read("model", m);
            model->load(m);
            ar.read("ema", e);
            ema->load(e);
            ar.read("optimizer", op);
            optimizer.load(op);
            torch::Tensor step, l, r;
            ar.read("step", step);
            ar.read("losses", l);
            ar.read("rates", r);
            start = int(step.item<std::int64_t>());
            l = l.cpu().contiguous();
            r = r.cpu().contiguous();
            losses.assign(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
            rates.assign(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
        } catch (const c10::Error& e) {
            throw Error(checkpointPath.string() + ": cannot resume, the checkpoint does not match this model (" + e.what_without_backtrace() + ")");
        }
        if (start > o.steps) throw Error(checkpointPath.string() + ": checkpoint is at step " + std::to_string(start) + ", past --steps");
    }

    auto save = [&](int step) {
        torch::serialize::OutputArchive ar, m, e, op;
        model->save(m);
        ema->save(e);
        optimizer.save(op);
        ar.write("model", m);
        ar.write("ema", e);
        ar.write("optimizer", op);
        ar.write("step", torch::tensor(std::int64_t(step)));
        ar.write("losses", torch::tensor(losses));
        ar.write("rates", torch::tensor(rates));
        saveArchive(ar, checkpointPath);
        models::saveModuleWeights(*ema, mf.weightsPath(o.out), true, {{"slot", "text-to-3d"}, {"format", "kiln-text-to-3d"}});
        nlohmann::ordered_json recipe;
        recipe["data"] = o.data.string();
        recipe["trainItems"] = train.size();
        recipe["validationItems"] = set.items.size() - train.size();
        recipe["steps"] = o.steps;
        recipe["stepsDone"] = step;
        recipe["batch"] = o.batch;
        recipe["learningRate"] = o.learningRate;
        recipe["warmupSteps"] = o.warmupSteps;
        recipe["weightDecay"] = o.weightDecay;
        recipe["conditionDropout"] = o.conditionDropout;
        recipe["emaDecay"] = o.emaDecay;
        recipe["seed"] = o.seed;
        recipe["threads"] = torch::get_num_threads();
        const auto sm = smooth(losses, 100);
        recipe["finalLoss"] = sm.empty() ? 0.0 : sm.back();
        mf.trainingJson = recipe.dump();
        writeModelConfig(mf, o.out);
        writeLossFiles(o.out, losses, rates);
        models::ModelManifest manifest;
        manifest.slot = "text-to-3d";
        manifest.name = o.out.filename().string();
        manifest.version = std::to_string(step);
        manifest.licence = "trained locally by kiln train on Kiln's procedural library (no third-party data or weights)";
        manifest.recipeJson = mf.trainingJson;
        models::writeManifest(o.out, manifest);
    };

    const std::int64_t n = data.size(0);
    model->train();
    const auto tTrain = std::chrono::steady_clock::now();
    auto lastReport = std::chrono::steady_clock::now();
    for (int step = start; step < o.steps; ++step) {
        cancel.throwIfCancelled();
        const double lr = learningRateAt(o, step);
        for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        // Every step draws from its own seeds, so a resumed run continues exactly.
        std::mt19937_64 rng(o.seed * 1000003ull + std::uint64_t(step));
        torch::manual_seed(o.seed * 7919ull + std::uint64_t(step) * 104729ull + 1);
        std::uniform_int_distribution<std::int64_t> pickItem(0, n - 1);
        std::uniform_real_distribution<float> unit(0.0f, 1.0f);
        std::vector<std::int64_t> index(std::size_t(o.batch));
        std::vector<std::vector<std::int64_t>> batchWords(std::size_t(o.batch));
        for (int b = 0; b < o.batch; ++b) {
            const std::int64_t i = pickItem(rng);
            index[std::size_t(b)] = i;
            const auto& options = words[std::size_t(i)];
            if (unit(rng) < o.conditionDropout) {
                batchWords[std::size_t(b)] = {Tokenizer::kEmpty};
            } else {
                batchWords[std::size_t(b)] = options[std::size_t(rng() % options.size())];
            }
        }
        const auto x0 = data.index_select(0, torch::tensor(index).to(device));
        const auto eps = torch::randn_like(x0);
        // Logit-normal times (Esser et al. 2024) weight the middle of the path, where shapes form.
        const auto t = torch::sigmoid(torch::randn({o.batch})).to(device);
        const auto tb = t.view({o.batch, 1, 1});
        const auto xt = (1 - tb) * x0 + tb * eps;
        const auto prediction = model->forward(xt, t, model->encodeText(padWords(batchWords).to(device)));
        const auto loss = torch::mse_loss(prediction, eps - x0);
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
        optimizer.step();
        {
            torch::NoGradGuard noGrad;
            const float d = std::min(o.emaDecay, float(step + 1) / float(step + 10));
            const auto src = model->parameters();
            auto dst = ema->parameters();
            for (std::size_t i = 0; i < src.size(); ++i) dst[i].mul_(d).add_(src[i], 1.0f - d);
        }
        losses.push_back(loss.item<float>());
        rates.push_back(float(lr));
        const auto now = std::chrono::steady_clock::now();
        if (now - lastReport > std::chrono::milliseconds(250) || step + 1 == o.steps) {
            const auto sm = smooth(losses, 50);
            char stage[96];
            std::snprintf(stage, sizeof stage, "step %d/%d  loss %.4f", step + 1, o.steps, sm.back());
            progress.report(stage, 0.05f + 0.95f * float(step + 1) / float(o.steps));
            lastReport = now;
        }
        if ((step + 1) % o.checkpointEvery == 0 || step + 1 == o.steps) save(step + 1);
    }
    if (start == o.steps) save(o.steps);

    TrainResult r;
    r.steps = o.steps;
    r.trainItems = int(train.size());
    r.validationItems = int(set.items.size() - train.size());
    const auto tEnd = std::chrono::steady_clock::now();
    r.seconds = std::chrono::duration<double>(tEnd - t0).count();
    r.loadSeconds = std::chrono::duration<double>(tTrain - t0).count();
    r.secondsPerStep = std::chrono::duration<double>(tEnd - tTrain).count() / double(std::max(1, o.steps - start));
    const auto sm = smooth(losses, 100);
    r.finalLoss = sm.empty() ? 0.0 : sm.back();
    for (std::size_t i = 0; i < sm.size(); i += std::max<std::size_t>(1, sm.size() / 20)) r.curve.emplace_back(int(i + 1), sm[i]);
    return r;
}

} // namespace kiln::textgen
