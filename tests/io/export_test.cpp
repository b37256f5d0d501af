// DCC export: presets, the binary FBX writer (read back by an independent parser below and by
// Assimp), glTF clean-up (the JSON Assimp wrote, checked field by field), the export check and
// the errors exportAsset gives.
#include "test_util.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/export_asset.h"
#include "io/export_check.h"
#include "io/export_presets.h"
#include "io/fbx_writer.h"
#include "io/gltf_cleanup.h"
#include "io/mesh_io.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <glm/geometric.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <variant>

namespace fs = std::filesystem;
using kiln::test::scratchDir;
using kiln::test::testdata;
using namespace kiln;

namespace {

std::vector<std::uint8_t> readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- A minimal binary FBX reader, written from the format description (not from the writer) --

struct FbxNode {
    std::string name;
    std::vector<std::variant<std::int64_t, double, std::string, std::vector<double>, std::vector<std::int64_t>>> props;
    std::vector<FbxNode> children;

    const FbxNode* find(const std::string& n) const {
        for (const auto& c : children)
            if (c.name == n) return &c;
        return nullptr;
    }
    std::vector<const FbxNode*> all(const std::string& n) const {
        std::vector<const FbxNode*> out;
        for (const auto& c : children)
            if (c.name == n) out.push_back(&c);
        return out;
    }
    std::string str(std::size_t i) const { return std::get<std::string>(props.at(i)); }
    std::int64_t integer(std::size_t i) const { return std::get<std::int64_t>(props.at(i)); }
    double number(std::size_t i) const {
        if (auto* d = std::get_if<double>(&props.at(i))) return *d;
        return double(std::get<std::int64_t>(props.at(i)));
    }
};

class FbxReader {
public:
    explicit FbxReader(std::vector<std::uint8_t> b) : bytes(std::move(b)) {}

    std::vector<std::uint8_t> bytes;
    std::size_t pos = 0;
    std::uint32_t version = 0;
    std::size_t topLevelEnd = 0;  // offset just after the top-level null record

