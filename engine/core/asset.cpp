#include "core/asset.h"

#include "core/error.h"

#include <chrono>
#include <ctime>

namespace kiln::core {

Asset Asset::fromMesh(std::string name, Mesh mesh, Provenance provenance) {
    Asset a;
    a.name = std::move(name);
    a.data = std::make_shared<const Representation>(std::move(mesh));
    a.provenance = std::move(provenance);
    return a;
}

Asset Asset::fromGaussians(std::string name, GaussianCloud cloud, Provenance provenance) {
    Asset a;
    a.name = std::move(name);
    a.data = std::make_shared<const Representation>(std::move(cloud));
    a.provenance = std::move(provenance);
    return a;
}

AssetKind Asset::kind() const {
    if (!data) throw Error("asset '" + name + "' has no data");
    return std::holds_alternative<Mesh>(*data) ? AssetKind::Mesh : AssetKind::Gaussians;
}

Bounds computeBounds(const Asset& asset) {
    if (const Mesh* m = asset.mesh()) return computeBounds(*m);
    if (const GaussianCloud* g = asset.gaussians()) return computeBounds(*g);
    return {};
}

ProvenanceRecord provenanceRecord(const Provenance& p) {
    ProvenanceRecord r;
    if (p.model.empty() && p.modelLicence.empty()) return r;
    auto add = [&](const char* key, const std::string& v) {
        if (!v.empty()) r.emplace_back(key, v);
    };
    add("source", p.source);
    add("prompt", p.prompt);
    if (p.seed) r.emplace_back("seed", std::to_string(*p.seed));
    add("model", p.model);
    add("modelLicence", p.modelLicence);
    add("createdAt", p.createdAt);
    return r;
}

std::string utcNowIso8601() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace kiln::core
