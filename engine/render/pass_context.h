#pragma once

// Internal to engine/render: what every pass records with. The passes (mesh_pass, splat_pass,
// field_pass, grid_gizmo) are free functions of the scene and this context, called from
// Renderer::Impl::recordFrame (frame.cpp) inside the render pass they belong to.
#include "render/pipelines.h"

namespace kiln::render {

struct PassContext {
    const vk::raii::CommandBuffer& cmd;  // recording, inside the pass
    const DeviceResources& resources;    // pipeline layouts
    const Pipelines& pipelines;
    vk::DescriptorSet frameSet;          // set 0: frame uniforms + resolved depth
};

} // namespace kiln::render
