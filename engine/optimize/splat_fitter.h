#pragma once

#include "core/gaussian_cloud.h"
#include "core/image.h"
#include "core/progress.h"
#include "optimize/splat_raster_kernels.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kiln::optimize {

// One training image and the camera that saw it (intrinsics at the image's size).
struct TrainView {
    core::Image image;  // U8 RGB or RGBA; alpha composites over the fit's background
    RasterCamera camera;
};

// The 3DGS optimisation recipe (Kerbl et al. 2023, section 5 and the reference train.py),
// with the schedule scaled to `iterations`.
struct SplatFitOptions {
    int iterations = 7000;
    int maxShDegree = 3;
    int shDegreeInterval = 1000;        // SH degree +1 every this many iterations
    glm::vec3 background{1.0f};         // composited behind RGBA targets and the render
    std::uint64_t seed = 0;
    // Initialisation: the given points (with colours if present) or `initialCount` random
    // points inside `initBounds`.
    std::vector<glm::vec3> initPoints;
    std::vector<glm::vec3> initColors;
    core::Bounds initBounds;
    int initialCount = 30000;
    // With RGBA views, random initial points outside any view's silhouette (alpha < 0.5) are
    // discarded: a visual hull (Laurentini 1994) instead of the whole box, far fewer wasted splats.
    bool carveWithAlpha = true;
    // Losses and learning rates (scaled by the scene extent where the reference does).
    float lambdaDssim = 0.2f;
    float lrMeansStart = 1.6e-4f, lrMeansEnd = 1.6e-6f;
    float lrDc = 2.5e-3f, lrRest = 2.5e-3f / 20.0f, lrOpacity = 5e-2f, lrScale = 5e-3f, lrRotation = 1e-3f;
    // Adaptive density control.
    int densifyFrom = 500, densifyUntilFraction = 50;  // percent of iterations
    int densifyInterval = 100, opacityResetInterval = 3000;
    float densifyGradThreshold = 2e-4f;  // |dL/d(centre in NDC)|, averaged over views
    float percentDense = 0.01f;
    float minOpacity = 0.005f;
    std::size_t maxSplats = 400000;
    int previewInterval = 200;
    // Fit on the GPU when this build has the CUDA kernels and LibTorch sees a device.
    bool useCuda = true;
    // On the CPU, run with one thread fewer per core another process keeps busy
    // (models::LoadAdaptiveThreads); the result does not depend on the thread count.
    bool adaptThreadsToLoad = true;
};

struct SplatFitResult {
    core::GaussianCloud cloud;
    std::vector<std::pair<int, double>> trainPsnr;  // (iteration, PSNR of the running batch)
    int iterations = 0;
    double seconds = 0.0;
    std::string device = "cpu";  // where it ran: "cpu" or "cuda"
    // Load samples (every half second) and those after which the fit ran with fewer threads.
    int loadSamples = 0, loadReducedSamples = 0;
};

// Fits Gaussians to the views. Reports progress (stage "fitting splats") with preview clouds and
// polls the token. Throws kiln::Error on unusable input (no views, mismatched sizes).
SplatFitResult fitSplats(const std::vector<TrainView>& views, const SplatFitOptions& options, core::Progress& progress,
                         const core::CancelToken& cancel);

// Renders a cloud (no gradients) for evaluation; returns H x W x 3 floats in 0..1.
std::vector<float> renderCloud(const core::GaussianCloud& cloud, const RasterCamera& camera, glm::vec3 background);

// PSNR and SSIM (11x11 Gaussian window, sigma 1.5) of two float RGB images of one size.
double psnr(const std::vector<float>& a, const std::vector<float>& b);
double ssim(const std::vector<float>& a, const std::vector<float>& b, int width, int height);

// Keeps the points whose projection lands on an opaque pixel (alpha >= 0.5) in every RGBA view
// that sees them and takes their colour from the first such view (colors: one per point, or empty
// for grey); views without alpha do not carve. A visual hull (Laurentini 1994) of the points.
void carveToSilhouettes(const std::vector<TrainView>& views, std::vector<glm::vec3>& points, std::vector<glm::vec3>& colors);

// The starting scale of a Gaussian at each point, as the 3DGS reference sets it: the RMS distance
// to the point's three nearest neighbours (a point with none within 6 grid cells of the points'
// typical spacing gets that distance). Per point, so sparse points of a real capture (COLMAP: a
// dense object, a few far outliers) start at their own spacing, not the whole box's.
std::vector<float> neighbourScales(const std::vector<glm::vec3>& points);

// Target pixels of a view composited over `background`, H x W x 3 floats in 0..1.
std::vector<float> targetPixels(const core::Image& image, glm::vec3 background);

} // namespace kiln::optimize
