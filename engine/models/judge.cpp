#include "models/judge.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/manifest.h"
#include "models/torch_weights.h"
#include "models/training.h"
#include "procgen/dataset.h"
#include "render/renderer.h"
#include "render/views.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

namespace nn = torch::nn;

// Four strided convolutions per view, the views' features averaged, three heads.
struct JudgeNetImpl : nn::Module {
    JudgeNetImpl(int categories, int colours, int materials) {
        c1 = register_module("c1", nn::Conv2d(nn::Conv2dOptions(3, 32, 3).stride(2).padding(1)));
        c2 = register_module("c2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).stride(2).padding(1)));
        c3 = register_module("c3", nn::Conv2d(nn::Conv2dOptions(64, 128, 3).stride(2).padding(1)));
        c4 = register_module("c4", nn::Conv2d(nn::Conv2dOptions(128, 128, 3).stride(2).padding(1)));
        category = register_module("category", nn::Linear(128, categories));
        colour = register_module("colour", nn::Linear(128, colours));
        material = register_module("material", nn::Linear(128, materials));
    }
    // views: B x V x 3 x 64 x 64 -> three logit tensors.
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward(const torch::Tensor& views) {
        const auto b = views.size(0), v = views.size(1);
        auto x = views.reshape({b * v, 3, kJudgeSize, kJudgeSize}) * 2.0 - 1.0;
        x = torch::relu(c1->forward(x));
        x = torch::relu(c2->forward(x));
        x = torch::relu(c3->forward(x));
        x = torch::relu(c4->forward(x));
        const auto f = x.mean({2, 3}).reshape({b, v, 128}).mean(1);
        return {category->forward(f), colour->forward(f), material->forward(f)};
    }
    nn::Conv2d c1{nullptr}, c2{nullptr}, c3{nullptr}, c4{nullptr};
    nn::Linear category{nullptr}, colour{nullptr}, material{nullptr};
};
TORCH_MODULE(JudgeNet);

} // namespace

struct JudgeRenderer::Impl {
    render::Renderer renderer;
};

JudgeRenderer::JudgeRenderer() : m_impl(std::make_unique<Impl>()) {}
JudgeRenderer::~JudgeRenderer() = default;

std::vector<float> JudgeRenderer::views(const core::Mesh& mesh, float yawOffset) {
    render::Renderer& r = m_impl->renderer;
    r.clear();
    r.add(core::Asset::fromMesh("judge", mesh));
    render::ViewOptions vo;
    vo.grid = false;
    vo.axisGizmo = false;
    vo.background = glm::vec4(0.35f, 0.35f, 0.37f, 1.0f);
    vo.msaaSamples = 4;
    const auto cams = render::orbitViews(core::computeBounds(mesh), kJudgeViews, 0.45f, 1.0f, 0.6f + yawOffset, 0.6f);
    std::vector<float> out;
    out.reserve(std::size_t(kJudgeViews) * 3 * kJudgeSize * kJudgeSize);
    for (const auto& cam : cams) {
        const core::Image img = r.renderImage(cam, kJudgeSize, kJudgeSize, vo);
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < kJudgeSize; ++y)
                for (int x = 0; x < kJudgeSize; ++x) out.push_back(img.at(x, y, c));
    }
    return out;
}

struct AttributeJudge::Impl {
    JudgeNet net{nullptr};
    std::unique_ptr<JudgeRenderer> renderer;
};

AttributeJudge::AttributeJudge(const fs::path& dir) : m_impl(std::make_unique<Impl>()) {
    verifyModelFolder(dir, "judge");
    m_impl->net = JudgeNet(int(procgen::categories().size()), int(procgen::palette().size()), procgen::kMaterialKinds);
    loadModuleWeights(*m_impl->net, dir / "weights.safetensors");
    m_impl->net->eval();
}

AttributeJudge::~AttributeJudge() = default;

JudgeVerdict AttributeJudge::judge(const std::vector<float>& views) const {
    torch::NoGradGuard noGrad;
    const auto x = torch::from_blob(const_cast<float*>(views.data()), {1, kJudgeViews, 3, kJudgeSize, kJudgeSize}).clone();
    const auto [cat, col, mat] = m_impl->net->forward(x);
    JudgeVerdict v;
    v.category = int(cat.argmax(-1).item<std::int64_t>());
    v.colour = int(col.argmax(-1).item<std::int64_t>());
    v.material = procgen::MaterialKind(mat.argmax(-1).item<std::int64_t>());
    return v;
}

JudgeVerdict AttributeJudge::judge(const core::Mesh& mesh) const {
    if (!m_impl->renderer) m_impl->renderer = std::make_unique<JudgeRenderer>();
    return judge(m_impl->renderer->views(mesh));
}

