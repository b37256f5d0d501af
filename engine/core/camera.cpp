#include "core/camera.h"

#include <glm/ext/matrix_clip_space.hpp>
#include <glm/ext/matrix_transform.hpp>
#include <glm/matrix.hpp>

#include <cmath>

namespace kiln::core {

Camera Camera::lookAt(const glm::vec3& eye, const glm::vec3& target, const glm::vec3& up, float fovY) {
    Camera c;
    c.cameraToWorld = glm::inverse(glm::lookAtRH(eye, target, up));
    c.fovY = fovY;
    return c;
}

glm::mat4 Camera::view() const { return glm::inverse(cameraToWorld); }

glm::mat4 Camera::projection(float aspect) const { return glm::perspectiveRH_ZO(fovY, aspect, znear, zfar); }

float Camera::focalPixels(int height) const { return 0.5f * float(height) / std::tan(0.5f * fovY); }

} // namespace kiln::core
