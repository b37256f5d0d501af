#pragma once

// The plug-in interface (DESIGN.md plugins/). A plug-in is a shared library that exports three
// C functions (KILN_PLUGIN below writes two of them):
//
//   int         kiln_plugin_abi_version(void);   // the KILN_PLUGIN_ABI_VERSION it was built with
//   const char* kiln_plugin_name(void);          // a short name for messages
//   void        kiln_plugin_register(kiln::plugins::PluginRegistrar* registrar);
//
// Kiln loads every *.so in its plug-in folders, refuses one whose ABI version differs from its own
// (with a message naming both), and calls kiln_plugin_register, which adds pipelines (and model
// slots) through the registrar. Pipelines are engine/pipelines/pipeline.h objects: a plug-in's
// pipeline appears in `kiln pipelines`, runs as `kiln <id>`, and gets a tab in the studio.
//
// The ABI is C++: a plug-in must be built with the same compiler family and standard library as
// Kiln, against the same engine headers. Bump KILN_PLUGIN_ABI_VERSION whenever a type crossing this
// boundary (Pipeline, PipelineInfo, PipelineRequest/Result, Asset, Mesh, GaussianCloud,
// ModelSlotInfo, PluginRegistrar) changes layout or virtual functions.

#include "pipelines/pipeline.h"

#include <memory>
#include <string>

#define KILN_PLUGIN_ABI_VERSION 2

namespace kiln::plugins {

// A model slot a plug-in adds: models whose manifest names this slot are listed for it.
struct ModelSlotInfo {
    std::string id;           // "my-detector"
    std::string description;
};

class PluginRegistrar {
public:
    virtual ~PluginRegistrar() = default;
    // Throws kiln::Error (duplicate id, malformed declaration): the plug-in is then refused.
    virtual void addPipeline(std::shared_ptr<const pipelines::Pipeline> pipeline) = 0;
    virtual void addModelSlot(const ModelSlotInfo& slot) = 0;
    virtual int abiVersion() const = 0;
};

} // namespace kiln::plugins

// Writes kiln_plugin_abi_version and kiln_plugin_name; the plug-in writes kiln_plugin_register.
#define KILN_PLUGIN(NAME)                                                                   \
    extern "C" __attribute__((visibility("default"))) int kiln_plugin_abi_version(void) {   \
        return KILN_PLUGIN_ABI_VERSION;                                                     \
    }                                                                                       \
    extern "C" __attribute__((visibility("default"))) const char* kiln_plugin_name(void) { \
        return NAME;                                                                        \
    }

#define KILN_PLUGIN_REGISTER extern "C" __attribute__((visibility("default"))) void kiln_plugin_register
