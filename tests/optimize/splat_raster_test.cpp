// Gradient and forward checks of the CPU splat rasterizer (engine/optimize): against a
// pure-tensor LibTorch implementation of the same formula (autograd gives its gradients),
// against finite differences, and against the renderer's independent CPU reference.
#include "render/splat_reference.h"
#include "test_util.h"

#include "core/camera.h"
#include "core/error.h"
#include "io/splat_io.h"
#include "optimize/splat_raster.h"

#include <glm/gtc/type_ptr.hpp>

#include <cmath>

using kiln::optimize::RasterCamera;
using kiln::test::testdata;

namespace {

struct Cloud {
    torch::Tensor means, logScales, rotations, opacity, sh;
    std::vector<torch::Tensor> all() const { return {means, logScales, rotations, opacity, sh}; }
};

Cloud randomCloud(int n, int seed, float opacityMax = 0.8f) {
    torch::manual_seed(seed);
    Cloud c;
    c.means = (torch::rand({n, 3}) - 0.5) * torch::tensor({1.2f, 1.2f, 0.8f});
    c.logScales = torch::log(0.06 + 0.12 * torch::rand({n, 3}));
    c.rotations = torch::randn({n, 4});
    // Opacities kept below the 0.99 clamp (the reference ignores its gradient too).
    c.opacity = torch::logit(0.15 + (opacityMax - 0.15) * torch::rand({n}));
    c.sh = 0.4 * torch::randn({n, 16, 3});
    for (auto* t : {&c.means, &c.logScales, &c.rotations, &c.opacity, &c.sh}) t->requires_grad_(true);
    return c;
}

kiln::core::Camera testCamera() {
    return kiln::core::Camera::lookAt({0.4f, 0.3f, 3.0f}, {0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, 0.7f);
}

// The same image formation in tensor ops: every splat evaluated at every pixel inside its 3-sigma
// square, sorted by depth, composited with cumulative products. Differentiable by autograd.
torch::Tensor tensorReference(const Cloud& c, const RasterCamera& cam, glm::vec3 bg, int degree) {
    const int64_t n = c.means.size(0);
    torch::Tensor view = torch::from_blob(const_cast<float*>(cam.view), {4, 4}).clone().t();  // row-major now
    torch::Tensor W = view.index({torch::indexing::Slice(0, 3), torch::indexing::Slice(0, 3)});
    torch::Tensor tvec = view.index({torch::indexing::Slice(0, 3), 3});
    torch::Tensor t = torch::matmul(c.means, W.t()) + tvec;
    torch::Tensor d = -t.select(1, 2);
    torch::Tensor q = c.rotations / c.rotations.norm(2, 1, true);
    torch::Tensor w = q.select(1, 0), x = q.select(1, 1), y = q.select(1, 2), z = q.select(1, 3);
    torch::Tensor R = torch::stack({1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                                    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                                    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}, 1).view({n, 3, 3});
    torch::Tensor M = R * torch::exp(c.logScales).unsqueeze(1);
    torch::Tensor sigma = torch::matmul(M, M.transpose(1, 2));
    torch::Tensor zero = torch::zeros_like(d);
    torch::Tensor J = torch::stack({cam.fx / d, zero, cam.fx * t.select(1, 0) / (d * d),
                                    zero, -cam.fy / d, -cam.fy * t.select(1, 1) / (d * d)}, 1).view({n, 2, 3});
    torch::Tensor T = torch::matmul(J, W);
    torch::Tensor cov = torch::matmul(torch::matmul(T, sigma), T.transpose(1, 2));
    torch::Tensor a = cov.select(1, 0).select(1, 0) + 0.3, b = cov.select(1, 0).select(1, 1), cc = cov.select(1, 1).select(1, 1) + 0.3;
    torch::Tensor det = a * cc - b * b;
    torch::Tensor u = cam.fx * t.select(1, 0) / d + cam.cx, v = -cam.fy * t.select(1, 1) / d + cam.cy;
    torch::Tensor mid = 0.5 * (a + cc);
    torch::Tensor radius = torch::ceil(3 * torch::sqrt(mid + torch::sqrt(torch::clamp_min(mid * mid - det, 0.1)))).detach();

    // Colour from SH (degree <= 3) along the viewing direction.
    torch::Tensor campos = torch::tensor({cam.position[0], cam.position[1], cam.position[2]});
    torch::Tensor dir = c.means - campos;
    dir = dir / dir.norm(2, 1, true);
    torch::Tensor dx_ = dir.select(1, 0), dy_ = dir.select(1, 1), dz_ = dir.select(1, 2);
    std::vector<torch::Tensor> basis = {torch::full_like(dx_, 0.28209479177387814)};
    if (degree >= 1) {
        const double C1 = 0.4886025119029199;
        basis.insert(basis.end(), {-C1 * dy_, C1 * dz_, -C1 * dx_});
    }
    if (degree >= 2) {
        basis.insert(basis.end(), {1.0925484305920792 * dx_ * dy_, -1.0925484305920792 * dy_ * dz_,
                                   0.31539156525252005 * (2 * dz_ * dz_ - dx_ * dx_ - dy_ * dy_), -1.0925484305920792 * dx_ * dz_,
                                   0.5462742152960396 * (dx_ * dx_ - dy_ * dy_)});
    }
    if (degree >= 3) {
        auto xx = dx_ * dx_, yy = dy_ * dy_, zz = dz_ * dz_;
        basis.insert(basis.end(), {-0.5900435899266435 * dy_ * (3 * xx - yy), 2.890611442640554 * dx_ * dy_ * dz_,
                                   -0.4570457994644658 * dy_ * (4 * zz - xx - yy), 0.3731763325901154 * dz_ * (2 * zz - 3 * xx - 3 * yy),
                                   -0.4570457994644658 * dx_ * (4 * zz - xx - yy), 1.445305721320277 * dz_ * (xx - yy),
                                   -0.5900435899266435 * dx_ * (xx - 3 * yy)});
    }
    torch::Tensor B = torch::stack(basis, 1);  // n x K
    const int64_t K = B.size(1);
    torch::Tensor color = torch::clamp_min(0.5 + (B.unsqueeze(2) * c.sh.index({torch::indexing::Slice(), torch::indexing::Slice(0, K)})).sum(1), 0.0);
    torch::Tensor opacity = torch::sigmoid(c.opacity);

    torch::Tensor px = torch::arange(cam.width).to(torch::kFloat32) + 0.5, py = torch::arange(cam.height).to(torch::kFloat32) + 0.5;
    torch::Tensor gy = py.view({-1, 1}).expand({cam.height, cam.width}).reshape({-1});
    torch::Tensor gx = px.view({1, -1}).expand({cam.height, cam.width}).reshape({-1});
    torch::Tensor ddx = u.view({-1, 1}) - gx.view({1, -1}), ddy = v.view({-1, 1}) - gy.view({1, -1});  // n x P
    torch::Tensor ca = (cc / det).view({-1, 1}), cb = (-b / det).view({-1, 1}), ccc = (a / det).view({-1, 1});
    torch::Tensor power = -0.5 * (ca * ddx * ddx + ccc * ddy * ddy) - cb * ddx * ddy;
    torch::Tensor alpha = opacity.view({-1, 1}) * torch::exp(power);
    // The 3DGS rules: a splat is evaluated at every pixel of the 16x16 tiles its square of
    // half-width `radius` touches (pixel centres within it), nowhere else.
    const auto tileRange = [](const torch::Tensor& centre, const torch::Tensor& r, int pixels) {
        const int tiles = (pixels + 15) / 16;
        return std::make_pair(torch::clamp(torch::floor((centre - r - 0.5) / 16), 0, tiles).view({-1, 1}),
                              torch::clamp(torch::floor((centre + r - 0.5) / 16) + 1, 0, tiles).view({-1, 1}));
    };
    const auto [x0, x1] = tileRange(u.detach(), radius, cam.width);
    const auto [y0, y1] = tileRange(v.detach(), radius, cam.height);
    const torch::Tensor tx = torch::floor(gx / 16).view({1, -1}), ty = torch::floor(gy / 16).view({1, -1});
    torch::Tensor inside = (tx >= x0) & (tx < x1) & (ty >= y0) & (ty < y1) & (power <= 0) & (alpha >= 1.0 / 255.0) &
                           (d.view({-1, 1}) > cam.znear);
    alpha = torch::where(inside, alpha, torch::zeros_like(alpha));
    torch::Tensor order = torch::argsort(d.detach());
    alpha = alpha.index_select(0, order);
    color = color.index_select(0, order);
    torch::Tensor transmit = torch::cumprod(torch::cat({torch::ones({1, alpha.size(1)}), 1 - alpha}, 0), 0);
    torch::Tensor weights = alpha * transmit.slice(0, 0, n);
    torch::Tensor img = torch::matmul(weights.t(), color) + transmit.select(0, n).view({-1, 1}) * torch::tensor({bg.x, bg.y, bg.z});
    return img.view({cam.height, cam.width, 3});
}

} // namespace

TEST(SplatRaster, ForwardAndGradientsMatchTensorReference) {
    for (int degree : {0, 1, 3}) {
        Cloud c = randomCloud(24, 3 + degree);
        const RasterCamera cam = kiln::optimize::makeRasterCamera(testCamera(), 40, 32);
        const glm::vec3 bg(0.2f, 0.3f, 0.4f);
        torch::Tensor means2D = torch::zeros({24, 2}, torch::requires_grad());
        auto out = kiln::optimize::rasterizeSplats(c.means, c.logScales, c.rotations, c.opacity, c.sh, means2D, cam, bg, degree);
        torch::Tensor ref = tensorReference(c, cam, bg, degree);
        EXPECT_LT((out.image - ref).abs().max().item<float>(), 1e-4f) << "degree " << degree;

        torch::Tensor weights = torch::rand({32, 40, 3});
        auto gradKernel = torch::autograd::grad({(out.image * weights).sum()}, c.all());
        auto gradRef = torch::autograd::grad({(ref * weights).sum()}, c.all());
        const char* names[] = {"means", "logScales", "rotations", "opacity", "sh"};
        for (std::size_t k = 0; k < gradRef.size(); ++k) {
            const float scale = gradRef[k].abs().max().item<float>() + 1e-6f;
            const float err = (gradKernel[k] - gradRef[k]).abs().max().item<float>();
            EXPECT_LT(err / scale, 2e-3f) << names[k] << " degree " << degree << ": max error " << err << " of " << scale;
        }
    }
}

TEST(SplatRaster, GradientsMatchFiniteDifferences) {
    Cloud c = randomCloud(10, 11);
    const RasterCamera cam = kiln::optimize::makeRasterCamera(testCamera(), 32, 24);
    const glm::vec3 bg(0.5f);
    torch::Tensor weights = torch::rand({24, 32, 3});
    auto loss = [&](const Cloud& cl) {
        torch::NoGradGuard ng;
        auto out = kiln::optimize::rasterizeSplats(cl.means, cl.logScales, cl.rotations, cl.opacity, cl.sh, torch::zeros({10, 2}), cam, bg, 3);
        // Summed in double: float32 rounding of a sum of ~2000 pixels would swamp the differences.
        return (out.image.to(torch::kFloat64) * weights.to(torch::kFloat64)).sum().item<double>();
    };
    torch::Tensor means2D = torch::zeros({10, 2}, torch::requires_grad());
    auto out = kiln::optimize::rasterizeSplats(c.means, c.logScales, c.rotations, c.opacity, c.sh, means2D, cam, bg, 3);
    auto grads = torch::autograd::grad({(out.image * weights).sum()}, c.all());
    // Central differences on a sample of scalar parameters of every kind. The image has jumps
    // (a pixel crossing a splat's 3-sigma box or the 1/255 alpha cut-off), so a check only counts
    // where two step sizes agree, i.e. where the loss is smooth around the point.
    int checked = 0, smooth = 0;
    for (std::size_t k = 0; k < 5; ++k) {
        torch::Tensor param = c.all()[k];
        for (int64_t flat : {int64_t(0), int64_t(5), param.numel() / 2, param.numel() - 1}) {
            auto central = [&](float eps) {
                Cloud plus = c, minus = c;
                std::vector<torch::Tensor*> pp = {&plus.means, &plus.logScales, &plus.rotations, &plus.opacity, &plus.sh};
                std::vector<torch::Tensor*> mm = {&minus.means, &minus.logScales, &minus.rotations, &minus.opacity, &minus.sh};
                *pp[k] = param.detach().clone();
                *mm[k] = param.detach().clone();
                pp[k]->view(-1)[flat] += eps;
                mm[k]->view(-1)[flat] -= eps;
                return (loss(plus) - loss(minus)) / (2.0 * eps);
            };
            const double fd1 = central(1e-3f), fd2 = central(2e-3f);
            ++checked;
            if (std::abs(fd1 - fd2) > 5e-3 * std::max(1.0, std::abs(fd1))) continue;
            ++smooth;
            const double an = grads[k].view(-1)[flat].item<float>();
            EXPECT_NEAR(an, fd1, 1e-2 * std::max(1.0, std::abs(fd1))) << "parameter kind " << k << " index " << flat;
        }
    }
    EXPECT_GE(smooth, 14) << "too few smooth points to check";
    EXPECT_EQ(checked, 20);
}

TEST(SplatRaster, Means2DReceivesScreenSpaceGradient) {
    Cloud c = randomCloud(8, 5);
    const RasterCamera cam = kiln::optimize::makeRasterCamera(testCamera(), 32, 32);
    torch::Tensor means2D = torch::zeros({8, 2}, torch::requires_grad());
    auto out = kiln::optimize::rasterizeSplats(c.means, c.logScales, c.rotations, c.opacity, c.sh, means2D, cam, glm::vec3(0.0f), 0);
    out.image.sum().backward();
    EXPECT_GT(means2D.grad().abs().sum().item<float>(), 0.0f);
    EXPECT_EQ(out.radii.size(0), 8);
    EXPECT_GT(out.radii.gt(0).sum().item<int>(), 0);
}

TEST(SplatRaster, ForwardEqualsRendererReferenceOnBiker) {
    const auto cloud = kiln::io::readSplatPly(testdata("splats/biker_inria_sub20.ply"));
    const auto bounds = kiln::core::computeBounds(cloud);
    const glm::vec3 centre = bounds.center();
    const float radius = glm::length(bounds.size()) * 0.5f;
    const auto camera = kiln::core::Camera::lookAt(centre + glm::vec3(0.0f, -0.3f, -2.2f) * radius, centre, {0, -1, 0}, 0.8f);
    const int w = 96, h = 96;
    const auto n = int64_t(cloud.size());
    auto vec3s = [&](const std::vector<glm::vec3>& v) { return torch::from_blob(const_cast<float*>(glm::value_ptr(v[0])), {n, 3}).clone(); };
    torch::Tensor rot = torch::from_blob(const_cast<float*>(glm::value_ptr(cloud.rotations[0])), {n, 4}).clone();
    torch::Tensor op = torch::from_blob(const_cast<float*>(cloud.opacityLogits.data()), {n}).clone();
    torch::Tensor sh = torch::from_blob(const_cast<float*>(cloud.sh.data()), {n, 16, 3}).clone();
    auto out = kiln::optimize::rasterizeSplats(vec3s(cloud.positions), vec3s(cloud.logScales), rot, op, sh, torch::zeros({n, 2}),
                                               kiln::optimize::makeRasterCamera(camera, w, h), glm::vec3(0.1f), 3);
    const auto ref = kiln::test::renderSplatsReference(cloud, camera, w, h, glm::vec3(0.1f));
    torch::Tensor refT = torch::from_blob(const_cast<float*>(ref.f32.data()), {h, w, 3}).clone();
    const double mse = (out.image - refT).pow(2).mean().item<double>();
    const double psnr = 10.0 * std::log10(1.0 / std::max(mse, 1e-12));
    RecordProperty("psnr", std::to_string(psnr));
    EXPECT_GT(psnr, 45.0);
    EXPECT_GT(out.image.std().item<float>(), 0.02f);
}

TEST(SplatRaster, BadInputsAreClearErrors) {
    Cloud c = randomCloud(4, 1);
    const RasterCamera cam = kiln::optimize::makeRasterCamera(testCamera(), 8, 8);
    EXPECT_THROW(kiln::optimize::rasterizeSplats(c.means, c.logScales, c.rotations, c.opacity, c.sh, torch::zeros({3, 2}), cam, glm::vec3(0), 0),
                 kiln::Error);
    EXPECT_THROW(kiln::optimize::rasterizeSplats(c.means.to(torch::kFloat64), c.logScales, c.rotations, c.opacity, c.sh, torch::zeros({4, 2}), cam,
                                                 glm::vec3(0), 0),
                 kiln::Error);
    EXPECT_THROW(kiln::optimize::rasterizeSplats(c.means, c.logScales, c.rotations, c.opacity, c.sh.slice(1, 0, 4), torch::zeros({4, 2}), cam,
                                                 glm::vec3(0), 3),
                 kiln::Error);
    // Tensors on a device the rasterizer has no kernels for.
    EXPECT_THROW(kiln::optimize::rasterizeSplats(c.means.detach().to(torch::kMeta), c.logScales, c.rotations, c.opacity, c.sh, torch::zeros({4, 2}),
                                                 cam, glm::vec3(0), 0),
                 kiln::Error);
}
