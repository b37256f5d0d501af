#include "io/gltf_cleanup.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/gltf_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>
#include <span>

namespace fs = std::filesystem;
using nlohmann::json;

namespace kiln::io {

namespace {

// Calls `visit` on every textureInfo object (an object with an integer "index" under a key
// ending in "Texture": baseColorTexture, normalTexture, clearcoatTexture, ...) inside `node`.
void forEachTextureInfo(json& node, const std::function<void(json&)>& visit) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string& key = it.key();
            if (key.size() >= 7 && key.compare(key.size() - 7, 7, "Texture") == 0 && it->is_object() && it->contains("index") &&
                (*it)["index"].is_number_integer())
                visit(*it);
            forEachTextureInfo(*it, visit);
        }
    } else if (node.is_array()) {
        for (auto& v : node) forEachTextureInfo(v, visit);
    }
}

void eraseExtension(json& object, const char* name) {
    json* ext = gltfMember(object, "extensions");
    if (!ext || !ext->is_object()) return;
    ext->erase(name);
    if (ext->empty()) object.erase("extensions");
}

// Removes the entries of doc[key] not in `used` and returns old index -> new index (-1 = gone).
std::vector<int> compact(json& doc, const char* key, const std::vector<bool>& used) {
    const std::span<json> all = gltfItems(doc, key);
    std::vector<int> remap(all.size(), -1);
    json kept = json::array();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (!used[i]) continue;
        remap[i] = int(kept.size());
        kept.push_back(std::move(all[i]));
    }
    if (gltfMember(doc, key)) {
        if (kept.empty()) doc.erase(key);
        else doc[key] = std::move(kept);
    }
    return remap;
}

// Marks reference `ref` (a JSON integer) as used in `used`, if it is in range.
void mark(std::vector<bool>& used, const json* ref, const std::string& file, const char* what) {
    if (!ref) return;
    if (!ref->is_number_integer() || ref->get<long long>() < 0 || std::size_t(ref->get<long long>()) >= used.size())
        throw Error(file + ": glTF " + what + " reference out of range");
    used[std::size_t(ref->get<long long>())] = true;
}

void renumber(json* ref, const std::vector<int>& remap) {
    if (ref && ref->is_number_integer()) *ref = remap[std::size_t(ref->get<long long>())];
}

struct GltfFile {
    json doc;
    std::vector<std::uint8_t> bin;  // buffer 0 bytes (GLB BIN chunk or the external .bin)
    bool haveBin = false;
    fs::path binPath;               // for .gltf with an external buffer
};

GltfFile load(const fs::path& path, const std::string& name, bool glb) {
    GltfFile f;
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    if (glb) {
        GlbChunks c = parseGlb(bytes, name);
        f.doc = json::parse(c.json.begin(), c.json.end());
        f.bin = std::move(c.bin);
        f.haveBin = c.haveBin;
    } else {
        f.doc = json::parse(bytes.begin(), bytes.end());
        const std::span<json> buffers = gltfItems(f.doc, "buffers");
        if (!buffers.empty() && buffers[0].is_object() && buffers[0].contains("uri") && buffers[0]["uri"].is_string()) {
            const std::string uri = buffers[0]["uri"].get<std::string>();
            if (uri.rfind("data:", 0) != 0 && uri.find('/') == std::string::npos && uri.find('\\') == std::string::npos) {
                f.binPath = path.parent_path() / uri;
                f.bin = readFileBytes(f.binPath);
                f.haveBin = true;
            }
        }
    }
    return f;
}

