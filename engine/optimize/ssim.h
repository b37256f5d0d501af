#pragma once

// SSIM (Wang et al. 2004) with the 11x11 Gaussian window of sigma 1.5 (zero padded, per channel)
// that the 3DGS loss uses, and its gradient, in plain loops: the window is separable, so every
// blur is an 11-tap pass along rows and one along columns, and the gradient is three more blurred
// maps (no autograd graph of fifteen convolutions and their elementwise terms).
namespace kiln::optimize {

// Mean SSIM of two H x W x 3 float images (interleaved RGB). With `gradA` (H x W x 3), also
// writes d(mean SSIM)/d(a).
double ssimWithGradient(const float* a, const float* b, int width, int height, float* gradA);

} // namespace kiln::optimize
