#include "procgen/noise.h"

#include <glm/geometric.hpp>

#include <cmath>

namespace kiln::procgen {

namespace {

inline std::uint32_t hash3(std::int32_t x, std::int32_t y, std::int32_t z, std::uint32_t seed) {
    std::uint32_t h = seed + std::uint32_t(x) * 0x8DA6B343u + std::uint32_t(y) * 0xD8163841u + std::uint32_t(z) * 0xCB1AB31Fu;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    h *= 0x297A2D39u;
    h ^= h >> 15;
    return h;
}

// The 12 cube-edge gradients (Perlin 2002), padded to 16 with four repeats so a hash's low bits
// pick one without a modulo.
constexpr float kGrad[16][3] = {{1, 1, 0}, {-1, 1, 0}, {1, -1, 0}, {-1, -1, 0}, {1, 0, 1}, {-1, 0, 1}, {1, 0, -1}, {-1, 0, -1},
                                {0, 1, 1},  {0, -1, 1}, {0, 1, -1}, {0, -1, -1}, {1, 1, 0}, {-1, 1, 0}, {0, -1, 1}, {0, -1, -1}};

inline float grad(std::uint32_t h, float x, float y, float z) {
    const float* g = kGrad[h & 15u];
    return g[0] * x + g[1] * y + g[2] * z;
}

inline int fastFloor(float v) {
    const int i = int(v);
    return v < float(i) ? i - 1 : i;
}

inline float fade(float t) { return t * t * t * (t * (t * 6.0f - 15.0f) + 10.0f); }
inline float lerp(float a, float b, float t) { return a + (b - a) * t; }

} // namespace

float gradientNoise(const glm::vec3& p, std::uint32_t seed) {
    const std::int32_t x = fastFloor(p.x), y = fastFloor(p.y), z = fastFloor(p.z);
    const float dx = p.x - float(x), dy = p.y - float(y), dz = p.z - float(z);
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
    const std::int32_t x = fastFloor(p.x), y = fastFloor(p.y), z = fastFloor(p.z);
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
