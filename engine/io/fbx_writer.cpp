#include "io/fbx_writer.h"

#include "core/color.h"
#include "core/error.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"
#include "io/texture_files.h"

#include <zlib.h>

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

// ---------------------------------------------------------------------------------------------
// Binary FBX encoding (as Blender's io_scene_fbx and Assimp's FBX reader decode it):
//   header  "Kaydara FBX Binary  \0\x1a\0" + uint32 version
//   node    uint end_offset, uint property_count, uint property_bytes, uint8 name_length, name,
//           properties, children, and a null record closing the child list
//           (uint = uint32 below 7500, uint64 from 7500 on; the null record is 13 or 25 zero bytes)
//   file    top-level nodes, a null record, then the footer.
// A property is a one-byte type code and its value: Y int16, C bool, I int32, F float, D double,
// L int64, S string / R bytes (uint32 length + data), f/d/l/i/b arrays (uint32 count, encoding,
// byte length, data; encoding 1 = zlib).

constexpr char kMagic[] = "Kaydara FBX Binary  \0\x1a";  // 23 bytes incl. the terminating \0
// Constants Autodesk's SDK writes (and checks against each other): the FileId and footer id that
// go with the fixed CreationTime below, and the closing footer magic.
constexpr std::uint8_t kFileId[16] = {0x28, 0xb3, 0x2a, 0xeb, 0xb6, 0x24, 0xcc, 0xc2, 0xbf, 0xc8, 0xb0, 0x2a, 0xa9, 0x2b, 0xfc, 0xf1};
constexpr std::uint8_t kFooterId[16] = {0xfa, 0xbc, 0xab, 0x09, 0xd0, 0xc8, 0xd4, 0x66, 0xb1, 0x76, 0xfb, 0x83, 0x1c, 0xf7, 0x26, 0x7e};
constexpr std::uint8_t kFooterMagic[16] = {0xf8, 0x5a, 0x8c, 0x6a, 0xde, 0xf5, 0xd9, 0x7e, 0xec, 0xe9, 0x0c, 0xe3, 0x75, 0x8f, 0x29, 0x0b};
constexpr char kCreationTime[] = "1970-01-01 10:00:00:000";
constexpr char kCreator[] = "Kiln 0.1.0";

// FBX writes "Name::Class" in binary files as name + "\0\1" + class.
std::string nameClass(const std::string& name, const char* cls) {
    std::string n = name;
    n.erase(std::remove(n.begin(), n.end(), '\0'), n.end());
    return n + std::string("\0\1", 2) + cls;
}

class Node {
public:
    explicit Node(std::string name) : m_name(std::move(name)) {
        if (m_name.size() > 255) throw Error("FBX node name longer than 255 bytes");
    }

    Node& child(const std::string& name) {
        m_children.push_back(std::make_unique<Node>(name));
        return *m_children.back();
    }

    Node& boolean(bool v) { return scalar('C', std::uint8_t(v ? 1 : 0)); }
    Node& i32(std::int32_t v) { return scalar('I', v); }
    Node& i64(std::int64_t v) { return scalar('L', v); }
    Node& f64(double v) { return scalar('D', v); }
    Node& str(const std::string& s) { return blob('S', s.data(), s.size()); }
    Node& raw(std::span<const std::uint8_t> b) { return blob('R', b.data(), b.size()); }
    Node& arrayF64(std::span<const double> v) { return array('d', v.data(), v.size(), sizeof(double)); }
    Node& arrayI32(std::span<const std::int32_t> v) { return array('i', v.data(), v.size(), sizeof(std::int32_t)); }

    static std::size_t nullRecordSize(bool wide) { return wide ? 25 : 13; }

    // Bytes this node takes in a file of the given version, children and null record included.
    std::uint64_t size(bool wide) const {
        std::uint64_t s = (wide ? 24 : 12) + 1 + m_name.size() + m_props.size();
        if (hasNullRecord()) {
            for (const auto& c : m_children) s += c->size(wide);
            s += nullRecordSize(wide);
        }
        return s;
    }

    // The children and the null record that closes their list; the file's top level is written
    // this way from a nameless root.
    void writeChildren(BinaryWriter& out, bool wide) const {
        for (const auto& c : m_children) c->write(out, wide);
        out.putZeros(nullRecordSize(wide));
    }

