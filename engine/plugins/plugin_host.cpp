#include "plugins/plugin_host.h"

#include "core/error.h"
#include "core/path_list.h"
#include "plugins/plugin_api.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace fs = std::filesystem;

namespace kiln::plugins {

namespace {

std::mutex g_mutex;
std::vector<ModelSlotRecord> g_slots;

// Collects what a plug-in registers, so a plug-in that fails half-way leaves nothing behind.
class Registrar final : public PluginRegistrar {
public:
    explicit Registrar(std::string origin) : m_origin(std::move(origin)) {}
    void addPipeline(std::shared_ptr<const pipelines::Pipeline> pipeline) override {
        if (!pipeline) throw Error("registered an empty pipeline");
        if (pipeline->info().origin != m_origin)
            throw Error("pipeline '" + pipeline->info().id + "' must set PipelineInfo::origin to the plug-in's file name '" + m_origin + "'");
        m_pipelines.push_back(std::move(pipeline));
    }
    void addModelSlot(const ModelSlotInfo& slot) override {
        if (slot.id.empty()) throw Error("registered a model slot without an id");
        m_slots.push_back(slot);
    }
    int abiVersion() const override { return KILN_PLUGIN_ABI_VERSION; }

    // Adds everything or nothing.
    std::string commit(const std::string& plugin) {
        auto& registry = pipelines::PipelineRegistry::instance();
        std::vector<std::string> added;
        try {
            for (const auto& p : m_pipelines) {
                registry.add(p);
                added.push_back(p->info().id);
            }
        } catch (...) {
            for (const auto& id : added) registry.remove(id);
            throw;
        }
        std::lock_guard lock(g_mutex);
        for (const auto& s : m_slots) g_slots.push_back({s.id, s.description, plugin});
        std::string msg = "pipelines:";
        for (const auto& id : added) msg += " " + id;
        if (added.empty()) msg += " none";
        if (!m_slots.empty()) {
            msg += "; model slots:";
            for (const auto& s : m_slots) msg += " " + s.id;
        }
        return msg;
    }

private:
    std::string m_origin;
    std::vector<std::shared_ptr<const pipelines::Pipeline>> m_pipelines;
    std::vector<ModelSlotInfo> m_slots;
};

} // namespace

std::vector<fs::path> pluginFolders() {
    std::vector<fs::path> out = core::pathListFromEnvironment("KILN_PLUGIN_PATH");
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        out.push_back(exe.parent_path().parent_path() / "plugins");
        out.push_back(exe.parent_path().parent_path() / "lib" / "kiln" / "plugins");
    }
    return out;
}

PluginStatus loadPlugin(const fs::path& file) {
    PluginStatus status;
    status.file = file;
    const std::string where = file.string();
    // RTLD_LOCAL: a plug-in's copies of engine code stay its own; everything it shares with Kiln
    // goes through the registrar and the interface types.
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* e = dlerror();
        status.message = "not a loadable shared library (" + std::string(e ? e : "unknown reason") + ")";
        return status;
    }
    using AbiFn = int (*)();
    using NameFn = const char* (*)();
    using RegisterFn = void (*)(PluginRegistrar*);
    const auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "kiln_plugin_abi_version"));
    const auto name = reinterpret_cast<NameFn>(dlsym(handle, "kiln_plugin_name"));
    const auto reg = reinterpret_cast<RegisterFn>(dlsym(handle, "kiln_plugin_register"));
    if (!abi || !reg) {
        dlclose(handle);
        status.message = "not a Kiln plug-in (it exports no kiln_plugin_abi_version / kiln_plugin_register)";
        return status;
    }
    const int version = abi();
    if (name) status.name = name();
    if (version != KILN_PLUGIN_ABI_VERSION) {
        dlclose(handle);
        status.message = "built for plug-in ABI version " + std::to_string(version) + ", this Kiln has version " +
                         std::to_string(KILN_PLUGIN_ABI_VERSION) + ": rebuild the plug-in against this Kiln";
        return status;
    }
    Registrar registrar(file.filename().string());
    try {
        reg(&registrar);
        status.message = registrar.commit(status.name.empty() ? file.filename().string() : status.name);
    } catch (const std::exception& e) {
        // The handle stays open: the plug-in may have left objects whose code lives in it.
        status.message = std::string("registration failed: ") + e.what();
        return status;
    } catch (...) {
        status.message = "registration failed with an unknown exception";
        return status;
    }
    status.loaded = true;  // never unloaded: its pipelines' code lives in it
    return status;
}

const std::vector<PluginStatus>& loadPlugins() {
    static std::vector<PluginStatus> report;
    static std::once_flag once;
    std::call_once(once, [] {
        for (const fs::path& folder : pluginFolders()) {
            std::error_code ec;
            if (!fs::is_directory(folder, ec)) continue;
            std::vector<fs::path> files;
            for (const auto& e : fs::directory_iterator(folder, ec))
                if (e.is_regular_file() && e.path().extension() == ".so") files.push_back(e.path());
            std::sort(files.begin(), files.end());
            for (const auto& f : files) {
                // The same plug-in found twice (build tree and KILN_PLUGIN_PATH) loads once.
                const bool seen = std::any_of(report.begin(), report.end(), [&](const PluginStatus& s) { return s.file.filename() == f.filename() && s.loaded; });
                if (seen) continue;
                report.push_back(loadPlugin(f));
            }
        }
    });
    return report;
}

std::vector<ModelSlotRecord> pluginModelSlots() {
    std::lock_guard lock(g_mutex);
    return g_slots;
}

} // namespace kiln::plugins
