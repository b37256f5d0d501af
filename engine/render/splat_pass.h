#pragma once

// Internal to engine/render: Gaussian splats in the overlay pass, and the depth sort they need.
#include "render/pass_context.h"
#include "render/scene_impl.h"
#include "render/splat_sort.h"
#include "render/view.h"

#include <memory>

namespace kiln::render {

// Splats blend back to front, so each cloud's draw order follows the camera. With the CPU sort,
// offscreen frames sort on the calling thread (the image is exact for its camera) and presented
// frames draw with the newest order a worker has finished and ask for the next, so orbiting
// never waits for a sort. With the GPU sort, every frame sorts in compute after the preprocess
// (a radix sort of the depth keys), exact for its camera.
class SplatPass {
public:
    void setGpuSort(bool on) { m_gpuSort = on; }
    bool gpuSort() const { return m_gpuSort; }
    // Before recording: refreshes the order buffer of every visible cloud for `view` (world to
    // camera). A cloud of more than `maxSplats` splats (0: no limit) draws its first `maxSplats`
    // in level-of-detail order; asynchronous frames keep drawing the previous order's splats until
    // the new sort arrives.
    void updateOrders(Scene::Impl& scene, const glm::mat4& view, bool async, std::size_t maxSplats);
    // An object left the scene: drops its pending and finished sorts.
    void forget(Scene::ObjectId id);
    // Outside any render pass, before the overlay pass: projects every visible cloud's splats for
    // this frame's camera (splat_preprocess.comp) and makes the results visible to the vertex stage.
    void recordPreprocess(const PassContext& pass, const Scene::Impl& scene, ShadingMode mode) const;
    // Draws every visible cloud, one instanced quad per splat, tested against the mesh depth.
    // Returns the splats drawn.
    std::size_t record(const PassContext& pass, const Scene::Impl& scene, ShadingMode mode) const;

    // Whether a visible cloud drew with an older order than the newest asked for.
    static bool ordersStale(const Scene::Impl& scene);
    // Splats in the visible clouds, drawn or not.
    static std::size_t visibleSplats(const Scene::Impl& scene);

    // The GPU sort's time in the last recorded frame (timestamp queries), once the frame's fence
    // has signalled; 0 when the frame did not sort on the GPU or the queue has no timestamps.
    double takeGpuSortMs(const VkContext& ctx);

private:
    void recordSort(const PassContext& pass, const SplatsGpu& splats) const;
    mutable vk::raii::QueryPool m_timer{nullptr};
    mutable bool m_haveTimer = false, m_timed = false;

    std::unique_ptr<AsyncSplatSorter> m_sorter;  // made on the first presented frame
    bool m_gpuSort = false;
};

} // namespace kiln::render
