#include "io/project.h"

#include "core/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using namespace kiln;

namespace {

core::Image makeU8Image(int w, int h, int c, std::uint8_t base) {
    core::Image im = core::Image::makeU8(w, h, c);
    for (std::size_t i = 0; i < im.u8.size(); ++i) im.u8[i] = std::uint8_t(base + i * 7);
    return im;
}

core::Image makeF32Image(int w, int h, int c, float base) {
    core::Image im = core::Image::makeF32(w, h, c);
    for (std::size_t i = 0; i < im.f32.size(); ++i) im.f32[i] = base + 0.125f * float(i);
    return im;
}

core::Mesh makeMesh(float offset) {
    core::Mesh mesh;
    mesh.positions = {{0, 0, offset}, {1, 0, offset}, {1, 1, offset}, {0, 1, offset}};
    mesh.normals = {{0, 0, 1}, {0, 0.6f, 0.8f}, {0, 0, 1}, {0.6f, 0, 0.8f}};
    mesh.uv0 = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    mesh.uv1 = {{0.5f, 0.25f}, {0.75f, 0.25f}, {0.75f, 0.5f}, {0.5f, 0.5f}};
    mesh.colors = {{1, 0, 0, 1}, {0, 1, 0, 0.5f}, {0, 0, 1, 0.25f}, {0.1f, 0.2f, 0.3f, 0.4f}};
    mesh.indices = {0, 1, 2, 0, 2, 3};
    mesh.submeshes = {{"front", 0, 3, 0, 3, 0}, {"back", 3, 3, 0, 4, 1}};

    core::Material painted;
    painted.name = "painted";
    painted.baseColorFactor = {0.8f, 0.7f, 0.6f, 0.9f};
    painted.metallicFactor = 0.25f;
    painted.roughnessFactor = 0.75f;
    painted.emissiveFactor = {0.1f, 0.2f, 0.3f};
    painted.alphaMode = core::AlphaMode::Mask;
    painted.alphaCutoff = 0.33f;
    painted.doubleSided = true;
    painted.baseColorTexture = 0;
    painted.metallicRoughnessTexture = 1;
    painted.normalTexture = 1;
    painted.occlusionTexture = -1;
    painted.emissiveTexture = 0;
    core::Material glass;
    glass.name = "glass";
    glass.alphaMode = core::AlphaMode::Blend;
    glass.occlusionTexture = 1;
    mesh.materials = {painted, glass};

    core::Texture base;
    base.name = "basecolor.png";
    base.image = makeU8Image(2, 3, 4, 11);
    base.encoded = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255};
    base.mimeType = "image/png";
    core::Texture orm;
    orm.name = "orm.exr";
    orm.image = makeF32Image(3, 1, 3, -1.5f);
    mesh.textures = {base, orm};
    return mesh;
}

core::GaussianCloud makeCloud(std::size_t count, int degree, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);
    core::GaussianCloud cloud;
    cloud.resize(count, degree);
    for (auto& p : cloud.positions) p = {u(rng), u(rng), u(rng)};
    for (auto& s : cloud.logScales) s = {u(rng), u(rng), u(rng)};
    for (auto& r : cloud.rotations) r = {u(rng), u(rng), u(rng), u(rng)};
    for (auto& o : cloud.opacityLogits) o = u(rng);
    for (auto& c : cloud.sh) c = u(rng);
    return cloud;
}

core::Provenance makeProvenance(std::string source, std::optional<std::uint64_t> seed, std::string prompt) {
    core::Provenance p;
    p.source = std::move(source);
    p.sourcePath = "/home/artist/chair.glb";
    p.prompt = std::move(prompt);
    p.seed = seed;
    p.model = "kiln-shape-small";
    p.options = R"({"steps":30,"guidance":7.5})";
    p.createdAt = "2024-05-01T12:34:56Z";
    return p;
}

