#include "cli.h"

#include "core/asset_stats.h"
#include "core/error.h"
#include "io/asset_io.h"
#include "io/binary_reader.h"
#include "io/gltf_cleanup.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace kiln::app {

namespace {

// `kiln info --json`'s description of an asset (after the file name).
nlohmann::ordered_json toJson(const core::AssetStats& s) {
    nlohmann::ordered_json j;
    j["kind"] = s.kind;
    if (s.kind == "mesh") {
        j["vertices"] = s.vertices;
        j["triangles"] = s.triangles;
        j["submeshes"] = s.submeshes;
        j["attributes"] = {{"normals", s.hasNormals}, {"uv0", s.hasUv0}, {"uv1", s.hasUv1}, {"colors", s.hasColors}};
        j["materials"] = s.materials;
        auto& tex = j["textures"] = nlohmann::ordered_json::array();
        for (const auto& t : s.textures)
            tex.push_back({{"name", t.name}, {"width", t.width}, {"height", t.height}, {"channels", t.channels}, {"uses", t.uses}});
    } else {
        j["splats"] = s.splats;
        j["shDegree"] = s.shDegree;
    }
    j["bounds"] = {{"min", {s.bounds.min.x, s.bounds.min.y, s.bounds.min.z}},
                   {"max", {s.bounds.max.x, s.bounds.max.y, s.bounds.max.z}},
                   {"size", {s.bounds.size().x, s.bounds.size().y, s.bounds.size().z}}};
    return j;
}

} // namespace

int cmdInfo(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {}, {"json"});
    if (args.positional.size() != 1) throw Error("usage: kiln info FILE [--json]");
    const std::string file = args.positional[0];
    const core::Asset asset = io::loadAsset(file);
    const core::AssetStats s = core::computeStats(asset);
    // A Kiln-generated glTF carries its provenance and model licences (asset.extras.kiln).
    const std::string ext = io::lowerExtension(file);
    const core::ProvenanceRecord made = ext == ".glb" || ext == ".gltf" ? io::readGltfProvenance(file) : core::ProvenanceRecord{};

    if (args.has("json")) {
        nlohmann::ordered_json j;
        j["file"] = file;
        j.update(toJson(s));
        if (!made.empty()) {
            auto& p = j["provenance"] = nlohmann::ordered_json::object();
            for (const auto& [k, v] : made) p[k] = v;
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }

    std::printf("%s\n", file.c_str());
    if (s.kind == "mesh") {
        std::printf("  kind:       mesh\n  vertices:   %zu\n  triangles:  %zu\n  submeshes:  %zu\n", s.vertices, s.triangles, s.submeshes);
        std::printf("  attributes: %s%s%s%s\n", s.hasNormals ? "normals " : "", s.hasUv0 ? "uv0 " : "", s.hasUv1 ? "uv1 " : "", s.hasColors ? "colors" : "");
        std::printf("  materials:  %zu\n", s.materials.size());
        for (const auto& m : s.materials) std::printf("    - %s\n", m.empty() ? "(unnamed)" : m.c_str());
        std::printf("  textures:   %zu\n", s.textures.size());
        for (const auto& t : s.textures) std::printf("    - %s %dx%d, %d channels\n", t.name.c_str(), t.width, t.height, t.channels);
    } else {
        std::printf("  kind:       gaussian splats\n  splats:     %zu\n  SH degree:  %d\n", s.splats, s.shDegree);
    }
    const glm::vec3 size = s.bounds.size();
    std::printf("  bounds:     min (%g, %g, %g)  max (%g, %g, %g)  size %g x %g x %g\n", s.bounds.min.x, s.bounds.min.y, s.bounds.min.z,
                s.bounds.max.x, s.bounds.max.y, s.bounds.max.z, size.x, size.y, size.z);
    if (!made.empty()) {
        std::printf("  made by Kiln:\n");
        for (const auto& [k, v] : made) std::printf("    %-13s %s\n", (k + ":").c_str(), v.c_str());
    }
    return 0;
}

} // namespace kiln::app