    void write(BinaryWriter& out, bool wide) const {
        const std::uint64_t end = out.size() + size(wide);
        if (!wide && end > std::numeric_limits<std::uint32_t>::max())
            throw Error("the FBX 7.4 file would exceed 4 GiB; write FBX 7.5 instead");
        putOffset(out, end, wide);
        putOffset(out, m_count, wide);
        putOffset(out, m_props.size(), wide);
        out.put(std::uint8_t(m_name.size()));
        out.putArray(std::span<const char>(m_name));
        out.putBytes(m_props.bytes());
        if (hasNullRecord()) writeChildren(out, wide);
    }

private:
    // Node header fields: 32-bit below FBX 7.5, 64-bit from 7.5 on.
    static void putOffset(BinaryWriter& out, std::uint64_t v, bool wide) {
        if (wide) out.put(v);
        else out.put(std::uint32_t(v));
    }

    // A child list (even an empty one, "Node: {}") ends in a null record; a node with only
    // properties has none, which is how readers tell "P: 1" from "P: 1 {}".
    bool hasNullRecord() const { return !m_children.empty() || m_props.size() == 0; }

    template <class T>
    Node& scalar(char code, T v) {
        m_props.put(std::uint8_t(code));
        m_props.put(v);
        ++m_count;
        return *this;
    }

    Node& blob(char code, const void* data, std::size_t n) {
        if (n > std::numeric_limits<std::uint32_t>::max()) throw Error("FBX property larger than 4 GiB");
        m_props.put(std::uint8_t(code));
        m_props.put(std::uint32_t(n));
        m_props.putBytes({static_cast<const std::uint8_t*>(data), n});
        ++m_count;
        return *this;
    }

    Node& array(char code, const void* data, std::size_t count, std::size_t stride) {
        const std::size_t bytes = count * stride;
        if (count > std::numeric_limits<std::uint32_t>::max() || bytes > std::numeric_limits<std::uint32_t>::max())
            throw Error("FBX array larger than 4 GiB");
        m_props.put(std::uint8_t(code));
        m_props.put(std::uint32_t(count));
        // Like Autodesk's converter: small arrays raw, larger ones deflated.
        if (bytes <= 128) {
            m_props.put(std::uint32_t(0));
            m_props.put(std::uint32_t(bytes));
            m_props.putBytes({static_cast<const std::uint8_t*>(data), bytes});
        } else {
            uLongf packed = compressBound(uLong(bytes));
            std::vector<std::uint8_t> z(packed);
            if (compress2(z.data(), &packed, static_cast<const Bytef*>(data), uLong(bytes), Z_DEFAULT_COMPRESSION) != Z_OK)
                throw Error("FBX: zlib compression failed");
            m_props.put(std::uint32_t(1));
            m_props.put(std::uint32_t(packed));
            m_props.putBytes({z.data(), std::size_t(packed)});
        }
        ++m_count;
        return *this;
    }

    std::string m_name;
    std::uint32_t m_count = 0;
    BinaryWriter m_props;
    std::vector<std::unique_ptr<Node>> m_children;
};

// Properties70 entries: P: "name", "type", "label", "flags", values...
Node& prop(Node& props, const std::string& name, const char* type, const char* label, const char* flags) {
    return props.child("P").str(name).str(type).str(label).str(flags);
}
void propInt(Node& p, const std::string& name, int v) { prop(p, name, "int", "Integer", "").i32(v); }
void propEnum(Node& p, const std::string& name, int v) { prop(p, name, "enum", "", "").i32(v); }
void propBool(Node& p, const std::string& name, bool v) { prop(p, name, "bool", "", "").i32(v ? 1 : 0); }
void propDouble(Node& p, const std::string& name, double v) { prop(p, name, "double", "Number", "").f64(v); }
void propNumber(Node& p, const std::string& name, double v) { prop(p, name, "Number", "", "A").f64(v); }
void propColor(Node& p, const std::string& name, glm::dvec3 c) { prop(p, name, "Color", "", "A").f64(c.r).f64(c.g).f64(c.b); }
void propColorRgb(Node& p, const std::string& name, glm::dvec3 c) { prop(p, name, "ColorRGB", "Color", "").f64(c.r).f64(c.g).f64(c.b); }
void propString(Node& p, const std::string& name, const std::string& v) { prop(p, name, "KString", "", "").str(v); }
void propVector(Node& p, const std::string& name, const char* type, glm::dvec3 v) { prop(p, name, type, "", "A").f64(v.x).f64(v.y).f64(v.z); }

