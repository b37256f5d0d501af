#pragma once

// Projecting a photo of an object onto its mesh (texture generation's --photo): the camera the
// photo was taken from (given as an orbit view, or found by matching the mesh's silhouette to the
// photo's foreground), then for any surface point the photo's colour there and how much to trust
// it (visible from the camera, facing it, on the photo's object). Torch-free.

#include "core/camera.h"
#include "core/image.h"
#include "core/progress.h"
#include "core/mesh.h"
#include "geometry/mesh_raster.h"

#include <glm/vec2.hpp>
#include <glm/vec3.hpp>

#include <vector>

namespace kiln::models {

// A camera on a sphere around the mesh: yaw about +Y from the +Z side (0 looks at the front,
// along -Z), pitch up from the horizon, the whole bounding sphere in a vertical field of view.
struct PhotoView {
    float yawDegrees = 0.0f, pitchDegrees = 0.0f, fovDegrees = 40.0f;
    double silhouetteIoU = 0.0;  // of the mesh's silhouette and the photo's foreground (bounding boxes aligned)
};

core::Camera orbitCamera(const core::Bounds& bounds, const PhotoView& view);

// The view whose silhouette best matches `alpha` (F32, one channel, 0..1: the photo's foreground),
// over yaw every 10° and pitch -15..60° every 15°, at `fovDegrees`. A mirror-symmetric object
// matches equally from the front and the back: the first (front-most) wins. Polls `cancel` at
// every view.
PhotoView estimatePhotoView(const core::Mesh& mesh, const core::Image& alpha, float fovDegrees, const core::CancelToken& cancel = {});

// A ray of the photo's camera (the mesh's space) and the photo's foreground where it leaves the
// camera: what the silhouette must show there.
struct PhotoRay {
    glm::vec3 origin{0.0f}, direction{0.0f, 0.0f, -1.0f};  // unit direction
    float inside = 0.0f;                                   // the photo's alpha, 0..1
};

// `grid` x `grid` rays through the square around the photo's object (its foreground's box, grown
// by `margin` of its side on every side), through the camera of `view` around `mesh` with the
// photo's object aligned to the mesh's silhouette by their boxes (as PhotoProjector aligns them).
// Throws kiln::Error when the foreground or the silhouette is empty.
std::vector<PhotoRay> photoRays(const core::Mesh& mesh, const core::Image& alpha, const PhotoView& view, int grid, float margin = 0.15f);

class PhotoProjector {
public:
    // `photo`: U8 or F32 RGB(A), sRGB-encoded; `alpha`: its foreground (F32, one channel). The
    // photo's object is aligned with the mesh's silhouette from `view` by their bounding boxes.
    // Throws kiln::Error when the foreground or the silhouette is empty.
    PhotoProjector(const core::Mesh& mesh, const core::Image& photo, const core::Image& alpha, const PhotoView& view);

    // The photo's colour (linear) at surface point p with normal n (the mesh's space) and its
    // weight: 0 where the point is hidden from the camera, off the photo's object or seen edge-on,
    // rising smoothly to 1 for points facing the camera, so the blend has no visible border.
    float sample(const glm::vec3& p, const glm::vec3& n, glm::vec3* linearColour) const;

private:
    const core::Image& m_photo;
    const core::Image& m_alpha;
    core::Camera m_camera;
    geometry::MeshRaster m_raster;
    float m_tolerance = 0.0f;           // depth slack for the visibility test, metres
    glm::vec2 m_renderCentre{0.0f}, m_photoCentre{0.0f};
    float m_scale = 1.0f;               // photo pixels per render pixel
};

} // namespace kiln::models
