#include "test_util.h"

#include "core/error.h"
#include "io/mesh_io.h"

#include <glm/geometric.hpp>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using kiln::test::scratchDir;
using kiln::test::testdata;

namespace {

struct Sample {
    const char* name;
    const char* path;
};

const Sample kSamples[] = {
    {"Box", "gltf/Box/Box.glb"},
    {"BoxTextured", "gltf/BoxTextured/BoxTextured.glb"},
    {"Duck", "gltf/Duck/Duck.glb"},
    {"CesiumMilkTruck", "gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"},
    {"TwoCylinderEngine", "gltf/2CylinderEngine/2CylinderEngine.glb"},
    {"VertexColorTest", "gltf/VertexColorTest/glTF/VertexColorTest.gltf"},
    {"TwoCubes", "gltf/TwoCubes/TwoCubes.glb"},
    {"BoxDraco", "gltf/BoxDraco/Box_Draco.glb"},
};

class MeshRoundTrip : public ::testing::TestWithParam<Sample> {};

void expectSameMesh(const kiln::core::Mesh& a, const kiln::core::Mesh& b) {
    EXPECT_EQ(a.vertexCount(), b.vertexCount());
    EXPECT_EQ(a.triangleCount(), b.triangleCount());
    EXPECT_EQ(a.materials.size(), b.materials.size());
    EXPECT_EQ(a.textures.size(), b.textures.size());
    const auto ba = kiln::core::computeBounds(a), bb = kiln::core::computeBounds(b);
    for (int k = 0; k < 3; ++k) {
        EXPECT_NEAR(ba.min[k], bb.min[k], 1e-5);
        EXPECT_NEAR(ba.max[k], bb.max[k], 1e-5);
    }
}

} // namespace

TEST_P(MeshRoundTrip, ImportExportGlbImportKeepsCountsBoundsMaterials) {
    const auto dir = scratchDir();
    const kiln::core::Mesh first = kiln::io::importMesh(testdata(GetParam().path));
    ASSERT_FALSE(first.empty());
    const fs::path out = dir / (std::string(GetParam().name) + ".glb");
    kiln::io::exportMesh(first, out);
    const kiln::core::Mesh second = kiln::io::importMesh(out);
    expectSameMesh(first, second);
    EXPECT_EQ(first.uv0.empty(), second.uv0.empty());
    EXPECT_EQ(first.colors.empty(), second.colors.empty());
    // Texture pixels survive (decoded sizes match).
    for (std::size_t i = 0; i < std::min(first.textures.size(), second.textures.size()); ++i) {
        EXPECT_EQ(first.textures[i].image.width, second.textures[i].image.width);
        EXPECT_EQ(first.textures[i].image.height, second.textures[i].image.height);
    }
}

INSTANTIATE_TEST_SUITE_P(Samples, MeshRoundTrip, ::testing::ValuesIn(kSamples),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(MeshImport, DuckHasTextureMaterialAndUvs) {
    const auto mesh = kiln::io::importMesh(testdata("gltf/Duck/Duck.glb"));
    EXPECT_EQ(mesh.vertexCount(), 2399u);
    EXPECT_EQ(mesh.triangleCount(), 4212u);
    ASSERT_EQ(mesh.materials.size(), 1u);
    ASSERT_EQ(mesh.textures.size(), 1u);
    EXPECT_EQ(mesh.materials[0].baseColorTexture, 0);
    EXPECT_EQ(mesh.textures[0].image.width, 512);
    EXPECT_FALSE(mesh.uv0.empty());
    EXPECT_FALSE(mesh.normals.empty());
}

TEST(MeshImport, VertexColoursAreRead) {
    const auto mesh = kiln::io::importMesh(testdata("gltf/BoxVertexColors/BoxVertexColors.glb"));
    ASSERT_EQ(mesh.colors.size(), mesh.vertexCount());
}

TEST(MeshImport, SecondUvSetIsRead) {
    const auto mesh = kiln::io::importMesh(testdata("gltf/MultiUVTest/glTF/MultiUVTest.gltf"));
    EXPECT_EQ(mesh.uv1.size(), mesh.vertexCount());
}

TEST(MeshImport, ExternalTextureIsDecoded) {
    const auto mesh = kiln::io::importMesh(testdata("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"));
    ASSERT_FALSE(mesh.textures.empty());
    EXPECT_GT(mesh.textures[0].image.width, 0);
}

TEST(MeshExport, ObjWritesMtlAndTextureFilesBeside) {
    const auto dir = scratchDir();
    const auto mesh = kiln::io::importMesh(testdata("gltf/Duck/Duck.glb"));
    kiln::io::exportMesh(mesh, dir / "duck.obj");
    ASSERT_TRUE(fs::exists(dir / "duck.mtl"));
    std::ifstream mtl(dir / "duck.mtl");
    std::stringstream ss;
    ss << mtl.rdbuf();
    const std::string text = ss.str();
    EXPECT_EQ(text.find("*0"), std::string::npos) << text;
    const auto pos = text.find("map_Kd ");
    ASSERT_NE(pos, std::string::npos) << text;
    std::string texFile = text.substr(pos + 7, text.find('\n', pos) - pos - 7);
    while (!texFile.empty() && (texFile.back() == '\r' || texFile.back() == ' ')) texFile.pop_back();
    EXPECT_TRUE(fs::exists(dir / texFile)) << texFile;
    const auto back = kiln::io::importMesh(dir / "duck.obj");
    EXPECT_EQ(back.triangleCount(), mesh.triangleCount());
    ASSERT_EQ(back.textures.size(), 1u);
    EXPECT_EQ(back.textures[0].image.width, 512);
}

TEST(MeshExport, GltfPlyStlReimportWithSameTriangles) {
    const auto dir = scratchDir();
    const auto mesh = kiln::io::importMesh(testdata("gltf/BoxTextured/BoxTextured.glb"));
    for (const char* ext : {".gltf", ".ply", ".stl"}) {
        const fs::path out = dir / (std::string("box") + ext);
        kiln::io::exportMesh(mesh, out);
        const auto back = kiln::io::importMesh(out);
        EXPECT_EQ(back.triangleCount(), mesh.triangleCount()) << ext;
        const auto b0 = kiln::core::computeBounds(mesh), b1 = kiln::core::computeBounds(back);
        EXPECT_NEAR(glm::distance(b0.min, b1.min), 0.0f, 1e-5f) << ext;
        EXPECT_NEAR(glm::distance(b0.max, b1.max), 0.0f, 1e-5f) << ext;
    }
}

TEST(MeshExport, UnsupportedExtensionIsAClearError) {
    const auto dir = scratchDir();
    const auto mesh = kiln::io::importMesh(testdata("gltf/Box/Box.glb"));
    try {
        kiln::io::exportMesh(mesh, dir / "box.xyz");
        FAIL() << "expected an error";
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("box.xyz"), std::string::npos) << e.what();
    }
}

TEST(MeshExport, UvOrientationSurvivesGlbRoundTrip) {
    const auto dir = scratchDir();
    const auto mesh = kiln::io::importMesh(testdata("gltf/BoxTextured/BoxTextured.glb"));
    kiln::io::exportMesh(mesh, dir / "box.glb");
    const auto back = kiln::io::importMesh(dir / "box.glb");
    ASSERT_EQ(back.uv0.size(), mesh.uv0.size());
    for (std::size_t i = 0; i < mesh.uv0.size(); ++i) {
        EXPECT_NEAR(mesh.uv0[i].x, back.uv0[i].x, 1e-6);
        EXPECT_NEAR(mesh.uv0[i].y, back.uv0[i].y, 1e-6);
    }
}
