#include "core/radiance_field.h"

#include "core/error.h"

#include <glm/geometric.hpp>

#include <cmath>

namespace kiln::core {

void RadianceField::validate(const std::string& what) const {
    if (resolution.x < 2 || resolution.y < 2 || resolution.z < 2) throw Error(what + ": radiance field grid must be at least 2 cells per axis");
    if (resolution.x > 1024 || resolution.y > 1024 || resolution.z > 1024) throw Error(what + ": radiance field grid larger than 1024 per axis");
    if (density.size() != cellCount() || color.size() != cellCount()) throw Error(what + ": radiance field arrays do not match the grid size");
    if (!bounds.valid) throw Error(what + ": radiance field has no bounds");
}

RadianceField makeDemoField(int resolution) {
    RadianceField f;
    f.resolution = glm::ivec3(resolution);
    f.bounds.extend(glm::vec3(-1.0f));
    f.bounds.extend(glm::vec3(1.0f));
    f.density.resize(f.cellCount());
    f.color.resize(f.cellCount());
    for (int z = 0; z < resolution; ++z)
        for (int y = 0; y < resolution; ++y)
            for (int x = 0; x < resolution; ++x) {
                const glm::vec3 p = (glm::vec3(x, y, z) + 0.5f) / float(resolution) * 2.0f - 1.0f;
                const float r = glm::length(p);
                // Shell of radius 0.7 and width ~0.08 (Gaussian profile), density up to 40/m.
                float sigma = 40.0f * std::exp(-0.5f * std::pow((r - 0.7f) / 0.04f, 2.0f));
                glm::vec3 c = 0.5f + 0.5f * glm::normalize(p + glm::vec3(1e-6f));
                // Dense orange cube in the centre, visible through the shell.
                if (std::abs(p.x) < 0.25f && std::abs(p.y) < 0.25f && std::abs(p.z) < 0.25f) {
                    sigma = 200.0f;
                    c = glm::vec3(1.0f, 0.45f, 0.1f);
                }
                const std::size_t i = f.index(x, y, z);
                f.density[i] = sigma;
                f.color[i] = c;
            }
    return f;
}

} // namespace kiln::core