struct Fixture {
    core::Document doc;
    core::AssetId meshAsset = 0;
    core::AssetId cloudAsset = 0;
    core::VersionId meshV1 = 0;
    core::VersionId meshV2 = 0;
};

Fixture makeDocument() {
    Fixture f;
    f.meshAsset = f.doc.addAsset(core::Asset::fromMesh("Chair", makeMesh(0.0f), makeProvenance("import", std::nullopt, "")));
    f.meshV1 = f.doc.get(f.meshAsset).current;
    f.meshV2 = f.doc.addVersion(f.meshAsset, core::Asset::fromMesh("Chair (edited)", makeMesh(2.5f),
                                                                     makeProvenance("edit", 42, "make it wooden")));
    f.doc.setCurrentVersion(f.meshAsset, f.meshV1);
    f.doc.renameAsset(f.meshAsset, "Chair asset");
    f.cloudAsset = f.doc.addAsset(core::Asset::fromGaussians("Splat", makeCloud(257, 3, 7),
                                                             makeProvenance("generate:text", 18446744073709551615ull, "a teapot")));
    return f;
}

void expectImageEqual(const core::Image& a, const core::Image& b) {
    EXPECT_EQ(a.width, b.width);
    EXPECT_EQ(a.height, b.height);
    EXPECT_EQ(a.channels, b.channels);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.u8, b.u8);
    EXPECT_EQ(a.f32, b.f32);
}

void expectMeshEqual(const core::Mesh& a, const core::Mesh& b) {
    EXPECT_EQ(a.positions, b.positions);
    EXPECT_EQ(a.normals, b.normals);
    EXPECT_EQ(a.uv0, b.uv0);
    EXPECT_EQ(a.uv1, b.uv1);
    EXPECT_EQ(a.colors, b.colors);
    EXPECT_EQ(a.indices, b.indices);
    ASSERT_EQ(a.submeshes.size(), b.submeshes.size());
    for (std::size_t i = 0; i < a.submeshes.size(); ++i) {
        EXPECT_EQ(a.submeshes[i].name, b.submeshes[i].name);
        EXPECT_EQ(a.submeshes[i].firstIndex, b.submeshes[i].firstIndex);
        EXPECT_EQ(a.submeshes[i].indexCount, b.submeshes[i].indexCount);
        EXPECT_EQ(a.submeshes[i].firstVertex, b.submeshes[i].firstVertex);
        EXPECT_EQ(a.submeshes[i].vertexCount, b.submeshes[i].vertexCount);
        EXPECT_EQ(a.submeshes[i].material, b.submeshes[i].material);
    }
    ASSERT_EQ(a.materials.size(), b.materials.size());
    for (std::size_t i = 0; i < a.materials.size(); ++i) {
        const core::Material& x = a.materials[i];
        const core::Material& y = b.materials[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.baseColorFactor, y.baseColorFactor);
        EXPECT_EQ(x.metallicFactor, y.metallicFactor);
        EXPECT_EQ(x.roughnessFactor, y.roughnessFactor);
        EXPECT_EQ(x.emissiveFactor, y.emissiveFactor);
        EXPECT_EQ(x.alphaMode, y.alphaMode);
        EXPECT_EQ(x.alphaCutoff, y.alphaCutoff);
        EXPECT_EQ(x.doubleSided, y.doubleSided);
        EXPECT_EQ(x.baseColorTexture, y.baseColorTexture);
        EXPECT_EQ(x.metallicRoughnessTexture, y.metallicRoughnessTexture);
        EXPECT_EQ(x.normalTexture, y.normalTexture);
        EXPECT_EQ(x.occlusionTexture, y.occlusionTexture);
        EXPECT_EQ(x.emissiveTexture, y.emissiveTexture);
    }
    ASSERT_EQ(a.textures.size(), b.textures.size());
    for (std::size_t i = 0; i < a.textures.size(); ++i) {
        EXPECT_EQ(a.textures[i].name, b.textures[i].name);
        EXPECT_EQ(a.textures[i].mimeType, b.textures[i].mimeType);
        EXPECT_EQ(a.textures[i].encoded, b.textures[i].encoded);
        expectImageEqual(a.textures[i].image, b.textures[i].image);
    }
}