    template <class T>
    T get() {
        if (pos + sizeof(T) > bytes.size()) throw std::runtime_error("read past end at " + std::to_string(pos));
        T v;
        std::memcpy(&v, bytes.data() + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }

    FbxNode parse() {
        const char magic[] = "Kaydara FBX Binary  \0\x1a\0";
        if (bytes.size() < 27 || std::memcmp(bytes.data(), magic, 23) != 0) throw std::runtime_error("bad magic");
        pos = 23;
        version = get<std::uint32_t>();
        FbxNode root;
        while (true) {
            auto node = readNode();
            if (!node) break;  // the null record that closes the top level
            root.children.push_back(std::move(*node));
        }
        topLevelEnd = pos;
        return root;
    }

    std::uint64_t uint() { return version >= 7500 ? get<std::uint64_t>() : get<std::uint32_t>(); }
    std::size_t nullRecord() const { return version >= 7500 ? 25 : 13; }

    std::optional<FbxNode> readNode() {
        const std::size_t start = pos;
        const std::uint64_t end = uint(), count = uint(), propBytes = uint();
        const std::uint8_t nameLen = get<std::uint8_t>();
        if (end == 0) {
            // A null record: all of it zero.
            for (std::size_t i = start; i < start + nullRecord(); ++i)
                if (bytes.at(i) != 0) throw std::runtime_error("null record with non-zero bytes");
            pos = start + nullRecord();
            return std::nullopt;
        }
        FbxNode n;
        n.name.assign(reinterpret_cast<const char*>(bytes.data() + pos), nameLen);
        pos += nameLen;
        const std::size_t propStart = pos;
        for (std::uint64_t i = 0; i < count; ++i) n.props.push_back(readProp());
        if (pos - propStart != propBytes) throw std::runtime_error(n.name + ": property byte count mismatch");
        if (pos < end) {
            while (pos < end - nullRecord()) n.children.push_back(*readNode());
            for (std::size_t i = 0; i < nullRecord(); ++i)
                if (bytes.at(pos + i) != 0) throw std::runtime_error(n.name + ": child list not closed by a null record");
            pos += nullRecord();
        }
        if (pos != end) throw std::runtime_error(n.name + ": end offset " + std::to_string(end) + " but node ends at " + std::to_string(pos));
        return n;
    }

    template <class T>
    std::vector<T> readArray() {
        const auto count = get<std::uint32_t>(), encoding = get<std::uint32_t>(), length = get<std::uint32_t>();
        std::vector<T> out(count);
        if (encoding == 0) {
            if (length != count * sizeof(T)) throw std::runtime_error("raw array length mismatch");
            std::memcpy(out.data(), bytes.data() + pos, length);
        } else {
            uLongf size = uLongf(count * sizeof(T));
            if (uncompress(reinterpret_cast<Bytef*>(out.data()), &size, bytes.data() + pos, length) != Z_OK || size != count * sizeof(T))
                throw std::runtime_error("zlib array does not inflate to its count");
        }
        pos += length;
        return out;
    }

    std::variant<std::int64_t, double, std::string, std::vector<double>, std::vector<std::int64_t>> readProp() {
        const char code = char(get<std::uint8_t>());
        switch (code) {
        case 'Y': return std::int64_t(get<std::int16_t>());
        case 'C': return std::int64_t(get<std::uint8_t>());
        case 'I': return std::int64_t(get<std::int32_t>());
        case 'L': return get<std::int64_t>();
        case 'F': return double(get<float>());
        case 'D': return get<double>();
        case 'S':
        case 'R': {
            const auto n = get<std::uint32_t>();
            std::string s(reinterpret_cast<const char*>(bytes.data() + pos), n);
            pos += n;
            return s;
        }
        case 'd': return readArray<double>();
        case 'f': {
            auto v = readArray<float>();
            return std::vector<double>(v.begin(), v.end());
        }
        case 'i': {
            auto v = readArray<std::int32_t>();
            return std::vector<std::int64_t>(v.begin(), v.end());
        }
        case 'l': return readArray<std::int64_t>();
        default: throw std::runtime_error(std::string("unknown property type ") + code);
        }
    }
};

std::map<std::string, const FbxNode*> properties70(const FbxNode& node) {
    std::map<std::string, const FbxNode*> out;
    if (const FbxNode* p = node.find("Properties70"))
        for (const FbxNode* e : p->all("P")) out[e->str(0)] = e;
    return out;
}

core::Mesh loadSample(const char* path) { return io::importMesh(testdata(path)); }

struct Sample {
    const char* name;
    const char* path;
};
const Sample kSamples[] = {
    {"Duck", "gltf/Duck/Duck.glb"},
    {"CesiumMilkTruck", "gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"},
    {"BoxVertexColors", "gltf/BoxVertexColors/BoxVertexColors.glb"},
};

// A unit quad (two triangles) in the XY plane, for topology checks.
core::Mesh quad(float size = 1.0f) {
    core::Mesh m;
    m.positions = {{0, 0, 0}, {size, 0, 0}, {size, size, 0}, {0, size, 0}};
    m.indices = {0, 1, 2, 0, 2, 3};
    m.submeshes.push_back({"quad", 0, 6, 0, 4, -1});
    return m;
}

} // namespace

// ---- presets ------------------------------------------------------------------------------------

TEST(ExportPresets, RegistryNamesFormatsAndFrames) {
    EXPECT_EQ(io::exportPresetNames(), "blender, unreal, unity, maya, generic");
    EXPECT_EQ(io::exportPreset("Unreal").name, "unreal");  // case-insensitive
    EXPECT_TRUE(io::exportPreset("maya").allowsFormat(".fbx"));
    EXPECT_FALSE(io::exportPreset("maya").allowsFormat(".glb"));
    EXPECT_FALSE(io::exportPreset("generic").allowsFormat(".fbx"));
    EXPECT_TRUE(io::exportPreset("generic").allowsFormat(".spz"));
    EXPECT_EQ(io::presetsWriting(".fbx"), "blender, unreal, unity, maya");
    // glTF is +Y up, metres for every preset; FBX follows the preset.
    const io::FileFrame unrealGlb = io::exportPreset("unreal").frameFor(".glb");
    EXPECT_EQ(unrealGlb.up, io::Axis::PosY);
    EXPECT_EQ(unrealGlb.unitsPerMetre, 1.0);
    const io::FileFrame unrealFbx = io::exportPreset("unreal").frameFor(".fbx");
    EXPECT_EQ(unrealFbx.up, io::Axis::PosZ);
    EXPECT_EQ(unrealFbx.front, io::Axis::NegY);
    EXPECT_EQ(unrealFbx.fbxUnitScaleFactor(), 1.0);
    EXPECT_EQ(io::exportPreset("unity").frameFor(".fbx").fbxUnitScaleFactor(), 100.0);
    EXPECT_EQ(io::exportPreset("maya").frameFor(".fbx").fbxUnitScaleFactor(), 1.0);
}

TEST(ExportPresets, DefaultIsGenericExceptForFormatsGenericDoesNotWrite) {
    for (const char* ext : {".glb", ".gltf", ".obj", ".ply", ".stl", ".spz", ".splat"}) EXPECT_EQ(io::defaultExportPreset(ext).name, "generic") << ext;
    EXPECT_EQ(io::defaultExportPreset(".fbx").name, "blender");
    EXPECT_EQ(io::defaultExportPreset(".usd").name, "generic");  // nobody writes it: the export says so
}

TEST(ExportPresets, UnknownNameListsTheValidOnes) {
    try {
        io::exportPreset("houdini");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("houdini"), std::string::npos) << m;
        EXPECT_NE(m.find("blender, unreal, unity, maya, generic"), std::string::npos) << m;
    }
}

