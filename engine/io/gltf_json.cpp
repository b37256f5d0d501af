#include "io/gltf_json.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"

namespace kiln::io {

using nlohmann::json;

namespace {
constexpr std::uint32_t kGlbMagic = 0x46546C67u, kJsonChunk = 0x4E4F534Au, kBinChunk = 0x004E4942u;
} // namespace

GlbChunks parseGlb(std::span<const std::uint8_t> bytes, const std::string& name) {
    GlbChunks c;
    BinaryReader r(bytes, name);
    if (r.read<std::uint32_t>("GLB header") != kGlbMagic) r.fail("not a glTF binary (bad magic)");
    r.skip(8, "GLB header");
    const std::uint32_t jsonLength = r.read<std::uint32_t>("JSON chunk header");
    if (r.read<std::uint32_t>("JSON chunk header") != kJsonChunk) r.fail("first chunk is not JSON");
    const auto text = r.bytes(jsonLength, "JSON chunk");
    c.json.assign(text.begin(), text.end());
    if (r.remaining() >= 8) {
        const std::uint32_t binLength = r.read<std::uint32_t>("BIN chunk header");
        if (r.read<std::uint32_t>("BIN chunk header") == kBinChunk) {
            const auto b = r.bytes(binLength, "BIN chunk");
            c.bin.assign(b.begin(), b.end());
            c.haveBin = true;
        }
    }
    return c;
}

std::vector<std::uint8_t> buildGlb(std::string text, std::vector<std::uint8_t> bin) {
    while (text.size() % 4) text.push_back(' ');
    while (bin.size() % 4) bin.push_back(0);
    const bool withBin = !bin.empty();
    const std::size_t total = 12 + 8 + text.size() + (withBin ? 8 + bin.size() : 0);
    BinaryWriter out;
    out.reserve(total);
    out.put(kGlbMagic);
    out.put(std::uint32_t(2));
    out.put(std::uint32_t(total));
    out.put(std::uint32_t(text.size()));
    out.put(kJsonChunk);
    out.putArray(std::span<const char>(text));
    if (withBin) {
        out.put(std::uint32_t(bin.size()));
        out.put(kBinChunk);
        out.putBytes(bin);
    }
    return std::vector<std::uint8_t>(out.bytes().begin(), out.bytes().end());
}

json* gltfMember(json& object, const char* key) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

std::span<json> gltfItems(json& object, const char* key) {
    json* a = gltfMember(object, key);
    if (!a || !a->is_array() || a->empty()) return {};
    return {&(*a)[0], a->size()};
}

void collectGltfExtensions(const json& node, std::set<std::string>& out) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (it.key() == "extras") continue;
            if (it.key() == "extensions" && it->is_object())
                for (auto e = it->begin(); e != it->end(); ++e) out.insert(e.key());
            collectGltfExtensions(*it, out);
        }
    } else if (node.is_array()) {
        for (const auto& v : node) collectGltfExtensions(v, out);
    }
}

void syncGltfExtensionLists(json& doc) {
    std::set<std::string> present;
    collectGltfExtensions(doc, present);
    for (const char* key : {"extensionsUsed", "extensionsRequired"}) {
        json* list = gltfMember(doc, key);
        if (!list || !list->is_array()) continue;
        json kept = json::array();
        std::set<std::string> seen;
        for (const auto& e : *list)
            if (e.is_string() && present.count(e.get<std::string>()) && seen.insert(e.get<std::string>()).second) kept.push_back(e);
        if (std::string(key) == "extensionsUsed")
            for (const auto& e : present)
                if (!seen.count(e)) kept.push_back(e);
        if (kept.empty()) doc.erase(key);
        else *list = std::move(kept);
    }
    if (!gltfMember(doc, "extensionsUsed") && !present.empty()) doc["extensionsUsed"] = json(present);
}

} // namespace kiln::io
