#include "models/text_to_3d.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/surface_splats.h"
#include "models/flow_sampler.h"
#include "models/manifest.h"
#include "models/text_model_file.h"
#include "models/text_to_latent.h"
#include "models/torch_weights.h"
#include "procgen/shape_rng.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <set>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

// Articles and linking words describe nothing: a prompt of only these (and unknown words) would
// be an unconditional sample passed off as an answer.
bool isFunctionWord(const std::string& w) {
    static const std::set<std::string> words = {"a", "an", "the", "and", "with", "of", "in", "on", "its", "made", "is", "has", "some", "that"};
    return words.count(w) != 0;
}

// A sampler step for `onStep`: every sixth of the steps with the current estimate of the clean
// latent (made only then), otherwise without one.
void reportStep(const TextTo3dGenerator::SampleStepFn& onStep, int step, int steps, const std::function<ShapeLatent()>& estimate) {
    if (!onStep) return;
    if ((step + 1) % std::max(1, steps / 6) != 0) return onStep(step, nullptr);
    const ShapeLatent e = estimate();
    onStep(step, &e);
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& w : v) s += (s.empty() ? "" : ", ") + w;
    return s;
}

} // namespace

std::uint64_t candidateSeed(std::uint64_t seed, int k) {
    // SplitMix64 of the seed stepped k times (the library's own finaliser).
    return k == 0 ? seed : procgen::mix64(seed + 0x9E3779B97F4A7C15ull * std::uint64_t(k));
}

void checkPromptNotEmpty(const std::string& prompt) {
    if (Tokenizer::splitWords(prompt).empty()) throw Error("empty prompt: describe the object, e.g. \"a tall red ceramic vase\"");
}

struct TextTo3dGenerator::Impl {
    fs::path dir;
    ModelManifest manifest;
    TextModelFile file;
    TextToLatent net{nullptr};
    std::unique_ptr<ShapeLatentModel> ae;
};

TextTo3dGenerator::TextTo3dGenerator(const fs::path& textModel, const fs::path& autoencoder) : m_impl(std::make_unique<Impl>()) {
    m_impl->dir = textModel;
    m_impl->manifest = verifyModelFolder(textModel, "text-to-3d");
    m_impl->file = readTextModelFile(textModel);
    m_impl->ae = std::make_unique<ShapeLatentModel>(autoencoder);
    const std::string aeSha = sha256File(autoencoder / "weights.safetensors");
    // The encoder's hash (every encoder weight) only when the files differ.
    const auto sameEncoder = [&] {
        return !m_impl->file.autoencoderEncoderSha256.empty() && m_impl->file.autoencoderEncoderSha256 == m_impl->ae->encoderSha256();
    };
    if (aeSha != m_impl->file.autoencoderWeightsSha256 && !sameEncoder())
        throw Error(textModel.string() + ": trained with the shape autoencoder '" + m_impl->file.autoencoderName + " v" + m_impl->file.autoencoderVersion +
                    "', but " + autoencoder.string() + " holds '" + m_impl->ae->name() + "' (different weights): use the autoencoder it was trained with");
    if (m_impl->file.config.tokens != m_impl->ae->tokens() || m_impl->file.config.tokenDim != 3 + m_impl->ae->channels())
        throw Error(textModel.string() + ": its token size does not match the autoencoder's");
    m_impl->net = TextToLatent(m_impl->file.config);
    loadModuleWeights(*m_impl->net, textModel / "weights.safetensors");
    m_impl->net->eval();
}

TextTo3dGenerator::~TextTo3dGenerator() = default;

const ShapeLatentModel& TextTo3dGenerator::autoencoder() const { return *m_impl->ae; }
int TextTo3dGenerator::defaultSteps() const { return m_impl->file.samplerSteps; }
float TextTo3dGenerator::defaultSurfaceBias() const { return m_impl->file.surfaceBias; }
float TextTo3dGenerator::defaultTemperature() const { return m_impl->file.temperature; }
std::string TextTo3dGenerator::name() const { return m_impl->manifest.name + " v" + m_impl->manifest.version; }

