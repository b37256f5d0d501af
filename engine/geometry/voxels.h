#pragma once

// Connected pieces of a solid given as occupied cells of a grid. Torch-free.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::geometry {

// Sizes (cell counts) of the 6-connected components of the nonzero cells of an n x n x n grid
// (x fastest), largest first. Empty when nothing is occupied.
std::vector<std::size_t> voxelComponents(const std::vector<std::uint8_t>& occupied, int n);

} // namespace kiln::geometry
