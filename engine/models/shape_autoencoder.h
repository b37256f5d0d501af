#pragma once

// Kiln's 3D latent (DESIGN.md "One 3D latent under every generator"): an autoencoder from an
// asset's surface samples (position, normal, albedo, roughness, metallic) to a set of M latent
// tokens, each tied to an anchor point on the surface, and back to a field that gives occupancy
// and appearance at any point. Anchors are farthest-point samples of the surface; each token
// encodes the surface around its anchor (a local PointNet over its nearest samples, then self-
// attention among tokens), so a region of the object is a subset of tokens (3DILG, Zhang et al.
// 2022; 3DShape2VecSet, Zhang et al. 2023).
//
// The decoder turns tokens into a field through three feature planes (LN3Diff's triplane, Lan et
// al. 2024; ConvONet, Peng et al. 2020): after self-attention, each token's features are splatted
// with a Gaussian around its anchor's projection onto the xy, xz and yz planes, a small CNN
// spreads them, and a point reads the three planes bilinearly into a small MLP. Bilinear reads of
// a smooth plane give a smooth field by construction (decoders that read the nearest tokens
// directly made striped or spiky fields after a CPU-sized training). Optionally (config version
// 4) a point also reads its nearest tokens directly, with its offset from each anchor, as residual
// detail on top of the planes: the planes keep the field smooth, the local read holds what a
// plane's projection loses (an armchair's seat cavity projects onto its arms, seat and back on
// all three planes) and parts thinner than a texel.
//
// A token is (anchor xyz, C latent channels); generators diffuse over tokens x (3 + C).
// Includes <torch/torch.h>: generator .cpp files only.

