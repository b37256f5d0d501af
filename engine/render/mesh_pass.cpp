#include "render/mesh_pass.h"

#include <array>

namespace kiln::render {

std::size_t recordMeshes(const PassContext& pass, const Scene::Impl& scene, vk::Pipeline pipeline) {
    const auto& cmd = pass.cmd;
    const vk::PipelineLayout layout = *pass.resources.meshPipeLayout;
    cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, pipeline);
    cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, layout, 0, pass.frameSet, {});
    std::size_t triangles = 0;
    for (const auto& [id, obj] : scene.objects) {
        if (!obj.visible || !obj.mesh) continue;
        const MeshGpu& m = *obj.mesh;
        std::array<vk::Buffer, 4> streams = {*m.positions.buffer, *m.normals.buffer, *m.uvs.buffer, *m.colors.buffer};
        std::array<vk::DeviceSize, 4> offsets = {0, 0, 0, 0};
        cmd.bindVertexBuffers(0, streams, offsets);
        cmd.bindIndexBuffer(*m.indices.buffer, 0, vk::IndexType::eUint32);
        for (const auto& d : m.draws) {
            const MaterialGpu& mat = m.materials[d.material];
            MeshPush push = mat.push;
            push.model = obj.transform;
            cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, layout, 1, *mat.set, {});
            cmd.pushConstants<MeshPush>(layout, kPushStages, 0, push);
            cmd.drawIndexed(d.indexCount, 1, d.firstIndex, 0, 0);
        }
        triangles += m.triangles;
    }
    return triangles;
}

} // namespace kiln::render
