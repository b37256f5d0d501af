// A plug-in whose registration fails half-way (its second pipeline takes an id Kiln already has):
// Kiln must refuse it and keep none of what it registered.
#include "plugins/plugin_api.h"

namespace {

class Named final : public kiln::pipelines::Pipeline {
public:
    explicit Named(std::string id) {
        m_info.id = std::move(id);
        m_info.displayName = "Failing " + m_info.id;
        m_info.description = "test";
        m_info.inputs = {{kiln::pipelines::InputKind::Prompt, "Prompt", "words", 1, 1}};
        m_info.outputs = {kiln::pipelines::OutputKind::Mesh};
        m_info.needsTorch = false;
        m_info.origin = "libkiln_failing_plugin.so";
    }
    const kiln::pipelines::PipelineInfo& info() const override { return m_info; }
    kiln::pipelines::PipelineResult run(const kiln::pipelines::PipelineRequest&, kiln::core::Progress&,
                                        const kiln::core::CancelToken&) const override {
        return {};
    }

private:
    kiln::pipelines::PipelineInfo m_info;
};

} // namespace

KILN_PLUGIN("failing")

KILN_PLUGIN_REGISTER(kiln::plugins::PluginRegistrar* registrar) {
    registrar->addPipeline(std::make_shared<Named>("failing-first"));
    registrar->addPipeline(std::make_shared<Named>("text-to-3d"));
}