#include "models/blocks.h"
#include "models/shape_latent.h"

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::models {

struct ShapeAutoencoderConfig {
    int tokens = 128;          // M anchors / latent tokens
    int channels = 16;         // C latent channels per token
    int width = 128;           // transformer width
    int heads = 4;
    int encoderLayers = 2;
    int decoderLayers = 4;
    int pointNeighbours = 16;  // surface samples each anchor aggregates
    int planeResolution = 32;  // texels per side of each feature plane over [-1, 1]^2
    int planeChannels = 32;    // feature channels per plane
    int queryWidth = 64;       // width of the per-query MLP
    int frequencies = 6;       // Fourier bands of positions
    // Appearance read from the tokens nearest a point (each token's own albedo, roughness and
    // metallic, blended by distance to its anchor) and added to the planes' appearance. 0: planes
    // only (config version 2 models).
    int appearanceNeighbours = 8;
    // Geometry detail read from the tokens nearest a point: each decoded token's features with the
    // point's position relative to its anchor, a small MLP per pair, pooled by distance and a
    // learned gate, added to the query MLP (config version 4). The planes' bilinear reads cannot
    // hold parts thinner than a texel (legs, rails, handles); this local read can. 0: planes only.
    int localNeighbours = 0;
    int localWidth = 32;
    // Finer planes over the first ones (config version 5): the coarse planes' CNN output, upsampled
    // to this resolution, with the tokens splatted again at its narrower width, through a small CNN
    // into `fineChannels` features that each query reads as well (added to the query MLP by a layer
    // that starts at zero, so a decoder fine-tuned with them begins exactly where its source was).
    // Walls thinner than a coarse texel (a vessel's, a lamp shade's) need them. 0: none.
    int fineResolution = 0;
    int fineChannels = 16;
    // Keys for the appearance blend (config version 6): the nearest tokens' appearance weighted by
    // the distance to their anchors and, with keys, by attention from the point's query-MLP
    // features to a key per token, so the colour at a point is the part's that the point is on, not
    // the nearest anchor's (which cut a chest's red panels into cells around its golden straps'
    // tokens). Needs appearanceNeighbours. 0: distance weights only.
    int lookKeys = 0;
    // Tokens an asset is encoded with to be reconstructed (config version 7): fitted for editing and
    // texturing, the evaluation's reconstructions. The decoder is a set model trained on both counts
    // (a decoder-only fine-tune alternating them), so generators keep diffusing `tokens` tokens
    // while an artist's asset gets twice as many anchors, which is where the decoder's shape comes
    // from. Farthest-point sampling is greedy, so the first `tokens` anchors of such an encoding
    // are the generators' anchors. 0: `tokens` for both.
    int detailTokens = 0;
    // Not architecture: the minimum thickness its occupancy targets were trained with
    // (ShapeSampleOptions::thinWall, config.json's training.thinWall), so fitting a latent to an
    // asset (ShapeLatentModel::refine) asks the decoder for the surface it learned to draw.
    float targetThinWall = 0.0f;

    void validate(const std::string& what) const;
};

class ShapeAutoencoderImpl : public torch::nn::Module {
public:
    explicit ShapeAutoencoderImpl(const ShapeAutoencoderConfig& config);

    struct Encoding {
        torch::Tensor anchors;  // B x M x 3
        torch::Tensor mean;     // B x M x C
        torch::Tensor logVar;   // B x M x C
    };
    // surface: B x N x kSurfaceFeatures (N >= tokens). Anchors are chosen by farthest-point
    // sampling, deterministic (starting from the point farthest from the centroid). `tokens`: how
    // many (0: the config's `tokens`).
    Encoding encode(const torch::Tensor& surface, int tokens = 0);

    // What a latent decodes to before any query: computed once per decode, shared by every query.
    struct Decoded {
        torch::Tensor planes;   // B x 3 x P x R x R feature planes
        torch::Tensor anchors;  // B x M x 3
        torch::Tensor look;     // B x M x 5 each token's appearance logits (undefined without them)
        torch::Tensor local;    // B x M x L each token's geometry-detail features (undefined without them)
        torch::Tensor fine;     // B x 3 x F x R' x R' finer feature planes (undefined without them)
        torch::Tensor lookKey;  // B x M x K each token's appearance key (undefined without them)
    };
    Decoded decodeTokens(const torch::Tensor& anchors, const torch::Tensor& latent);
    // Field at query points (B x Q x 3, in [-1, 1]^3): B x Q x 6 (occupancy logit, albedo 3,
    // roughness, metallic; appearance as logits, see appearance()).
    // With `withAppearance` false only the occupancy logit (column 0) is meaningful: the tokens' own
    // appearance, blended from the nearest anchors, is not added (it costs a distance to every
    // anchor and a top-k per point, and meshing asks only for occupancy).
    torch::Tensor query(const Decoded& decoded, const torch::Tensor& points, bool withAppearance = true);

    // Albedo, roughness and metallic in [0, 1] from query()'s output.
    static torch::Tensor appearance(const torch::Tensor& field);

    // The decoder's two training terms for query()'s output at `queries` occupancy points followed
    // by appearance points: binary cross-entropy of the occupancy logits against `occupancy`
    // (B x queries) and the mean L1 of appearance() against `look` (B x rest x 5).
    struct FieldLoss {
        torch::Tensor occupancy, appearance;
    };
    static FieldLoss fieldLoss(const torch::Tensor& field, std::int64_t queries, const torch::Tensor& occupancy, const torch::Tensor& look);

    const ShapeAutoencoderConfig& config() const { return m_config; }

    // Whether a parameter (by its name in named_parameters()) belongs to the encoder: the part that
    // defines the latent space.
    static bool encoderParameter(const std::string& name);

private:
    ShapeAutoencoderConfig m_config;
    torch::nn::Linear m_pointIn{nullptr}, m_localIn{nullptr}, m_localOut{nullptr}, m_anchorPos{nullptr}, m_head{nullptr};
    torch::nn::ModuleList m_encoderBlocks{nullptr}, m_decoderBlocks{nullptr};
    torch::nn::LayerNorm m_encoderNorm{nullptr}, m_decoderNorm{nullptr};
    torch::nn::Linear m_latentIn{nullptr}, m_decoderPos{nullptr}, m_tokenProject{nullptr};
    torch::nn::Sequential m_planeNet{nullptr};
    torch::nn::Linear m_out1{nullptr}, m_out2{nullptr}, m_out3{nullptr}, m_look{nullptr};
    torch::nn::Linear m_nearFeat{nullptr}, m_nearRel{nullptr}, m_nearHidden{nullptr}, m_nearGate{nullptr}, m_nearOut{nullptr};
    torch::nn::Linear m_fineProject{nullptr}, m_fineOut{nullptr}, m_lookKey{nullptr}, m_lookQuery{nullptr};
    torch::nn::Sequential m_fineNet{nullptr};
    torch::Tensor m_pixelCentres;  // R^2 x 2, buffer
    torch::Tensor m_finePixelCentres;  // R'^2 x 2, buffer (with fine planes)

    // Features splatted onto the three planes at `centres` (R^2 x 2) with Gaussians `sigma` wide,
    // with the splat density as a last channel: (3B) x (P + 1) x R x R.
    torch::Tensor splatPlanes(const torch::Tensor& anchors, const torch::Tensor& features, const torch::Tensor& centres, int r, double sigma) const;
};
TORCH_MODULE(ShapeAutoencoder);

struct ShapeSample;
LatentStatistics latentStatistics(ShapeAutoencoderImpl& model, const std::vector<ShapeSample>& samples);

// config.json of a shape-autoencoder model folder.
void writeShapeAutoencoderConfig(const std::filesystem::path& path, const ShapeAutoencoderConfig& config, const LatentStatistics& stats,
                                 const std::string& recipeJson);
// Throws kiln::Error naming the file when missing or malformed.
void readShapeAutoencoderConfig(const std::filesystem::path& path, ShapeAutoencoderConfig& config, LatentStatistics& stats);

// Bilinear reads of three feature planes (B x 3 x P x R x R, plane k spanning the coordinates
// kPlaneAxes[k]: xy, xz, yz) at points (B x Q x 3 in [-1, 1]^3; outside, the edge texels): B x Q x 3P,
// plane by plane. The values grid_sample gives (align_corners false, border padding), without
// gradients, in one pass over the points. The decoder's query() uses it for inference.
torch::Tensor readPlanesBilinear(const torch::Tensor& planes, const torch::Tensor& points);

// Farthest-point sampling of `count` indices from points (N x 3), starting at the point farthest
// from the centroid. Deterministic.
torch::Tensor farthestPointSample(const torch::Tensor& points, int count);

} // namespace kiln::models
