#pragma once

// Internal to kiln_procgen: assembles a vertex-coloured mesh from closed primitives (boxes,
// surfaces of revolution, extruded convex outlines). Every primitive is closed on its own, so a
// shape made of interpenetrating primitives is watertight in the position-welded sense that
// geometry::analyse uses. Parts must overlap rather than touch: two parts sharing an edge exactly
// would make that edge non-manifold.

#include "core/mesh.h"

#include <glm/mat4x4.hpp>
#include <glm/vec2.hpp>
#include <glm/vec3.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace kiln::procgen::v1::detail {

// Deterministic, platform-independent random numbers for shape proportions (std:: distributions
// differ between standard libraries; the dataset must not).
class ShapeRng {
public:
    explicit ShapeRng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next();
    float uniform(float lo, float hi);           // [lo, hi)
    int range(int lo, int hi);                   // [lo, hi] inclusive
    bool chance(float p);
    // Same draw as uniform(lo, hi), also reporting where in the range it fell (0..1), so a shape can
    // turn an extreme proportion into a caption word ("tall", "short").
    float uniform(float lo, float hi, float& t);

private:
    std::uint64_t m_state;
};

std::uint64_t mix64(std::uint64_t x);  // SplitMix64 finaliser

class MeshBuilder {
public:
    void setColour(const glm::vec3& linearRgb) { m_colour = linearRgb; }
    const glm::vec3& colour() const { return m_colour; }

    // Axis-aligned box given by its centre and full size, then transformed.
    void box(const glm::vec3& centre, const glm::vec3& size, const glm::mat4& xf = glm::mat4(1.0f));
    // Surface of revolution around +Y of a profile of (radius, y) points. The profile either runs
    // from the axis back to the axis (r = 0 only at its ends: a closed solid, e.g. a capped
    // cylinder or a hollow cup) or is a closed loop (last point == first, r > 0: a torus). The
    // outward side is on the right of the direction of travel in the (r, y) plane.
    void lathe(const std::vector<glm::vec2>& profile, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    // Capped cylinder / frustum standing on `base` along +Y (then transformed).
    void cylinder(const glm::vec3& base, float radius, float height, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    void frustum(const glm::vec3& base, float r0, float r1, float height, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    void sphere(const glm::vec3& centre, const glm::vec3& radii, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    // Torus around +Y through `centre` (major radius R, tube radius r), then transformed.
    void torus(const glm::vec3& centre, float majorR, float minorR, int segments, int tubeSegments,
               const glm::mat4& xf = glm::mat4(1.0f));
    // A tube of constant radius along a polyline (2+ points, no sharp U-turns), capped flat at
    // both ends; frames are parallel-transported so the tube does not twist.
    void tube(const std::vector<glm::vec3>& path, float radius, int segments, const glm::mat4& xf = glm::mat4(1.0f));
    // A convex outline in the XY plane (counter-clockwise) extruded from z0 to z1, then transformed.
    void prism(const std::vector<glm::vec2>& outline, float z0, float z1, const glm::mat4& xf = glm::mat4(1.0f));

    // Moves every vertex by f(position); vertices at one position move together, so the surface
    // stays closed. Normals are recomputed: smooth (averaged over a position) or faceted.
    void displace(const std::function<glm::vec3(const glm::vec3&)>& f, bool faceted);

    // Rest the shape on y = 0, centred on x/z; one material; validates.
    core::Mesh finish(const core::Material& material);

    std::size_t vertexCount() const { return m_mesh.positions.size(); }

private:
    std::uint32_t vertex(const glm::vec3& p, const glm::vec3& n);
    void triangle(std::uint32_t a, std::uint32_t b, std::uint32_t c);
    void transformFrom(std::size_t firstVertex, std::size_t firstIndex, const glm::mat4& xf);

    core::Mesh m_mesh;
    glm::vec3 m_colour{1.0f};
};

// Transform helpers (right-handed, angles in radians).
glm::mat4 translation(const glm::vec3& t);
glm::mat4 rotationX(float a);
glm::mat4 rotationY(float a);
glm::mat4 rotationZ(float a);

} // namespace kiln::procgen::v1::detail
