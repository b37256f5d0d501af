#pragma once

#include "core/mesh.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace kiln::geometry {

// `count` points on the surface, area-weighted (uniform per unit area): a triangle chosen with
// probability proportional to its area, then a uniform barycentric point (Osada et al. 2002, eq. 1).
// Deterministic for a seed. Throws kiln::Error on a mesh without area.
std::vector<glm::vec3> sampleSurface(const core::Mesh& mesh, std::size_t count, std::uint64_t seed);

// `count` stratified area-weighted points: point i lies at (i + offset) / count of the way along the
// triangles' cumulative area, at the golden-ratio (R2 sequence) point (r1, r2) of its triangle,
// r1 shifted by `shift`, both reflected into the triangle when r1 + r2 > 1; the point is
// a + r1 (b - a) + r2 (c - a) of the triangle's corners a, b, c. Deterministic. `area`, when
// given, receives the total area (the points are meaningless when it is 0).
struct StratifiedPoint {
    std::uint32_t triangle = 0;
    double r1 = 0.0, r2 = 0.0;
};
std::vector<StratifiedPoint> stratifiedPoints(const core::Mesh& mesh, int count, double offset = 0.5, double shift = 0.0, double* area = nullptr);

// Nearest-neighbour queries over a fixed point set (a k-d tree with median splits).
class PointIndex {
public:
    explicit PointIndex(std::vector<glm::vec3> points);
    // Distance to the nearest indexed point (infinity when empty).
    float nearestDistance(const glm::vec3& query) const;

private:
    void build(std::size_t begin, std::size_t end, int depth);
    void search(std::size_t begin, std::size_t end, int depth, const glm::vec3& q, float& best2) const;
    std::vector<glm::vec3> m_points;  // reordered into the tree layout
    std::vector<std::uint8_t> m_axis;  // split axis of the node whose median sits at that index
};

struct ChamferResult {
    double chamfer = 0.0;     // (meanAtoB + meanBtoA) / 2, world units
    double meanAtoB = 0.0;    // mean distance from A's samples to B's nearest sample
    double meanBtoA = 0.0;
    double p95 = 0.0;         // 95th percentile of all nearest distances, both directions
    double hausdorff = 0.0;   // largest nearest distance, both directions
    double diagonalB = 0.0;   // bounding-box diagonal of B (the reference), to make the above relative
};

// Symmetric Chamfer distance between two surfaces from `samplesPerMesh` area-weighted samples of
// each (Fan et al. 2017 use this "mean nearest-neighbour" form, not squared). O(n log n).
// Throws kiln::Error naming the mesh ("A" or "B") when one is empty or has no area.
ChamferResult chamferDistance(const core::Mesh& a, const core::Mesh& b, std::size_t samplesPerMesh, std::uint64_t seed);

} // namespace kiln::geometry

namespace kiln::geometry {

// The same measures on point sets already sampled (evaluation compares many shapes against many).
ChamferResult chamferPoints(const std::vector<glm::vec3>& a, const std::vector<glm::vec3>& b);
// F-score at distance `tau` (Tatarchenko et al. 2019): harmonic mean of the fraction of A within
// tau of B (precision) and of B within tau of A (recall).
double fScore(const std::vector<glm::vec3>& a, const std::vector<glm::vec3>& b, double tau);
// F-score of two meshes at `fraction` of B's bounding-box diagonal, each sampled densely enough
// that the samples resolve that distance (mean spacing <= tau / 4, from 10k to `maxSamples` points
// per mesh). With a fixed 10k samples a real asset scored as little as 0.67 against itself at 1 %:
// the measure was the sampling, not the shapes. Throws kiln::Error when a mesh has no area.
//
// With `solidB` (b's solid: true inside it), b's samples with solid on both sides are dropped:
// faces of a part buried in another part (a chest's straps sunk into its lid, a plank's ends in
// the frame) are surface no one sees and no occupancy field can reproduce, so a reconstruction is
// scored against what is visible. "Both sides": a step of tau / 50 each way along the face's
// normal (so a part wound the other way round is judged the same).
double meshFScore(const core::Mesh& a, const core::Mesh& b, double fraction, std::uint64_t seed, std::size_t maxSamples = 400000,
                  const std::function<bool(const glm::vec3&)>& solidB = {});
// The visibility test meshFScore applies to b's samples: a point of a face with normal `n` is
// buried when `solid` holds a step of `step` along the normal on both sides.
bool buriedInSolid(const std::function<bool(const glm::vec3&)>& solid, const glm::vec3& p, const glm::vec3& n, float step);
// The step meshFScore uses for reference `b` at `fraction` of its diagonal (tau / 50).
float buriedTestStep(const core::Mesh& b, double fraction);

// The median of `values` (the mean of the middle two for an even count); 0 for an empty set.
double median(std::vector<double> values);
// The median of `values` with a bootstrap percentile interval for it (Efron 1979): the medians of
// `resamples` draws of as many values with replacement, cut at (1 - confidence) / 2 each side. It
// says how far an evaluation's median could move with another draw of its prompts. Deterministic
// for a seed; an empty set gives zeros. Throws kiln::Error when confidence is not in (0, 1) or
// resamples < 1.
struct MedianInterval {
    double median = 0.0, low = 0.0, high = 0.0;
};
MedianInterval bootstrapMedian(const std::vector<double>& values, double confidence = 0.95, int resamples = 2000, std::uint64_t seed = 1);

// Points moved so their bounding box is centred at the origin with its largest side 1.
std::vector<glm::vec3> normalisedPoints(std::vector<glm::vec3> points);

// One channel of an image at a UV (glTF origin; bilinear between texel centres, clamped at the
// borders; a channel past the image's last reads the last), as a renderer samples it.
float sampleBilinear(const core::Image& image, glm::vec2 uv, int channel);
// The base colour (linear RGB) of an sRGB-encoded texture at a UV (sampleBilinear, then decoded).
glm::vec3 sampleBaseColor(const core::Image& image, glm::vec2 uv);

// How visible a texture's UV cuts are: along every edge the mesh's triangles share in 3D (same
// positions) but not in UV space, the base colour is read on both sides (bilinear, at 8 points
// per edge, each side's own UVs and its material's base colour texture) and compared (CIE76 ΔE).
// `interior` compares the same way points one texel apart inside islands (across edges whose
// UVs agree), the texture's own variation that a cut is measured against.
struct SeamScore {
    double seamDeltaE = 0.0;      // mean over the cut edges' points
    double interiorDeltaE = 0.0;  // mean over uncut edges' points, one texel across
    std::size_t cutEdges = 0, interiorEdges = 0;
};
// Throws kiln::Error when the mesh has no uv0 or a triangle's material has no base colour texture.
SeamScore textureSeams(const core::Mesh& mesh);

} // namespace kiln::geometry
