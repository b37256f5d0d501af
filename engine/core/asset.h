#pragma once

#include "core/gaussian_cloud.h"
#include "core/mesh.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace kiln::core {

// What an asset holds. RadianceField joins this variant with the renderer/optimizer work.
using Representation = std::variant<Mesh, GaussianCloud>;

enum class AssetKind : std::uint8_t { Mesh, Gaussians };

// Where a version came from: enough to regenerate it or explain it to the artist.
struct Provenance {
    std::string source;    // "import", "convert", "generate:text", "edit", ...
    std::string sourcePath; // file it was imported from, if any
    std::string prompt;
    std::optional<std::uint64_t> seed;
    std::string model;
    std::string modelLicence; // licences of the models that made it ("" when none did)
    std::string options;   // pipeline options as JSON text
    std::string createdAt; // ISO 8601 UTC
    std::optional<std::uint64_t> parentVersion; // AssetVersion::id this one was derived from
};

// One immutable version of an asset. The data is shared, so copying an Asset (and so a Document)
// is cheap and edits always make a new version.
struct Asset {
    std::string name;
    std::shared_ptr<const Representation> data;
    Provenance provenance;

    static Asset fromMesh(std::string name, Mesh mesh, Provenance provenance = {});
    static Asset fromGaussians(std::string name, GaussianCloud cloud, Provenance provenance = {});

    AssetKind kind() const;
    const Mesh* mesh() const { return data ? std::get_if<Mesh>(data.get()) : nullptr; }
    const GaussianCloud* gaussians() const { return data ? std::get_if<GaussianCloud>(data.get()) : nullptr; }
};

Bounds computeBounds(const Asset& asset);

// Current UTC time as ISO 8601, for Provenance::createdAt.
std::string utcNowIso8601();

// What exports carry of a generated asset's provenance (glTF asset.extras.kiln, FBX user
// properties "kiln:<key>"): source, prompt, seed, model, modelLicence, createdAt, the non-empty
// ones. Empty for assets no model made (imports, conversions).
using ProvenanceRecord = std::vector<std::pair<std::string, std::string>>;
ProvenanceRecord provenanceRecord(const Provenance& p);

} // namespace kiln::core
