#pragma once

#include "core/mesh.h"

namespace kiln::geometry {

// Bakes vertex colours into a base-colour texture so a vertex-coloured reconstruction exports
// with an ordinary textured material. Each triangle gets its own square cell of a
// ceil(sqrt(n)) x ceil(sqrt(n)) grid in UV space (a right triangle inset 2 px from the cell's
// edges); every texel of the cell holds the barycentric interpolation of the vertex colours at
// the nearest point of the triangle, so filtering never reads a neighbour's colours.
//
// Returns a mesh with three vertices per triangle (positions and normals copied), uv0 set, vertex
// colours removed (glTF would multiply them into the texture again), one textureSize x textureSize
// RGB texture "basecolor.png" (sRGB-encoded, as glTF base colour is) and one material
// (metallic 0, roughness 1) on a single submesh.
// Throws kiln::Error when the mesh has no vertex colours or no triangles, or when textureSize
// (16..16384) leaves a cell smaller than 8 px.
core::Mesh bakeVertexColorsToTexture(const core::Mesh& mesh, int textureSize);

} // namespace kiln::geometry