// FBX stores an axis as (index, sign).
std::pair<int, int> fbxAxis(Axis a) {
    switch (a) {
    case Axis::PosX: return {0, 1};
    case Axis::NegX: return {0, -1};
    case Axis::PosY: return {1, 1};
    case Axis::NegY: return {1, -1};
    case Axis::PosZ: return {2, 1};
    case Axis::NegZ: return {2, -1};
    }
    return {1, 1};
}

Axis axisOf(const glm::vec3& v) {
    if (v.x > 0.5f) return Axis::PosX;
    if (v.x < -0.5f) return Axis::NegX;
    if (v.y > 0.5f) return Axis::PosY;
    if (v.y < -0.5f) return Axis::NegY;
    return v.z > 0 ? Axis::PosZ : Axis::NegZ;
}

void addHeader(Node& root, int version) {
    Node& ext = root.child("FBXHeaderExtension");
    ext.child("FBXHeaderVersion").i32(1003);
    ext.child("FBXVersion").i32(version);
    ext.child("EncryptionType").i32(0);
    Node& stamp = ext.child("CreationTimeStamp");
    stamp.child("Version").i32(1000);
    // Fixed, like the CreationTime below: the SDK ties FileId and footer to the time stamp.
    for (auto [k, v] : {std::pair{"Year", 1970}, {"Month", 1}, {"Day", 1}, {"Hour", 10}, {"Minute", 0}, {"Second", 0}, {"Millisecond", 0}})
        stamp.child(k).i32(v);
    ext.child("Creator").str(kCreator);
    Node& info = ext.child("SceneInfo").str(nameClass("GlobalInfo", "SceneInfo")).str("UserData");
    info.child("Type").str("UserData");
    info.child("Version").i32(100);
    Node& meta = info.child("MetaData");
    meta.child("Version").i32(100);
    for (const char* k : {"Title", "Subject", "Author", "Keywords", "Revision", "Comment"}) meta.child(k).str("");
    Node& props = info.child("Properties70");
    prop(props, "DocumentUrl", "KString", "Url", "").str("");
    prop(props, "SrcDocumentUrl", "KString", "Url", "").str("");
    prop(props, "Original", "Compound", "", "");
    propString(props, "Original|ApplicationVendor", "Kiln");
    propString(props, "Original|ApplicationName", "Kiln");
    propString(props, "Original|ApplicationVersion", "0.1.0");
    prop(props, "Original|DateTime_GMT", "DateTime", "", "").str("01/01/1970 00:00:00.000");
    propString(props, "Original|FileName", "");
    prop(props, "LastSaved", "Compound", "", "");
    propString(props, "LastSaved|ApplicationVendor", "Kiln");
    propString(props, "LastSaved|ApplicationName", "Kiln");
    propString(props, "LastSaved|ApplicationVersion", "0.1.0");
    prop(props, "LastSaved|DateTime_GMT", "DateTime", "", "").str("01/01/1970 00:00:00.000");

    root.child("FileId").raw(kFileId);
    root.child("CreationTime").str(kCreationTime);
    root.child("Creator").str(kCreator);
}

void addGlobalSettings(Node& root, const FileFrame& frame) {
    Node& gs = root.child("GlobalSettings");
    gs.child("Version").i32(1000);
    Node& p = gs.child("Properties70");
    const glm::vec3 coordVec = glm::cross(axisVector(frame.up), axisVector(frame.front));
    const auto [upAxis, upSign] = fbxAxis(frame.up);
    const auto [frontAxis, frontSign] = fbxAxis(frame.front);
    const auto [coordAxis, coordSign] = fbxAxis(axisOf(coordVec));
    propInt(p, "UpAxis", upAxis);
    propInt(p, "UpAxisSign", upSign);
    propInt(p, "FrontAxis", frontAxis);
    propInt(p, "FrontAxisSign", frontSign);
    propInt(p, "CoordAxis", coordAxis);
    propInt(p, "CoordAxisSign", coordSign);
    propInt(p, "OriginalUpAxis", upAxis);
    propInt(p, "OriginalUpAxisSign", upSign);
    propDouble(p, "UnitScaleFactor", frame.fbxUnitScaleFactor());
    propDouble(p, "OriginalUnitScaleFactor", frame.fbxUnitScaleFactor());
    propColorRgb(p, "AmbientColor", {0, 0, 0});
    propString(p, "DefaultCamera", "Producer Perspective");
    propEnum(p, "TimeMode", 11);  // 24 fps; irrelevant for a static mesh but read by importers
    prop(p, "TimeSpanStart", "KTime", "Time", "").i64(0);
    prop(p, "TimeSpanStop", "KTime", "Time", "").i64(46186158000LL);  // one second in FBX ticks
    propDouble(p, "CustomFrameRate", 24.0);
}