TEST(ExportPresets, KilnToFrameIsAProperRotationTakingUpAndFrontWhereTheFrameSays) {
    for (const auto& p : io::exportPresets()) {
        const io::FileFrame f = p.frameFor(".fbx");
        const core::Similarity xf = io::kilnToFrame(f);
        EXPECT_NEAR(glm::determinant(xf.rotation), 1.0f, 1e-6f) << p.name;
        EXPECT_NEAR(glm::distance(xf.rotation * glm::vec3(0, 1, 0), io::axisVector(f.up)), 0.0f, 1e-6f) << p.name;
        EXPECT_NEAR(glm::distance(xf.rotation * glm::vec3(0, 0, 1), io::axisVector(f.front)), 0.0f, 1e-6f) << p.name;
        EXPECT_EQ(double(xf.scale), f.unitsPerMetre) << p.name;
    }
    // Blender's frame is exactly the documented --up z rotation.
    const core::Similarity blender = io::kilnToFrame(io::exportPreset("blender").frame);
    EXPECT_EQ(blender.rotation, core::yUpToZUp());
}

// ---- FBX writer ---------------------------------------------------------------------------------

TEST(FbxWriter, BinaryStructureHeaderFooterAndNullRecords) {
    const auto dir = scratchDir();
    const core::Mesh duck = loadSample("gltf/Duck/Duck.glb");
    for (int version : {7400, 7500}) {
        io::FbxOptions options;
        options.version = version;
        const fs::path out = dir / ("duck" + std::to_string(version) + ".fbx");
        io::writeFbx(duck, out, options);
        FbxReader reader(readBytes(out));
        FbxNode root;
        ASSERT_NO_THROW(root = reader.parse()) << version;
        EXPECT_EQ(reader.version, std::uint32_t(version));
        // What follows the top-level null record (the record Assimp 5.2.5 leaves out): footer id,
        // padding to 16 bytes, version, 120 zero bytes, 16-byte magic, and nothing else.
        const std::size_t rest = reader.bytes.size() - reader.topLevelEnd;
        EXPECT_EQ((reader.topLevelEnd + 20 + (rest - 20 - 140)) % 16, 0u) << "footer padding";
        EXPECT_GE(rest - 20 - 140, 1u);
        EXPECT_LE(rest - 20 - 140, 16u);
        std::uint32_t footerVersion;
        std::memcpy(&footerVersion, reader.bytes.data() + reader.bytes.size() - 140, 4);
        EXPECT_EQ(footerVersion, std::uint32_t(version));
        const std::uint8_t magic[16] = {0xf8, 0x5a, 0x8c, 0x6a, 0xde, 0xf5, 0xd9, 0x7e, 0xec, 0xe9, 0x0c, 0xe3, 0x75, 0x8f, 0x29, 0x0b};
        EXPECT_EQ(std::memcmp(reader.bytes.data() + reader.bytes.size() - 16, magic, 16), 0);
        for (const char* top : {"FBXHeaderExtension", "FileId", "CreationTime", "Creator", "GlobalSettings", "Documents", "References",
                                "Definitions", "Objects", "Connections", "Takes"})
            EXPECT_NE(root.find(top), nullptr) << top;
    }
}

