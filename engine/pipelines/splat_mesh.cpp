#include "pipelines/splat_mesh.h"

#include "core/error.h"
#include "geometry/decimate.h"
#include "geometry/mesh_cleanup.h"
#include "geometry/tsdf.h"
#include "optimize/splat_fitter.h"
#include "optimize/splat_raster.h"

#include <glm/geometric.hpp>
#include <glm/gtc/type_ptr.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::pipelines {

namespace {

// Expected depth of the splats along each pixel (colour channel = view depth, normalised by the
// accumulated opacity) and their colour, for TSDF fusion. Pixels with opacity < 0.5 have no depth.
void renderDepthAndColor(const core::GaussianCloud& cloud, const optimize::RasterCamera& cam, core::Image& depth, core::Image& color) {
    core::GaussianCloud depthCloud;
    depthCloud.resize(cloud.size(), 0);
    depthCloud.positions = cloud.positions;
    depthCloud.logScales = cloud.logScales;
    depthCloud.rotations = cloud.rotations;
    depthCloud.opacityLogits = cloud.opacityLogits;
    const glm::mat4 view = glm::make_mat4(cam.view);
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float d = -(view * glm::vec4(cloud.positions[i], 1.0f)).z;
        for (int c = 0; c < 3; ++c) depthCloud.sh[i * 3 + std::size_t(c)] = ((c == 0 ? d : 1.0f) - 0.5f) / core::kShC0;
    }
    const std::vector<float> dz = optimize::renderCloud(depthCloud, cam, glm::vec3(0.0f));
    const std::vector<float> rgb = optimize::renderCloud(cloud, cam, glm::vec3(0.0f));
    depth = core::Image::makeF32(cam.width, cam.height, 1);
    color = core::Image::makeU8(cam.width, cam.height, 3);
    for (std::size_t p = 0; p < depth.pixelCount(); ++p) {
        const float alpha = dz[p * 3 + 1];
        depth.f32[p] = alpha > 0.5f ? dz[p * 3] / alpha : 0.0f;
        for (int c = 0; c < 3; ++c)
            color.u8[p * 3 + std::size_t(c)] = std::uint8_t(std::clamp(rgb[p * 3 + std::size_t(c)] / std::max(alpha, 1e-3f), 0.0f, 1.0f) * 255.0f + 0.5f);
    }
}

} // namespace

core::Mesh meshFromSplats(const core::GaussianCloud& cloud, const std::vector<DepthView>& views, const SplatMeshOptions& options,
                          const core::CancelToken& cancel) {
    if (cloud.empty()) throw Error("splats to mesh: the cloud is empty");
    if (views.empty()) throw Error("splats to mesh: no views to fuse");
    const core::Bounds b = core::computeBounds(cloud);
    core::Bounds padded;
    padded.extend(b.min - 0.05f * b.size());
    padded.extend(b.max + 0.05f * b.size());
    const float voxel = std::max({padded.size().x, padded.size().y, padded.size().z}) / float(options.resolution);
    geometry::TsdfVolume tsdf(padded, options.resolution, 4.0f * voxel);
    for (const auto& v : views) {
        cancel.throwIfCancelled();
        const optimize::RasterCamera cam = optimize::makeRasterCamera(v.camera, v.width, v.height, v.fx, v.fy, v.cx, v.cy);
        core::Image depth, color;
        renderDepthAndColor(cloud, cam, depth, color);
        tsdf.integrate(depth, color, v.camera, v.fx, v.fy, v.cx, v.cy);
    }
    cancel.throwIfCancelled();
    core::Mesh mesh = geometry::cleanupMesh(tsdf.extractMesh());
    if (mesh.triangleCount() > options.maxFaces) mesh = geometry::decimate(mesh, options.maxFaces);
    if (mesh.empty()) throw Error("splats to mesh: the splats gave no surface to extract");
    return mesh;
}

std::vector<DepthView> viewsAround(const core::GaussianCloud& cloud, int count, int size) {
    const core::Bounds b = core::computeBounds(cloud);
    const float radius = 0.5f * glm::length(b.size());
    const float fovY = 0.7f;
    const float distance = std::max(radius, 1e-3f) / std::sin(0.5f * fovY) * 1.05f;
    std::vector<DepthView> views;
    const float golden = 2.399963f;  // pi (3 - sqrt 5)
    for (int i = 0; i < count; ++i) {
        const float y = 1.0f - 2.0f * (float(i) + 0.5f) / float(count);
        const float r = std::sqrt(std::max(0.0f, 1.0f - y * y));
        const glm::vec3 dir(r * std::cos(golden * float(i)), y, r * std::sin(golden * float(i)));
        // Near the poles the world up is almost the view direction: use +Z as up there.
        const glm::vec3 up = std::abs(dir.y) > 0.95f ? glm::vec3(0, 0, 1) : glm::vec3(0, 1, 0);
        DepthView v;
        v.camera = core::Camera::lookAt(b.center() + dir * distance, b.center(), up, fovY);
        v.camera.znear = std::max(1e-4f, 0.01f * distance);
        v.width = v.height = size;
        v.fx = v.fy = v.camera.focalPixels(size);
        v.cx = v.cy = 0.5f * float(size);
        views.push_back(v);
    }
    return views;
}

} // namespace kiln::pipelines
