// The baseline judge itself: it must pass what is within the budget and fail what is not, at
// the edges of both limits, or every rendering test could pass silently.
#include "render/image_compare.h"
#include "test_util.h"

#include "core/error.h"
#include "io/image_io.h"

#include <filesystem>

namespace {

constexpr int kW = 1000, kH = 100;  // 100,000 pixels: 0.5 % is 500 pixels

kiln::core::Image solid(int channels, std::uint8_t value) {
    kiln::core::Image img = kiln::core::Image::makeU8(kW, kH, channels);
    for (auto& v : img.u8) v = value;
    return img;
}

// Adds `delta` to the red channel of the first `count` pixels.
kiln::core::Image withRedOff(kiln::core::Image img, int count, int delta) {
    for (int p = 0; p < count; ++p) {
        std::uint8_t& red = img.u8[std::size_t(p) * std::size_t(img.channels)];
        red = std::uint8_t(int(red) + delta);
    }
    return img;
}

kiln::core::Image baseline(const std::string& name) {
    return kiln::io::readImage(std::filesystem::path(KILN_SOURCE_DIR) / "tests/render/baselines" / (name + ".png"));
}

} // namespace

TEST(ImageCompare, IdenticalImagesAreWithinBudget) {
    const auto d = kiln::test::diffImages(solid(4, 100), solid(4, 100));
    EXPECT_EQ(d.meanAbs, 0.0);
    EXPECT_EQ(d.badFraction, 0.0);
    EXPECT_TRUE(kiln::test::withinBudget(d));
}

TEST(ImageCompare, MeanErrorBudgetIsOnePointFiveLevels) {
    // Every channel one level off: mean 1, no bad pixel.
    EXPECT_TRUE(kiln::test::withinBudget(kiln::test::diffImages(solid(3, 100), solid(3, 101))));
    // Two levels off everywhere: mean 2, still no pixel off by more than 24.
    const auto d = kiln::test::diffImages(solid(3, 100), solid(3, 102));
    EXPECT_DOUBLE_EQ(d.meanAbs, 2.0);
    EXPECT_EQ(d.badFraction, 0.0);
    EXPECT_FALSE(kiln::test::withinBudget(d));
}

TEST(ImageCompare, BadPixelBudgetIsHalfAPercentOffByMoreThan24) {
    const auto base = solid(4, 100);
    // 400 pixels (0.4 %) far off: within budget (mean 400*60/300000 = 0.08).
    EXPECT_TRUE(kiln::test::withinBudget(kiln::test::diffImages(base, withRedOff(base, 400, 60))));
    // 600 pixels (0.6 %) far off: over budget although the mean error is only 0.12.
    const auto d = kiln::test::diffImages(base, withRedOff(base, 600, 60));
    EXPECT_DOUBLE_EQ(d.badFraction, 0.006);
    EXPECT_LT(d.meanAbs, 1.5);
    EXPECT_FALSE(kiln::test::withinBudget(d));
    // Off by exactly 24 is not bad; by 25 is.
    EXPECT_EQ(kiln::test::diffImages(base, withRedOff(base, 600, 24)).badFraction, 0.0);
    EXPECT_DOUBLE_EQ(kiln::test::diffImages(base, withRedOff(base, 600, 25)).badFraction, 0.006);
}

TEST(ImageCompare, AlphaIsIgnoredAndRgbMatchesRgba) {
    auto rgba = solid(4, 100);
    for (std::size_t p = 0; p < rgba.pixelCount(); ++p) rgba.u8[p * 4 + 3] = 0;
    EXPECT_EQ(kiln::test::diffImages(rgba, solid(3, 100)).meanAbs, 0.0);
}

TEST(ImageCompare, DiffImageAmplifiesTheErrorFourTimes) {
    const auto d = kiln::test::diffImages(solid(3, 100), withRedOff(solid(3, 100), 1, 10));
    ASSERT_EQ(d.image.channels, 3);
    EXPECT_EQ(d.image.u8[0], 40);
    EXPECT_EQ(d.image.u8[1], 0);
    EXPECT_EQ(d.image.u8[3], 0);
}

TEST(ImageCompare, ImagesThatCannotBeComparedAreErrors) {
    EXPECT_THROW((void)kiln::test::diffImages(solid(3, 0), kiln::core::Image::makeU8(kW, kH + 1, 3)), kiln::Error);
    EXPECT_THROW((void)kiln::test::diffImages(solid(3, 0), kiln::core::Image::makeU8(kW, kH, 1)), kiln::Error);
}

TEST(ImageCompare, ADifferentBaselineFails) {
    const auto duck = baseline("Duck"), normals = baseline("Duck_normals");
    EXPECT_TRUE(kiln::test::withinBudget(kiln::test::diffImages(duck, duck)));
    EXPECT_FALSE(kiln::test::withinBudget(kiln::test::diffImages(duck, normals)));
}
