#include "textgen/text_to_3d.h"

#include "core/error.h"
#include "models/manifest.h"
#include "models/model_paths.h"
#include "models/torch_weights.h"
#include "pipelines/splat_mesh.h"
#include "textgen/model.h"
#include "textgen/model_file.h"
#include "textgen/training_data.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <unistd.h>

namespace kiln::textgen {

namespace fs = std::filesystem;

struct Generator::Impl {
    fs::path dir;
    ModelFile file;
    TextToShape model{nullptr};
};

Generator::Generator(const fs::path& modelDir) : m_impl(std::make_unique<Impl>()) {
    m_impl->dir = modelDir;
    models::verifyModelFolder(modelDir, "text-to-3d");
    m_impl->file = readModelFile(modelDir);
    m_impl->model = TextToShape(m_impl->file.config);
    models::loadModuleWeights(*m_impl->model, m_impl->file.weightsPath(modelDir));
    m_impl->model->eval();
}

Generator::~Generator() = default;

const fs::path& Generator::modelDir() const { return m_impl->dir; }

std::string Generator::vocabularyHint() const {
    return textgen::vocabularyHint(m_impl->file.categories, m_impl->file.colours, m_impl->file.materials);
}

int Generator::defaultSteps() const { return m_impl->file.samplerSteps; }

GenerateResult Generator::generate(const std::string& prompt, const GenerateOptions& o, core::Progress& progress,
                                   const core::CancelToken& cancel) const {
    const auto t0 = std::chrono::steady_clock::now();
    const ModelFile& mf = m_impl->file;
    checkPromptNotEmpty(prompt);
    if (o.steps < 1 || o.steps > 1000) throw Error("--steps " + std::to_string(o.steps) + " is out of range (1..1000)");
    if (!(o.guidance >= 0.0f && o.guidance <= 20.0f)) throw Error("--guidance " + std::to_string(o.guidance) + " is out of range (0..20)");
    if (o.splats < 0 || o.splats > 10000000) throw Error("--splats " + std::to_string(o.splats) + " is out of range");

    GenerateResult result;
    result.vocabularyHint = vocabularyHint();
    std::vector<std::int64_t> ids;
    for (const auto id : mf.tokenizer.encode(prompt, mf.config.maxWords, &result.unknownWords))
        if (id != Tokenizer::kUnknown) ids.push_back(id);  // the model never saw the unknown id
    // Articles and linking words alone describe nothing: generating from them would be an
    // unconditional sample passed off as an answer to the prompt.
    static const std::set<std::string> kFunctionWords = {"a", "an", "the", "and", "with", "of", "in", "on", "its", "made", "is", "has", "some"};
    bool described = false;
    for (const auto& w : Tokenizer::splitWords(prompt))
        if (!kFunctionWords.count(w) && std::find(result.unknownWords.begin(), result.unknownWords.end(), w) == result.unknownWords.end()) described = true;
    if (!described)
        throw Error("prompt \"" + prompt + "\": no word the model knows (" + m_impl->dir.filename().string() + " knows " + result.vocabularyHint + ")");

    torch::NoGradGuard noGrad;
    const int rows = mf.config.parts + 1;
    auto gen = at::detail::createCPUGenerator(o.seed);
    torch::Tensor x = torch::randn({1, rows, kTokenDim}, gen, torch::kFloat);
    TextToShape& model = m_impl->model;
    // Guidance 1 is the conditional velocity alone: the unconditional row is not computed.
    const bool guided = o.guidance != 1.0f;
    const auto text = guided ? model->encodeText(padWords({ids, {Tokenizer::kEmpty}})) : model->encodeText(padWords({ids}));
    const std::int64_t batchRows = guided ? 2 : 1;

    auto toTokens = [&](const torch::Tensor& normalised) {
        ShapeTokens tokens;
        tokens.parts = mf.config.parts;
        tokens.values.resize(std::size_t(rows) * kTokenDim);
        const auto acc = normalised.accessor<float, 3>();
        for (int p = 0; p < mf.config.parts; ++p)
            for (int c = 0; c < kTokenDim; ++c) tokens.values[std::size_t(p * kTokenDim + c)] = acc[0][p][c] * mf.tokenStd[c] + mf.tokenMean[c];
        tokens.values[std::size_t(mf.config.parts * kTokenDim)] = acc[0][mf.config.parts][0] * mf.sizeStd + mf.sizeMean;
        return tokens;
    };
    DecodeOptions decode;
    decode.seed = o.seed;
    decode.childrenPerPart = o.splats > 0 ? std::max(1, o.splats / mf.config.parts) : mf.childrenPerPart;

    // Euler integration of the learned velocity from noise (t = 1) to data (t = 0), with
    // classifier-free guidance (Ho & Salimans 2022): v = v_empty + w (v_prompt - v_empty).
    const int previewEvery = std::max(1, o.steps / 6);
    for (int i = 0; i < o.steps; ++i) {
        cancel.throwIfCancelled();
        const float t = 1.0f - float(i) / float(o.steps), dt = 1.0f / float(o.steps);
        const auto vb = model->forward(x.expand({batchRows, rows, kTokenDim}), torch::full({batchRows}, t), text);
        const auto v = guided ? vb[1].unsqueeze(0) + o.guidance * (vb[0].unsqueeze(0) - vb[1].unsqueeze(0)) : vb;
        if ((i + 1) % previewEvery == 0 && i + 1 < o.steps) {
            // The current estimate of the clean shape, x0 = x_t - t v.
            DecodeOptions small = decode;
            small.childrenPerPart = 8;
            core::Provenance prov;
            prov.source = "generate:text (preview)";
            prov.prompt = prompt;
            progress.preview(core::Asset::fromGaussians("preview", decodeShape(toTokens(x - t * v), small), prov));
        }
        x = x - dt * v;
        progress.report("denoising step " + std::to_string(i + 1) + "/" + std::to_string(o.steps), 0.8f * float(i + 1) / float(o.steps));
    }

    core::GaussianCloud cloud = decodeShape(toTokens(x), decode);
    cloud.checkFinite("generated splats");
    core::Provenance prov;
    prov.source = "generate:text";
    prov.prompt = prompt;
    prov.seed = o.seed;
    prov.model = m_impl->dir.filename().string();
    nlohmann::json options{{"steps", o.steps}, {"guidance", o.guidance}, {"splats", cloud.size()}};
    if (!result.unknownWords.empty()) options["ignoredWords"] = result.unknownWords;  // so the Inspector says why
    prov.options = options.dump();
    prov.createdAt = core::utcNowIso8601();
    std::string name;
    for (const auto& w : Tokenizer::splitWords(prompt)) {
        if (w == "a" || w == "an" || w == "the") continue;
        name += (name.empty() ? "" : "_") + w;
        if (name.size() > 32) break;
    }
    if (o.mesh) {
        progress.report("extracting mesh", 0.85f);
        pipelines::SplatMeshOptions mo;
        mo.resolution = 112;
        mo.maxFaces = 30000;
        core::Mesh mesh = pipelines::meshFromSplats(cloud, pipelines::viewsAround(cloud, 20, 160), mo, cancel);
        core::Material mat;
        mat.name = "generated";
        mat.metallicFactor = 0.0f;
        mat.roughnessFactor = 0.6f;
        mesh.materials = {mat};
        for (auto& s : mesh.submeshes) s.material = 0;
        core::Provenance meshProv = prov;
        meshProv.source = "generate:text:mesh";
        result.assets.push_back(core::Asset::fromGaussians(name + "_splats", std::move(cloud), prov));
        result.assets.push_back(core::Asset::fromMesh(name, std::move(mesh), meshProv));
    } else {
        result.assets.push_back(core::Asset::fromGaussians(name, std::move(cloud), prov));
    }
    progress.report("done", 1.0f);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

void checkPromptNotEmpty(const std::string& prompt) {
    if (Tokenizer::splitWords(prompt).empty()) throw Error("empty prompt: describe the object, e.g. \"a tall red ceramic vase\"");
}

GenerateResult generate(const std::string& prompt, const GenerateOptions& options, core::Progress& progress, const core::CancelToken& cancel) {
    checkPromptNotEmpty(prompt);
    const Generator generator(options.model.empty() ? bundledModelPath() : options.model);
    return generator.generate(prompt, options, progress, cancel);
}

fs::path bundledModelPath() { return models::bundledModelDir("text-to-3d"); }

} // namespace kiln::textgen