std::string TextTo3dGenerator::vocabularyHint() const {
    const auto& f = m_impl->file;
    return "categories: " + joined(f.categories) + "; colours: " + joined(f.colours) + "; materials: " + joined(f.materials);
}

std::vector<std::int64_t> TextTo3dGenerator::promptWords(const std::string& prompt, std::vector<std::string>* unknownOut) const {
    const TextModelFile& mf = m_impl->file;
    std::vector<std::string> unknown;
    std::vector<std::int64_t> ids;
    for (const auto id : mf.tokenizer.encode(prompt, mf.config.maxWords, &unknown))
        if (id != Tokenizer::kUnknown) ids.push_back(id);
    bool described = false;
    for (const auto& w : Tokenizer::splitWords(prompt))
        if (!isFunctionWord(w) && std::find(unknown.begin(), unknown.end(), w) == unknown.end()) described = true;
    if (!described) throw Error("prompt \"" + prompt + "\": no word the model knows (it knows " + vocabularyHint() + ")");
    if (unknownOut) *unknownOut = unknown;
    return ids;
}

torch::Tensor TextTo3dGenerator::runFlow(const std::vector<std::int64_t>& ids, const torch::Tensor& start, float tStart, int steps, float guidance,
                                         const core::CancelToken& cancel, const SampleStepFn& onStep,
                                         const std::function<torch::Tensor(const torch::Tensor&, float)>& constrain) const {
    torch::NoGradGuard noGrad;
    const TextModelFile& mf = m_impl->file;
    const int rows = mf.config.tokens + 1, dim = mf.config.tokenDim;
    // Guidance 1 is the conditional velocity alone: the unconditional row is not computed.
    const bool guided = guidance != 1.0f;
    TextToLatent& net = m_impl->net;
    const auto text = guided ? net->encodeText(padWordIds({ids, {Tokenizer::kEmpty}})) : net->encodeText(padWordIds({ids}));
    const std::int64_t batch = guided ? 2 : 1;
    return sampleFlowEuler(
        start, {.steps = steps, .tStart = tStart},
        [&](const torch::Tensor& x, float t) {
            const auto v = net->forward(x.expand({batch, rows, dim}), torch::full({batch}, t), text);
            return guidedVelocity(v, guidance);
        },
        cancel,
        // The current estimate of the clean latent, x0 = x_t - t v, for previews.
        [&](int step, float t, const torch::Tensor& x, const torch::Tensor& v) { reportStep(onStep, step, steps, [&] { return toLatent(x - t * v); }); },
        constrain ? FlowConstraintFn(constrain) : FlowConstraintFn{});
}

torch::Tensor TextTo3dGenerator::runFlowEdit(const std::vector<std::int64_t>& target, const std::vector<std::int64_t>& source, const torch::Tensor& x0,
                                             const torch::Tensor& keep, const std::function<torch::Tensor(float t, const torch::Tensor& eps)>& heldAt,
                                             float tStart, int steps, float guidance, float temperature, std::uint64_t seed, const core::CancelToken& cancel,
                                             const SampleStepFn& onStep) const {
    torch::NoGradGuard noGrad;
    const TextModelFile& mf = m_impl->file;
    const int rows = mf.config.tokens + 1, dim = mf.config.tokenDim;
    TextToLatent& net = m_impl->net;
    // One batch a step: the edited path under the prompt and the asset's own path under the source
    // (an empty source is the unconditional row), each also unconditioned unless guidance is 1.
    const bool guided = guidance != 1.0f;
    const std::vector<std::int64_t> none{Tokenizer::kEmpty};
    const std::vector<std::int64_t>& from = source.empty() ? none : source;
    const auto text = net->encodeText(guided ? padWordIds({target, none, from, none}) : padWordIds({target, from}));
    const std::int64_t half = guided ? 2 : 1;
    auto gen = at::detail::createCPUGenerator(seed ^ 0xF10EDull);
    const float dt = tStart / float(steps);
    torch::Tensor z = x0.clone();  // the edited latent, at time 0 throughout
    for (int i = 0; i < steps; ++i) {
        cancel.throwIfCancelled();
        const float t = tStart - float(i) * dt;
        // A fresh noising of the asset at t, and the edited latent carried by the same noise.
        const torch::Tensor eps = torch::randn({1, rows, dim}, gen, torch::kFloat) * temperature;
        const torch::Tensor held = heldAt(t, eps);
        const torch::Tensor zSrc = keep * held + (1.0f - keep) * ((1.0f - t) * x0 + t * eps);
        const torch::Tensor zTar = keep * held + (1.0f - keep) * (z + zSrc - x0);
        const torch::Tensor v = net->forward(torch::cat({zTar.expand({half, rows, dim}), zSrc.expand({half, rows, dim})}), torch::full({2 * half}, t), text);
        const torch::Tensor delta = guidedVelocity(v.slice(0, 0, half), guidance) - guidedVelocity(v.slice(0, half, 2 * half), guidance);
        z = z - dt * (1.0f - keep) * delta;
        reportStep(onStep, i, steps, [&] { return toLatent(z); });
    }
    return z;
}

