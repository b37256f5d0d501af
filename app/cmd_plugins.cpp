// kiln plugins [--json]: the plug-ins found in the plug-in folders, loaded or refused and why.
#include "cli.h"

#include "core/error.h"
#include "plugins/plugin_host.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace kiln::app {

int cmdPlugins(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {}, {"json"});
    if (!args.positional.empty()) throw Error("usage: kiln plugins [--json]");
    const auto& report = plugins::loadPlugins();
    if (args.has("json")) {
        nlohmann::ordered_json j = nlohmann::ordered_json::array();
        for (const auto& s : report) j.push_back({{"file", s.file.string()}, {"name", s.name}, {"loaded", s.loaded}, {"message", s.message}});
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::string folders;
    for (const auto& f : plugins::pluginFolders()) folders += (folders.empty() ? "" : ", ") + f.string();
    std::printf("plug-in folders: %s\n", folders.c_str());
    if (report.empty()) std::printf("no plug-ins found\n");
    for (const auto& s : report)
        std::printf("%-8s %-28s %s\n", s.loaded ? "loaded" : "REFUSED", s.file.filename().string().c_str(), s.message.c_str());
    return 0;
}

} // namespace kiln::app
