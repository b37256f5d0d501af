#include "io/project.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
using Bytes = std::span<const std::uint8_t>;

constexpr const char* kFormatName = "kiln-project";
constexpr std::uint64_t kFormatVersion = 1;
constexpr const char* kGenerator = "Kiln 0.1.0";
constexpr const char* kProjectFile = "project.json";
constexpr const char* kBlobDir = "blobs";
constexpr const char* kProjectExtension = ".kiln";

constexpr std::array<std::uint8_t, 4> kBlobMagic = {'K', 'L', 'N', 'B'};
constexpr std::uint32_t kBlobVersion = 1;
constexpr std::uint32_t kBlobKindMesh = 0;
constexpr std::uint32_t kBlobKindGaussians = 1;
// Per section: tag, CRC-32 of the payload, payload size.
constexpr std::size_t kSectionHeaderSize = 4 + 4 + 8;

// Arrays are copied to and from disk as raw memory.
static_assert(std::endian::native == std::endian::little, "the .kiln blob layout is little-endian");
static_assert(sizeof(glm::vec2) == 8 && sizeof(glm::vec3) == 12 && sizeof(glm::vec4) == 16);

constexpr std::uint32_t makeTag(const char (&s)[5]) {
    return std::uint32_t(std::uint8_t(s[0])) | std::uint32_t(std::uint8_t(s[1])) << 8 |
           std::uint32_t(std::uint8_t(s[2])) << 16 | std::uint32_t(std::uint8_t(s[3])) << 24;
}

constexpr std::uint32_t kTagPositions = makeTag("POSN");
constexpr std::uint32_t kTagNormals = makeTag("NORM");
constexpr std::uint32_t kTagUv0 = makeTag("UV0 ");
constexpr std::uint32_t kTagUv1 = makeTag("UV1 ");
constexpr std::uint32_t kTagColors = makeTag("COLR");
constexpr std::uint32_t kTagIndices = makeTag("INDX");
constexpr std::uint32_t kTagSubmeshes = makeTag("SUBM");
constexpr std::uint32_t kTagMaterials = makeTag("MATL");
constexpr std::uint32_t kTagTextures = makeTag("TEXR");
constexpr std::uint32_t kTagShDegree = makeTag("GHDR");
constexpr std::uint32_t kTagSplatPositions = makeTag("GPOS");
constexpr std::uint32_t kTagLogScales = makeTag("GSCL");
constexpr std::uint32_t kTagRotations = makeTag("GROT");
constexpr std::uint32_t kTagOpacities = makeTag("GOPA");
constexpr std::uint32_t kTagSh = makeTag("GSH ");

// Smallest encoded record of each list, used to reject impossible counts before allocating.
constexpr std::size_t kMinSubmeshSize = 4 + 5 * 4;
constexpr std::size_t kMinMaterialSize = 4 + 16 + 4 + 4 + 12 + 1 + 4 + 1 + 5 * 4;
constexpr std::size_t kMinTextureSize = 4 + 4 + 8 + 3 * 4 + 1 + 8;

std::string tagName(std::uint32_t tag) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        const char c = char((tag >> (8 * i)) & 0xffu);
        s += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return s;
}

std::uint32_t crc32Of(std::uint32_t crc, Bytes bytes) {
    constexpr std::size_t kChunk = std::size_t(1) << 30;  // zlib takes 32-bit lengths
    while (!bytes.empty()) {
        const std::size_t n = std::min(bytes.size(), kChunk);
        crc = std::uint32_t(::crc32(crc, bytes.data(), uInt(n)));
        bytes = bytes.subspan(n);
    }
    return crc;
}

const char* kindName(core::AssetKind kind) { return kind == core::AssetKind::Mesh ? "mesh" : "gaussians"; }

// ---------------------------------------------------------------------------------------------
// Checks shared by save and load, beyond Mesh::validate, so a save never writes what a load
// would refuse.

