#pragma once

// The generator's shape representation: an object as a small set of anisotropic coloured
// Gaussians ("parts"), a compressed 3D latent in the spirit of Compressed3D / LN3Diff but
// fitted, not learned. K-means on surface samples gives K parts (mean, covariance, colour);
// the parts are put in a canonical order by an optimal assignment to a fixed 3D grid of
// anchors, so token i always describes "the part nearest anchor i" and a transformer with
// learned positions can denoise them. One extra token carries the object's real size.

#include "core/gaussian_cloud.h"

#include <glm/vec3.hpp>

#include <cstdint>
#include <vector>

namespace kiln::textgen {

inline constexpr int kTokenDim = 12;   // mean (3), symmetric square root of covariance (6), colour (3)

struct ShapeTokens {
    int parts = 0;
    std::vector<float> values;   // (parts + 1) x kTokenDim; the last row is the size token
};

// Surface points (any scale) with display (sRGB-encoded, 0..1) colours -> tokens. Deterministic.
ShapeTokens encodeShape(const std::vector<glm::vec3>& points, const std::vector<glm::vec3>& colours, int parts);

struct DecodeOptions {
    int childrenPerPart = 32;   // splats drawn from each part's Gaussian
    std::uint64_t seed = 0;
};

// Tokens -> a Gaussian cloud in metres (+Y up, resting on y = 0, centred on x/z), SH degree 0.
core::GaussianCloud decodeShape(const ShapeTokens& tokens, const DecodeOptions& options);

// Positions scaled into the unit cube the tokens use: centre of the bounds at the origin, the
// longest side 2. Used to compare shapes independent of their size.
std::vector<glm::vec3> normalisePoints(const std::vector<glm::vec3>& points);

// Every (size / count)-th point, at most `count`: an even thinning of area-ordered samples.
std::vector<glm::vec3> subsamplePoints(const std::vector<glm::vec3>& points, std::size_t count);

// Symmetric Chamfer distance (mean of the two mean nearest-neighbour distances); O(n m), for
// the small point sets of evaluation.
double chamfer(const std::vector<glm::vec3>& a, const std::vector<glm::vec3>& b);

// Optimal assignment (Hungarian / Kuhn-Munkres with potentials) of a square cost matrix,
// row-major n x n: result[row] = column.
std::vector<int> solveAssignment(const std::vector<double>& cost, int n);

// CIE L*a*b* (D65) of a linear RGB colour.
glm::vec3 linearRgbToLab(const glm::vec3& rgb);

} // namespace kiln::textgen
