#include "procgen/noise.h"

#include <glm/geometric.hpp>

#include <cmath>

namespace kiln::procgen {

namespace {

inline std::uint32_t hash3(std::int32_t x, std::int32_t y, std::int32_t z, std::uint32_t seed) {
    std::uint32_t h = seed ^ 0x9E3779B9u;
    h ^= std::uint32_t(x) * 0x85EBCA6Bu;
    h = (h << 13) | (h >> 19);
    h ^= std::uint32_t(y) * 0xC2B2AE35u;
    h = (h << 13) | (h >> 19);
    h ^= std::uint32_t(z) * 0x27D4EB2Fu;
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    return h;
}

// One of the 12 cube-edge gradients (Perlin 2002), dotted with the offset.
inline float grad(std::uint32_t h, float x, float y, float z) {
    switch (h % 12u) {
    case 0: return x + y;
    case 1: return -x + y;
    case 2: return x - y;
    case 3: return -x - y;
    case 4: return x + z;
    case 5: return -x + z;
    case 6: return x - z;
    case 7: return -x - z;
    case 8: return y + z;
    case 9: return -y + z;
    case 10: return y - z;
    default: return -y - z;
    }
}

inline float fade(float t) { return t * t * t * (t * (t * 6.0f - 15.0f) + 10.0f); }
inline float lerp(float a, float b, float t) { return a + (b - a) * t; }

} // namespace

float gradientNoise(const glm::vec3& p, std::uint32_t seed) {
    const float fx = std::floor(p.x), fy = std::floor(p.y), fz = std::floor(p.z);
    const std::int32_t x = std::int32_t(fx), y = std::int32_t(fy), z = std::int32_t(fz);
    const float dx = p.x - fx, dy = p.y - fy, dz = p.z - fz;
    const float u = fade(dx), v = fade(dy), w = fade(dz);
    const float n000 = grad(hash3(x, y, z, seed), dx, dy, dz);
    const float n100 = grad(hash3(x + 1, y, z, seed), dx - 1, dy, dz);
    const float n010 = grad(hash3(x, y + 1, z, seed), dx, dy - 1, dz);
    const float n110 = grad(hash3(x + 1, y + 1, z, seed), dx - 1, dy - 1, dz);
    const float n001 = grad(hash3(x, y, z + 1, seed), dx, dy, dz - 1);
    const float n101 = grad(hash3(x + 1, y, z + 1, seed), dx - 1, dy, dz - 1);
    const float n011 = grad(hash3(x, y + 1, z + 1, seed), dx, dy - 1, dz - 1);
    const float n111 = grad(hash3(x + 1, y + 1, z + 1, seed), dx - 1, dy - 1, dz - 1);
    return lerp(lerp(lerp(n000, n100, u), lerp(n010, n110, u), v), lerp(lerp(n001, n101, u), lerp(n011, n111, u), v), w);
}

float fbm(const glm::vec3& p, int octaves, std::uint32_t seed) {
    float sum = 0.0f, amp = 0.5f, norm = 0.0f;
    glm::vec3 q = p;
    for (int i = 0; i < octaves; ++i) {
        sum += amp * gradientNoise(q, seed + std::uint32_t(i) * 1013u);
        norm += amp;
        amp *= 0.5f;
        q = q * 2.03f + glm::vec3(17.1f, 5.3f, 11.7f);
    }
    return sum / norm;
}

float cellular(const glm::vec3& p, std::uint32_t seed) {
    const std::int32_t x = std::int32_t(std::floor(p.x)), y = std::int32_t(std::floor(p.y)), z = std::int32_t(std::floor(p.z));
    float best = 1e9f;
    for (int k = -1; k <= 1; ++k)
        for (int j = -1; j <= 1; ++j)
            for (int i = -1; i <= 1; ++i) {
                const std::uint32_t h = hash3(x + i, y + j, z + k, seed);
                const glm::vec3 feature(float(x + i) + float(h & 1023u) / 1023.0f, float(y + j) + float((h >> 10) & 1023u) / 1023.0f,
                                        float(z + k) + float((h >> 20) & 1023u) / 1023.0f);
                const glm::vec3 d = feature - p;
                best = std::min(best, glm::dot(d, d));
            }
    return std::min(1.0f, std::sqrt(best));
}

} // namespace kiln::procgen
