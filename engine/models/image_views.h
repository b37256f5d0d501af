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

// Light of one training view: the viewport's studio rig (render/frame.cpp: key, fill and rim
// lights fixed to the camera, a sky/ground hemisphere) with every direction, intensity and tint
// drawn at random around it, so photos lit like Kiln's renders and otherwise both fall inside it.
struct ViewLighting {
    glm::vec3 lightDir[3] = {{-0.5f, 0.7f, 0.6f}, {0.8f, 0.2f, 0.5f}, {0.0f, 0.6f, -0.9f}};  // camera space, towards the light
    glm::vec3 lightColour[3] = {{2.6f, 2.5f, 2.4f}, {0.9f, 0.95f, 1.05f}, {1.2f, 1.2f, 1.3f}};
    glm::vec3 sky{0.55f, 0.6f, 0.7f}, ground{0.25f, 0.23f, 0.2f};
    float exposure = 1.0f;
};

struct TrainingView {
    float yawDegrees = 0.0f, pitchDegrees = 20.0f, fovDegrees = 40.0f;
    ViewLighting light;
};

// A random training view: yaw uniform, pitch -10..50°, field of view 25..60°, the rig's lights
// moved, dimmed, brightened and tinted at random (the key on either side), exposure 0.7..1.3.
TrainingView randomTrainingView(std::uint64_t seed);

// The asset through an orbit camera (photo_projection.h's orbitCamera convention) as an F32 RGBA
// image (sRGB colour, alpha = pixel coverage), rendered at `supersample`^2 samples per pixel and
// shaded as the viewport's Lit mode shades (GGX lights plus the hemisphere's split-sum term).
core::Image renderAssetView(const procgen::ProcAsset& asset, const TrainingView& view, int size, int supersample = 2);

} // namespace kiln::models
