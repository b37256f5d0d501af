#pragma once

// Deterministic randomness for procedural shapes, and the named proportions ("knobs") a shape is
// made of, so an edit can change one of them and leave everything else as it was.

#include <cstdint>
#include <map>
#include <string>

namespace kiln::procgen {

std::uint64_t mix64(std::uint64_t x);  // SplitMix64 finaliser

// Platform-independent random numbers (std:: distributions differ between standard libraries;
// the dataset must not).
class ShapeRng {
public:
    explicit ShapeRng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next();
    float uniform01();
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform01(); }
    int range(int lo, int hi);  // [lo, hi] inclusive
    bool chance(float p) { return uniform01() < p; }

private:
    std::uint64_t m_state;
};

// Named proportions. Every call draws from the RNG in program order, whether or not the value is
// overridden, so overriding one knob (an edit: "longer legs") leaves every other knob unchanged.
// An override is the position in the knob's range (0 = lo, 1 = hi); it may lie outside [0, 1]
// for "longer than usual". drawn() records every knob's position for captions ("tall").
class Knobs {
public:
    Knobs(std::uint64_t seed, const std::map<std::string, float>* overrides = nullptr) : m_rng(seed), m_overrides(overrides) {}

    float range(const std::string& name, float lo, float hi);
    int count(const std::string& name, int lo, int hi);
    bool flag(const std::string& name, float probability);
    // The recorded position of a knob in its range (0..1), or -1 when it was never drawn.
    float position(const std::string& name) const;
    const std::map<std::string, float>& drawn() const { return m_drawn; }
    // Unnamed randomness (noise seeds, jitter) that no edit changes.
    ShapeRng& rng() { return m_rng; }

private:
    float draw(const std::string& name);
    ShapeRng m_rng;
    const std::map<std::string, float>* m_overrides;
    std::map<std::string, float> m_drawn;
};

} // namespace kiln::procgen
