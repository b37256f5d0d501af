#include "io/export_check.h"

#include "core/mesh_topology.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace kiln::io {

namespace {

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
    char buf[160];
    std::snprintf(buf, sizeof buf, fmt, a, b, c);
    return buf;
}

std::string metres(double m) {
    if (m >= 1.0) return format("%.3g m", m);
    if (m >= 0.01) return format("%.3g cm", m * 100.0);
    return format("%.3g mm", m * 1000.0);
}

void checkSize(ExportReport& report, const ExportPreset& preset) {
    const glm::vec3 s = report.sizeMetres;
    const double largest = std::max({s.x, s.y, s.z});
    const std::string size = format("%.4g x %.4g x %.4g m", s.x, s.y, s.z);
    if (!(largest >= preset.minPlausibleSize)) {
        report.warnings.push_back("size " + size + " is implausibly small for " + preset.title + " (largest side " + metres(largest) +
                                  ", under " + metres(preset.minPlausibleSize) +
                                  "); Kiln works in metres: if it was modelled in millimetres use --scale 1000, in centimetres --scale 100");
    } else if (largest > preset.maxPlausibleSize) {
        report.warnings.push_back("size " + size + " is implausibly large for " + preset.title + " (largest side " + metres(largest) +
                                  ", over " + metres(preset.maxPlausibleSize) +
                                  "); Kiln works in metres: if it was modelled in millimetres use --scale 0.001, in centimetres --scale 0.01");
    }
}

bool isPowerOfTwo(int v) { return v > 0 && (v & (v - 1)) == 0; }

} // namespace

std::vector<std::string> ExportReport::lines() const {
    std::vector<std::string> out;
    if (splats) {
        out.push_back(format("Gaussian splats %.0f", double(splatCount)));
        out.push_back(format("size %.4g x %.4g x %.4g m (splat centres)", sizeMetres.x, sizeMetres.y, sizeMetres.z));
        return out;
    }
    out.push_back(format("triangles %.0f, vertices %.0f (%.0f welded by position)", double(triangles), double(vertices), double(weldedVertices)));
    out.push_back(format("size %.4g x %.4g x %.4g m", sizeMetres.x, sizeMetres.y, sizeMetres.z));
    out.push_back(format("non-manifold edges %.0f, open boundary edges %.0f in %.0f holes", double(nonManifoldEdges), double(boundaryEdges), double(holes)) +
                  format(", degenerate triangles %.0f", double(degenerateTriangles)));
    std::string tex = "textures " + std::to_string(textures.size());
    for (std::size_t i = 0; i < textures.size(); ++i)
        tex += (i ? ", " : ": ") + textures[i].name + " " + std::to_string(textures[i].width) + "x" + std::to_string(textures[i].height);
    out.push_back(tex);
    return out;
}

ExportReport checkForExport(const core::Mesh& mesh, const ExportPreset& preset) {
    ExportReport report;
    report.vertices = mesh.vertexCount();
    report.triangles = mesh.triangleCount();
    const core::Bounds bounds = core::computeBounds(mesh);
    report.sizeMetres = bounds.valid ? bounds.size() : glm::vec3(0.0f);

    // A triangle is degenerate when it repeats a welded vertex or its area is below what float
    // positions at this scale can resolve (relative to the squared bounding-box diagonal); the
    // topology leaves degenerate triangles out.
    const std::vector<std::uint32_t> welded = core::firstAtSamePosition(mesh.positions);
    const double diag2 = bounds.valid ? double(glm::dot(bounds.size(), bounds.size())) : 0.0;
    const double minDoubleArea = std::max(diag2 * 1e-12, 1e-30);
    std::vector<std::uint8_t> degenerate(mesh.triangleCount(), 0);
    for (std::size_t f = 0; f < degenerate.size(); ++f) {
        const std::uint32_t i0 = mesh.indices[3 * f], i1 = mesh.indices[3 * f + 1], i2 = mesh.indices[3 * f + 2];
        const glm::dvec3 a(mesh.positions[i0]), b(mesh.positions[i1]), c(mesh.positions[i2]);
        degenerate[f] = welded[i0] == welded[i1] || welded[i1] == welded[i2] || welded[i0] == welded[i2] ||
                        glm::length(glm::cross(b - a, c - a)) <= minDoubleArea;
        report.degenerateTriangles += degenerate[f];
    }
    const core::MeshTopology topology = core::measureTopology(mesh, welded, degenerate);
    report.weldedVertices = topology.weldedVertices;
    report.nonManifoldEdges = topology.nonManifoldEdges;
    report.boundaryEdges = topology.boundaryEdges;
    report.holes = topology.holes;

    for (std::size_t i = 0; i < mesh.textures.size(); ++i) {
        const core::Texture& t = mesh.textures[i];
        report.textures.push_back({t.name.empty() ? "texture" + std::to_string(i) : t.name, t.image.width, t.image.height});
    }

    checkSize(report, preset);
    if (report.degenerateTriangles)
        report.warnings.push_back(std::to_string(report.degenerateTriangles) +
                                  " degenerate triangles (zero area or a repeated vertex): importers may drop them or shade them black");
    const bool gameEngine = preset.name == "unreal" || preset.name == "unity";
    for (const TextureSize& t : report.textures) {
        if (t.width > 8192 || t.height > 8192)
            report.warnings.push_back("texture " + t.name + " is " + std::to_string(t.width) + "x" + std::to_string(t.height) +
                                      ", larger than the 8192 px most tools and GPUs accept");
        else if (gameEngine && !(isPowerOfTwo(t.width) && isPowerOfTwo(t.height)))
            report.warnings.push_back("texture " + t.name + " is " + std::to_string(t.width) + "x" + std::to_string(t.height) + ", not a power of two: " +
                                      preset.title + " will not mip-map or stream it");
    }
    return report;
}

ExportReport checkForExport(const core::GaussianCloud& cloud, const ExportPreset& preset) {
    ExportReport report;
    report.splats = true;
    report.splatCount = cloud.size();
    const core::Bounds bounds = core::computeBounds(cloud);
    report.sizeMetres = bounds.valid ? bounds.size() : glm::vec3(0.0f);
    checkSize(report, preset);
    return report;
}

} // namespace kiln::io
