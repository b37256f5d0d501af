#include "render/field_pass.h"

#include <glm/matrix.hpp>

namespace kiln::render {

void recordFields(const PassContext& pass, const Scene::Impl& scene) {
    const vk::PipelineLayout layout = *pass.resources.fieldPipeLayout;
    for (const auto& [id, obj] : scene.objects) {
        if (!obj.visible || !obj.field) continue;
        const FieldGpu& f = *obj.field;
        pass.cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, pass.pipelines.field());
        pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, layout, 0, {pass.frameSet, *f.set}, {});
        const FieldPush push{glm::inverse(obj.transform * f.gridToLocal), glm::vec4(float(2 * f.maxResolution), 0.0f, 0.0f, 0.0f)};
        pass.cmd.pushConstants<FieldPush>(layout, kPushStages, 0, push);
        pass.cmd.draw(3, 1, 0, 0);
    }
}

} // namespace kiln::render
