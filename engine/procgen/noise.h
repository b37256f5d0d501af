#pragma once

// Solid noise for procedural materials: gradient noise (Perlin 2002, "Improving Noise"), its
// fractal sum, and cellular noise (Worley 1996). Deterministic for a seed, platform-independent.

#include <glm/vec3.hpp>

#include <cstdint>

namespace kiln::procgen {

// Gradient noise in about [-1, 1], 0 at lattice points.
float gradientNoise(const glm::vec3& p, std::uint32_t seed);
// Fractal sum of `octaves` gradient noises (lacunarity 2, gain 0.5), about [-1, 1].
float fbm(const glm::vec3& p, int octaves, std::uint32_t seed);
// Distance to the nearest feature point of a jittered unit grid (F1), about [0, 1].
float cellular(const glm::vec3& p, std::uint32_t seed);

} // namespace kiln::procgen
