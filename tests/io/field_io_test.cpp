// .kfield round trip and clean errors on every kind of damage.
#include "io/field_io.h"

#include "core/error.h"
#include "io/binary_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
namespace io = kiln::io;

namespace {

fs::path fieldDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const fs::path dir = fs::path(KILN_TEST_OUTPUT_DIR) / "field_io" / (std::string(info->name()) + "." + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void expectErrorNaming(const fs::path& file, const std::string& reason) {
    try {
        (void)io::loadField(file);
        FAIL() << "no error for " << file;
    } catch (const kiln::Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(file.filename().string()), std::string::npos) << msg;
        EXPECT_NE(msg.find(reason), std::string::npos) << msg;
    }
}

} // namespace

TEST(FieldIo, RoundTripIsExact) {
    const fs::path dir = fieldDir();
    const kiln::core::RadianceField f = kiln::core::makeDemoField(12);
    io::saveField(f, dir / "demo.kfield");
    EXPECT_EQ(fs::file_size(dir / "demo.kfield"), 8u + 4u + 12u + 24u + f.cellCount() * 16u);
    const kiln::core::RadianceField g = io::loadField(dir / "demo.kfield");
    EXPECT_EQ(g.resolution, f.resolution);
    EXPECT_EQ(g.bounds.min, f.bounds.min);
    EXPECT_EQ(g.bounds.max, f.bounds.max);
    EXPECT_EQ(g.density, f.density);
    EXPECT_EQ(g.color, f.color);
    EXPECT_TRUE(io::isFieldPath("A.KFIELD"));
}

TEST(FieldIo, RefusesToOverwriteAndLeavesNoTemporaries) {
    const fs::path dir = fieldDir();
    const auto f = kiln::core::makeDemoField(4);
    io::saveField(f, dir / "a.kfield");
    EXPECT_THROW(io::saveField(f, dir / "a.kfield"), kiln::Error);
    io::saveField(f, dir / "a.kfield", true);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
    kiln::core::RadianceField bad = f;
    bad.density.pop_back();
    EXPECT_THROW(io::saveField(bad, dir / "b.kfield"), kiln::Error);
    EXPECT_FALSE(fs::exists(dir / "b.kfield"));
}

TEST(FieldIo, DamagedFilesAreCleanErrors) {
    const fs::path dir = fieldDir();
    io::saveField(kiln::core::makeDemoField(6), dir / "good.kfield");
    const std::vector<std::uint8_t> good = io::readFileBytes(dir / "good.kfield");
    auto variant = [&](const std::string& name, auto&& edit) {
        std::vector<std::uint8_t> b = good;
        edit(b);
        io::writeFileBytes(dir / name, b);
        return dir / name;
    };
    expectErrorNaming(dir / "missing.kfield", "not found");
    expectErrorNaming(variant("empty.kfield", [](auto& b) { b.clear(); }), "truncated");
    expectErrorNaming(variant("magic.kfield", [](auto& b) { b[0] = 'X'; }), "bad magic");
    expectErrorNaming(variant("version.kfield", [](auto& b) { b[8] = 9; }), "version 9");
    expectErrorNaming(variant("header.kfield", [](auto& b) { b.resize(20); }), "truncated");
    expectErrorNaming(variant("cut.kfield", [](auto& b) { b.resize(b.size() - 5); }), "truncated");
    expectErrorNaming(variant("extra.kfield", [](auto& b) { b.push_back(0); }), "unexpected bytes");
    // A resolution of 1024^3 with a short file must fail on size, not allocate 16 GB.
    expectErrorNaming(variant("huge.kfield", [](auto& b) {
                          const std::int32_t r = 1024;
                          for (int a = 0; a < 3; ++a) std::memcpy(b.data() + 12 + 4 * a, &r, 4);
                      }),
                      "truncated");
    expectErrorNaming(variant("res.kfield", [](auto& b) {
                          const std::int32_t r = 0;
                          std::memcpy(b.data() + 12, &r, 4);
                      }),
                      "resolution");
    expectErrorNaming(variant("bounds.kfield", [](auto& b) {
                          const float lo = 5.0f;
                          std::memcpy(b.data() + 24, &lo, 4);
                      }),
                      "bounds");
    expectErrorNaming(variant("nan.kfield", [](auto& b) {
                          const float nan = std::numeric_limits<float>::quiet_NaN();
                          std::memcpy(b.data() + 48, &nan, 4);
                      }),
                      "not finite");
}
