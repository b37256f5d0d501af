#include "render/splat_reference.h"

#include "core/error.h"
#include "core/sh.h"

#include <glm/common.hpp>
#include <glm/exponential.hpp>
#include <glm/geometric.hpp>
#include <glm/mat4x4.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

namespace kiln::test {
namespace {

constexpr float kMaxAlpha = 0.99f;
constexpr float kMinAlpha = 1.0f / 255.0f;
constexpr float kMinTransmittance = 0.0001f;

// A splat after projection: everything the per-pixel loop needs.
struct ScreenSplat {
    glm::vec2 centre{0.0f};  // pixels
    float conicA = 0.0f;     // inverse screen covariance [[a b] [b c]]
    float conicB = 0.0f;
    float conicC = 0.0f;
    float opacity = 0.0f;
    glm::vec3 colour{0.0f};
    float depth = 0.0f;
    int x0 = 0, x1 = -1, y0 = 0, y1 = -1;  // inclusive pixel rectangle, clipped to the image
};

glm::vec3 viewSpace(const glm::mat4& view, glm::vec3 worldPoint) { return glm::vec3(view * glm::vec4(worldPoint, 1.0f)); }

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// First and last pixel index whose centre (i + 0.5) lies in [centre - radius, centre + radius].
void pixelSpan(float centre, float radius, int size, int& first, int& last) {
    const float lo = std::clamp(std::ceil(centre - radius - 0.5f), -1.0f, float(size));
    const float hi = std::clamp(std::floor(centre + radius - 0.5f), -1.0f, float(size));
    first = std::max(0, int(lo));
    last = std::min(size - 1, int(hi));
}

glm::mat2 screenCovariance(const glm::mat4& view, float focal, glm::vec3 viewPoint, const glm::mat3& worldCovariance) {
    const glm::mat3 w(view);
    const glm::mat3 viewCovariance = w * worldCovariance * glm::transpose(w);
    const float depth = -viewPoint.z;
    // Rows of the Jacobian of (u, v) = (f x / d + W/2, -f y / d + H/2), d = -z (EWA, Zwicker et al. 2002).
    const glm::vec3 ju(focal / depth, 0.0f, focal * viewPoint.x / (depth * depth));
    const glm::vec3 jv(0.0f, -focal / depth, -focal * viewPoint.y / (depth * depth));
    const glm::vec3 su = viewCovariance * ju;
    const glm::vec3 sv = viewCovariance * jv;
    const float uu = glm::dot(ju, su) + kLowPassDilation;
    const float uv = glm::dot(ju, sv);
    const float vv = glm::dot(jv, sv) + kLowPassDilation;
    return glm::mat2(uu, uv, uv, vv);
}

} // namespace

glm::vec2 projectToPixel(const core::Camera& camera, int width, int height, glm::vec3 worldPoint) {
    const glm::vec3 p = viewSpace(camera.view(), worldPoint);
    const float focal = camera.focalPixels(height);
    const float depth = -p.z;
    return {focal * p.x / depth + 0.5f * float(width), -focal * p.y / depth + 0.5f * float(height)};
}

glm::mat3 splatCovariance(glm::vec3 logScale, glm::vec4 rotationWxyz) {
    const glm::vec4 q = rotationWxyz / glm::length(rotationWxyz);
    const float r = q.x, x = q.y, y = q.z, z = q.w;
    // Rotation matrix of a unit quaternion, written row by row (glm constructors take columns).
    const glm::mat3 rotation = glm::transpose(glm::mat3(
        1.0f - 2.0f * (y * y + z * z), 2.0f * (x * y - r * z), 2.0f * (x * z + r * y),
        2.0f * (x * y + r * z), 1.0f - 2.0f * (x * x + z * z), 2.0f * (y * z - r * x),
        2.0f * (x * z - r * y), 2.0f * (y * z + r * x), 1.0f - 2.0f * (x * x + y * y)));
    const glm::vec3 s = glm::exp(logScale);
    const glm::mat3 scale(s.x, 0.0f, 0.0f, 0.0f, s.y, 0.0f, 0.0f, 0.0f, s.z);
    const glm::mat3 m = rotation * scale;
    return m * glm::transpose(m);
}

glm::mat2 projectedCovariance(const core::Camera& camera, int /*width*/, int height, glm::vec3 worldPoint,
                              const glm::mat3& worldCovariance) {
    const glm::mat4 view = camera.view();
    return screenCovariance(view, camera.focalPixels(height), viewSpace(view, worldPoint), worldCovariance);
}

core::Image renderSplatsReference(const core::GaussianCloud& cloud, const core::Camera& camera, int width, int height,
                                  glm::vec3 background) {
    if (width <= 0 || height <= 0) throw Error("renderSplatsReference: image size must be positive");
    cloud.validate("renderSplatsReference");

    const glm::mat4 view = camera.view();
    const float focal = camera.focalPixels(height);
    const glm::vec3 cameraPosition = camera.position();
    const int coeffs = cloud.coeffCount();

    // Per-splat preprocessing (forward.cu preprocessCUDA): cull, project, covariance, colour.
    std::vector<ScreenSplat> splats;
    splats.reserve(cloud.size());
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const glm::vec3 position = cloud.positions[i];
        const glm::vec3 p = viewSpace(view, position);
        const float depth = -p.z;
        if (!(depth > camera.znear)) continue;

        const glm::mat2 cov = screenCovariance(view, focal, p, splatCovariance(cloud.logScales[i], cloud.rotations[i]));
        const float a = cov[0][0], b = cov[0][1], c = cov[1][1];
        const float det = a * c - b * b;
        if (!(det > 0.0f) || !std::isfinite(det)) continue;

        ScreenSplat s;
        s.centre = {focal * p.x / depth + 0.5f * float(width), -focal * p.y / depth + 0.5f * float(height)};
        if (!std::isfinite(s.centre.x) || !std::isfinite(s.centre.y)) continue;
        s.conicA = c / det;
        s.conicB = -b / det;
        s.conicC = a / det;
        const float mid = 0.5f * (a + c);
        const float maxEigenvalue = mid + std::sqrt(std::max(0.0f, mid * mid - det));
        const float radius = std::ceil(3.0f * std::sqrt(maxEigenvalue));
        pixelSpan(s.centre.x, radius, width, s.x0, s.x1);
        pixelSpan(s.centre.y, radius, height, s.y0, s.y1);
        if (s.x0 > s.x1 || s.y0 > s.y1) continue;

        s.opacity = sigmoid(cloud.opacityLogits[i]);
        s.depth = depth;
        // forward.cu computeColorFromSH: 0.5 offset, clamped at zero, direction from the camera.
        float basis[16];
        core::evalShBasis(glm::normalize(position - cameraPosition), basis);
        const float* sh = cloud.sh.data() + i * std::size_t(coeffs) * 3;
        glm::vec3 colour(0.5f);
        for (int k = 0; k < coeffs; ++k)
            colour += basis[k] * glm::vec3(sh[k * 3 + 0], sh[k * 3 + 1], sh[k * 3 + 2]);
        s.colour = glm::max(colour, glm::vec3(0.0f));
        splats.push_back(s);
    }

