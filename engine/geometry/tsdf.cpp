#include "geometry/tsdf.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/marching_cubes.h"

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace kiln::geometry {

namespace {

// sRGB decoding (IEC 61966-2-1) of the 256 8-bit levels.
const std::array<float, 256>& srgbToLinearTable() {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (int i = 0; i < 256; ++i) {
            t[std::size_t(i)] = core::linearFromSrgb(float(i) / 255.0f);
        }
        return t;
    }();
    return table;
}

// Past this weight a voxel keeps averaging with a fixed step, so it can still follow new views.
constexpr float kMaxWeight = 1024.0f;

} // namespace

TsdfVolume::TsdfVolume(const core::Bounds& bounds, int resolution, float truncation) {
    const glm::vec3 extent = bounds.size();
    if (!bounds.valid || !(extent.x > 0.0f && extent.y > 0.0f && extent.z > 0.0f) || !std::isfinite(extent.x + extent.y + extent.z))
        throw Error("TSDF volume: bounds are empty or not finite");
    if (resolution < 2 || resolution > 1024)
        throw Error("TSDF volume: resolution " + std::to_string(resolution) + " is outside [2, 1024]");
    const float longest = std::max({extent.x, extent.y, extent.z});
    m_voxel = longest / float(resolution - 1);
    if (!(truncation >= m_voxel) || !std::isfinite(truncation))
        throw Error("TSDF volume: truncation " + std::to_string(truncation) + " must be at least one voxel (" + std::to_string(m_voxel) +
                    ")");
    m_truncation = truncation;
    for (int a = 0; a < 3; ++a) m_dims[a] = std::max(2, int(std::ceil(extent[a] / m_voxel - 1e-3f)) + 1);
    m_bounds.valid = true;
    m_bounds.min = bounds.min;
    m_bounds.max = bounds.min + glm::vec3(m_dims - 1) * m_voxel;
    const std::size_t n = std::size_t(m_dims.x) * std::size_t(m_dims.y) * std::size_t(m_dims.z);
    m_tsdf.assign(n, 1.0f);
    m_weight.assign(n, 0.0f);
    m_color.assign(n * 3, 0);
    m_colorWeight.assign(n, 0);
}

void TsdfVolume::integrate(const core::Image& depth, const core::Image& color, const core::Camera& camera, float fx, float fy, float cx,
                           float cy) {
    if (depth.empty() || depth.type != core::PixelType::F32)
        throw Error("TSDF integrate: depth map must be a float image (got " + std::string(depth.empty() ? "an empty image" : "8-bit") + ")");
    const bool useColor = !color.empty();
    if (useColor) {
        if (color.type != core::PixelType::U8 || color.channels < 3)
            throw Error("TSDF integrate: colour image must be 8-bit RGB or RGBA");
        if (color.width != depth.width || color.height != depth.height)
            throw Error("TSDF integrate: colour image is " + std::to_string(color.width) + "x" + std::to_string(color.height) +
                        " but the depth map is " + std::to_string(depth.width) + "x" + std::to_string(depth.height));
    }
    if (!(fx > 0.0f && fy > 0.0f) || !std::isfinite(fx + fy + cx + cy)) throw Error("TSDF integrate: camera intrinsics are not valid");
    const glm::mat4 view = camera.view();
    for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 4; ++r)
            if (!std::isfinite(view[c][r])) throw Error("TSDF integrate: camera pose is not invertible");

    const auto& toLinear = srgbToLinearTable();
    const int w = depth.width, h = depth.height;
    const std::size_t dch = std::size_t(depth.channels), cch = useColor ? std::size_t(color.channels) : 0;
    const glm::vec3 stepX = glm::vec3(view[0]) * m_voxel;
    const float invTrunc = 1.0f / m_truncation;
    const float colorBand = m_truncation + 2.0f * m_voxel;

    auto slab = [&](int zBegin, int zEnd) {
        for (int z = zBegin; z < zEnd; ++z)
            for (int y = 0; y < m_dims.y; ++y) {
                const glm::vec3 rowStart = m_bounds.min + glm::vec3(0.0f, float(y), float(z)) * m_voxel;
                glm::vec3 pc = glm::vec3(view * glm::vec4(rowStart, 1.0f));
                std::size_t voxel = (std::size_t(z) * std::size_t(m_dims.y) + std::size_t(y)) * std::size_t(m_dims.x);
                for (int x = 0; x < m_dims.x; ++x, ++voxel, pc += stepX) {
                    const float d = -pc.z;
                    if (d <= 0.0f) continue;
                    const float u = fx * pc.x / d + cx, v = -fy * pc.y / d + cy;
                    if (!(u >= 0.0f && v >= 0.0f && u < float(w) && v < float(h))) continue;
                    const std::size_t pixel = std::size_t(int(v)) * std::size_t(w) + std::size_t(int(u));
                    const float measured = depth.f32[pixel * dch];
                    if (!(measured > 0.0f) || !std::isfinite(measured)) continue;
                    // Projective distance along the view axis: positive in front of the surface.
                    const float sdf = measured - d;
                    if (sdf < -m_truncation) continue;  // occluded: behind the surface, nothing known
                    const float tsdf = std::min(1.0f, sdf * invTrunc);
                    const float oldW = m_weight[voxel];
                    const float newW = std::min(oldW + 1.0f, kMaxWeight);
                    const float blend = 1.0f / (oldW >= kMaxWeight ? kMaxWeight : oldW + 1.0f);
                    m_tsdf[voxel] += (tsdf - m_tsdf[voxel]) * blend;
                    m_weight[voxel] = newW;
                    // Colour only near the surface (the band plus the voxel diagonal that marching cubes
                    // interpolates across); far in front, the pixel shows whatever lies behind the voxel.
                    if (useColor && sdf < colorBand) {
                        const std::uint8_t* px = &color.u8[pixel * cch];
                        std::uint16_t* dst = &m_color[voxel * 3];
                        std::uint16_t& cw = m_colorWeight[voxel];
                        const float colorBlend = 1.0f / float(std::min<int>(cw + 1, int(kMaxWeight)));
                        for (int ch = 0; ch < 3; ++ch) {
                            const float old = float(dst[ch]);
                            const float target = toLinear[px[ch]] * 65535.0f;
                            dst[ch] = std::uint16_t(std::clamp(old + (target - old) * colorBlend + 0.5f, 0.0f, 65535.0f));
                        }
                        cw = std::uint16_t(std::min<int>(cw + 1, int(kMaxWeight)));
                    }
                }
            }
    };
    // Voxels are independent within one view: split the grid into z slabs, one per thread.
    const int threads = int(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1u, 8u));
    const int per = (m_dims.z + threads - 1) / threads;
    {
        std::vector<std::jthread> pool;
        for (int t = 1; t < threads && t * per < m_dims.z; ++t) pool.emplace_back(slab, t * per, std::min(m_dims.z, (t + 1) * per));
        slab(0, std::min(m_dims.z, per));
    }
    m_hasColor = m_hasColor || useColor;
    ++m_views;
}

