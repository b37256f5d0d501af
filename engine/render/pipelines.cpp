#include "render/pipelines.h"

#include "render/shader_interface.h"

#include <kiln_shaders/field_frag.h>
#include <kiln_shaders/field_vert.h>
#include <kiln_shaders/lines_frag.h>
#include <kiln_shaders/lines_smooth_frag.h>
#include <kiln_shaders/lines_vert.h>
#include <kiln_shaders/mesh_frag.h>
#include <kiln_shaders/radix_histogram_comp.h>
#include <kiln_shaders/radix_scan_comp.h>
#include <kiln_shaders/radix_scatter_comp.h>
#include <kiln_shaders/mesh_vert.h>
#include <kiln_shaders/splat_frag.h>
#include <kiln_shaders/splat_preprocess_comp.h>
#include <kiln_shaders/splat_tiles_comp.h>
#include <kiln_shaders/splat_host_comp.h>
#include <kiln_shaders/splat_vert.h>
#include <kiln_shaders/wire_frag.h>
#include <kiln_shaders/wire_vert.h>

#include <array>
#include <cstddef>
#include <vector>

namespace kiln::render {

namespace {

vk::raii::ShaderModule makeModule(const vk::raii::Device& device, const std::uint32_t* code, std::size_t bytes) {
    return vk::raii::ShaderModule(device, vk::ShaderModuleCreateInfo({}, bytes, code));
}

// Everything that differs between Kiln's pipelines; the rest of the state is shared.
struct PipelineDesc {
    vk::ShaderModule vertex, fragment;
    vk::PipelineLayout layout;
    std::vector<vk::VertexInputBindingDescription> bindings;
    std::vector<vk::VertexInputAttributeDescription> attributes;
    vk::PrimitiveTopology topology = vk::PrimitiveTopology::eTriangleList;
    vk::PolygonMode polygon = vk::PolygonMode::eFill;
    bool depthTest = true, depthWrite = true, depthBias = false;
    bool premultiplied = false;  // colour already multiplied by alpha (splats, fields, lines)
    bool smoothLines = false;    // VK_EXT_line_rasterization's smooth lines (coverage into alpha)
};

vk::AttachmentDescription2 attachment(vk::Format format, vk::SampleCountFlagBits samples, vk::AttachmentLoadOp load, vk::AttachmentStoreOp store,
                                      vk::ImageLayout initial, vk::ImageLayout final) {
    return vk::AttachmentDescription2({}, format, samples, load, store, vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare, initial, final);
}

} // namespace

Pipelines::Pipelines(const DeviceResources& resources) : m_resources(resources) {
    const auto& dev = resources.ctx.device;
    m_meshVert = makeModule(dev, k_mesh_vert, sizeof k_mesh_vert);
    m_meshFrag = makeModule(dev, k_mesh_frag, sizeof k_mesh_frag);
    m_wireVert = makeModule(dev, k_wire_vert, sizeof k_wire_vert);
    m_wireFrag = makeModule(dev, k_wire_frag, sizeof k_wire_frag);
    m_linesVert = makeModule(dev, k_lines_vert, sizeof k_lines_vert);
    m_linesFrag = makeModule(dev, k_lines_frag, sizeof k_lines_frag);
    m_linesSmoothFrag = makeModule(dev, k_lines_smooth_frag, sizeof k_lines_smooth_frag);
    m_splatVert = makeModule(dev, k_splat_vert, sizeof k_splat_vert);
    m_splatFrag = makeModule(dev, k_splat_frag, sizeof k_splat_frag);
    m_fieldVert = makeModule(dev, k_field_vert, sizeof k_field_vert);
    m_fieldFrag = makeModule(dev, k_field_frag, sizeof k_field_frag);

    m_overlayPass = createOverlayPass();
    m_splat = create(Kind::Splat, *m_overlayPass, 1);
    m_field = create(Kind::Field, *m_overlayPass, 1);
    m_gizmo = create(Kind::Gizmo, *m_overlayPass, 1);
    m_splatPreprocessComp = makeModule(dev, k_splat_preprocess_comp, sizeof k_splat_preprocess_comp);
    const vk::ComputePipelineCreateInfo compute({}, vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eCompute, *m_splatPreprocessComp, "main"),
                                                *resources.splatPipeLayout);
    m_splatPreprocess = vk::raii::Pipeline(dev, nullptr, compute);
    auto computePipeline = [&](vk::raii::ShaderModule& module, const std::uint32_t* code, std::size_t bytes) {
        module = makeModule(dev, code, bytes);
        return vk::raii::Pipeline(dev, nullptr,
                                  vk::ComputePipelineCreateInfo({}, vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eCompute, *module, "main"),
                                                                *resources.sortPipeLayout));
    };
    m_radixHistogram = computePipeline(m_radixHistogramComp, k_radix_histogram_comp, sizeof k_radix_histogram_comp);
    m_radixScan = computePipeline(m_radixScanComp, k_radix_scan_comp, sizeof k_radix_scan_comp);
    m_radixScatter = computePipeline(m_radixScatterComp, k_radix_scatter_comp, sizeof k_radix_scatter_comp);
    m_splatTilesComp = makeModule(dev, k_splat_tiles_comp, sizeof k_splat_tiles_comp);
    m_splatTiles = vk::raii::Pipeline(
        dev, nullptr,
        vk::ComputePipelineCreateInfo({}, vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eCompute, *m_splatTilesComp, "main"),
                                      *resources.tilePipeLayout));
    m_splatHostComp = makeModule(dev, k_splat_host_comp, sizeof k_splat_host_comp);
    m_splatHost = vk::raii::Pipeline(
        dev, nullptr,
        vk::ComputePipelineCreateInfo({}, vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eCompute, *m_splatHostComp, "main"),
                                      *resources.tilePipeLayout));
}

