#include "models/latent_data.h"

#include "core/error.h"
#include "geometry/closest_point.h"
#include "geometry/inside_test.h"
#include "geometry/metrics.h"
#include "procgen/shape_rng.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

namespace kiln::models {

LatentFrame latentFrame(const core::Bounds& b) {
    const glm::vec3 size = b.size();
    const float largest = std::max({size.x, size.y, size.z});
    if (!(largest > 0.0f)) throw Error("latent frame: the asset has no extent");
    LatentFrame f;
    f.centre = b.center();
    f.scale = kLatentExtent / largest;
    return f;
}

geometry::InsideTest assetSolid(const procgen::ProcAsset& asset) {
    std::vector<geometry::InsideTest::Range> shells;
    for (const auto& p : asset.parts) shells.push_back({p.firstTriangle, p.triangleCount});
    return geometry::InsideTest(asset.mesh, shells);
}

std::vector<std::size_t> visibleSamples(const procgen::SurfaceSamples& s, const std::function<bool(const glm::vec3&)>& solid, float step) {
    std::vector<std::size_t> out;
    out.reserve(s.positions.size());
    for (std::size_t i = 0; i < s.positions.size(); ++i)
        if (!geometry::buriedInSolid(solid, s.positions[i], s.normals[i], step)) out.push_back(i);
    return out;
}

std::vector<float> encoderInput(const procgen::SurfaceSamples& s, const LatentFrame& frame) {
    std::vector<float> out;
    out.reserve(s.positions.size() * kSurfaceFeatures);
    for (std::size_t i = 0; i < s.positions.size(); ++i) {
        const glm::vec3 p = frame.toNormalised(s.positions[i]);
        out.insert(out.end(), {p.x, p.y, p.z, s.normals[i].x, s.normals[i].y, s.normals[i].z, s.albedo[i].r, s.albedo[i].g, s.albedo[i].b,
                               s.roughness[i], s.metallic[i]});
    }
    return out;
}

void makeShapeTargets(const procgen::ProcAsset& asset, const LatentFrame& frame, const ShapeSampleOptions& o, std::uint64_t seed, ShapeSample& out) {
    out.queries.clear();
    out.occupancy.clear();
    out.appearancePoints.clear();
    out.appearance.clear();
    // Appearance targets: an independent set of surface points.
    const procgen::SurfaceSamples look = procgen::sampleSurface(asset, o.appearancePoints, seed ^ 0xA99EA7ull);
    for (std::size_t i = 0; i < look.positions.size(); ++i) {
        const glm::vec3 p = frame.toNormalised(look.positions[i]);
        out.appearancePoints.insert(out.appearancePoints.end(), {p.x, p.y, p.z});
        out.appearance.insert(out.appearance.end(), {look.albedo[i].r, look.albedo[i].g, look.albedo[i].b, look.roughness[i], look.metallic[i]});
    }
    // Occupancy queries.
    const geometry::InsideTest inside = assetSolid(asset);
    std::optional<geometry::TriangleBvh> surface;
    if (o.thinWall > 0.0f) surface.emplace(asset.mesh);
    const float thin = o.thinWall / frame.scale;  // metres
    // Outside, but within `thin` of a part thinner than 2 x thin: going on from the nearest surface
    // point, away from p, twice that far finds no solid (a thicker part holds the probe; along
    // the direction from p, not the face's normal, which at a box's edge runs along the other face).
    auto nearThinPart = [&](const glm::vec3& p) {
        const auto hit = surface->closest(p, thin);
        if (!hit) return false;
        glm::vec3 d = hit->point - p;
        const float len = glm::length(d);
        if (len > 1e-6f * thin) return !inside.inside(hit->point + (2.0f * thin / len) * d);
        // On the surface: both sides of its face.
        d = surface->faceNormal(hit->triangle);
        return !inside.inside(hit->point + 2.0f * thin * d) && !inside.inside(hit->point - 2.0f * thin * d);
    };
    const procgen::SurfaceSamples near = procgen::sampleSurface(asset, o.queryPoints, seed ^ 0x9E3779B97F4A7C15ull);
    procgen::ShapeRng rng(procgen::mix64(seed ^ 0x71756572ull));
    auto gauss = [&] {
        // Box-Muller from the platform-independent generator.
        const float u1 = std::max(1e-7f, rng.uniform01()), u2 = rng.uniform01();
        return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
    };
    for (int i = 0; i < o.queryPoints; ++i) {
        glm::vec3 q;
        float sigma = 0.0f;  // 0: uniform
        if (o.mix == QueryMix::Surface) {
            const int kind = i % 4;
            sigma = kind < 2 ? 0.01f : kind < 3 ? 0.04f : 0.0f;
        } else {
            const int kind = i % 8;
            sigma = kind < 3 ? 0.01f : kind < 5 ? 0.04f : kind < 6 ? 0.12f : 0.0f;
        }
        if (sigma > 0.0f) {
            q = frame.toNormalised(near.positions[std::size_t(i)]) + sigma * glm::vec3(gauss(), gauss(), gauss());
        } else {
            q = glm::vec3(rng.uniform(-1.0f, 1.0f), rng.uniform(-1.0f, 1.0f), rng.uniform(-1.0f, 1.0f));
        }
        out.queries.insert(out.queries.end(), {q.x, q.y, q.z});
        const glm::vec3 p = frame.fromNormalised(q);
        const bool in = inside.inside(p) || (surface && nearThinPart(p));
        out.occupancy.push_back(in ? 1.0f : 0.0f);
    }
}

ShapeSample makeShapeSample(const procgen::ProcAsset& asset, const ShapeSampleOptions& o, std::uint64_t seed) {
    ShapeSample s;
    const core::Bounds bounds = core::computeBounds(asset.mesh);
    s.frame = latentFrame(bounds);
    const glm::vec3 size = bounds.size();
    s.logSize = std::log(std::max({size.x, size.y, size.z}));
    const procgen::SurfaceSamples surface = procgen::sampleSurface(asset, o.surfacePoints, seed);
    s.surface = encoderInput(surface, s.frame);
    makeShapeTargets(asset, s.frame, o, seed, s);
    return s;
}

} // namespace kiln::models
