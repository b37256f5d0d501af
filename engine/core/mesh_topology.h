#pragma once

#include "core/mesh.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kiln::core {

// Edge topology of a triangle mesh, measured on vertices welded by exact position so that UV and
// normal seams are not holes: the surface a DCC tool sees after "merge by distance". The one
// measurement behind the export check (io::checkForExport) and geometry::analyse.
struct MeshTopology {
    std::size_t weldedVertices = 0;     // distinct positions
    std::size_t boundaryEdges = 0;      // used by one face
    std::size_t nonManifoldEdges = 0;   // used by three or more faces
    std::size_t inconsistentEdges = 0;  // used by two faces that traverse it the same way (a flipped neighbour)
    std::size_t holes = 0;              // connected sets of boundary edges (open borders)
    std::size_t components = 0;         // face sets connected through shared welded vertices
};

// `welded` is firstAtSamePosition(mesh.positions). A face that repeats a welded vertex adds no
// edges (its "edges" are points or duplicates of real ones), nor does a face f with
// `edgeless[f]` set (empty: none), since callers differ in what area they count as degenerate.
// Every face counts towards the components.
MeshTopology measureTopology(const Mesh& mesh, std::span<const std::uint32_t> welded, std::span<const std::uint8_t> edgeless = {});

// For each face, a label shared exactly by the faces connected to it through welded vertices
// (the labels are vertex indices, not consecutive).
std::vector<std::uint32_t> faceComponents(const Mesh& mesh, std::span<const std::uint32_t> welded);

} // namespace kiln::core
