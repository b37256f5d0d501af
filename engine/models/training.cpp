#include "models/training.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/image_io.h"
#include "models/compute.h"
#include "models/manifest.h"
#include "models/plot.h"

#include <ATen/CPUGeneratorImpl.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <thread>

namespace kiln::models {

double learningRateAt(double peak, int warmupSteps, int totalSteps, int step) {
    if (step < warmupSteps) return peak * double(step + 1) / double(warmupSteps);
    const double p = double(step - warmupSteps) / double(std::max(1, totalSteps - warmupSteps));
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(3.14159265358979 * std::min(p, 1.0))));
}

void updateEma(torch::nn::Module& ema, const torch::nn::Module& model, double decay) {
    torch::NoGradGuard noGrad;
    auto e = ema.named_parameters(true);
    // A frozen weight's average is itself: copied, so it stays bit for bit (decay x + (1 - decay) x
    // is not x in floating point).
    for (const auto& p : model.named_parameters(true)) {
        if (p.value().requires_grad()) e[p.key()].mul_(decay).add_(p.value().detach(), 1.0 - decay);
        else e[p.key()].copy_(p.value());
    }
    auto eb = ema.named_buffers(true);
    for (const auto& b : model.named_buffers(true)) eb[b.key()].copy_(b.value());
}

void copyWeights(torch::nn::Module& to, const torch::nn::Module& from, bool buffers) {
    torch::NoGradGuard noGrad;
    auto t = to.named_parameters(true);
    for (const auto& p : from.named_parameters(true)) t[p.key()].copy_(p.value());
    if (!buffers) return;
    auto tb = to.named_buffers(true);
    for (const auto& b : from.named_buffers(true)) tb[b.key()].copy_(b.value());
}

std::vector<double> smoothed(const std::vector<float>& values, int window) {
    std::vector<double> out(values.size());
    double sum = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        sum += values[i];
        if (i >= std::size_t(window)) sum -= values[i - std::size_t(window)];
        out[i] = sum / double(std::min<std::size_t>(i + 1, std::size_t(window)));
    }
    return out;
}

void writeLossFiles(const std::filesystem::path& dir, const std::vector<float>& losses, const std::vector<float>& rates) {
    const auto sm = smoothed(losses, 50);
    std::string csv = "step,loss,smoothed_loss,learning_rate\n";
    for (std::size_t i = 0; i < losses.size(); ++i) {
        char line[128];
        std::snprintf(line, sizeof line, "%zu,%.6f,%.6f,%.6g\n", i + 1, double(losses[i]), sm[i], double(i < rates.size() ? rates[i] : 0.0f));
        csv += line;
    }
    const std::vector<std::uint8_t> bytes(csv.begin(), csv.end());
    io::writeAtomically(dir / "loss.csv", true, [&](const std::filesystem::path& tmp) { io::writeFileBytes(tmp, bytes); });
    const core::Image plot = plotLossCurve(losses, sm, 960, 480);
    io::writeAtomically(dir / "loss.png", true, [&](const std::filesystem::path& tmp) { io::writeImage(plot, tmp); });
}

void saveArchive(torch::serialize::OutputArchive& archive, const std::filesystem::path& path) {
    io::writeAtomically(path, true, [&](const std::filesystem::path& tmp) { archive.save_to(tmp.string()); });
}

void saveCheckpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::nn::Module& ema, torch::optim::Optimizer& optimizer,
                    const CheckpointState& state) {
    torch::serialize::OutputArchive ar, m, e, op;
    model.save(m);
    ema.save(e);
    optimizer.save(op);
    ar.write("model", m);
    ar.write("ema", e);
    ar.write("optimizer", op);
    ar.write("step", torch::tensor(std::int64_t(state.step)));
    ar.write("losses", torch::tensor(state.losses));
    ar.write("rates", torch::tensor(state.rates));
    saveArchive(ar, path);
}

