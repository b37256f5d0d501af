// Model folders: safetensors parsing and writing, manifests with checksums. Torch-free, so these
// run in the sanitizer build too (label io).
#include "core/error.h"
#include "core/sha256.h"
#include "io/binary_reader.h"
#include "models/manifest.h"
#include "models/safetensors.h"

#include "test_util.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace kiln;

namespace {

fs::path freshDir(const std::string& name) {
    const fs::path dir = fs::path(KILN_TEST_OUTPUT_DIR) / "model_files" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

models::TensorData floats(const std::string& name, std::vector<std::int64_t> shape, float first) {
    models::TensorData t;
    t.name = name;
    t.shape = std::move(shape);
    const auto n = std::size_t(t.elementCount());
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = first + float(i);
    t.bytes.resize(n * 4);
    std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
}

using kiln::test::expectError;

} // namespace

TEST(Sha256, KnownVectors) {
    // FIPS 180-4 examples.
    const std::string abc = "abc";
    EXPECT_EQ(core::sha256Hex({reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()}),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(core::sha256Hex({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(core::sha256Hex({reinterpret_cast<const std::uint8_t*>(two.data()), two.size()}),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // A million 'a' in uneven pieces exercises the buffering.
    core::Sha256 h;
    const std::string chunk(997, 'a');
    std::size_t left = 1000000;
    while (left > 0) {
        const std::size_t n = std::min(left, chunk.size());
        h.update(chunk.data(), n);
        left -= n;
    }
    EXPECT_EQ(h.finishHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Safetensors, RoundTripKeepsNamesShapesBytesAndMetadata) {
    models::SafetensorsFile f;
    f.metadata["slot"] = "text-to-3d";
    f.tensors.push_back(floats("blocks.0.weight", {3, 4}, 1.0f));
    f.tensors.push_back(floats("bias", {4}, -2.0f));
    models::TensorData ids;
    ids.name = "ids";
    ids.dtype = models::DType::I64;
    ids.shape = {2};
    ids.bytes.assign(16, 7);
    f.tensors.push_back(ids);
    const auto bytes = models::encodeSafetensors(f);
    // The data starts 8-byte aligned.
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u);
    const auto back = models::parseSafetensors(bytes, "t.safetensors");
    EXPECT_EQ(back.metadata.at("slot"), "text-to-3d");
    ASSERT_EQ(back.tensors.size(), 3u);
    for (const auto& t : f.tensors) {
        const auto* b = back.find(t.name);
        ASSERT_TRUE(b) << t.name;
        EXPECT_EQ(b->shape, t.shape);
        EXPECT_EQ(b->dtype, t.dtype);
        EXPECT_EQ(b->bytes, t.bytes);
    }
    const fs::path dir = freshDir("roundtrip");
    models::writeSafetensors(f, dir / "w.safetensors", false);
    EXPECT_EQ(io::readFileBytes(dir / "w.safetensors"), bytes);
    expectError([&] { models::writeSafetensors(f, dir / "w.safetensors", false); }, "w.safetensors");
}

TEST(Safetensors, DamagedFilesAreOneClearError) {
    models::SafetensorsFile f;
    f.tensors.push_back(floats("a", {8}, 0.0f));
    f.tensors.push_back(floats("b", {2, 2}, 0.0f));
    const auto good = models::encodeSafetensors(f);
    const std::string name = "model/weights.safetensors";
    // Truncated anywhere: in the length, in the header, in the data.
    for (std::size_t cut : {std::size_t(0), std::size_t(5), std::size_t(12), good.size() / 2, good.size() - 1}) {
        const std::vector<std::uint8_t> part(good.begin(), good.begin() + std::ptrdiff_t(cut));
        expectError([&] { models::parseSafetensors(part, name); }, name);
    }
    // A header length past the end of the file (a truncated header).
    auto longHeader = good;
    const std::uint64_t huge = 1u << 20;
    std::memcpy(longHeader.data(), &huge, 8);
    expectError([&] { models::parseSafetensors(longHeader, name); }, "truncated");
    // Not JSON.
    auto notJson = good;
    notJson[8] = '!';
    expectError([&] { models::parseSafetensors(notJson, name); }, "not JSON");
    // Extra bytes after the last tensor.
    auto extra = good;
    extra.push_back(0);
    expectError([&] { models::parseSafetensors(extra, name); }, "after the last tensor");
    // A shape that does not match its byte range.
    auto text = [](const std::string& header) {
        std::vector<std::uint8_t> out(8);
        const std::uint64_t n = header.size();
        std::memcpy(out.data(), &n, 8);
        out.insert(out.end(), header.begin(), header.end());
        out.resize(out.size() + 16, 0);
        return out;
    };
    expectError([&] { models::parseSafetensors(text(R"({"a":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})"), name); }, "do not hold its shape");
    expectError([&] { models::parseSafetensors(text(R"({"a":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}})"), name); }, "unknown dtype");
    expectError([&] { models::parseSafetensors(text(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"), name); },
                "overlaps");
    expectError([&] { models::parseSafetensors(text(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})"), name); }, "gap");
}

TEST(ModelManifest, VerifyCatchesMissingTruncatedAndTamperedFiles) {
    const fs::path dir = freshDir("manifest");
    models::SafetensorsFile f;
    f.tensors.push_back(floats("w", {16}, 0.0f));
    models::writeSafetensors(f, dir / "weights.safetensors", false);
    { std::ofstream(dir / "config.json") << "{\"width\": 8}\n"; }
    models::ModelManifest m;
    m.slot = "test-slot";
    m.name = "tiny";
    m.version = "1";
    m.licence = "test";
    m.recipeJson = R"({"steps": 3})";
    const auto written = models::writeManifest(dir, m);
    ASSERT_EQ(written.files.size(), 2u);
    EXPECT_EQ(written.files[1].path, "weights.safetensors");
    EXPECT_EQ(models::verifyModelFolder(dir, "test-slot").name, "tiny");
    expectError([&] { models::verifyModelFolder(dir, "other-slot"); }, "slot");
    const auto original = io::readFileBytes(dir / "weights.safetensors");

    // Tampered: same size, one byte changed.
    auto tampered = original;
    tampered.back() ^= 0x40;
    io::writeFileBytes(dir / "weights.safetensors", tampered);
    expectError([&] { models::verifyModelFolder(dir); }, "weights.safetensors: checksum mismatch");
    // Truncated.
    io::writeFileBytes(dir / "weights.safetensors", std::span(original).first(original.size() - 10));
    expectError([&] { models::verifyModelFolder(dir); }, "(truncated)");
    // Missing.
    fs::remove(dir / "weights.safetensors");
    expectError([&] { models::verifyModelFolder(dir); }, "weights.safetensors: missing");
    io::writeFileBytes(dir / "weights.safetensors", original);
    EXPECT_NO_THROW(models::verifyModelFolder(dir));
    // No manifest, or a broken one.
    fs::remove(dir / "manifest.json");
    expectError([&] { models::verifyModelFolder(dir); }, "manifest.json: missing");
    { std::ofstream(dir / "manifest.json") << "{\"format\": \"kiln-model\", \"formatVersion\": 1}"; }
    expectError([&] { models::verifyModelFolder(dir); }, "\"slot\"");
    { std::ofstream(dir / "manifest.json") << R"({"format":"kiln-model","formatVersion":1,"slot":"s","name":"n","version":"1","licence":"l","files":[{"path":"../x","bytes":1,"sha256":")" << std::string(64, '0') << "\"}]}"; }
    expectError([&] { models::verifyModelFolder(dir); }, "leaves the model folder");
}
