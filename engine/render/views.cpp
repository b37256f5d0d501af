#include "render/views.h"

#include "core/error.h"
#include "render/orbit_camera.h"

#include <cmath>
#include <cstring>
#include <numbers>

namespace kiln::render {

std::vector<core::Camera> orbitViews(const core::Bounds& bounds, int count, float pitch, float aspect, float yawOffset, float fovY) {
    if (count < 1 || count > 4096) throw Error("view count " + std::to_string(count) + " is out of range (1..4096)");
    std::vector<core::Camera> cameras;
    OrbitCamera orbit;
    orbit.setFovY(fovY);
    for (int i = 0; i < count; ++i) {
        const float yaw = yawOffset + 2.0f * std::numbers::pi_v<float> * float(i) / float(count);
        orbit.setAngles(yaw, pitch);
        orbit.frame(bounds, aspect);
        cameras.push_back(orbit.toCamera());
    }
    return cameras;
}

core::Image composeGrid(const std::vector<core::Image>& images, int columns) {
    if (images.empty()) throw Error("no images to tile");
    const core::Image& first = images.front();
    for (const auto& img : images)
        if (img.width != first.width || img.height != first.height || img.channels != first.channels || img.type != core::PixelType::U8)
            throw Error("grid tiles must be 8-bit images of one size");
    columns = std::max(1, std::min(columns, int(images.size())));
    const int rows = (int(images.size()) + columns - 1) / columns;
    core::Image out = core::Image::makeU8(first.width * columns, first.height * rows, first.channels);
    const std::size_t rowBytes = std::size_t(first.width) * std::size_t(first.channels);
    for (std::size_t i = 0; i < images.size(); ++i) {
        const int cx = int(i) % columns, cy = int(i) / columns;
        for (int y = 0; y < first.height; ++y) {
            const std::size_t dst = (std::size_t(cy * first.height + y) * std::size_t(out.width) + std::size_t(cx * first.width)) * std::size_t(first.channels);
            std::memcpy(out.u8.data() + dst, images[i].u8.data() + std::size_t(y) * rowBytes, rowBytes);
        }
    }
    return out;
}

} // namespace kiln::render