CheckpointState loadCheckpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::nn::Module& ema, torch::optim::Optimizer& optimizer) {
    CheckpointState state;
    try {
        torch::serialize::InputArchive ar, m, e, op;
        ar.load_from(path.string());
        ar.read("model", m);
        ar.read("ema", e);
        ar.read("optimizer", op);
        model.load(m);
        ema.load(e);
        optimizer.load(op);
        torch::Tensor step, l, r;
        ar.read("step", step);
        ar.read("losses", l);
        ar.read("rates", r);
        state.step = int(step.item<std::int64_t>());
        state.losses.assign(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
        state.rates.assign(r.data_ptr<float>(), r.data_ptr<float>() + r.numel());
    } catch (const c10::Error& e) {
        throw Error(path.string() + ": cannot resume, the checkpoint does not match this model (" + e.what_without_backtrace() + ")");
    }
    return state;
}

void prepareTrainingFolder(const std::filesystem::path& out, bool resume, bool overwrite) {
    namespace fs = std::filesystem;
    if (resume) {
        if (!fs::is_regular_file(out / "checkpoint.pt")) throw Error(out.string() + ": nothing to resume (no checkpoint.pt)");
    } else if (fs::exists(out) && !fs::is_empty(out)) {
        if (!overwrite) throw Error(out.string() + ": folder is not empty (use --resume to continue or --force to replace it)");
        for (const char* f : {"checkpoint.pt", "weights.safetensors", "config.json", "manifest.json", "loss.csv", "loss.png"}) fs::remove(out / f);
    }
    fs::create_directories(out);
}

at::Generator stepGenerator(std::uint64_t seed, int step) {
    return at::detail::createCPUGenerator(seed * 1000003ull + std::uint64_t(step) * 7919ull + 1ull);
}

int trainingThreads(int threads) {
    configureComputeThreads(threads);
    return computeThreads();
}

nlohmann::ordered_json trainingRecipe(const RecipeBasics& b) {
    nlohmann::ordered_json r;
    r["data"] = b.data.string();
    r["trainItems"] = b.trainItems;
    r["steps"] = b.steps;
    r["stepsDone"] = b.stepsDone;
    r["batch"] = b.batch;
    r["learningRate"] = b.learningRate;
    r["warmupSteps"] = b.warmupSteps;
    r["emaDecay"] = b.emaDecay;
    r["seed"] = std::to_string(b.seed);
    r["threads"] = b.threads;
    return r;
}

void writeTrainedManifest(const std::filesystem::path& out, const std::string& slot, int step, const std::string& recipeJson) {
    ModelManifest manifest;
    manifest.slot = slot;
    manifest.name = out.filename().string();
    manifest.version = std::to_string(step);
    manifest.licence = "trained locally by kiln train on Kiln's procedural library (no third-party data or weights)";
    manifest.recipeJson = recipeJson;
    writeManifest(out, manifest);
}

void flowOptimiserStep(torch::nn::Module& model, torch::nn::Module& ema, torch::optim::Optimizer& optimizer, int step, double emaDecay,
                       float loss, float rate, std::vector<float>& losses, std::vector<float>& rates) {
    torch::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
    optimizer.step();
    updateEma(ema, model, step < 500 ? 0.99 : emaDecay);
    losses.push_back(loss);
    rates.push_back(rate);
}

void reportTrainingStep(core::Progress& progress, int step, int steps, float loss, std::chrono::steady_clock::time_point& lastReport) {
    const auto now = std::chrono::steady_clock::now();
    if (now - lastReport <= std::chrono::milliseconds(500) && step + 1 != steps) return;
    char stage[96];
    std::snprintf(stage, sizeof stage, "step %d/%d  loss %.4f", step + 1, steps, double(loss));
    progress.report(stage, 0.1f + 0.89f * float(step + 1) / float(steps));
    lastReport = now;
}

void summariseLosses(const std::vector<float>& losses, double* finalLoss, std::vector<std::pair<int, double>>* curve) {
    const auto sm = smoothed(losses, 100);
    if (finalLoss) *finalLoss = sm.empty() ? 0.0 : sm.back();
    if (curve)
        for (std::size_t i = 0; i < sm.size(); i += std::max<std::size_t>(1, sm.size() / 10)) curve->emplace_back(int(i + 1), sm[i]);
}

void forEachOnWorkers(std::size_t count, int threads, const std::function<void(std::size_t)>& work, const std::function<std::string(std::size_t)>& name,
                      const std::function<void()>& alongside, const std::string& stage, const std::string& what, core::Progress& progress,
                      const core::CancelToken& cancel) {
    std::atomic<std::size_t> next{0}, done{0};
    std::atomic<bool> stop{false};
    std::mutex failMutex;
    std::string failure;
    auto worker = [&] {
        for (std::size_t i; !stop && (i = next++) < count;) {
            try {
                work(i);
            } catch (const std::exception& e) {
                const std::lock_guard<std::mutex> lock(failMutex);
                if (failure.empty()) failure = name(i) + ": " + e.what();
                stop = true;
            }
            ++done;
        }
    };
    std::vector<std::thread> pool;
    for (int k = 0; k < std::max(1, threads); ++k) pool.emplace_back(worker);
    // Joined on every way out, a throw from `alongside` or a cancel included.
    struct Join {
        std::vector<std::thread>& pool;
        std::atomic<bool>& stop;
        ~Join() {
            stop = true;
            for (auto& t : pool)
                if (t.joinable()) t.join();
        }
    } join{pool, stop};
    if (alongside) alongside();
    while (done < count && !stop) {
        cancel.throwIfCancelled();
        progress.report(stage + " " + std::to_string(done.load()) + "/" + std::to_string(count), 0.1f * float(done) / float(std::max<std::size_t>(1, count)));
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    stop = true;
    for (auto& t : pool) t.join();
    if (!failure.empty()) throw Error(what + ": " + failure);
}

} // namespace kiln::models
