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
    // The key light within about 70° of the camera's side, from above the horizon.
    const float yaw = glm::radians(v.yawDegrees + (u(rng) - 0.5f) * 140.0f);
    const float pitch = glm::radians(15.0f + 60.0f * u(rng));
    v.light.toLight = glm::vec3(std::sin(yaw) * std::cos(pitch), std::sin(pitch), std::cos(yaw) * std::cos(pitch));
    v.light.ambient = 0.2f + 0.3f * u(rng);
    v.light.key = 0.6f + 0.5f * u(rng);
    v.light.exposure = 0.8f + 0.4f * u(rng);
    return v;
}

core::Image renderAssetView(const procgen::ProcAsset& asset, const TrainingView& view, int size, int supersample) {
    if (size < 1 || supersample < 1 || supersample > 8) throw Error("renderAssetView: size out of range");
    const core::Camera camera = orbitCamera(core::computeBounds(asset.mesh), PhotoView{view.yawDegrees, view.pitchDegrees, view.fovDegrees, 0.0});
    const int n = size * supersample;
    const geometry::MeshRaster r = geometry::rasterizeMesh(asset.mesh, camera, n, n);
    const glm::vec3 eye = camera.position(), forward = camera.forward();
    const glm::mat4 toWorld = camera.cameraToWorld;
    const float focal = camera.focalPixels(n);
    const glm::vec3 l = glm::normalize(view.light.toLight);
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
            const float diffuse = std::max(0.0f, glm::dot(nrm, l));
            // Blinn-Phong highlight, sharper and brighter for smooth surfaces; metals tint it.
            const glm::vec3 h = glm::normalize(l - dir);
            const float shininess = 2.0f / std::max(0.02f, s.roughness * s.roughness * s.roughness * s.roughness) - 2.0f;
            const float spec = std::pow(std::max(0.0f, glm::dot(nrm, h)), std::min(shininess, 2000.0f)) * (shininess + 8.0f) / 25.0f;
            const glm::vec3 f0 = glm::mix(glm::vec3(0.04f), s.albedo, s.metallic);
            const glm::vec3 diffuseColour = s.albedo * (1.0f - s.metallic);
            const glm::vec3 radiance = diffuseColour * (view.light.ambient + view.light.key * diffuse) + s.albedo * s.metallic * 0.35f +
                                       f0 * spec * view.light.key * diffuse;
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
