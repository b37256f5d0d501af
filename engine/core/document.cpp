#include "core/document.h"

#include "core/error.h"

#include <algorithm>
#include <set>

namespace kiln::core {

const AssetVersion& DocumentAsset::currentVersion() const {
    for (const auto& v : versions)
        if (v.id == current) return v;
    throw Error("asset '" + name + "' has no current version");
}

AssetId Document::addAsset(Asset first) {
    DocumentAsset entry;
    entry.id = m_nextId++;
    entry.name = first.name;
    const VersionId vid = m_nextId++;
    entry.versions.push_back({vid, std::move(first)});
    entry.current = vid;
    m_assets.push_back(std::move(entry));
    ++m_revision;
    return m_assets.back().id;
}

VersionId Document::addVersion(AssetId asset, Asset next) {
    DocumentAsset& entry = mutableGet(asset);
    if (!next.provenance.parentVersion) next.provenance.parentVersion = entry.current;
    const VersionId vid = m_nextId++;
    entry.versions.push_back({vid, std::move(next)});
    entry.current = vid;
    ++m_revision;
    return vid;
}

void Document::setCurrentVersion(AssetId asset, VersionId version) {
    DocumentAsset& entry = mutableGet(asset);
    const bool known = std::any_of(entry.versions.begin(), entry.versions.end(), [&](const AssetVersion& v) { return v.id == version; });
    if (!known) throw Error("asset '" + entry.name + "' has no version " + std::to_string(version));
    entry.current = version;
    ++m_revision;
}

void Document::renameAsset(AssetId asset, std::string name) {
    if (name.empty()) throw Error("asset name must not be empty");
    mutableGet(asset).name = std::move(name);
    ++m_revision;
}

AssetId Document::duplicateAsset(AssetId asset) {
    const DocumentAsset& source = get(asset);
    Asset copy = source.currentVersion().asset;
    copy.name = source.name + " copy";
    copy.provenance.source = "duplicate";
    copy.provenance.parentVersion = source.current;
    copy.provenance.createdAt = utcNowIso8601();
    return addAsset(std::move(copy));
}

void Document::removeAsset(AssetId asset) {
    auto it = std::find_if(m_assets.begin(), m_assets.end(), [&](const DocumentAsset& a) { return a.id == asset; });
    if (it == m_assets.end()) throw Error("no asset with id " + std::to_string(asset));
    m_assets.erase(it);
    ++m_revision;
}

const DocumentAsset* Document::find(AssetId asset) const {
    for (const auto& a : m_assets)
        if (a.id == asset) return &a;
    return nullptr;
}

const AssetVersion* Document::findVersion(VersionId version) const {
    for (const auto& a : m_assets)
        for (const auto& v : a.versions)
            if (v.id == version) return &v;
    return nullptr;
}

const DocumentAsset& Document::get(AssetId asset) const {
    if (const DocumentAsset* a = find(asset)) return *a;
    throw Error("no asset with id " + std::to_string(asset));
}

DocumentAsset& Document::mutableGet(AssetId asset) {
    return const_cast<DocumentAsset&>(get(asset));
}

Document Document::fromParts(std::vector<DocumentAsset> assets, std::uint64_t nextId) {
    std::set<std::uint64_t> ids;
    for (const auto& a : assets) {
        if (a.versions.empty()) throw Error("asset '" + a.name + "' has no versions");
        if (!ids.insert(a.id).second) throw Error("duplicate asset id " + std::to_string(a.id));
        bool currentFound = false;
        for (const auto& v : a.versions) {
            if (!ids.insert(v.id).second) throw Error("duplicate version id " + std::to_string(v.id));
            if (!v.asset.data) throw Error("asset '" + a.name + "' version " + std::to_string(v.id) + " has no data");
            currentFound |= v.id == a.current;
        }
        if (!currentFound) throw Error("asset '" + a.name + "' current version " + std::to_string(a.current) + " is missing");
    }
    Document doc;
    doc.m_assets = std::move(assets);
    doc.m_nextId = std::max<std::uint64_t>(nextId, ids.empty() ? 1 : *ids.rbegin() + 1);
    return doc;
}

} // namespace kiln::core
