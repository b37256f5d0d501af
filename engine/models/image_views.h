#pragma once

// What the image-to-3d model sees (torch-free): an object's photo cut out by its matte and framed
// the same way at training and at generation time (the object's box centred and scaled to fill a
// fixed share of a small square, composited over a neutral grey), and the training views
// themselves: a procedural asset rendered on the CPU from a random orbit camera under random
// light, its material evaluated at every pixel (no texture bake), with exact coverage as alpha.

#include "core/camera.h"
#include "core/image.h"
#include "procgen/procgen.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::models {

inline constexpr float kFrameFill = 0.86f;          // the object's longer box side, as a share of the frame
inline constexpr float kFrameGrey = 0.5f;           // the frame's background (sRGB)

// Where a framed image came from: the square of the source image (pixels) it shows.
struct FrameWindow {
    float x0 = 0.0f, y0 = 0.0f, side = 0.0f;
};

// A framed view: size x size, 4 channels F32 (sRGB colour composited over kFrameGrey, alpha), and
// the window of the source it shows.
struct FramedView {
    core::Image image;
    FrameWindow window;
    float coverage = 0.0f;  // share of the source's pixels with alpha >= 0.5
};

// Frames an object: `rgb` (U8 or F32, sRGB, >= 3 channels) with its foreground `alpha` (F32, one
// channel, the same size). The alpha's box (alpha >= 0.5) centred, its longer side kFrameFill of
// the frame; area-averaged resampling. Throws kiln::Error naming `what` when the alpha is empty or
// the sizes differ.
FramedView frameObject(const core::Image& rgb, const core::Image& alpha, int size, const std::string& what);

// Light and camera of one training view.
struct ViewLighting {
    glm::vec3 toLight{0.4f, 0.8f, 0.45f};  // world direction towards the key light
    float ambient = 0.35f;                 // of the albedo
    float key = 0.8f;                      // key light intensity
    float exposure = 1.0f;
};

struct TrainingView {
    float yawDegrees = 0.0f, pitchDegrees = 20.0f, fovDegrees = 40.0f;
    ViewLighting light;
};

// A random training view: yaw uniform, pitch -10..50°, field of view 25..60°, the key light from
// the camera's side of the object (above it), ambient and exposure varied.
TrainingView randomTrainingView(std::uint64_t seed);

// The asset through an orbit camera (photo_projection.h's orbitCamera convention) as an F32 RGBA
// image (sRGB colour, alpha = pixel coverage), rendered at `supersample`^2 samples per pixel.
core::Image renderAssetView(const procgen::ProcAsset& asset, const TrainingView& view, int size, int supersample = 2);

} // namespace kiln::models
