#include "render/splat_pass.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kiln::render {

void SplatPass::updateOrders(Scene::Impl& scene, const glm::mat4& view, bool async, std::size_t maxSplats) {
    if (async && !m_sorter) m_sorter = std::make_unique<AsyncSplatSorter>();
    for (auto& [id, obj] : scene.objects) {
        if (!obj.splats || !obj.visible) continue;
        SplatsGpu& s = *obj.splats;
        const glm::mat4 viewModel = view * obj.transform;
        const std::size_t wanted = maxSplats > 0 ? std::min(s.count, maxSplats) : s.count;
        std::vector<std::uint32_t> order;
        // The first presented frame of a cloud still sorts in place: it has no order to draw with yet.
        if (async && s.hasOrder) {
            glm::mat4 sorted;
            if (m_sorter->takeResult(id, order, &sorted)) {
                std::memcpy(s.order.mapped, order.data(), order.size() * 4);
                s.drawCount = order.size();
                s.orderViewModel = sorted;
            }
            if (viewModel != s.lastRequested || wanted != s.requestedCount) {
                m_sorter->request(id, s.positions, wanted, viewModel);
                s.lastRequested = viewModel;
                s.requestedCount = wanted;
            }
            continue;
        }
        sortSplatsBackToFront(*s.positions, wanted, viewModel, order);
        std::memcpy(s.order.mapped, order.data(), order.size() * 4);
        s.drawCount = order.size();
        s.orderViewModel = viewModel;
        s.hasOrder = true;
        s.lastRequested = viewModel;
        s.requestedCount = wanted;
    }
}

bool SplatPass::ordersStale(const Scene::Impl& scene) {
    for (const auto& [id, obj] : scene.objects)
        if (obj.visible && obj.splats && obj.splats->orderStale()) return true;
    return false;
}

std::size_t SplatPass::visibleSplats(const Scene::Impl& scene) {
    std::size_t n = 0;
    for (const auto& [id, obj] : scene.objects)
        if (obj.visible && obj.splats) n += obj.splats->count;
    return n;
}

void SplatPass::forget(Scene::ObjectId id) {
    if (m_sorter) m_sorter->forget(id);
}

namespace {
int debugMode(ShadingMode mode) {
    return mode == ShadingMode::SplatCenters ? kSplatDebugCenters : mode == ShadingMode::SplatEllipsoids ? kSplatDebugEllipsoids : kSplatDebugOff;
}
} // namespace

void SplatPass::recordPreprocess(const PassContext& pass, const Scene::Impl& scene, ShadingMode mode) const {
    const vk::PipelineLayout layout = *pass.resources.splatPipeLayout;
    bool any = false;
    for (const auto& [id, obj] : scene.objects) {
        if (!obj.visible || !obj.splats || obj.splats->count == 0) continue;
        const SplatsGpu& s = *obj.splats;
        if (!any) pass.cmd.bindPipeline(vk::PipelineBindPoint::eCompute, pass.pipelines.splatPreprocess());
        any = true;
        pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eCompute, layout, 0, {pass.frameSet, *s.set}, {});
        // Only the prefix the order holds is drawn, so only it is projected.
        const SplatPush push{obj.transform, glm::ivec4(s.shDegree, debugMode(mode), int(s.drawCount), 0)};
        pass.cmd.pushConstants<SplatPush>(layout, kPushStages, 0, push);
        pass.cmd.dispatch(std::uint32_t((s.drawCount + kSplatPreprocessGroup - 1) / kSplatPreprocessGroup), 1, 1);
    }
    if (!any) return;
    const vk::MemoryBarrier written(vk::AccessFlagBits::eShaderWrite, vk::AccessFlagBits::eShaderRead);
    pass.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eComputeShader, vk::PipelineStageFlagBits::eVertexShader, {}, written, {}, {});
}

std::size_t SplatPass::record(const PassContext& pass, const Scene::Impl& scene, ShadingMode mode) const {
    const vk::PipelineLayout layout = *pass.resources.splatPipeLayout;
    const int debug = debugMode(mode);
    std::size_t splats = 0;
    for (const auto& [id, obj] : scene.objects) {
        if (!obj.visible || !obj.splats || obj.splats->count == 0) continue;
        const SplatsGpu& s = *obj.splats;
        pass.cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, pass.pipelines.splat());
        pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, layout, 0, {pass.frameSet, *s.set}, {});
        const SplatPush push{obj.transform, glm::ivec4(s.shDegree, debug, int(s.drawCount), 0)};
        pass.cmd.pushConstants<SplatPush>(layout, kPushStages, 0, push);
        pass.cmd.draw(4, std::uint32_t(s.drawCount), 0, 0);
        splats += s.drawCount;
    }
    return splats;
}

} // namespace kiln::render
