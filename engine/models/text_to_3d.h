#pragma once

// Text -> 3D on the shared latent (torch-free header): a prompt becomes latent tokens through the
// text-to-latent flow (text_to_latent.h), and the tokens become a watertight, UV-mapped, PBR-
// textured mesh (and splats) through the shape autoencoder's decoder (shape_latent.h).

#include "core/asset.h"
#include "core/progress.h"
#include "models/shape_latent.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace kiln::models {

struct TextTo3dOptions {
    std::uint64_t seed = 0;
    int steps = 32;            // sampler steps, 1..1000
    float guidance = 3.0f;     // classifier-free guidance, 0..20
    DecodeOptions decode;      // meshing resolution, faces, texture size, splats
    bool mesh = true;          // decode to a mesh (false: splats only, from a coarse field)
    // Decoder surface level (DecodeOptions::surfaceBias); NaN: the one the model file names.
    float surfaceBias = std::numeric_limits<float>::quiet_NaN();
    // Scale of the starting noise, (0, 1.5]; NaN: the one the model file names.
    float temperature = std::numeric_limits<float>::quiet_NaN();
    // Up to this many candidates, 1..16, tried one after another until one decodes to a mesh in
    // one piece (a chair whose backrest floats free, a mushroom whose cap hovers over its stem,
    // gives way to the next); where none does, the one in the fewest pieces (the first of those).
    // The first candidate is the seed's own sample; the others draw from seeds derived from it.
    // 1: the seed's sample whatever it decodes to. Each extra candidate costs a sampling and a
    // decode (about 1.5 s on 2 cores) where the one before it came out in pieces.
    int candidates = 4;
};

// Sampling the appearance of a fixed shape (TextTo3dGenerator::sampleAppearance).
struct AppearanceOptions {
    std::uint64_t seed = 0;
    int steps = 16;           // 1..1000
    float guidance = 3.0f;    // 0..20
    float strength = 1.0f;    // (0, 1]: 1 a new appearance from noise, less keeps more of the asset's own
    float temperature = std::numeric_limits<float>::quiet_NaN();  // NaN: the model file's
};

// Sampling an edit of an asset's latent (TextTo3dGenerator::sampleEdit).
struct EditSampleOptions {
    std::uint64_t seed = 0;
    int steps = 16;           // 1..1000
    float guidance = 3.0f;    // 0..20
    float strength = 0.6f;    // (0, 1]: how far the asset is noised before denoising under the prompt
    bool holdShape = false;   // every anchor held too: only the appearance changes
    bool holdSize = true;     // the size held (false: the prompt may resize the object about its centre)
    std::vector<bool> keepTokens;  // per token of the asset (its own order), or empty: tokens held whole
    float temperature = std::numeric_limits<float>::quiet_NaN();  // NaN: the model file's
    // FlowEdit (Kulikov et al. 2024) instead of SDEdit: the asset is never regenerated from its
    // noised self; it moves by the difference between the velocity under the prompt and under
    // `source` (what the asset is: a description, or empty for the unconditional velocity) at the
    // same noised points, so what the two texts agree on stays where it is.
    bool flowEdit = false;
    std::string source;
};

// The candidates a generation tried, in order, and which it kept.
struct CandidateChoice {
    int chosen = 0;
    std::vector<std::size_t> pieces;  // the mesh's connected pieces, per candidate tried (0: decoded to nothing)
};

struct TextTo3dResult {
    std::vector<core::Asset> assets;           // the mesh (when asked), then the splats (when asked)
    std::vector<std::string> unknownWords;     // prompt words the model has never seen
    std::string vocabularyHint;                // what the model knows, for the message
    ShapeLatent latent;                        // what was generated (the latent, in metres' frame)
    bool watertight = false;
    CandidateChoice choice;
    // The first candidate's sampling and decoder stages, then "more candidates" (all the time the
    // others took) when more were tried.
    std::vector<std::pair<std::string, double>> stageSeconds;
    double seconds = 0.0;
};

class TextTo3dGenerator {
public:
    // Loads and verifies both model folders: the text-to-3d model and the shape autoencoder it was
    // trained with (a different autoencoder is refused, naming both).
    TextTo3dGenerator(const std::filesystem::path& textModel, const std::filesystem::path& autoencoder);
    ~TextTo3dGenerator();
    TextTo3dGenerator(const TextTo3dGenerator&) = delete;
    TextTo3dGenerator& operator=(const TextTo3dGenerator&) = delete;

    // Throws kiln::Error (empty prompt, no known word, option out of range) or kiln::Cancelled.
    // Reports a stage per sampler step and previews the emerging shape as splats.
    TextTo3dResult generate(const std::string& prompt, const TextTo3dOptions& options, core::Progress& progress,
                            const core::CancelToken& cancel) const;