ScenePassSet& Pipelines::scenePass(int samples) {
    auto& slot = m_scenePasses[samples];
    if (!slot) {
        slot = std::make_unique<ScenePassSet>();
        slot->samples = samples;
        slot->pass = createScenePass(samples);
        slot->mesh = create(Kind::Mesh, *slot->pass, samples);
        if (m_resources.ctx.fillModeNonSolid) slot->wire = create(Kind::Wire, *slot->pass, samples);
        slot->grid = create(Kind::Grid, *slot->pass, samples);
    }
    return *slot;
}

vk::raii::RenderPass Pipelines::createScenePass(int samples) const {
    const bool ms = samples > 1;
    const auto sb = toSampleBits(samples);
    const auto msStore = ms ? vk::AttachmentStoreOp::eDontCare : vk::AttachmentStoreOp::eStore;
    const auto e1 = vk::SampleCountFlagBits::e1;
    std::vector<vk::AttachmentDescription2> att;
    att.push_back(attachment(kColorFormat, sb, vk::AttachmentLoadOp::eClear, msStore, vk::ImageLayout::eUndefined, vk::ImageLayout::eColorAttachmentOptimal));
    att.push_back(attachment(kDepthFormat, sb, vk::AttachmentLoadOp::eClear, msStore, vk::ImageLayout::eUndefined,
                             ms ? vk::ImageLayout::eDepthStencilAttachmentOptimal : vk::ImageLayout::eDepthStencilReadOnlyOptimal));
    if (ms) {
        att.push_back(attachment(kColorFormat, e1, vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eStore, vk::ImageLayout::eUndefined,
                                 vk::ImageLayout::eColorAttachmentOptimal));
        att.push_back(attachment(kDepthFormat, e1, vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eStore, vk::ImageLayout::eUndefined,
                                 vk::ImageLayout::eDepthStencilReadOnlyOptimal));
    }
    vk::AttachmentReference2 colorRef(0, vk::ImageLayout::eColorAttachmentOptimal, vk::ImageAspectFlagBits::eColor);
    vk::AttachmentReference2 depthRef(1, vk::ImageLayout::eDepthStencilAttachmentOptimal, vk::ImageAspectFlagBits::eDepth);
    vk::AttachmentReference2 resolveRef(2, vk::ImageLayout::eColorAttachmentOptimal, vk::ImageAspectFlagBits::eColor);
    vk::AttachmentReference2 depthResolveRef(3, vk::ImageLayout::eDepthStencilAttachmentOptimal, vk::ImageAspectFlagBits::eDepth);
    // Depth resolve (core in Vulkan 1.2; SAMPLE_ZERO is always supported) gives the overlay
    // pass a single-sample mesh depth to test splats against and to stop field rays at.
    vk::SubpassDescriptionDepthStencilResolve depthResolve(vk::ResolveModeFlagBits::eSampleZero, vk::ResolveModeFlagBits::eNone, &depthResolveRef);
    vk::SubpassDescription2 subpass({}, vk::PipelineBindPoint::eGraphics, 0, {}, colorRef,
                                    ms ? resolveRef : vk::ArrayProxyNoTemporaries<const vk::AttachmentReference2>{}, &depthRef);
    if (ms) subpass.pNext = &depthResolve;
    const auto writeStages =
        vk::PipelineStageFlagBits::eColorAttachmentOutput | vk::PipelineStageFlagBits::eEarlyFragmentTests | vk::PipelineStageFlagBits::eLateFragmentTests;
    const auto writeAccess = vk::AccessFlagBits::eColorAttachmentWrite | vk::AccessFlagBits::eDepthStencilAttachmentWrite;
    const auto attachmentRead = vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eDepthStencilAttachmentRead;
    std::array<vk::SubpassDependency2, 2> deps = {
        // The previous frame's readback/blit and overlay sampling finish before this one clears.
        vk::SubpassDependency2(VK_SUBPASS_EXTERNAL, 0, writeStages | vk::PipelineStageFlagBits::eTransfer | vk::PipelineStageFlagBits::eFragmentShader,
                               writeStages, writeAccess | vk::AccessFlagBits::eTransferRead | vk::AccessFlagBits::eShaderRead, writeAccess | attachmentRead),
        // The overlay pass loads the resolved colour and samples the resolved depth.
        vk::SubpassDependency2(0, VK_SUBPASS_EXTERNAL, writeStages, writeStages | vk::PipelineStageFlagBits::eFragmentShader, writeAccess,
                               writeAccess | attachmentRead | vk::AccessFlagBits::eShaderRead)};
    return vk::raii::RenderPass(m_resources.ctx.device, vk::RenderPassCreateInfo2({}, att, subpass, deps));
}

