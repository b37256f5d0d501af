#pragma once

#include "core/asset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::core {

using AssetId = std::uint64_t;
using VersionId = std::uint64_t;

struct AssetVersion {
    VersionId id = 0;
    Asset asset;
};

// One asset in a document with its whole history; versions are append-only.
struct DocumentAsset {
    AssetId id = 0;
    std::string name;
    std::vector<AssetVersion> versions;
    VersionId current = 0;  // the version shown and exported

    const AssetVersion& currentVersion() const;
};

// The studio's and the CLI's model: assets and their versions. A value type (assets share their
// data), so undo can keep whole snapshots and a job's failure simply never touches it.
class Document {
public:
    AssetId addAsset(Asset first);
    // Appends a version and makes it current. Its provenance.parentVersion defaults to the version
    // that was current.
    VersionId addVersion(AssetId asset, Asset next);
    void setCurrentVersion(AssetId asset, VersionId version);
    void renameAsset(AssetId asset, std::string name);
    AssetId duplicateAsset(AssetId asset);
    void removeAsset(AssetId asset);

    const std::vector<DocumentAsset>& assets() const { return m_assets; }
    const DocumentAsset* find(AssetId asset) const;
    const AssetVersion* findVersion(VersionId version) const;
    const DocumentAsset& get(AssetId asset) const;  // throws kiln::Error when missing
    bool empty() const { return m_assets.empty(); }

    // Counts every change; equal revisions of one document mean no change happened.
    std::uint64_t revision() const { return m_revision; }
    std::uint64_t nextId() const { return m_nextId; }

    // Rebuilds a document from saved parts (project loading); validates ids.
    static Document fromParts(std::vector<DocumentAsset> assets, std::uint64_t nextId);

private:
    DocumentAsset& mutableGet(AssetId asset);

    std::vector<DocumentAsset> m_assets;
    std::uint64_t m_nextId = 1;
    std::uint64_t m_revision = 0;
};

} // namespace kiln::core
