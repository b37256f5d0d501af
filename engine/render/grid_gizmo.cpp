#include "render/grid_gizmo.h"

#include "render/shader_interface.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace kiln::render {

namespace {

// A square grid on the floor of the bounds (y = min.y), centred under them and reaching one
// diagonal out. Spacing is the power of ten that fits 4 to 40 cells into the bounds' diagonal,
// so a cell always reads as a round unit (1 cm, 10 cm, 1 m, ...).
void appendGrid(const core::Bounds& b, std::vector<LineVertex>& out) {
    const float extent = std::max(glm::length(b.size()), 1e-3f);
    const float spacing = std::pow(10.0f, std::floor(std::log10(extent / 4.0f)));
    const int half = int(std::ceil(extent / spacing));
    const glm::vec3 c = b.center();
    const float y = b.min.y;
    const float cx = std::round(c.x / spacing) * spacing, cz = std::round(c.z / spacing) * spacing;
    const float r = float(half) * spacing;
    for (int i = -half; i <= half; ++i) {
        const float o = float(i) * spacing;
        const float alpha = i % 10 == 0 ? 0.55f : 0.3f;
        const glm::vec4 col(0.62f, 0.63f, 0.66f, alpha);
        out.push_back({{cx + o, y, cz - r}, col});
        out.push_back({{cx + o, y, cz + r}, col});
        out.push_back({{cx - r, y, cz + o}, col});
        out.push_back({{cx + r, y, cz + o}, col});
    }
}

// Unit X, Y, Z axes from the origin in red, green, blue.
void appendGizmo(std::vector<LineVertex>& out) {
    const glm::vec4 colors[3] = {{0.9f, 0.25f, 0.25f, 1.0f}, {0.35f, 0.85f, 0.3f, 1.0f}, {0.3f, 0.45f, 0.95f, 1.0f}};
    for (int a = 0; a < 3; ++a) {
        glm::vec3 axis(0.0f);
        axis[a] = 1.0f;
        out.push_back({glm::vec3(0.0f), colors[a]});
        out.push_back({axis, colors[a]});
    }
}

} // namespace

GuideLines writeGuideLines(const core::Bounds& sceneBounds, const ViewOptions& options, const GpuBuffer& vertices) {
    core::Bounds b = sceneBounds;
    if (!b.valid) {
        b.extend(glm::vec3(-1.0f));
        b.extend(glm::vec3(1.0f));
    }
    std::vector<LineVertex> all;
    if (options.grid) appendGrid(b, all);
    GuideLines lines;
    lines.gridVertices = std::uint32_t(all.size());
    if (options.axisGizmo) appendGizmo(all);
    lines.gizmoVertices = std::uint32_t(all.size()) - lines.gridVertices;
    // About 80 lines each way at most (see appendGrid), far below the buffer; the clamp only guards it.
    std::memcpy(vertices.mapped, all.data(), std::min(all.size(), kMaxLineVertices) * sizeof(LineVertex));
    return lines;
}

void recordGrid(const PassContext& pass, vk::Pipeline gridPipeline, const GpuBuffer& vertices, const GuideLines& lines, const glm::mat4& viewProj) {
    if (lines.gridVertices == 0) return;
    const vk::PipelineLayout layout = *pass.resources.linePipeLayout;
    pass.cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, gridPipeline);
    pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, layout, 0, pass.frameSet, {});
    pass.cmd.bindVertexBuffers(0, *vertices.buffer, vk::DeviceSize(0));
    pass.cmd.pushConstants<LinePush>(layout, kPushStages, 0, LinePush{viewProj});
    pass.cmd.draw(lines.gridVertices, 1, 0, 0);
}

void recordGizmo(const PassContext& pass, const GpuBuffer& vertices, const GuideLines& lines, const glm::mat4& view, int width, int height) {
    if (lines.gizmoVertices == 0) return;
    // Bottom-left corner, at most 96 px square; the overlay pass's own viewport is not restored
    // because the gizmo is the last thing drawn.
    const float size = std::min(96.0f, 0.2f * float(std::min(width, height)));
    pass.cmd.setViewport(0, vk::Viewport(8.0f, float(height) - size - 8.0f, size, size, 0.0f, 1.0f));
    // Orthographic, y flipped for Vulkan, depth squeezed into 0..1 around the origin.
    const glm::mat4 rotation = glm::mat4(glm::mat3(view));
    glm::mat4 ortho(1.0f);
    ortho[0][0] = 0.8f;
    ortho[1][1] = -0.8f;
    ortho[2][2] = -0.25f;
    ortho[3][2] = 0.5f;
    const vk::PipelineLayout layout = *pass.resources.linePipeLayout;
    pass.cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, pass.pipelines.gizmo());
    pass.cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, layout, 0, pass.frameSet, {});
    pass.cmd.bindVertexBuffers(0, *vertices.buffer, vk::DeviceSize(0));
    pass.cmd.pushConstants<LinePush>(layout, kPushStages, 0, LinePush{ortho * rotation});
    pass.cmd.draw(lines.gizmoVertices, 1, lines.gridVertices, 0);
}

} // namespace kiln::render
