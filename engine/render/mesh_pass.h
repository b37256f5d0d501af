#pragma once

// Internal to engine/render: meshes in the scene pass.
#include "render/pass_context.h"
#include "render/scene_impl.h"

namespace kiln::render {

// Draws every visible mesh, one draw per submesh with its material, using `pipeline` (the scene
// pass's filled or wireframe one). Returns the triangles drawn.
std::size_t recordMeshes(const PassContext& pass, const Scene::Impl& scene, vk::Pipeline pipeline);

} // namespace kiln::render
