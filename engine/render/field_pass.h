#pragma once

// Internal to engine/render: radiance fields in the overlay pass.
#include "render/pass_context.h"
#include "render/scene_impl.h"

namespace kiln::render {

// Ray-marches every visible field with a full-screen triangle; the shader stops each ray at the
// resolved mesh depth, so fields composite over and behind meshes correctly.
void recordFields(const PassContext& pass, const Scene::Impl& scene);

} // namespace kiln::render
