#pragma once

// Image -> 3D on the shared latent (torch-free header): one to four photos of an object, each with
// its foreground matte, are framed (image_views.h), read jointly by the image-to-latent flow
// (image_to_latent.h) that samples the object's latent (the hidden side generated, with
// classifier-free guidance and seeds), decoded to a watertight, UV-mapped, PBR-textured mesh and
// splats, and refined against the first photo: its camera found from the mesh's silhouette, and
// the photo projected onto the texels that camera sees, blended by how squarely they face it.

#include "core/asset.h"
#include "core/image.h"
#include "core/progress.h"
#include "models/image_views.h"
#include "models/photo_projection.h"
#include "models/shape_latent.h"
#include "models/text_to_3d.h"

#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::models {

struct PhotoInput {
    core::Image image;   // U8 or F32 RGB(A), sRGB
    core::Image matte;   // F32, one channel, the image's size: its foreground
    std::string name;    // for messages ("chair.jpg")
    std::string sha256;  // of the file, for provenance (may be empty)
    std::string matteSource;  // how the matte was made, for provenance ("kiln (kiln-matting 5000)", "mask m.png")
};

struct ImageTo3dOptions {
    std::uint64_t seed = 0;
    int steps = 0;               // sampler steps, 1..1000; 0: the model's
    float guidance = 3.0f;       // classifier-free guidance, 0..20
    DecodeOptions decode;
    bool mesh = true;            // false: splats only
    bool refine = true;          // project the first photo onto the texels its camera sees
    // Refinement's shape steps: the latent pulled towards the first photo's silhouette from its
    // camera (ShapeLatentModel::refineToSilhouette, anchors within a bound), then decoded again.
    // 0 (the default: measured, it gains novel-view silhouette IoU but loses F-score, see
    // bench/results/issue15_image.md): the texture alone is refined. 0..200.
    int shapeSteps = 0;
    float fovDegrees = 40.0f;    // the first photo's vertical field of view (refinement), 5..120
    float surfaceBias = std::numeric_limits<float>::quiet_NaN();  // NaN: the model's
    float temperature = std::numeric_limits<float>::quiet_NaN();  // NaN: the model's
    int candidates = 4;          // as TextTo3dOptions::candidates, 1..16
};

struct ImageTo3dResult {
    std::vector<core::Asset> assets;  // the mesh (when asked), then the splats
    ShapeLatent latent;
    bool watertight = false;
    CandidateChoice choice;
    std::vector<FramedView> framed;   // what the model read, per photo
    std::optional<PhotoView> view;    // refinement: the first photo's camera (mesh frame, before grounding)
    double photoTexels = 0.0;         // refinement: share of texels that took the photo at weight >= 0.5
    double silhouetteBefore = 0.0, silhouetteAfter = 0.0;  // shape refinement: the photo's silhouette IoU (its rays)
    std::vector<std::pair<std::string, double>> stageSeconds;
    double seconds = 0.0;
};

// Refinement against a photo: the camera it was taken from found by the mesh's silhouette
// (estimatePhotoView at `fovDegrees`), then every base-colour texel of the mesh blended towards the
// photo where that camera sees its surface point, by how squarely it faces it (PhotoProjector), in
// linear colour. `mesh`: UV-mapped, U8 square base-colour maps (a decoded asset). Throws
// kiln::Error when the matte is empty; polls `cancel`.
struct PhotoRefinement {
    PhotoView view;
    double texels = 0.0;  // share of the covered texels that took the photo at weight >= 0.5
};
PhotoRefinement projectPhotoOntoTexture(core::Mesh& mesh, const core::Image& photo, const core::Image& matte, float fovDegrees,
                                        const core::CancelToken& cancel = {});
// The same through a camera already found.
PhotoRefinement projectPhotoOntoTexture(core::Mesh& mesh, const core::Image& photo, const core::Image& matte, const PhotoView& view,
                                        const core::CancelToken& cancel = {});

class ImageTo3dGenerator {
public:
    // Loads and verifies the image-to-3d model folder and the shape autoencoder it was trained
    // with (another latent is refused, naming both).
    ImageTo3dGenerator(const std::filesystem::path& imageModel, const std::filesystem::path& autoencoder);
    ~ImageTo3dGenerator();
    ImageTo3dGenerator(const ImageTo3dGenerator&) = delete;
    ImageTo3dGenerator& operator=(const ImageTo3dGenerator&) = delete;

    // Throws kiln::Error (no photo, more than maxViews(), an empty matte, an option out of range)
    // or kiln::Cancelled. Reports a stage per sampler step and previews the emerging shape.
    ImageTo3dResult generate(const std::vector<PhotoInput>& photos, const ImageTo3dOptions& options, core::Progress& progress,
                             const core::CancelToken& cancel) const;

    // The latent for framed views (FramedView::image of imageSize(); 1..maxViews()), one sample.
    using SampleStepFn = TextTo3dGenerator::SampleStepFn;
    ShapeLatent sampleLatent(const std::vector<core::Image>& framedViews, std::uint64_t seed, int steps, float guidance, float temperature,
                             const core::CancelToken& cancel, const SampleStepFn& onStep = {}) const;

    const ShapeLatentModel& autoencoder() const;
    int imageSize() const;
    int maxViews() const;
    int defaultSteps() const;
    std::string name() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace kiln::models
