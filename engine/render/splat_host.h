#pragma once

// Internal to engine/render: the host splat path, Kiln's own splat rasterizer on the CPU, for
// frames on a CPU Vulkan device (lavapipe). There a compute shader pays for every pixel and splat
// of a tile with per-invocation loads (~7 ns each, bench/results/issue20_viewport.md); here each
// splat of a 16x16 tile is loaded once and evaluated eight pixels at a time (AVX2 where the CPU has
// it). The rules are splat_preprocess.comp's and splat_tiles.comp's: the EWA footprint with the
// 0.3 px low-pass, the oriented quad out to alpha 1/255 (at most 3 sigma, plus a pixel), alpha
// clamped at 0.99, front to back until the transmittance falls below 1e-4. The result, colour and
// transmittance per pixel, is composited over the scene pass by splat_host.comp. There is no mesh
// depth test: the path draws frames without meshes (SplatPass::tiles falls back otherwise).
#include "render/shader_interface.h"
#include "render/splat_tiles.h"

#include "core/gaussian_cloud.h"

#include <glm/vec4.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::render {

inline constexpr int kHostTile = 16;

// One cloud as the frame draws it.
struct HostSplatCloud {
    const core::GaussianCloud* cloud = nullptr;     // opacities and SH coefficients, indexed through `lod`
    const std::uint32_t* lod = nullptr;             // upload index (level-of-detail order) -> cloud index
    const std::vector<glm::vec3>* positions = nullptr;  // upload order
    const std::vector<SplatShape>* shapes = nullptr;    // upload order
    const std::uint32_t* backToFront = nullptr;     // `count` upload indices, farthest first
    std::size_t count = 0;
    glm::mat4 model{1.0f};
    // The uploaded splats where the device's memory is the host's (a CPU device): each splat's
    // position and SH in one place, read instead of the cloud (a few cache misses fewer per splat).
    const SplatGpu* packed = nullptr;
};

struct HostSplatView {
    glm::mat4 view{1.0f}, proj{1.0f};  // world to camera; the projection (clip depth, near plane)
    float focalPixels = 1.0f;
    glm::vec3 cameraPos{0.0f};
    int width = 1, height = 1;
};

class HostSplatRasterizer {
public:
    // Draws `clouds` (each over the ones before it, as the raster path draws them) into `out`:
    // width x height pixels, row-major, each (premultiplied colour, transmittance), written only
    // in the tiles some splat reaches (coveredTiles). Uses `threads` threads (0: every core). Returns the tile
    // entries (a splat counts once per 16x16 tile its quad's bounding box reaches).
    std::size_t draw(const std::vector<HostSplatCloud>& clouds, const HostSplatView& view, glm::vec4* out, int threads = 0);
    // After draw: the 16x16 tiles any splat reached (x | y << 16, row-major order); only their
    // pixels were written, the rest of `out` is left as it was.
    const std::vector<std::uint32_t>& coveredTiles() const { return m_covered; }

    // What the CPU offers: true when the AVX2 kernel runs (else a scalar loop with std::exp).
    static bool vectorized();
    // For tests: the scalar loop even where AVX2 is there (its results are the reference for
    // the AVX2 kernel's exp approximation).
    static void forceScalar(bool on);

    // One splat as projected for the frame (exposed for the tests of the kernel).
    struct Record {
        float u, v;           // centre, pixels
        float ca, cb, cc;     // conic: power = -0.5 (ca dx^2 + cc dy^2) - cb dx dy
        float opacity;
        float r, g, b;
        float a1x, a1y, a2x, a2y;  // the quad's axes times their extents, pixels
        float a1len2, a2len2;
        float reach;          // d^T conic d <= reach where alpha can reach 1/255 (SplatShape::reach)
    };

private:
    struct CloudScratch {
        std::vector<Record> records;          // front-to-back position -> record
        std::vector<glm::ivec4> rects;        // pixel rectangle (inclusive); x0 > x1: not drawn
        std::vector<std::uint32_t> where;     // upload index -> front-to-back position
        std::vector<std::uint32_t> counts;    // per thread x chunk x tile, then per chunk x tile: write cursors
        std::vector<std::uint32_t> tileStart; // per tile + 1
        std::vector<std::uint32_t> entries;   // front-to-back positions, each tile's in order
    };
    std::vector<CloudScratch> m_clouds;
    std::vector<std::uint32_t> m_covered;
};

} // namespace kiln::render