void save(const GltfFile& f, const fs::path& path, bool glb) {
    std::string text = f.doc.dump(glb ? -1 : 2);
    if (!glb) {
        writeFileBytes(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
        if (f.haveBin && !f.binPath.empty()) writeFileBytes(f.binPath, f.bin);
        return;
    }
    writeFileBytes(path, buildGlb(text, f.haveBin ? f.bin : std::vector<std::uint8_t>{}));
}

// Extension objects that change nothing: FB_ngon_encoding on triangle primitives (triangles are
// triangles), KHR_materials_volume without transmission (it only affects transmissive materials).
void dropNoOpExtensions(json& doc) {
    for (json& mesh : gltfItems(doc, "meshes"))
        for (json& prim : gltfItems(mesh, "primitives")) eraseExtension(prim, "FB_ngon_encoding");
    for (json& m : gltfItems(doc, "materials")) {
        const json* ext = gltfMember(m, "extensions");
        if (ext && ext->is_object() && !ext->contains("KHR_materials_transmission")) eraseExtension(m, "KHR_materials_volume");
    }
}

// UV sets no texture samples: keeps TEXCOORD_0 up to the highest set the primitive's material
// uses (sets must stay contiguous).
void dropUnusedUvSets(json& doc) {
    const std::span<json> materials = gltfItems(doc, "materials");
    for (json& mesh : gltfItems(doc, "meshes")) {
        for (json& prim : gltfItems(mesh, "primitives")) {
            int highest = -1;
            if (const json* mi = gltfMember(prim, "material"); mi && mi->is_number_integer() && std::size_t(mi->get<long long>()) < materials.size())
                forEachTextureInfo(materials[std::size_t(mi->get<long long>())], [&](json& info) {
                    highest = std::max(highest, info.value("texCoord", 0));
                });
            json* attrs = gltfMember(prim, "attributes");
            if (!attrs || !attrs->is_object()) continue;
            for (int set = highest + 1; set < 8; ++set) attrs->erase("TEXCOORD_" + std::to_string(set));
        }
    }
}

// Removes the entries of doc[key] that no reference `forEachRef` visits reaches, and renumbers
// those references.
void removeUnreferenced(json& doc, const char* key, const std::string& file, const char* what,
                        const std::function<void(const std::function<void(json*)>&)>& forEachRef) {
    std::vector<bool> used(gltfItems(doc, key).size(), false);
    forEachRef([&](json* ref) { mark(used, ref, file, what); });
    const auto remap = compact(doc, key, used);
    forEachRef([&](json* ref) { renumber(ref, remap); });
}

// Textures no material uses, then images and samplers no texture uses.
void removeUnusedTextureObjects(json& doc, const std::string& file) {
    removeUnreferenced(doc, "textures", file, "texture", [&](const std::function<void(json*)>& visit) {
        for (json& m : gltfItems(doc, "materials")) forEachTextureInfo(m, [&](json& info) { visit(&info["index"]); });
    });
    // Images and samplers are both referenced from textures, checked in one pass over them.
    auto textureSources = [](json& texture, const std::function<void(json*)>& visit) {
        visit(gltfMember(texture, "source"));
        if (json* ext = gltfMember(texture, "extensions"); ext && ext->is_object())
            for (auto& e : *ext) visit(gltfMember(e, "source"));  // KHR_texture_basisu, EXT_texture_webp, ...
    };
    std::vector<bool> usedImages(gltfItems(doc, "images").size(), false), usedSamplers(gltfItems(doc, "samplers").size(), false);
    for (json& t : gltfItems(doc, "textures")) {
        textureSources(t, [&](json* ref) { mark(usedImages, ref, file, "image"); });
        mark(usedSamplers, gltfMember(t, "sampler"), file, "sampler");
    }
    const auto imageRemap = compact(doc, "images", usedImages);
    const auto samplerRemap = compact(doc, "samplers", usedSamplers);
    for (json& t : gltfItems(doc, "textures")) {
        textureSources(t, [&](json* ref) { renumber(ref, imageRemap); });
        renumber(gltfMember(t, "sampler"), samplerRemap);
    }
}

// Buffer views no accessor, image or mesh extension references.
void removeUnreferencedViews(json& doc, const std::string& file) {
    removeUnreferenced(doc, "bufferViews", file, "bufferView", [&](const std::function<void(json*)>& visit) {
        for (json& a : gltfItems(doc, "accessors")) {
            visit(gltfMember(a, "bufferView"));
            if (json* sparse = gltfMember(a, "sparse")) {
                if (json* i = gltfMember(*sparse, "indices")) visit(gltfMember(*i, "bufferView"));
                if (json* v = gltfMember(*sparse, "values")) visit(gltfMember(*v, "bufferView"));
            }
        }
        for (json& img : gltfItems(doc, "images")) visit(gltfMember(img, "bufferView"));
        for (json& mesh : gltfItems(doc, "meshes"))
            for (json& prim : gltfItems(mesh, "primitives"))
                if (json* ext = gltfMember(prim, "extensions"); ext && ext->is_object())
                    for (auto& e : *ext) visit(gltfMember(e, "bufferView"));  // KHR_draco_mesh_compression
    });
}

// Unused objects, from materials down to buffer views: each kind is compacted after the kinds
// that reference it, so an object only the removed ones used goes too.
void removeUnusedObjects(json& doc, const std::string& file) {
    removeUnreferenced(doc, "materials", file, "material", [&](const std::function<void(json*)>& visit) {
        for (json& mesh : gltfItems(doc, "meshes"))
            for (json& prim : gltfItems(mesh, "primitives")) visit(gltfMember(prim, "material"));
    });
    removeUnusedTextureObjects(doc, file);
    removeUnreferenced(doc, "accessors", file, "accessor", [&](const std::function<void(json*)>& visit) {
        for (json& mesh : gltfItems(doc, "meshes")) {
            for (json& prim : gltfItems(mesh, "primitives")) {
                if (json* attrs = gltfMember(prim, "attributes"); attrs && attrs->is_object())
                    for (auto& a : *attrs) visit(&a);
                visit(gltfMember(prim, "indices"));
                for (json& target : gltfItems(prim, "targets"))
                    for (auto& a : target) visit(&a);
            }
        }
        for (json& skin : gltfItems(doc, "skins")) visit(gltfMember(skin, "inverseBindMatrices"));
        for (json& anim : gltfItems(doc, "animations")) {
            for (json& s : gltfItems(anim, "samplers")) {
                visit(gltfMember(s, "input"));
                visit(gltfMember(s, "output"));
            }
        }
    });
    removeUnreferencedViews(doc, file);
}

// Repacks buffer 0 so it holds only the views that remain (each 4-byte aligned), when every view
// lives in it.
void repackBuffer(GltfFile& f, const std::string& file) {
    const std::span<json> views = gltfItems(f.doc, "bufferViews");
    const std::span<json> buffers = gltfItems(f.doc, "buffers");
    const bool singleBuffer = std::all_of(views.begin(), views.end(), [](const json& v) { return v.value("buffer", -1) == 0; });
    if (!f.haveBin || !singleBuffer || buffers.empty()) return;
    std::vector<std::uint8_t> packed;
    packed.reserve(f.bin.size());
    for (json& v : views) {
        const std::size_t offset = v.value("byteOffset", std::size_t(0)), length = v.value("byteLength", std::size_t(0));
        if (offset > f.bin.size() || length > f.bin.size() - offset) throw Error(file + ": glTF bufferView lies outside its buffer");
        while (packed.size() % 4) packed.push_back(0);
        v["byteOffset"] = packed.size();
        packed.insert(packed.end(), f.bin.begin() + std::ptrdiff_t(offset), f.bin.begin() + std::ptrdiff_t(offset + length));
    }
    f.bin = std::move(packed);
    buffers[0]["byteLength"] = f.bin.size();
}

} // namespace

