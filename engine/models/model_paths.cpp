#include "models/model_paths.h"

#include "core/error.h"
#include "core/path_list.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {
std::mutex g_mutex;
std::vector<fs::path> g_userFolders;
} // namespace

fs::path bundledModelsDir() {
    const fs::path rel = fs::path("resources") / "models";
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        // Installed layout (bin/../share/kiln/models), then a build tree beside the sources.
        const fs::path installed = exe.parent_path().parent_path() / "share" / "kiln" / "models";
        if (fs::is_directory(installed)) return installed;
    }
#ifdef KILN_SOURCE_DIR
    return fs::path(KILN_SOURCE_DIR) / rel;
#else
    return rel;
#endif
}

fs::path packsDir() {
    if (const char* d = std::getenv("KILN_PACKS_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "kiln" / "models";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local" / "share" / "kiln" / "models";
    return fs::path(".kiln") / "models";
}

fs::path bundledModelDir(const std::string& slot) { return bundledModelsDir() / slot; }

void setUserModelFolders(std::vector<fs::path> folders) {
    std::lock_guard lock(g_mutex);
    g_userFolders = std::move(folders);
}

std::vector<fs::path> modelSearchFolders() {
    std::vector<fs::path> out{bundledModelsDir(), packsDir()};
    {
        std::lock_guard lock(g_mutex);
        out.insert(out.end(), g_userFolders.begin(), g_userFolders.end());
    }
    const auto env = core::pathListFromEnvironment("KILN_MODEL_PATH");
    out.insert(out.end(), env.begin(), env.end());
    return out;
}

std::vector<ModelEntry> listModels(const std::string& slot, std::vector<std::string>* problems) {
    std::vector<ModelEntry> out;
    std::set<fs::path> seen;
    const auto folders = modelSearchFolders();
    const fs::path bundled = folders.front();
    auto consider = [&](const fs::path& dir, bool isBundled) {
        std::error_code ec;
        const fs::path canonical = fs::weakly_canonical(dir, ec);
        if (!seen.insert(ec ? dir : canonical).second) return;
        try {
            ModelEntry e{dir, readManifest(dir), isBundled};
            if (slot.empty() || e.manifest.slot == slot) out.push_back(std::move(e));
        } catch (const Error& err) {
            if (problems) problems->push_back(err.what());
        }
    };
    for (const fs::path& folder : folders) {
        std::error_code ec;
        if (!fs::is_directory(folder, ec)) continue;
        const bool isBundled = folder == bundled;
        if (fs::exists(folder / kManifestName)) {
            consider(folder, isBundled);
            continue;
        }
        std::vector<fs::path> children;
        for (const auto& entry : fs::directory_iterator(folder, ec))
            if (entry.is_directory() && fs::exists(entry.path() / kManifestName)) children.push_back(entry.path());
        std::sort(children.begin(), children.end());
        for (const auto& c : children) consider(c, isBundled);
    }
    return out;
}

fs::path defaultModelDirIfAny(const std::string& slot) {
    const fs::path bundled = bundledModelDir(slot);
    if (fs::exists(bundled / kManifestName)) return bundled;
    const auto found = listModels(slot);
    return found.empty() ? fs::path() : found.front().dir;
}

fs::path defaultModelDir(const std::string& slot) {
    if (fs::path dir = defaultModelDirIfAny(slot); !dir.empty()) return dir;
    std::string where;
    for (const auto& f : modelSearchFolders()) where += (where.empty() ? "" : ", ") + f.string();
    throw Error("no model for the '" + slot + "' slot (looked in " + where + "; add a folder with KILN_MODEL_PATH or the studio's preferences)");
}

} // namespace kiln::models