struct TextureUse {
    int texture;          // index into Mesh::textures
    std::string slot;     // FBX material property the texture drives
};

// The mesh as the FBX file lays it out: material slots, control points, polygons, texture files.
struct FbxMesh {
    std::vector<core::Submesh> subs;          // the mesh's submeshes, or one covering it all
    std::vector<int> slotMaterial;            // material slot -> Kiln material (-1 = default)
    std::vector<int> subSlot;                 // submesh -> material slot
    std::vector<std::int32_t> controlPoint;   // Kiln vertex -> control point
    std::vector<double> vertices;             // control points, x y z
    std::vector<std::uint32_t> corners;       // Kiln vertex per polygon corner
    std::vector<std::int32_t> polygonMaterial, polygonVertexIndex, edges;
    std::vector<std::vector<TextureUse>> slotTextures;  // per material slot
    std::map<int, std::string> textureFile;   // Kiln texture -> relative file name

    std::size_t textureUseCount() const {
        std::size_t n = 0;
        for (const auto& t : slotTextures) n += t.size();
        return n;
    }
};

void checkFbxInput(const core::Mesh& mesh, const std::string& fileName, const FbxOptions& options) {
    if (options.version != 7400 && options.version != 7500)
        throw Error(fileName + ": unsupported FBX version " + std::to_string(options.version) + " (7400 or 7500)");
    if (mesh.empty()) throw Error(fileName + ": mesh is empty, nothing to export");
    mesh.validate(fileName);
    // FBX indexes control points and polygon corners with 32-bit signed integers.
    if (mesh.indices.size() > std::size_t(std::numeric_limits<std::int32_t>::max()))
        throw Error(fileName + ": too many triangles for FBX (" + std::to_string(mesh.triangleCount()) + ")");
}

// Material slots: the Kiln materials some submesh uses, in first-use order, plus one default
// material when a submesh has none.
void assignMaterialSlots(const core::Mesh& mesh, FbxMesh& f) {
    f.subs = mesh.submeshes;
    if (f.subs.empty()) {
        core::Submesh whole;
        whole.indexCount = std::uint32_t(mesh.indices.size());
        whole.vertexCount = std::uint32_t(mesh.positions.size());
        f.subs.push_back(whole);
    }
    std::vector<int> slotOfMaterial(mesh.materials.size(), -1);
    int defaultSlot = -1;
    for (const auto& s : f.subs) {
        if (s.material >= 0) {
            int& slot = slotOfMaterial[std::size_t(s.material)];
            if (slot < 0) {
                slot = int(f.slotMaterial.size());
                f.slotMaterial.push_back(s.material);
            }
            f.subSlot.push_back(slot);
        } else {
            if (defaultSlot < 0) {
                defaultSlot = int(f.slotMaterial.size());
                f.slotMaterial.push_back(-1);
            }
            f.subSlot.push_back(defaultSlot);
        }
    }
}

// Control points: vertices welded by exact position, so seams stay connected in the DCC;
// normals, UVs and colours are per polygon corner and keep the seams.
void weldControlPoints(const core::Mesh& mesh, FbxMesh& f) {
    f.controlPoint.resize(mesh.positions.size());
    const std::vector<std::uint32_t> first = core::firstAtSamePosition(mesh.positions);
    for (std::size_t v = 0; v < mesh.positions.size(); ++v) {
        if (first[v] != v) {
            f.controlPoint[v] = f.controlPoint[first[v]];
            continue;
        }
        const glm::vec3 p = mesh.positions[v] + glm::vec3(0.0f);  // + 0 folds -0 into 0
        f.controlPoint[v] = std::int32_t(f.vertices.size() / 3);
        f.vertices.insert(f.vertices.end(), {double(p.x), double(p.y), double(p.z)});
    }
}