TEST(FbxWriter, GeometryMaterialsTexturesAndConnections) {
    const auto dir = scratchDir();
    const core::Mesh truck = loadSample("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf");
    io::writeFbx(truck, dir / "truck.fbx", {});
    FbxReader reader(readBytes(dir / "truck.fbx"));
    const FbxNode root = reader.parse();
    const FbxNode& objects = *root.find("Objects");
    ASSERT_EQ(objects.all("Model").size(), 1u);
    ASSERT_EQ(objects.all("Geometry").size(), 1u);
    EXPECT_EQ(objects.all("Material").size(), truck.materials.size());
    EXPECT_EQ(objects.all("Video").size(), 1u);  // one image, embedded once
    const FbxNode& video = *objects.all("Video")[0];
    ASSERT_NE(video.find("Content"), nullptr);
    EXPECT_EQ(video.find("Content")->str(0).substr(1, 3), "PNG");
    // Objects are (id, "Name\0\1Class", subclass).
    const FbxNode& geom = *objects.find("Geometry");
    EXPECT_EQ(geom.str(2), "Mesh");
    EXPECT_NE(geom.str(1).find(std::string("\0\1Geometry", 10)), std::string::npos);

    const auto& pvi = std::get<std::vector<std::int64_t>>(geom.find("PolygonVertexIndex")->props[0]);
    ASSERT_EQ(pvi.size(), truck.indices.size());
    const auto& verts = std::get<std::vector<double>>(geom.find("Vertices")->props[0]);
    std::size_t negatives = 0;
    for (std::size_t i = 0; i < pvi.size(); ++i) {
        const std::int64_t cp = pvi[i] < 0 ? ~pvi[i] : pvi[i];
        EXPECT_LT(std::size_t(cp) * 3, verts.size());
        if (pvi[i] < 0) {
            ++negatives;
            EXPECT_EQ(i % 3, 2u) << "the last corner of each triangle is stored as -(index) - 1";
        }
    }
    EXPECT_EQ(negatives, truck.triangleCount());
    const FbxNode& mat = *geom.find("LayerElementMaterial");
    EXPECT_EQ(mat.find("MappingInformationType")->str(0), "ByPolygon");
    EXPECT_EQ(std::get<std::vector<std::int64_t>>(mat.find("Materials")->props[0]).size(), truck.triangleCount());
    const FbxNode& normals = *geom.find("LayerElementNormal");
    EXPECT_EQ(std::get<std::vector<double>>(normals.find("Normals")->props[0]).size(), truck.indices.size() * 3);
    const FbxNode& uv = *geom.find("LayerElementUV");
    EXPECT_EQ(std::get<std::vector<std::int64_t>>(uv.find("UVIndex")->props[0]).size(), truck.indices.size());

    // Connections: model to root, geometry and every material to the model, each texture to a
    // material's DiffuseColor, each video to its texture.
    std::map<std::int64_t, std::string> classOf;
    for (const auto& o : objects.children) classOf[o.integer(0)] = o.name;
    std::size_t materialLinks = 0, diffuseLinks = 0, videoLinks = 0, rootLinks = 0;
    for (const FbxNode* c : root.find("Connections")->all("C")) {
        const std::string src = classOf[c->integer(1)], dst = c->integer(2) == 0 ? "root" : classOf[c->integer(2)];
        ASSERT_FALSE(src.empty());
        if (src == "Model" && dst == "root") ++rootLinks;
        if (src == "Material" && dst == "Model") ++materialLinks;
        if (src == "Texture" && dst == "Material" && c->str(0) == "OP" && c->str(3) == "DiffuseColor") ++diffuseLinks;
        if (src == "Video" && dst == "Texture") ++videoLinks;
    }
    EXPECT_EQ(rootLinks, 1u);
    EXPECT_EQ(materialLinks, truck.materials.size());
    EXPECT_EQ(diffuseLinks, 2u);  // "wheels" and "truck" use the atlas
    EXPECT_EQ(videoLinks, diffuseLinks);
}

TEST(FbxWriter, GlobalSettingsCarryEachPresetsAxesAndUnits) {
    const auto dir = scratchDir();
    const auto asset = io::loadAsset(testdata("gltf/Duck/Duck.glb"));
    struct Want {
        const char* preset;
        int up, upSign, front, frontSign, coord, coordSign;
        double unitScale;
    };
    for (const Want& w : {Want{"blender", 2, 1, 1, -1, 0, 1, 100.0}, Want{"unreal", 2, 1, 1, -1, 0, 1, 1.0}, Want{"unity", 1, 1, 2, 1, 0, 1, 100.0},
                          Want{"maya", 1, 1, 2, 1, 0, 1, 1.0}}) {
        const fs::path out = dir / (std::string(w.preset) + ".fbx");
        io::exportAsset(asset, out, {.preset = w.preset});
        FbxReader reader(readBytes(out));
        const FbxNode root = reader.parse();
        const auto p = properties70(*root.find("GlobalSettings"));
        EXPECT_EQ(p.at("UpAxis")->integer(4), w.up) << w.preset;
        EXPECT_EQ(p.at("UpAxisSign")->integer(4), w.upSign) << w.preset;
        EXPECT_EQ(p.at("FrontAxis")->integer(4), w.front) << w.preset;
        EXPECT_EQ(p.at("FrontAxisSign")->integer(4), w.frontSign) << w.preset;
        EXPECT_EQ(p.at("CoordAxis")->integer(4), w.coord) << w.preset;
        EXPECT_EQ(p.at("CoordAxisSign")->integer(4), w.coordSign) << w.preset;
        EXPECT_EQ(p.at("UnitScaleFactor")->number(4), w.unitScale) << w.preset;
        // The data is in those units: the duck's 1.54 m height along the up axis.
        const auto& v = std::get<std::vector<double>>(root.find("Objects")->find("Geometry")->find("Vertices")->props[0]);
        double lo = 1e30, hi = -1e30;
        for (std::size_t i = std::size_t(w.up); i < v.size(); i += 3) lo = std::min(lo, v[i]), hi = std::max(hi, v[i]);
        EXPECT_NEAR((hi - lo) * w.unitScale / 100.0, 1.5404, 1e-3) << w.preset;
    }
}

// Assimp reads back every FBX Kiln writes; Kiln's importer applies the axis and unit metadata, so
// the result is the source again in Kiln's frame.
class FbxAssimpRoundTrip : public ::testing::TestWithParam<std::tuple<Sample, const char*>> {};

