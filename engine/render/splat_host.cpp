#include "render/splat_host.h"

#include "core/sh_basis.h"
#include "core/simd_exp.h"

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kiln::render {

namespace {

using Record = HostSplatRasterizer::Record;

constexpr float kMinAlpha = 1.0f / 255.0f;
constexpr float kMaxAlpha = 0.99f;
constexpr float kDoneTransmittance = 1e-4f;
constexpr int kTilePixels = kHostTile * kHostTile;

// splat_preprocess.comp for one splat; false when it culls it. `rect` gets the pixels whose
// centres the quad's bounding box holds, clipped to the image.
bool project(const glm::vec3& position, const SplatShape& shape, float opacity, const float* sh, int coeffs, int degree, const glm::mat4& viewModel,
             const glm::mat4& model, const HostSplatView& v, float znear, Record& r, glm::ivec4& rect) {
    const glm::vec4 pc = viewModel * glm::vec4(position, 1.0f);
    const glm::vec4 clip = v.proj * pc;
    if (clip.z / clip.w > 1.0f) return false;  // beyond the far plane: splat_tiles.comp's depth test against the cleared depth
    SplatProjection sp;
    if (!projectSplat(pc, shape, viewModel, v.focalPixels, znear, v.width, v.height, sp)) return false;
    const glm::vec2 center = sp.center, a1 = sp.axis1, a2 = sp.axis2;
    const float hx = std::abs(a1.x) + std::abs(a2.x), hy = std::abs(a1.y) + std::abs(a2.y);
    if (!std::isfinite(center.x + center.y + hx + hy)) return false;
    // Pixel x's centre is x + 0.5.
    rect = glm::ivec4(std::max(0, int(std::ceil(center.x - hx - 0.5f))), std::max(0, int(std::ceil(center.y - hy - 0.5f))),
                      std::min(v.width - 1, int(std::floor(center.x + hx - 0.5f))), std::min(v.height - 1, int(std::floor(center.y + hy - 0.5f))));
    if (rect.x > rect.z || rect.y > rect.w) return false;
    // Colour from the view direction (splat_preprocess.comp's shColor).
    const glm::vec3 world(model * glm::vec4(position, 1.0f));
    const glm::vec3 dir = glm::normalize(world - v.cameraPos);
    float basis[16];
    core::shBasis(dir.x, dir.y, dir.z, basis);
    const int used = std::min(coeffs, (degree + 1) * (degree + 1));
    float rgb[3] = {0.5f, 0.5f, 0.5f};
    for (int i = 0; i < used; ++i)
        for (int ch = 0; ch < 3; ++ch) rgb[ch] += basis[i] * sh[i * 3 + ch];
    r.u = center.x;
    r.v = center.y;
    r.ca = sp.conic.x;
    r.cb = sp.conic.y;
    r.cc = sp.conic.z;
    r.opacity = opacity;
    r.r = std::max(rgb[0], 0.0f);
    r.g = std::max(rgb[1], 0.0f);
    r.b = std::max(rgb[2], 0.0f);
    r.a1x = a1.x;
    r.a1y = a1.y;
    r.a2x = a2.x;
    r.a2y = a2.y;
    r.a1len2 = glm::dot(a1, a1);
    r.a2len2 = glm::dot(a2, a2);
    r.reach = shape.reach;
    return true;
}

// The tile-local pixels [x0, x1] of row y (tile-local) that the splat's ellipse of alpha >= 1/255
// (with SplatShape::reach's margin) can reach, within `rect`; x0 > x1 when none.
inline std::pair<int, int> rowSpan(const Record& s, const glm::ivec4& rect, int tx0, float dy) {
    // q = ca dx^2 + 2 cb dx dy + cc dy^2 <= reach, a quadratic in dx.
    const float half = s.cb * dy;
    const float disc = half * half - s.ca * (s.cc * dy * dy - s.reach);
    if (!(disc >= 0.0f)) return {1, 0};
    const float root = std::sqrt(disc);
    const float base = s.u - 0.5f - float(tx0);
    const int x0 = std::max(rect.x, int(std::ceil(base + (-half - root) / s.ca)));
    const int x1 = std::min(rect.z, int(std::floor(base + (-half + root) / s.ca)));
    return {x0, x1};
}

// One tile's pixels while a cloud blends into it.
struct TileAccum {
    alignas(32) float r[kTilePixels], g[kTilePixels], b[kTilePixels], t[kTilePixels];
    void reset() {
        std::fill(std::begin(r), std::end(r), 0.0f);
        std::fill(std::begin(g), std::end(g), 0.0f);
        std::fill(std::begin(b), std::end(b), 0.0f);
        std::fill(std::begin(t), std::end(t), 1.0f);
    }
};

// splat_tiles.comp's loop body for one splat over the pixels of `rect` (tile-local, inclusive)
// in the tile at (tx0, ty0); the scalar version.
void blendScalar(const Record& s, const glm::ivec4& rect, int tx0, int ty0, TileAccum& acc) {
    for (int y = rect.y; y <= rect.w; ++y) {
        const float dy = float(ty0 + y) + 0.5f - s.v;
        const auto [x0, x1] = rowSpan(s, rect, tx0, dy);
        for (int x = x0; x <= x1; ++x) {
            const int i = y * kHostTile + x;
            if (acc.t[i] < kDoneTransmittance) continue;
            const float dx = float(tx0 + x) + 0.5f - s.u;
            const float power = -0.5f * (s.ca * dx * dx + s.cc * dy * dy) - s.cb * dx * dy;
            const float alpha = std::min(kMaxAlpha, s.opacity * std::exp(power));
            if (power > 0.0f || alpha < kMinAlpha) continue;
            if (std::abs(dx * s.a1x + dy * s.a1y) > s.a1len2 || std::abs(dx * s.a2x + dy * s.a2y) > s.a2len2) continue;
            const float w = acc.t[i] * alpha;
            acc.r[i] += w * s.r;
            acc.g[i] += w * s.g;
            acc.b[i] += w * s.b;
            acc.t[i] *= 1.0f - alpha;
        }
    }
}

#if defined(__x86_64__)
// The same, eight pixels of a row at a time (the tile's two halves).
__attribute__((target("avx2,fma"))) void blendAvx2(const Record& s, const glm::ivec4& rect, int tx0, int ty0, TileAccum& acc) {
    const __m256 lane = _mm256_setr_ps(0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f);
    const __m256 ca = _mm256_set1_ps(-0.5f * s.ca), cc = _mm256_set1_ps(-0.5f * s.cc), cb = _mm256_set1_ps(-s.cb);
    const __m256 opacity = _mm256_set1_ps(s.opacity), maxAlpha = _mm256_set1_ps(kMaxAlpha), minAlpha = _mm256_set1_ps(kMinAlpha);
    const __m256 a1x = _mm256_set1_ps(s.a1x), a1y = _mm256_set1_ps(s.a1y), a2x = _mm256_set1_ps(s.a2x), a2y = _mm256_set1_ps(s.a2y);
    const __m256 a1len2 = _mm256_set1_ps(s.a1len2), a2len2 = _mm256_set1_ps(s.a2len2);
    const __m256 cr = _mm256_set1_ps(s.r), cg = _mm256_set1_ps(s.g), cbl = _mm256_set1_ps(s.b);
    const __m256 done = _mm256_set1_ps(kDoneTransmittance), zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int y = rect.y; y <= rect.w; ++y) {
        const float dyf = float(ty0 + y) + 0.5f - s.v;
        const auto [x0, x1] = rowSpan(s, rect, tx0, dyf);
        if (x0 > x1) continue;
        const int h0 = x0 / 8, h1 = x1 / 8;
        const __m256 dy = _mm256_set1_ps(dyf);
        const __m256 dyy = _mm256_mul_ps(cc, _mm256_mul_ps(dy, dy));
        const __m256 d1y = _mm256_mul_ps(dy, a1y), d2y = _mm256_mul_ps(dy, a2y);
        for (int h = h0; h <= h1; ++h) {
            const int i = y * kHostTile + h * 8;
            const __m256 t = _mm256_load_ps(acc.t + i);
            const __m256 dx = _mm256_add_ps(lane, _mm256_set1_ps(float(tx0 + h * 8) - s.u));
            // power = -0.5 (ca dx^2 + cc dy^2) - cb dx dy
            const __m256 power = _mm256_fmadd_ps(_mm256_mul_ps(cb, dx), dy, _mm256_fmadd_ps(ca, _mm256_mul_ps(dx, dx), dyy));
            const __m256 alpha = _mm256_min_ps(maxAlpha, _mm256_mul_ps(opacity, core::exp256(power)));
            __m256 keep = _mm256_and_ps(_mm256_cmp_ps(power, zero, _CMP_LE_OQ), _mm256_cmp_ps(alpha, minAlpha, _CMP_GE_OQ));
            keep = _mm256_and_ps(keep, _mm256_cmp_ps(t, done, _CMP_GE_OQ));
            const __m256 p1 = _mm256_and_ps(_mm256_fmadd_ps(dx, a1x, d1y), absMask), p2 = _mm256_and_ps(_mm256_fmadd_ps(dx, a2x, d2y), absMask);
            keep = _mm256_and_ps(keep, _mm256_and_ps(_mm256_cmp_ps(p1, a1len2, _CMP_LE_OQ), _mm256_cmp_ps(p2, a2len2, _CMP_LE_OQ)));
            if (_mm256_testz_ps(keep, keep)) continue;
            const __m256 a = _mm256_and_ps(alpha, keep);
            const __m256 w = _mm256_mul_ps(t, a);
            _mm256_store_ps(acc.r + i, _mm256_fmadd_ps(w, cr, _mm256_load_ps(acc.r + i)));
            _mm256_store_ps(acc.g + i, _mm256_fmadd_ps(w, cg, _mm256_load_ps(acc.g + i)));
            _mm256_store_ps(acc.b + i, _mm256_fmadd_ps(w, cbl, _mm256_load_ps(acc.b + i)));
            _mm256_store_ps(acc.t + i, _mm256_mul_ps(t, _mm256_sub_ps(one, a)));
        }
    }
}

std::atomic<bool> g_forceScalar{false};

bool haveAvx2() { return core::cpuHasAvx2Fma() && !g_forceScalar.load(); }
#else
std::atomic<bool> g_forceScalar{false};
bool haveAvx2() { return false; }
#endif

} // namespace

