#include "core/pull_push.h"

#include <algorithm>

namespace kiln::core {

namespace {

struct Level {
    int width = 0, height = 0;
    std::vector<float> value;   // premultiplied by nothing: the weighted mean where weight > 0
    std::vector<float> weight;  // 0..1
};

} // namespace

void pullPushFill(std::vector<float>& values, const std::vector<std::uint8_t>& covered, int width, int height, int channels) {
    if (std::none_of(covered.begin(), covered.end(), [](std::uint8_t c) { return c != 0; })) return;
    const std::size_t ch = std::size_t(channels);
    std::vector<Level> levels(1);
    levels[0].width = width;
    levels[0].height = height;
    levels[0].value = values;
    levels[0].weight.resize(std::size_t(width) * std::size_t(height));
    for (std::size_t i = 0; i < levels[0].weight.size(); ++i) levels[0].weight[i] = covered[i] ? 1.0f : 0.0f;
    // Pull: each coarser pixel is the weighted mean of its (up to) four children.
    while (levels.back().width > 1 || levels.back().height > 1) {
        const Level& f = levels.back();
        Level c;
        c.width = std::max(1, (f.width + 1) / 2);
        c.height = std::max(1, (f.height + 1) / 2);
        c.value.assign(std::size_t(c.width) * std::size_t(c.height) * ch, 0.0f);
        c.weight.assign(std::size_t(c.width) * std::size_t(c.height), 0.0f);
        for (int y = 0; y < f.height; ++y)
            for (int x = 0; x < f.width; ++x) {
                const std::size_t fi = std::size_t(y) * std::size_t(f.width) + std::size_t(x);
                const float w = f.weight[fi];
                if (w <= 0.0f) continue;
                const std::size_t ci = std::size_t(y / 2) * std::size_t(c.width) + std::size_t(x / 2);
                c.weight[ci] += w;
                for (std::size_t k = 0; k < ch; ++k) c.value[ci * ch + k] += w * f.value[fi * ch + k];
            }
        for (std::size_t i = 0; i < c.weight.size(); ++i) {
            if (c.weight[i] <= 0.0f) continue;
            for (std::size_t k = 0; k < ch; ++k) c.value[i * ch + k] /= c.weight[i];
            c.weight[i] = std::min(1.0f, c.weight[i]);
        }
        levels.push_back(std::move(c));
    }
    // Push: each pixel's missing weight is made up from its parent, coarsest first.
    for (std::size_t l = levels.size() - 1; l-- > 0;) {
        Level& f = levels[l];
        const Level& c = levels[l + 1];
        for (int y = 0; y < f.height; ++y)
            for (int x = 0; x < f.width; ++x) {
                const std::size_t fi = std::size_t(y) * std::size_t(f.width) + std::size_t(x);
                const float w = f.weight[fi];
                if (w >= 1.0f) continue;
                const std::size_t ci = std::size_t(y / 2) * std::size_t(c.width) + std::size_t(x / 2);
                for (std::size_t k = 0; k < ch; ++k) f.value[fi * ch + k] = w * f.value[fi * ch + k] + (1.0f - w) * c.value[ci * ch + k];
                f.weight[fi] = 1.0f;
            }
    }
    for (std::size_t i = 0; i < covered.size(); ++i)
        if (!covered[i])
            for (std::size_t k = 0; k < ch; ++k) values[i * ch + k] = levels[0].value[i * ch + k];
}

} // namespace kiln::core