    std::vector<std::size_t> order(splats.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) { return splats[l].depth < splats[r].depth; });

    // Front-to-back compositing (forward.cu renderCUDA); visiting splats in depth order and
    // updating each covered pixel is the same per-pixel sequence without per-pixel lists.
    const std::size_t pixelCount = std::size_t(width) * std::size_t(height);
    std::vector<float> transmittance(pixelCount, 1.0f);
    std::vector<glm::vec3> accumulated(pixelCount, glm::vec3(0.0f));
    std::vector<std::uint8_t> done(pixelCount, 0);
    for (const std::size_t index : order) {
        const ScreenSplat& s = splats[index];
        for (int y = s.y0; y <= s.y1; ++y) {
            const float dy = float(y) + 0.5f - s.centre.y;
            for (int x = s.x0; x <= s.x1; ++x) {
                const std::size_t pixel = std::size_t(y) * std::size_t(width) + std::size_t(x);
                if (done[pixel]) continue;
                const float dx = float(x) + 0.5f - s.centre.x;
                const float power = -0.5f * (s.conicA * dx * dx + s.conicC * dy * dy) - s.conicB * dx * dy;
                if (power > 0.0f) continue;
                const float alpha = std::min(kMaxAlpha, s.opacity * std::exp(power));
                if (alpha < kMinAlpha) continue;
                const float nextT = transmittance[pixel] * (1.0f - alpha);
                if (nextT < kMinTransmittance) {
                    done[pixel] = 1;
                    continue;
                }
                accumulated[pixel] += s.colour * (alpha * transmittance[pixel]);
                transmittance[pixel] = nextT;
            }
        }
    }

    core::Image image = core::Image::makeF32(width, height, 3);
    for (std::size_t pixel = 0; pixel < pixelCount; ++pixel) {
        const glm::vec3 rgb = accumulated[pixel] + transmittance[pixel] * background;
        image.f32[pixel * 3 + 0] = rgb.r;
        image.f32[pixel * 3 + 1] = rgb.g;
        image.f32[pixel * 3 + 2] = rgb.b;
    }
    return image;
}

} // namespace kiln::test
