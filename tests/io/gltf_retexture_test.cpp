// Retexturing a glTF keeps the artist's buffers byte for byte (issue 17's hard requirement).
#include "core/image.h"
#include "io/binary_reader.h"
#include "io/gltf_json.h"
#include "io/gltf_retexture.h"
#include "io/image_io.h"
#include "io/mesh_io.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace kiln;

namespace {

struct Loaded {
    json doc;
    std::vector<std::vector<std::uint8_t>> buffers;
};

// The document and its buffers (GLB BIN chunk or files beside a .gltf).
Loaded loadGltf(const fs::path& path) {
    Loaded l;
    const auto bytes = io::readFileBytes(path);
    std::vector<std::uint8_t> bin;
    if (path.extension() == ".glb") {
        io::GlbChunks c = io::parseGlb(bytes, path.filename().string());
        l.doc = json::parse(c.json);
        bin = c.bin;
    } else {
        l.doc = json::parse(bytes.begin(), bytes.end());
    }
    for (const auto& b : l.doc["buffers"]) l.buffers.push_back(b.contains("uri") ? io::readFileBytes(path.parent_path() / b["uri"].get<std::string>()) : bin);
    return l;
}

std::vector<std::uint8_t> viewBytes(const Loaded& l, std::size_t view) {
    const json& v = l.doc["bufferViews"][view];
    const auto& b = l.buffers[v.value("buffer", 0)];
    const std::size_t off = v.value("byteOffset", std::size_t(0)), len = v["byteLength"].get<std::size_t>();
    return {b.begin() + std::ptrdiff_t(off), b.begin() + std::ptrdiff_t(off + len)};
}

std::vector<std::uint8_t> solidPng(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    core::Image img = core::Image::makeU8(8, 8, 3);
    for (std::size_t k = 0; k < 64; ++k) img.u8[3 * k] = r, img.u8[3 * k + 1] = g, img.u8[3 * k + 2] = b;
    return io::encodePng(img);
}

// The bytes accessor `i` reads (count elements, each its type's size, at the view's stride).
std::vector<std::uint8_t> accessorBytes(const Loaded& l, std::size_t i) {
    const json& a = l.doc["accessors"][i];
    const std::vector<std::uint8_t> view = viewBytes(l, a["bufferView"].get<std::size_t>());
    const int type = a["componentType"].get<int>();
    const std::size_t component = type == 5126 || type == 5125 ? 4 : type == 5123 || type == 5122 ? 2 : 1;
    const std::string t = a["type"].get<std::string>();
    const std::size_t element = component * (t == "SCALAR" ? 1 : t == "VEC2" ? 2 : t == "VEC3" ? 3 : t == "VEC4" ? 4 : 16);
    const json& v = l.doc["bufferViews"][a["bufferView"].get<std::size_t>()];
    const std::size_t stride = v.value("byteStride", element), start = a.value("byteOffset", std::size_t(0));
    std::vector<std::uint8_t> out;
    for (std::size_t k = 0; k < a["count"].get<std::size_t>(); ++k)
        out.insert(out.end(), view.begin() + std::ptrdiff_t(start + k * stride), view.begin() + std::ptrdiff_t(start + k * stride + element));
    return out;
}

// Every accessor of `in` reads the same bytes in `out`; nodes and scenes are the same.
void expectViewsKept(const Loaded& in, const Loaded& out) {
    ASSERT_EQ(out.doc["accessors"].size(), in.doc["accessors"].size());
    for (std::size_t i = 0; i < in.doc["accessors"].size(); ++i) EXPECT_EQ(accessorBytes(in, i), accessorBytes(out, i)) << "accessor " << i;
    for (const char* key : {"nodes", "scenes"}) {
        if (in.doc.contains(key)) {
            EXPECT_EQ(in.doc[key].dump(), out.doc[key].dump()) << key;
        }
    }
}

} // namespace

