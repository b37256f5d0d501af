#include "image_compare.h"

#include "core/error.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace kiln::test {

ImageDiff diffImages(const core::Image& a, const core::Image& b) {
    if (a.width != b.width || a.height != b.height)
        throw Error("images differ in size: " + std::to_string(a.width) + "x" + std::to_string(a.height) + " vs " + std::to_string(b.width) + "x" +
                    std::to_string(b.height));
    if (a.type != core::PixelType::U8 || b.type != core::PixelType::U8 || a.channels < 3 || b.channels < 3)
        throw Error("only 8-bit RGB or RGBA images can be compared");
    if (a.pixelCount() == 0) throw Error("empty images cannot be compared");
    ImageDiff d;
    d.image = core::Image::makeU8(a.width, a.height, 3);
    std::size_t bad = 0;
    double sum = 0.0;
    for (std::size_t p = 0; p < a.pixelCount(); ++p) {
        int worst = 0;
        for (int c = 0; c < 3; ++c) {
            const int e = std::abs(int(a.u8[p * std::size_t(a.channels) + std::size_t(c)]) - int(b.u8[p * std::size_t(b.channels) + std::size_t(c)]));
            sum += e;
            worst = std::max(worst, e);
            d.image.u8[p * 3 + std::size_t(c)] = std::uint8_t(std::min(255, e * 4));
        }
        if (worst > kBadPixelError) ++bad;
    }
    d.meanAbs = sum / double(a.pixelCount() * 3);
    d.badFraction = double(bad) / double(a.pixelCount());
    return d;
}

bool withinBudget(const ImageDiff& diff) { return diff.meanAbs < kMaxMeanError && diff.badFraction < kMaxBadFraction; }

std::string describe(const ImageDiff& diff) {
    char text[128];
    std::snprintf(text, sizeof text, "mean error %.3f/255 (budget %.1f), %.3f %% of pixels off by more than %d/255 (budget %.1f %%)", diff.meanAbs,
                  kMaxMeanError, diff.badFraction * 100.0, kBadPixelError, kMaxBadFraction * 100.0);
    return text;
}

} // namespace kiln::test
