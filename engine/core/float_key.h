#pragma once

// A float as an unsigned key in the float's order, for radix sorts of depths.

#include <cstdint>
#include <cstring>

namespace kiln::core {

// Negative floats below positive ones, each in numeric order (-0 just below +0): comparing the
// keys as unsigned integers compares the floats (NaN excepted).
inline std::uint32_t orderedKey(float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

} // namespace kiln::core
