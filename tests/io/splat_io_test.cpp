#include "io/splat_io.h"

#include "core/error.h"

#include <gtest/gtest.h>

#include <glm/geometric.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using kiln::core::GaussianCloud;
namespace io = kiln::io;

namespace {

constexpr std::size_t kBikerPlyCount = 7638;
constexpr std::size_t kBikerSpzCount = 152746;
constexpr std::size_t kBikerSubsample = 20;  // biker_inria_sub20.ply holds every 20th splat of biker.spz
constexpr std::size_t kGuitarCount = 90854;

fs::path splatData(const std::string& name) { return fs::path(KILN_TESTDATA_DIR) / "splats" / name; }

// A fresh folder per test (and process), so parallel ctest runs never share files.
fs::path scratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const fs::path dir = fs::path(KILN_TEST_OUTPUT_DIR) / "splat_io" /
                         (std::string(info->test_suite_name()) + "." + info->name() + "." + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::vector<std::uint8_t> readBytes(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void writeBytes(const fs::path& path, const void* data, std::size_t size) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(static_cast<const char*>(data), std::streamsize(size));
}

void writeText(const fs::path& path, const std::string& text) { writeBytes(path, text.data(), text.size()); }

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

void expectFinite(const GaussianCloud& c) {
    c.validate("cloud");
    std::size_t bad = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        for (int k = 0; k < 3; ++k) bad += !std::isfinite(c.positions[i][k]) + !std::isfinite(c.logScales[i][k]);
        for (int k = 0; k < 4; ++k) bad += !std::isfinite(c.rotations[i][k]);
        bad += !std::isfinite(c.opacityLogits[i]);
    }
    for (float v : c.sh) bad += !std::isfinite(v);
    EXPECT_EQ(bad, 0u);
}

float quatDot(const glm::vec4& a, const glm::vec4& b) { return std::abs(glm::dot(glm::normalize(a), glm::normalize(b))); }

// Expects `call` to throw kiln::Error naming the file; anything else (or no throw) fails.
template <class F>
void expectErrorNaming(F&& call, const fs::path& path, const std::string& context) {
    try {
        call();
        ADD_FAILURE() << context << ": no error for " << path;
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find(path.filename().string()), std::string::npos) << context << ": " << e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << context << ": non-kiln exception: " << e.what();
    }
}

GaussianCloud randomCloud(std::size_t n, int degree, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    GaussianCloud c;
    c.resize(n, degree);
    for (std::size_t i = 0; i < n; ++i) {
        c.positions[i] = {u(rng) * 20.0f, u(rng) * 20.0f, u(rng) * 20.0f};
        c.logScales[i] = {u(rng) * 4.0f - 3.0f, u(rng) * 4.0f - 3.0f, u(rng) * 4.0f - 3.0f};
        c.rotations[i] = glm::normalize(glm::vec4(u(rng), u(rng), u(rng), u(rng)) + glm::vec4(0.01f, 0, 0, 0));
        c.opacityLogits[i] = u(rng) * 4.0f;
    }
    for (float& v : c.sh) v = u(rng) * 0.9f;
    return c;
}

// Little helper for hand-made binary PLY files in either byte order.
struct PlyBytes {
    bool bigEndian = false;
    std::vector<std::uint8_t> bytes;
    template <class T>
    void put(T v) {
        std::uint8_t b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        if (bigEndian) std::reverse(b, b + sizeof(T));
        bytes.insert(bytes.end(), b, b + sizeof(T));
    }
};

} // namespace

// ---- INRIA PLY ----------------------------------------------------------------------------------

TEST(SplatPly, ReadsInriaBiker) {
    const GaussianCloud c = io::readSplatPly(splatData("biker_inria_sub20.ply"));
    ASSERT_EQ(c.size(), kBikerPlyCount);
    EXPECT_EQ(c.shDegree, 3);
    expectFinite(c);
    // The fixture is SH0 data stored with zero f_rest.
    for (std::size_t i = 0; i < c.size(); ++i)
        for (int k = 1; k < 16; ++k)
            for (int ch = 0; ch < 3; ++ch) ASSERT_EQ(c.sh[(i * 16 + std::size_t(k)) * 3 + std::size_t(ch)], 0.0f);
    const auto b = kiln::core::computeBounds(c);
    for (int k = 0; k < 3; ++k) {
        EXPECT_LT(b.max[k] - b.min[k], 100.0f);
        EXPECT_GT(b.max[k] - b.min[k], 0.01f);
    }
}

