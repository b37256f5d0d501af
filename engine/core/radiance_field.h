#pragma once

#include "core/mesh.h"

#include <glm/vec3.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace kiln::core {

// A radiance field baked to a dense grid: volume density sigma (1/m) and linear RGB colour per
// cell centre, spanning `bounds`. Trained fields (triplane / hash grid + MLP) bake into this for
// preview and for marching cubes. Index = x + res.x * (y + res.y * z).
struct RadianceField {
    glm::ivec3 resolution{0};
    Bounds bounds;
    std::vector<float> density;
    std::vector<glm::vec3> color;

    std::size_t cellCount() const { return std::size_t(resolution.x) * std::size_t(resolution.y) * std::size_t(resolution.z); }
    bool empty() const { return cellCount() == 0; }
    std::size_t index(int x, int y, int z) const { return std::size_t(x) + std::size_t(resolution.x) * (std::size_t(y) + std::size_t(resolution.y) * std::size_t(z)); }

    void validate(const std::string& what) const;
};

// A procedural test field: a soft sphere shell with a colour gradient plus a small dense cube.
// Used by tests, benchmarks and `kiln render --demo-field`.
RadianceField makeDemoField(int resolution);

} // namespace kiln::core