void TextTo3dGenerator::checkSamplerOptions(int steps, float guidance, float temperature) const {
    if (steps < 1 || steps > 1000) throw Error("--steps " + std::to_string(steps) + " is out of range (1..1000)");
    if (!(guidance >= 0.0f && guidance <= 20.0f)) throw Error("--guidance is out of range (0..20)");
    if (!std::isnan(temperature) && !(temperature > 0.0f && temperature <= 1.5f)) throw Error("--temperature is out of range (0..1.5, above 0)");
}

ShapeLatent TextTo3dGenerator::sampleLatent(const std::string& prompt, const TextTo3dOptions& o, const core::CancelToken& cancel,
                                            std::vector<std::string>* unknownOut, const SampleStepFn& onStep) const {
    checkPromptNotEmpty(prompt);
    checkSamplerOptions(o.steps, o.guidance, o.temperature);
    if (!std::isnan(o.surfaceBias) && !(std::abs(o.surfaceBias) <= 8.0f)) throw Error("--surface-bias is out of range (-8..8)");
    if (o.candidates < 1 || o.candidates > 16) throw Error("--candidates " + std::to_string(o.candidates) + " is out of range (1..16)");
    const std::vector<std::int64_t> ids = promptWords(prompt, unknownOut);
    const TextModelFile& mf = m_impl->file;
    auto gen = at::detail::createCPUGenerator(o.seed);
    const float temperature = std::isnan(o.temperature) ? mf.temperature : o.temperature;
    const torch::Tensor x1 = torch::randn({1, mf.config.tokens + 1, mf.config.tokenDim}, gen, torch::kFloat) * temperature;
    return toLatent(runFlow(ids, x1, 1.0f, o.steps, o.guidance, cancel, onStep, {}));
}

ShapeLatent TextTo3dGenerator::sampleAppearance(const std::string& prompt, const ShapeLatent& shape, const AppearanceOptions& o,
                                                const core::CancelToken& cancel, std::vector<std::string>* unknownOut) const {
    return sampleEdit(prompt, shape,
                      {.seed = o.seed, .steps = o.steps, .guidance = o.guidance, .strength = o.strength, .holdShape = true, .holdSize = true, .keepTokens = {},
                       .temperature = o.temperature, .flowEdit = false, .source = {}},
                      cancel, unknownOut);
}

std::vector<std::int64_t> TextTo3dGenerator::sourceWords(const std::string& source) const {
    try {
        return promptWords(source, nullptr);
    } catch (const Error& e) {
        throw Error(std::string("--source: ") + e.what());
    }
}

