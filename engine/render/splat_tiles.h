#pragma once

// Internal to engine/render: the host side of the compute splat rasterizer (splat_tiles.comp).
// Each frame, the splats of a cloud are binned into 4x4 pixel tiles in front-to-back order, so
// a tile's workgroup blends exactly the splats that can touch it, nearest first.
#include <glm/mat4x4.hpp>
#include <glm/vec2.hpp>
#include <glm/vec3.hpp>

#include <cstdint>
#include <vector>

namespace kiln::render {

inline constexpr int kSplatTile = 4;  // splat_tiles.comp's local size

// What the binning needs of a splat besides its centre: the world-space 3D covariance (upper
// triangle xx, xy, xz, yy, yz, zz) and what follows from its opacity: the quad's extent in
// standard deviations (splat_preprocess.comp's k; 0 when the splat never reaches alpha 1/255)
// and the ellipse d^T conic d <= reach where alpha reaches 1/255. Made once at upload.
struct SplatShape {
    float cov[6];
    float sigmas;
    float reach;
    float opacity;  // the sigmoid of the logit (the host path's alpha)
};
SplatShape splatShape(const glm::vec4& rotationWxyz, const glm::vec3& logScale, float opacityLogit);

// splat_preprocess.comp's screen-space footprint of one splat: its centre, the inverse 2D
// covariance with the 0.3 px low-pass (power = -0.5 (a dx^2 + c dy^2) - b dx dy), and the
// quad's axes times their extents (out to alpha 1/255, at most 3 sigma, plus a pixel).
struct SplatProjection {
    glm::vec2 center{0.0f};
    glm::vec3 conic{0.0f};
    glm::vec2 axis1{0.0f}, axis2{0.0f};
};
// `pc` is the splat's centre in view space, `viewModel` the matrix that took it there; false when
// the preprocess culls the splat (behind the near plane, degenerate, never reaching 1/255).
bool projectSplat(const glm::vec4& pc, const SplatShape& shape, const glm::mat4& viewModel, float focalPixels, float znear, int width, int height,
                  SplatProjection& out);

// The frame's camera as splat_preprocess.comp sees it.
struct SplatCamera {
    glm::mat4 viewModel{1.0f};  // view * the cloud's model matrix
    float focalPixels = 1.0f;   // frame.viewport.z
    float znear = 0.01f;        // the projection's near plane
    int width = 1, height = 1;  // the target in pixels
};

struct SplatTileBins {
    int tilesX = 0, tilesY = 0;
    std::vector<glm::uvec2> ranges;       // per tile (row-major): first entry, count
    std::vector<std::uint32_t> entries;   // splat indices, each tile's front to back
    // Scratch: each ordered splat's tile rectangle and screen-space ellipse.
    struct Footprint {
        glm::ivec4 rect;    // x0, y0, x1, y1 (inclusive); x0 > x1 when it draws nothing
        glm::vec2 center;   // pixels
        glm::vec3 conic;    // inverse 2D covariance (a, b, c): d^T [a b; b c] d
        float reach;        // the ellipse d^T conic d <= reach, where alpha reaches 1/255
        std::uint64_t mask; // the rectangle's tiles the ellipse reaches (row-major), when it has <= 64
    };
    std::vector<Footprint> footprints;
};

// Bins the `count` splats of `backToFront` (indices into positions/shapes, farthest first) for
// `camera`. A splat goes to every tile within the bounding box of its screen-space quad (the
// preprocess's quad: out to where alpha falls below 1/255, at most 3 sigma, plus a pixel) that
// its ellipse of alpha >= 1/255 reaches, computed with the preprocess's own formulas and a
// margin; splats the preprocess culls are left out. Returns the number of entries.
std::size_t binSplatsToTiles(const std::vector<glm::vec3>& positions, const std::vector<SplatShape>& shapes, const std::uint32_t* backToFront,
                             std::size_t count, const SplatCamera& camera, SplatTileBins& bins);

} // namespace kiln::render
