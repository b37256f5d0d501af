// Model packs (models/packs.h): the tarball reader, half floats and the install's checks, on
// packages built here (no network). The real packs' conversions are tested in
// tests/models/packs_models_test.cpp.
#include "core/error.h"
#include "test_util.h"
#include "core/sha256.h"
#include "io/binary_reader.h"
#include "models/packs.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;
using namespace kiln;
using kiln::test::errorOf;

namespace {

fs::path outDir(const std::string& name) {
    const fs::path d = fs::path(KILN_TEST_OUTPUT_DIR) / "packs" / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// A ustar archive of `files`, gzip-compressed.
std::vector<std::uint8_t> tarGz(const std::map<std::string, std::string>& files) {
    std::vector<std::uint8_t> tar;
    for (const auto& [name, data] : files) {
        std::uint8_t h[512] = {};
        std::memcpy(h, name.data(), std::min<std::size_t>(name.size(), 99));
        std::snprintf(reinterpret_cast<char*>(h + 100), 8, "%07o", 0644);
        std::snprintf(reinterpret_cast<char*>(h + 108), 8, "%07o", 0);
        std::snprintf(reinterpret_cast<char*>(h + 116), 8, "%07o", 0);
        std::snprintf(reinterpret_cast<char*>(h + 124), 12, "%011o", unsigned(data.size()));
        std::snprintf(reinterpret_cast<char*>(h + 136), 12, "%011o", 0);
        h[156] = '0';
        std::memcpy(h + 257, "ustar", 5);
        std::memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (const std::uint8_t b : h) sum += b;
        std::snprintf(reinterpret_cast<char*>(h + 148), 8, "%06o", sum);
        tar.insert(tar.end(), h, h + 512);
        tar.insert(tar.end(), data.begin(), data.end());
        tar.resize((tar.size() + 511) / 512 * 512, 0);
    }
    tar.resize(tar.size() + 1024, 0);
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::vector<std::uint8_t> out(deflateBound(&z, uLong(tar.size())) + 64);
    z.next_in = tar.data();
    z.avail_in = uInt(tar.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

fs::path writeTarGz(const fs::path& path, const std::map<std::string, std::string>& files) {
    io::writeFileBytes(path, tarGz(files));
    return path;
}

std::string packageJson(const std::string& name, const std::string& version) {
    return nlohmann::json{{"name", name}, {"version", version}}.dump();
}

// An IS-Net-shaped package: resources.json listing two chunks named by their sha256.
std::map<std::string, std::string> isnetPackage(const std::string& version, bool tamper) {
    const std::string a(1000, 'a'), b(500, 'b');
    auto hash = [](const std::string& s) { return core::sha256Hex({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}); };
    nlohmann::json chunks = nlohmann::json::array();
    chunks.push_back({{"hash", hash(a)}, {"offsets", {0, 1000}}});
    chunks.push_back({{"hash", hash(b)}, {"offsets", {1000, 1500}}});
    const nlohmann::json resources{{"/models/medium", {{"size", 1500}, {"chunks", chunks}}}};
    std::string bTampered = b;
    if (tamper) bTampered[17] = 'c';
    return {{"package/package.json", packageJson("@imgly/background-removal-data", version)},
            {"package/dist/resources.json", resources.dump()},
            {"package/dist/" + hash(a), a},
            {"package/dist/" + hash(b), bTampered}};
}

} // namespace

TEST(Packs, HalfFloatsConvertExactly) {
    EXPECT_EQ(models::halfToFloat(0x3c00), 1.0f);
    EXPECT_EQ(models::halfToFloat(0xc000), -2.0f);
    EXPECT_EQ(models::halfToFloat(0x7bff), 65504.0f);
    EXPECT_EQ(models::halfToFloat(0x3555), 0.333251953125f);
    EXPECT_EQ(models::halfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
    EXPECT_EQ(models::halfToFloat(0x03ff), std::ldexp(1023.0f, -24));  // largest subnormal
    EXPECT_EQ(models::halfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
    EXPECT_TRUE(std::signbit(models::halfToFloat(0x8000)));
    EXPECT_EQ(models::halfToFloat(0x8000), 0.0f);
    EXPECT_TRUE(std::isinf(models::halfToFloat(0x7c00)));
    EXPECT_TRUE(std::isnan(models::halfToFloat(0x7e00)));
}

TEST(Packs, TarGzRoundTrip) {
    const fs::path dir = outDir("targz");
    const std::string big(70000, 'x');
    const auto path = writeTarGz(dir / "p.tgz", {{"package/a.txt", "hello"}, {"package/dir/big.bin", big}, {"package/empty", ""}});
    const auto files = models::readTarGz(path);
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(std::string(files.at("package/a.txt").begin(), files.at("package/a.txt").end()), "hello");
    EXPECT_EQ(files.at("package/dir/big.bin").size(), big.size());
    EXPECT_TRUE(files.at("package/empty").empty());
}

TEST(Packs, TruncatedOrForeignTarballsAreClearErrors) {
    const fs::path dir = outDir("bad_targz");
    auto bytes = tarGz({{"package/a.bin", std::string(50000, 'q')}, {"package/b.txt", "x"}});
    bytes.resize(bytes.size() / 2);
    io::writeFileBytes(dir / "half.tgz", bytes);
    EXPECT_NE(errorOf([&] { models::readTarGz(dir / "half.tgz"); }).find("truncated"), std::string::npos);
    const std::string text = "this is not a tarball";
    io::writeFileBytes(dir / "text.tgz", {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    const std::string e = errorOf([&] { models::readTarGz(dir / "text.tgz"); });
    EXPECT_NE(e.find("text.tgz"), std::string::npos) << e;
    EXPECT_NE(e.find("gzip"), std::string::npos) << e;
    io::writeFileBytes(dir / "empty.tgz", {});
    EXPECT_NE(errorOf([&] { models::readTarGz(dir / "empty.tgz"); }).find("empty.tgz"), std::string::npos);
}

TEST(Packs, UnknownPackNamesTheKnownOnes) {
    const std::string e = errorOf([] { models::findPack("dall-e"); });
    EXPECT_NE(e.find("dall-e"), std::string::npos);
    EXPECT_NE(e.find("isnet"), std::string::npos);
    EXPECT_NE(e.find("esrgan-slim"), std::string::npos);
}

TEST(Packs, TamperedChunkIsRefusedAndNothingIsInstalled) {
    const fs::path dir = outDir("tampered");
    const auto tgz = writeTarGz(dir / "isnet.tgz", isnetPackage("1.4.5", true));
    core::Progress quiet;
    const std::string e = errorOf([&] { models::installPack("isnet", {.from = tgz, .dir = dir / "packs"}, quiet); });
    EXPECT_NE(e.find("sha256"), std::string::npos) << e;
    EXPECT_NE(e.find("isnet"), std::string::npos) << e;
    // No folder, no staging left behind.
    ASSERT_TRUE(fs::exists(dir / "packs"));
    EXPECT_TRUE(fs::is_empty(dir / "packs")) << "left: " << fs::directory_iterator(dir / "packs")->path();
}

TEST(Packs, WrongVersionOrPackageIsRefused) {
    const fs::path dir = outDir("version");
    core::Progress quiet;
    const auto old = writeTarGz(dir / "old.tgz", isnetPackage("1.4.4", false));
    std::string e = errorOf([&] { models::installPack("isnet", {.from = old, .dir = dir / "packs"}, quiet); });
    EXPECT_NE(e.find("version 1.4.4"), std::string::npos) << e;
    EXPECT_NE(e.find("1.4.5"), std::string::npos) << e;
    const auto other = writeTarGz(dir / "other.tgz", {{"package/package.json", packageJson("left-pad", "1.4.5")}});
    e = errorOf([&] { models::installPack("isnet", {.from = other, .dir = dir / "packs"}, quiet); });
    EXPECT_NE(e.find("left-pad"), std::string::npos) << e;
    e = errorOf([&] { models::installPack("isnet", {.from = dir / "missing.tgz", .dir = dir / "packs"}, quiet); });
    EXPECT_NE(e.find("missing.tgz"), std::string::npos) << e;
    EXPECT_TRUE(fs::is_empty(dir / "packs"));
}

TEST(Packs, AChunkThatIsNotOnnxIsAClearError) {
    // Hashes match, but the bytes are not a model: the conversion says so and installs nothing.
    const fs::path dir = outDir("not_onnx");
    core::Progress quiet;
    const auto tgz = writeTarGz(dir / "isnet.tgz", isnetPackage("1.4.5", false));
    const std::string e = errorOf([&] { models::installPack("isnet", {.from = tgz, .dir = dir / "packs"}, quiet); });
    EXPECT_NE(e.find("ONNX"), std::string::npos) << e;
    EXPECT_TRUE(fs::is_empty(dir / "packs"));
}

TEST(Packs, UnsupportedLayerIsAClearError) {
    const fs::path dir = outDir("layer");
    core::Progress quiet;
    const nlohmann::json model{{"modelTopology",
                                {{"model_config",
                                  {{"config",
                                    {{"layers", {{{"class_name", "InputLayer"}, {"config", {{"name", "LR"}}}, {"inbound_nodes", nlohmann::json::array()}},
                                                 {{"class_name", "BatchNormalization"}, {"config", {{"name", "BN"}}}, {"inbound_nodes", {{{"LR", 0, 0, {}}}}}}}},
                                     {"output_layers", {{"BN", 0, 0}}}}}}}}},
                               {"weightsManifest", nlohmann::json::array()}};
    const auto tgz = writeTarGz(dir / "esrgan.tgz", {{"package/package.json", packageJson("@upscalerjs/esrgan-slim", "1.0.0")},
                                                     {"package/models/x2/model.json", model.dump()}});
    const std::string e = errorOf([&] { models::installPack("esrgan-slim", {.from = tgz, .dir = dir / "packs"}, quiet); });
    EXPECT_NE(e.find("BatchNormalization"), std::string::npos) << e;
    EXPECT_TRUE(fs::is_empty(dir / "packs"));
}
