#pragma once

// Image and texture upscaling (the "upscale" slot): the ESRGAN-slim model pack (models/packs.h),
// run in LibTorch from Kiln's graph.json (convolutions, ReLU, concatenation, addition, nearest
// upsampling) in overlapping tiles so memory stays flat at any size; bicubic as the baseline and
// the fallback. Torch-free header.

#include "core/image.h"
#include "core/mesh.h"

#include <filesystem>
#include <memory>
#include <string>

namespace kiln::models {

class Upscaler {
public:
    // Verifies the model folder (slot "upscale") and loads the network for `scale` (2, 3, 4 or 8).
    // Throws kiln::Error naming the folder or the reason.
    Upscaler(const std::filesystem::path& dir, int scale);
    ~Upscaler();
    Upscaler(const Upscaler&) = delete;
    Upscaler& operator=(const Upscaler&) = delete;

    // RGB(A), U8 or F32 (values 0..1, as stored: sRGB for colour maps) -> the same layout, scale x
    // larger. Alpha, when present, is upscaled bicubically. tile: input pixels per tile side.
    core::Image run(const core::Image& image, int tile = 96) const;
    int scale() const;
    const std::string& licence() const;
    const std::string& name() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// Every texture of a mesh `scale` x larger: colour maps (base colour, emissive) by the upscaler
// at `model` (bicubic when `model` is empty), data maps (normal, metallic-roughness, occlusion)
// bicubically, so all keep one size and data stays data. Returns what was done, for the job's
// report; `licence` gets the model's licence when one was used.
std::string upscaleTextures(core::Mesh& mesh, int scale, const std::filesystem::path& model, std::string* licence = nullptr);

// The installed ESRGAN-slim pack or another "upscale" model found; empty when there is none.
std::filesystem::path defaultUpscaleModel();

// Bicubic (OpenImageIO's cubic filter), the baseline and the fallback.
core::Image bicubicUpscale(const core::Image& image, int scale);
// Antialiased bicubic downscale by an integer factor (the cubic kernel stretched by the factor,
// as MATLAB's imresize: the degradation DIV2K-trained upscalers learned to undo).
core::Image downscaleBicubic(const core::Image& image, int factor);
// PSNR in dB of two images of one size over their first three channels (0..1 values).
double psnr(const core::Image& a, const core::Image& b, int border = 0);

} // namespace kiln::models
