#pragma once

#include "core/camera.h"
#include "core/gaussian_cloud.h"
#include "core/mesh.h"
#include "core/progress.h"

#include <cstddef>
#include <vector>

namespace kiln::pipelines {

// A pinhole view for depth fusion: pose plus intrinsics in pixels (io::PosedImage convention).
struct DepthView {
    core::Camera camera;
    int width = 0, height = 0;
    float fx = 0, fy = 0, cx = 0, cy = 0;
};

struct SplatMeshOptions {
    int resolution = 192;          // TSDF voxels along the longest side of the splats' bounds
    std::size_t maxFaces = 100000; // decimated to this budget
};

// Splats -> mesh (the extraction of the reconstruction pipeline): the splats' expected depth and
// colour are rendered from each view by the CPU rasterizer and fused into a TSDF, whose zero level
// marching cubes turns into a vertex-coloured mesh, then small components and degenerate faces
// are removed and the mesh decimated. Throws kiln::Error when nothing surfaces.
core::Mesh meshFromSplats(const core::GaussianCloud& cloud, const std::vector<DepthView>& views, const SplatMeshOptions& options,
                          const core::CancelToken& cancel);

// `count` views evenly spread over the sphere around the cloud (golden-angle spiral), each
// framing the whole cloud: for splats that came without cameras (generated ones).
std::vector<DepthView> viewsAround(const core::GaussianCloud& cloud, int count, int size);

} // namespace kiln::pipelines