TEST(SplatPly, RoundTripIsExact) {
    const fs::path dir = scratchDir();
    const GaussianCloud a = io::readSplatPly(splatData("biker_inria_sub20.ply"));
    io::writeSplatPly(a, dir / "biker.ply");
    const GaussianCloud b = io::readSplatPly(dir / "biker.ply");
    ASSERT_EQ(b.size(), a.size());
    EXPECT_EQ(b.shDegree, a.shDegree);
    EXPECT_EQ(b.positions, a.positions);
    EXPECT_EQ(b.logScales, a.logScales);
    EXPECT_EQ(b.rotations, a.rotations);
    EXPECT_EQ(b.opacityLogits, a.opacityLogits);
    EXPECT_EQ(b.sh, a.sh);
    EXPECT_TRUE(io::looksLikeSplatPly(dir / "biker.ply"));
}

TEST(SplatPly, WritesRestChannelMajorAndReadsItBack) {
    const fs::path dir = scratchDir();
    const GaussianCloud a = randomCloud(50, 3, 7);
    io::writeSplatPly(a, dir / "random.ply");
    const GaussianCloud b = io::readSplatPly(dir / "random.ply");
    EXPECT_EQ(b.sh, a.sh);
    EXPECT_EQ(b.positions, a.positions);

    // INRIA layout: x y z nx ny nz f_dc_0..2 f_rest_0..44 (all R, then G, then B) opacity ...
    const std::vector<std::uint8_t> bytes = readBytes(dir / "random.ply");
    const std::string text(bytes.begin(), bytes.end());
    const std::size_t dataStart = text.find("end_header\n") + 11;
    ASSERT_NE(text.find("property float f_rest_44\n"), std::string::npos);
    ASSERT_NE(text.find("property float nx\n"), std::string::npos);
    const auto fileFloat = [&](std::size_t row, std::size_t column) {
        float v;
        std::memcpy(&v, bytes.data() + dataStart + (row * 62 + column) * 4, 4);
        return v;
    };
    for (std::size_t i : {std::size_t(0), std::size_t(49)}) {
        EXPECT_EQ(fileFloat(i, 3), 0.0f);                                // nx
        EXPECT_EQ(fileFloat(i, 6 + 1), a.sh[i * 48 + 1]);                // f_dc_1 = DC green
        EXPECT_EQ(fileFloat(i, 9 + 0), a.sh[(i * 16 + 1) * 3 + 0]);      // f_rest_0 = coeff 1, red
        EXPECT_EQ(fileFloat(i, 9 + 14), a.sh[(i * 16 + 15) * 3 + 0]);    // f_rest_14 = coeff 15, red
        EXPECT_EQ(fileFloat(i, 9 + 15), a.sh[(i * 16 + 1) * 3 + 1]);     // f_rest_15 = coeff 1, green
        EXPECT_EQ(fileFloat(i, 9 + 44), a.sh[(i * 16 + 15) * 3 + 2]);    // f_rest_44 = coeff 15, blue
        EXPECT_EQ(fileFloat(i, 54), a.opacityLogits[i]);
        EXPECT_EQ(fileFloat(i, 58), a.rotations[i].x);                   // rot_0 = w
    }
}

