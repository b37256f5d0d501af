// The fitter's SSIM (engine/optimize/ssim.cpp: separable blurs, gradient by hand) against an
// independent reference: the textbook form with a full 11x11 window through LibTorch's conv2d,
// differentiated by autograd. Also a finite-difference check and the known values.
#include "core/error.h"
#include "optimize/ssim.h"
#include "optimize/splat_fitter.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>
#include <vector>

using namespace kiln::optimize;

namespace {

torch::Tensor referenceSsim(const torch::Tensor& a, const torch::Tensor& b) {
    const torch::Tensor x1 = torch::arange(11, torch::kFloat64) - 5.0;
    torch::Tensor g = torch::exp(-(x1 * x1) / (2.0 * 1.5 * 1.5));
    g = g / g.sum();
    const torch::Tensor window = torch::outer(g, g).expand({3, 1, 11, 11}).contiguous();
    const torch::Tensor x = a.permute({2, 0, 1}).unsqueeze(0), y = b.permute({2, 0, 1}).unsqueeze(0);
    auto blur = [&](const torch::Tensor& t) { return torch::conv2d(t, window, {}, 1, 5, 1, 3); };
    const torch::Tensor mx = blur(x), my = blur(y);
    const torch::Tensor sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
    const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
    return (((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))).mean();
}

// A smooth image with texture, so SSIM is neither 0 nor 1.
std::vector<float> image(int w, int h, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> px(std::size_t(w) * std::size_t(h) * 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c)
                px[(std::size_t(y) * std::size_t(w) + std::size_t(x)) * 3 + std::size_t(c)] =
                    0.5f + 0.3f * std::sin(0.2f * float(x + 3 * c) + 0.13f * float(y)) + 0.2f * (u(rng) - 0.5f);
    return px;
}

} // namespace

TEST(Ssim, ValueAndGradientMatchTheFullWindowReference) {
    // 37 x 23: not square, and smaller than two windows in height (borders everywhere).
    const int w = 37, h = 23;
    const std::vector<float> a = image(w, h, 1), b = image(w, h, 2);
    std::vector<float> grad(a.size());
    const double value = ssimWithGradient(a.data(), b.data(), w, h, grad.data());

    torch::Tensor ta = torch::from_blob(const_cast<float*>(a.data()), {h, w, 3}).to(torch::kFloat64).requires_grad_(true);
    const torch::Tensor tb = torch::from_blob(const_cast<float*>(b.data()), {h, w, 3}).to(torch::kFloat64);
    const torch::Tensor ref = referenceSsim(ta, tb);
    ref.backward();
    EXPECT_GT(value, 0.1);
    EXPECT_LT(value, 0.9);
    EXPECT_NEAR(value, ref.item<double>(), 1e-6);
    const torch::Tensor refGrad = ta.grad().to(torch::kFloat32).contiguous();
    const float scale = refGrad.abs().max().item<float>();
    float err = 0.0f;
    for (std::size_t i = 0; i < grad.size(); ++i) err = std::max(err, std::abs(grad[i] - refGrad.data_ptr<float>()[i]));
    EXPECT_LT(err / scale, 1e-4f) << "largest gradient difference, relative to the largest gradient";

    // Finite differences at a few pixels, in double through the reference's own formula.
    for (const int i : {0, 200, int(a.size()) - 1}) {
        std::vector<float> plus = a, minus = a;
        plus[std::size_t(i)] += 1e-2f;
        minus[std::size_t(i)] -= 1e-2f;
        const double fd = (ssimWithGradient(plus.data(), b.data(), w, h, nullptr) - ssimWithGradient(minus.data(), b.data(), w, h, nullptr)) / 2e-2;
        EXPECT_NEAR(grad[std::size_t(i)], fd, 0.02 * scale) << "pixel value " << i;
    }
}

TEST(Ssim, IdenticalImagesScoreOneAndTheScorerClampsAndChecksSizes) {
    const std::vector<float> a = image(20, 20, 3);
    EXPECT_NEAR(ssim(a, a, 20, 20), 1.0, 1e-6);
    std::vector<float> over = a;
    for (float& v : over) v += 2.0f;  // clamped to 1: a white image
    const std::vector<float> white(a.size(), 1.0f);
    EXPECT_EQ(ssim(over, a, 20, 20), ssim(white, a, 20, 20));
    EXPECT_LT(ssim(white, a, 20, 20), 0.5);
    EXPECT_THROW(ssim(a, std::vector<float>(30), 20, 20), kiln::Error);
}
