#pragma once

// Internal to engine/render: Gaussian splats in the overlay pass, and the depth sort they need.
#include "render/pass_context.h"
#include "render/scene_impl.h"
#include "render/splat_host.h"
#include "render/splat_sort.h"
#include "render/renderer.h"
#include "render/view.h"

#include <memory>

namespace kiln::render {

// Splats blend back to front, so each cloud's draw order follows the camera. With the CPU sort,
// offscreen frames sort on the calling thread (the image is exact for its camera) and presented
// frames draw with the newest order a worker has finished and ask for the next, so orbiting
// never waits for a sort. With the GPU sort, every frame sorts in compute after the preprocess
// (a radix sort of the depth keys), exact for its camera.
//
// Two ways to draw them: the raster path (one instanced quad per splat, blended by the fixed
// function, in the overlay pass) and the compute path (splat_tiles.comp: the splats binned into
// 4x4 tiles on the host from the sorted order, each tile blended front to back with early
// termination, between the scene and overlay passes). The host path takes the compute path's
// place in the frame: the splats are drawn on the CPU (splat_host.h) into a host-visible buffer
// that splat_host.comp composites; a frame with meshes, whose depth it does not test, takes the
// compute path instead. Both bin from the CPU sort's order, so they go with the CPU sort; the
// debug modes draw through the raster path.
class SplatPass {
public:
    void setGpuSort(bool on) { m_gpuSort = on; }
    bool gpuSort() const { return m_gpuSort; }
    // Always (Compute), never (Raster), or for frames that draw at least kAutoComputeSplats (Auto).
    void setPath(SplatPath path) { m_path = path; }
    SplatPath path() const { return m_path; }
    // Where the compute path starts to pay on a CPU device (bench/results/issue20_viewport.md:
    // the raster path costs ~1.4 us per splat whatever the size; at 1280x720 the two are even at
    // 60k splats, at 320x180 the compute path is faster from 20k, and both sizes of the biker's
    // 153k and of 1M are faster through it).
    static constexpr std::size_t kAutoComputeSplats = 50000;
    // Whether this frame's splats go through the compute or the host path (after updateOrders),
    // and which: the host path where asked for (or Auto) and the frame has no visible meshes.
    bool tiles(const Scene::Impl& scene, ShadingMode mode) const;
    bool hostFrame() const { return m_hostFrame; }
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
    // The compute path's host side. planTiles (the frame's thread, after updateOrders) notes
    // every visible cloud with its camera; binTiles then bins them (host memory only, any thread
    // while the Renderer holds the frame: it reads the clouds' order buffers, never the scene),
    // returning the entries of all clouds.
    struct TileCamera {
        glm::mat4 view{1.0f}, proj{1.0f};
        float focalPixels = 1.0f;
        int width = 1, height = 1;
        glm::vec3 position{0.0f};  // for the host path's SH colours
    };
    void planTiles(Scene::Impl& scene, const TileCamera& camera) const;
    void dropTiles() const { m_tileJobs.clear(); }  // a frame without the compute path
    std::size_t binTiles() const;
    // Before recording: sizes the planned clouds' host-visible tile buffers (exact: for the bins
    // just made; otherwise for bins made after recording, from the last frame's count) and
    // points their tile sets at them and at `target` (the resolved colour).
    void prepareTileBuffers(const DeviceResources& resources, int width, int height, vk::ImageView target, bool exact) const;
    // Before submitting: copies the bins into the buffers. Bins larger than a buffer keep what
    // fits (each tile its nearest splats, in proportion) and return true: draw again.
    bool writeTiles() const;
    // The compute path, between the scene and overlay passes: blends every planned cloud into
    // `target` (colour in COLOR_ATTACHMENT_OPTIMAL before and after). Returns the splats drawn.
    std::size_t recordTiles(const PassContext& pass, vk::Image target, int width, int height) const;
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
    SplatPath m_path = SplatPath::Raster;
    struct TileJob {
        SplatsGpu* splats;
        SplatCamera camera;
        glm::mat4 model{1.0f};
    };
    mutable std::vector<TileJob> m_tileJobs;  // this frame's clouds on the compute (or host) path
    // The host path: this frame takes it; its rasterizer, camera and output (colour and
    // transmittance per pixel, host visible) with the set that binds it and the target.
    mutable bool m_hostFrame = false;
    mutable HostSplatRasterizer m_host;
    mutable HostSplatView m_hostView;
    mutable GpuBuffer m_hostPixels;
    mutable GpuBuffer m_hostTiles;  // the composite's indirect dispatch (x = covered tiles, 1, 1, pad), then the tiles
    mutable vk::raii::DescriptorSet m_hostSet{nullptr};
};

} // namespace kiln::render