// Properties are found by name whatever their order and type; unknown properties and other
// elements (including ones with list properties) are skipped. Both byte orders are accepted.
TEST(SplatPly, ReadsPropertiesByNameInAnyOrderAndType) {
    const fs::path dir = scratchDir();
    for (bool bigEndian : {false, true}) {
        PlyBytes d{bigEndian, {}};
        std::string header = std::string("ply\nformat ") + (bigEndian ? "binary_big_endian" : "binary_little_endian") +
                             " 1.0\ncomment hand made\nelement camera 2\nproperty float fx\nproperty list uchar int ids\n"
                             "element vertex 2\nproperty uchar extra\nproperty float rot_3\nproperty float rot_2\n"
                             "property float rot_1\nproperty float rot_0\nproperty double z\nproperty double y\n"
                             "property double x\nproperty float opacity\nproperty short f_dc_0\nproperty float f_dc_1\n"
                             "property float f_dc_2\nproperty float scale_2\nproperty float scale_1\nproperty float scale_0\n"
                             "end_header\n";
        d.bytes.assign(header.begin(), header.end());
        d.put(1.5f), d.put(std::uint8_t(2)), d.put(std::int32_t(7)), d.put(std::int32_t(8));
        d.put(2.5f), d.put(std::uint8_t(0));
        for (int i = 0; i < 2; ++i) {
            const float s = float(i + 1);
            d.put(std::uint8_t(99));
            d.put(0.4f * s), d.put(0.3f * s), d.put(0.2f * s), d.put(0.1f * s);
            d.put(3.0 * s), d.put(2.0 * s), d.put(1.0 * s);
            d.put(-0.5f * s);
            d.put(std::int16_t(-2 * i));
            d.put(0.25f * s), d.put(0.5f * s);
            d.put(-3.0f * s), d.put(-2.0f * s), d.put(-1.0f * s);
        }
        const fs::path path = dir / (bigEndian ? "be.ply" : "le.ply");
        writeBytes(path, d.bytes.data(), d.bytes.size());
        EXPECT_TRUE(io::looksLikeSplatPly(path));
        const GaussianCloud c = io::readSplatPly(path);
        ASSERT_EQ(c.size(), 2u);
        EXPECT_EQ(c.shDegree, 0);
        for (int i = 0; i < 2; ++i) {
            const float s = float(i + 1);
            const std::size_t u = std::size_t(i);
            EXPECT_EQ(c.positions[u], glm::vec3(1.0f * s, 2.0f * s, 3.0f * s));
            EXPECT_EQ(c.logScales[u], glm::vec3(-1.0f * s, -2.0f * s, -3.0f * s));
            EXPECT_EQ(c.rotations[u], glm::vec4(0.1f * s, 0.2f * s, 0.3f * s, 0.4f * s));
            EXPECT_EQ(c.opacityLogits[u], -0.5f * s);
            EXPECT_EQ(c.sh[u * 3 + 0], float(-2 * i));
            EXPECT_EQ(c.sh[u * 3 + 1], 0.25f * s);
            EXPECT_EQ(c.sh[u * 3 + 2], 0.5f * s);
        }
    }
}

TEST(SplatPly, ReadsAscii) {
    const fs::path dir = scratchDir();
    std::string text = "ply\r\nformat ascii 1.0\r\nelement vertex 2\r\n";
    for (const char* p : {"x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2"}) text += std::string("property float ") + p + "\r\n";
    for (int k = 0; k < 9; ++k) text += "property float f_rest_" + std::to_string(k) + "\r\n";
    for (const char* p : {"opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"})
        text += std::string("property float ") + p + "\r\n";
    text += "element face 0\r\nproperty list uchar int vertex_indices\r\nend_header\r\n";
    text += "1 2 3  0.1 0.2 0.3  1 2 3 4 5 6 7 8 9  0.5  -1 -2 -3  1 0 0 0\r\n";
    text += "-1e2 2.5e-1 0 0 0 0 0 0 0 0 0 0 0 0 0 -0.5 -1 -1 -1 0 1 0 0\r\n";
    writeText(dir / "ascii.ply", text);
    EXPECT_TRUE(io::looksLikeSplatPly(dir / "ascii.ply"));
    const GaussianCloud c = io::readSplatPly(dir / "ascii.ply");
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c.shDegree, 1);
    EXPECT_EQ(c.positions[0], glm::vec3(1, 2, 3));
    EXPECT_EQ(c.positions[1], glm::vec3(-100.0f, 0.25f, 0.0f));
    EXPECT_EQ(c.logScales[0], glm::vec3(-1, -2, -3));
    EXPECT_EQ(c.rotations[1], glm::vec4(0, 1, 0, 0));
    // f_rest 1..9 channel-major: R coefficients 1,2,3 then G 4,5,6 then B 7,8,9.
    EXPECT_EQ(c.sh[1 * 3 + 0], 1.0f);
    EXPECT_EQ(c.sh[3 * 3 + 0], 3.0f);
    EXPECT_EQ(c.sh[1 * 3 + 1], 4.0f);
    EXPECT_EQ(c.sh[2 * 3 + 2], 8.0f);
}

