#pragma once

// Radiance-field fitting (NeRF, Mildenhall et al. 2020) on the CPU: a multi-resolution triplane
// (K-Planes, Fridovich-Keil et al. 2023: per level three axis-aligned C x R x R feature planes whose
// bilinear samples are multiplied) decoded by a small MLP into density and colour, rendered by
// emission-absorption ray marching that only samples cells marked occupied in a coarse bitgrid
// (instant-ngp, Müller et al. 2022, section 4). No torch types here: this header is included by the
// pipelines and the CLI; the model lives behind FieldModel's pimpl.
#include "core/progress.h"
#include "core/radiance_field.h"
#include "optimize/splat_fitter.h"

#include <glm/vec3.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace kiln::optimize {

class FieldModel;

struct FieldFitOptions {
    int iterations = 3000;
    int raysPerBatch = 4096;
    glm::vec3 background{1.0f};  // composited behind RGBA targets and the render
    std::uint64_t seed = 0;
    // The scene box. Invalid = derived from the cameras (the region every optical axis passes
    // near, as the splat fitter does) and, with RGBA views, shrunk to their visual hull. Made cubic.
    core::Bounds bounds;
    // Model.
    std::vector<int> planeResolutions{64, 128, 256};
    int planeChannels = 16;
    int hiddenWidth = 64;
    // Ray marching: samples every `stepsPerSide`-th of the box side; at most `maxSamplesPerRay`.
    int stepsPerSide = 256;
    int maxSamplesPerRay = 1024;
    float terminationTransmittance = 1e-3f;  // early ray termination
    bool earlyStopTraining = true;            // no-grad pre-pass finds where each training ray saturates
    // Occupancy grid (instant-ngp): cells^3 over the box, updated every `occupancyInterval`
    // iterations from the field's density (running max with `occupancyDecay`), after a warm-up.
    int occupancyResolution = 64;
    int occupancyInterval = 16;
    int occupancyWarmup = 256;
    float occupancyDecay = 0.95f;
    // With RGBA views, cells outside some view's silhouette are empty from the start and stay so
    // (the visual hull, Laurentini 1994).
    bool carveWithAlpha = true;
    // Adam with a warm-up and exponential decay to lr * lrEndFactor.
    float lrPlanes = 2e-2f, lrMlp = 5e-3f, lrEndFactor = 0.03f;
    int warmupIterations = 100;
    // Total-variation weight on the planes (K-Planes' spatial smoothness), 0 = off.
    float planeTv = 0.0f;
    // > 0: every N iterations a preview asset: the field baked at 48^3, one small Gaussian per
    // visibly dense cell (the viewport draws splats; a mesh would need marching cubes every time).
    int previewInterval = 500;
    int reportInterval = 50;
    // Called every `checkpointInterval` iterations and after the last (e.g. to score held-out views).
    int checkpointInterval = 0;
    std::function<void(int iteration, const FieldModel& model)> onCheckpoint;
};

struct FieldFitResult {
    std::shared_ptr<const FieldModel> model;
    std::vector<std::pair<int, double>> trainPsnr;  // (iteration, PSNR of the recent batches)
    int iterations = 0;
    double seconds = 0.0;
    double samplesPerRay = 0.0;   // average over the last report window (after early stopping)
    double occupiedFraction = 0.0;  // of the occupancy grid at the end
};

// A fitted field: evaluation, rendering and baking. Immutable after fitting (thread-safe reads).
class FieldModel {
public:
    struct Impl;
    explicit FieldModel(std::unique_ptr<Impl> impl);
    ~FieldModel();
    FieldModel(const FieldModel&) = delete;
    FieldModel& operator=(const FieldModel&) = delete;

    const core::Bounds& bounds() const;
    // Density (1/m) and display colour (sRGB, 0..1) at world points.
    void evaluate(const std::vector<glm::vec3>& points, std::vector<float>& density, std::vector<glm::vec3>& color) const;
    // Renders H x W x 3 floats in 0..1 over `background`, with occupancy skipping and early termination.
    std::vector<float> render(const RasterCamera& camera, glm::vec3 background, const core::CancelToken* cancel = nullptr) const;
    // The occupancy bitgrid (x fastest), resolution^3.
    const std::vector<std::uint8_t>& occupancy() const;
    int occupancyResolution() const;
    // Tight box around the occupied cells (one cell of margin), or bounds() when none is occupied.
    core::Bounds occupiedBounds() const;

    // Bakes density and linear colour at cell centres of a grid with `resolution` cells along the
    // longest side of occupiedBounds() (cubic cells). Density is zero in cells the occupancy grid
    // marks empty, as the renderer sees them.
    core::RadianceField bake(int resolution, const core::CancelToken* cancel = nullptr) const;
    // The same quantities at the corner points of a marching-cubes grid over `bounds`:
    // sample (i, j, k) at bounds.min + (i, j, k) / (dims - 1) * bounds.size(), x fastest.
    void sampleCorners(const core::Bounds& bounds, glm::ivec3 dims, std::vector<float>& density,
                       std::vector<glm::vec3>& linearColor, const core::CancelToken* cancel = nullptr) const;
    // Density at which a surface is extracted: half opacity over one marching step
    // (sigma * step = ln 2), the scale the field was trained to resolve.
    float surfaceDensity() const;

    Impl& impl() { return *m_impl; }
    const Impl& impl() const { return *m_impl; }

private:
    std::unique_ptr<Impl> m_impl;
};

// Fits a field to the views. Reports progress (stage "fitting radiance field") and polls the token
// every iteration (an iteration is well under 100 ms of work per thousand rays). Throws kiln::Error
// on unusable input (no views, image/camera size mismatch, empty bounds, bad options).
FieldFitResult fitField(const std::vector<TrainView>& views, const FieldFitOptions& options, core::Progress& progress,
                        const core::CancelToken& cancel);

// The box the splat and field fitters derive from cameras: centred on the point nearest every
// optical axis, half-size 0.45 x the mean camera distance.
core::Bounds boundsFromCameras(const std::vector<TrainView>& views);

// Emission-absorption compositing of packed samples (Max 1995; NeRF eq. 3), exposed for the
// gradient test. Samples of one ray are contiguous; `rayOfSample` (int64, S) is non-decreasing.
// Inputs: sigma (S), rgb (S x 3), delta (S); returns per-ray colour over `background`, as
// H x 3 floats, and accumulated opacity (R). Differentiable w.r.t. sigma and rgb.
// (The torch-typed variant lives in field_fitter.cpp; this one takes plain arrays.)
void compositeForTest(const std::vector<float>& sigma, const std::vector<float>& rgb, const std::vector<float>& delta,
                      const std::vector<std::int64_t>& rayOfSample, int rayCount, glm::vec3 background,
                      const std::vector<float>& dLdColor, std::vector<float>& color, std::vector<float>& dSigma,
                      std::vector<float>& dRgb);

} // namespace kiln::optimize
