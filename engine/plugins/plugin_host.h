#pragma once

// Finding and loading plug-ins (plugins/plugin_api.h). Plug-in folders, in order: those in
// KILN_PLUGIN_PATH (colon-separated), then `plugins` beside the program's folder (the build tree:
// build/plugins) and lib/kiln/plugins of an installed Kiln.

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::plugins {

struct PluginStatus {
    std::filesystem::path file;
    std::string name;      // from kiln_plugin_name, when it could be asked
    bool loaded = false;
    std::string message;   // why it was refused, or what it added ("pipelines: procedural")
};

std::vector<std::filesystem::path> pluginFolders();

// Loads one plug-in: registers its pipelines in PipelineRegistry::instance() and its model slots.
// Never throws: a refused plug-in (not a shared library, no Kiln entry points, another ABI
// version, registration failed) is reported with the reason and leaves no pipeline behind.
PluginStatus loadPlugin(const std::filesystem::path& file);

// Loads every *.so in pluginFolders() once per process (later calls return the first report).
const std::vector<PluginStatus>& loadPlugins();

// Model slots plug-ins added (built-in slots are not listed here).
struct ModelSlotRecord {
    std::string id, description, plugin;
};
std::vector<ModelSlotRecord> pluginModelSlots();

} // namespace kiln::plugins
