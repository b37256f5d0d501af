#pragma once

#include "core/camera.h"
#include "core/image.h"

#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::io {

// One photograph with the camera that took it.
//
// Intrinsics are in pixels at the loaded (possibly downscaled) size with COLMAP's pixel convention:
// pixel (i, j) covers [i, i+1) x [j, j+1), rows top to bottom, so its centre is (i + 0.5, j + 0.5).
// A camera-space point (x, y, z), z < 0 in front (OpenGL), lands at
//     u = fx * x / -z + cx,    v = -fy * y / -z + cy.
struct PosedImage {
    std::string name;        // file name relative to the set's image folder
    core::Image image;       // U8, RGB or RGBA (grey inputs are expanded to RGB)
    core::Camera camera;     // cameraToWorld in the OpenGL convention; fovY = 2 atan(h / (2 fy))
    float fx = 0.0f, fy = 0.0f, cx = 0.0f, cy = 0.0f;
};

struct PosedImageSet {
    std::vector<PosedImage> images;
    std::vector<glm::vec3> points;       // sparse points (COLMAP points3D), world space; may be empty
    std::vector<glm::vec3> pointColors;  // per point, sRGB in [0, 1]; empty or points.size()
    std::filesystem::path source;        // the transforms file or COLMAP model folder that was read
    std::vector<glm::mat4> poses;        // every view's cameraToWorld in the set's order (also with onlyView)
    std::vector<std::string> notes;      // things a user should know (e.g. "lens distortion ignored")
};

struct LoadOptions {
    int downscale = 1;  // integer factor, box filter (alpha-weighted for RGBA)
    int maxSize = 0;    // when > 0, raise the factor until max(width, height) <= maxSize
    // When >= 0, only view `onlyView` (in the set's order) is decoded and returned, e.g. to look
    // through one input camera without decoding every photo. Out of range is an error naming the
    // set and its view count.
    int onlyView = -1;
};

// Reads a posed image set from
//  - a nerfstudio / NeRF-Synthetic / instant-ngp `transforms*.json` file, or a folder holding one
//    (transforms.json is preferred, then transforms_train.json, then the first by name): global or
//    per-frame intrinsics (fl_x, fl_y, cx, cy, w, h, or camera_angle_x[/_y]), per-frame
//    transform_matrix (camera-to-world, OpenGL) and file_path relative to the json (a path without
//    an extension, as in NeRF-Synthetic, tries .png then .jpg); nerfstudio's ply_file_path (a
//    point cloud PLY beside it) gives the sparse points;
//  - a COLMAP model folder, text (cameras.txt, images.txt, points3D.txt) or binary (*.bin), or a
//    dataset folder with the model in sparse/0, sparse or colmap/sparse/0. Camera models
//    SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL and OPENCV (distortion is ignored with a note).
//    Images are looked up in an `images/` folder in, beside or above the model folder. Poses are
//    converted from COLMAP's world-to-camera (OpenCV axes: +Z forward, +Y down) to camera-to-world
//    in OpenGL axes.
// Images decode on worker threads. The world frame is kept as the source defines it.
// Throws kiln::Error naming the file and the reason on any bad input: missing images, sizes that
// disagree with the camera, non-finite or non-invertible poses, unsupported camera models, bad
// JSON or truncated binaries, an empty set.
PosedImageSet loadPosedImages(const std::filesystem::path& input, const LoadOptions& options = {});

// Whether `dir` holds a set loadPosedImages reads (a COLMAP model in it or in sparse/0, sparse or
// colmap/sparse/0, or a transforms*.json), by the same lookup.
bool hasPosedImages(const std::filesystem::path& dir);

// The rotation that takes a Z-up source's frame (Blender, NeRF-Synthetic) to Kiln's Y-up one:
// -90 degrees about X, so +Z becomes +Y.
glm::mat4 zUpToYUp();

// The rotation that makes the cameras' mean up direction (+Y of each camera, OpenGL axes) Kiln's
// +Y: for photo captures (COLMAP's frame has no up; people hold phones upright). The identity when
// there are no cameras or their up vectors disagree (a mean shorter than a tenth).
glm::mat4 camerasUpToYUp(const std::vector<glm::mat4>& cameraToWorld);

// The rotation `views-to-3d --up` applies to a set's frame ('y': none, 'z': zUpToYUp, 'c':
// camerasUpToYUp of its poses), and the option's name ("y", "z", "cameras"); a viewer looking
// through the input cameras (kiln render --camera-from, the studio) applies the same.
glm::mat4 upRotation(char up, const PosedImageSet& set);
std::string upName(char up);
// The inverse of upName: 'y', 'z' or 'c' for "y", "z" or "cameras"; 0 for anything else.
char upFromName(const std::string& name);

// Throws kiln::Error("<what>: <source> has no 3D points ...") when the set has no sparse points.
void requirePoints(const PosedImageSet& set, const std::string& what);

} // namespace kiln::io
