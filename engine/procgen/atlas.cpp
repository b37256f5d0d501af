#include "procgen/atlas.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>

namespace kiln::procgen {

namespace {

struct Item {
    std::size_t part, chart;
    glm::vec2 size;  // metres
};

// Shelf packing at `density` texels per metre: rows left to right, a new row when one is full.
// Returns false when the charts do not fit; fills offsets (texels) on success.
bool shelfPack(const std::vector<Item>& items, float density, int size, int padding, std::vector<glm::vec2>& offsets) {
    offsets.assign(items.size(), glm::vec2(0.0f));
    float x = float(padding), y = float(padding), rowHeight = 0.0f;
    for (std::size_t i = 0; i < items.size(); ++i) {
        // Whole texels per chart plus one, so neighbouring charts never share a texel.
        const float w = std::ceil(items[i].size.x * density) + 1.0f, h = std::ceil(items[i].size.y * density) + 1.0f;
        if (w + 2.0f * float(padding) > float(size)) return false;
        if (x + w + float(padding) > float(size)) {
            x = float(padding);
            y += rowHeight + float(padding);
            rowHeight = 0.0f;
        }
        if (y + h + float(padding) > float(size)) return false;
        offsets[i] = {x, y};
        x += w + float(padding);
        rowHeight = std::max(rowHeight, h);
    }
    return true;
}

} // namespace

float packAtlas(std::vector<PartMesh>& parts, const AtlasOptions& o) {
    if (o.size < 16 || o.padding < 0 || 2 * o.padding >= o.size) throw Error("procgen: atlas size " + std::to_string(o.size) + " is too small");
    std::vector<Item> items;
    double area = 0.0;
    for (std::size_t p = 0; p < parts.size(); ++p)
        for (std::size_t c = 0; c < parts[p].charts.size(); ++c) {
            items.push_back({p, c, parts[p].charts[c].size});
            area += double(parts[p].charts[c].size.x) * double(parts[p].charts[c].size.y);
        }
    if (items.empty()) throw Error("procgen: nothing to put in the texture atlas");
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.size.y > b.size.y; });
    // The density that would fill the atlas exactly is an upper bound; search below it.
    float hi = float(std::sqrt(double(o.size) * double(o.size) / std::max(area, 1e-12))), lo = 0.0f;
    std::vector<glm::vec2> offsets, best;
    for (int it = 0; it < 30; ++it) {
        const float mid = 0.5f * (lo + hi);
        if (shelfPack(items, mid, o.size, o.padding, offsets)) {
            lo = mid;
            best = offsets;
        } else {
            hi = mid;
        }
    }
    if (best.empty()) throw Error("procgen: the UV charts do not fit a " + std::to_string(o.size) + " texel atlas");
    const float density = lo;
    for (std::size_t i = 0; i < items.size(); ++i) {
        PartMesh& part = parts[items[i].part];
        UvChart& chart = part.charts[items[i].chart];
        chart.offset = best[i] + glm::vec2(0.5f);  // half a texel in, so edges land inside their texels
        chart.scale = density;
        for (std::uint32_t v = chart.firstVertex; v < chart.firstVertex + chart.vertexCount; ++v)
            part.uv[v] = (chart.offset + part.uv[v] * density) / float(o.size);
    }
    return density;
}

} // namespace kiln::procgen
