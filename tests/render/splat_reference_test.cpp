#include "render/splat_reference.h"

#include "core/camera.h"
#include "core/gaussian_cloud.h"
#include "core/image.h"
#include "io/image_io.h"
#include "io/splat_io.h"
#include "test_util.h"

#include <glm/geometric.hpp>
#include <glm/gtc/constants.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

using kiln::core::Camera;
using kiln::core::GaussianCloud;
using kiln::core::Image;
using kiln::test::projectedCovariance;
using kiln::test::projectToPixel;
using kiln::test::renderSplatsReference;
using kiln::test::splatCovariance;

namespace {

constexpr float kFovY = 0.8f;

float logit(float p) { return std::log(p / (1.0f - p)); }

// A cloud of one isotropic splat of the given display colour (degree 0: colour = 0.5 + C0 * dc).
GaussianCloud oneSplat(glm::vec3 position, float scale, float opacity, glm::vec3 colour) {
    GaussianCloud cloud;
    cloud.resize(1, 0);
    cloud.positions[0] = position;
    cloud.logScales[0] = glm::vec3(std::log(scale));
    cloud.rotations[0] = {1.0f, 0.0f, 0.0f, 0.0f};
    cloud.opacityLogits[0] = logit(opacity);
    for (int c = 0; c < 3; ++c) cloud.sh[std::size_t(c)] = (colour[c] - 0.5f) / kiln::core::kShC0;
    return cloud;
}

void append(GaussianCloud& to, const GaussianCloud& from) {
    to.shDegree = from.shDegree;
    to.positions.insert(to.positions.end(), from.positions.begin(), from.positions.end());
    to.logScales.insert(to.logScales.end(), from.logScales.begin(), from.logScales.end());
    to.rotations.insert(to.rotations.end(), from.rotations.begin(), from.rotations.end());
    to.opacityLogits.insert(to.opacityLogits.end(), from.opacityLogits.begin(), from.opacityLogits.end());
    to.sh.insert(to.sh.end(), from.sh.begin(), from.sh.end());
}

// The default camera: at the origin, looking down -Z, +Y up.
Camera originCamera() {
    Camera camera;
    camera.fovY = kFovY;
    return camera;
}

glm::vec3 pixel(const Image& image, int x, int y) { return {image.at(x, y, 0), image.at(x, y, 1), image.at(x, y, 2)}; }

// Standard deviation along one image axis through (cx, cy), from a least-squares fit of
// ln(alpha) = c0 - t^2 / (2 sigma^2) over the pixels where the splat is visible.
double fitSigma(const Image& image, int cx, int cy, int stepX, int stepY, float colour, float background) {
    double sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumXY = 0.0;
    int n = 0;
    for (int t = -image.width; t <= image.width; ++t) {
        const int x = cx + t * stepX, y = cy + t * stepY;
        if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
        const double alpha = (double(image.at(x, y, 0)) - background) / (double(colour) - background);
        if (alpha < 0.01) continue;
        const double u = double(t) * t, v = std::log(alpha);
        sumX += u;
        sumY += v;
        sumXX += u * u;
        sumXY += u * v;
        ++n;
    }
    const double slope = (n * sumXY - sumX * sumY) / (n * sumXX - sumX * sumX);
    return std::sqrt(-0.5 / slope);
}

} // namespace

TEST(SplatReference, ProjectsWithSquarePixelsAndYDown) {
    const Camera camera = originCamera();
    const float f = camera.focalPixels(101);
    const glm::vec2 centre = projectToPixel(camera, 131, 101, {0.0f, 0.0f, -3.0f});
    EXPECT_NEAR(centre.x, 65.5f, 1e-4f);
    EXPECT_NEAR(centre.y, 50.5f, 1e-4f);
    const glm::vec2 p = projectToPixel(camera, 131, 101, {0.5f, 0.3f, -4.0f});
    EXPECT_NEAR(p.x, 65.5f + f * 0.5f / 4.0f, 1e-3f);
    EXPECT_NEAR(p.y, 50.5f - f * 0.3f / 4.0f, 1e-3f);
}

TEST(SplatReference, SingleGaussianPeak) {
    const glm::vec3 colour(0.9f, 0.2f, 0.6f), background(0.1f, 0.3f, 0.8f);
    const float opacity = 0.5f;
    const Image image = renderSplatsReference(oneSplat({0.0f, 0.0f, -4.0f}, 0.1f, opacity, colour), originCamera(), 129, 129, background);
    ASSERT_EQ(image.type, kiln::core::PixelType::F32);
    ASSERT_EQ(image.channels, 3);
    const glm::vec3 expected = opacity * colour + (1.0f - opacity) * background;
    const glm::vec3 peak = pixel(image, 64, 64);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(peak[c], expected[c], 1e-3f) << "channel " << c;
    EXPECT_NEAR(image.at(0, 0, 2), background.b, 1e-6f);
}