void cleanGltf(const fs::path& path, const core::ProvenanceRecord& record) {
    const std::string name = displayName(path);
    const bool glb = lowerExtension(path) == ".glb";
    GltfFile f;
    try {
        f = load(path, name, glb);
    } catch (const json::exception& e) {
        throw Error(name + ": glTF JSON does not parse (" + std::string(e.what()) + ")");
    }
    if (!f.doc.is_object()) throw Error(name + ": glTF JSON is not an object");
    dropNoOpExtensions(f.doc);
    dropUnusedUvSets(f.doc);
    removeUnusedObjects(f.doc, name);
    repackBuffer(f, name);
    syncGltfExtensionLists(f.doc);
    f.doc["asset"]["generator"] = "Kiln 0.1.0 (Open Asset Import Library 5.2)";
    if (!record.empty()) {
        json kiln = json::object();
        for (const auto& [k, v] : record) kiln[k] = v;
        f.doc["asset"]["extras"]["kiln"] = kiln;
    }
    save(f, path, glb);
}

void removeUnusedTextures(nlohmann::json& doc, const std::string& file) {
    removeUnusedTextureObjects(doc, file);
    removeUnreferencedViews(doc, file);
}

core::ProvenanceRecord readGltfProvenance(const fs::path& path) {
    const std::string name = path.filename().string();
    const std::string ext = lowerExtension(path);
    if (ext != ".glb" && ext != ".gltf") throw Error(name + ": not a .glb or .gltf file");
    GltfFile f;
    try {
        f = load(path, name, ext == ".glb");
    } catch (const json::exception& e) {
        throw Error(name + ": glTF JSON does not parse (" + std::string(e.what()) + ")");
    }
    core::ProvenanceRecord r;
    if (!f.doc.is_object() || !f.doc.contains("asset") || !f.doc["asset"].is_object()) return r;
    const json& asset = f.doc["asset"];
    if (!asset.contains("extras") || !asset["extras"].is_object() || !asset["extras"].contains("kiln") || !asset["extras"]["kiln"].is_object()) return r;
    for (const auto& [k, v] : asset["extras"]["kiln"].items()) r.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    return r;
}

} // namespace kiln::io
