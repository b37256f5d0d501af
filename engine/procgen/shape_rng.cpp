#include "procgen/shape_rng.h"

#include <algorithm>
#include <cmath>

namespace kiln::procgen {

std::uint64_t mix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::uint64_t ShapeRng::next() {
    m_state += 0x9E3779B97F4A7C15ull;
    return mix64(m_state);
}

float ShapeRng::uniform01() { return float(next() >> 40) * (1.0f / 16777216.0f); }

int ShapeRng::range(int lo, int hi) { return lo + int(next() % std::uint64_t(hi - lo + 1)); }

float Knobs::draw(const std::string& name) {
    float t = m_rng.uniform01();
    if (m_overrides)
        if (const auto it = m_overrides->find(name); it != m_overrides->end()) t = it->second;
    m_drawn[name] = t;
    return t;
}

float Knobs::range(const std::string& name, float lo, float hi) { return lo + (hi - lo) * draw(name); }

int Knobs::count(const std::string& name, int lo, int hi) {
    const float t = draw(name);
    return std::clamp(lo + int(std::floor(t * float(hi - lo + 1))), lo, hi);
}

bool Knobs::flag(const std::string& name, float probability) { return draw(name) < probability; }

float Knobs::position(const std::string& name) const {
    const auto it = m_drawn.find(name);
    return it == m_drawn.end() ? -1.0f : it->second;
}

} // namespace kiln::procgen