ShapeLatent TextTo3dGenerator::sampleEdit(const std::string& prompt, const ShapeLatent& asset, const EditSampleOptions& o,
                                          const core::CancelToken& cancel, std::vector<std::string>* unknownOut, const SampleStepFn& onStep) const {
    checkPromptNotEmpty(prompt);
    checkSamplerOptions(o.steps, o.guidance, o.temperature);
    if (!(o.strength > 0.0f && o.strength <= 1.0f)) throw Error("--strength is out of range (0..1, above 0)");
    const TextModelFile& mf = m_impl->file;
    const int m = mf.config.tokens, dim = mf.config.tokenDim, c = dim - 3;
    if (asset.tokens != m || asset.channels != c)
        throw Error("sampling an edit: the latent has " + std::to_string(asset.tokens) + " tokens of " + std::to_string(asset.channels) +
                    " channels; the text model diffuses " + std::to_string(m) + " of " + std::to_string(c));
    if (!o.keepTokens.empty() && o.keepTokens.size() != std::size_t(m))
        throw Error("sampling an edit: " + std::to_string(o.keepTokens.size()) + " keep flags for " + std::to_string(m) + " tokens");
    const std::vector<std::int64_t> ids = promptWords(prompt, unknownOut);
    // The asset as unit-scale tokens (in the model's token order), and which values are held: the
    // size row always (an edit does not rescale the object), every anchor coordinate when the
    // shape stays, and every value of a kept token.
    std::vector<int> order;
    std::vector<float> tokens = unitTokens(asset, mf.stats, mf.config.ordered, std::log(kLatentExtent / asset.frame.scale), &order);
    std::vector<float> held(tokens.size(), 0.0f);
    for (int t = 0; t < m; ++t) {
        const bool keep = !o.keepTokens.empty() && o.keepTokens[std::size_t(order[std::size_t(t)])];
        for (int k = 0; k < dim; ++k)
            if (keep || (o.holdShape && k < 3)) held[std::size_t(t * dim + k)] = 1.0f;
    }
    if (o.holdSize || o.holdShape)
        for (int k = 0; k < dim; ++k) held[std::size_t(m * dim + k)] = 1.0f;
    const torch::Tensor x0 = torch::from_blob(tokens.data(), {1, m + 1, dim}, torch::kFloat).clone();
    const torch::Tensor keep = torch::from_blob(held.data(), {1, m + 1, dim}, torch::kFloat).clone();
    auto gen = at::detail::createCPUGenerator(o.seed);
    const float temperature = std::isnan(o.temperature) ? mf.temperature : o.temperature;
    const torch::Tensor eps = torch::randn({1, m + 1, dim}, gen, torch::kFloat) * temperature;
    // A model trained with the shape given reads it clean at every step; otherwise RePaint on a
    // deterministic flow: the held values follow the asset's own path from the same noise,
    // (1 - t) x0 + t eps, so the network always sees a consistent x_t. The rest starts from the
    // asset's own values noised to time `strength` (SDEdit).
    const auto noised = [&](float t) { return (1.0f - t) * x0 + t * eps; };
    // The held values at time t on the path of noise `e` (FlowEdit draws a fresh one each step).
    const bool heldClean = mf.shapeGiven && o.holdShape && o.keepTokens.empty();
    const auto heldOnPath = [&](float t, const torch::Tensor& e) { return heldClean ? x0 : (1.0f - t) * x0 + t * e; };
    const auto heldAt = [&](float t) { return heldOnPath(t, eps); };
    const auto constrain = [&](const torch::Tensor& x, float tNext) { return keep * heldAt(tNext) + (1.0f - keep) * x; };
    const torch::Tensor start = keep * heldAt(o.strength) + (1.0f - keep) * noised(o.strength);
    // Previews in the asset's own place (the estimate's frame is the size's, centred at the origin).
    const SampleStepFn inAssetFrame = !onStep ? SampleStepFn{} : [&](int step, const ShapeLatent* estimate) {
        if (!estimate) return onStep(step, nullptr);
        ShapeLatent placed = *estimate;
        placed.frame = asset.frame;
        onStep(step, &placed);
    };
    const ShapeLatent sampled =
        o.flowEdit ? toLatent(runFlowEdit(ids, o.source.empty() ? std::vector<std::int64_t>{} : sourceWords(o.source), x0, keep, heldOnPath,
                                          o.strength, o.steps, o.guidance, temperature, o.seed, cancel, inAssetFrame))
                   : toLatent(runFlow(ids, start, o.strength, o.steps, o.guidance, cancel, inAssetFrame, constrain));
    // Back in the asset's own token order (token i is still the encoding's token i), kept tokens
    // exactly as they were and, when the shape stays, exactly the asset's anchors (the held
    // values went through unit scaling).
    ShapeLatent out = asset;
    for (int t = 0; t < m; ++t) {
        const auto src = std::size_t(order[std::size_t(t)]);
        if (!o.keepTokens.empty() && o.keepTokens[src]) continue;
        std::copy_n(sampled.values.begin() + std::ptrdiff_t(std::size_t(t) * std::size_t(c)), c, out.values.begin() + std::ptrdiff_t(src * std::size_t(c)));
        if (!o.holdShape) std::copy_n(sampled.anchors.begin() + std::ptrdiff_t(std::size_t(t) * 3), 3, out.anchors.begin() + std::ptrdiff_t(src * 3));
    }
    out.frame = asset.frame;
    if (!(o.holdSize || o.holdShape)) out.frame.scale = sampled.frame.scale;  // resized about the asset's centre
    return out;
}