TEST(SplatReference, FootprintStandardDeviationMatchesEwa) {
    const glm::vec3 colour(0.9f, 0.5f, 0.5f), background(0.1f, 0.1f, 0.1f);
    const Camera camera = originCamera();
    const int size = 161;
    const float f = camera.focalPixels(size);
    for (const float z : {3.0f, 6.0f}) {
        for (const float s : {0.02f, 0.05f, 0.1f, 0.2f}) {
            const Image image = renderSplatsReference(oneSplat({0.0f, 0.0f, -z}, s, 0.5f, colour), camera, size, size, background);
            const double expected = std::sqrt(double(f * s / z) * (f * s / z) + 0.3);
            const double sigmaX = fitSigma(image, size / 2, size / 2, 1, 0, colour.r, background.r);
            const double sigmaY = fitSigma(image, size / 2, size / 2, 0, 1, colour.r, background.r);
            EXPECT_NEAR(sigmaX / expected, 1.0, 0.03) << "z " << z << " s " << s << " sigma " << sigmaX << " expected " << expected;
            EXPECT_NEAR(sigmaY / expected, 1.0, 0.03) << "z " << z << " s " << s << " sigma " << sigmaY << " expected " << expected;
        }
    }
}

TEST(SplatReference, ProjectedCovarianceMatchesFiniteDifferenceJacobian) {
    Camera camera = Camera::lookAt({1.0f, 2.0f, 3.0f}, {0.2f, -0.1f, 0.0f}, {0.0f, 1.0f, 0.0f}, kFovY);
    const int width = 200, height = 150;
    const glm::vec3 centre(0.6f, 0.3f, -0.4f);
    const glm::mat3 sigma3 = splatCovariance({std::log(0.05f), std::log(0.02f), std::log(0.01f)}, {0.8f, 0.3f, -0.4f, 0.2f});
    const glm::mat2 sigma2 = projectedCovariance(camera, width, height, centre, sigma3);

    // Jacobian of the world-to-pixel map by central differences (it already contains W).
    const float h = 1e-3f;
    glm::vec2 column[3];
    for (int k = 0; k < 3; ++k) {
        glm::vec3 e(0.0f);
        e[k] = h;
        column[k] = (projectToPixel(camera, width, height, centre + e) - projectToPixel(camera, width, height, centre - e)) / (2.0f * h);
    }
    for (int a = 0; a < 2; ++a) {
        for (int b = 0; b < 2; ++b) {
            double expected = a == b ? 0.3 : 0.0;
            for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 3; ++j) expected += double(column[i][a]) * sigma3[j][i] * column[j][b];
            EXPECT_NEAR(sigma2[b][a], expected, 0.01 * std::abs(expected) + 1e-3) << a << "," << b;
        }
    }
}

TEST(SplatReference, AxisAlignedCovarianceAndRotation) {
    const Camera camera = originCamera();
    const int size = 128;
    const float f = camera.focalPixels(size), z = 5.0f, sx = 0.1f, sy = 0.03f;
    const glm::vec3 logScale(std::log(sx), std::log(sy), std::log(0.07f));
    const glm::mat2 plain = projectedCovariance(camera, size, size, {0.0f, 0.0f, -z}, splatCovariance(logScale, {1.0f, 0.0f, 0.0f, 0.0f}));
    EXPECT_NEAR(plain[0][0], (f * sx / z) * (f * sx / z) + 0.3f, 1e-3f);
    EXPECT_NEAR(plain[1][1], (f * sy / z) * (f * sy / z) + 0.3f, 1e-3f);
    EXPECT_NEAR(plain[0][1], 0.0f, 1e-4f);
    // 90 degrees about +Z, quaternion (w, x, y, z) not normalised on purpose.
    const float c = std::cos(glm::quarter_pi<float>()) * 2.0f;
    const glm::mat2 turned = projectedCovariance(camera, size, size, {0.0f, 0.0f, -z}, splatCovariance(logScale, {c, 0.0f, 0.0f, c}));
    EXPECT_NEAR(turned[0][0], plain[1][1], 1e-3f);
    EXPECT_NEAR(turned[1][1], plain[0][0], 1e-3f);
}

