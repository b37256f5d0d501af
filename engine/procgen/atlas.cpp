#include "procgen/atlas.h"

#include "core/error.h"
#include "core/rect_pack.h"

#include <algorithm>
#include <cmath>

namespace kiln::procgen {

float packAtlas(std::vector<PartMesh>& parts, const AtlasOptions& o) {
    if (o.size < 16 || o.padding < 0 || 2 * o.padding >= o.size) throw Error("procgen: atlas size " + std::to_string(o.size) + " is too small");
    std::vector<glm::vec2> sizes;
    std::vector<std::pair<std::size_t, std::size_t>> which;
    for (std::size_t p = 0; p < parts.size(); ++p)
        for (std::size_t c = 0; c < parts[p].charts.size(); ++c) {
            sizes.push_back(parts[p].charts[c].size);
            which.emplace_back(p, c);
        }
    if (sizes.empty()) throw Error("procgen: nothing to put in the texture atlas");
    const core::RectPacking packing = core::packRects(sizes, o.size, o.padding);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        PartMesh& part = parts[which[i].first];
        UvChart& chart = part.charts[which[i].second];
        chart.offset = packing.offsets[i];
        chart.scale = packing.scale;
        for (std::uint32_t v = chart.firstVertex; v < chart.firstVertex + chart.vertexCount; ++v)
            part.uv[v] = (chart.offset + part.uv[v] * packing.scale) / float(o.size);
    }
    return packing.scale;
}

} // namespace kiln::procgen