void expectCloudEqual(const core::GaussianCloud& a, const core::GaussianCloud& b) {
    EXPECT_EQ(a.shDegree, b.shDegree);
    EXPECT_EQ(a.positions, b.positions);
    EXPECT_EQ(a.logScales, b.logScales);
    EXPECT_EQ(a.rotations, b.rotations);
    EXPECT_EQ(a.opacityLogits, b.opacityLogits);
    EXPECT_EQ(a.sh, b.sh);
}

void expectProvenanceEqual(const core::Provenance& a, const core::Provenance& b) {
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.sourcePath, b.sourcePath);
    EXPECT_EQ(a.prompt, b.prompt);
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.model, b.model);
    EXPECT_EQ(a.options, b.options);
    EXPECT_EQ(a.createdAt, b.createdAt);
    EXPECT_EQ(a.parentVersion, b.parentVersion);
}

void expectDocumentEqual(const core::Document& a, const core::Document& b) {
    EXPECT_EQ(a.nextId(), b.nextId());
    ASSERT_EQ(a.assets().size(), b.assets().size());
    for (std::size_t i = 0; i < a.assets().size(); ++i) {
        const core::DocumentAsset& x = a.assets()[i];
        const core::DocumentAsset& y = b.assets()[i];
        EXPECT_EQ(x.id, y.id);
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.current, y.current);
        ASSERT_EQ(x.versions.size(), y.versions.size());
        for (std::size_t v = 0; v < x.versions.size(); ++v) {
            const core::AssetVersion& xv = x.versions[v];
            const core::AssetVersion& yv = y.versions[v];
            EXPECT_EQ(xv.id, yv.id);
            EXPECT_EQ(xv.asset.name, yv.asset.name);
            expectProvenanceEqual(xv.asset.provenance, yv.asset.provenance);
            ASSERT_EQ(xv.asset.kind(), yv.asset.kind());
            if (xv.asset.mesh()) expectMeshEqual(*xv.asset.mesh(), *yv.asset.mesh());
            if (xv.asset.gaussians()) expectCloudEqual(*xv.asset.gaussians(), *yv.asset.gaussians());
        }
    }
}