void checkMeshExtras(const core::Mesh& mesh, const std::string& what) {
    for (const auto& s : mesh.submeshes)
        if (s.material < -1) throw Error(what + ": submesh '" + s.name + "' has material index " + std::to_string(s.material));
    for (const auto& m : mesh.materials) {
        for (int t : {m.baseColorTexture, m.metallicRoughnessTexture, m.normalTexture, m.occlusionTexture, m.emissiveTexture})
            if (t < -1) throw Error(what + ": material '" + m.name + "' has texture index " + std::to_string(t));
        if (m.alphaMode != core::AlphaMode::Opaque && m.alphaMode != core::AlphaMode::Mask && m.alphaMode != core::AlphaMode::Blend)
            throw Error(what + ": material '" + m.name + "' has an unknown alpha mode");
    }
    for (const auto& t : mesh.textures) {
        const core::Image& im = t.image;
        if (im.width < 0 || im.height < 0 || im.channels < 0)
            throw Error(what + ": texture '" + t.name + "' has a negative image size");
        if (im.type != core::PixelType::U8 && im.type != core::PixelType::F32)
            throw Error(what + ": texture '" + t.name + "' has an unknown pixel type");
        const std::size_t stored = im.type == core::PixelType::U8 ? im.u8.size() : im.f32.size();
        if (stored != im.valueCount())
            throw Error(what + ": texture '" + t.name + "' has " + std::to_string(stored) + " pixel values for a " +
                        std::to_string(im.width) + "x" + std::to_string(im.height) + "x" + std::to_string(im.channels) + " image");
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

// A length-prefixed string in a blob section.
void putString(BinaryWriter& w, const std::string& s) {
    if (s.size() > UINT32_MAX) throw Error("text of " + std::to_string(s.size()) + " bytes is too long to save");
    w.put(std::uint32_t(s.size()));
    w.putArray(std::span<const char>(s));
}

template <class T>
Bytes asBytes(const std::vector<T>& v) {
    return {reinterpret_cast<const std::uint8_t*>(v.data()), v.size() * sizeof(T)};
}

// One section on its way to disk. Arrays are written straight from the caller's vectors (a large
// Gaussian cloud is never copied); structured sections own their encoded bytes.
struct OutSection {
    std::uint32_t tag = 0;
    std::vector<std::uint8_t> owned;
    std::vector<Bytes> borrowed;
    std::uint64_t count = 0;  // element count prefix of an array section
    bool isArray = false;

    std::vector<Bytes> payload() const {
        if (!isArray) return {Bytes(owned)};
        std::vector<Bytes> p{Bytes(reinterpret_cast<const std::uint8_t*>(&count), sizeof count)};
        p.insert(p.end(), borrowed.begin(), borrowed.end());
        return p;
    }
};

template <class T>
OutSection arraySection(std::uint32_t tag, const std::vector<T>& v) {
    OutSection s;
    s.tag = tag;
    s.isArray = true;
    s.count = v.size();
    s.borrowed.push_back(asBytes(v));
    return s;
}

OutSection ownedSection(std::uint32_t tag, BinaryWriter&& w) {
    OutSection s;
    s.tag = tag;
    s.owned = w.take();
    return s;
}

void putImage(BinaryWriter& w, const core::Image& im) {
    w.put(std::int32_t(im.width));
    w.put(std::int32_t(im.height));
    w.put(std::int32_t(im.channels));
    w.put(std::uint8_t(im.type == core::PixelType::U8 ? 0 : 1));
    if (im.type == core::PixelType::U8) {
        w.put(std::uint64_t(im.u8.size()));
        w.putArray(im.u8);
    } else {
        w.put(std::uint64_t(im.f32.size()));
        w.putArray(im.f32);
    }
}

std::vector<OutSection> meshSections(const core::Mesh& mesh) {
    std::vector<OutSection> out;
    out.push_back(arraySection(kTagPositions, mesh.positions));
    out.push_back(arraySection(kTagNormals, mesh.normals));
    out.push_back(arraySection(kTagUv0, mesh.uv0));
    out.push_back(arraySection(kTagUv1, mesh.uv1));
    out.push_back(arraySection(kTagColors, mesh.colors));
    out.push_back(arraySection(kTagIndices, mesh.indices));

    BinaryWriter sub;
    sub.put(std::uint32_t(mesh.submeshes.size()));
    for (const auto& s : mesh.submeshes) {
        putString(sub, s.name);
        sub.put(s.firstIndex);
        sub.put(s.indexCount);
        sub.put(s.firstVertex);
        sub.put(s.vertexCount);
        sub.put(std::int32_t(s.material));
    }
    out.push_back(ownedSection(kTagSubmeshes, std::move(sub)));

    BinaryWriter mat;
    mat.put(std::uint32_t(mesh.materials.size()));
    for (const auto& m : mesh.materials) {
        putString(mat, m.name);
        mat.put(m.baseColorFactor);
        mat.put(m.metallicFactor);
        mat.put(m.roughnessFactor);
        mat.put(m.emissiveFactor);
        mat.put(std::uint8_t(m.alphaMode));
        mat.put(m.alphaCutoff);
        mat.put(std::uint8_t(m.doubleSided ? 1 : 0));
        for (int t : {m.baseColorTexture, m.metallicRoughnessTexture, m.normalTexture, m.occlusionTexture, m.emissiveTexture})
            mat.put(std::int32_t(t));
    }
    out.push_back(ownedSection(kTagMaterials, std::move(mat)));

    BinaryWriter tex;
    tex.put(std::uint32_t(mesh.textures.size()));
    for (const auto& t : mesh.textures) {
        putString(tex, t.name);
        putString(tex, t.mimeType);
        tex.put(std::uint64_t(t.encoded.size()));
        tex.putArray(t.encoded);
        putImage(tex, t.image);
    }
    out.push_back(ownedSection(kTagTextures, std::move(tex)));
    return out;
}

std::vector<OutSection> gaussianSections(const core::GaussianCloud& cloud) {
    std::vector<OutSection> out;
    BinaryWriter header;
    header.put(std::int32_t(cloud.shDegree));
    out.push_back(ownedSection(kTagShDegree, std::move(header)));
    out.push_back(arraySection(kTagSplatPositions, cloud.positions));
    out.push_back(arraySection(kTagLogScales, cloud.logScales));
    out.push_back(arraySection(kTagRotations, cloud.rotations));
    out.push_back(arraySection(kTagOpacities, cloud.opacityLogits));
    out.push_back(arraySection(kTagSh, cloud.sh));
    return out;
}

// Validates one version's data and writes it as a blob (layout in docs/project-format.md).
void writeBlob(const core::Representation& data, const std::string& what, const fs::path& file, const std::string& shown) {
    std::uint32_t kind = 0;
    std::vector<OutSection> sections;
    if (const auto* mesh = std::get_if<core::Mesh>(&data)) {
        mesh->validate(what);
        checkMeshExtras(*mesh, what);
        kind = kBlobKindMesh;
        sections = meshSections(*mesh);
    } else {
        const auto& cloud = std::get<core::GaussianCloud>(data);
        cloud.validate(what);
        kind = kBlobKindGaussians;
        sections = gaussianSections(cloud);
    }

    BinaryWriter header;
    header.putBytes(kBlobMagic);
    header.put(kBlobVersion);
    header.put(kind);
    header.put(std::uint32_t(sections.size()));

    // Section headers are kept alive here; `pieces` points into them.
    std::vector<BinaryWriter> sectionHeaders(sections.size());
    std::vector<std::vector<Bytes>> payloads;
    std::vector<Bytes> pieces{header.bytes()};
    for (std::size_t i = 0; i < sections.size(); ++i) {
        payloads.push_back(sections[i].payload());
        std::uint32_t crc = std::uint32_t(::crc32(0, nullptr, 0));
        std::uint64_t size = 0;
        for (Bytes b : payloads.back()) {
            crc = crc32Of(crc, b);
            size += b.size();
        }
        BinaryWriter& h = sectionHeaders[i];
        h.put(sections[i].tag);
        h.put(crc);
        h.put(size);
        pieces.push_back(h.bytes());
        pieces.insert(pieces.end(), payloads.back().begin(), payloads.back().end());
    }
    writeFileDurably(file, shown, pieces);
}

OrderedJson optionalNumber(const std::optional<std::uint64_t>& v) { return v ? OrderedJson(*v) : OrderedJson(nullptr); }

// Provenance in project.json (parseProvenance reads it back).
OrderedJson toJson(const core::Provenance& p) {
    OrderedJson j;
    j["source"] = p.source;
    j["sourcePath"] = p.sourcePath;
    j["prompt"] = p.prompt;
    j["seed"] = optionalNumber(p.seed);
    j["model"] = p.model;
    if (!p.modelLicence.empty()) j["modelLicence"] = p.modelLicence;
    j["options"] = p.options;
    j["createdAt"] = p.createdAt;
    j["parentVersion"] = optionalNumber(p.parentVersion);
    return j;
}

// Writes the project's files into `dir` (a fresh temporary folder); `target` names them in errors.
void writeProjectFiles(const core::Document& doc, const fs::path& dir, const fs::path& target) {
    const fs::path blobDir = dir / kBlobDir;
    std::error_code ec;
    if (!fs::create_directory(blobDir, ec) || ec)
        throw Error((target / kBlobDir).string() + ": cannot create (" + ec.message() + ")");

    // Versions that share their data (same shared_ptr) share one blob.
    std::map<const core::Representation*, std::string> written;
    OrderedJson assets = OrderedJson::array();
    for (const auto& asset : doc.assets()) {
        OrderedJson versions = OrderedJson::array();
        for (const auto& version : asset.versions) {
            const std::string what = target.string() + ": asset '" + asset.name + "' version " + std::to_string(version.id);
            if (!version.asset.data) throw Error(what + " has no data");
            const core::Representation* data = version.asset.data.get();
            auto it = written.find(data);
            if (it == written.end()) {
                const std::string fileName = std::to_string(version.id) + ".bin";
                const std::string rel = std::string(kBlobDir) + "/" + fileName;
                writeBlob(*data, what, blobDir / fileName, (target / kBlobDir / fileName).string());
                it = written.emplace(data, rel).first;
            }
            OrderedJson v;
            v["id"] = version.id;
            v["name"] = version.asset.name;
            v["kind"] = kindName(version.asset.kind());
            v["blob"] = it->second;
            v["provenance"] = toJson(version.asset.provenance);
            versions.push_back(std::move(v));
        }
        OrderedJson a;
        a["id"] = asset.id;
        a["name"] = asset.name;
        a["current"] = asset.current;
        a["versions"] = std::move(versions);
        assets.push_back(std::move(a));
    }

    OrderedJson root;
    root["format"] = kFormatName;
    root["formatVersion"] = kFormatVersion;
    root["generator"] = kGenerator;
    root["nextId"] = doc.nextId();
    root["assets"] = std::move(assets);
    // Names and paths come from files and users; invalid UTF-8 becomes U+FFFD rather than
    // making the whole project unsavable.
    const std::string text = root.dump(2, ' ', false, OrderedJson::error_handler_t::replace) + "\n";
    const Bytes textBytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    writeFileDurably(dir / kProjectFile, (target / kProjectFile).string(), std::span<const Bytes>(&textBytes, 1));
    syncFolder(blobDir);
    syncFolder(dir);
}

bool isProjectFolder(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(fs::symlink_status(dir, ec)) && fs::is_regular_file(dir / kProjectFile, ec);
}

// ---------------------------------------------------------------------------------------------
// Reading blobs

template <class T>
std::vector<T> readArray(BinaryReader& r, const char* what) {
    const auto count = r.read<std::uint64_t>(what);
    if (count > r.remaining() / sizeof(T))
        r.fail(std::string(what) + ": " + std::to_string(count) + " entries do not fit in the section");
    std::vector<T> out(static_cast<std::size_t>(count));
    if (count > 0) std::memcpy(out.data(), r.bytes(out.size() * sizeof(T), what).data(), out.size() * sizeof(T));
    return out;
}

std::string readString(BinaryReader& r, const char* what) {
    const auto size = r.read<std::uint32_t>(what);
    const Bytes b = r.bytes(size, what);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::uint32_t readListCount(BinaryReader& r, std::size_t minRecordSize, const char* what) {
    const auto count = r.read<std::uint32_t>(what);
    if (count > r.remaining() / minRecordSize)
        r.fail(std::string(what) + ": count " + std::to_string(count) + " does not fit in the section");
    return count;
}

int readIndex(BinaryReader& r, const char* what) {
    const auto v = r.read<std::int32_t>(what);
    if (v < -1) r.fail(std::string(what) + " " + std::to_string(v) + " is out of range");
    return v;
}

core::Image readImage(BinaryReader& r) {
    core::Image im;
    im.width = r.read<std::int32_t>("image width");
    im.height = r.read<std::int32_t>("image height");
    im.channels = r.read<std::int32_t>("image channels");
    if (im.width < 0 || im.height < 0 || im.channels < 0)
        r.fail("texture image size " + std::to_string(im.width) + "x" + std::to_string(im.height) + "x" + std::to_string(im.channels) + " is negative");
    const auto type = r.read<std::uint8_t>("pixel type");
    if (type > 1) r.fail("unknown pixel type " + std::to_string(type));
    im.type = type == 0 ? core::PixelType::U8 : core::PixelType::F32;
    std::uint64_t expected = 0;
    if (__builtin_mul_overflow(std::uint64_t(im.width), std::uint64_t(im.height), &expected) ||
        __builtin_mul_overflow(expected, std::uint64_t(im.channels), &expected))
        r.fail("texture image is too large");
    if (im.type == core::PixelType::U8)
        im.u8 = readArray<std::uint8_t>(r, "texture pixels");
    else
        im.f32 = readArray<float>(r, "texture pixels");
    const std::size_t stored = im.type == core::PixelType::U8 ? im.u8.size() : im.f32.size();
    if (stored != expected)
        r.fail("texture image has " + std::to_string(stored) + " pixel values, expected " + std::to_string(expected));
    return im;
}

using SectionMap = std::map<std::uint32_t, Bytes>;

// Decodes one section with `decode(BinaryReader&)`, which must consume it exactly.
template <class Decode>
auto decodeSection(const SectionMap& sections, std::uint32_t tag, const std::string& file, Decode&& decode) {
    const auto it = sections.find(tag);
    if (it == sections.end()) throw Error(file + ": missing section " + tagName(tag));
    BinaryReader r(it->second, file);
    auto value = decode(r);
    if (r.remaining() != 0)
        r.fail("section " + tagName(tag) + " has " + std::to_string(r.remaining()) + " unexpected trailing bytes");
    return value;
}

template <class T>
std::vector<T> decodeArray(const SectionMap& sections, std::uint32_t tag, const std::string& file, const char* what) {
    return decodeSection(sections, tag, file, [&](BinaryReader& r) { return readArray<T>(r, what); });
}

core::Mesh decodeMeshV1(const SectionMap& sections, const std::string& file) {
    core::Mesh mesh;
    mesh.positions = decodeArray<glm::vec3>(sections, kTagPositions, file, "positions");
    mesh.normals = decodeArray<glm::vec3>(sections, kTagNormals, file, "normals");
    mesh.uv0 = decodeArray<glm::vec2>(sections, kTagUv0, file, "UV0");
    mesh.uv1 = decodeArray<glm::vec2>(sections, kTagUv1, file, "UV1");
    mesh.colors = decodeArray<glm::vec4>(sections, kTagColors, file, "vertex colours");
    mesh.indices = decodeArray<std::uint32_t>(sections, kTagIndices, file, "indices");

    mesh.submeshes = decodeSection(sections, kTagSubmeshes, file, [](BinaryReader& r) {
        std::vector<core::Submesh> out(readListCount(r, kMinSubmeshSize, "submesh count"));
        for (auto& s : out) {
            s.name = readString(r, "submesh name");
            s.firstIndex = r.read<std::uint32_t>("submesh first index");
            s.indexCount = r.read<std::uint32_t>("submesh index count");
            s.firstVertex = r.read<std::uint32_t>("submesh first vertex");
            s.vertexCount = r.read<std::uint32_t>("submesh vertex count");
            s.material = readIndex(r, "submesh material index");
        }
        return out;
    });

    mesh.materials = decodeSection(sections, kTagMaterials, file, [](BinaryReader& r) {
        std::vector<core::Material> out(readListCount(r, kMinMaterialSize, "material count"));
        for (auto& m : out) {
            m.name = readString(r, "material name");
            m.baseColorFactor = r.read<glm::vec4>("base colour factor");
            m.metallicFactor = r.read<float>("metallic factor");
            m.roughnessFactor = r.read<float>("roughness factor");
            m.emissiveFactor = r.read<glm::vec3>("emissive factor");
            const auto alpha = r.read<std::uint8_t>("alpha mode");
            if (alpha > std::uint8_t(core::AlphaMode::Blend)) r.fail("material '" + m.name + "': unknown alpha mode " + std::to_string(alpha));
            m.alphaMode = core::AlphaMode(alpha);
            m.alphaCutoff = r.read<float>("alpha cutoff");
            const auto doubleSided = r.read<std::uint8_t>("double-sided flag");
            if (doubleSided > 1) r.fail("material '" + m.name + "': bad double-sided flag");
            m.doubleSided = doubleSided == 1;
            m.baseColorTexture = readIndex(r, "base colour texture index");
            m.metallicRoughnessTexture = readIndex(r, "metallic-roughness texture index");
            m.normalTexture = readIndex(r, "normal texture index");
            m.occlusionTexture = readIndex(r, "occlusion texture index");
            m.emissiveTexture = readIndex(r, "emissive texture index");
        }
        return out;
    });

    mesh.textures = decodeSection(sections, kTagTextures, file, [](BinaryReader& r) {
        std::vector<core::Texture> out(readListCount(r, kMinTextureSize, "texture count"));
        for (auto& t : out) {
            t.name = readString(r, "texture name");
            t.mimeType = readString(r, "texture MIME type");
            t.encoded = readArray<std::uint8_t>(r, "encoded texture");
            t.image = readImage(r);
        }
        return out;
    });

    mesh.validate(file);
    checkMeshExtras(mesh, file);
    return mesh;
}

core::GaussianCloud decodeGaussiansV1(const SectionMap& sections, const std::string& file) {
    core::GaussianCloud cloud;
    cloud.shDegree = decodeSection(sections, kTagShDegree, file, [](BinaryReader& r) {
        const auto degree = r.read<std::int32_t>("SH degree");
        if (degree < 0 || degree > 3) r.fail("SH degree " + std::to_string(degree) + " is outside 0..3");
        return int(degree);
    });
    cloud.positions = decodeArray<glm::vec3>(sections, kTagSplatPositions, file, "splat positions");
    cloud.logScales = decodeArray<glm::vec3>(sections, kTagLogScales, file, "splat scales");
    cloud.rotations = decodeArray<glm::vec4>(sections, kTagRotations, file, "splat rotations");
    cloud.opacityLogits = decodeArray<float>(sections, kTagOpacities, file, "splat opacities");
    cloud.sh = decodeArray<float>(sections, kTagSh, file, "spherical harmonics");
    cloud.validate(file);
    return cloud;
}

core::Representation readBlob(const fs::path& path, core::AssetKind expected) {
    const std::string file = path.string();
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    BinaryReader r(bytes, file);
    const Bytes magic = r.bytes(kBlobMagic.size(), "magic");
    if (!std::equal(magic.begin(), magic.end(), kBlobMagic.begin())) r.fail("not a Kiln data blob (bad magic)");
    const auto version = r.read<std::uint32_t>("blob version");
    if (version > kBlobVersion)
        r.fail("written by a newer Kiln (blob version " + std::to_string(version) + ", this Kiln reads up to " + std::to_string(kBlobVersion) + ")");
    if (version == 0) r.fail("unsupported blob version 0");
    const auto kind = r.read<std::uint32_t>("data kind");
    if (kind != kBlobKindMesh && kind != kBlobKindGaussians) r.fail("unknown data kind " + std::to_string(kind));
    const auto blobKind = kind == kBlobKindMesh ? core::AssetKind::Mesh : core::AssetKind::Gaussians;
    if (blobKind != expected)
        r.fail(std::string("holds ") + kindName(blobKind) + " data but project.json says " + kindName(expected));

    const auto sectionCount = r.read<std::uint32_t>("section count");
    if (sectionCount > r.remaining() / kSectionHeaderSize)
        r.fail("section count " + std::to_string(sectionCount) + " does not fit in the file");
    SectionMap sections;
    for (std::uint32_t i = 0; i < sectionCount; ++i) {
        const auto tag = r.read<std::uint32_t>("section tag");
        const auto crc = r.read<std::uint32_t>("section checksum");
        const auto size = r.read<std::uint64_t>("section size");
        if (size > r.remaining()) r.fail("truncated (section " + tagName(tag) + ")");
        const Bytes payload = r.bytes(static_cast<std::size_t>(size), "section payload");
        if (crc32Of(std::uint32_t(::crc32(0, nullptr, 0)), payload) != crc)
            r.fail("section " + tagName(tag) + " is corrupt (checksum mismatch)");
        // Unknown sections are skipped: a later Kiln may add optional data without a new version.
        if (!sections.emplace(tag, payload).second) r.fail("duplicate section " + tagName(tag));
    }
    if (r.remaining() != 0) r.fail(std::to_string(r.remaining()) + " unexpected bytes after the last section");

    switch (version) {
    case 1:
        if (blobKind == core::AssetKind::Mesh) return decodeMeshV1(sections, file);
        return decodeGaussiansV1(sections, file);
    default:
        r.fail("unsupported blob version " + std::to_string(version));
    }
}

// ---------------------------------------------------------------------------------------------
// Reading project.json

// Typed access to project.json with errors naming the file and the JSON location.
class JsonFields {
public:
    explicit JsonFields(std::string file) : m_file(std::move(file)) {}

    [[noreturn]] void fail(const std::string& where, const std::string& reason) const {
        throw Error(m_file + ": " + (where.empty() ? "" : where + ": ") + reason);
    }

    const Json& field(const Json& obj, const std::string& where, const char* key) const {
        const auto it = obj.find(key);
        if (it == obj.end()) fail(where, std::string("missing \"") + key + "\"");
        return *it;
    }
    std::uint64_t uint(const Json& obj, const std::string& where, const char* key) const {
        const Json& v = field(obj, where, key);
        if (!v.is_number_unsigned()) fail(where, std::string("\"") + key + "\" is not a non-negative whole number");
        return v.get<std::uint64_t>();
    }
    std::string string(const Json& obj, const std::string& where, const char* key) const {
        const Json& v = field(obj, where, key);
        if (!v.is_string()) fail(where, std::string("\"") + key + "\" is not a string");
        return v.get<std::string>();
    }
    const Json& array(const Json& obj, const std::string& where, const char* key) const {
        const Json& v = field(obj, where, key);
        if (!v.is_array()) fail(where, std::string("\"") + key + "\" is not an array");
        return v;
    }
    const Json& object(const Json& obj, const std::string& where, const char* key) const {
        const Json& v = field(obj, where, key);
        if (!v.is_object()) fail(where, std::string("\"") + key + "\" is not an object");
        return v;
    }
    void requireObject(const Json& v, const std::string& where) const {
        if (!v.is_object()) fail(where, "is not an object");
    }
    // Descriptive fields: absent means empty.
    std::string optionalString(const Json& obj, const std::string& where, const char* key) const {
        return obj.contains(key) ? string(obj, where, key) : std::string();
    }
    // Absent or null means none.
    std::optional<std::uint64_t> optionalUint(const Json& obj, const std::string& where, const char* key) const {
        if (!obj.contains(key) || obj.at(key).is_null()) return std::nullopt;
        return uint(obj, where, key);
    }

private:
    std::string m_file;
};

core::AssetKind parseKind(const JsonFields& j, const Json& version, const std::string& where) {
    const std::string kind = j.string(version, where, "kind");
    if (kind == "mesh") return core::AssetKind::Mesh;
    if (kind == "gaussians") return core::AssetKind::Gaussians;
    j.fail(where, "unknown kind \"" + kind + "\"");
}

// A blob path must stay inside the project folder.
fs::path blobPath(const JsonFields& j, const Json& version, const std::string& where, const fs::path& dir) {
    const std::string text = j.string(version, where, "blob");
    const fs::path rel(text);
    bool inside = !text.empty() && rel.is_relative() && !rel.has_root_name() && !rel.has_root_directory();
    for (const auto& part : rel)
        inside = inside && part != ".." && !part.empty();
    if (!inside) j.fail(where, "blob \"" + text + "\" is not a path inside the project");
    return dir / rel;
}

core::Provenance parseProvenance(const JsonFields& j, const Json& p, const std::string& where) {
    core::Provenance out;
    out.source = j.optionalString(p, where, "source");
    out.sourcePath = j.optionalString(p, where, "sourcePath");
    out.prompt = j.optionalString(p, where, "prompt");
    out.seed = j.optionalUint(p, where, "seed");
    out.model = j.optionalString(p, where, "model");
    out.modelLicence = j.optionalString(p, where, "modelLicence");
    out.options = j.optionalString(p, where, "options");
    out.createdAt = j.optionalString(p, where, "createdAt");
    out.parentVersion = j.optionalUint(p, where, "parentVersion");
    return out;
}

core::Document readProjectV1(const Json& root, const fs::path& dir, const std::string& jsonFile) {
    const JsonFields j(jsonFile);
    const std::uint64_t nextId = j.uint(root, "", "nextId");
    const Json& assetsJson = j.array(root, "", "assets");

    // Blobs shared by several versions are read once and stay shared.
    std::map<fs::path, std::shared_ptr<const core::Representation>> loaded;
    std::vector<core::DocumentAsset> assets;
    for (std::size_t ai = 0; ai < assetsJson.size(); ++ai) {
        const Json& a = assetsJson[ai];
        const std::string where = "assets[" + std::to_string(ai) + "]";
        j.requireObject(a, where);
        core::DocumentAsset asset;
        asset.id = j.uint(a, where, "id");
        asset.name = j.string(a, where, "name");
        asset.current = j.uint(a, where, "current");
        const Json& versionsJson = j.array(a, where, "versions");
        for (std::size_t vi = 0; vi < versionsJson.size(); ++vi) {
            const Json& v = versionsJson[vi];
            const std::string vwhere = where + ".versions[" + std::to_string(vi) + "]";
            j.requireObject(v, vwhere);
            core::AssetVersion version;
            version.id = j.uint(v, vwhere, "id");
            version.asset.name = j.string(v, vwhere, "name");
            const core::AssetKind kind = parseKind(j, v, vwhere);
            version.asset.provenance = parseProvenance(j, j.object(v, vwhere, "provenance"), vwhere + ".provenance");
            const fs::path blob = blobPath(j, v, vwhere, dir);
            auto it = loaded.find(blob);
            if (it == loaded.end())
                it = loaded.emplace(blob, std::make_shared<const core::Representation>(readBlob(blob, kind))).first;
            version.asset.data = it->second;
            if (version.asset.kind() != kind) j.fail(vwhere, "kind does not match the data in its blob");
            asset.versions.push_back(std::move(version));
        }
        assets.push_back(std::move(asset));
    }

    try {
        return core::Document::fromParts(std::move(assets), nextId);
    } catch (const Error& e) {
        throw Error(jsonFile + ": " + e.what());
    }
}

} // namespace

void saveProject(const core::Document& doc, const fs::path& path, bool overwrite) {
    // "a.kiln/" names the folder a.kiln.
    fs::path target = path.lexically_normal();
    if (target.filename().empty()) target = target.parent_path();
    if (target.extension() != kProjectExtension)
        throw Error(path.string() + ": a project folder name must end in " + kProjectExtension);
    // Errors about the files inside name them from here ("./a.kiln/blobs/1.bin" for a bare name).
    if (target.parent_path().empty()) target = fs::path(".") / target;
    // Never replace something that is not a project: --force on a wrong path must not delete a folder.
    std::error_code ec;
    if (overwrite && fs::exists(fs::symlink_status(target, ec)) && !isProjectFolder(target))
        throw Error(path.string() + ": exists and is not a Kiln project (not replacing it)");
    writeFolderAtomically(path, overwrite, [&](const fs::path& temp) { writeProjectFiles(doc, temp, target); });
}

core::Document loadProject(const fs::path& path) {
    std::error_code ec;
    fs::path dir = path;
    if (path.filename() == kProjectFile && fs::is_regular_file(path, ec)) dir = path.parent_path();
    if (!fs::exists(dir, ec)) throw Error(path.string() + ": not found");
    if (!fs::is_directory(dir, ec)) throw Error(path.string() + ": not a Kiln project (expected a .kiln folder)");
    const fs::path jsonPath = dir / kProjectFile;
    const std::string jsonFile = jsonPath.string();
    if (!fs::exists(jsonPath, ec)) throw Error(jsonFile + ": missing, " + dir.string() + " is not a Kiln project");

    const std::vector<std::uint8_t> bytes = readFileBytes(jsonPath);
    Json root;
    try {
        root = Json::parse(bytes.begin(), bytes.end());
    } catch (const Json::exception& e) {
        // Drop nlohmann's "[json.exception.parse_error.101] " prefix; the rest says where and why.
        std::string reason = e.what();
        if (const auto close = reason.find("] "); reason.starts_with("[json.exception") && close != std::string::npos)
            reason = reason.substr(close + 2);
        throw Error(jsonFile + ": not valid JSON (" + reason + ")");
    }
    if (!root.is_object()) throw Error(jsonFile + ": not a Kiln project (the top level is not a JSON object)");
    const auto format = root.find("format");
    if (format == root.end() || !format->is_string()) throw Error(jsonFile + ": not a Kiln project (no \"format\" field)");
    if (*format != kFormatName)
        throw Error(jsonFile + ": not a Kiln project (format is \"" + format->get<std::string>() + "\", expected \"" + kFormatName + "\")");
    const std::uint64_t version = JsonFields(jsonFile).uint(root, "", "formatVersion");
    if (version > kFormatVersion)
        throw Error(jsonFile + ": written by a newer Kiln (format version " + std::to_string(version) +
                    ", this Kiln reads up to " + std::to_string(kFormatVersion) + ")");

    // One branch per format version ever written; older ones stay readable.
    switch (version) {
    case 1: return readProjectV1(root, dir, jsonFile);
    default: throw Error(jsonFile + ": unsupported format version " + std::to_string(version));
    }
}

} // namespace kiln::io