TEST(SplatReference, ElongatedSplatKeepsItsOrientationOnScreen) {
    // Long along world (1, 1, 0): up and to the right on screen, i.e. pixel direction (+1, -1).
    GaussianCloud cloud = oneSplat({0.0f, 0.0f, -4.0f}, 0.02f, 0.9f, {1.0f, 1.0f, 1.0f});
    cloud.logScales[0].x = std::log(0.3f);
    const float half = 0.5f * glm::quarter_pi<float>();
    cloud.rotations[0] = {std::cos(half), 0.0f, 0.0f, std::sin(half)};
    const Image image = renderSplatsReference(cloud, originCamera(), 101, 101, glm::vec3(0.0f));
    const int k = 8;
    EXPECT_GT(image.at(50 + k, 50 - k, 0), 0.3f);
    EXPECT_GT(image.at(50 - k, 50 + k, 0), 0.3f);
    EXPECT_LT(image.at(50 + k, 50 + k, 0), 0.01f);
    EXPECT_LT(image.at(50 - k, 50 - k, 0), 0.01f);
}

TEST(SplatReference, OffCentreSplatPeaksWhereItProjects) {
    const glm::vec3 position(0.5f, 0.3f, -4.0f);
    const Camera camera = originCamera();
    const Image image = renderSplatsReference(oneSplat(position, 0.05f, 0.8f, {1.0f, 1.0f, 1.0f}), camera, 160, 120, glm::vec3(0.0f));
    int bestX = 0, bestY = 0;
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            if (image.at(x, y, 0) > image.at(bestX, bestY, 0)) {
                bestX = x;
                bestY = y;
            }
    const glm::vec2 expected = projectToPixel(camera, 160, 120, position);
    EXPECT_EQ(bestX, int(std::floor(expected.x)));
    EXPECT_EQ(bestY, int(std::floor(expected.y)));
    EXPECT_LT(expected.y, 60.0f);  // +Y is up: the splat is in the top half
}

TEST(SplatReference, CullsSplatsAtOrBehindTheNearPlane) {
    const glm::vec3 background(0.2f, 0.4f, 0.6f);
    Camera camera = originCamera();
    camera.znear = 0.5f;
    GaussianCloud cloud = oneSplat({0.0f, 0.0f, 3.0f}, 0.5f, 0.9f, {1.0f, 0.0f, 0.0f});  // behind
    append(cloud, oneSplat({0.0f, 0.0f, -0.4f}, 0.5f, 0.9f, {1.0f, 0.0f, 0.0f}));       // nearer than znear
    const Image image = renderSplatsReference(cloud, camera, 64, 48, background);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            for (int c = 0; c < 3; ++c) ASSERT_EQ(image.at(x, y, c), background[c]);
}

TEST(SplatReference, NearerOfTwoOverlappingSplatsDominates) {
    const glm::vec3 red(0.95f, 0.05f, 0.05f), green(0.05f, 0.95f, 0.05f);
    const GaussianCloud a = oneSplat({0.0f, 0.0f, -4.0f}, 0.3f, 0.998f, red);
    const GaussianCloud b = oneSplat({0.0f, 0.0f, -5.0f}, 0.3f, 0.998f, green);
    const Camera front = originCamera();
    const Camera back = Camera::lookAt({0.0f, 0.0f, -9.0f}, {0.0f, 0.0f, -4.5f}, {0.0f, 1.0f, 0.0f}, kFovY);
    // Storage order must not matter, only depth.
    for (const bool redFirst : {true, false}) {
        GaussianCloud cloud;
        append(cloud, redFirst ? a : b);
        append(cloud, redFirst ? b : a);
        const glm::vec3 seenFromFront = pixel(renderSplatsReference(cloud, front, 65, 65, glm::vec3(0.0f)), 32, 32);
        const glm::vec3 seenFromBack = pixel(renderSplatsReference(cloud, back, 65, 65, glm::vec3(0.0f)), 32, 32);
        EXPECT_GT(seenFromFront.r, 0.9f);
        EXPECT_LT(seenFromFront.g, 0.07f);
        EXPECT_GT(seenFromBack.g, 0.9f);
        EXPECT_LT(seenFromBack.r, 0.07f);
    }
}

