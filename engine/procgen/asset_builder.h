#pragma once

// Builds a procedural asset part by part from closed primitives, each with its own UV charts.
// Every primitive is a closed surface (watertight in the position-welded sense geometry::analyse
// uses) parameterised over a domain, and its UV charts come from that domain: a lathe unrolls to
// (angle x radius, arc length), a tube to (around, along), a box to its faces. Displacing a part
// moves positions only, so its charts stay free of overlaps however the surface bends. Chart
// coordinates are in metres (about the surface's own size); the atlas packer (atlas.h) scales
// and places them.

#include <glm/mat4x4.hpp>
#include <glm/vec2.hpp>
#include <glm/vec3.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kiln::procgen {

struct UvChart {
    std::uint32_t firstVertex = 0, vertexCount = 0;  // the chart's vertices (contiguous)
    glm::vec2 size{0.0f};                            // extent of its UVs, metres
    glm::vec2 offset{0.0f};                          // set by the packer: atlas position, texels
    float scale = 0.0f;                              // set by the packer: texels per metre
};

// One part: a closed surface (or several interpenetrating closed surfaces) with one material.
struct PartMesh {
    std::string slot;  // the category's part slot: "seat", "legs"
    std::vector<glm::vec3> positions, normals;
    std::vector<glm::vec2> uv;  // chart-local, metres; the packer turns them into atlas UVs
    std::vector<std::uint32_t> indices;
    std::vector<UvChart> charts;
};

class AssetBuilder {
public:
    // Subsequent primitives belong to the part of this slot (made on first use, in order).
    void part(const std::string& slot);
    const std::string& currentPart() const;

    // Axis-aligned box by centre and full size, then transformed. Six planar charts.
    void box(const glm::vec3& centre, const glm::vec3& size, const glm::mat4& xf = glm::mat4(1.0f));
    // A box whose edges and corners are rounded with `radius` (clamped to half the smallest side):
    // furniture boards and cushions. Six charts; smooth normals.
    void roundedBox(const glm::vec3& centre, const glm::vec3& size, float radius, const glm::mat4& xf = glm::mat4(1.0f));
    // Surface of revolution around +Y of a (radius, y) profile that runs from the axis back to the
    // axis (r = 0 only at its ends: a closed solid), or a closed loop (last point == first, r > 0).
    // The outward side is on the right of the direction of travel. Runs between creases sharper
    // than `creaseDegrees` are separate charts; flat discs are planar charts.
    void lathe(const std::vector<glm::vec2>& profile, int segments, const glm::mat4& xf = glm::mat4(1.0f), float creaseDegrees = 40.0f);
    void cylinder(const glm::vec3& base, float radius, float height, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    void frustum(const glm::vec3& base, float r0, float r1, float height, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    void ellipsoid(const glm::vec3& centre, const glm::vec3& radii, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    void torus(const glm::vec3& centre, float majorR, float minorR, int segments, int tubeSegments, const glm::mat4& xf = glm::mat4(1.0f));
    // A tube along a polyline (2+ points, no sharp U-turns) with a radius per point (one value:
    // constant), capped flat at both ends; frames are parallel-transported so it does not twist.
    void tube(const std::vector<glm::vec3>& path, const std::vector<float>& radii, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    // A simple polygon in the XY plane (counter-clockwise, convex or not) extruded from z0 to z1.
    void prism(const std::vector<glm::vec2>& outline, float z0, float z1, const glm::mat4& xf = glm::mat4(1.0f));

    // Moves every vertex of the current part by f(position) (vertices at one position move
    // together, so it stays closed) and recomputes its normals: smooth, or faceted (flat).
    void displace(const std::function<glm::vec3(const glm::vec3&)>& f, bool faceted = false);
    // Recomputes smooth normals of the current part (averaged over welded positions).
    void smoothNormals();

    std::vector<PartMesh>& parts() { return m_parts; }

private:
    PartMesh& cur();
    std::uint32_t vertex(const glm::vec3& p, const glm::vec3& n, const glm::vec2& uv);
    void triangle(std::uint32_t a, std::uint32_t b, std::uint32_t c);
    void beginChart();
    void endChart();
    void transformFrom(std::size_t firstVertex, std::size_t firstIndex, const glm::mat4& xf);
    void discChart(const std::vector<glm::vec3>& rim, const glm::vec3& centre, const glm::vec3& normal, bool flip);

    std::vector<PartMesh> m_parts;
    int m_current = -1;
    std::uint32_t m_chartStart = 0;
};

// Transform helpers (right-handed, angles in radians).
glm::mat4 translation(const glm::vec3& t);
glm::mat4 rotationX(float a);
glm::mat4 rotationY(float a);
glm::mat4 rotationZ(float a);
glm::mat4 scaling(const glm::vec3& s);

} // namespace kiln::procgen