std::string readText(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeText(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

void replaceOnce(std::string& text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
}

std::set<std::string> entries(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

// Runs `fn`, expects a kiln::Error whose message contains every one of `needles`.
void expectError(const std::function<void()>& fn, std::initializer_list<std::string> needles) {
    try {
        fn();
        ADD_FAILURE() << "expected kiln::Error";
    } catch (const Error& e) {
        for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << "'" << e.what() << "' lacks '" << n << "'";
    }
}

class ProjectTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        m_dir = fs::path(KILN_TEST_OUTPUT_DIR) / ("project-" + std::string(info->name()) + "-" + std::to_string(std::random_device{}()));
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    fs::path m_dir;
};

TEST_F(ProjectTest, RoundTripPreservesEverything) {
    const Fixture f = makeDocument();
    const fs::path project = m_dir / "Scene.kiln";
    io::saveProject(f.doc, project, false);

    EXPECT_TRUE(fs::is_regular_file(project / "project.json"));
    EXPECT_TRUE(fs::is_regular_file(project / "blobs" / (std::to_string(f.meshV1) + ".bin")));
    EXPECT_TRUE(fs::is_regular_file(project / "blobs" / (std::to_string(f.meshV2) + ".bin")));
    EXPECT_EQ(entries(m_dir), std::set<std::string>{"Scene.kiln"});

    const core::Document loaded = io::loadProject(project);
    expectDocumentEqual(f.doc, loaded);
    EXPECT_EQ(loaded.get(f.meshAsset).current, f.meshV1);
    EXPECT_EQ(loaded.get(f.meshAsset).versions[1].asset.provenance.parentVersion, f.meshV1);
    EXPECT_EQ(loaded.get(f.cloudAsset).versions[0].asset.gaussians()->shDegree, 3);
    EXPECT_FALSE(loaded.get(f.meshAsset).versions[0].asset.provenance.seed.has_value());

    // project.json inside the folder is accepted too.
    expectDocumentEqual(f.doc, io::loadProject(project / "project.json"));
}

TEST_F(ProjectTest, ProjectJsonHasDocumentedFields) {
    const Fixture f = makeDocument();
    io::saveProject(f.doc, m_dir / "Scene.kiln", false);
    const std::string json = readText(m_dir / "Scene.kiln" / "project.json");
    for (const char* needle : {"\"format\": \"kiln-project\"", "\"formatVersion\": 1", "\"generator\": \"Kiln 0.1.0\"", "\"nextId\"",
                               "\"kind\": \"mesh\"", "\"kind\": \"gaussians\"", "\"seed\": null", "\"parentVersion\": null",
                               "\"blob\": \"blobs/"})
        EXPECT_NE(json.find(needle), std::string::npos) << needle;
}

TEST_F(ProjectTest, SharedVersionDataIsWrittenOnceAndStaysShared) {
    Fixture f = makeDocument();
    core::Asset again = f.doc.get(f.cloudAsset).currentVersion().asset;
    again.name = "Splat (renamed)";
    again.provenance.source = "rename";
    again.provenance.parentVersion.reset();
    const core::VersionId v2 = f.doc.addVersion(f.cloudAsset, again);
    const fs::path project = m_dir / "Shared.kiln";
    io::saveProject(f.doc, project, false);
    EXPECT_EQ(entries(project / "blobs").size(), 3u);

    const core::Document loaded = io::loadProject(project);
    expectDocumentEqual(f.doc, loaded);
    const auto& versions = loaded.get(f.cloudAsset).versions;
    ASSERT_EQ(versions.size(), 2u);
    EXPECT_EQ(versions[0].asset.data.get(), versions[1].asset.data.get());
    EXPECT_EQ(loaded.get(f.cloudAsset).current, v2);
}

TEST_F(ProjectTest, EmptyDocumentRoundTrips) {
    core::Document doc;
    io::saveProject(doc, m_dir / "Empty.kiln", false);
    const core::Document loaded = io::loadProject(m_dir / "Empty.kiln");
    EXPECT_TRUE(loaded.empty());
    EXPECT_EQ(loaded.nextId(), doc.nextId());
}

TEST_F(ProjectTest, RefusesToOverwriteWithoutForce) {
    const Fixture f = makeDocument();
    const fs::path project = m_dir / "Scene.kiln";
    io::saveProject(f.doc, project, false);
    const std::string before = readText(project / "project.json");

    core::Document other;
    other.addAsset(core::Asset::fromGaussians("Other", makeCloud(3, 0, 1)));
    expectError([&] { io::saveProject(other, project, false); }, {project.string(), "already exists (use --force to overwrite)"});
    EXPECT_EQ(readText(project / "project.json"), before);
    expectDocumentEqual(f.doc, io::loadProject(project));
    EXPECT_EQ(entries(m_dir), std::set<std::string>{"Scene.kiln"});
}

TEST_F(ProjectTest, OverwriteReplacesProject) {
    const Fixture f = makeDocument();
    const fs::path project = m_dir / "Scene.kiln";
    io::saveProject(f.doc, project, false);

    core::Document other;
    other.addAsset(core::Asset::fromGaussians("Other", makeCloud(3, 1, 1)));
    io::saveProject(other, project, true);
    expectDocumentEqual(other, io::loadProject(project));
    // No blob of the old project survives the swap.
    EXPECT_EQ(entries(project / "blobs").size(), 1u);
    EXPECT_EQ(entries(m_dir), std::set<std::string>{"Scene.kiln"});
}

TEST_F(ProjectTest, FailedSaveLeavesExistingProjectIntact) {
    const Fixture f = makeDocument();
    const fs::path project = m_dir / "Scene.kiln";
    io::saveProject(f.doc, project, false);
    const std::string before = readText(project / "project.json");

    core::Document bad = f.doc;
    core::Mesh broken = makeMesh(1.0f);
    broken.indices.push_back(99);  // out of range, and no longer a multiple of 3
    bad.addVersion(f.meshAsset, core::Asset::fromMesh("broken", broken));
    expectError([&] { io::saveProject(bad, project, true); }, {project.string(), "Chair asset"});
    EXPECT_EQ(readText(project / "project.json"), before);
    expectDocumentEqual(f.doc, io::loadProject(project));
    EXPECT_EQ(entries(m_dir), std::set<std::string>{"Scene.kiln"});

    // A failure on a new path leaves nothing at all.
    expectError([&] { io::saveProject(bad, m_dir / "New.kiln", false); }, {"New.kiln"});
    EXPECT_EQ(entries(m_dir), std::set<std::string>{"Scene.kiln"});
}

TEST_F(ProjectTest, RefusesToReplaceFolderThatIsNotAProject) {
    const fs::path notProject = m_dir / "Photos.kiln";
    fs::create_directories(notProject);
    writeText(notProject / "holiday.jpg", "precious");
    const Fixture f = makeDocument();
    expectError([&] { io::saveProject(f.doc, notProject, true); }, {notProject.string(), "not a Kiln project"});
    EXPECT_EQ(readText(notProject / "holiday.jpg"), "precious");
    EXPECT_EQ(entries(m_dir), std::set<std::string>{"Photos.kiln"});
}

TEST_F(ProjectTest, RejectsBadTargetPaths) {
    const Fixture f = makeDocument();
    expectError([&] { io::saveProject(f.doc, m_dir / "Scene", false); }, {"Scene", ".kiln"});
    expectError([&] { io::saveProject(f.doc, m_dir / "missing" / "Scene.kiln", false); }, {"Scene.kiln", "does not exist"});
    EXPECT_TRUE(entries(m_dir).empty());
}

class ProjectCorruptionTest : public ProjectTest {
protected:
    void SetUp() override {
        ProjectTest::SetUp();
        m_fixture = makeDocument();
        m_project = m_dir / "Scene.kiln";
        io::saveProject(m_fixture.doc, m_project, false);
        m_json = m_project / "project.json";
        m_meshBlob = m_project / "blobs" / (std::to_string(m_fixture.meshV2) + ".bin");
    }

    Fixture m_fixture;
    fs::path m_project;
    fs::path m_json;
    fs::path m_meshBlob;
};

TEST_F(ProjectCorruptionTest, TruncatedBlobIsRejected) {
    const std::string blob = readText(m_meshBlob);
    writeText(m_meshBlob, blob.substr(0, blob.size() - 10));
    expectError([&] { io::loadProject(m_project); }, {m_meshBlob.string(), "truncated"});
}

TEST_F(ProjectCorruptionTest, BlobTruncatedAnywhereIsRejected) {
    const std::string blob = readText(m_meshBlob);
    for (std::size_t size = 0; size < blob.size(); ++size) {
        writeText(m_meshBlob, blob.substr(0, size));
        expectError([&] { io::loadProject(m_project); }, {m_meshBlob.string()});
    }
}

TEST_F(ProjectCorruptionTest, AnyFlippedBlobByteIsRejected) {
    const std::string blob = readText(m_meshBlob);
    for (std::size_t i = 0; i < blob.size(); ++i) {
        std::string bad = blob;
        bad[i] = char(bad[i] ^ 0x5a);
        writeText(m_meshBlob, bad);
        expectError([&] { io::loadProject(m_project); }, {m_meshBlob.string()});
    }
}

TEST_F(ProjectCorruptionTest, TrailingBytesAreRejected) {
    writeText(m_meshBlob, readText(m_meshBlob) + "xx");
    expectError([&] { io::loadProject(m_project); }, {m_meshBlob.string(), "after the last section"});
}

TEST_F(ProjectCorruptionTest, MissingBlobIsRejected) {
    fs::remove(m_meshBlob);
    expectError([&] { io::loadProject(m_project); }, {m_meshBlob.string()});
}

TEST_F(ProjectCorruptionTest, BlobOfWrongKindIsRejected) {
    std::string json = readText(m_json);
    replaceOnce(json, "\"kind\": \"mesh\"", "\"kind\": \"gaussians\"");
    writeText(m_json, json);
    expectError([&] { io::loadProject(m_project); }, {".bin", "project.json says gaussians"});
}

TEST_F(ProjectCorruptionTest, MissingProjectJsonIsRejected) {
    fs::remove(m_json);
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "not a Kiln project"});
    expectError([&] { io::loadProject(m_dir / "Nowhere.kiln"); }, {"Nowhere.kiln", "not found"});
}