bool HostSplatRasterizer::vectorized() { return haveAvx2(); }

void HostSplatRasterizer::forceScalar(bool on) { g_forceScalar.store(on); }

std::size_t HostSplatRasterizer::draw(const std::vector<HostSplatCloud>& clouds, const HostSplatView& view, glm::vec4* out, int threads) {
    const int tilesX = (view.width + kHostTile - 1) / kHostTile, tilesY = (view.height + kHostTile - 1) / kHostTile;
    const std::size_t tiles = std::size_t(tilesX) * std::size_t(tilesY);
    const int workers = std::max(1, threads > 0 ? threads : int(std::thread::hardware_concurrency()));
    const float znear = view.proj[3][2] / view.proj[2][2];  // as splat_preprocess.comp recovers it
    if (m_clouds.size() < clouds.size()) m_clouds.resize(clouds.size());
    const bool simd = haveAvx2();

    // Runs fn(worker) on `workers` threads, this one included.
    auto parallel = [&](auto&& fn) {
        std::vector<std::thread> pool;
        for (int w = 1; w < workers; ++w) pool.emplace_back(fn, w);
        fn(0);
        for (std::thread& t : pool) t.join();
    };

    // Project and bin each cloud. The front-to-back order is cut into one chunk per worker; the
    // projection runs in upload order and counts each splat under its chunk, and the fill gives
    // each worker one chunk, so each tile's entries (chunk after chunk) stay front to back.
    std::size_t entries = 0;
    for (std::size_t ci = 0; ci < clouds.size(); ++ci) {
        const HostSplatCloud& hc = clouds[ci];
        CloudScratch& cs = m_clouds[ci];
        const std::size_t n = hc.count;
        cs.records.resize(n);
        cs.rects.resize(n);
        cs.where.resize(n);
        const std::size_t lanes = std::size_t(workers);
        // counts[thread][chunk][tile]: splats of front-to-back chunk `chunk` projected by `thread`.
        cs.counts.assign(lanes * lanes * tiles, 0);
        const glm::mat4 viewModel = view.view * hc.model;
        const int coeffs = hc.cloud->coeffCount();
        auto chunk = [&](std::size_t w) { return std::pair<std::size_t, std::size_t>(n * w / lanes, n * (w + 1) / lanes); };
        auto chunkOf = [&](std::size_t p) {
            std::size_t c = std::min(lanes - 1, p * lanes / std::max<std::size_t>(n, 1));
            while (c > 0 && p < chunk(c).first) --c;
            while (p >= chunk(c).second) ++c;
            return c;
        };
        // Where each upload index stands front to back.
        parallel([&](int w) {
            const auto [begin, end] = chunk(std::size_t(w));
            for (std::size_t p = begin; p < end; ++p) cs.where[hc.backToFront[n - 1 - p]] = std::uint32_t(p);
        });
        // Project in upload order (the splats' data streams through the cache; in depth order every
        // splat was a cache miss: 1M splats took 4x longer), each record to its front-to-back place.
        parallel([&](int w) {
            const auto [begin, end] = chunk(std::size_t(w));
            std::uint32_t* counts = cs.counts.data() + std::size_t(w) * lanes * tiles;
            const bool packed = hc.packed != nullptr;
            for (std::size_t j = begin; j < end; ++j) {
                if (j + 16 < end) {
                    // The records are written in depth order: fetch their lines ahead.
                    __builtin_prefetch(&cs.records[cs.where[j + 16]], 1);
                    __builtin_prefetch(&cs.rects[cs.where[j + 16]], 1);
                }
                const std::uint32_t p = cs.where[j];
                glm::ivec4& rect = cs.rects[p];
                const SplatShape& shape = (*hc.shapes)[j];
                const glm::vec3 position = packed ? glm::vec3(hc.packed[j].positionOpacity) : (*hc.positions)[j];
                const float* sh = packed ? hc.packed[j].sh : hc.cloud->sh.data() + std::size_t(hc.lod[j]) * std::size_t(coeffs) * 3;
                if (!project(position, shape, shape.opacity, sh, packed ? 16 : coeffs, hc.cloud->shDegree, viewModel, hc.model, view, znear,
                             cs.records[p], rect)) {
                    rect = glm::ivec4(1, 0, 0, 0);
                    continue;
                }
                std::uint32_t* c = counts + chunkOf(p) * tiles;
                for (int ty = rect.y / kHostTile; ty <= rect.w / kHostTile; ++ty)
                    for (int tx = rect.x / kHostTile; tx <= rect.z / kHostTile; ++tx) ++c[std::size_t(ty) * std::size_t(tilesX) + std::size_t(tx)];
            }
        });
        // Offsets: tile by tile, chunk by chunk; counts[0][chunk] becomes the chunk's write cursor.
        cs.tileStart.resize(tiles + 1);
        std::uint32_t total = 0;
        for (std::size_t t = 0; t < tiles; ++t) {
            cs.tileStart[t] = total;
            for (std::size_t c = 0; c < lanes; ++c) {
                std::uint32_t here = 0;
                for (std::size_t w = 0; w < lanes; ++w) here += cs.counts[(w * lanes + c) * tiles + t];
                cs.counts[c * tiles + t] = total;
                total += here;
            }
        }
        cs.tileStart[tiles] = total;
        cs.entries.resize(total);
        // Fill: each thread one front-to-back chunk, so each tile's entries stay front to back.
        parallel([&](int w) {
            const auto [begin, end] = chunk(std::size_t(w));
            std::uint32_t* cursor = cs.counts.data() + std::size_t(w) * tiles;
            for (std::size_t p = begin; p < end; ++p) {
                const glm::ivec4& rect = cs.rects[p];
                if (rect.x > rect.z) continue;
                for (int ty = rect.y / kHostTile; ty <= rect.w / kHostTile; ++ty)
                    for (int tx = rect.x / kHostTile; tx <= rect.z / kHostTile; ++tx)
                        cs.entries[cursor[std::size_t(ty) * std::size_t(tilesX) + std::size_t(tx)]++] = std::uint32_t(p);
            }
        });
        entries += total;
    }

    // Only the tiles some splat reaches are blended and written.
    m_covered.clear();
    for (std::size_t t = 0; t < tiles; ++t)
        for (std::size_t ci = 0; ci < clouds.size(); ++ci)
            if (m_clouds[ci].tileStart[t] != m_clouds[ci].tileStart[t + 1]) {
                m_covered.push_back(std::uint32_t(t % std::size_t(tilesX)) | std::uint32_t(t / std::size_t(tilesX)) << 16);
                break;
            }
    // Blend: workers take tiles in turn; each cloud over the ones before it.
    std::atomic<std::size_t> next{0};
    parallel([&](int) {
        TileAccum acc, cloudAcc;
        for (std::size_t k; (k = next.fetch_add(1)) < m_covered.size();) {
            const std::size_t tile = std::size_t(m_covered[k] >> 16) * std::size_t(tilesX) + (m_covered[k] & 0xffffu);
            const int tx0 = int(tile % std::size_t(tilesX)) * kHostTile, ty0 = int(tile / std::size_t(tilesX)) * kHostTile;
            acc.reset();
            for (std::size_t ci = 0; ci < clouds.size(); ++ci) {
                const CloudScratch& cs = m_clouds[ci];
                const std::uint32_t begin = cs.tileStart[tile], end = cs.tileStart[tile + 1];
                if (begin == end) continue;
                TileAccum& into = ci == 0 ? acc : cloudAcc;
                if (ci > 0) cloudAcc.reset();
                for (std::uint32_t e = begin; e < end; ++e) {
                    if (e + 8 < end) {
                        // A tile's splats are scattered through the records: fetch ahead.
                        __builtin_prefetch(&cs.records[cs.entries[e + 8]]);
                        __builtin_prefetch(&cs.rects[cs.entries[e + 8]]);
                    }
                    const std::uint32_t p = cs.entries[e];
                    const glm::ivec4& r = cs.rects[p];
                    const glm::ivec4 local(std::max(r.x - tx0, 0), std::max(r.y - ty0, 0), std::min(r.z - tx0, kHostTile - 1), std::min(r.w - ty0, kHostTile - 1));
#if defined(__x86_64__)
                    if (simd)
                        blendAvx2(cs.records[p], local, tx0, ty0, into);
                    else
#endif
                        blendScalar(cs.records[p], local, tx0, ty0, into);
                    if (((e - begin) & 31) == 31) {
                        bool open = false;
                        for (int i = 0; i < kTilePixels && !open; ++i) open = into.t[i] >= kDoneTransmittance;
                        if (!open) break;  // every pixel of the tile is opaque
                    }
                }
                if (ci > 0)
                    for (int i = 0; i < kTilePixels; ++i) {
                        acc.r[i] = cloudAcc.r[i] + cloudAcc.t[i] * acc.r[i];
                        acc.g[i] = cloudAcc.g[i] + cloudAcc.t[i] * acc.g[i];
                        acc.b[i] = cloudAcc.b[i] + cloudAcc.t[i] * acc.b[i];
                        acc.t[i] *= cloudAcc.t[i];
                    }
            }
            const int w = std::min(kHostTile, view.width - tx0), h = std::min(kHostTile, view.height - ty0);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const int i = y * kHostTile + x;
                    out[std::size_t(ty0 + y) * std::size_t(view.width) + std::size_t(tx0 + x)] = glm::vec4(acc.r[i], acc.g[i], acc.b[i], acc.t[i]);
                }
        }
    });
    return entries;
}

} // namespace kiln::render