core::Mesh TsdfVolume::extractMesh() const {
    const std::size_t n = m_tsdf.size();
    std::vector<float> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = m_weight[i] > 0.0f ? m_tsdf[i] : std::numeric_limits<float>::quiet_NaN();
    std::vector<glm::vec3> colors;
    if (m_hasColor) {
        colors.resize(n);
        for (std::size_t i = 0; i < n; ++i)
            colors[i] = glm::vec3(m_color[i * 3], m_color[i * 3 + 1], m_color[i * 3 + 2]) * (1.0f / 65535.0f);
        // A near-surface voxel no view coloured (only seen from far in front) borrows its
        // neighbours' colour rather than pulling black into the interpolation.
        const std::size_t strides[3] = {1, std::size_t(m_dims.x), std::size_t(m_dims.x) * std::size_t(m_dims.y)};
        for (int z = 0; z < m_dims.z; ++z)
            for (int y = 0; y < m_dims.y; ++y)
                for (int x = 0; x < m_dims.x; ++x) {
                    const std::size_t i = (std::size_t(z) * std::size_t(m_dims.y) + std::size_t(y)) * std::size_t(m_dims.x) + std::size_t(x);
                    if (m_colorWeight[i] > 0 || !(m_weight[i] > 0.0f) || std::abs(m_tsdf[i]) >= 1.0f) continue;
                    const int p[3] = {x, y, z};
                    glm::vec3 sum(0.0f);
                    int count = 0;
                    for (int a = 0; a < 3; ++a)
                        for (int s = -1; s <= 1; s += 2) {
                            const int q = p[a] + s;
                            if (q < 0 || q >= m_dims[a]) continue;
                            const std::size_t j = s < 0 ? i - strides[a] : i + strides[a];
                            if (m_colorWeight[j] == 0) continue;
                            sum += glm::vec3(m_color[j * 3], m_color[j * 3 + 1], m_color[j * 3 + 2]) * (1.0f / 65535.0f);
                            ++count;
                        }
                    if (count > 0) colors[i] = sum / float(count);
                }
    }
    return marchingCubes(values, m_dims, m_bounds, 0.0f, m_hasColor ? &colors : nullptr, IsoSide::Below);
}

} // namespace kiln::geometry