TEST(SplatPly, LooksLikeSplatPly) {
    const fs::path dir = scratchDir();
    EXPECT_TRUE(io::looksLikeSplatPly(splatData("biker_inria_sub20.ply")));
    EXPECT_TRUE(io::looksLikeSplatPly(splatData("guitar.compressed.ply")));

    writeText(dir / "mesh.ply",
              "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
              "element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n");
    EXPECT_FALSE(io::looksLikeSplatPly(dir / "mesh.ply"));
    expectErrorNaming([&] { io::readSplatPly(dir / "mesh.ply"); }, dir / "mesh.ply", "mesh PLY");

    // 3DGS properties but also faces: a mesh, not a splat cloud.
    std::string withFaces = "ply\nformat ascii 1.0\nelement vertex 0\n";
    for (const char* p : {"x", "y", "z", "f_dc_0", "opacity", "scale_0", "rot_0"}) withFaces += std::string("property float ") + p + "\n";
    writeText(dir / "faces.ply", withFaces + "element face 2\nproperty list uchar int vertex_indices\nend_header\n");
    EXPECT_FALSE(io::looksLikeSplatPly(dir / "faces.ply"));

    writeText(dir / "points.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                                  "property float z\nend_header\n1 2 3\n");
    EXPECT_FALSE(io::looksLikeSplatPly(dir / "points.ply"));
    writeText(dir / "noise.ply", "this is not a ply file at all");
    EXPECT_FALSE(io::looksLikeSplatPly(dir / "noise.ply"));
    EXPECT_FALSE(io::looksLikeSplatPly(dir / "missing.ply"));
}

TEST(SplatPly, RejectsUnsupportedContent) {
    const fs::path dir = scratchDir();
    std::string base = "ply\nformat ascii 1.0\nelement vertex 1\n";
    for (const char* p : {"x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2", "rot_0",
                          "rot_1", "rot_2", "rot_3"})
        base += std::string("property float ") + p + "\n";

    std::string tenRest = base;
    for (int k = 0; k < 10; ++k) tenRest += "property float f_rest_" + std::to_string(k) + "\n";
    writeText(dir / "rest10.ply", tenRest + "end_header\n" + std::string(24 * 2, ' ') + "\n");
    try {
        io::readSplatPly(dir / "rest10.ply");
        ADD_FAILURE() << "10 f_rest properties accepted";
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("rest10.ply: unsupported number of f_rest"), std::string::npos) << e.what();
    }

    writeText(dir / "nan.ply", base + "end_header\nnan 0 0 0 0 0 0 0 0 0 1 0 0 0\n");
    try {
        io::readSplatPly(dir / "nan.ply");
        ADD_FAILURE() << "NaN position accepted";
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("nan.ply: non-finite position"), std::string::npos) << e.what();
    }

    writeText(dir / "short.ply", base + "end_header\n1 2 3\n");
    expectErrorNaming([&] { io::readSplatPly(dir / "short.ply"); }, dir / "short.ply", "short ascii");

    // A huge declared count must be rejected before anything is allocated for it.
    std::string huge = base;
    huge.replace(huge.find("vertex 1"), 8, "vertex 4000000000000");
    huge.replace(huge.find("ascii"), 5, "binary_little_endian");
    writeText(dir / "huge.ply", huge + "end_header\n" + std::string(100, '\0'));
    expectErrorNaming([&] { io::readSplatPly(dir / "huge.ply"); }, dir / "huge.ply", "huge count");
}

TEST(SplatPly, ReadsPlayCanvasCompressed) {
    const fs::path path = splatData("guitar.compressed.ply");
    GaussianCloud c;
    try {
        c = io::readSplatPly(path);
    } catch (const kiln::Error& e) {
        // The only acceptable failure is a clear "unsupported variant".
        EXPECT_NE(std::string(e.what()).find("guitar.compressed.ply: unsupported PLY variant (PlayCanvas compressed"), std::string::npos)
            << e.what();
        return;
    }
    const std::vector<std::uint8_t> bytes = readBytes(path);
    const std::string head(bytes.begin(), bytes.begin() + 1000);
    ASSERT_NE(head.find("element vertex " + std::to_string(kGuitarCount) + "\n"), std::string::npos);
    ASSERT_EQ(c.size(), kGuitarCount);
    EXPECT_EQ(c.shDegree, 0);
    expectFinite(c);
    const auto b = kiln::core::computeBounds(c);
    for (int k = 0; k < 3; ++k) {
        EXPECT_LT(b.max[k] - b.min[k], 100.0f);
        EXPECT_GT(b.max[k] - b.min[k], 0.01f);
    }
    float maxNormError = 0.0f;
    std::size_t brightOrDark = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        maxNormError = std::max(maxNormError, std::abs(glm::length(c.rotations[i]) - 1.0f));
        for (int k = 0; k < 3; ++k) {
            EXPECT_GT(c.logScales[i][k], -25.0f);
            EXPECT_LT(c.logScales[i][k], 10.0f);
            // DC colours may leave [0, 1] (SH bands pull them back); the chunk ranges here reach 1.75.
            const float colour = 0.5f + kiln::core::kShC0 * c.sh[i * 3 + std::size_t(k)];
            brightOrDark += colour < -1.0f || colour > 2.5f;
        }
    }
    EXPECT_LT(maxNormError, 2e-3f);  // smallest-three with 10 bits
    EXPECT_EQ(brightOrDark, 0u);
}

