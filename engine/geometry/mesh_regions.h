#pragma once

// A region of a mesh's surface chosen from noisy per-triangle evidence, so that it follows the
// mesh's own structure: the labelling that minimises the evidence against it plus a cost for every
// boundary edge, lower where the surface creases (Boykov & Jolly 2001, "Interactive graph cuts";
// the crease weighting as in mesh segmentation by graph cuts, Katz & Tal 2003). A part that a
// classifier labels in patches ("the chest's trim" painting blocks of the panel under it) comes
// out whole, and boundaries fall on the creases between parts rather than across a smooth face.

#include "core/mesh.h"

#include <cstdint>
#include <vector>

namespace kiln::geometry {

// Two triangles that share an edge (corners at the same positions count as one vertex, so a UV
// or normal seam joins its two sides). Edges shared by three or more triangles join each pair.
struct FaceEdge {
    std::uint32_t a = 0, b = 0;  // triangle indices, a < b
    float length = 0.0f;         // the shared edge's length
    float cosAngle = 1.0f;       // cosine of the angle between the two faces' normals (1: flat)
    bool concave = false;        // the faces fold towards their front sides (a valley, not a ridge)
};
std::vector<FaceEdge> faceAdjacency(const core::Mesh& mesh);

struct RegionCutOptions {
    // Weight of the boundary against the evidence: a boundary as long as a mean edge, on a flat
    // surface, costs as much as `smoothness` mean triangles' worth of evidence. 0: each triangle
    // by its own evidence.
    float smoothness = 1.0f;
    // Crease falloff: a boundary edge's weight is scaled by exp(-(1 - cos angle) / crease), so it
    // is nearly free along a sharp crease (1 - cos 45 deg = 0.29) and full across a flat join.
    float crease = 0.1f;
    // A convex crease's (a ridge's) 1 - cos angle is scaled by this before the falloff, so below 1
    // a ridge costs more to cut along than a valley of the same angle: parts meet in valleys (the
    // minima rule, Hoffman & Richards 1984; Katz & Tal's convex factor). 1: both alike.
    float convexity = 1.0f;
};

// `inside[t]`: the evidence that triangle t belongs to the region, a probability in (0, 1)
// (0.5 says nothing). Each triangle's evidence weighs by its area against the mesh's mean.
// Returns 1 for the region's triangles: the exact minimum cut of the graph (max-flow, Dinic).
std::vector<std::uint8_t> cutRegion(const core::Mesh& mesh, const std::vector<float>& inside, const RegionCutOptions& options = {});

// Of the surface (by area), the share both regions mark of what either marks: 1 when neither marks
// anything. Throws kiln::Error when a region's size is not the mesh's triangle count.
double regionIoU(const core::Mesh& mesh, const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b);

} // namespace kiln::geometry