TEST_P(FbxAssimpRoundTrip, ReimportsWithSameGeometryMaterialsTexturesColours) {
    const auto& [sample, preset] = GetParam();
    const auto dir = scratchDir();
    const core::Asset asset = io::loadAsset(testdata(sample.path));
    const core::Mesh& src = *asset.mesh();
    const auto srcReport = io::checkForExport(src, io::exportPreset("generic"));
    const core::Bounds b0 = core::computeBounds(src);
    struct Variant {
        io::FbxTextures textures;
        int version;
    };
    for (const Variant v : {Variant{io::FbxTextures::Embed, 7400}, Variant{io::FbxTextures::Beside, 7500}}) {
        const fs::path out = dir / (std::string(sample.name) + (v.version == 7500 ? "_7500.fbx" : ".fbx"));
        io::exportAsset(asset, out, {.preset = preset, .fbxTextures = v.textures, .fbxVersion = v.version});
        core::Mesh back;
        ASSERT_NO_THROW(back = io::importMesh(out)) << out;
        EXPECT_EQ(back.triangleCount(), src.triangleCount());
        EXPECT_EQ(io::checkForExport(back, io::exportPreset("generic")).weldedVertices, srcReport.weldedVertices);
        const core::Bounds b1 = core::computeBounds(back);
        const float tol = 1e-5f * glm::length(b0.size());
        EXPECT_NEAR(glm::distance(b0.min, b1.min), 0.0f, tol) << preset;
        EXPECT_NEAR(glm::distance(b0.max, b1.max), 0.0f, tol) << preset;
        EXPECT_EQ(back.materials.size(), src.materials.size());
        ASSERT_EQ(back.textures.size(), src.textures.size());
        for (std::size_t i = 0; i < src.textures.size(); ++i) {
            EXPECT_EQ(back.textures[i].image.width, src.textures[i].image.width);
            EXPECT_EQ(back.textures[i].image.height, src.textures[i].image.height);
        }
        EXPECT_EQ(back.colors.empty(), src.colors.empty());
        EXPECT_EQ(back.uv0.empty(), src.uv0.empty());
        // Colours and UVs per corner (Assimp re-splits vertices, so compare triangle corners).
        double colourError = 0, uvError = 0, normalError = 0;
        for (std::size_t i = 0; i < src.indices.size(); ++i) {
            const std::uint32_t a = src.indices[i], b = back.indices[i];
            if (!src.colors.empty()) colourError = std::max(colourError, double(glm::distance(src.colors[a], back.colors[b])));
            if (!src.uv0.empty()) uvError = std::max(uvError, double(glm::distance(src.uv0[a], back.uv0[b])));
            if (!src.normals.empty()) normalError = std::max(normalError, double(glm::distance(src.normals[a], back.normals[b])));
        }
        EXPECT_LT(colourError, 1e-5) << "vertex colours go through sRGB and back";
        EXPECT_LT(uvError, 1e-6);
        EXPECT_LT(normalError, 1e-5);
    }
}

INSTANTIATE_TEST_SUITE_P(PresetsAndSamples, FbxAssimpRoundTrip,
                         ::testing::Combine(::testing::ValuesIn(kSamples), ::testing::Values("blender", "unreal", "unity", "maya")),
                         [](const auto& info) { return std::string(std::get<0>(info.param).name) + "_" + std::get<1>(info.param); });

TEST(FbxWriter, TexturesBesideAreWrittenWithRelativeNames) {
    const auto dir = scratchDir();
    const auto asset = io::loadAsset(testdata("gltf/Duck/Duck.glb"));
    io::exportAsset(asset, dir / "duck.fbx", {.preset = "maya", .fbxTextures = io::FbxTextures::Beside});
    ASSERT_TRUE(fs::exists(dir / "duck_0_texture0.png"));
    FbxReader reader(readBytes(dir / "duck.fbx"));
    const FbxNode root = reader.parse();
    const FbxNode& video = *root.find("Objects")->find("Video");
    EXPECT_EQ(video.find("Content"), nullptr);
    EXPECT_EQ(video.find("RelativeFilename")->str(0), "duck_0_texture0.png");
    EXPECT_EQ(root.find("Objects")->find("Texture")->find("RelativeFilename")->str(0), "duck_0_texture0.png");
}

// ---- glTF clean-up ------------------------------------------------------------------------------

