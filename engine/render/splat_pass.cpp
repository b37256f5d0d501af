#include "render/splat_pass.h"

#include <algorithm>
#include <array>
#include <cmath>
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
                std::memcpy(s.orderUpload.mapped, order.data(), order.size() * 4);
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
        std::memcpy(s.orderUpload.mapped, order.data(), order.size() * 4);
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
    if (m_hostFrame) return;  // the host path projects on the CPU
    const vk::PipelineLayout layout = *pass.resources.splatPipeLayout;
    if (!m_gpuSort) {
        // The CPU sort's orders into device memory, where the draw reads them.
        bool copied = false;
        for (const auto& [id, obj] : scene.objects)
            if (obj.visible && obj.splats && obj.splats->drawCount > 0) {
                pass.cmd.copyBuffer(*obj.splats->orderUpload.buffer, *obj.splats->order.buffer, vk::BufferCopy(0, 0, obj.splats->drawCount * 4));
                copied = true;
            }
        if (copied) {
            const vk::MemoryBarrier uploaded(vk::AccessFlagBits::eTransferWrite, vk::AccessFlagBits::eShaderRead);
            pass.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eTransfer, vk::PipelineStageFlagBits::eVertexShader | vk::PipelineStageFlagBits::eComputeShader,
                                     {}, uploaded, {}, {});
        }
    }
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
    pass.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eComputeShader, vk::PipelineStageFlagBits::eVertexShader | vk::PipelineStageFlagBits::eComputeShader,
                             {}, written, {}, {});
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

bool SplatPass::tiles(const Scene::Impl& scene, ShadingMode mode) const {
    m_hostFrame = false;
    if (m_path == SplatPath::Raster || m_gpuSort || debugMode(mode) != kSplatDebugOff) return false;
    std::size_t drawn = 0;
    for (const auto& [id, obj] : scene.objects)
        if (obj.visible && obj.splats) drawn += obj.splats->drawCount;
    if (drawn == 0) return false;
    // The host path has no mesh depth test: frames with meshes take the compute path.
    m_hostFrame = !scene.hasVisibleMeshes() && (m_path == SplatPath::Host || m_path == SplatPath::Auto);
    return m_hostFrame || m_path == SplatPath::Compute || m_path == SplatPath::Host || drawn >= kAutoComputeSplats;
}

void SplatPass::planTiles(Scene::Impl& scene, const TileCamera& camera) const {
    m_tileJobs.clear();
    for (auto& [id, obj] : scene.objects) {
        if (!obj.visible || !obj.splats || obj.splats->drawCount == 0) continue;
        SplatCamera cam;
        cam.viewModel = camera.view * obj.transform;
        cam.focalPixels = camera.focalPixels;
        cam.znear = camera.proj[3][2] / camera.proj[2][2];  // as splat_preprocess.comp recovers it
        cam.width = camera.width;
        cam.height = camera.height;
        m_tileJobs.push_back({obj.splats.get(), cam, obj.transform});
    }
    m_hostView = {camera.view, camera.proj, camera.focalPixels, camera.position, camera.width, camera.height};
}

std::size_t SplatPass::binTiles() const {
    if (m_hostFrame) {
        std::vector<HostSplatCloud> clouds;
        for (const TileJob& job : m_tileJobs) {
            const SplatsGpu& s = *job.splats;
            clouds.push_back({s.cloud, s.lod.data(), s.positions.get(), &s.shapes, static_cast<const std::uint32_t*>(s.orderUpload.mapped), s.drawCount,
                              job.model, static_cast<const SplatGpu*>(s.splats.mapped)});
        }
        const std::size_t entries = m_host.draw(clouds, m_hostView, static_cast<glm::vec4*>(m_hostPixels.mapped));
        // The composite runs one workgroup per covered tile (the biker at 1280x720 covers 278 of 3600).
        const std::vector<std::uint32_t>& covered = m_host.coveredTiles();
        auto* tiles = static_cast<std::uint32_t*>(m_hostTiles.mapped);
        tiles[0] = std::uint32_t(covered.size());
        tiles[1] = tiles[2] = 1;
        tiles[3] = 0;
        if (!covered.empty()) std::memcpy(tiles + 4, covered.data(), covered.size() * 4);
        return entries;
    }
    std::size_t entries = 0;
    for (const TileJob& job : m_tileJobs) {
        SplatsGpu& s = *job.splats;
        entries += binSplatsToTiles(*s.positions, s.shapes, static_cast<const std::uint32_t*>(s.orderUpload.mapped), s.drawCount, job.camera, s.bins);
    }
    return entries;
}