TEST(SplatReference, ShDegreeOneColourFollowsViewDirection) {
    const glm::vec3 position(0.2f, -0.1f, 0.3f);
    GaussianCloud cloud;
    cloud.resize(1, 1);
    cloud.positions[0] = position;
    cloud.logScales[0] = glm::vec3(std::log(0.2f));
    cloud.rotations[0] = {1.0f, 0.0f, 0.0f, 0.0f};
    cloud.opacityLogits[0] = 10.0f;  // alpha clamps to 0.99
    // Coefficient-major: sh[k * 3 + channel]; DC 0 gives a 0.5 base. Red follows x (k = 3),
    // green follows y (k = 1), blue follows z (k = 2).
    const float w = 0.6f;
    cloud.sh[3 * 3 + 0] = w;
    cloud.sh[1 * 3 + 1] = w;
    cloud.sh[2 * 3 + 2] = w;
    // Basis with the 3DGS signs (forward.cu): Y1 = -C1 y, Y2 = C1 z, Y3 = -C1 x.
    const float c1 = 0.4886025119029199f;

    const std::vector<glm::vec3> offsets = {{3, 0, 0}, {-3, 0, 0}, {0, 3, 0}, {0, -3, 0}, {0, 0, 3}, {0, 0, -3}, {2, 1.5f, -2}};
    std::vector<glm::vec3> seen;
    for (const glm::vec3& offset : offsets) {
        const glm::vec3 eye = position + offset;
        const glm::vec3 up = std::abs(glm::normalize(offset).y) > 0.9f ? glm::vec3(0, 0, 1) : glm::vec3(0, 1, 0);
        const Camera camera = Camera::lookAt(eye, position, up, kFovY);
        const glm::vec3 dir = glm::normalize(position - eye);
        const glm::vec3 expected(0.5f - c1 * dir.x * w, 0.5f - c1 * dir.y * w, 0.5f + c1 * dir.z * w);
        const glm::vec3 got = pixel(renderSplatsReference(cloud, camera, 65, 65, glm::vec3(0.0f)), 32, 32) / 0.99f;
        for (int c = 0; c < 3; ++c)
            EXPECT_NEAR(got[c], expected[c], 1e-3f) << "offset " << offset.x << "," << offset.y << "," << offset.z << " channel " << c;
        seen.push_back(got);
    }
    // Seen from +X the view direction is -X, so red (-C1 x) is high there and low from -X.
    EXPECT_GT(seen[0].r - seen[1].r, 0.5f);
    EXPECT_GT(seen[2].g - seen[3].g, 0.5f);
    EXPECT_GT(seen[5].b - seen[4].b, 0.5f);
}

TEST(SplatReference, BikerRendersNonTrivialImage) {
    const GaussianCloud cloud = kiln::io::readSplatPly(kiln::test::testdata("splats/biker_inria_sub20.ply"));
    ASSERT_EQ(cloud.size(), 7638u);
    const kiln::core::Bounds bounds = kiln::core::computeBounds(cloud);
    ASSERT_TRUE(bounds.valid);
    const float radius = 0.5f * glm::length(bounds.size());
    // INRIA captures are right-down-forward: look along +Z with -Y up.
    const glm::vec3 eye = bounds.center() - glm::vec3(0.0f, 0.0f, 1.2f * radius / std::sin(0.5f * kFovY));
    Camera camera = Camera::lookAt(eye, bounds.center(), {0.0f, -1.0f, 0.0f}, kFovY);
    camera.znear = 0.01f * radius;

    const glm::vec3 background(0.0f);
    const auto start = std::chrono::steady_clock::now();
    const Image image = renderSplatsReference(cloud, camera, 256, 256, background);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    kiln::io::writeImage(image, kiln::test::scratchDir() / "biker_reference.png");
    EXPECT_LT(seconds, 5.0);
    std::printf("biker reference render 256x256: %.3f s\n", seconds);

    double sum = 0.0, sumSquares = 0.0;
    std::size_t covered = 0;
    for (std::size_t i = 0; i < image.pixelCount(); ++i) {
        const glm::vec3 rgb(image.f32[i * 3], image.f32[i * 3 + 1], image.f32[i * 3 + 2]);
        ASSERT_TRUE(std::isfinite(rgb.r) && std::isfinite(rgb.g) && std::isfinite(rgb.b));
        const double luma = (rgb.r + rgb.g + rgb.b) / 3.0;
        sum += luma;
        sumSquares += luma * luma;
        if (glm::length(rgb - background) > 0.02f) ++covered;
    }
    const double mean = sum / double(image.pixelCount());
    const double variance = sumSquares / double(image.pixelCount()) - mean * mean;
    EXPECT_GT(variance, 1e-3);
    EXPECT_GT(double(covered) / double(image.pixelCount()), 0.05);
}