TEST_F(ProjectCorruptionTest, GarbageProjectJsonIsRejected) {
    writeText(m_json, "{\"format\": \"kiln-project\", garbage");
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "not valid JSON"});
    writeText(m_json, "[1, 2, 3]");
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "not a Kiln project"});
}

TEST_F(ProjectCorruptionTest, NewerFormatVersionIsRejected) {
    std::string json = readText(m_json);
    replaceOnce(json, "\"formatVersion\": 1", "\"formatVersion\": 999");
    writeText(m_json, json);
    expectError([&] { io::loadProject(m_project); },
                {m_json.string(), "written by a newer Kiln (format version 999, this Kiln reads up to 1)"});
}

TEST_F(ProjectCorruptionTest, WrongFormatNameIsRejected) {
    std::string json = readText(m_json);
    replaceOnce(json, "\"format\": \"kiln-project\"", "\"format\": \"blender-scene\"");
    writeText(m_json, json);
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "blender-scene"});
}

TEST_F(ProjectCorruptionTest, WrongFieldTypesAreRejected) {
    const std::string original = readText(m_json);
    std::string json = original;
    replaceOnce(json, "\"nextId\": ", "\"nextId\": -");
    writeText(m_json, json);
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "nextId"});

    json = original;
    replaceOnce(json, "\"current\": ", "\"current\": \"x\", \"was\": ");
    writeText(m_json, json);
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "assets[0]", "current"});

    json = original;
    replaceOnce(json, "\"current\": ", "\"current\": 12345, \"was\": ");
    writeText(m_json, json);
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "12345"});
}

TEST_F(ProjectCorruptionTest, BlobPathOutsideProjectIsRejected) {
    std::string json = readText(m_json);
    replaceOnce(json, "\"blob\": \"blobs/", "\"blob\": \"../../blobs/");
    writeText(m_json, json);
    expectError([&] { io::loadProject(m_project); }, {m_json.string(), "not a path inside the project"});
}

TEST_F(ProjectCorruptionTest, UnknownJsonFieldsAreIgnored) {
    std::string json = readText(m_json);
    replaceOnce(json, "{", R"({"futureTopLevel": {"layers": [1, 2, 3]}, )");
    replaceOnce(json, "\"current\": ", R"("futureAssetField": true, "current": )");
    replaceOnce(json, "\"blob\": ", R"("futureVersionField": null, "blob": )");
    replaceOnce(json, "\"createdAt\": ", R"("futureProvenance": "x", "createdAt": )");
    writeText(m_json, json);
    expectDocumentEqual(m_fixture.doc, io::loadProject(m_project));
}

} // namespace