void SplatPass::prepareTileBuffers(const DeviceResources& resources, int width, int height, vk::ImageView target, bool exact) const {
    if (m_hostFrame) {
        const std::size_t bytes = std::size_t(width) * std::size_t(height) * sizeof(glm::vec4);
        if (!*m_hostPixels.buffer || m_hostPixels.size < bytes)
            m_hostPixels = resources.ctx.createBuffer(bytes, vk::BufferUsageFlagBits::eStorageBuffer, true);
        const std::size_t tileBytes = (4 + std::size_t((width + kHostTile - 1) / kHostTile) * std::size_t((height + kHostTile - 1) / kHostTile)) * 4;
        if (!*m_hostTiles.buffer || m_hostTiles.size < tileBytes)
            m_hostTiles = resources.ctx.createBuffer(tileBytes, vk::BufferUsageFlagBits::eStorageBuffer | vk::BufferUsageFlagBits::eIndirectBuffer, true);
        if (!*m_hostSet) m_hostSet = resources.allocateSet(*resources.tileLayout);
        const vk::DescriptorImageInfo image({}, target, vk::ImageLayout::eGeneral);
        const vk::DescriptorBufferInfo pixels(*m_hostPixels.buffer, 0, VK_WHOLE_SIZE), covered(*m_hostTiles.buffer, 0, VK_WHOLE_SIZE);
        const std::array<vk::WriteDescriptorSet, 3> writes = {vk::WriteDescriptorSet(*m_hostSet, 0, 0, vk::DescriptorType::eStorageImage, image),
                                                              vk::WriteDescriptorSet(*m_hostSet, 1, 0, vk::DescriptorType::eStorageBuffer, {}, pixels),
                                                              vk::WriteDescriptorSet(*m_hostSet, 2, 0, vk::DescriptorType::eStorageBuffer, {}, covered)};
        resources.ctx.device.updateDescriptorSets(writes, {});
        return;
    }
    const std::size_t tiles = std::size_t((width + kSplatTile - 1) / kSplatTile) * std::size_t((height + kSplatTile - 1) / kSplatTile);
    const VkContext& ctx = resources.ctx;
    for (const TileJob& job : m_tileJobs) {
        SplatsGpu& s = *job.splats;
        // Exact: the bins are made. Otherwise they will be made after recording, so the buffer
        // holds the last frame's count and half again, and at least 4 entries per splat (the
        // biker at 1280x720 has 4.5).
        const std::size_t wanted = exact ? s.bins.entries.size() : std::max(s.lastTileEntries + s.lastTileEntries / 2, 4 * s.drawCount);
        const std::size_t rangeBytes = tiles * sizeof(glm::uvec2), entryBytes = std::max<std::size_t>(wanted, 1) * 4;
        if (!*s.tileRanges.buffer || s.tileRanges.size < rangeBytes)
            s.tileRanges = ctx.createBuffer(rangeBytes, vk::BufferUsageFlagBits::eStorageBuffer, true);
        if (!*s.tileEntries.buffer || s.tileEntries.size < entryBytes)
            s.tileEntries = ctx.createBuffer(entryBytes + entryBytes / 2, vk::BufferUsageFlagBits::eStorageBuffer, true);
        if (!*s.tileSet) s.tileSet = resources.allocateSet(*resources.tileLayout);
        const vk::DescriptorImageInfo image({}, target, vk::ImageLayout::eGeneral);
        const vk::DescriptorBufferInfo ranges(*s.tileRanges.buffer, 0, VK_WHOLE_SIZE), list(*s.tileEntries.buffer, 0, VK_WHOLE_SIZE);
        const std::array<vk::WriteDescriptorSet, 3> writes = {vk::WriteDescriptorSet(*s.tileSet, 0, 0, vk::DescriptorType::eStorageImage, image),
                                                              vk::WriteDescriptorSet(*s.tileSet, 1, 0, vk::DescriptorType::eStorageBuffer, {}, ranges),
                                                              vk::WriteDescriptorSet(*s.tileSet, 2, 0, vk::DescriptorType::eStorageBuffer, {}, list)};
        ctx.device.updateDescriptorSets(writes, {});
    }
}