// ---- SPZ ----------------------------------------------------------------------------------------

// biker_inria_sub20.ply was made from biker.spz (splat-transform, every 20th splat), so reading the
// SPZ v4 (zstd streams, RUB axes) must give the same values in Kiln's RDF convention.
TEST(SplatSpz, ReadsBikerV4AndMatchesItsPlyExport) {
    const GaussianCloud spz = io::readSpz(splatData("biker.spz"));
    ASSERT_EQ(spz.size(), kBikerSpzCount);
    EXPECT_EQ(spz.shDegree, 0);
    expectFinite(spz);
    const GaussianCloud ply = io::readSplatPly(splatData("biker_inria_sub20.ply"));
    ASSERT_EQ(ply.size(), (kBikerSpzCount + kBikerSubsample - 1) / kBikerSubsample);
    for (std::size_t i = 0; i < ply.size(); ++i) {
        const std::size_t j = i * kBikerSubsample;
        ASSERT_LT(glm::length(ply.positions[i] - spz.positions[j]), 1e-6f) << i;
        ASSERT_LT(glm::length(ply.logScales[i] - spz.logScales[j]), 1e-6f) << i;
        ASSERT_GT(quatDot(ply.rotations[i], spz.rotations[j]), 0.99999f) << i;
        for (std::size_t ch = 0; ch < 3; ++ch) ASSERT_NEAR(ply.sh[i * 48 + ch], spz.sh[j * 3 + ch], 1e-5f) << i;
        // The export clamped the 13 infinite logits of alpha bytes 0/255 to +-20.
        if (std::abs(ply.opacityLogits[i]) < 19.0f) ASSERT_NEAR(ply.opacityLogits[i], spz.opacityLogits[j], 1e-4f) << i;
        else ASSERT_NEAR(sigmoid(ply.opacityLogits[i]), sigmoid(spz.opacityLogits[j]), 0.5f / 255.0f) << i;
    }
}

TEST(SplatSpz, RoundTripFromPlyWithinQuantisation) {
    const fs::path dir = scratchDir();
    const GaussianCloud a = io::readSplatPly(splatData("biker_inria_sub20.ply"));
    io::writeSpz(a, dir / "biker.spz");
    const std::vector<std::uint8_t> file = readBytes(dir / "biker.spz");
    ASSERT_GE(file.size(), 2u);
    EXPECT_EQ(file[0], 0x1f);  // gzip
    EXPECT_EQ(file[1], 0x8b);
    const GaussianCloud b = io::readSpz(dir / "biker.spz");
    ASSERT_EQ(b.size(), a.size());
    ASSERT_EQ(b.shDegree, a.shDegree);
    expectFinite(b);

    // Tolerances are the reference quantisation steps: positions 1/2^12 (half a step of rounding),
    // log scales 1/16, alpha 1/255, DC colour 1/(0.15 * 255), rotation 9 bits of sqrt(1/2).
    const float positionTolerance = 0.5f / 4096.0f + 1e-5f;
    for (std::size_t i = 0; i < a.size(); ++i) {
        for (int k = 0; k < 3; ++k) {
            ASSERT_NEAR(a.positions[i][k], b.positions[i][k], positionTolerance) << i;
            ASSERT_NEAR(std::clamp(a.logScales[i][k], -10.0f, 5.9375f), b.logScales[i][k], 0.5f / 16.0f + 1e-5f) << i;
            const float dc = std::clamp(a.sh[i * 48 + std::size_t(k)], -127.5f / 38.25f, 127.5f / 38.25f);
            ASSERT_NEAR(dc, b.sh[i * 48 + std::size_t(k)], 0.5f / 38.25f + 1e-4f) << i;
        }
        ASSERT_NEAR(sigmoid(a.opacityLogits[i]), sigmoid(b.opacityLogits[i]), 0.5f / 255.0f + 1e-4f) << i;
        ASSERT_GT(quatDot(a.rotations[i], b.rotations[i]), 0.9995f) << i;
        for (int k = 1; k < 16; ++k)
            for (int ch = 0; ch < 3; ++ch) ASSERT_EQ(b.sh[(i * 16 + std::size_t(k)) * 3 + std::size_t(ch)], 0.0f);
    }
}

