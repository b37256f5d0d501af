#include "models/photo_projection.h"

#include "core/error.h"
#include "geometry/metrics.h"

#include <glm/geometric.hpp>
#include <glm/trigonometric.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::models {

namespace {

constexpr int kRender = 256;   // the projector's depth image, pixels per side
constexpr int kMatch = 64;     // silhouettes are compared on this grid
constexpr int kSearch = 128;   // silhouettes are rendered this size for the search

struct Box {
    float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
    bool empty() const { return x1 < x0; }
    glm::vec2 centre() const { return {0.5f * (x0 + x1), 0.5f * (y0 + y1)}; }
    float size() const { return std::max(x1 - x0, y1 - y0); }
};

// The bounding box of the pixels where `inside(x, y)`, in pixel units (edges, not centres).
template <class F>
Box boxOf(int width, int height, F inside) {
    Box b;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            if (inside(x, y)) {
                b.x0 = std::min(b.x0, float(x)), b.y0 = std::min(b.y0, float(y));
                b.x1 = std::max(b.x1, float(x + 1)), b.y1 = std::max(b.y1, float(y + 1));
            }
    return b;
}

// A mask resampled onto a kMatch grid whose square covers the box (centred, aspect kept).
template <class F>
std::vector<std::uint8_t> normalisedMask(const Box& b, F inside) {
    std::vector<std::uint8_t> m(kMatch * kMatch, 0);
    const glm::vec2 c = b.centre();
    const float s = b.size();
    for (int y = 0; y < kMatch; ++y)
        for (int x = 0; x < kMatch; ++x) {
            const float px = c.x + (float(x) + 0.5f - 0.5f * kMatch) / float(kMatch) * s;
            const float py = c.y + (float(y) + 0.5f - 0.5f * kMatch) / float(kMatch) * s;
            m[std::size_t(y * kMatch + x)] = inside(int(std::floor(px)), int(std::floor(py))) ? 1 : 0;
        }
    return m;
}

float alphaAt(const core::Image& alpha, int x, int y) {
    if (x < 0 || y < 0 || x >= alpha.width || y >= alpha.height) return 0.0f;
    return alpha.at(x, y, 0);
}

} // namespace

core::Camera orbitCamera(const core::Bounds& b, const PhotoView& v) {
    const glm::vec3 centre = b.center();
    const float radius = 0.5f * glm::length(b.size());
    const float fov = glm::radians(v.fovDegrees);
    const float distance = radius / std::sin(0.5f * fov) * 1.05f;
    const float yaw = glm::radians(v.yawDegrees), pitch = glm::radians(v.pitchDegrees);
    const glm::vec3 dir(std::sin(yaw) * std::cos(pitch), std::sin(pitch), std::cos(yaw) * std::cos(pitch));
    return core::Camera::lookAt(centre + dir * distance, centre, glm::vec3(0, 1, 0), fov);
}

namespace {

// The photo's object aligned with the mesh's silhouette from `view` by their bounding boxes (the
// mesh rendered kRender square): what the projector and the silhouette rays share.
struct PhotoAlignment {
    core::Bounds bounds;
    core::Camera camera;
    geometry::MeshRaster raster;
    glm::vec2 renderCentre{0.0f}, photoCentre{0.0f};
    float objectSize = 0.0f;  // the photo object's box side, photo pixels
    float scale = 1.0f;       // photo pixels per render pixel
};

PhotoAlignment alignPhoto(const core::Mesh& mesh, const core::Image& alpha, const PhotoView& view) {
    PhotoAlignment a;
    a.bounds = core::computeBounds(mesh);
    a.camera = orbitCamera(a.bounds, view);
    a.raster = geometry::rasterizeMesh(mesh, a.camera, kRender, kRender);
    const Box render = boxOf(kRender, kRender, [&](int x, int y) { return a.raster.covered(x, y); });
    const Box object = boxOf(alpha.width, alpha.height, [&](int x, int y) { return alpha.at(x, y, 0) >= 0.5f; });
    if (render.empty()) throw Error("--photo: the mesh is not in view from the photo's camera");
    if (object.empty()) throw Error("--photo: no object found in the photo (its foreground is empty)");
    a.renderCentre = render.centre();
    a.photoCentre = object.centre();
    a.objectSize = object.size();
    a.scale = object.size() / render.size();
    return a;
}

} // namespace

PhotoView estimatePhotoView(const core::Mesh& mesh, const core::Image& alpha, float fovDegrees, const core::CancelToken& cancel) {
    const Box photoBox = boxOf(alpha.width, alpha.height, [&](int x, int y) { return alpha.at(x, y, 0) >= 0.5f; });
    if (photoBox.empty()) throw Error("--photo: no object found in the photo (its foreground is empty)");
    const auto photoMask = normalisedMask(photoBox, [&](int x, int y) { return alphaAt(alpha, x, y) >= 0.5f; });
    const core::Bounds bounds = core::computeBounds(mesh);
    PhotoView best;
    best.fovDegrees = fovDegrees;
    best.silhouetteIoU = -1.0;
    for (int pitch = -15; pitch <= 60; pitch += 15)
        for (int yaw = 0; yaw < 360; yaw += 10) {
            cancel.throwIfCancelled();
            PhotoView v{float(yaw), float(pitch), fovDegrees, 0.0};
            const geometry::MeshRaster r = geometry::rasterizeMesh(mesh, orbitCamera(bounds, v), kSearch, kSearch);
            const auto covered = [&](int x, int y) { return x >= 0 && y >= 0 && x < kSearch && y < kSearch && r.covered(x, y); };
            const Box box = boxOf(kSearch, kSearch, covered);
            if (box.empty()) continue;
            const auto mask = normalisedMask(box, covered);
            std::size_t both = 0, either = 0;
            for (std::size_t k = 0; k < mask.size(); ++k) both += mask[k] & photoMask[k], either += mask[k] | photoMask[k];
            v.silhouetteIoU = either ? double(both) / double(either) : 0.0;
            if (v.silhouetteIoU > best.silhouetteIoU + 1e-9) best = v;
        }
    if (best.silhouetteIoU < 0.0) throw Error("--photo: the mesh shows no silhouette from any view");
    return best;
}

