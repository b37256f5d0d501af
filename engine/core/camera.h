#pragma once

#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

namespace kiln::core {

// A pinhole camera. Pose is camera-to-world in the OpenGL convention (camera looks down -Z, +Y up),
// the convention of glTF and nerfstudio's transforms.json.
struct Camera {
    glm::mat4 cameraToWorld{1.0f};
    float fovY = 0.8f;          // vertical field of view, radians
    float znear = 0.01f;
    float zfar = 1000.0f;

    static Camera lookAt(const glm::vec3& eye, const glm::vec3& target, const glm::vec3& up, float fovY);

    glm::vec3 position() const { return glm::vec3(cameraToWorld[3]); }
    glm::vec3 forward() const { return -glm::vec3(cameraToWorld[2]); }
    glm::mat4 view() const;                      // world-to-camera
    glm::mat4 projection(float aspect) const;    // right-handed, depth 0..1 (Vulkan)
    // Focal length in pixels for an image `height` pixels tall.
    float focalPixels(int height) const;
};

} // namespace kiln::core