JudgeTrainResult trainJudge(const JudgeTrainOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    const auto t0 = std::chrono::steady_clock::now();
    if (fs::exists(o.out) && !fs::is_empty(o.out) && !o.overwrite) throw Error(o.out.string() + ": folder is not empty (use --force to replace it)");
    fs::create_directories(o.out);
    trainingThreads(o.threads);
    torch::manual_seed(o.seed);
    const procgen::Dataset ds = procgen::readDataset(o.data);
    std::vector<procgen::DatasetItem> train, val;
    for (const auto& it : ds.items) {
        if (it.split == "train" && int(train.size()) < o.items) train.push_back(it);
        else if ((it.split == "val" || it.split == "val-triple") && val.size() < 300) val.push_back(it);
    }
    if (train.empty()) throw Error(o.data.string() + ": no training items");
    // Two sets of views per training asset (the second turned by 45 degrees), one per held-out asset.
    JudgeRenderer renderer;
    auto render = [&](const std::vector<procgen::DatasetItem>& items, int turns, std::vector<float>& images, std::vector<std::int64_t>& labels,
                      float from, float to) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            cancel.throwIfCancelled();
            const procgen::ProcAsset a = procgen::generate(items[i].params, {.textureSize = 128});
            for (int t = 0; t < turns; ++t) {
                const auto v = renderer.views(a.mesh, 0.785f * float(t));
                images.insert(images.end(), v.begin(), v.end());
                labels.insert(labels.end(), {std::int64_t(items[i].params.category), std::int64_t(items[i].params.materials.front().colour),
                                             std::int64_t(items[i].params.materials.front().kind)});
            }
            if (i % 20 == 0)
                progress.report("rendering " + std::to_string(i + 1) + "/" + std::to_string(items.size()), from + (to - from) * float(i + 1) / float(items.size()));
        }
    };
    std::vector<float> trainImages, valImages;
    std::vector<std::int64_t> trainLabels, valLabels;
    render(train, 2, trainImages, trainLabels, 0.0f, 0.3f);
    render(val, 1, valImages, valLabels, 0.3f, 0.35f);
    JudgeTrainResult result;
    result.items = int(train.size());
    result.validationItems = int(val.size());
    result.renderSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const int nCat = int(procgen::categories().size()), nCol = int(procgen::palette().size());
    JudgeNet net(nCat, nCol, procgen::kMaterialKinds);
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(o.learningRate).weight_decay(1e-4));
    const std::int64_t n = std::int64_t(trainLabels.size() / 3);
    const auto images = torch::from_blob(trainImages.data(), {n, kJudgeViews, 3, kJudgeSize, kJudgeSize});
    const auto labels = torch::from_blob(trainLabels.data(), {n, 3}, torch::kLong);
    net->train();
    for (int step = 0; step < o.steps; ++step) {
        cancel.throwIfCancelled();
        at::Generator gen = stepGenerator(o.seed, step);
        const auto idx = torch::randint(n, {o.batch}, gen, torch::kLong);
        auto x = images.index_select(0, idx);
        // Brightness jitter only: colour is what the judge has to read.
        x = (x * (0.85 + 0.3 * torch::rand({o.batch, 1, 1, 1, 1}, gen))).clamp(0.0, 1.0);
        const auto y = labels.index_select(0, idx);
        const double lr = learningRateAt(o.learningRate, 100, o.steps, step);
        for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        opt.zero_grad();
        const auto [cat, col, mat] = net->forward(x);
        const auto loss = torch::cross_entropy_loss(cat, y.select(1, 0)) + torch::cross_entropy_loss(col, y.select(1, 1)) +
                          torch::cross_entropy_loss(mat, y.select(1, 2));
        loss.backward();
        opt.step();
        if (step % 20 == 0)
            progress.report("step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) + "  loss " + std::to_string(loss.item<float>()),
                            0.35f + 0.6f * float(step + 1) / float(o.steps));
    }
    // Accuracy on held-out real assets: the ceiling a generator can reach on this judge.
    net->eval();
    {
        torch::NoGradGuard noGrad;
        const std::int64_t nv = std::int64_t(valLabels.size() / 3);
        if (nv > 0) {
            const auto vx = torch::from_blob(valImages.data(), {nv, kJudgeViews, 3, kJudgeSize, kJudgeSize});
            const auto vy = torch::from_blob(valLabels.data(), {nv, 3}, torch::kLong);
            const auto [cat, col, mat] = net->forward(vx);
            result.categoryAccuracy = cat.argmax(-1).eq(vy.select(1, 0)).to(torch::kFloat).mean().item<double>();
            result.colourAccuracy = col.argmax(-1).eq(vy.select(1, 1)).to(torch::kFloat).mean().item<double>();
            result.materialAccuracy = mat.argmax(-1).eq(vy.select(1, 2)).to(torch::kFloat).mean().item<double>();
        }
    }
    saveModuleWeights(*net, o.out / "weights.safetensors", true, {{"slot", "judge"}});
    nlohmann::ordered_json recipe{{"data", o.data.string()}, {"items", train.size()}, {"steps", o.steps}, {"batch", o.batch},
                                  {"learningRate", o.learningRate}, {"seed", std::to_string(o.seed)},
                                  {"heldOut", {{"items", val.size()}, {"category", result.categoryAccuracy}, {"colour", result.colourAccuracy},
                                               {"material", result.materialAccuracy}}}};
    const std::string text = recipe.dump(1) + "\n";
    io::writeAtomically(o.out / "config.json", true, [&](const fs::path& tmp) {
        io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    });
    ModelManifest m;
    m.slot = "judge";
    m.name = o.out.filename().string();
    m.version = "1";
    m.licence = "trained locally by kiln train on renders of Kiln's procedural library (no third-party data or weights)";
    m.recipeJson = recipe.dump();
    writeManifest(o.out, m);
    result.steps = o.steps;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report("done", 1.0f);
    return result;
}

} // namespace kiln::models
