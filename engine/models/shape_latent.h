#pragma once

// The shared 3D latent as every pipeline uses it (torch-free header): a loaded shape-autoencoder
// model folder that encodes surface samples into latent tokens and decodes tokens into a
// textured, watertight mesh (and splats). See shape_autoencoder.h for the network.

#include "core/gaussian_cloud.h"
#include "core/mesh.h"
#include "core/progress.h"
#include "models/latent_data.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kiln::models {

// Per-channel statistics of a training set's latents, so generators work on unit-scale tokens.
struct LatentStatistics {
    std::vector<float> mean, stdev;  // per latent channel
    float anchorStd = 0.5f;          // of anchor coordinates
    float logSizeMean = 0.0f, logSizeStd = 1.0f;  // of the assets' log size (metres)
};

// One asset in the latent: M tokens, each an anchor (normalised frame) and C channels.
struct ShapeLatent {
    int tokens = 0, channels = 0;
    std::vector<float> anchors;  // tokens x 3
    std::vector<float> values;   // tokens x channels
    LatentFrame frame;           // normalised frame -> metres
};

struct DecodeOptions {
    int resolution = 128;          // marching-cubes cells per axis over [-1, 1]^3 (32..512)
    std::size_t maxFaces = 20000;  // decimation target
    int textureSize = 1024;        // baked PBR maps (power of two, 64..4096)
    int appearanceSize = 512;      // the decoder's appearance is evaluated at this atlas size, then upsampled
    bool splats = true;            // also Gaussian splats on the surface
    int splatCount = 20000;
    float minComponent = 0.02f;    // pieces smaller than this fraction of the largest are dropped
    // Added to the decoder's occupancy logits before meshing: the surface is where the occupancy
    // probability is sigmoid(-surfaceBias) (0: one half; positive thickens, which reconnects
    // thin parts a generated latent decodes faintly). -8..8.
    float surfaceBias = 0.0f;
};

struct DecodedAsset {
    core::Mesh mesh;            // metres, +Y up; uv0, base colour + metallic-roughness textures
    core::GaussianCloud splats;  // when asked
    bool watertight = false;
    std::size_t components = 0;
    std::vector<std::pair<std::string, double>> stageSeconds;  // field, meshing, decimation, unwrap, bake, splats
};

class ShapeLatentModel {
public:
    // Verifies the folder's manifest (slot "shape-autoencoder") and loads it; kiln::Error naming the
    // file on anything missing, damaged or mismatched.
    explicit ShapeLatentModel(const std::filesystem::path& dir);
    ~ShapeLatentModel();
    ShapeLatentModel(const ShapeLatentModel&) = delete;
    ShapeLatentModel& operator=(const ShapeLatentModel&) = delete;

    int tokens() const;        // what generators diffuse (and their training encodes)
    // What an asset is encoded with to be reconstructed (fitting, editing, texturing, the
    // evaluation's reconstructions): ShapeAutoencoderConfig::detailTokens, else tokens(). The
    // decoder reads either count.
    int detailTokens() const;
    // Throws kiln::Error, `what` first and naming both counts, unless `count` is tokens() or
    // detailTokens().
    void requireTokenCount(int count, const std::string& what) const;
    int channels() const;
    const LatentStatistics& statistics() const;
    const std::filesystem::path& dir() const;
    std::string name() const;  // manifest name and version
    // SHA-256 of the encoder's parameters (names and float bytes, in the network's order): what
    // defines the latent space. Equal for an autoencoder whose decoder alone was fine-tuned.
    std::string encoderSha256() const;
    std::string licence() const;  // manifest licence

    // Surface samples (N x kSurfaceFeatures, normalised frame, N >= tokens) -> latent (the
    // posterior mean) of `tokens` tokens: tokens() or detailTokens() (0: tokens()). `frame` is
    // carried along for decoding back to metres.
    ShapeLatent encode(const std::vector<float>& encoderInput, const LatentFrame& frame, int tokens = 0) const;
    ShapeLatent encode(const procgen::ProcAsset& asset, std::uint64_t seed, int samples = 2048, int tokens = 0) const;
    // The encoding fitted to the asset itself: starting from `start` (its encoding), the tokens'
    // channels (and, with anchorRate, the anchors within a bound) descend the decoder's own
    // training loss (occupancy of points near and around the asset's solid, appearance on its
    // surface) with Adam, `steps` steps of fresh points. The amortised encoder is one pass and
    // blurs what its 128 tokens saw; this asks the decoder what it can reproduce. Deterministic
    // for a seed. Polls `cancel`.
    struct RefineOptions {
        int steps = 60;
        float learningRate = 0.05f;  // in units of each channel's standard deviation
        // The anchors descend too when > 0 (Adam's rate in the normalised frame), each kept within
        // `anchorBound` of where the encoder put it (about a third of the spacing of 128 anchors),
        // so a region's tokens stay that region's. 0: anchors fixed. The decoder draws its shape
        // from the anchors, so they are what most improves the fit (24 held-out assets, 400 steps:
        // F-score@1 % 0.881 encoded, 0.942 fitted).
        float anchorRate = 0.003f;
        float anchorBound = 0.05f;
        int queryPoints = 4096, appearancePoints = 1024;
        std::uint64_t seed = 1;
    };
    ShapeLatent refine(const ShapeLatent& start, const procgen::ProcAsset& asset, const RefineOptions& options,
                       const core::CancelToken& cancel = {}) const;