TEST(SplatSpz, RoundTripKeepsShAndSignConventions) {
    const fs::path dir = scratchDir();
    for (int degree = 0; degree <= 3; ++degree) {
        const GaussianCloud a = randomCloud(300, degree, 11u + unsigned(degree));
        const fs::path path = dir / ("random" + std::to_string(degree) + ".spz");
        io::writeSpz(a, path);
        const GaussianCloud b = io::readSpz(path);
        ASSERT_EQ(b.size(), a.size());
        ASSERT_EQ(b.shDegree, degree);
        const int coeffs = a.coeffCount();
        for (std::size_t i = 0; i < a.size(); ++i) {
            EXPECT_LT(glm::length(a.positions[i] - b.positions[i]), 1e-3f);
            EXPECT_GT(quatDot(a.rotations[i], b.rotations[i]), 0.9995f);
            for (int k = 1; k < coeffs; ++k) {
                // 8-bit (x * 128 + 128) rounded to 5-bit buckets for degree 1, 4-bit above.
                const float tolerance = (k <= 3 ? 4.5f : 8.5f) / 128.0f + 1e-5f;
                for (int ch = 0; ch < 3; ++ch) {
                    const std::size_t s = (i * std::size_t(coeffs) + std::size_t(k)) * 3 + std::size_t(ch);
                    ASSERT_NEAR(a.sh[s], b.sh[s], tolerance) << "degree " << degree << " splat " << i << " coeff " << k;
                }
            }
        }
    }
}

TEST(SplatSpz, WriterShrinksFractionalBitsForLargeCoordinates) {
    const fs::path dir = scratchDir();
    GaussianCloud a = randomCloud(10, 0, 3);
    a.positions[3] = {5000.0f, -12000.5f, 0.25f};
    io::writeSpz(a, dir / "large.spz");
    const GaussianCloud b = io::readSpz(dir / "large.spz");
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_LT(glm::length(a.positions[i] - b.positions[i]), 0.01f) << i;
}

// splat-transform's minimal fixtures: four isotropic splats (scale 0.1, alpha byte 230) at
// (-1|0, 0, -1|0) in PLY axes, as minimal.splat holds them.
TEST(SplatSpz, ReadsMinimalFixtures) {
    const GaussianCloud ref = io::readSplatFile(splatData("minimal/splat/minimal.splat"));
    ASSERT_EQ(ref.size(), 4u);
    for (const char* name : {"minimal-v2.spz", "minimal-v3.spz", "minimal-v4.spz", "minimal-raw.spz"}) {
        SCOPED_TRACE(name);
        const GaussianCloud c = io::readSpz(splatData(std::string("minimal/splat/") + name));
        ASSERT_EQ(c.size(), 4u);
        EXPECT_EQ(c.shDegree, 0);
        expectFinite(c);
        for (std::size_t i = 0; i < 4; ++i) {
            for (int k = 0; k < 3; ++k) {
                EXPECT_NEAR(c.logScales[i][k], std::log(0.1f), 1.0f / 32.0f);
                // v2 and raw were written without the RUB axis flip the reference applies (and
                // with C0 instead of 0.15 for colour), so only magnitudes agree there.
                EXPECT_NEAR(std::abs(c.positions[i][k]), std::abs(ref.positions[i][k]), 1.0f / 256.0f);
            }
            EXPECT_NEAR(sigmoid(c.opacityLogits[i]), 230.0f / 255.0f, 1e-4f);
        }
        if (std::string(name) == "minimal-v3.spz" || std::string(name) == "minimal-v4.spz") {
            for (std::size_t i = 0; i < 4; ++i) {
                EXPECT_LT(glm::length(c.positions[i] - ref.positions[i]), 1.0f / 256.0f) << i;
                for (std::size_t ch = 0; ch < 3; ++ch)
                    EXPECT_NEAR(0.5f + kiln::core::kShC0 * c.sh[i * 3 + ch], 0.5f + kiln::core::kShC0 * ref.sh[i * 3 + ch], 0.02f) << i;
            }
        }
    }
    // v4 (zstd streams) and v3 (gzip) hold the same data.
    const GaussianCloud v3 = io::readSpz(splatData("minimal/splat/minimal-v3.spz"));
    const GaussianCloud v4 = io::readSpz(splatData("minimal/splat/minimal-v4.spz"));
    EXPECT_EQ(v3.positions, v4.positions);
    EXPECT_EQ(v3.sh, v4.sh);
    EXPECT_EQ(v3.rotations, v4.rotations);
}