vk::raii::RenderPass Pipelines::createOverlayPass() const {
    const auto e1 = vk::SampleCountFlagBits::e1;
    std::array<vk::AttachmentDescription2, 2> att = {
        attachment(kColorFormat, e1, vk::AttachmentLoadOp::eLoad, vk::AttachmentStoreOp::eStore, vk::ImageLayout::eColorAttachmentOptimal,
                   vk::ImageLayout::eTransferSrcOptimal),
        attachment(kDepthFormat, e1, vk::AttachmentLoadOp::eLoad, vk::AttachmentStoreOp::eStore, vk::ImageLayout::eDepthStencilReadOnlyOptimal,
                   vk::ImageLayout::eDepthStencilReadOnlyOptimal)};
    vk::AttachmentReference2 colorRef(0, vk::ImageLayout::eColorAttachmentOptimal, vk::ImageAspectFlagBits::eColor);
    // Read-only depth: tested by splats and sampled by the field shader in the same pass.
    vk::AttachmentReference2 depthRef(1, vk::ImageLayout::eDepthStencilReadOnlyOptimal, vk::ImageAspectFlagBits::eDepth);
    vk::SubpassDescription2 subpass({}, vk::PipelineBindPoint::eGraphics, 0, {}, colorRef, {}, &depthRef);
    const auto stages = vk::PipelineStageFlagBits::eColorAttachmentOutput | vk::PipelineStageFlagBits::eEarlyFragmentTests |
                        vk::PipelineStageFlagBits::eLateFragmentTests | vk::PipelineStageFlagBits::eFragmentShader;
    std::array<vk::SubpassDependency2, 2> deps = {
        vk::SubpassDependency2(VK_SUBPASS_EXTERNAL, 0, stages, stages, vk::AccessFlagBits::eColorAttachmentWrite | vk::AccessFlagBits::eDepthStencilAttachmentWrite,
                               vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eColorAttachmentWrite |
                                   vk::AccessFlagBits::eDepthStencilAttachmentRead | vk::AccessFlagBits::eShaderRead),
        // The finished colour is read back or blitted to the swapchain.
        vk::SubpassDependency2(0, VK_SUBPASS_EXTERNAL, vk::PipelineStageFlagBits::eColorAttachmentOutput, vk::PipelineStageFlagBits::eTransfer,
                               vk::AccessFlagBits::eColorAttachmentWrite, vk::AccessFlagBits::eTransferRead)};
    return vk::raii::RenderPass(m_resources.ctx.device, vk::RenderPassCreateInfo2({}, att, subpass, deps));
}