TEST(GltfCleanup, AssimpGlbKeepsOnlyWhatIsUsed) {
    const auto dir = scratchDir();
    core::Mesh truck = loadSample("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf");
    // An unused material with its own texture, and a texture nothing uses.
    core::Material unused;
    unused.name = "unused";
    unused.baseColorTexture = int(truck.textures.size());
    truck.textures.push_back(truck.textures[0]);
    truck.textures.back().name = "orphan.png";
    truck.materials.push_back(unused);
    for (const char* ext : {".glb", ".gltf"}) {
        const fs::path out = dir / (std::string("truck") + ext);
        io::exportMesh(truck, out);
        nlohmann::json doc;
        if (std::string(ext) == ".glb") {
            const auto b = readBytes(out);
            std::uint32_t jsonLength;
            std::memcpy(&jsonLength, b.data() + 12, 4);
            doc = nlohmann::json::parse(b.begin() + 20, b.begin() + 20 + jsonLength);
            std::uint32_t total;
            std::memcpy(&total, b.data() + 8, 4);
            EXPECT_EQ(total, b.size());
        } else {
            std::ifstream in(out);
            doc = nlohmann::json::parse(in);
        }
        EXPECT_FALSE(doc.contains("extensionsUsed")) << doc["extensionsUsed"];
        EXPECT_FALSE(doc.contains("extensionsRequired"));
        EXPECT_EQ(doc["materials"].size(), 4u) << "the unused material is gone";
        EXPECT_EQ(doc["textures"].size(), 1u);
        EXPECT_EQ(doc["images"].size(), 1u);
        EXPECT_EQ(doc["asset"]["generator"].get<std::string>().rfind("Kiln", 0), 0u);
        std::set<std::size_t> usedAccessors;
        std::size_t withUv = 0;
        for (const auto& prim : doc["meshes"][0]["primitives"]) {
            EXPECT_FALSE(prim.contains("extensions"));
            const auto& mat = doc["materials"][prim["material"].get<std::size_t>()];
            const bool textured = mat.contains("pbrMetallicRoughness") && mat["pbrMetallicRoughness"].contains("baseColorTexture");
            EXPECT_EQ(prim["attributes"].contains("TEXCOORD_0"), textured) << mat["name"];
            withUv += textured;
            for (const auto& a : prim["attributes"]) usedAccessors.insert(a.get<std::size_t>());
            usedAccessors.insert(prim["indices"].get<std::size_t>());
        }
        EXPECT_EQ(withUv, 3u);  // truck and two wheels
        EXPECT_EQ(usedAccessors.size(), doc["accessors"].size()) << "no accessor left unreferenced";
        std::size_t viewBytes = 0;
        for (const auto& v : doc["bufferViews"]) viewBytes += (v["byteLength"].get<std::size_t>() + 3) / 4 * 4;
        EXPECT_GE(doc["buffers"][0]["byteLength"].get<std::size_t>() + 3, viewBytes) << "buffer repacked to its views";
        EXPECT_LE(doc["buffers"][0]["byteLength"].get<std::size_t>(), viewBytes);
        // Still reads back with the same geometry.
        const core::Mesh back = io::importMesh(out);
        EXPECT_EQ(back.triangleCount(), truck.triangleCount());
        EXPECT_EQ(back.materials.size(), 4u);
        EXPECT_EQ(back.textures.size(), 1u);
    }
}

// ---- PLY writer ---------------------------------------------------------------------------------

TEST(PlyExport, DeclaredLayoutMatchesTheBytesAndColoursRoundTrip) {
    const auto dir = scratchDir();
    const core::Mesh box = loadSample("gltf/BoxVertexColors/BoxVertexColors.glb");
    io::exportMesh(box, dir / "box.ply");
    const auto bytes = readBytes(dir / "box.ply");
    const std::string text(bytes.begin(), bytes.end());
    const std::size_t headerEnd = text.find("end_header\n") + 11;
    ASSERT_NE(text.find("property uchar red"), std::string::npos);
    // x y z nx ny nz s t (8 floats) + RGBA bytes per vertex; 1 + 3 uints per face.
    EXPECT_EQ(bytes.size() - headerEnd, box.vertexCount() * (8 * 4 + 4) + box.triangleCount() * 13);
    const core::Mesh back = io::importMesh(dir / "box.ply");
    ASSERT_EQ(back.colors.size(), back.vertexCount());
    double worst = 0;
    for (std::size_t i = 0; i < box.indices.size(); ++i)
        worst = std::max(worst, double(glm::distance(glm::vec3(box.colors[box.indices[i]]), glm::vec3(back.colors[back.indices[i]]))));
    EXPECT_LT(worst, 0.01) << "8-bit sRGB quantisation only";
}

// ---- export check -------------------------------------------------------------------------------

TEST(ExportCheck, ClosedBoxHasNoHolesOrNonManifoldEdges) {
    const core::Mesh box = loadSample("gltf/BoxVertexColors/BoxVertexColors.glb");
    const io::ExportReport r = io::checkForExport(box, io::exportPreset("unreal"));
    EXPECT_EQ(r.triangles, 12u);
    EXPECT_EQ(r.vertices, 24u);
    EXPECT_EQ(r.weldedVertices, 8u);
    EXPECT_EQ(r.boundaryEdges, 0u);
    EXPECT_EQ(r.holes, 0u);
    EXPECT_EQ(r.nonManifoldEdges, 0u);
    EXPECT_EQ(r.degenerateTriangles, 0u);
    EXPECT_NEAR(r.sizeMetres.x, 1.0f, 1e-6f);
    EXPECT_TRUE(r.warnings.empty());
}