TEST(SplatSpz, RejectsAbsurdHeaders) {
    const fs::path dir = scratchDir();
    // v4 header claiming 4 billion splats in a 64-byte file.
    std::vector<std::uint8_t> v4(64, 0);
    const std::uint32_t v4Header[3] = {0x5053474e, 4, 0xFFFFFFFFu};
    std::memcpy(v4.data(), v4Header, sizeof(v4Header));
    v4[13] = 12;
    v4[15] = 5;
    v4[16] = 32;
    writeBytes(dir / "huge4.spz", v4.data(), v4.size());
    expectErrorNaming([&] { io::readSpz(dir / "huge4.spz"); }, dir / "huge4.spz", "v4 count");

    // Uncompressed legacy header claiming 100 million splats.
    std::vector<std::uint8_t> v2(200, 0);
    const std::uint32_t v2Header[3] = {0x5053474e, 2, 100000000u};
    std::memcpy(v2.data(), v2Header, sizeof(v2Header));
    writeBytes(dir / "huge2.spz", v2.data(), v2.size());
    expectErrorNaming([&] { io::readSpz(dir / "huge2.spz"); }, dir / "huge2.spz", "v2 count");

    // Version 5 and SH degree 4 are clear errors.
    std::vector<std::uint8_t> v5(v4);
    v5[4] = 5;
    writeBytes(dir / "v5.spz", v5.data(), v5.size());
    try {
        io::readSpz(dir / "v5.spz");
        ADD_FAILURE() << "version 5 accepted";
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("v5.spz: unsupported SPZ version 5"), std::string::npos) << e.what();
    }
    std::vector<std::uint8_t> deg4(v2);
    const std::uint32_t one = 1;
    std::memcpy(deg4.data() + 8, &one, 4);
    deg4[12] = 4;
    writeBytes(dir / "deg4.spz", deg4.data(), deg4.size());
    expectErrorNaming([&] { io::readSpz(dir / "deg4.spz"); }, dir / "deg4.spz", "degree 4");
}

// ---- antimatter15 .splat --------------------------------------------------------------------------

TEST(SplatFile, ReadsMinimal) {
    const GaussianCloud c = io::readSplatFile(splatData("minimal/splat/minimal.splat"));
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c.shDegree, 0);
    expectFinite(c);
    EXPECT_EQ(c.positions[0], glm::vec3(-1, 0, -1));
    EXPECT_EQ(c.positions[3], glm::vec3(0, 0, 0));
    EXPECT_NEAR(c.logScales[2].y, std::log(0.1f), 1e-6f);
    EXPECT_NEAR(sigmoid(c.opacityLogits[1]), 230.0f / 255.0f, 1e-5f);
}

TEST(SplatFile, RoundTripFromPlyWithin8BitQuantisation) {
    const fs::path dir = scratchDir();
    const GaussianCloud a = io::readSplatPly(splatData("biker_inria_sub20.ply"));
    io::writeSplatFile(a, dir / "biker.splat");
    EXPECT_EQ(fs::file_size(dir / "biker.splat"), a.size() * 32);
    const GaussianCloud b = io::readSplatFile(dir / "biker.splat");
    ASSERT_EQ(b.size(), a.size());
    EXPECT_EQ(b.shDegree, 0);  // higher SH is dropped
    expectFinite(b);
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a.positions[i], b.positions[i]) << i;
        for (int k = 0; k < 3; ++k) {
            ASSERT_NEAR(a.logScales[i][k], b.logScales[i][k], 1e-5f) << i;
            const float colour = std::clamp(0.5f + kiln::core::kShC0 * a.sh[i * 48 + std::size_t(k)], 0.0f, 1.0f);
            ASSERT_NEAR(colour, 0.5f + kiln::core::kShC0 * b.sh[i * 3 + std::size_t(k)], 0.5f / 255.0f + 1e-5f) << i;
        }
        ASSERT_NEAR(sigmoid(a.opacityLogits[i]), sigmoid(b.opacityLogits[i]), 0.5f / 255.0f + 1e-5f) << i;
        ASSERT_GT(quatDot(a.rotations[i], b.rotations[i]), 0.999f) << i;
    }
}

// ---- broken input -----------------------------------------------------------------------------------