// Triangles in submesh order; the last corner of each polygon is stored as ~index. Edges: for
// each distinct control-point edge, the polygon-vertex index where it starts.
void buildPolygons(const core::Mesh& mesh, FbxMesh& f) {
    f.corners.reserve(mesh.indices.size());
    for (std::size_t s = 0; s < f.subs.size(); ++s) {
        for (std::uint32_t i = f.subs[s].firstIndex; i + 3 <= f.subs[s].firstIndex + f.subs[s].indexCount; i += 3) {
            f.corners.insert(f.corners.end(), {mesh.indices[i], mesh.indices[i + 1], mesh.indices[i + 2]});
            f.polygonMaterial.push_back(f.subSlot[s]);
        }
    }
    f.polygonVertexIndex.resize(f.corners.size());
    for (std::size_t c = 0; c < f.corners.size(); ++c) {
        const std::int32_t cp = f.controlPoint[f.corners[c]];
        f.polygonVertexIndex[c] = (c % 3 == 2) ? ~cp : cp;
    }
    std::unordered_map<std::uint64_t, bool> seen;
    seen.reserve(f.corners.size());
    for (std::size_t c = 0; c < f.corners.size(); ++c) {
        const std::size_t next = (c % 3 == 2) ? c - 2 : c + 1;
        const std::uint32_t a = std::uint32_t(f.controlPoint[f.corners[c]]), b = std::uint32_t(f.controlPoint[f.corners[next]]);
        const std::uint64_t key = (std::uint64_t(std::min(a, b)) << 32) | std::max(a, b);
        if (seen.try_emplace(key, true).second) f.edges.push_back(std::int32_t(c));
    }
}

// Which Kiln textures each material slot drives, and the files they are written as.
void collectTextures(const core::Mesh& mesh, const fs::path& path, FbxMesh& f) {
    f.slotTextures.resize(f.slotMaterial.size());
    for (std::size_t slot = 0; slot < f.slotMaterial.size(); ++slot) {
        if (f.slotMaterial[slot] < 0) continue;
        const core::Material& m = mesh.materials[std::size_t(f.slotMaterial[slot])];
        // glTF's metallic-roughness and occlusion maps have no FBX counterpart importers agree on.
        for (auto [tex, name] : {std::pair{m.baseColorTexture, "DiffuseColor"}, {m.normalTexture, "NormalMap"}, {m.emissiveTexture, "EmissiveColor"}}) {
            if (tex < 0) continue;
            f.slotTextures[slot].push_back({tex, name});
            if (!f.textureFile.count(tex)) f.textureFile[tex] = companionTextureName(path, std::size_t(tex), mesh.textures[std::size_t(tex)]);
        }
    }
}

void addDocuments(Node& root, std::int64_t documentId) {
    Node& docs = root.child("Documents");
    docs.child("Count").i32(1);
    Node& doc = docs.child("Document").i64(documentId).str("Scene").str("Scene");
    Node& docProps = doc.child("Properties70");
    prop(docProps, "SourceObject", "object", "", "");
    propString(docProps, "ActiveAnimStackName", "");
    doc.child("RootNode").i64(0);
    root.child("References");
}

void addDefinitions(Node& root, const FbxMesh& f) {
    const std::size_t textureUses = f.textureUseCount();
    Node& defs = root.child("Definitions");
    defs.child("Version").i32(100);
    defs.child("Count").i32(std::int32_t(3 + f.slotMaterial.size() + textureUses + f.textureFile.size()));
    auto objectType = [&](const char* type, std::size_t count) {
        if (count) defs.child("ObjectType").str(type).child("Count").i32(std::int32_t(count));
    };
    objectType("GlobalSettings", 1);
    objectType("Model", 1);
    objectType("Geometry", 1);
    objectType("Material", f.slotMaterial.size());
    objectType("Texture", textureUses);
    objectType("Video", f.textureFile.size());
}

// A LayerElement* node with its header fields; the caller adds the data arrays.
Node& layerElement(Node& geom, const char* type, int index, int version, const char* name, const char* mapping, const char* reference) {
    Node& layer = geom.child(type).i32(index);
    layer.child("Version").i32(version);
    layer.child("Name").str(name);
    layer.child("MappingInformationType").str(mapping);
    layer.child("ReferenceInformationType").str(reference);
    return layer;
}

