#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kiln::core {

enum class PixelType : std::uint8_t { U8, F32 };

// A 2D image of any channel count, 8-bit or float, rows top to bottom, channels interleaved.
struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    PixelType type = PixelType::U8;
    std::vector<std::uint8_t> u8;  // used when type == U8
    std::vector<float> f32;        // used when type == F32

    static Image makeU8(int width, int height, int channels);
    static Image makeF32(int width, int height, int channels);

    bool empty() const { return width <= 0 || height <= 0 || channels <= 0; }
    std::size_t pixelCount() const { return std::size_t(width) * std::size_t(height); }
    std::size_t valueCount() const { return pixelCount() * std::size_t(channels); }

    // Value at (x, y, c) as float; 8-bit values map to [0, 1].
    float at(int x, int y, int c) const;
};

} // namespace kiln::core