TEST(SplatRobustness, TruncatedFilesThrowNamingTheFile) {
    const fs::path dir = scratchDir();
    struct Source {
        const char* file;
        const char* extension;
    };
    const Source sources[] = {{"biker_inria_sub20.ply", ".ply"},        {"guitar.compressed.ply", ".ply"},
                              {"biker.spz", ".spz"},                    {"minimal/splat/minimal-v2.spz", ".spz"},
                              {"minimal/splat/minimal-v3.spz", ".spz"}, {"minimal/splat/minimal-v4.spz", ".spz"},
                              {"minimal/splat/minimal-raw.spz", ".spz"}, {"minimal/splat/minimal.splat", ".splat"}};
    int index = 0;
    for (const Source& s : sources) {
        const std::vector<std::uint8_t> bytes = readBytes(splatData(s.file));
        ASSERT_FALSE(bytes.empty()) << s.file;
        std::vector<std::size_t> lengths = {0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 33, 47, 100, 500, 1000};
        for (std::size_t fraction : {2, 3, 4, 5, 7}) lengths.push_back(bytes.size() / fraction);
        for (std::size_t back : {1, 2, 4, 9, 31}) lengths.push_back(bytes.size() - std::min(back, bytes.size()));
        for (std::size_t n : lengths) {
            if (n >= bytes.size()) continue;
            if (std::string(s.extension) == ".splat" && n > 0 && n % 32 == 0) continue;  // still a valid .splat
            const fs::path path = dir / ("cut" + std::to_string(index) + "_" + std::to_string(n) + s.extension);
            writeBytes(path, bytes.data(), n);
            const std::string context = std::string(s.file) + " cut to " + std::to_string(n) + " bytes";
            if (std::string(s.extension) == ".ply") expectErrorNaming([&] { io::readSplatPly(path); }, path, context);
            else if (std::string(s.extension) == ".spz") expectErrorNaming([&] { io::readSpz(path); }, path, context);
            else expectErrorNaming([&] { io::readSplatFile(path); }, path, context);
        }
        ++index;
    }
}

TEST(SplatRobustness, RandomBytesThrowNamingTheFile) {
    const fs::path dir = scratchDir();
    std::mt19937 rng(1234);
    const std::vector<std::string> prefixes = {"", "ply\n", "ply\nformat binary_little_endian 1.0\nelement vertex 100\n",
                                               std::string("\x1f\x8b\x08\x00", 4), std::string("NGSP\x04\x00\x00\x00", 8),
                                               std::string("NGSP\x02\x00\x00\x00\x10\x00\x00\x00", 12)};
    int index = 0;
    for (std::size_t size : {1, 9, 50, 1000, 4104}) {
        for (const std::string& prefix : prefixes) {
            std::vector<std::uint8_t> bytes(prefix.begin(), prefix.end());
            while (bytes.size() < prefix.size() + size) bytes.push_back(std::uint8_t(rng()));
            for (const char* extension : {".ply", ".spz", ".splat"}) {
                if (std::string(extension) == ".splat" && bytes.size() % 32 == 0) bytes.push_back(0);
                const fs::path path = dir / ("random" + std::to_string(index++) + extension);
                writeBytes(path, bytes.data(), bytes.size());
                const std::string context = "random " + std::to_string(bytes.size()) + " bytes";
                if (std::string(extension) == ".ply") expectErrorNaming([&] { io::readSplatPly(path); }, path, context);
                else if (std::string(extension) == ".spz") expectErrorNaming([&] { io::readSpz(path); }, path, context);
                else expectErrorNaming([&] { io::readSplatFile(path); }, path, context);
            }
        }
    }
}

// Flipped bytes inside the compressed streams must never crash: either a clear error or a cloud
// of the declared size (the zstd streams carry no checksum, so some damage goes unnoticed).
TEST(SplatRobustness, CorruptedCompressedDataNeverCrashes) {
    const fs::path dir = scratchDir();
    std::mt19937 rng(99);
    for (const char* file : {"biker.spz", "minimal/splat/minimal-v3.spz", "minimal/splat/minimal-v4.spz"}) {
        const std::vector<std::uint8_t> original = readBytes(splatData(file));
        for (int iter = 0; iter < 40; ++iter) {
            std::vector<std::uint8_t> bytes = original;
            const std::size_t start = std::size_t(std::min<std::size_t>(bytes.size() - 1, 10 + rng() % (bytes.size() - 10)));
            for (int k = 0; k < 1 + iter % 5; ++k) bytes[std::min(bytes.size() - 1, start + rng() % 64)] ^= std::uint8_t(1 + rng() % 255);
            const fs::path path = dir / ("corrupt" + std::to_string(iter) + ".spz");
            writeBytes(path, bytes.data(), bytes.size());
            try {
                const GaussianCloud c = io::readSpz(path);
                c.validate("corrupt");
            } catch (const kiln::Error& e) {
                EXPECT_NE(std::string(e.what()).find(path.filename().string()), std::string::npos) << e.what();
            }
        }
    }
}