// The Geometry's per-corner and per-polygon layers (normals, smoothing, colours, UV sets,
// materials) and the Layer nodes that list them; UV set 1 gets a Layer of its own.
void addLayers(Node& geom, const core::Mesh& mesh, const FbxMesh& f) {
    std::vector<const char*> layerElements;
    if (!mesh.normals.empty()) {
        std::vector<double> normals;
        normals.reserve(f.corners.size() * 3);
        for (std::uint32_t v : f.corners) normals.insert(normals.end(), {mesh.normals[v].x, mesh.normals[v].y, mesh.normals[v].z});
        layerElement(geom, "LayerElementNormal", 0, 101, "", "ByPolygonVertex", "Direct").child("Normals").arrayF64(normals);
        layerElements.push_back("LayerElementNormal");
    }
    // Every polygon smooth: the explicit normals carry the hard edges (Unreal warns without this layer).
    layerElement(geom, "LayerElementSmoothing", 0, 102, "", "ByPolygon", "Direct")
        .child("Smoothing")
        .arrayI32(std::vector<std::int32_t>(f.corners.size() / 3, 1));
    layerElements.push_back("LayerElementSmoothing");
    const std::vector<std::int32_t> cornerVertex(f.corners.begin(), f.corners.end());
    if (!mesh.colors.empty()) {
        std::vector<double> colors;
        colors.reserve(mesh.colors.size() * 4);
        // DCC tools store vertex colours display-referred; encoded in double, as they are stored.
        for (const auto& c : mesh.colors)
            colors.insert(colors.end(), {core::srgbFromLinear(double(c.r)), core::srgbFromLinear(double(c.g)), core::srgbFromLinear(double(c.b)),
                                         std::clamp(double(c.a), 0.0, 1.0)});
        Node& layer = layerElement(geom, "LayerElementColor", 0, 101, "Color", "ByPolygonVertex", "IndexToDirect");
        layer.child("Colors").arrayF64(colors);
        layer.child("ColorIndex").arrayI32(cornerVertex);
        layerElements.push_back("LayerElementColor");
    }
    const std::vector<glm::vec2>* uvSets[2] = {&mesh.uv0, &mesh.uv1};
    bool hasUv1 = false;
    for (int set = 0; set < 2; ++set) {
        const auto& uvs = *uvSets[set];
        if (uvs.empty()) continue;
        std::vector<double> flat;
        flat.reserve(uvs.size() * 2);
        for (const auto& uv : uvs) flat.insert(flat.end(), {double(uv.x), 1.0 - double(uv.y)});
        Node& layer = layerElement(geom, "LayerElementUV", set, 101, set == 0 ? "UVMap" : "UVMap1", "ByPolygonVertex", "IndexToDirect");
        layer.child("UV").arrayF64(flat);
        layer.child("UVIndex").arrayI32(cornerVertex);
        if (set == 0) layerElements.push_back("LayerElementUV");
        else hasUv1 = true;
    }
    if (f.slotMaterial.size() == 1) {
        layerElement(geom, "LayerElementMaterial", 0, 101, "", "AllSame", "IndexToDirect").child("Materials").arrayI32(std::vector<std::int32_t>{0});
    } else {
        layerElement(geom, "LayerElementMaterial", 0, 101, "", "ByPolygon", "IndexToDirect").child("Materials").arrayI32(f.polygonMaterial);
    }
    layerElements.push_back("LayerElementMaterial");

    Node& layer = geom.child("Layer").i32(0);
    layer.child("Version").i32(100);
    for (const char* type : layerElements) {
        Node& e = layer.child("LayerElement");
        e.child("Type").str(type);
        e.child("TypedIndex").i32(0);
    }
    if (hasUv1) {
        Node& layer1 = geom.child("Layer").i32(1);
        layer1.child("Version").i32(100);
        Node& e = layer1.child("LayerElement");
        e.child("Type").str("LayerElementUV");
        e.child("TypedIndex").i32(1);
    }
}

void addGeometry(Node& objects, std::int64_t id, const std::string& meshName, const core::Mesh& mesh, const FbxMesh& f) {
    Node& geom = objects.child("Geometry").i64(id).str(nameClass(meshName, "Geometry")).str("Mesh");
    geom.child("GeometryVersion").i32(124);
    geom.child("Vertices").arrayF64(f.vertices);
    geom.child("PolygonVertexIndex").arrayI32(f.polygonVertexIndex);
    geom.child("Edges").arrayI32(f.edges);
    addLayers(geom, mesh, f);
}