ShapeLatent TextTo3dGenerator::toLatent(const torch::Tensor& x0) const {
    return latentFromUnitTokens(x0.contiguous().data_ptr<float>(), m_impl->file);
}

core::Asset TextTo3dGenerator::previewAsset(const ShapeLatent& l, const std::string& prompt) const {
    core::Provenance prov;
    prov.source = "generate:text (preview)";
    prov.prompt = prompt;
    return core::Asset::fromGaussians("preview", m_impl->ae->previewSplats(l), prov);
}

SampledAsset sampleAndDecode(const ShapeLatentModel& ae, const DecodeOptions& d, int candidates, std::uint64_t seed,
                             const std::function<ShapeLatent(std::uint64_t seed, bool first)>& sample, core::Progress& progress,
                             const core::CancelToken& cancel) {
    // Candidates one after another until one decodes in one piece. The first reports every
    // sampler step and previews the emerging shape (the caller's sampler does); later ones say why
    // they are being tried.
    SampledAsset r;
    std::exception_ptr firstFailure;
    double moreSeconds = 0.0;
    for (int k = 0; k < candidates; ++k) {
        auto t = std::chrono::steady_clock::now();
        if (k > 0) {
            const std::size_t pieces = r.choice.pieces[std::size_t(r.choice.chosen)];
            progress.report((pieces == 0 ? std::string("the sample decoded to nothing") : "the mesh is in " + std::to_string(pieces) + " pieces") +
                                ": trying candidate " + std::to_string(k + 1) + " of " + std::to_string(candidates),
                            0.95f);
        }
        ShapeLatent latent = sample(candidateSeed(seed, k), k == 0);
        if (k == 0) {
            progress.report("sampled the latent", 0.6f);
            r.stageSeconds.emplace_back("sampling", secondsSince(t));
            progress.report("decoding the latent", 0.65f);
        }
        cancel.throwIfCancelled();
        try {
            DecodedAsset candidate = ae.decode(latent, d, cancel);
            const std::size_t pieces = candidate.components;
            r.choice.pieces.push_back(pieces);
            const std::size_t best = r.choice.pieces[std::size_t(r.choice.chosen)];
            if (k == 0 || best == 0 || (pieces > 0 && pieces < best)) {
                r.choice.chosen = k;
                r.latent = std::move(latent);
                r.decoded = std::move(candidate);
            }
        } catch (const Cancelled&) {
            throw;
        } catch (const Error&) {
            // Decoded to empty space: the next candidate may not.
            if (!firstFailure) firstFailure = std::current_exception();
            r.choice.pieces.push_back(0);
        }
        if (k == 0)
            for (const auto& s : r.decoded.stageSeconds) r.stageSeconds.push_back(s);
        else
            moreSeconds += secondsSince(t);
        if (r.choice.pieces[std::size_t(r.choice.chosen)] == 1) break;
    }
    if (r.choice.pieces[std::size_t(r.choice.chosen)] == 0) std::rethrow_exception(firstFailure);
    if (r.choice.pieces.size() > 1) r.stageSeconds.emplace_back("more candidates", moreSeconds);
    return r;
}