TEST(ExportCheck, OpenQuadFinAndDegenerateTriangles) {
    core::Mesh m = quad();
    io::ExportReport r = io::checkForExport(m, io::exportPreset("generic"));
    EXPECT_EQ(r.boundaryEdges, 4u);
    EXPECT_EQ(r.holes, 1u);
    // Two quads far apart: two open borders.
    core::Mesh two = quad();
    for (auto p : quad().positions) two.positions.push_back(p + glm::vec3(5, 0, 0));
    for (std::uint32_t i : {4u, 5u, 6u, 4u, 6u, 7u}) two.indices.push_back(i);
    two.submeshes[0].indexCount = 12;
    two.submeshes[0].vertexCount = 8;
    EXPECT_EQ(io::checkForExport(two, io::exportPreset("generic")).holes, 2u);
    // A fin: a third triangle on the quad's diagonal makes that edge non-manifold.
    m.positions.push_back({0.5f, 0.5f, 1.0f});
    m.indices.insert(m.indices.end(), {0, 2, 4});
    m.submeshes[0].indexCount = 9;
    m.submeshes[0].vertexCount = 5;
    r = io::checkForExport(m, io::exportPreset("generic"));
    EXPECT_EQ(r.nonManifoldEdges, 1u);
    // A zero-area sliver (collinear corners) and a triangle with a repeated corner.
    m.positions.push_back({2.0f, 2.0f, 0.0f});
    m.indices.insert(m.indices.end(), {0, 2, 5, 1, 1, 3});
    m.submeshes[0].indexCount = 15;
    m.submeshes[0].vertexCount = 6;
    r = io::checkForExport(m, io::exportPreset("generic"));
    EXPECT_EQ(r.degenerateTriangles, 2u);
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_NE(r.warnings[0].find("degenerate"), std::string::npos) << r.warnings[0];
}

TEST(ExportCheck, WarnsAboutImplausibleSizeForThePreset) {
    // A chair modelled in millimetres but read as metres: 0.001 m.
    io::ExportReport r = io::checkForExport(quad(0.001f), io::exportPreset("unreal"));
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("implausibly small for Unreal Engine"), std::string::npos) << r.warnings[0];
    EXPECT_NE(r.warnings[0].find("--scale 1000"), std::string::npos) << r.warnings[0];
    r = io::checkForExport(quad(5000.0f), io::exportPreset("maya"));
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("implausibly large"), std::string::npos) << r.warnings[0];
    EXPECT_TRUE(io::checkForExport(quad(0.5f), io::exportPreset("blender")).warnings.empty());
}

TEST(ExportCheck, ReportsTextureSizesAndNonPowerOfTwoForGameEngines) {
    core::Mesh m = quad();
    core::Texture t;
    t.name = "albedo.png";
    t.image = core::Image::makeU8(300, 200, 3);
    m.textures.push_back(t);
    io::ExportReport r = io::checkForExport(m, io::exportPreset("unity"));
    ASSERT_EQ(r.textures.size(), 1u);
    EXPECT_EQ(r.textures[0].width, 300);
    EXPECT_EQ(r.textures[0].height, 200);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("power of two"), std::string::npos);
    EXPECT_TRUE(io::checkForExport(m, io::exportPreset("blender")).warnings.empty());
    bool listed = false;
    for (const auto& line : r.lines()) listed |= line.find("albedo.png 300x200") != std::string::npos;
    EXPECT_TRUE(listed);
}

// ---- exportAsset errors -------------------------------------------------------------------------

TEST(ExportAsset, SplatCloudToAMeshFormatExplainsTheOptions) {
    const auto dir = scratchDir();
    core::GaussianCloud cloud;
    cloud.resize(4, 0);
    for (std::size_t i = 0; i < 4; ++i) cloud.positions[i] = glm::vec3(float(i));
    const core::Asset asset = core::Asset::fromGaussians("biker", cloud);
    for (const char* preset : {"unreal", "generic"}) {
        for (const char* ext : {".fbx", ".glb", ".obj"}) {
            try {
                io::exportAsset(asset, dir / (std::string("biker") + ext), {.preset = preset});
                FAIL() << "expected an error for " << ext;
            } catch (const Error& e) {
                const std::string m = e.what();
                if (std::string(preset) == "generic" && std::string(ext) == ".fbx") continue;  // generic does not write FBX at all
                EXPECT_NE(m.find("Gaussian splat cloud"), std::string::npos) << m;
                EXPECT_NE(m.find(".spz"), std::string::npos) << m;
                EXPECT_NE(m.find("convert the cloud to a mesh"), std::string::npos) << m;
            }
        }
    }
    EXPECT_TRUE(fs::is_empty(dir));
    // The splat formats themselves work (generic preset) and report the cloud.
    const io::ExportReport r = io::exportAsset(asset, dir / "biker.spz", {});
    EXPECT_TRUE(r.splats);
    EXPECT_EQ(r.splatCount, 4u);
    EXPECT_TRUE(fs::exists(dir / "biker.spz"));
}

