#include "test_util.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/image_io.h"

#include <fstream>

namespace fs = std::filesystem;
using kiln::test::scratchDir;
using kiln::test::testdata;

TEST(ImageIo, ReadsPngFromDiskAndMemory) {
    const fs::path png = testdata("gltf/VertexColorTest/glTF/VertexColorChecks.png");
    const auto a = kiln::io::readImage(png);
    const auto bytes = kiln::io::readFileBytes(png);
    const auto b = kiln::io::decodeImage(bytes, "VertexColorChecks.png");
    EXPECT_GT(a.width, 0);
    EXPECT_EQ(a.width, b.width);
    EXPECT_EQ(a.height, b.height);
    EXPECT_EQ(a.u8, b.u8);
}

TEST(ImageIo, RoundTripsEveryFormat) {
    const auto dir = scratchDir();
    kiln::core::Image img = kiln::core::Image::makeU8(17, 9, 3);
    for (std::size_t i = 0; i < img.u8.size(); ++i) img.u8[i] = std::uint8_t((i * 37) % 256);
    for (const char* ext : {".png", ".tif", ".exr", ".hdr", ".jpg"}) {
        const fs::path f = dir / (std::string("img") + ext);
        kiln::io::writeImage(img, f);
        const auto back = kiln::io::readImage(f);
        EXPECT_EQ(back.width, 17) << ext;
        EXPECT_EQ(back.height, 9) << ext;
        if (std::string(ext) == ".png" || std::string(ext) == ".tif") {
            EXPECT_EQ(back.u8, img.u8) << ext;
        }
        if (std::string(ext) == ".exr") {
            ASSERT_EQ(back.type, kiln::core::PixelType::F32);
            EXPECT_NEAR(back.at(3, 2, 1), img.at(3, 2, 1), 1e-3);
        }
    }
    // PNG encoding in memory decodes to the same pixels.
    const auto encoded = kiln::io::encodePng(img);
    EXPECT_EQ(kiln::io::decodeImage(encoded, "mem.png").u8, img.u8);
}

TEST(ImageIo, CorruptImageIsAClearError) {
    const auto dir = scratchDir();
    std::ofstream(dir / "bad.png") << "not a png at all";
    try {
        (void)kiln::io::readImage(dir / "bad.png");
        FAIL();
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("bad.png"), std::string::npos) << e.what();
    }
    const std::uint8_t junk[] = {1, 2, 3, 4};
    EXPECT_THROW((void)kiln::io::decodeImage(junk, "junk"), kiln::Error);
}