TEST(GltfRetexture, KeepsEveryBufferViewOfTheDuckByteForByte) {
    const fs::path duck = test::testdata("gltf/Duck/Duck.glb");
    const core::Mesh tri = io::readGltfTriangles(duck);
    EXPECT_EQ(tri.triangleCount(), 4212u);
    ASSERT_EQ(tri.uv0.size(), tri.positions.size());
    ASSERT_EQ(tri.submeshes.size(), 1u);
    EXPECT_EQ(tri.submeshes[0].material, 0);
    const fs::path out = test::scratchDir() / "duck_blue.glb";
    const auto base = solidPng(30, 60, 220), mr = solidPng(255, 128, 0);
    io::writeRetexturedGlb(duck, {{0, base, mr, {}}}, out, {{"source", "texture"}, {"prompt", "a blue duck"}});
    const Loaded in = loadGltf(duck), re = loadGltf(out);
    expectViewsKept(in, re);
    // The material samples the new images.
    const json& pbr = re.doc["materials"][0]["pbrMetallicRoughness"];
    const auto imageOf = [&](const json& info) { return viewBytes(re, re.doc["images"][re.doc["textures"][info["index"].get<std::size_t>()]["source"].get<std::size_t>()]["bufferView"].get<std::size_t>()); };
    EXPECT_EQ(imageOf(pbr["baseColorTexture"]), base);
    EXPECT_EQ(imageOf(pbr["metallicRoughnessTexture"]), mr);
    EXPECT_EQ(re.doc["asset"]["extras"]["kiln"]["prompt"], "a blue duck");
    // The duck's own texture (now unused) is gone: two images, the new ones.
    EXPECT_EQ(re.doc["images"].size(), 2u);
    // What a DCC reads back: the same triangles and UVs, and the new texture.
    const core::Mesh back = io::readGltfTriangles(out);
    EXPECT_EQ(std::memcmp(back.positions.data(), tri.positions.data(), tri.positions.size() * sizeof(glm::vec3)), 0);
    EXPECT_EQ(std::memcmp(back.uv0.data(), tri.uv0.data(), tri.uv0.size() * sizeof(glm::vec2)), 0);
    const core::Mesh imported = io::importMesh(out);
    EXPECT_EQ(imported.triangleCount(), 4212u);
    ASSERT_FALSE(imported.materials.empty());
    const int t = imported.materials[0].baseColorTexture;
    ASSERT_GE(t, 0);
    EXPECT_NEAR(imported.textures[std::size_t(t)].image.at(4, 4, 2), 220.0f / 255.0f, 1e-6f);
}

TEST(GltfRetexture, EmbedsTheExternalBuffersAndImagesOfAGltf) {
    // CesiumMilkTruck: a .gltf with its .bin and a .png beside it, several materials and nodes.
    const fs::path truck = test::testdata("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf");
    const core::Mesh tri = io::readGltfTriangles(truck);
    std::set<int> materials;
    for (const auto& s : tri.submeshes) materials.insert(s.material);
    EXPECT_GE(materials.size(), 2u);
    const fs::path out = test::scratchDir() / "truck.glb";
    io::writeRetexturedGlb(truck, {{*materials.begin(), solidPng(200, 20, 20), solidPng(255, 200, 0), {}}}, out);
    const Loaded in = loadGltf(truck), re = loadGltf(out);
    expectViewsKept(in, re);
    ASSERT_EQ(re.doc["buffers"].size(), 1u);
    EXPECT_FALSE(re.doc["buffers"][0].contains("uri"));
    for (const auto& img : re.doc["images"]) EXPECT_FALSE(img.contains("uri")) << img.dump();
    EXPECT_EQ(io::importMesh(out).triangleCount(), io::importMesh(truck).triangleCount());
}

TEST(GltfRetexture, RefusesWhatItCannotKeepByteForByte) {
    test::expectError([] { io::readGltfTriangles(test::testdata("gltf/2CylinderEngineDraco/draco/2CylinderEngine.gltf")); }, "compressed");
    test::expectError([] { io::readGltfTriangles(test::testdata("gltf/Duck/Duck.obj")); }, "not a .glb or .gltf");
    const fs::path junk = test::scratchDir() / "junk.glb";
    io::writeFileBytes(junk, std::vector<std::uint8_t>{'n', 'o', 't', ' ', 'g', 'l', 'b', '!', 0, 0, 0, 0});
    test::expectError([&] { io::readGltfTriangles(junk); }, "junk.glb");
}
