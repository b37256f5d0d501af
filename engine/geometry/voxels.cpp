#include "geometry/voxels.h"

#include "core/error.h"

#include <algorithm>
#include <functional>
#include <string>

namespace kiln::geometry {

std::vector<std::size_t> voxelComponents(const std::vector<std::uint8_t>& occ, int n) {
    if (n < 1 || occ.size() != std::size_t(n) * std::size_t(n) * std::size_t(n))
        throw Error("voxel components: " + std::to_string(occ.size()) + " cells is not a cube of side " + std::to_string(n));
    std::vector<std::uint8_t> seen(occ.size(), 0);
    std::vector<std::size_t> sizes, stack;
    const std::size_t un = std::size_t(n);
    for (std::size_t s = 0; s < occ.size(); ++s) {
        if (!occ[s] || seen[s]) continue;
        std::size_t size = 0;
        seen[s] = 1;
        stack.push_back(s);
        while (!stack.empty()) {
            const std::size_t k = stack.back();
            stack.pop_back();
            ++size;
            const std::size_t x = k % un, y = (k / un) % un, z = k / (un * un);
            auto visit = [&](bool inGrid, std::size_t j) {
                if (inGrid && occ[j] && !seen[j]) {
                    seen[j] = 1;
                    stack.push_back(j);
                }
            };
            visit(x + 1 < un, k + 1);
            visit(x > 0, k - 1);
            visit(y + 1 < un, k + un);
            visit(y > 0, k - un);
            visit(z + 1 < un, k + un * un);
            visit(z > 0, k - un * un);
        }
        sizes.push_back(size);
    }
    std::sort(sizes.begin(), sizes.end(), std::greater<>());
    return sizes;
}

} // namespace kiln::geometry
