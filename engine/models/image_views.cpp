#include "models/image_views.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/mesh_raster.h"
#include "models/photo_projection.h"

#include <glm/geometric.hpp>
#include <glm/trigonometric.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace kiln::models {

namespace {

float channel(const core::Image& img, int x, int y, int c) { return img.at(x, y, std::min(c, img.channels - 1)); }

} // namespace

FramedView frameObject(const core::Image& rgb, const core::Image& alpha, int size, const std::string& what) {
    if (rgb.empty() || rgb.channels < 3) throw Error(what + ": not a colour image");
    if (alpha.width != rgb.width || alpha.height != rgb.height || alpha.channels != 1)
        throw Error(what + ": the matte is " + std::to_string(alpha.width) + "x" + std::to_string(alpha.height) + ", the image " +
                    std::to_string(rgb.width) + "x" + std::to_string(rgb.height));
    if (size < 8 || size > 4096) throw Error(what + ": frame size " + std::to_string(size) + " is out of range");
    int x0 = rgb.width, y0 = rgb.height, x1 = -1, y1 = -1;
    std::size_t covered = 0;
    for (int y = 0; y < alpha.height; ++y)
        for (int x = 0; x < alpha.width; ++x)
            if (alpha.at(x, y, 0) >= 0.5f) {
                x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
                ++covered;
            }
    if (covered == 0) throw Error(what + ": no object found (the matte is empty)");
    FramedView out;
    out.coverage = float(double(covered) / double(alpha.pixelCount()));
    const float cx = 0.5f * float(x0 + x1 + 1), cy = 0.5f * float(y0 + y1 + 1);
    const float side = float(std::max(x1 - x0 + 1, y1 - y0 + 1)) / kFrameFill;
    out.window = {cx - 0.5f * side, cy - 0.5f * side, side};
    out.image = core::Image::makeF32(size, size, 4);
    // Each output pixel averages the source pixels its footprint covers (at least one sample):
    // an area filter, so a 1000-pixel photo framed to 64 does not alias.
    const float step = side / float(size);
    const int taps = std::clamp(int(std::ceil(step)), 1, 16);
    for (int oy = 0; oy < size; ++oy)
        for (int ox = 0; ox < size; ++ox) {
            float acc[4] = {0, 0, 0, 0};
            for (int sy = 0; sy < taps; ++sy)
                for (int sx = 0; sx < taps; ++sx) {
                    const float fx = out.window.x0 + (float(ox) + (float(sx) + 0.5f) / float(taps)) * step;
                    const float fy = out.window.y0 + (float(oy) + (float(sy) + 0.5f) / float(taps)) * step;
                    const int px = int(std::floor(fx)), py = int(std::floor(fy));
                    if (px < 0 || py < 0 || px >= rgb.width || py >= rgb.height) continue;  // outside: background
                    const float a = std::clamp(alpha.at(px, py, 0), 0.0f, 1.0f);
                    for (int c = 0; c < 3; ++c) acc[c] += a * channel(rgb, px, py, c);
                    acc[3] += a;
                }
            const float n = float(taps * taps);
            float* o = &out.image.f32[(std::size_t(oy) * std::size_t(size) + std::size_t(ox)) * 4];
            const float a = acc[3] / n;
            for (int c = 0; c < 3; ++c) o[c] = acc[c] / n + (1.0f - a) * kFrameGrey;
            o[3] = a;
        }
    return out;
}

TrainingView randomTrainingView(std::uint64_t seed) {
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    TrainingView v;
    v.yawDegrees = 360.0f * u(rng);
    v.pitchDegrees = -10.0f + 60.0f * u(rng);
    v.fovDegrees = 25.0f + 35.0f * u(rng);
    ViewLighting& l = v.light;
    const float side = u(rng) < 0.5f ? -1.0f : 1.0f;  // the key on the left or the right
    const float scale[3] = {0.4f + 1.2f * u(rng), 1.6f * u(rng), 1.6f * u(rng)};
    for (int i = 0; i < 3; ++i) {
        const glm::vec3 jitter(u(rng) - 0.5f, u(rng) - 0.5f, u(rng) - 0.5f);
        l.lightDir[i] = glm::normalize(l.lightDir[i] * glm::vec3(i < 2 ? side : 1.0f, 1.0f, 1.0f) + 0.8f * jitter);
        // A warmer or cooler white.
        const float warm = 0.15f * (u(rng) - 0.5f);
        l.lightColour[i] *= scale[i] * glm::vec3(1.0f + warm, 1.0f, 1.0f - warm);
    }
    l.sky *= 0.4f + 1.2f * u(rng);
    l.ground *= 0.3f + 1.3f * u(rng);
    l.exposure = 0.7f + 0.6f * u(rng);
    return v;
}

