#include "core/image.h"

namespace kiln::core {

Image Image::makeU8(int width, int height, int channels) {
    Image image;
    image.width = width;
    image.height = height;
    image.channels = channels;
    image.type = PixelType::U8;
    image.u8.assign(image.valueCount(), 0);
    return image;
}

Image Image::makeF32(int width, int height, int channels) {
    Image image;
    image.width = width;
    image.height = height;
    image.channels = channels;
    image.type = PixelType::F32;
    image.f32.assign(image.valueCount(), 0.0f);
    return image;
}

float Image::at(int x, int y, int c) const {
    const std::size_t i = (std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels) + std::size_t(c);
    return type == PixelType::U8 ? float(u8[i]) / 255.0f : f32[i];
}

} // namespace kiln::core
