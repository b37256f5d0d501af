// Image -> 3D: framing, training views, the image-conditioned flow.
#include "core/error.h"
#include "io/image_io.h"
#include "models/image_views.h"
#include "procgen/procgen.h"
#include "render/views.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace kiln::models {
namespace {

core::Image alphaOf(const core::Image& rgba) {
    core::Image a = core::Image::makeF32(rgba.width, rgba.height, 1);
    for (std::size_t p = 0; p < rgba.pixelCount(); ++p) a.f32[p] = rgba.at(int(p % std::size_t(rgba.width)), int(p / std::size_t(rgba.width)), 3);
    return a;
}

core::Image toU8(const core::Image& f) {
    core::Image u = core::Image::makeU8(f.width, f.height, f.channels);
    for (std::size_t i = 0; i < f.f32.size(); ++i) u.u8[i] = std::uint8_t(std::lround(std::clamp(f.f32[i], 0.0f, 1.0f) * 255.0f));
    return u;
}

TEST(ImageViews, TrainingViewsAreFramedLikeAPhoto) {
    const auto dir = test::scratchDir();
    const procgen::ProcAsset chair = procgen::generate(procgen::randomParams(procgen::categoryIndex("chair"), 7), {.textureSize = 0});
    std::vector<core::Image> sheet;
    for (int v = 0; v < 8; ++v) {
        const TrainingView view = randomTrainingView(std::uint64_t(v));
        const core::Image rgba = renderAssetView(chair, view, 128, 1);
        const core::Image alpha = alphaOf(rgba);
        const FramedView f = frameObject(rgba, alpha, 64, "view");
        ASSERT_EQ(f.image.width, 64);
        ASSERT_EQ(f.image.channels, 4);
        // The object's box fills kFrameFill of the frame on its longer side, centred.
        int x0 = 64, y0 = 64, x1 = -1, y1 = -1;
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x)
                if (f.image.at(x, y, 3) >= 0.5f) x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
        ASSERT_GE(x1, 0);
        EXPECT_NEAR(double(std::max(x1 - x0 + 1, y1 - y0 + 1)), 64.0 * kFrameFill, 3.0);
        EXPECT_NEAR(0.5 * double(x0 + x1 + 1), 32.0, 2.0);
        EXPECT_NEAR(0.5 * double(y0 + y1 + 1), 32.0, 2.0);
        // Outside the object the frame is the neutral grey.
        EXPECT_NEAR(f.image.at(0, 0, 0), kFrameGrey, 1e-5);
        sheet.push_back(toU8(f.image));
    }
    io::writeImage(render::composeGrid(sheet, 4), dir / "chair_views.png");
    // Deterministic for a seed.
    const core::Image again = renderAssetView(chair, randomTrainingView(3), 128, 1);
    EXPECT_EQ(again.f32, renderAssetView(chair, randomTrainingView(3), 128, 1).f32);
}

TEST(ImageViews, FramingRefusesAnEmptyOrMismatchedMatte) {
    core::Image rgb = core::Image::makeF32(32, 32, 3);
    core::Image alpha = core::Image::makeF32(32, 32, 1);
    test::expectError([&] { frameObject(rgb, alpha, 64, "photo.png"); }, "photo.png: no object found");
    core::Image small = core::Image::makeF32(16, 32, 1);
    test::expectError([&] { frameObject(rgb, small, 64, "photo.png"); }, "photo.png: the matte is 16x32, the image 32x32");
}

} // namespace
} // namespace kiln::models
