#include "pipelines/object_bound.h"

#include <glm/mat4x4.hpp>
#include <glm/matrix.hpp>
#include <glm/vector_relational.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::pipelines {

core::Bounds objectBounds(const std::vector<DepthView>& views, const std::vector<glm::vec3>& points, int minPoints) {
    std::vector<glm::mat4> worldToCamera;
    for (const auto& v : views) worldToCamera.push_back(glm::inverse(v.camera.cameraToWorld));
    std::vector<glm::vec3> central;
    for (const glm::vec3& p : points) {
        int centred = 0;
        for (std::size_t i = 0; i < views.size(); ++i) {
            const DepthView& v = views[i];
            const glm::vec4 c = worldToCamera[i] * glm::vec4(p, 1.0f);
            const float d = -c.z;  // the camera looks down -Z
            if (!(d > 1e-6f)) continue;
            const float u = v.fx * c.x / d + v.cx, w = -v.fy * c.y / d + v.cy;
            if (u < 0.0f || w < 0.0f || u >= float(v.width) || w >= float(v.height)) continue;
            // The middle half of the frame in each direction.
            centred += std::abs(u - 0.5f * float(v.width)) < 0.25f * float(v.width) && std::abs(w - 0.5f * float(v.height)) < 0.25f * float(v.height);
        }
        // Near the middle of at least half of all the photos: what the photographer kept centred. (A
        // fraction of the photos that see a point would let far points seen by a few pass.)
        if (centred >= 3 && 2 * std::size_t(centred) >= views.size()) central.push_back(p);
    }
    core::Bounds box;
    if (int(central.size()) < minPoints) return box;
    for (int axis = 0; axis < 3; ++axis) {
        std::vector<float> values;
        for (const glm::vec3& p : central) values.push_back(p[axis]);
        const auto at = [&](double q) {
            const std::size_t k = std::min(values.size() - 1, std::size_t(q * double(values.size() - 1) + 0.5));
            std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
            return values[k];
        };
        const float lo = at(0.02), hi = at(0.98);
        const float margin = 0.1f * (hi - lo);
        box.min[axis] = lo - margin;
        box.max[axis] = hi + margin;
    }
    box.valid = true;
    return box;
}

void cropToBox(core::GaussianCloud& cloud, const core::Bounds& box) {
    const std::size_t coeffs = std::size_t(cloud.coeffCount()) * 3;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const glm::vec3 p = cloud.positions[i];
        if (glm::any(glm::lessThan(p, box.min)) || glm::any(glm::greaterThan(p, box.max))) continue;
        cloud.positions[kept] = p;
        cloud.logScales[kept] = cloud.logScales[i];
        cloud.rotations[kept] = cloud.rotations[i];
        cloud.opacityLogits[kept] = cloud.opacityLogits[i];
        std::copy_n(cloud.sh.begin() + std::ptrdiff_t(i * coeffs), coeffs, cloud.sh.begin() + std::ptrdiff_t(kept * coeffs));
        ++kept;
    }
    cloud.resize(kept, cloud.shDegree);
}

} // namespace kiln::pipelines