void groundAndCentre(DecodedAsset& decoded, ShapeLatent* latent) {
    const core::Bounds b = core::computeBounds(decoded.mesh);
    const glm::vec3 shift(-b.center().x, -b.min.y, -b.center().z);
    for (auto& p : decoded.mesh.positions) p += shift;
    for (auto& p : decoded.splats.positions) p += shift;
    if (latent) latent->frame.centre += shift;
}

std::string assetNameFromWords(const std::string& text) {
    std::string name;
    for (const auto& w : Tokenizer::splitWords(text)) {
        if (w == "a" || w == "an" || w == "the") continue;
        name += (name.empty() ? "" : "_") + w;
        if (name.size() > 32) break;
    }
    return name;
}

TextTo3dResult TextTo3dGenerator::generate(const std::string& prompt, const TextTo3dOptions& o, core::Progress& progress,
                                           const core::CancelToken& cancel) const {
    const auto t0 = std::chrono::steady_clock::now();
    TextTo3dResult r;
    r.vocabularyHint = vocabularyHint();
    // How each candidate is decoded.
    DecodeOptions d = o.decode;
    d.splats = true;
    d.surfaceBias = std::isnan(o.surfaceBias) ? m_impl->file.surfaceBias : o.surfaceBias;  // default: the level the model was evaluated with
    if (!o.mesh) {
        d.resolution = std::min(d.resolution, 64);
        d.textureSize = 256;
        d.appearanceSize = 128;
    }
    std::vector<std::string> unknown;
    const int previewEvery = std::max(1, o.steps / 6);
    SampledAsset sampled = sampleAndDecode(*m_impl->ae, d, o.candidates, o.seed, [&](std::uint64_t seed, bool first) {
        TextTo3dOptions ok = o;
        ok.seed = seed;
        return sampleLatent(prompt, ok, cancel, &unknown, [&](int step, const ShapeLatent* estimate) {
            if (!first) return;
            progress.report("denoising step " + std::to_string(step + 1) + "/" + std::to_string(o.steps), 0.6f * float(step + 1) / float(o.steps));
            if (estimate && (step + 1) % previewEvery == 0 && step + 1 < o.steps) progress.preview(previewAsset(*estimate, prompt));
        });
    }, progress, cancel);
    DecodedAsset& decoded = sampled.decoded;
    r.choice = sampled.choice;
    r.latent = std::move(sampled.latent);
    r.stageSeconds = sampled.stageSeconds;
    r.unknownWords = unknown;
    r.watertight = decoded.watertight;
    // Grounded and centred, as the library's assets are.
    groundAndCentre(decoded, nullptr);
    core::Provenance prov;
    prov.source = "generate:text";
    prov.prompt = prompt;
    prov.seed = o.seed;
    prov.model = name() + " + " + m_impl->ae->name();
    prov.modelLicence = name() + ": " + m_impl->manifest.licence + "; " + m_impl->ae->name() + ": " + m_impl->ae->licence();
    nlohmann::json options{{"steps", o.steps}, {"guidance", o.guidance}, {"temperature", std::isnan(o.temperature) ? m_impl->file.temperature : o.temperature}, {"candidates", o.candidates}, {"candidate", r.choice.chosen + 1}, {"resolution", o.decode.resolution}, {"faces", o.decode.maxFaces},
                           {"textureSize", o.decode.textureSize}};
    if (!unknown.empty()) options["ignoredWords"] = unknown;
    prov.options = options.dump();
    prov.createdAt = core::utcNowIso8601();
    const std::string name = assetNameFromWords(prompt);
    if (o.mesh) r.assets.push_back(core::Asset::fromMesh(name, std::move(decoded.mesh), prov));
    core::Provenance splatProv = prov;
    splatProv.source = "generate:text:splats";
    r.assets.push_back(core::Asset::fromGaussians(name + (o.mesh ? "_splats" : ""), std::move(decoded.splats), splatProv));
    progress.report("done", 1.0f);
    r.seconds = secondsSince(t0);
    return r;
}

} // namespace kiln::models
