// kiln models list [DIR] | verify [DIR] | pack DIR --slot S --name N --version V --licence L
//             | packs | install NAME... [--from TGZ] [--dir DIR] [--force]
#include "cli.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "models/manifest.h"
#include "models/model_paths.h"
#include "models/packs.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace fs = std::filesystem;

namespace kiln::app {

namespace {

void printEntry(const fs::path& dir, const models::ModelManifest& m, const char* status) {
    std::uint64_t bytes = 0;
    for (const auto& f : m.files) bytes += f.bytes;
    std::printf("%-18s %-26s v%-6s %7.1f MB  %-9s %s\n", m.slot.c_str(), m.name.c_str(), m.version.c_str(), double(bytes) / 1e6, status,
                dir.string().c_str());
    std::printf("%-18s licence: %s\n", "", m.licence.c_str());
}

// The model folders DIR names: DIR itself when it has a manifest, else its children that do.
std::vector<models::ModelEntry> foldersIn(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw Error(dir.string() + ": no such folder");
    if (fs::exists(dir / models::kManifestName)) return {{dir, models::readManifest(dir), false}};
    std::vector<models::ModelEntry> out;
    std::vector<fs::path> children;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory()) children.push_back(e.path());
    std::sort(children.begin(), children.end());
    for (const auto& c : children)
        if (fs::exists(c / models::kManifestName)) out.push_back({c, models::readManifest(c), false});
    if (out.empty()) throw Error(dir.string() + ": no model folders (folders with a manifest.json) in it");
    return out;
}

} // namespace

int cmdModels(int argc, char** argv) {
    const std::string usage = "usage: kiln models list [DIR] | verify [DIR] | pack DIR --slot S --name N --version V --licence L [--recipe FILE]"
                              " | packs | install NAME... [--from TGZ] [--dir DIR] [--force]";
    if (argc < 3) throw Error(usage);
    const std::string sub = argv[2];
    if (sub == "list") {
        const Args args = parseArgs(argc, argv, 3, {}, {});
        if (args.positional.size() > 1) throw Error(usage);
        std::vector<std::string> problems;
        const auto entries = args.positional.empty() ? models::listModels({}, &problems) : foldersIn(args.positional[0]);
        for (const auto& e : entries) printEntry(e.dir, e.manifest, e.bundled ? "bundled" : "");
        for (const auto& p : problems) std::printf("skipped: %s\n", p.c_str());
        if (entries.empty()) std::printf("no models found (searched the bundled folder, KILN_MODEL_PATH and the studio's model folders)\n");
        return 0;
    }
    if (sub == "verify") {
        const Args args = parseArgs(argc, argv, 3, {}, {});
        if (args.positional.size() > 1) throw Error(usage);
        const auto entries = args.positional.empty() ? models::listModels() : foldersIn(args.positional[0]);
        int bad = 0;
        for (const auto& e : entries) {
            try {
                const auto m = models::verifyModelFolder(e.dir);
                printEntry(e.dir, m, "ok");
            } catch (const Error& err) {
                std::printf("%-18s %-26s FAILED: %s\n", e.manifest.slot.c_str(), e.manifest.name.c_str(), err.what());
                ++bad;
            }
        }
        if (bad > 0) throw Error(std::to_string(bad) + " of " + std::to_string(entries.size()) + " model folder(s) failed verification");
        std::printf("%zu model folder(s) verified: every file present with its recorded size and sha256\n", entries.size());
        return 0;
    }
    if (sub == "packs") {
        const Args args = parseArgs(argc, argv, 3, {}, {});
        if (!args.positional.empty()) throw Error(usage);
        std::printf("model packs (install: kiln models install NAME, or scripts/kiln.sh models; folder %s)\n", models::packsDir().string().c_str());
        for (const auto& p : models::knownPacks()) {
            const auto dir = models::installedPack(p.name);
            std::printf("  %-12s %-9s %s@%s  %s\n", p.name.c_str(), p.slot.c_str(), p.package.c_str(), p.version.c_str(),
                        dir ? "installed" : "not installed");
            std::printf("  %-12s %s\n  %-12s licence: %s\n", "", p.description.c_str(), "", p.licence.c_str());
        }
        return 0;
    }
    if (sub == "install") {
        const Args args = parseArgs(argc, argv, 3, {"from", "dir"}, {"force"});
        if (args.positional.empty()) throw Error(usage);
        if (args.has("from") && args.positional.size() != 1) throw Error("models install: --from names one tarball, so install one pack at a time");
        for (const auto& name : args.positional) models::findPack(name);  // unknown names fail before any download
        for (const auto& name : args.positional) {
            models::PackInstallOptions o;
            o.from = args.get("from");
            o.dir = args.get("dir");
            o.force = args.has("force");
            models::PackInstallResult r;
            runJob("install " + name, [&](core::Progress& progress, const core::CancelToken&) {
                r = models::installPack(name, o, progress);
                return std::vector<core::Asset>{};
            });
            std::printf("%s: %s %s (%.1f MB, %.1f s)\n", name.c_str(), r.alreadyInstalled ? "already installed and verified in" : "installed in",
                        r.dir.string().c_str(), double(r.bytes) / 1e6, r.seconds);
        }
        return 0;
    }
    if (sub == "pack") {
        const Args args = parseArgs(argc, argv, 3, {"slot", "name", "version", "licence", "recipe"}, {});
        if (args.positional.size() != 1 || !args.has("slot") || !args.has("name") || !args.has("version") || !args.has("licence")) throw Error(usage);
        models::ModelManifest m;
        m.slot = args.get("slot");
        m.name = args.get("name");
        m.version = args.get("version");
        m.licence = args.get("licence");
        if (args.has("recipe")) {
            const auto bytes = io::readFileBytes(args.get("recipe"));
            try {
                m.recipeJson = nlohmann::json::parse(bytes.begin(), bytes.end()).dump();
            } catch (const nlohmann::json::exception& e) {
                throw Error(args.get("recipe") + ": not JSON (" + e.what() + ")");
            }
        }
        m = models::writeManifest(args.positional[0], m);
        std::printf("wrote %s (%zu files)\n", (fs::path(args.positional[0]) / models::kManifestName).string().c_str(), m.files.size());
        return 0;
    }
    throw Error(usage);
}

} // namespace kiln::app