vk::raii::Pipeline Pipelines::create(Kind kind, vk::RenderPass pass, int samples) const {
    const DeviceResources& r = m_resources;
    PipelineDesc d;
    d.vertex = *m_meshVert;
    d.fragment = *m_meshFrag;
    d.layout = *r.meshPipeLayout;
    switch (kind) {
    case Kind::Mesh:
        // Separate streams: positions, normals, UV0, colours (MeshGpu's buffers).
        d.bindings = {{0, 12}, {1, 12}, {2, 8}, {3, 16}};
        d.attributes = {{0, 0, vk::Format::eR32G32B32Sfloat, 0},
                        {1, 1, vk::Format::eR32G32B32Sfloat, 0},
                        {2, 2, vk::Format::eR32G32Sfloat, 0},
                        {3, 3, vk::Format::eR32G32B32A32Sfloat, 0}};
        break;
    case Kind::Wire:
        d.vertex = *m_wireVert;
        d.fragment = *m_wireFrag;
        d.bindings = {{0, 12}};
        d.attributes = {{0, 0, vk::Format::eR32G32B32Sfloat, 0}};
        d.polygon = vk::PolygonMode::eLine;
        d.depthWrite = false;
        d.depthBias = true;  // pulls the lines in front of the surface they outline
        break;
    case Kind::Grid:
    case Kind::Gizmo:
        d.vertex = *m_linesVert;
        d.fragment = *m_linesFrag;
        d.layout = *r.linePipeLayout;
        d.bindings = {{0, sizeof(LineVertex)}};
        d.attributes = {{0, 0, vk::Format::eR32G32B32Sfloat, 0}, {1, 0, vk::Format::eR32G32B32A32Sfloat, offsetof(LineVertex, color)}};
        d.topology = vk::PrimitiveTopology::eLineList;
        d.depthWrite = false;
        d.depthTest = kind == Kind::Grid;  // the gizmo sits in its own corner viewport, always on top
        d.premultiplied = true;
        // A single-sample scene pass has no MSAA to smooth its grid: smooth lines where the device
        // has them, with straight alpha for their coverage.
        if (kind == Kind::Grid && samples == 1 && r.ctx.smoothLines) {
            d.fragment = *m_linesSmoothFrag;
            d.premultiplied = false;
            d.smoothLines = true;
        }
        break;
    case Kind::Splat:
        d.vertex = *m_splatVert;
        d.fragment = *m_splatFrag;
        d.layout = *r.splatPipeLayout;
        d.topology = vk::PrimitiveTopology::eTriangleStrip;  // one quad per instance
        d.depthWrite = false;
        d.premultiplied = true;
        break;
    case Kind::Field:
        d.vertex = *m_fieldVert;
        d.fragment = *m_fieldFrag;
        d.layout = *r.fieldPipeLayout;
        d.depthTest = false;  // the shader stops its rays at the sampled mesh depth instead
        d.depthWrite = false;
        d.premultiplied = true;
        break;
    }
    std::array<vk::PipelineShaderStageCreateInfo, 2> stages = {vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eVertex, d.vertex, "main"),
                                                               vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eFragment, d.fragment, "main")};
    vk::PipelineVertexInputStateCreateInfo vertexInput({}, d.bindings, d.attributes);
    vk::PipelineInputAssemblyStateCreateInfo assembly({}, d.topology);
    vk::PipelineViewportStateCreateInfo viewport({}, 1, nullptr, 1, nullptr);
    // The projection flips y so images are upright; Vulkan's facing rule (spec "Basic Polygon
    // Rasterization") already accounts for its y-down framebuffer, so glTF's counter-clockwise
    // front faces stay counter-clockwise. No culling: previews show open, single-sided assets too.
    vk::PipelineRasterizationStateCreateInfo raster({}, VK_FALSE, VK_FALSE, d.polygon, vk::CullModeFlagBits::eNone, vk::FrontFace::eCounterClockwise,
                                                    d.depthBias ? VK_TRUE : VK_FALSE, -1.0f, 0.0f, -1.0f, 1.0f);
    vk::PipelineRasterizationLineStateCreateInfoEXT lineState(vk::LineRasterizationModeEXT::eRectangularSmooth);
    if (d.smoothLines) raster.pNext = &lineState;
    vk::PipelineMultisampleStateCreateInfo multisample({}, toSampleBits(samples));
    vk::PipelineDepthStencilStateCreateInfo depth({}, d.depthTest, d.depthWrite, vk::CompareOp::eLessOrEqual);
    vk::PipelineColorBlendAttachmentState blend(
        VK_TRUE, d.premultiplied ? vk::BlendFactor::eOne : vk::BlendFactor::eSrcAlpha, vk::BlendFactor::eOneMinusSrcAlpha, vk::BlendOp::eAdd,
        vk::BlendFactor::eOne, vk::BlendFactor::eOneMinusSrcAlpha, vk::BlendOp::eAdd,
        vk::ColorComponentFlagBits::eR | vk::ColorComponentFlagBits::eG | vk::ColorComponentFlagBits::eB | vk::ColorComponentFlagBits::eA);
    vk::PipelineColorBlendStateCreateInfo blendState({}, VK_FALSE, vk::LogicOp::eCopy, blend);
    std::array<vk::DynamicState, 2> dyn = {vk::DynamicState::eViewport, vk::DynamicState::eScissor};
    vk::PipelineDynamicStateCreateInfo dynamic({}, dyn);
    vk::GraphicsPipelineCreateInfo info({}, stages, &vertexInput, &assembly, nullptr, &viewport, &raster, &multisample, &depth, &blendState, &dynamic,
                                        d.layout, pass, 0);
    return vk::raii::Pipeline(m_resources.ctx.device, nullptr, info);
}

} // namespace kiln::render
