#pragma once

// What the shape autoencoder (shape_autoencoder.h) reads and learns to reproduce, as plain arrays:
// an asset's surface samples with their appearance in a normalised frame, query points with
// their occupancy, and surface points with their appearance. Torch-free.

#include "core/mesh.h"
#include "geometry/inside_test.h"
#include "procgen/procgen.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace kiln::models {

// The frame assets are encoded in: normalised = (p - centre) * scale, the largest side 1.8 long,
// so the asset lies inside [-0.9, 0.9]^3 and decoding samples [-1, 1]^3.
struct LatentFrame {
    glm::vec3 centre{0.0f};
    float scale = 1.0f;
    glm::vec3 toNormalised(const glm::vec3& p) const { return (p - centre) * scale; }
    glm::vec3 fromNormalised(const glm::vec3& q) const { return q / scale + centre; }
};
inline constexpr float kLatentExtent = 1.8f;
LatentFrame latentFrame(const core::Bounds& bounds);

inline constexpr int kSurfaceFeatures = 11;   // position 3, normal 3, albedo 3 (linear), roughness, metallic
inline constexpr int kAppearanceChannels = 5;  // albedo 3, roughness, metallic

// Where a sample's occupancy queries lie. Surface: of every four, two within sigma 0.01 of the
// surface, one within 0.04, one uniform in [-1, 1]^3. Banded: of every eight, three at 0.01, two at
// 0.04, one at 0.12 (the band a cavity's inside lies in, which the surface mix almost never asks
// about) and two uniform.
enum class QueryMix { Surface, Banded };

struct ShapeSampleOptions {
    int surfacePoints = 2048;     // encoder input
    int queryPoints = 2048;       // occupancy targets
    int appearancePoints = 1024;  // appearance targets, on the surface
    QueryMix mix = QueryMix::Surface;
    // Minimum thickness of the occupancy targets, in the normalised frame: a point outside the
    // solid within `thinWall` of a wall or rod thinner than 2 x thinWall counts as inside, so such
    // a part is at least 2 x thinWall thick in the targets (a canoe's 1 cm hull is 0.005 thick in
    // the frame, a sixth of the decoder's finest texel, and decoded as nothing). Parts at least
    // that thick are left as they are. 0: the solid as it is.
    float thinWall = 0.0f;
};

struct ShapeSample {
    LatentFrame frame;
    float logSize = 0.0f;             // log of the largest side in metres (the asset's real size)
    std::vector<float> surface;       // surfacePoints x kSurfaceFeatures
    std::vector<float> queries;       // queryPoints x 3
    std::vector<float> occupancy;     // queryPoints, 0 or 1
    std::vector<float> appearancePoints;  // appearancePoints x 3
    std::vector<float> appearance;    // appearancePoints x kAppearanceChannels
};

// A procedural asset as a training example: occupancy from its parts (closed shells; inside any
// is inside), queries half near the surface (sigma 0.01 and 0.04 of the normalised frame) and
// a quarter uniform in [-1, 1]^3. Deterministic for a seed.
ShapeSample makeShapeSample(const procgen::ProcAsset& asset, const ShapeSampleOptions& options, std::uint64_t seed);

// Only the decoder's targets (queries, occupancy, appearance points and values) of `asset` in
// `frame`, drawn from `seed`: training draws them afresh for each step from a seed of the item and
// the step, so the decoder is asked about a new set of points every time it sees an asset.
void makeShapeTargets(const procgen::ProcAsset& asset, const LatentFrame& frame, const ShapeSampleOptions& options, std::uint64_t seed,
                      ShapeSample& out);

// The asset's solid: inside any of its closed parts. Parts interpenetrate (a chest's straps are
// sunk into its lid), so some of the mesh's faces lie inside the solid where no one sees them.
geometry::InsideTest assetSolid(const procgen::ProcAsset& asset);

// Of surface samples of an asset, the indices of the visible ones: not buried in `solid`
// (geometry::buriedInSolid with `step`). Reconstructions are scored on these.
std::vector<std::size_t> visibleSamples(const procgen::SurfaceSamples& samples, const std::function<bool(const glm::vec3&)>& solid, float step);

// The encoder input of any surface: positions, normals and appearance of `count` points.
std::vector<float> encoderInput(const procgen::SurfaceSamples& samples, const LatentFrame& frame);

} // namespace kiln::models
