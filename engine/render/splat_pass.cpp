#include "render/splat_pass.h"

#include <algorithm>
#include <array>
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
        if (m_gpuSort) {
            // Sorted in the frame's command buffer (recordPreprocess): always this camera's order.
            s.drawCount = s.requestedCount = wanted;
            s.orderViewModel = s.lastRequested = viewModel;
            s.hasOrder = true;
            continue;
        }
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
        const SplatPush push{obj.transform, glm::ivec4(s.shDegree, debugMode(mode), int(s.drawCount), m_gpuSort ? 1 : 0)};
        pass.cmd.pushConstants<SplatPush>(layout, kPushStages, 0, push);
        pass.cmd.dispatch(std::uint32_t((s.drawCount + kSplatPreprocessGroup - 1) / kSplatPreprocessGroup), 1, 1);
    }
    if (!any) return;
    if (m_gpuSort) {
        const vk::MemoryBarrier keys(vk::AccessFlagBits::eShaderWrite, vk::AccessFlagBits::eShaderRead | vk::AccessFlagBits::eShaderWrite);
        pass.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eComputeShader, vk::PipelineStageFlagBits::eComputeShader, {}, keys, {}, {});
        const VkContext& ctx = pass.resources.ctx;
        if (!m_haveTimer && ctx.properties.limits.timestampComputeAndGraphics) {
            m_timer = vk::raii::QueryPool(ctx.device, vk::QueryPoolCreateInfo({}, vk::QueryType::eTimestamp, 2));
            m_haveTimer = true;
        }
        if (m_haveTimer) {
            pass.cmd.resetQueryPool(*m_timer, 0, 2);
            pass.cmd.writeTimestamp(vk::PipelineStageFlagBits::eComputeShader, *m_timer, 0);
        }
        for (const auto& [id, obj] : scene.objects)
            if (obj.visible && obj.splats && obj.splats->drawCount > 0) recordSort(pass, *obj.splats);
        if (m_haveTimer) pass.cmd.writeTimestamp(vk::PipelineStageFlagBits::eComputeShader, *m_timer, 1);
        m_timed = m_haveTimer;
    }
    const vk::MemoryBarrier written(vk::AccessFlagBits::eShaderWrite, vk::AccessFlagBits::eShaderRead);
    pass.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eComputeShader, vk::PipelineStageFlagBits::eVertexShader, {}, written, {}, {});
}

double SplatPass::takeGpuSortMs(const VkContext& ctx) {
    if (!m_timed) return 0.0;
    m_timed = false;
    std::array<std::uint64_t, 2> ticks{};
    const vk::Result r = (*ctx.device).getQueryPoolResults(*m_timer, 0, 2, sizeof ticks, ticks.data(), sizeof(std::uint64_t),
                                                           vk::QueryResultFlagBits::e64 | vk::QueryResultFlagBits::eWait);
    if (r != vk::Result::eSuccess || ticks[1] < ticks[0]) return 0.0;
    return double(ticks[1] - ticks[0]) * double(ctx.properties.limits.timestampPeriod) * 1e-6;
}

void SplatPass::recordSort(const PassContext& pass, const SplatsGpu& s) const {
    // Four 8-bit digit passes, least significant first, each: count per block, scan, scatter.
    // Even passes read (keys, order) and write the tmp pair, odd passes the reverse, so the
    // sorted order ends in `order`.
    const vk::PipelineLayout layout = *pass.resources.sortPipeLayout;
    const auto count = std::uint32_t(s.drawCount);
    const std::uint32_t blocks = (count + kRadixBlock - 1) / kRadixBlock;
    const vk::MemoryBarrier step(vk::AccessFlagBits::eShaderWrite, vk::AccessFlagBits::eShaderRead | vk::AccessFlagBits::eShaderWrite);
    auto barrier = [&] { pass.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eComputeShader, vk::PipelineStageFlagBits::eComputeShader, {}, step, {}, {}); };
    for (std::uint32_t digit = 0; digit < 4; ++digit) {
        pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eCompute, layout, 0, {digit % 2 == 0 ? *s.sortForward : *s.sortBack}, {});
        pass.cmd.pushConstants<SortPush>(layout, kPushStages, 0, SortPush{count, digit * 8, blocks, 0});
        pass.cmd.bindPipeline(vk::PipelineBindPoint::eCompute, pass.pipelines.radixHistogram());
        pass.cmd.dispatch(blocks, 1, 1);
        barrier();
        pass.cmd.bindPipeline(vk::PipelineBindPoint::eCompute, pass.pipelines.radixScan());
        pass.cmd.dispatch(1, 1, 1);
        barrier();
        pass.cmd.bindPipeline(vk::PipelineBindPoint::eCompute, pass.pipelines.radixScatter());
        pass.cmd.dispatch(blocks, 1, 1);
        barrier();
    }
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