bool SplatPass::writeTiles() const {
    if (m_hostFrame) return false;  // the host path drew straight into its buffer
    bool clipped = false;
    for (const TileJob& job : m_tileJobs) {
        SplatsGpu& s = *job.splats;
        const std::size_t capacity = s.tileEntries.size / 4, total = s.bins.entries.size();
        s.lastTileEntries = total;
        if (total > capacity) {
            // Only what fits: each tile keeps its nearest splats, in proportion. The next frame has room.
            clipped = true;
            const double keep = double(capacity) / double(total);
            std::uint32_t at = 0;
            for (auto& range : s.bins.ranges) {
                const auto n = std::uint32_t(std::floor(double(range.y) * keep));
                std::memmove(s.bins.entries.data() + at, s.bins.entries.data() + range.x, std::size_t(n) * 4);
                range = glm::uvec2(at, n);
                at += n;
            }
            s.bins.entries.resize(at);
        }
        std::memcpy(s.tileRanges.mapped, s.bins.ranges.data(), s.bins.ranges.size() * sizeof(glm::uvec2));
        if (!s.bins.entries.empty()) std::memcpy(s.tileEntries.mapped, s.bins.entries.data(), s.bins.entries.size() * 4);
    }
    return clipped;
}

std::size_t SplatPass::recordTiles(const PassContext& pass, vk::Image target, int width, int height) const {
    if (m_tileJobs.empty()) return 0;
    const auto color = vk::ImageAspectFlagBits::eColor;
    const auto computeStage = vk::PipelineStageFlagBits::eComputeShader;
    const auto rw = vk::AccessFlagBits::eShaderRead | vk::AccessFlagBits::eShaderWrite;
    // The scene pass's colour and resolved depth, and the preprocess's records, to the compute stage.
    const vk::MemoryBarrier depthAndRecords(vk::AccessFlagBits::eDepthStencilAttachmentWrite | vk::AccessFlagBits::eShaderWrite, vk::AccessFlagBits::eShaderRead);
    pass.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eLateFragmentTests | vk::PipelineStageFlagBits::eEarlyFragmentTests | computeStage, computeStage,
                             {}, depthAndRecords, {}, {});
    transitionImage(pass.cmd, target, color, 0, 1, vk::ImageLayout::eColorAttachmentOptimal, vk::ImageLayout::eGeneral,
                    vk::PipelineStageFlagBits::eColorAttachmentOutput, vk::AccessFlagBits::eColorAttachmentWrite, computeStage, rw);
    const vk::PipelineLayout layout = *pass.resources.tilePipeLayout;
    std::size_t splats = 0;
    if (m_hostFrame) {
        // The host path's colour and transmittance over the scene pass: one dispatch.
        pass.cmd.bindPipeline(vk::PipelineBindPoint::eCompute, pass.pipelines.splatHost());
        pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eCompute, layout, 0, {pass.frameSet, *m_tileJobs.front().splats->set, *m_hostSet}, {});
        pass.cmd.dispatchIndirect(*m_hostTiles.buffer, 0);  // one workgroup per covered tile, counted by binTiles
        for (const TileJob& job : m_tileJobs) splats += job.splats->drawCount;
    } else {
        pass.cmd.bindPipeline(vk::PipelineBindPoint::eCompute, pass.pipelines.splatTiles());
        bool first = true;
        for (const TileJob& job : m_tileJobs) {
            const SplatsGpu& s = *job.splats;
            if (!first) {
                // Clouds blend one after another, as the raster path draws them.
                const vk::MemoryBarrier previous(vk::AccessFlagBits::eShaderWrite, rw);
                pass.cmd.pipelineBarrier(computeStage, computeStage, {}, previous, {}, {});
            }
            first = false;
            pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eCompute, layout, 0, {pass.frameSet, *s.set, *s.tileSet}, {});
            // The model matrix is unused: the preprocess has projected the splats.
            const SplatPush push{glm::mat4(1.0f), glm::ivec4(s.shDegree, kSplatDebugOff, int(s.drawCount), (width + kSplatTile - 1) / kSplatTile)};
            pass.cmd.pushConstants<SplatPush>(layout, kPushStages, 0, push);
            pass.cmd.dispatch(std::uint32_t((width + kSplatTile - 1) / kSplatTile), std::uint32_t((height + kSplatTile - 1) / kSplatTile), 1);
            splats += s.drawCount;
        }
    }
    transitionImage(pass.cmd, target, color, 0, 1, vk::ImageLayout::eGeneral, vk::ImageLayout::eColorAttachmentOptimal, computeStage,
                    vk::AccessFlagBits::eShaderWrite, vk::PipelineStageFlagBits::eColorAttachmentOutput,
                    vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eColorAttachmentWrite);
    return splats;
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