// The Model: identity transform; the data is already in the file's frame and units.
void addModel(Node& objects, std::int64_t id, const std::string& meshName, const core::ProvenanceRecord& record) {
    Node& model = objects.child("Model").i64(id).str(nameClass(meshName, "Model")).str("Mesh");
    model.child("Version").i32(232);
    Node& p = model.child("Properties70");
    propVector(p, "Lcl Translation", "Lcl Translation", {0, 0, 0});
    propVector(p, "Lcl Rotation", "Lcl Rotation", {0, 0, 0});
    propVector(p, "Lcl Scaling", "Lcl Scaling", {1, 1, 1});
    propInt(p, "DefaultAttributeIndex", 0);
    propEnum(p, "InheritType", 1);
    for (const auto& [k, v] : record) prop(p, "kiln:" + k, "KString", "", "U").str(v);
    model.child("MultiLayer").i32(0);
    model.child("MultiTake").i32(0);
    model.child("Shading").boolean(true);
    model.child("Culling").str("CullingOff");
}

// A Connections entry: object-object ("OO") or object-property ("OP").
struct Link {
    const char* type;
    std::int64_t src, dst;
    std::string property;
};

// One Phong material per slot (the common denominator of Blender, Maya, Unity and Unreal
// importers), each linked to the model; returns their ids.
std::vector<std::int64_t> addMaterials(Node& objects, const core::Mesh& mesh, const FbxMesh& f, std::int64_t modelId, std::int64_t& nextId,
                                       std::vector<Link>& links) {
    std::vector<std::int64_t> slotIds;
    for (std::size_t slot = 0; slot < f.slotMaterial.size(); ++slot) {
        const core::Material m = f.slotMaterial[slot] >= 0 ? mesh.materials[std::size_t(f.slotMaterial[slot])] : core::Material{.name = "default"};
        const std::int64_t id = nextId++;
        slotIds.push_back(id);
        std::string name = m.name.empty() ? "material" + std::to_string(slot) : m.name;
        Node& mat = objects.child("Material").i64(id).str(nameClass(name, "Material")).str("");
        mat.child("Version").i32(102);
        mat.child("ShadingModel").str("Phong");
        mat.child("MultiLayer").i32(0);
        Node& p = mat.child("Properties70");
        propString(p, "ShadingModel", "Phong");
        const glm::dvec3 base(m.baseColorFactor);
        const double alpha = m.alphaMode == core::AlphaMode::Opaque ? 1.0 : std::clamp(double(m.baseColorFactor.a), 0.0, 1.0);
        propColor(p, "DiffuseColor", base);
        propNumber(p, "DiffuseFactor", 1.0);
        propColor(p, "EmissiveColor", glm::dvec3(m.emissiveFactor));
        propNumber(p, "EmissiveFactor", 1.0);
        propColor(p, "AmbientColor", {0, 0, 0});
        propNumber(p, "AmbientFactor", 0.0);
        propColor(p, "TransparentColor", glm::dvec3(1.0 - alpha));
        propNumber(p, "TransparencyFactor", 1.0 - alpha);
        propNumber(p, "Opacity", alpha);
        propColor(p, "SpecularColor", {1, 1, 1});
        propNumber(p, "SpecularFactor", 0.25);
        // Blender's importer maps Shininess back to roughness as 1 - sqrt(shininess) / 10.
        const double shininess = std::pow((1.0 - std::clamp(double(m.roughnessFactor), 0.0, 1.0)) * 10.0, 2.0);
        propNumber(p, "Shininess", shininess);
        propNumber(p, "ShininessExponent", shininess);
        propColor(p, "ReflectionColor", base);
        propNumber(p, "ReflectionFactor", std::clamp(double(m.metallicFactor), 0.0, 1.0));
        propDouble(p, "BumpFactor", 1.0);
        links.push_back({"OO", id, modelId, {}});
    }
    return slotIds;
}

