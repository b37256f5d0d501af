#pragma once

// Foreground extraction (the "matting" slot): an image in, the object's alpha out.
//   kiln     Kiln's own matting network (models/matting_net.h; bundled in resources/models/matting,
//            trained by `kiln train matting` on library renders over real photographs)
//   isnet    the IS-Net model pack (models/packs.h) through OpenCV's DNN module, at a chosen
//            square resolution (multiple of 32; the network was trained at 1024)
//   grabcut  OpenCV's GrabCut from a rectangle inset from the image border: the fallback when no
//            matting model is installed (fine on plain backgrounds, weak on busy ones)
//   alpha    the image's own alpha channel, when it has one that is not fully opaque
// Torch-free; OpenCV stays inside matting.cpp.

#include "core/image.h"
#include "models/matting_net.h"

#include <filesystem>
#include <memory>
#include <string>

namespace kiln::models {

struct MatteOptions {
    // auto: the image's alpha when it has one, else Kiln's network when a model is found, else
    // IS-Net when its pack is installed, else GrabCut.
    std::string method = "auto";   // auto | kiln | isnet | grabcut | alpha
    int resolution = 0;            // kiln / isnet: 0 = the model's default
    std::filesystem::path model;   // kiln / isnet: a model folder (its config says which it is; default: the bundled
                                   // Kiln model, the IS-Net pack)
    bool allowEmpty = false;       // false: a matte with no object is an error
};

struct Matte {
    core::Image alpha;             // F32, one channel, the input's size, 0..1
    std::string method;            // what made it
    int resolution = 0;            // the network's input size (kiln, isnet), else the working size
    std::string modelLicence;      // the model's licence (kiln, isnet), for provenance
    std::string modelName;         // "isnet 1.4.5", "kiln-matting 5000"
    double coverage = 0.0;         // fraction of pixels with alpha >= 0.5
    std::string note;              // why auto used another method than it first chose (empty: it did not)
    double seconds = 0.0;
};

// A loaded IS-Net (reuse it across images: loading and planning take ~1 s).
class IsNetMatting {
public:
    // Verifies the model folder (manifest, slot "matting") and prepares the network for
    // `resolution` (0: the folder's default). Throws kiln::Error naming the folder or the reason.
    IsNetMatting(const std::filesystem::path& dir, int resolution);
    ~IsNetMatting();
    IsNetMatting(const IsNetMatting&) = delete;
    IsNetMatting& operator=(const IsNetMatting&) = delete;

    // Alpha (F32, 1 channel, the image's size) of an RGB(A) image (U8 or F32; alpha ignored).
    core::Image run(const core::Image& image);
    int resolution() const;
    const std::string& licence() const;
    const std::string& name() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// GrabCut from the rectangle inset by `inset` of each side, at most `workingSize` pixels on the
// long side (then upsampled). Deterministic.
core::Image grabCutAlpha(const core::Image& image, double inset = 0.04, int workingSize = 400);

// Mattes images with one set of options; a network, when a matte needs it, is loaded once and
// kept for the next image (a batch of photos loads the network once).
class ImageMatter {
public:
    explicit ImageMatter(MatteOptions options);
    ~ImageMatter();
    ImageMatter(const ImageMatter&) = delete;
    ImageMatter& operator=(const ImageMatter&) = delete;

    // Throws kiln::Error("<what>: ...") when the method is not available (naming the pack that
    // would help) or, unless allowEmpty, when no object is found.
    Matte run(const core::Image& image, const std::string& what);

private:
    MatteOptions m_options;
    std::filesystem::path m_kilnModel;   // Kiln's network (empty: none found)
    std::filesystem::path m_isnetModel;  // the IS-Net folder (empty: none found)
    std::unique_ptr<IsNetMatting> m_net;
    std::unique_ptr<KilnMattingNet> m_kilnNet;
};

// The Kiln matting model auto uses: the first "matting" model folder found (bundled first) in the
// kiln-matting-net format; empty when there is none.
std::filesystem::path defaultKilnMattingModel();

// One image: ImageMatter(options).run(image, what).
Matte matteImage(const core::Image& image, const MatteOptions& options, const std::string& what);

// A view with alpha (the ground truth) box-downscaled to size x size and laid over the centre of
// a photograph: the matting benchmark's and tests' samples. Throws kiln::Error naming `what` when
// the view has no alpha or the photo is smaller than `size`.
struct MatteSample {
    core::Image rgb;    // U8 RGB composite
    core::Image truth;  // F32 alpha
};
MatteSample compositeOverPhoto(const core::Image& rgba, const core::Image& photo, int size, const std::string& what);

// A matte against the truth (both F32 one-channel alphas of one size): IoU of alpha >= 0.5, and
// the boundary F-score (boundary pixels of one within `tolerance` pixels of the other's).
struct MatteScore {
    double iou = 0.0, boundaryF = 0.0;
};
MatteScore scoreMatte(const core::Image& matte, const core::Image& truth, int tolerance = 2);

// A mask file (--mask) as the foreground matte of `image` (F32, one channel, its size): the mask's
// alpha channel when it has one that is not fully opaque, else its first channel (white = object).
// Throws kiln::Error naming the file when it is missing, unreadable or another size than the image.
core::Image matteFromMaskFile(const std::filesystem::path& file, const core::Image& image, const std::string& imageName);

// The image with the matte as its alpha channel (U8 RGBA).
core::Image applyMatte(const core::Image& image, const core::Image& alpha);

} // namespace kiln::models
