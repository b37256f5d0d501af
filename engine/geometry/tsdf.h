#pragma once

#include "core/camera.h"
#include "core/image.h"
#include "core/mesh.h"

#include <glm/vec3.hpp>

#include <cstdint>
#include <vector>

namespace kiln::geometry {

// Truncated signed distance fusion of depth maps (Curless & Levoy 1996, as in KinectFusion:
// Newcombe et al. 2011): every voxel keeps a running weighted average of the projective signed
// distance to the observed surface, truncated to [-1, 1] in units of `truncation`, plus a colour.
//
// The grid has cubic voxels: `resolution` samples along the longest side of `bounds`, the other
// sides get as many as their length needs (bounds grow by less than one voxel to fit).
// Voxels never observed are "unknown" and produce no surface, so a mesh only appears where views
// saw it. Memory: 16 bytes per voxel (about 270 MB at 256^3).
class TsdfVolume {
public:
    // `truncation` in world units, at least one voxel (3-5 voxels is typical).
    // Throws kiln::Error on empty bounds, resolution outside [2, 1024] or a bad truncation.
    TsdfVolume(const core::Bounds& bounds, int resolution, float truncation);

    // Fuses one view. `depth`: F32, one channel (only the first is read), metres along the camera's
    // -Z axis, 0 (or non-finite) = no measurement. `color`: U8 RGB or RGBA (sRGB, stored linear) of
    // the same size, or empty for a depth-only view. Intrinsics in pixels: u = fx x/d + cx,
    // v = -fy y/d + cy for a camera-space point (x, y, -d); pixel (i, j) covers [i, i+1) x [j, j+1)
    // with rows top to bottom (the convention of io::PosedImage). Runs on up to 8 threads.
    void integrate(const core::Image& depth, const core::Image& color, const core::Camera& camera, float fx, float fy, float cx,
                   float cy);

    // Marching cubes of the zero level with vertex colours (linear) where colour was integrated.
    core::Mesh extractMesh() const;

    glm::ivec3 dimensions() const { return m_dims; }
    float voxelSize() const { return m_voxel; }
    const core::Bounds& bounds() const { return m_bounds; }
    int viewCount() const { return m_views; }

private:
    core::Bounds m_bounds;
    glm::ivec3 m_dims{0};
    float m_voxel = 0.0f;
    float m_truncation = 0.0f;
    int m_views = 0;
    bool m_hasColor = false;
    std::vector<float> m_tsdf;               // in [-1, 1]
    std::vector<float> m_weight;             // 0 = never observed
    std::vector<std::uint16_t> m_color;      // linear RGB x 65535, 3 per voxel
    std::vector<std::uint16_t> m_colorWeight;  // views that coloured the voxel (capped)
};

} // namespace kiln::geometry