// Videos (the image data) once per Kiln texture, embedded or written beside `path`; Textures
// once per material slot use, linked to their material property and their video.
void addTextures(Node& objects, const core::Mesh& mesh, const FbxMesh& f, const std::vector<std::int64_t>& slotIds, const fs::path& path,
                 FbxTextures textures, std::int64_t& nextId, std::vector<Link>& links) {
    std::map<int, std::int64_t> videoIds;
    for (const auto& [tex, file] : f.textureFile) {
        const std::int64_t id = nextId++;
        videoIds[tex] = id;
        const std::string name = fs::path(file).stem().string();
        Node& video = objects.child("Video").i64(id).str(nameClass(name, "Video")).str("Clip");
        video.child("Type").str("Clip");
        Node& p = video.child("Properties70");
        prop(p, "Path", "KString", "XRefUrl", "").str(file);
        video.child("UseMipMap").i32(0);
        video.child("Filename").str(file);
        video.child("RelativeFilename").str(file);
        const EncodedTexture encoded = encodeTexture(mesh.textures[std::size_t(tex)]);
        if (textures == FbxTextures::Embed) {
            video.child("Content").raw(encoded.bytes);
        } else {
            writeFileBytes(path.parent_path() / file, encoded.bytes);
        }
    }
    for (std::size_t slot = 0; slot < f.slotTextures.size(); ++slot) {
        for (const TextureUse& use : f.slotTextures[slot]) {
            const std::int64_t id = nextId++;
            const std::string& file = f.textureFile.at(use.texture);
            const std::string name = fs::path(file).stem().string();
            Node& t = objects.child("Texture").i64(id).str(nameClass(name, "Texture")).str("");
            t.child("Type").str("TextureVideoClip");
            t.child("Version").i32(202);
            t.child("TextureName").str(nameClass(name, "Texture"));
            Node& p = t.child("Properties70");
            propEnum(p, "CurrentMappingType", 0);  // UV
            propEnum(p, "WrapModeU", 0);           // repeat
            propEnum(p, "WrapModeV", 0);
            propBool(p, "UseMaterial", true);
            t.child("Media").str(nameClass(name, "Video"));
            t.child("FileName").str(file);
            t.child("RelativeFilename").str(file);
            t.child("ModelUVTranslation").f64(0).f64(0);
            t.child("ModelUVScaling").f64(1).f64(1);
            t.child("Texture_Alpha_Source").str("None");
            t.child("Cropping").i32(0).i32(0).i32(0).i32(0);
            links.push_back({"OP", id, slotIds[slot], use.slot});
            links.push_back({"OO", videoIds[use.texture], id, {}});
        }
    }
}

void addConnections(Node& root, const std::vector<Link>& links) {
    Node& connections = root.child("Connections");
    for (const Link& l : links) {
        Node& c = connections.child("C").str(l.type).i64(l.src).i64(l.dst);
        if (!l.property.empty()) c.str(l.property);
    }
}

// The file: header, the top-level nodes and their closing null record, footer.
BinaryWriter serialise(const Node& root, int version) {
    BinaryWriter out;
    out.putArray(std::span<const char>(kMagic));
    out.put(std::uint32_t(version));
    root.writeChildren(out, version >= 7500);
    // Footer: id, 4 zero bytes, zero padding to a 16-byte boundary (16 when already aligned),
    // version, 120 zero bytes, magic.
    out.putBytes(kFooterId);
    out.putZeros(4);
    std::size_t pad = ((out.size() + 15) & ~std::size_t(15)) - out.size();
    if (pad == 0) pad = 16;
    out.putZeros(pad);
    out.put(std::uint32_t(version));
    out.putZeros(120);
    out.putBytes(kFooterMagic);
    return out;
}

} // namespace

void writeFbx(const core::Mesh& mesh, const fs::path& path, const FbxOptions& options) {
    checkFbxInput(mesh, displayName(path), options);
    FbxMesh f;
    assignMaterialSlots(mesh, f);
    weldControlPoints(mesh, f);
    buildPolygons(mesh, f);
    collectTextures(mesh, path, f);

    Node root("");
    addHeader(root, options.version);
    addGlobalSettings(root, options.frame);
    std::int64_t nextId = 1000000;
    addDocuments(root, nextId++);
    addDefinitions(root, f);

    Node& objects = root.child("Objects");
    std::string meshName = f.subs.size() == 1 && !f.subs[0].name.empty() ? f.subs[0].name : path.stem().string();
    if (meshName.empty()) meshName = "mesh";
    const std::int64_t geometryId = nextId++;
    addGeometry(objects, geometryId, meshName, mesh, f);
    const std::int64_t modelId = nextId++;
    addModel(objects, modelId, meshName, options.record);
    std::vector<Link> links = {{"OO", modelId, 0, {}}, {"OO", geometryId, modelId, {}}};
    const std::vector<std::int64_t> slotIds = addMaterials(objects, mesh, f, modelId, nextId, links);
    addTextures(objects, mesh, f, slotIds, path, options.textures, nextId, links);
    addConnections(root, links);
    root.child("Takes").child("Current").str("");

    writeFileBytes(path, serialise(root, options.version).bytes());
}

} // namespace kiln::io