    // Called after every sampler step; `estimate` (the current guess of the clean latent) is set
    // on about six of them, for previews.
    using SampleStepFn = std::function<void(int step, const ShapeLatent* estimate)>;
    // Latent tokens only (evaluation, editing): the latent sampled for the prompt (one candidate,
    // the seed's own sample).
    ShapeLatent sampleLatent(const std::string& prompt, const TextTo3dOptions& options, const core::CancelToken& cancel,
                             std::vector<std::string>* unknownWords = nullptr, const SampleStepFn& onStep = {}) const;
    // The appearance of a shape that stays (texturing, appearance edits): `shape` (an encoding at
    // tokens() of the autoencoder) keeps its anchors and size exactly (held at their own noised
    // values at every step, RePaint-style), while its channels are sampled under the prompt, from
    // noise (strength 1) or from its own channels noised to time `strength` (SDEdit). The decoder
    // draws the shape from the anchors and the appearance mostly from the channels, so decoding
    // the result at the asset's surface gives the prompt's appearance on the asset's parts.
    // Throws kiln::Error (empty prompt, no known word, option out of range) or kiln::Cancelled.
    ShapeLatent sampleAppearance(const std::string& prompt, const ShapeLatent& shape, const AppearanceOptions& options,
                                 const core::CancelToken& cancel, std::vector<std::string>* unknownWords = nullptr) const;
    // An edit (MV-Edit's partial noising, in the latent): the asset's tokens noised to time
    // `strength` and denoised under the prompt; the size (unless freed; with holdShape every anchor too) held at
    // its own noised value at every step, as are all values of the kept tokens (RePaint), which
    // come back bit for bit. Token i of the result is token i of `asset`. Throws as sampleAppearance.
    // `onStep` sees the estimate in the asset's frame (previews).
    ShapeLatent sampleEdit(const std::string& prompt, const ShapeLatent& asset, const EditSampleOptions& options, const core::CancelToken& cancel,
                           std::vector<std::string>* unknownWords = nullptr, const SampleStepFn& onStep = {}) const;
    // A quick look at a latent: splats on the solid cells of a coarse grid of its field.
    core::Asset previewAsset(const ShapeLatent& latent, const std::string& prompt) const;

    const ShapeLatentModel& autoencoder() const;
    std::string vocabularyHint() const;
    int defaultSteps() const;
    float defaultSurfaceBias() const;  // the decoder surface level the model was evaluated with
    float defaultTemperature() const;  // the sampler temperature the model was evaluated with
    std::string name() const;

private:
    ShapeLatent toLatent(const at::Tensor& x0) const;
    std::vector<std::int64_t> promptWords(const std::string& prompt, std::vector<std::string>* unknown) const;
    std::vector<std::int64_t> sourceWords(const std::string& source) const;  // promptWords, its error naming --source
    void checkSamplerOptions(int steps, float guidance, float temperature) const;
    at::Tensor runFlowEdit(const std::vector<std::int64_t>& target, const std::vector<std::int64_t>& source, const at::Tensor& x0, const at::Tensor& keep,
                           const std::function<at::Tensor(float t, const at::Tensor& eps)>& heldAt, float tStart, int steps, float guidance, float temperature,
                           std::uint64_t seed, const core::CancelToken& cancel, const SampleStepFn& onStep) const;
    at::Tensor runFlow(const std::vector<std::int64_t>& ids, const at::Tensor& start, float tStart, int steps, float guidance,
                       const core::CancelToken& cancel, const SampleStepFn& onStep,
                       const std::function<at::Tensor(const at::Tensor&, float)>& constrain) const;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// What a generator's candidates came to: the latent kept, its decoding and the choice.
struct SampledAsset {
    ShapeLatent latent;
    DecodedAsset decoded;
    CandidateChoice choice;
    std::vector<std::pair<std::string, double>> stageSeconds;  // sampling, the decoder's stages, [more candidates]
};

// Samples candidates (`sample(seed, first)`, seeds from candidateSeed) one after another and
// decodes each until one decodes to a mesh in one piece; else the one in the fewest pieces (the
// first of those). A candidate that decodes to nothing gives way to the next; when all do, the
// first's error is thrown. Polls `cancel`.
SampledAsset sampleAndDecode(const ShapeLatentModel& autoencoder, const DecodeOptions& decode, int candidates, std::uint64_t seed,
                             const std::function<ShapeLatent(std::uint64_t seed, bool first)>& sample, core::Progress& progress,
                             const core::CancelToken& cancel);

// The decoded mesh and splats moved to rest on y = 0, centred on x and z (as the library's assets
// are); the latent's frame, when given, moved with them.
void groundAndCentre(DecodedAsset& decoded, ShapeLatent* latent);

// An asset name from a text's words ("a red chair" -> "red_chair"), about 32 characters at most.
std::string assetNameFromWords(const std::string& text);

// The seed of a generation's k-th candidate: the seed itself for the first, then seeds mixed from
// it (not seed + k, which would make seed 0's second candidate seed 1's first).
std::uint64_t candidateSeed(std::uint64_t seed, int k);

// Throws kiln::Error when the prompt has no words (before any model is loaded).
void checkPromptNotEmpty(const std::string& prompt);

} // namespace kiln::models
