#pragma once

// Internal to engine/render: the two render passes of a frame and the pipelines drawn in them,
// built on first use and kept for the Renderer's lifetime.
//
// A frame is two passes over one offscreen target: the scene pass (meshes, wireframe, grid;
// multisampled, resolving colour and depth; single-sampled with smooth grid lines where nothing
// else is drawn on a CPU device, see Renderer::Impl::sceneSamples) and the overlay pass (fields,
// splats, axis gizmo; single-sampled, testing against the resolved mesh depth).
#include "render/device_resources.h"

#include <map>
#include <memory>

namespace kiln::render {

inline constexpr vk::Format kColorFormat = vk::Format::eR16G16B16A16Sfloat;
inline constexpr vk::Format kDepthFormat = vk::Format::eD32Sfloat;

// The scene pass and its pipelines for one MSAA sample count.
struct ScenePassSet {
    int samples = 1;
    vk::raii::RenderPass pass{nullptr};
    vk::raii::Pipeline mesh{nullptr}, grid{nullptr};
    vk::raii::Pipeline wire{nullptr};  // null when the device cannot draw lines as polygons (fillModeNonSolid)
};

class Pipelines {
public:
    explicit Pipelines(const DeviceResources& resources);

    // Built on first use per sample count: MSAA changes with the view options.
    ScenePassSet& scenePass(int samples);
    vk::RenderPass overlayPass() const { return *m_overlayPass; }
    vk::Pipeline field() const { return *m_field; }
    vk::Pipeline splat() const { return *m_splat; }
    vk::Pipeline splatPreprocess() const { return *m_splatPreprocess; }  // compute, splatPipeLayout
    // The GPU radix sort's three passes (compute, sortPipeLayout).
    vk::Pipeline radixHistogram() const { return *m_radixHistogram; }
    vk::Pipeline radixScan() const { return *m_radixScan; }
    vk::Pipeline radixScatter() const { return *m_radixScatter; }
    vk::Pipeline gizmo() const { return *m_gizmo; }
    vk::Pipeline splatTiles() const { return *m_splatTiles; }  // compute, tilePipeLayout
    vk::Pipeline splatHost() const { return *m_splatHost; }    // compute, tilePipeLayout

private:
    enum class Kind { Mesh, Wire, Grid, Splat, Field, Gizmo };
    vk::raii::Pipeline create(Kind kind, vk::RenderPass pass, int samples) const;
    vk::raii::RenderPass createScenePass(int samples) const;
    vk::raii::RenderPass createOverlayPass() const;

    const DeviceResources& m_resources;
    vk::raii::ShaderModule m_meshVert{nullptr}, m_meshFrag{nullptr}, m_wireVert{nullptr}, m_wireFrag{nullptr}, m_linesVert{nullptr},
        m_linesFrag{nullptr}, m_linesSmoothFrag{nullptr}, m_splatVert{nullptr}, m_splatFrag{nullptr}, m_fieldVert{nullptr}, m_fieldFrag{nullptr};
    vk::raii::RenderPass m_overlayPass{nullptr};
    vk::raii::Pipeline m_splat{nullptr}, m_field{nullptr}, m_gizmo{nullptr}, m_splatPreprocess{nullptr};
    vk::raii::ShaderModule m_splatPreprocessComp{nullptr}, m_radixHistogramComp{nullptr}, m_radixScanComp{nullptr}, m_radixScatterComp{nullptr};
    vk::raii::Pipeline m_radixHistogram{nullptr}, m_radixScan{nullptr}, m_radixScatter{nullptr};
    vk::raii::ShaderModule m_splatTilesComp{nullptr};
    vk::raii::Pipeline m_splatTiles{nullptr};
    vk::raii::ShaderModule m_splatHostComp{nullptr};
    vk::raii::Pipeline m_splatHost{nullptr};
    std::map<int, std::unique_ptr<ScenePassSet>> m_scenePasses;
};

} // namespace kiln::render
