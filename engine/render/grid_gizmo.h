#pragma once

// Internal to engine/render: the viewport guides, drawn as lines. The ground grid sits under
// the scene in the scene pass (depth tested); the axis gizmo is drawn last in the overlay pass,
// in its own corner viewport.
#include "core/mesh.h"
#include "render/pass_context.h"
#include "render/view.h"

#include <glm/mat4x4.hpp>

#include <cstdint>

namespace kiln::render {

inline constexpr std::size_t kMaxLineVertices = 4096;  // size of the frame's line vertex buffer

// Where each guide's vertices are in the line buffer: the grid first, the gizmo after it.
struct GuideLines {
    std::uint32_t gridVertices = 0, gizmoVertices = 0;
};

// Builds the guides `options` asks for around `sceneBounds` (a unit box when it is empty) and
// writes them into `vertices` (host-visible, kMaxLineVertices LineVertex).
GuideLines writeGuideLines(const core::Bounds& sceneBounds, const ViewOptions& options, const GpuBuffer& vertices);

void recordGrid(const PassContext& pass, vk::Pipeline gridPipeline, const GpuBuffer& vertices, const GuideLines& lines, const glm::mat4& viewProj);
// `view` is the camera's world-to-view matrix: the gizmo shows its rotation alone.
void recordGizmo(const PassContext& pass, const GpuBuffer& vertices, const GuideLines& lines, const glm::mat4& view, int width, int height);

} // namespace kiln::render
