#pragma once

#include "core/gaussian_cloud.h"
#include "core/mesh.h"
#include "io/export_presets.h"

#include <glm/vec3.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace kiln::io {

struct TextureSize {
    std::string name;
    int width = 0;
    int height = 0;
};

// What an export will hand to the DCC tool, measured before anything is written. Topology is
// measured on vertices welded by position, as the DCC tool will see it after "merge by
// distance" (glTF splits vertices at UV seams and hard edges; those are not holes).
struct ExportReport {
    bool splats = false;
    std::size_t splatCount = 0;
    std::size_t vertices = 0;
    std::size_t weldedVertices = 0;
    std::size_t triangles = 0;
    std::size_t nonManifoldEdges = 0;     // edges shared by three or more triangles
    std::size_t boundaryEdges = 0;        // edges of exactly one triangle
    std::size_t holes = 0;                // closed loops of boundary edges (open borders)
    std::size_t degenerateTriangles = 0;  // repeated vertex or zero area
    std::vector<TextureSize> textures;
    glm::vec3 sizeMetres{0.0f};           // bounding-box size in Kiln's frame (metres)
    std::vector<std::string> warnings;    // things an artist should look at before importing

    // Human-readable lines ("triangles 4212, vertices 2399 (2108 welded)", ...), no warnings.
    std::vector<std::string> lines() const;
};

// Measures `mesh` (in Kiln's frame, metres) for export with `preset`, and warns about an
// implausible real-world size for it (largest dimension outside the preset's range: a 0.001 m
// chair, a 5 km teapot), degenerate triangles, textures larger than 8192 px or (for game
// engines) not a power of two.
ExportReport checkForExport(const core::Mesh& mesh, const ExportPreset& preset);
ExportReport checkForExport(const core::GaussianCloud& cloud, const ExportPreset& preset);

} // namespace kiln::io
