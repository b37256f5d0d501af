#include "core/rect_pack.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kiln::core {

namespace {

bool shelfPack(const std::vector<glm::vec2>& sizes, const std::vector<std::size_t>& order, float scale, int atlas, int padding,
               std::vector<glm::vec2>& offsets) {
    offsets.assign(sizes.size(), glm::vec2(0.0f));
    float x = float(padding), y = float(padding), rowHeight = 0.0f;
    for (const std::size_t i : order) {
        // Whole texels per chart plus one, so neighbouring charts never share a texel.
        const float w = std::ceil(sizes[i].x * scale) + 1.0f, h = std::ceil(sizes[i].y * scale) + 1.0f;
        if (w + 2.0f * float(padding) > float(atlas)) return false;
        if (x + w + float(padding) > float(atlas)) {
            x = float(padding);
            y += rowHeight + float(padding);
            rowHeight = 0.0f;
        }
        if (y + h + float(padding) > float(atlas)) return false;
        offsets[i] = {x, y};
        x += w + float(padding);
        rowHeight = std::max(rowHeight, h);
    }
    return true;
}

} // namespace

RectPacking packRects(const std::vector<glm::vec2>& sizes, int atlas, int padding) {
    if (atlas < 16 || padding < 0 || 2 * padding >= atlas) throw Error("atlas size " + std::to_string(atlas) + " is too small");
    if (sizes.empty()) throw Error("nothing to put in the texture atlas");
    std::vector<std::size_t> order(sizes.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return sizes[a].y > sizes[b].y; });
    double area = 0.0;
    for (const auto& s : sizes) area += double(std::max(s.x, 1e-6f)) * double(std::max(s.y, 1e-6f));
    // The scale that would fill the atlas exactly is an upper bound; search below it.
    float hi = float(std::sqrt(double(atlas) * double(atlas) / std::max(area, 1e-12))), lo = 0.0f;
    std::vector<glm::vec2> offsets, best;
    for (int it = 0; it < 30; ++it) {
        const float mid = 0.5f * (lo + hi);
        if (shelfPack(sizes, order, mid, atlas, padding, offsets)) {
            lo = mid;
            best = offsets;
        } else {
            hi = mid;
        }
    }
    if (best.empty()) throw Error("the UV charts do not fit a " + std::to_string(atlas) + " texel atlas");
    RectPacking out;
    out.scale = lo;
    out.offsets = std::move(best);
    for (auto& o : out.offsets) o += glm::vec2(0.5f);  // half a texel in, so edges land inside their texels
    return out;
}

} // namespace kiln::core