TEST(ExportAsset, FormatOutsideThePresetNamesThePresetsThatWriteIt) {
    const auto dir = scratchDir();
    const auto asset = io::loadAsset(testdata("gltf/Box/Box.glb"));
    try {
        io::exportAsset(asset, dir / "box.glb", {.preset = "maya"});
        FAIL();
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("preset 'maya' writes .fbx"), std::string::npos) << m;
        EXPECT_NE(m.find("--preset blender, unreal, unity, generic"), std::string::npos) << m;
    }
    try {
        io::exportAsset(asset, dir / "box.fbx", {.preset = "generic"});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("blender, unreal, unity, maya"), std::string::npos) << e.what();
    }
    try {
        io::exportAsset(asset, dir / "box.fbx", {.preset = "unreal", .up = io::Axis::PosY});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("fixed by preset 'unreal'"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fs::is_empty(dir));
}

TEST(ExportAsset, ScaleAppliesBeforeThePresetAndExistingFilesAreKept) {
    const auto dir = scratchDir();
    const auto asset = io::loadAsset(testdata("gltf/Box/Box.glb"));
    // Box.glb is 1 m; --scale 0.001 makes it a 1 mm box, which the check flags.
    const io::ExportReport r = io::exportAsset(asset, dir / "box.fbx", {.preset = "unreal", .scale = 0.001f});
    EXPECT_NEAR(r.sizeMetres.x, 0.001f, 1e-6f);
    ASSERT_FALSE(r.warnings.empty());
    EXPECT_NE(r.warnings[0].find("implausibly small"), std::string::npos);
    const core::Mesh back = io::importMesh(dir / "box.fbx");
    EXPECT_NEAR(core::computeBounds(back).size().x, 0.001f, 1e-7f);
    // The dialog's preview measures the same without writing.
    const io::ExportReport preview = io::checkExport(asset, dir / "preview.fbx", {.preset = "unreal", .scale = 0.001f});
    EXPECT_EQ(preview.lines(), r.lines());
    EXPECT_EQ(preview.warnings, r.warnings);
    EXPECT_FALSE(fs::exists(dir / "preview.fbx"));
    EXPECT_THROW(io::exportAsset(asset, dir / "box.fbx", {.preset = "unreal"}), Error);
    EXPECT_NO_THROW(io::exportAsset(asset, dir / "box.fbx", {.preset = "unreal", .overwrite = true}));
}

TEST(ExportAsset, GeneratedAssetsCarryTheirModelsAndLicences) {
    const auto dir = scratchDir();
    core::Asset asset = io::loadAsset(testdata("gltf/Box/Box.glb"));
    // An import carries no record.
    EXPECT_TRUE(core::provenanceRecord(asset.provenance).empty());
    io::saveAsset(asset, dir / "plain.glb");
    EXPECT_TRUE(io::readGltfProvenance(dir / "plain.glb").empty());
    asset.provenance.source = "generate:text";
    asset.provenance.prompt = "a red box";
    asset.provenance.seed = 7;
    asset.provenance.model = "t2l v1 + ae v3";
    asset.provenance.modelLicence = "t2l v1: CC-BY-4.0; ae v3: MIT";
    // glTF: asset.extras.kiln, for every preset that writes glTF.
    for (const char* preset : {"generic", "blender", "unreal"}) {
        const fs::path out = dir / (std::string(preset) + ".glb");
        io::exportAsset(asset, out, {.preset = preset});
        const auto record = io::readGltfProvenance(out);
        std::map<std::string, std::string> m(record.begin(), record.end());
        EXPECT_EQ(m["modelLicence"], "t2l v1: CC-BY-4.0; ae v3: MIT") << preset;
        EXPECT_EQ(m["prompt"], "a red box") << preset;
        EXPECT_EQ(m["seed"], "7") << preset;
        EXPECT_EQ(m["model"], "t2l v1 + ae v3") << preset;
    }
    // FBX: user properties "kiln:<key>" on the Model.
    io::exportAsset(asset, dir / "box.fbx", {.preset = "maya"});
    FbxReader reader(readBytes(dir / "box.fbx"));
    const FbxNode root = reader.parse();
    const FbxNode& model = *root.find("Objects")->find("Model");
    std::map<std::string, std::string> props;
    for (const FbxNode* p : model.find("Properties70")->all("P"))
        if (p->str(0).rfind("kiln:", 0) == 0) {
            EXPECT_EQ(p->str(1), "KString");
            EXPECT_EQ(p->str(3), "U");  // user-defined: DCC tools list it as a custom property
            props[p->str(0)] = p->str(4);
        }
    EXPECT_EQ(props["kiln:modelLicence"], "t2l v1: CC-BY-4.0; ae v3: MIT");
    EXPECT_EQ(props["kiln:source"], "generate:text");
    // And Assimp still reads the file.
    EXPECT_NO_THROW(io::importMesh(dir / "box.fbx"));
}
