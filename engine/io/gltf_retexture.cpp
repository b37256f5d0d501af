#include "io/gltf_retexture.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/gltf_json.h"
#include "io/image_io.h"

#include <glm/gtc/quaternion.hpp>
#include <glm/gtc/type_ptr.hpp>
#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>

#include <cstring>
#include <functional>
#include <map>

namespace fs = std::filesystem;
using nlohmann::json;

namespace kiln::io {

namespace {

// A glTF document with every buffer's bytes.
struct Document {
    std::string name;  // for errors
    fs::path folder;   // for relative URIs
    json doc;
    std::vector<std::vector<std::uint8_t>> buffers;
};

std::vector<std::uint8_t> decodeBase64(const std::string& text, const std::string& what) {
    static const auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::vector<std::uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    unsigned acc = 0;
    int bits = 0;
    for (const char c : text) {
        if (c == '=' || c == '\n' || c == '\r') continue;
        const int v = value(c);
        if (v < 0) throw Error(what + ": bad base64 data");
        acc = (acc << 6) | unsigned(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(std::uint8_t((acc >> bits) & 0xFFu));
        }
    }
    return out;
}

// The bytes a URI names: a data: URI, or a file relative to the document (no absolute paths, no
// parent folders: a glTF must not read outside its folder).
std::vector<std::uint8_t> uriBytes(const Document& d, const std::string& uri, std::string* mimeType = nullptr) {
    if (uri.rfind("data:", 0) == 0) {
        const auto comma = uri.find(',');
        if (comma == std::string::npos || uri.find(";base64") == std::string::npos || uri.find(";base64") > comma)
            throw Error(d.name + ": unsupported data URI (only base64)");
        if (mimeType) *mimeType = uri.substr(5, uri.find(';') - 5);
        return decodeBase64(uri.substr(comma + 1), d.name);
    }
    std::string path;
    for (std::size_t i = 0; i < uri.size(); ++i) {
        // Percent-decoding (spaces are %20 in glTF URIs).
        if (uri[i] == '%' && i + 2 < uri.size()) {
            path.push_back(char(std::stoi(uri.substr(i + 1, 2), nullptr, 16)));
            i += 2;
        } else {
            path.push_back(uri[i]);
        }
    }
    const fs::path rel(path);
    if (rel.is_absolute() || path.find("..") != std::string::npos) throw Error(d.name + ": refuses the URI \"" + uri + "\" (outside the file's folder)");
    if (mimeType) {
        const std::string ext = lowerExtension(rel);
        *mimeType = ext == ".png" ? "image/png" : ext == ".jpg" || ext == ".jpeg" ? "image/jpeg" : "";
    }
    return readFileBytes(d.folder / rel);
}

Document load(const fs::path& path) {
    Document d;
    d.name = displayName(path);
    d.folder = path.parent_path();
    const std::string ext = lowerExtension(path);
    if (ext != ".glb" && ext != ".gltf") throw Error(d.name + ": not a .glb or .gltf file");
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    std::vector<std::uint8_t> bin;
    bool haveBin = false;
    try {
        if (ext == ".glb") {
            GlbChunks c = parseGlb(bytes, d.name);
            d.doc = json::parse(c.json.begin(), c.json.end());
            bin = std::move(c.bin);
            haveBin = c.haveBin;
        } else {
            d.doc = json::parse(bytes.begin(), bytes.end());
        }
    } catch (const json::exception& e) {
        throw Error(d.name + ": glTF JSON does not parse (" + std::string(e.what()) + ")");
    }
    if (!d.doc.is_object() || !d.doc.contains("asset")) throw Error(d.name + ": not glTF (no asset object)");
    const std::span<json> buffers = gltfItems(d.doc, "buffers");
    for (std::size_t i = 0; i < buffers.size(); ++i) {
        const json& b = buffers[i];
        if (b.contains("uri") && b["uri"].is_string()) {
            d.buffers.push_back(uriBytes(d, b["uri"].get<std::string>()));
        } else if (i == 0 && haveBin) {
            d.buffers.push_back(bin);
        } else {
            throw Error(d.name + ": buffer " + std::to_string(i) + " has no data");
        }
        if (d.buffers.back().size() < b.value("byteLength", std::size_t(0))) throw Error(d.name + ": buffer " + std::to_string(i) + " is shorter than its byteLength");
    }
    return d;
}

int intAt(const json& o, const char* key, int fallback) {
    const auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

const json& indexed(const Document& d, const char* key, int index, const char* what) {
    if (!d.doc.contains(key) || !d.doc[key].is_array() || index < 0 || std::size_t(index) >= d.doc[key].size())
        throw Error(d.name + ": " + what + " " + std::to_string(index) + " does not exist");
    return d.doc[key][std::size_t(index)];
}

// Where an accessor's elements lie, checked against its view and buffer: `data` is null when it
// has no bufferView (all zeros, glTF); element i's component c is at data + i stride + c componentSize.
struct AccessorLayout {
    const std::uint8_t* data = nullptr;
    std::size_t count = 0, stride = 0, componentSize = 0;
    int type = 0;  // componentType
    bool normalized = false;
};

AccessorLayout accessorLayout(const Document& d, int index, int width) {
    const json& a = indexed(d, "accessors", index, "accessor");
    if (a.contains("sparse")) throw Error(d.name + ": accessor " + std::to_string(index) + " is sparse (not supported for texturing)");
    static const std::map<std::string, int> widths = {{"SCALAR", 1}, {"VEC2", 2}, {"VEC3", 3}, {"VEC4", 4}};
    const auto w = widths.find(a.value("type", std::string()));
    if (w == widths.end() || w->second != width) throw Error(d.name + ": accessor " + std::to_string(index) + " has an unexpected type");
    AccessorLayout l;
    l.type = intAt(a, "componentType", 0);
    l.componentSize = l.type == 5126 || l.type == 5125 ? 4 : l.type == 5123 || l.type == 5122 ? 2 : l.type == 5121 || l.type == 5120 ? 1 : 0;
    if (l.componentSize == 0) throw Error(d.name + ": accessor " + std::to_string(index) + " has an unknown component type");
    l.count = a.value("count", std::size_t(0));
    l.normalized = a.value("normalized", false);
    if (!a.contains("bufferView")) return l;
    const json& v = indexed(d, "bufferViews", intAt(a, "bufferView", -1), "bufferView");
    const int buffer = intAt(v, "buffer", -1);
    if (buffer < 0 || std::size_t(buffer) >= d.buffers.size()) throw Error(d.name + ": bufferView refers to a missing buffer");
    const std::vector<std::uint8_t>& bytes = d.buffers[std::size_t(buffer)];
    const std::size_t elementSize = l.componentSize * std::size_t(width);
    l.stride = v.value("byteStride", std::size_t(0)) ? v.value("byteStride", std::size_t(0)) : elementSize;
    const std::size_t start = v.value("byteOffset", std::size_t(0)) + a.value("byteOffset", std::size_t(0));
    const std::size_t viewEnd = v.value("byteOffset", std::size_t(0)) + v.value("byteLength", std::size_t(0));
    if (l.count > 0 && (viewEnd > bytes.size() || start + (l.count - 1) * l.stride + elementSize > viewEnd))
        throw Error(d.name + ": accessor " + std::to_string(index) + " reads past its bufferView");
    l.data = bytes.data() + start;
    return l;
}

// An accessor's elements as floats (normalised integers mapped to [0, 1] / [-1, 1]), `width`
// components each.
std::vector<float> readAccessor(const Document& d, int index, int width) {
    const AccessorLayout l = accessorLayout(d, index, width);
    std::vector<float> out(l.count * std::size_t(width), 0.0f);
    if (!l.data) return out;
    for (std::size_t i = 0; i < l.count; ++i)
        for (int c = 0; c < width; ++c) {
            const std::uint8_t* p = l.data + i * l.stride + std::size_t(c) * l.componentSize;
            float value = 0.0f;
            switch (l.type) {
            case 5126: std::memcpy(&value, p, 4); break;
            case 5125: { std::uint32_t u; std::memcpy(&u, p, 4); value = float(u); break; }
            case 5123: { std::uint16_t u; std::memcpy(&u, p, 2); value = l.normalized ? float(u) / 65535.0f : float(u); break; }
            case 5122: { std::int16_t u; std::memcpy(&u, p, 2); value = l.normalized ? std::max(float(u) / 32767.0f, -1.0f) : float(u); break; }
            case 5121: value = l.normalized ? float(*p) / 255.0f : float(*p); break;
            case 5120: { const auto u = std::int8_t(*p); value = l.normalized ? std::max(float(u) / 127.0f, -1.0f) : float(u); break; }
            default: break;
            }
            out[i * std::size_t(width) + std::size_t(c)] = value;
        }
    return out;
}

// Index accessors read exactly as integers (32-bit indices beyond 2^24 would round as floats).
std::vector<std::uint32_t> readIndices(const Document& d, int index) {
    const AccessorLayout l = accessorLayout(d, index, 1);
    if (l.type != 5121 && l.type != 5123 && l.type != 5125) throw Error(d.name + ": index accessor " + std::to_string(index) + " is not unsigned integers");
    std::vector<std::uint32_t> out(l.count, 0u);
    if (!l.data) return out;
    for (std::size_t i = 0; i < l.count; ++i) {
        const std::uint8_t* p = l.data + i * l.stride;
        if (l.type == 5125) std::memcpy(&out[i], p, 4);
        else if (l.type == 5123) {
            std::uint16_t u;
            std::memcpy(&u, p, 2);
            out[i] = u;
        } else {
            out[i] = *p;
        }
    }
    return out;
}

glm::mat4 localTransform(const json& node) {
    if (node.contains("matrix") && node["matrix"].is_array() && node["matrix"].size() == 16) {
        float m[16];
        for (int i = 0; i < 16; ++i) m[i] = node["matrix"][std::size_t(i)].get<float>();
        return glm::make_mat4(m);  // column-major, as glTF stores it
    }
    glm::vec3 t(0.0f), s(1.0f);
    glm::quat r(1.0f, 0.0f, 0.0f, 0.0f);
    if (node.contains("translation")) t = {node["translation"][0].get<float>(), node["translation"][1].get<float>(), node["translation"][2].get<float>()};
    if (node.contains("scale")) s = {node["scale"][0].get<float>(), node["scale"][1].get<float>(), node["scale"][2].get<float>()};
    if (node.contains("rotation"))
        r = glm::quat(node["rotation"][3].get<float>(), node["rotation"][0].get<float>(), node["rotation"][1].get<float>(), node["rotation"][2].get<float>());
    glm::mat4 m = glm::mat4_cast(r);
    m[0] *= s.x, m[1] *= s.y, m[2] *= s.z;
    m[3] = glm::vec4(t, 1.0f);
    return m;
}

void appendPrimitive(const Document& d, const json& prim, int meshIndex, int primIndex, const glm::mat4& world, core::Mesh& out, bool& allNormals,
                     bool& anyUvs) {
    const int mode = intAt(prim, "mode", 4);
    if (mode != 4 && mode != 5 && mode != 6) return;  // points and lines have no surface
    if (prim.contains("extensions") && (prim["extensions"].contains("KHR_draco_mesh_compression") || prim["extensions"].contains("EXT_meshopt_compression")))
        throw Error(d.name + ": mesh " + std::to_string(meshIndex) + " is compressed (Draco); texturing keeps the artist's buffers byte for byte, so it needs them uncompressed");
    if (!prim.contains("attributes") || !prim["attributes"].contains("POSITION")) throw Error(d.name + ": a primitive of mesh " + std::to_string(meshIndex) + " has no POSITION");
    const json& attr = prim["attributes"];
    const std::vector<float> pos = readAccessor(d, attr["POSITION"].get<int>(), 3);
    const std::size_t n = pos.size() / 3;
    std::vector<float> nor, uv;
    if (attr.contains("NORMAL")) nor = readAccessor(d, attr["NORMAL"].get<int>(), 3);
    if (attr.contains("TEXCOORD_0")) uv = readAccessor(d, attr["TEXCOORD_0"].get<int>(), 2);
    if (nor.size() != n * 3) allNormals = false;
    if (uv.size() == n * 2) anyUvs = true;
    std::vector<std::uint32_t> idx;
    if (prim.contains("indices")) {
        idx = readIndices(d, prim["indices"].get<int>());
    } else {
        idx.resize(n);
        for (std::size_t i = 0; i < n; ++i) idx[i] = std::uint32_t(i);
    }
    for (const auto i : idx)
        if (i >= n) throw Error(d.name + ": mesh " + std::to_string(meshIndex) + " has an index out of range");
    std::vector<std::uint32_t> tris;
    if (mode == 4) {
        tris.assign(idx.begin(), idx.begin() + std::ptrdiff_t(idx.size() / 3 * 3));
    } else {
        for (std::size_t i = 2; i < idx.size(); ++i) {
            if (mode == 5) {
                if (i % 2 == 0) tris.insert(tris.end(), {idx[i - 2], idx[i - 1], idx[i]});
                else tris.insert(tris.end(), {idx[i - 1], idx[i - 2], idx[i]});
            } else {
                tris.insert(tris.end(), {idx[0], idx[i - 1], idx[i]});
            }
        }
    }
    if (tris.empty()) return;
    const auto base = std::uint32_t(out.positions.size());
    const glm::mat3 normalMatrix = glm::transpose(glm::inverse(glm::mat3(world)));
    for (std::size_t i = 0; i < n; ++i) {
        out.positions.push_back(glm::vec3(world * glm::vec4(pos[3 * i], pos[3 * i + 1], pos[3 * i + 2], 1.0f)));
        if (nor.size() == n * 3) {
            const glm::vec3 v = normalMatrix * glm::vec3(nor[3 * i], nor[3 * i + 1], nor[3 * i + 2]);
            const float len = glm::length(v);
            out.normals.push_back(len > 0.0f ? v / len : glm::vec3(0, 1, 0));
        } else {
            out.normals.push_back(glm::vec3(0, 1, 0));
        }
        out.uv0.push_back(uv.size() == n * 2 ? glm::vec2(uv[2 * i], uv[2 * i + 1]) : glm::vec2(0.0f));  // (0, 0) where it has none, as importMesh
    }
    core::Submesh s;
    s.name = "mesh " + std::to_string(meshIndex) + " primitive " + std::to_string(primIndex);
    s.firstIndex = std::uint32_t(out.indices.size());
    s.indexCount = std::uint32_t(tris.size());
    s.firstVertex = base;
    s.vertexCount = std::uint32_t(n);
    s.material = intAt(prim, "material", -1);
    for (const auto i : tris) out.indices.push_back(base + i);
    out.submeshes.push_back(s);
}

} // namespace

bool isGltfPath(const fs::path& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".glb" || ext == ".gltf";
}

core::Mesh readGltfTriangles(const fs::path& path) {
    Document d = load(path);
    core::Mesh out;
    bool allNormals = true, anyUvs = false;
    const std::span<json> nodes = gltfItems(d.doc, "nodes");
    std::vector<int> roots;
    const json* scenes = d.doc.contains("scenes") ? &d.doc["scenes"] : nullptr;
    const int scene = intAt(d.doc, "scene", 0);
    if (scenes && scenes->is_array() && std::size_t(scene) < scenes->size() && (*scenes)[std::size_t(scene)].contains("nodes")) {
        for (const auto& r : (*scenes)[std::size_t(scene)]["nodes"]) roots.push_back(r.get<int>());
    } else {
        std::vector<bool> child(nodes.size(), false);
        for (const json& node : nodes)
            if (node.contains("children"))
                for (const auto& c : node["children"])
                    if (c.is_number_integer() && c.get<std::size_t>() < child.size()) child[c.get<std::size_t>()] = true;
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (!child[i]) roots.push_back(int(i));
    }
    std::function<void(int, const glm::mat4&, int)> visit = [&](int index, const glm::mat4& parent, int depth) {
        if (depth > 256) throw Error(d.name + ": the node hierarchy is too deep (a cycle?)");
        const json& node = indexed(d, "nodes", index, "node");
        const glm::mat4 world = parent * localTransform(node);
        if (node.contains("mesh")) {
            const int meshIndex = node["mesh"].get<int>();
            const json& mesh = indexed(d, "meshes", meshIndex, "mesh");
            if (mesh.contains("primitives"))
                for (std::size_t p = 0; p < mesh["primitives"].size(); ++p) appendPrimitive(d, mesh["primitives"][p], meshIndex, int(p), world, out, allNormals, anyUvs);
        }
        if (node.contains("children"))
            for (const auto& c : node["children"]) visit(c.get<int>(), world, depth + 1);
    };
    try {
        for (const int r : roots) visit(r, glm::mat4(1.0f), 0);
    } catch (const json::exception& e) {
        throw Error(d.name + ": malformed glTF (" + std::string(e.what()) + ")");
    }
    if (out.indices.empty()) throw Error(d.name + ": the scene draws no triangles");
    if (!allNormals) out.normals.clear();
    if (!anyUvs) out.uv0.clear();
    // Materials by index, so submesh.material indexes them: names, factors and the base-colour and
    // metallic-roughness images read through TEXCOORD_0 (what an edit starts from; an image that
    // cannot be read is left out, the factor stays).
    std::map<int, int> imageTexture;  // glTF image -> texture in `out`
    const auto textureImage = [&](const json& info) -> int {
        if (!info.is_object() || intAt(info, "texCoord", 0) != 0) return -1;
        const int texture = intAt(info, "index", -1);
        if (texture < 0 || !d.doc.contains("textures") || std::size_t(texture) >= d.doc["textures"].size()) return -1;
        const int image = intAt(d.doc["textures"][std::size_t(texture)], "source", -1);
        if (image < 0 || !d.doc.contains("images") || std::size_t(image) >= d.doc["images"].size()) return -1;
        if (const auto it = imageTexture.find(image); it != imageTexture.end()) return it->second;
        const json& img = d.doc["images"][std::size_t(image)];
        try {
            std::vector<std::uint8_t> bytes;
            if (img.contains("uri") && img["uri"].is_string()) {
                bytes = uriBytes(d, img["uri"].get<std::string>());
            } else {
                const json& view = indexed(d, "bufferViews", intAt(img, "bufferView", -1), "bufferView");
                const std::size_t buffer = std::size_t(intAt(view, "buffer", 0)), offset = view.value("byteOffset", std::size_t(0)),
                                  length = view.value("byteLength", std::size_t(0));
                if (buffer >= d.buffers.size() || offset > d.buffers[buffer].size() || length > d.buffers[buffer].size() - offset) return -1;
                bytes.assign(d.buffers[buffer].begin() + std::ptrdiff_t(offset), d.buffers[buffer].begin() + std::ptrdiff_t(offset + length));
            }
            core::Texture t;
            t.name = img.value("name", "image" + std::to_string(image));
            t.image = decodeImage(bytes, d.name + " image " + std::to_string(image));
            out.textures.push_back(std::move(t));
        } catch (const Error&) {
            return -1;
        }
        imageTexture[image] = int(out.textures.size() - 1);
        return int(out.textures.size() - 1);
    };
    for (const json& m : gltfItems(d.doc, "materials")) {
        core::Material mat;
        mat.name = m.value("name", std::string());
        if (m.contains("pbrMetallicRoughness")) {
            const json& pbr = m["pbrMetallicRoughness"];
            if (pbr.contains("baseColorFactor") && pbr["baseColorFactor"].size() == 4)
                for (int c = 0; c < 4; ++c) mat.baseColorFactor[c] = pbr["baseColorFactor"][std::size_t(c)].get<float>();
            mat.metallicFactor = pbr.value("metallicFactor", 1.0f);
            mat.roughnessFactor = pbr.value("roughnessFactor", 1.0f);
            if (pbr.contains("baseColorTexture")) mat.baseColorTexture = textureImage(pbr["baseColorTexture"]);
            if (pbr.contains("metallicRoughnessTexture")) mat.metallicRoughnessTexture = textureImage(pbr["metallicRoughnessTexture"]);
        }
        out.materials.push_back(mat);
    }
    out.validate(d.name);
    return out;
}

void writeRetexturedGlb(const fs::path& input, const std::vector<GltfMaterialImages>& maps, const fs::path& outPath, const core::ProvenanceRecord& record) {
    Document d = load(input);
    json& doc = d.doc;
    // One buffer: the input's buffers one after another, each at a 16-byte boundary so every
    // accessor keeps its alignment; views re-based.
    std::vector<std::uint8_t> bin;
    std::vector<std::size_t> base;
    for (const auto& b : d.buffers) {
        while (bin.size() % 16) bin.push_back(0);
        base.push_back(bin.size());
        bin.insert(bin.end(), b.begin(), b.end());
    }
    for (json& v : gltfItems(doc, "bufferViews")) {
        const int b = intAt(v, "buffer", 0);
        if (b < 0 || std::size_t(b) >= base.size()) throw Error(d.name + ": bufferView refers to a missing buffer");
        v["buffer"] = 0;
        v["byteOffset"] = v.value("byteOffset", std::size_t(0)) + base[std::size_t(b)];
    }
    const auto appendView = [&](const std::vector<std::uint8_t>& bytes) {
        while (bin.size() % 16) bin.push_back(0);
        json view{{"buffer", 0}, {"byteOffset", bin.size()}, {"byteLength", bytes.size()}};
        bin.insert(bin.end(), bytes.begin(), bytes.end());
        if (!doc.contains("bufferViews")) doc["bufferViews"] = json::array();
        doc["bufferViews"].push_back(view);
        return int(doc["bufferViews"].size() - 1);
    };
    // Images by URI move into the buffer: the .glb must stand alone wherever it is written.
    for (json& img : gltfItems(doc, "images"))
        if (img.contains("uri") && img["uri"].is_string()) {
            std::string mime;
            const std::vector<std::uint8_t> bytes = uriBytes(d, img["uri"].get<std::string>(), &mime);
            img.erase("uri");
            img["bufferView"] = appendView(bytes);
            if (!img.contains("mimeType")) img["mimeType"] = mime.empty() ? "image/png" : mime;
        }
    const auto addTexture = [&](const std::vector<std::uint8_t>& png, const std::string& name) {
        if (!doc.contains("images")) doc["images"] = json::array();
        if (!doc.contains("textures")) doc["textures"] = json::array();
        if (!doc.contains("samplers")) doc["samplers"] = json::array();
        doc["images"].push_back({{"bufferView", appendView(png)}, {"mimeType", "image/png"}, {"name", name}});
        // Linear filtering with mipmaps, clamped: a baked atlas, not a tiling pattern.
        doc["samplers"].push_back({{"magFilter", 9729}, {"minFilter", 9987}, {"wrapS", 33071}, {"wrapT", 33071}});
        doc["textures"].push_back({{"source", doc["images"].size() - 1}, {"sampler", doc["samplers"].size() - 1}});
        return int(doc["textures"].size() - 1);
    };
    for (const auto& m : maps) {
        int index = m.material;
        const std::size_t materialCount = doc.contains("materials") && doc["materials"].is_array() ? doc["materials"].size() : 0;
        if (index >= 0 && std::size_t(index) >= materialCount) throw Error(d.name + ": material " + std::to_string(index) + " does not exist");
        if (index < 0) {
            if (!doc.contains("materials")) doc["materials"] = json::array();
            doc["materials"].push_back({{"name", "textured"}});
            index = int(doc["materials"].size() - 1);
        }
        // The primitives drawn with it (or with none, for a new material).
        for (json& mesh : gltfItems(doc, "meshes"))
            for (json& prim : gltfItems(mesh, "primitives")) {
                if (intAt(prim, "material", -1) != m.material) continue;
                prim["material"] = index;
                if (prim.contains("attributes")) prim["attributes"].erase("COLOR_0");
            }
        json& mat = doc["materials"][std::size_t(index)];
        const std::string stem = mat.value("name", std::string("material") + std::to_string(index));
        float alpha = 1.0f;
        if (mat.contains("pbrMetallicRoughness") && mat["pbrMetallicRoughness"].contains("baseColorFactor") &&
            mat["pbrMetallicRoughness"]["baseColorFactor"].size() == 4)
            alpha = mat["pbrMetallicRoughness"]["baseColorFactor"][3].get<float>();
        if (mat.contains("extensions") && mat["extensions"].is_object()) {
            mat["extensions"].erase("KHR_materials_pbrSpecularGlossiness");
            if (mat["extensions"].empty()) mat.erase("extensions");
        }
        json pbr = mat.contains("pbrMetallicRoughness") && mat["pbrMetallicRoughness"].is_object() ? mat["pbrMetallicRoughness"] : json::object();
        pbr["baseColorTexture"] = {{"index", addTexture(m.baseColorPng, stem + "_basecolor")}};
        pbr["metallicRoughnessTexture"] = {{"index", addTexture(m.metallicRoughnessPng, stem + "_metallic_roughness")}};
        if (!m.normalPng.empty() && !mat.contains("normalTexture")) mat["normalTexture"] = {{"index", addTexture(m.normalPng, stem + "_normal")}};
        pbr["baseColorFactor"] = {1.0, 1.0, 1.0, alpha};
        pbr["metallicFactor"] = 1.0;
        pbr["roughnessFactor"] = 1.0;
        mat["pbrMetallicRoughness"] = pbr;
    }
    // The textures the new ones replaced (and their images) go, unless another material still
    // samples them; the buffer then holds only the views that remain, each at its old alignment
    // within a 16-byte boundary, bytes unchanged.
    removeUnusedTextures(doc, d.name);
    std::vector<std::uint8_t> packed;
    packed.reserve(bin.size());
    for (json& v : gltfItems(doc, "bufferViews")) {
        const std::size_t offset = v.value("byteOffset", std::size_t(0)), length = v.value("byteLength", std::size_t(0));
        if (offset > bin.size() || length > bin.size() - offset) throw Error(d.name + ": a bufferView lies outside its buffer");
        while (packed.size() % 16) packed.push_back(0);
        v["byteOffset"] = packed.size();
        packed.insert(packed.end(), bin.begin() + std::ptrdiff_t(offset), bin.begin() + std::ptrdiff_t(offset + length));
    }
    bin = std::move(packed);
    doc["buffers"] = json::array({json{{"byteLength", bin.size()}}});
    syncGltfExtensionLists(doc);
    if (!record.empty()) {
        json kiln = json::object();
        for (const auto& [k, v] : record) kiln[k] = v;
        doc["asset"]["extras"]["kiln"] = kiln;
    }
    writeFileBytes(outPath, buildGlb(doc.dump(), std::move(bin)));
}

} // namespace kiln::io
