#pragma once

#include "core/mesh.h"

#include <cstddef>

namespace kiln::geometry {

// Topology and size of a triangle mesh. Vertices at exactly the same position count as one
// (a UV or normal seam is not a hole), so `watertight` describes the surface, not the index buffer.
struct MeshReport {
    std::size_t vertices = 0;            // entries in the vertex arrays
    std::size_t triangles = 0;
    std::size_t boundaryEdges = 0;       // used by one face
    std::size_t nonManifoldEdges = 0;    // used by three or more faces
    std::size_t inconsistentEdges = 0;   // two faces traverse it the same way (flipped neighbour)
    std::size_t degenerateFaces = 0;     // repeated vertex or zero area
    std::size_t components = 0;          // edge- or vertex-connected face sets
    double area = 0.0;                   // surface area
    double volume = 0.0;                 // signed enclosed volume (divergence theorem); positive when outward
    bool watertight = false;             // non-empty, no boundary and no non-manifold edges
};

MeshReport analyse(const core::Mesh& mesh);

// Merges vertices closer than `epsilon` (0: identical positions only). The first vertex of a cluster
// keeps its position and UVs; normals and colours are averaged over the cluster.
core::Mesh weldVertices(const core::Mesh& mesh, float epsilon);

// Drops faces that repeat a vertex or have zero area (|cross| <= 1e-12 of the longest edge squared).
core::Mesh removeDegenerateFaces(const core::Mesh& mesh);

// Drops connected components (faces connected through shared positions) with fewer triangles than
// `minFraction` times the largest component's count.
core::Mesh removeSmallComponents(const core::Mesh& mesh, float minFraction);

// Drops vertices no face uses and renumbers the rest (order kept).
core::Mesh removeUnusedVertices(const core::Mesh& mesh);

// Where two parts of a closed surface touch along an edge (four faces on it: what decimating a
// part a cell or two thick can leave), the surface encloses its solids exactly but is not
// manifold. Each such edge's faces are paired around it (sorted by angle, each face with its
// neighbour across the solid between them); the first pair keeps the edge, and each other pair's
// two faces are split in two at a new vertex, the edge's midpoint moved `offset` into the solid
// between them, so every edge has two faces. Other faces keep their corners (split faces' halves
// are appended after them). Returns the mesh unchanged when nothing needs splitting, or when an
// edge's faces cannot be paired (an odd count, or windings that do not alternate around it), a
// face would be split twice, or the mesh has several submeshes; `addedVertices` (optional)
// receives how many vertices were added.
core::Mesh splitNonManifold(const core::Mesh& mesh, float offset, std::size_t* addedVertices = nullptr);

struct CleanupOptions {
    float weldEpsilon = 0.0f;           // world units; 0 welds identical positions only
    bool removeDegenerate = true;
    float minComponentFraction = 0.05f; // 0 keeps every component
};

// Weld, then remove degenerate faces, then small components, then unused vertices.
core::Mesh cleanupMesh(const core::Mesh& mesh, const CleanupOptions& options = {});

} // namespace kiln::geometry