std::vector<PhotoRay> photoRays(const core::Mesh& mesh, const core::Image& alpha, const PhotoView& view, int grid, float margin) {
    if (grid < 2 || grid > 1024 || !(margin >= 0.0f && margin <= 1.0f)) throw Error("photo rays: grid or margin out of range");
    const PhotoAlignment align = alignPhoto(mesh, alpha, view);
    const core::Camera& camera = align.camera;
    const float f = camera.focalPixels(kRender);
    const glm::mat4 toWorld = camera.cameraToWorld;
    const float side = align.objectSize * (1.0f + 2.0f * margin), cell = side / float(grid);
    const glm::vec2 corner = align.photoCentre - glm::vec2(0.5f * side);
    std::vector<PhotoRay> rays;
    rays.reserve(std::size_t(grid) * std::size_t(grid));
    for (int j = 0; j < grid; ++j)
        for (int i = 0; i < grid; ++i) {
            const glm::vec2 pp = corner + (glm::vec2(float(i), float(j)) + 0.5f) * cell;
            // The cell's foreground: the mean of 3 x 3 bilinear taps over it.
            float a = 0.0f;
            for (int v = 0; v < 3; ++v)
                for (int u = 0; u < 3; ++u) {
                    const glm::vec2 q = pp + (glm::vec2(float(u), float(v)) - 1.0f) * (cell / 3.0f);
                    if (q.x < 0 || q.y < 0 || q.x >= float(alpha.width) || q.y >= float(alpha.height)) continue;
                    a += geometry::sampleBilinear(alpha, q / glm::vec2(float(alpha.width), float(alpha.height)), 0);
                }
            const glm::vec2 rp = align.renderCentre + (pp - align.photoCentre) / align.scale;
            const glm::vec3 d = glm::normalize(glm::vec3((rp.x - 0.5f * kRender) / f, -(rp.y - 0.5f * kRender) / f, -1.0f));
            rays.push_back({camera.position(), glm::normalize(glm::vec3(toWorld * glm::vec4(d, 0.0f))), std::clamp(a / 9.0f, 0.0f, 1.0f)});
        }
    return rays;
}

PhotoProjector::PhotoProjector(const core::Mesh& mesh, const core::Image& photo, const core::Image& alpha, const PhotoView& view)
    : m_photo(photo), m_alpha(alpha) {
    if (photo.width != alpha.width || photo.height != alpha.height) throw Error("--photo: the foreground does not match the photo's size");
    PhotoAlignment a = alignPhoto(mesh, alpha, view);
    m_camera = a.camera;
    m_raster = std::move(a.raster);
    m_tolerance = 0.01f * glm::length(a.bounds.size());
    m_renderCentre = a.renderCentre;
    m_photoCentre = a.photoCentre;
    m_scale = a.scale;
}

float PhotoProjector::sample(const glm::vec3& p, const glm::vec3& n, glm::vec3* colour) const {
    const glm::vec3 c = glm::vec3(m_camera.view() * glm::vec4(p, 1.0f));
    const float z = -c.z;
    if (!(z > m_camera.znear)) return 0.0f;
    const float f = m_camera.focalPixels(kRender);
    const glm::vec2 rp(0.5f * kRender + f * c.x / z, 0.5f * kRender - f * c.y / z);
    const int rx = int(std::floor(rp.x)), ry = int(std::floor(rp.y));
    if (rx < 0 || ry < 0 || rx >= kRender || ry >= kRender) return 0.0f;
    // Hidden behind a nearer surface (the depth of its own pixel, with a little slack).
    if (z > m_raster.depth[std::size_t(ry) * kRender + std::size_t(rx)] + m_tolerance) return 0.0f;
    const glm::vec3 toCamera = glm::normalize(m_camera.position() - p);
    const float facing = glm::dot(glm::normalize(n), toCamera);
    const float t = std::clamp((facing - 0.15f) / (0.5f - 0.15f), 0.0f, 1.0f);
    const float grazing = t * t * (3.0f - 2.0f * t);
    if (grazing <= 0.0f) return 0.0f;
    const glm::vec2 pp = m_photoCentre + (rp - m_renderCentre) * m_scale;
    const glm::vec2 uv = pp / glm::vec2(float(m_photo.width), float(m_photo.height));
    const float a = geometry::sampleBilinear(m_alpha, uv, 0);
    if (a <= 0.0f) return 0.0f;
    *colour = geometry::sampleBaseColor(m_photo, uv);
    return std::clamp(a, 0.0f, 1.0f) * grazing;
}

} // namespace kiln::models