    // The latent's shape pulled towards a photo's silhouette (image-to-3d's refinement): rays in
    // the latent's normalised frame, each with the photo's foreground where it leaves the camera.
    // Along each ray, `samples` points through [-1, 1]^3 (jittered afresh each step) give the
    // chance the ray meets the solid, 1 - prod(1 - occupancy); its binary cross-entropy against
    // the foreground, plus `keep` times the mean squared move of the channels (in units of their
    // spread), descends with Adam as refine() does: the channels, and the anchors each within
    // `anchorBound` of where they were, so the shape changes where the photo disagrees and the
    // rest (the hidden side) stays as generated. Deterministic for a seed. Polls `cancel`.
    struct SilhouetteRay {
        glm::vec3 origin{0.0f}, direction{0.0f, 0.0f, -1.0f};
        float inside = 0.0f;
    };
    struct SilhouetteOptions {
        int steps = 24;
        float learningRate = 0.05f;
        float anchorRate = 0.004f;
        float anchorBound = 0.05f;
        int samples = 20;
        float keep = 0.05f;
        std::uint64_t seed = 1;
    };
    // The rays' silhouette agreement before and after (IoU of the rays meeting the solid with
    // chance >= 0.5 and the rays whose foreground is >= 0.5).
    struct SilhouetteReport {
        double iouBefore = 0.0, iouAfter = 0.0;
    };
    ShapeLatent refineToSilhouette(const ShapeLatent& start, const std::vector<SilhouetteRay>& rays, const SilhouetteOptions& options,
                                   SilhouetteReport* report = nullptr, const core::CancelToken& cancel = {}) const;

    // A latent with its decoder state (self-attention and the feature planes) computed once, for
    // several field() calls on it: a decode reads the field at five sets of points.
    class Prepared {
    public:
        Prepared(Prepared&&) noexcept;
        Prepared& operator=(Prepared&&) noexcept;
        ~Prepared();

    private:
        friend class ShapeLatentModel;
        struct Data;
        explicit Prepared(std::unique_ptr<Data> data);
        std::unique_ptr<Data> m_data;
    };
    Prepared prepare(const ShapeLatent& latent) const;

    // The decoded field at points of the normalised frame: occupancy logits (> 0 inside) and, when
    // asked, appearance (albedo linear, roughness, metallic).
    void field(const Prepared& latent, const std::vector<glm::vec3>& points, std::vector<float>* occupancyLogits,
               std::vector<glm::vec3>* albedo = nullptr, std::vector<float>* roughness = nullptr, std::vector<float>* metallic = nullptr) const;
    void field(const ShapeLatent& latent, const std::vector<glm::vec3>& points, std::vector<float>* occupancyLogits,
               std::vector<glm::vec3>* albedo = nullptr, std::vector<float>* roughness = nullptr, std::vector<float>* metallic = nullptr) const;

    // Occupancy logits plus `surfaceBias` on the (resolution + 1)^3 grid over [-1, 1]^3 that decode()
    // meshes, x fastest: evaluated densely on a coarse grid (the resolution halved while it is even
    // and over 32), then at each finer level only in the cells the surface crosses or nearly
    // crosses, and at the last level at both ends of every edge the surface crosses; elsewhere
    // interpolated (its sign is right, its value is not), so marching cubes gives a dense
    // evaluation's mesh. The domain's faces are set outside. Polls `cancel`.
    std::vector<float> occupancyGrid(const Prepared& latent, int resolution, float surfaceBias, const core::CancelToken& cancel = {}) const;

    // A quick look at a latent (previews while sampling): splats on the solid cells of a 24^3 grid
    // of its field that border empty ones, coloured by its albedo, in metres.
    core::GaussianCloud previewSplats(const ShapeLatent& latent) const;

    // Latent -> watertight, UV-unwrapped, PBR-baked mesh (and splats). Polls `cancel`.
    DecodedAsset decode(const ShapeLatent& latent, const DecodeOptions& options, const core::CancelToken& cancel = {}) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The decoder's appearance (albedo linear RGB, roughness, metallic: 5 floats) as glTF texels: the
// base colour sRGB-encoded into base[0..2], metallic-roughness (255, roughness, metallic) into
// metallicRoughness[0..2], each rounded to 8 bits.
void appearanceTexel(const float* appearance, std::uint8_t* base, std::uint8_t* metallicRoughness);

// How well a decoding of `latent` (an encoding of `original`) reproduces it, both against the
// original's visible surface (faces buried inside other parts left out: no field can reproduce
// them, and with them exact occupancy meshed at 96 scored 0.93 against its own asset):
// F-score at 1 % of the diagonal of `decoded` against the original, and the mean CIE76 ΔE
// of the decoded albedo at 1024 visible surface points of the original.
struct ReconstructionScore {
    double fScore = 0.0, albedoDeltaE = 0.0;
};
ReconstructionScore scoreReconstruction(const ShapeLatentModel& ae, const ShapeLatent& latent, const core::Mesh& decoded, const procgen::ProcAsset& original);

} // namespace kiln::models
