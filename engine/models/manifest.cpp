#include "models/manifest.h"

#include "core/error.h"
#include "core/sha256.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

constexpr int kFormatVersion = 1;

std::string requireString(const nlohmann::json& j, const char* key, const std::string& where) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
        throw Error(where + ": \"" + key + "\" is missing or not a non-empty string");
    return j[key].get<std::string>();
}

bool safeRelativePath(const std::string& p) {
    if (p.empty() || p.front() == '/' || p.find('\\') != std::string::npos) return false;
    for (const auto& part : fs::path(p))
        if (part == ".." || part == ".") return false;
    return true;
}

} // namespace

std::string sha256File(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot be read");
    core::Sha256 h;
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), std::streamsize(buf.size()));
        h.update(buf.data(), std::size_t(in.gcount()));
    }
    if (in.bad()) throw Error(path.string() + ": read error");
    return h.finishHex();
}

ModelManifest readManifest(const fs::path& dir) {
    const fs::path file = dir / kManifestName;
    if (!fs::is_directory(dir)) throw Error(dir.string() + ": not a model folder (no such folder)");
    if (!fs::exists(file)) throw Error(file.string() + ": missing (every model folder has a manifest.json)");
    const auto bytes = io::readFileBytes(file);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception&) {
        throw Error(file.string() + ": not valid JSON");
    }
    const std::string where = file.string();
    if (!j.is_object() || j.value("format", "") != "kiln-model") throw Error(where + ": not a Kiln model manifest (format is not \"kiln-model\")");
    if (!j.contains("formatVersion") || !j["formatVersion"].is_number_integer() || j["formatVersion"].get<int>() > kFormatVersion)
        throw Error(where + ": manifest formatVersion is missing or newer than this Kiln reads (" + std::to_string(kFormatVersion) + ")");
    ModelManifest m;
    m.slot = requireString(j, "slot", where);
    m.name = requireString(j, "name", where);
    m.version = requireString(j, "version", where);
    m.licence = requireString(j, "licence", where);
    if (j.contains("recipe")) m.recipeJson = j["recipe"].dump();
    if (!j.contains("files") || !j["files"].is_array() || j["files"].empty()) throw Error(where + ": \"files\" must list the model's files");
    for (const auto& f : j["files"]) {
        if (!f.is_object()) throw Error(where + ": a \"files\" entry is not an object");
        ManifestFile mf;
        mf.path = requireString(f, "path", where);
        if (!safeRelativePath(mf.path)) throw Error(where + ": file path '" + mf.path + "' leaves the model folder");
        if (!f.contains("bytes") || !f["bytes"].is_number_unsigned()) throw Error(where + ": '" + mf.path + "' has no byte size");
        mf.bytes = f["bytes"].get<std::uint64_t>();
        mf.sha256 = requireString(f, "sha256", where);
        if (mf.sha256.size() != 64 || mf.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw Error(where + ": '" + mf.path + "' has a malformed sha256");
        m.files.push_back(std::move(mf));
    }
    return m;
}

ModelManifest verifyModelFolder(const fs::path& dir, const std::string& expectedSlot) {
    ModelManifest m = readManifest(dir);
    if (!expectedSlot.empty() && m.slot != expectedSlot)
        throw Error((dir / kManifestName).string() + ": a model for slot '" + m.slot + "', not '" + expectedSlot + "'");
    for (const auto& f : m.files) {
        const fs::path p = dir / f.path;
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) throw Error(p.string() + ": missing (listed in the model's manifest)");
        const auto size = fs::file_size(p, ec);
        if (ec) throw Error(p.string() + ": cannot be read");
        if (size != f.bytes)
            throw Error(p.string() + ": " + std::to_string(size) + " bytes, the manifest says " + std::to_string(f.bytes) +
                        (size < f.bytes ? " (truncated)" : " (changed)"));
        if (sha256File(p) != f.sha256) throw Error(p.string() + ": checksum mismatch (the file was changed or damaged)");
    }
    return m;
}

ModelManifest writeManifest(const fs::path& dir, ModelManifest m) {
    m.files.clear();
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        const std::string rel = fs::relative(entry.path(), dir).generic_string();
        if (rel == kManifestName || rel.front() == '.' || rel.find("/.") != std::string::npos) continue;
        m.files.push_back({rel, entry.file_size(), sha256File(entry.path())});
    }
    std::sort(m.files.begin(), m.files.end(), [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
    if (m.files.empty()) throw Error(dir.string() + ": no files to list in a manifest");
    nlohmann::ordered_json j;
    j["format"] = "kiln-model";
    j["formatVersion"] = kFormatVersion;
    j["slot"] = m.slot;
    j["name"] = m.name;
    j["version"] = m.version;
    j["licence"] = m.licence;
    j["recipe"] = nlohmann::ordered_json::parse(m.recipeJson);
    j["files"] = nlohmann::ordered_json::array();
    for (const auto& f : m.files) j["files"].push_back({{"path", f.path}, {"bytes", f.bytes}, {"sha256", f.sha256}});
    const std::string text = j.dump(2) + "\n";
    io::writeAtomically(dir / kManifestName, true,
                        [&](const fs::path& tmp) { io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}); });
    return m;
}

} // namespace kiln::models
