#include "render/splat_tiles.h"

#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/mat3x3.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <thread>

namespace kiln::render {

SplatShape splatShape(const glm::vec4& q, const glm::vec3& logScale, float opacityLogit) {
    const glm::mat3 r = glm::mat3_cast(glm::normalize(glm::quat(q.x, q.y, q.z, q.w)));
    const glm::vec3 s = glm::exp(logScale);
    const glm::mat3 rs(r[0] * s.x, r[1] * s.y, r[2] * s.z);
    const glm::mat3 cov = rs * glm::transpose(rs);
    SplatShape shape{};
    shape.cov[0] = cov[0][0];
    shape.cov[1] = cov[1][0];
    shape.cov[2] = cov[2][0];
    shape.cov[3] = cov[1][1];
    shape.cov[4] = cov[2][1];
    shape.cov[5] = cov[2][2];
    const float opacity = 1.0f / (1.0f + std::exp(-opacityLogit));
    // alpha = opacity exp(-q/2) >= 1/255  <=>  q <= 2 ln(255 opacity); 2 % more for float differences.
    const float cutoff = 2.0f * std::log(255.0f * opacity);
    shape.sigmas = std::min(3.0f, std::sqrt(std::max(0.0f, cutoff)));
    shape.reach = cutoff * 1.02f + 0.01f;
    shape.opacity = opacity;
    return shape;
}

namespace {

// v^T cov u for the symmetric covariance.
float quadForm(const float* c, const glm::vec3& v, const glm::vec3& u) {
    return v.x * (c[0] * u.x + c[1] * u.y + c[2] * u.z) + v.y * (c[1] * u.x + c[3] * u.y + c[4] * u.z) + v.z * (c[2] * u.x + c[4] * u.y + c[5] * u.z);
}

} // namespace

bool projectSplat(const glm::vec4& pc, const SplatShape& shape, const glm::mat4& viewModel, float focalPixels, float znear, int width, int height,
                  SplatProjection& out) {
    const float depth = -pc.z;
    if (depth <= std::abs(znear)) return false;
    const float f = focalPixels;
    out.center = glm::vec2(f * pc.x / depth + 0.5f * float(width), -f * pc.y / depth + 0.5f * float(height));
    // Rows of the EWA Jacobian times the view rotation (splat_preprocess.comp's t = j * w).
    const glm::mat3 w(viewModel);
    const glm::vec3 row0(w[0][0], w[1][0], w[2][0]), row1(w[0][1], w[1][1], w[2][1]), row2(w[0][2], w[1][2], w[2][2]);
    const glm::vec3 t0 = (f / depth) * row0 + (f * pc.x / (depth * depth)) * row2;
    const glm::vec3 t1 = (-f / depth) * row1 - (f * pc.y / (depth * depth)) * row2;
    const float a = quadForm(shape.cov, t0, t0) + 0.3f, b = quadForm(shape.cov, t0, t1), c = quadForm(shape.cov, t1, t1) + 0.3f;
    const float det = a * c - b * b;
    if (det <= 0.0f) return false;
    const float k = shape.sigmas;
    if (k <= 0.0f) return false;
    const float mid = 0.5f * (a + c);
    const float disc = std::sqrt(std::max(0.0f, mid * mid - det));
    const float lambda1 = mid + disc, lambda2 = std::max(mid - disc, 1e-6f);
    const glm::vec2 axis1 = std::abs(b) > 1e-9f ? glm::normalize(glm::vec2(b, lambda1 - a)) : (a >= c ? glm::vec2(1, 0) : glm::vec2(0, 1));
    const glm::vec2 axis2(-axis1.y, axis1.x);
    out.conic = glm::vec3(c, -b, a) / det;
    out.axis1 = (k * std::sqrt(lambda1) + 1.0f) * axis1;
    out.axis2 = (k * std::sqrt(lambda2) + 1.0f) * axis2;
    return true;
}

namespace {

using Footprint = SplatTileBins::Footprint;

// The footprint of one splat; rect.x > rect.z when it draws nothing.
Footprint footprint(const glm::vec3& position, const SplatShape& shape, const SplatCamera& cam, int tilesX, int tilesY) {
    const Footprint none{glm::ivec4(1, 0, 0, 0), glm::vec2(0.0f), glm::vec3(0.0f), 0.0f, 0};
    SplatProjection p;
    if (!projectSplat(cam.viewModel * glm::vec4(position, 1.0f), shape, cam.viewModel, cam.focalPixels, cam.znear, cam.width, cam.height, p)) return none;
    // The quad's bounding box, a pixel wider for the float differences to the shader.
    const float hx = std::abs(p.axis1.x) + std::abs(p.axis2.x) + 1.0f;
    const float hy = std::abs(p.axis1.y) + std::abs(p.axis2.y) + 1.0f;
    if (!std::isfinite(p.center.x + p.center.y + hx + hy)) return none;
    const float tile = float(kSplatTile);
    const int x0 = std::max(0, int(std::floor((p.center.x - hx) / tile))), x1 = std::min(tilesX - 1, int(std::floor((p.center.x + hx) / tile)));
    const int y0 = std::max(0, int(std::floor((p.center.y - hy) / tile))), y1 = std::min(tilesY - 1, int(std::floor((p.center.y + hy) / tile)));
    if (x0 > x1 || y0 > y1) return none;
    return {glm::ivec4(x0, y0, x1, y1), p.center, p.conic, shape.reach, 0};
}

// Whether the ellipse reaches the tile: the minimum of d^T conic d over the tile's square.
bool reachesTile(const Footprint& f, int tx, int ty) {
    const float x0 = float(tx * kSplatTile) - f.center.x, x1 = x0 + float(kSplatTile);
    const float y0 = float(ty * kSplatTile) - f.center.y, y1 = y0 + float(kSplatTile);
    if (x0 <= 0.0f && x1 >= 0.0f && y0 <= 0.0f && y1 >= 0.0f) return true;  // the centre is inside
    const float a = f.conic.x, b = f.conic.y, c = f.conic.z;
    auto q = [&](float dx, float dy) { return a * dx * dx + 2.0f * b * dx * dy + c * dy * dy; };
    // On each edge the quadratic's minimum is at its vertex, clamped to the edge.
    float best = q(x0, std::clamp(-b * x0 / c, y0, y1));
    best = std::min(best, q(x1, std::clamp(-b * x1 / c, y0, y1)));
    best = std::min(best, q(std::clamp(-b * y0 / a, x0, x1), y0));
    best = std::min(best, q(std::clamp(-b * y1 / a, x0, x1), y1));
    return best <= f.reach;
}

} // namespace

std::size_t binSplatsToTiles(const std::vector<glm::vec3>& positions, const std::vector<SplatShape>& shapes, const std::uint32_t* backToFront,
                             std::size_t count, const SplatCamera& camera, SplatTileBins& bins) {
    bins.tilesX = (camera.width + kSplatTile - 1) / kSplatTile;
    bins.tilesY = (camera.height + kSplatTile - 1) / kSplatTile;
    const std::size_t tiles = std::size_t(bins.tilesX) * std::size_t(bins.tilesY);
    bins.footprints.resize(count);
    // Front to back: the reverse of the draw order. Two threads, each with a contiguous half of
    // the splats (the nearer half first), so each tile's entries stay front to back: a tile's
    // entries from the first half come before those from the second.
    const int threads = count >= 20000 ? 2 : 1;
    std::vector<std::vector<std::uint32_t>> counts(std::size_t(threads), std::vector<std::uint32_t>(tiles, 0));
    auto part = [&](int t) { return std::pair<std::size_t, std::size_t>(count * std::size_t(t) / std::size_t(threads), count * std::size_t(t + 1) / std::size_t(threads)); };
    // The counting pass tests each tile of a footprint's rectangle and keeps the answers in its
    // mask when the rectangle has at most 64 tiles; the filling pass reads them back.
    auto forEachTile = [&](Footprint& f, bool counting, auto&& fn) {
        const int w = f.rect.z - f.rect.x + 1, h = f.rect.w - f.rect.y + 1;
        if (w <= 0 || h <= 0) return;
        const bool masked = w * h <= 64;
        if (masked && !counting) {
            for (std::uint64_t m = f.mask; m != 0; m &= m - 1) {
                const int bit = std::countr_zero(m);
                fn(std::size_t(f.rect.y + bit / w) * std::size_t(bins.tilesX) + std::size_t(f.rect.x + bit % w));
            }
            return;
        }
        int bit = 0;
        for (int y = f.rect.y; y <= f.rect.w; ++y)
            for (int x = f.rect.x; x <= f.rect.z; ++x, ++bit)
                if (reachesTile(f, x, y)) {
                    if (masked) f.mask |= std::uint64_t(1) << bit;
                    fn(std::size_t(y) * std::size_t(bins.tilesX) + std::size_t(x));
                }
    };
    auto countPart = [&](int t) {
        const auto [from, to] = part(t);
        std::vector<std::uint32_t>& c = counts[std::size_t(t)];
        for (std::size_t i = from; i < to; ++i) {
            const std::uint32_t s = backToFront[count - 1 - i];
            bins.footprints[i] = footprint(positions[s], shapes[s], camera, bins.tilesX, bins.tilesY);
            forEachTile(bins.footprints[i], true, [&](std::size_t tile) { ++c[tile]; });
        }
    };
    auto run = [&](auto&& fn) {
        if (threads == 1) return fn(0);
        std::thread second([&] { fn(1); });
        fn(0);
        second.join();
    };
    run(countPart);
    bins.ranges.assign(tiles, glm::uvec2(0));
    std::uint32_t total = 0;
    for (std::size_t tile = 0; tile < tiles; ++tile) {
        bins.ranges[tile].x = total;
        for (int t = 0; t < threads; ++t) {
            const std::uint32_t n = counts[std::size_t(t)][tile];
            counts[std::size_t(t)][tile] = total;  // now this thread's cursor in the tile
            total += n;
        }
        bins.ranges[tile].y = total - bins.ranges[tile].x;
    }
    bins.entries.resize(total);
    auto fillPart = [&](int t) {
        const auto [from, to] = part(t);
        std::vector<std::uint32_t>& cursor = counts[std::size_t(t)];
        for (std::size_t i = from; i < to; ++i) {
            const std::uint32_t s = backToFront[count - 1 - i];
            forEachTile(bins.footprints[i], false, [&](std::size_t tile) { bins.entries[cursor[tile]++] = s; });
        }
    };
    run(fillPart);
    return total;
}

} // namespace kiln::render