namespace {

constexpr float kPi = 3.14159265f;

// The viewport's mesh.frag: GGX specular with Schlick Fresnel and a Lambert diffuse, per light.
glm::vec3 brdf(const glm::vec3& n, const glm::vec3& v, const glm::vec3& l, const glm::vec3& albedo, float metallic, float roughness) {
    const glm::vec3 h = glm::normalize(v + l);
    const float ndl = std::max(glm::dot(n, l), 0.0f), ndv = std::max(glm::dot(n, v), 1e-4f), ndh = std::max(glm::dot(n, h), 0.0f),
                vdh = std::max(glm::dot(v, h), 0.0f);
    const float a = roughness * roughness, a2 = a * a;
    const float q = ndh * ndh * (a2 - 1.0f) + 1.0f;
    const float d = a2 / (kPi * q * q);
    const float k = a / 2.0f;
    const float vis = 0.25f / ((ndl * (1.0f - k) + k) * (ndv * (1.0f - k) + k));
    const glm::vec3 f0 = glm::mix(glm::vec3(0.04f), albedo, metallic);
    const glm::vec3 f = f0 + (1.0f - f0) * std::pow(1.0f - vdh, 5.0f);
    const glm::vec3 diffuse = (1.0f - f) * (1.0f - metallic) * albedo / kPi;
    return (diffuse + f * d * vis) * ndl;
}

} // namespace

core::Image renderAssetView(const procgen::ProcAsset& asset, const TrainingView& view, int size, int supersample) {
    if (size < 1 || supersample < 1 || supersample > 8) throw Error("renderAssetView: size out of range");
    const core::Camera camera = orbitCamera(core::computeBounds(asset.mesh), PhotoView{view.yawDegrees, view.pitchDegrees, view.fovDegrees, 0.0});
    const int n = size * supersample;
    const geometry::MeshRaster r = geometry::rasterizeMesh(asset.mesh, camera, n, n);
    const glm::vec3 eye = camera.position(), forward = camera.forward();
    const glm::mat4 toWorld = camera.cameraToWorld;
    const float focal = camera.focalPixels(n);
    // The rig's lights in world space (fixed to the camera, as the viewport's).
    const glm::mat3 camRot(toWorld);
    std::vector<std::pair<glm::vec3, glm::vec3>> lights;
    for (int k = 0; k < 3; ++k) lights.emplace_back(glm::normalize(camRot * view.light.lightDir[k]), view.light.lightColour[k]);
    core::Image out = core::Image::makeF32(size, size, 4);
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            const std::size_t i = std::size_t(y) * std::size_t(n) + std::size_t(x);
            if (r.triangle[i] < 0) continue;
            // The pixel's ray (camera looks down -Z, rows top to bottom) and the hit point.
            const glm::vec3 dirCam((float(x) + 0.5f - 0.5f * float(n)) / focal, -(float(y) + 0.5f - 0.5f * float(n)) / focal, -1.0f);
            const glm::vec3 dir = glm::normalize(glm::vec3(toWorld * glm::vec4(dirCam, 0.0f)));
            const glm::vec3 p = eye + dir * (r.depth[i] / std::max(1e-6f, glm::dot(dir, forward)));
            const int part = asset.triangleParts[std::size_t(r.triangle[i])];
            const procgen::SurfacePoint s = procgen::surfaceAt(asset, part, p);
            glm::vec3 nrm = r.normal[i];
            if (glm::dot(nrm, dir) > 0.0f) nrm = -nrm;  // the side the camera sees
            const float roughness = std::clamp(s.roughness, 0.04f, 1.0f);
            glm::vec3 radiance(0.0f);
            for (const auto& l : lights) radiance += brdf(nrm, -dir, l.first, s.albedo, s.metallic, roughness) * l.second;
            // Hemisphere irradiance and its split-sum specular (Karis 2014), as the viewport.
            const glm::vec3 irradiance = glm::mix(view.light.ground, view.light.sky, nrm.y * 0.5f + 0.5f);
            const glm::vec3 refl = glm::reflect(dir, nrm);
            const glm::vec3 envSpec = glm::mix(view.light.ground, view.light.sky, refl.y * 0.5f + 0.5f);
            const float ndv = std::max(glm::dot(nrm, -dir), 1e-4f);
            const glm::vec4 c0(-1.0f, -0.0275f, -0.572f, 0.022f), c1(1.0f, 0.0425f, 1.04f, -0.04f);
            const glm::vec4 rr = roughness * c0 + c1;
            const float a004 = std::min(rr.x * rr.x, std::exp2(-9.28f * ndv)) * rr.x + rr.y;
            const glm::vec2 ab = glm::vec2(-1.04f, 1.04f) * a004 + glm::vec2(rr.z, rr.w);
            const glm::vec3 f0 = glm::mix(glm::vec3(0.04f), s.albedo, s.metallic);
            radiance += (1.0f - s.metallic) * s.albedo * irradiance + envSpec * (f0 * ab.x + ab.y);
            float* o = &out.f32[(std::size_t(y / supersample) * std::size_t(size) + std::size_t(x / supersample)) * 4];
            for (int c = 0; c < 3; ++c) o[c] += std::clamp(core::srgbFromLinear(radiance[c] * view.light.exposure), 0.0f, 1.0f);
            o[3] += 1.0f;
        }
    const float inv = 1.0f / float(supersample * supersample);
    for (std::size_t p = 0; p < out.pixelCount(); ++p) {
        float* o = &out.f32[p * 4];
        const float a = o[3] * inv;
        // Colour un-premultiplied (the coverage is the alpha).
        for (int c = 0; c < 3; ++c) o[c] = a > 0.0f ? o[c] / o[3] : 0.0f;
        o[3] = a;
    }
    return out;
}

} // namespace kiln::models
