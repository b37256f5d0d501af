#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/mesh.h"
#include "geometry/bake.h"
#include "geometry/closest_point.h"
#include "geometry/decimate.h"
#include "geometry/marching_cubes.h"
#include "geometry/mesh_cleanup.h"
#include "geometry/mesh_regions.h"
#include "geometry/metrics.h"
#include "geometry/voxels.h"
#include "geometry/tsdf.h"
#include "geometry/uv_raster.h"

#include <glm/geometric.hpp>
#include <glm/gtc/constants.hpp>
#include <glm/mat3x3.hpp>
#include <glm/gtc/type_precision.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

using kiln::core::Bounds;
using kiln::core::Mesh;
namespace geo = kiln::geometry;

namespace {

constexpr float kPi = glm::pi<float>();

Bounds cube(float half) {
    Bounds b;
    b.extend(glm::vec3(-half));
    b.extend(glm::vec3(half));
    return b;
}

// Samples f at the grid points of marchingCubes' layout (x fastest).
template <class F>
std::vector<float> sampleGrid(int n, const Bounds& b, F&& f) {
    std::vector<float> v(std::size_t(n) * n * n);
    const glm::vec3 step = b.size() / float(n - 1);
    for (int z = 0; z < n; ++z)
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x) v[(std::size_t(z) * n + y) * n + x] = f(b.min + glm::vec3(x, y, z) * step);
    return v;
}

std::vector<glm::vec3> gridPositions(int n, const Bounds& b) {
    std::vector<glm::vec3> p;
    p.reserve(std::size_t(n) * n * n);
    const glm::vec3 step = b.size() / float(n - 1);
    for (int z = 0; z < n; ++z)
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x) p.push_back(b.min + glm::vec3(x, y, z) * step);
    return p;
}

constexpr float kRadius = 0.73f;  // not aligned with the grid, so no sample sits on the surface

Mesh sphereMesh(int n, const std::vector<glm::vec3>* colors = nullptr) {
    return geo::marchingCubes(sampleGrid(n, cube(1.0f), [](glm::vec3 p) { return glm::length(p) - kRadius; }), glm::ivec3(n), cube(1.0f), 0.0f,
                              colors);
}

float pointTriangleDistance(glm::vec3 p, glm::vec3 a, glm::vec3 b, glm::vec3 c) {
    // Ericson, Real-Time Collision Detection 5.1.5.
    const glm::vec3 ab = b - a, ac = c - a, ap = p - a;
    const float d1 = glm::dot(ab, ap), d2 = glm::dot(ac, ap);
    if (d1 <= 0 && d2 <= 0) return glm::length(p - a);
    const glm::vec3 bp = p - b;
    const float d3 = glm::dot(ab, bp), d4 = glm::dot(ac, bp);
    if (d3 >= 0 && d4 <= d3) return glm::length(p - b);
    const float vc = d1 * d4 - d3 * d2;
    if (vc <= 0 && d1 >= 0 && d3 <= 0) return glm::length(p - (a + ab * (d1 / (d1 - d3))));
    const glm::vec3 cp = p - c;
    const float d5 = glm::dot(ab, cp), d6 = glm::dot(ac, cp);
    if (d6 >= 0 && d5 <= d6) return glm::length(p - c);
    const float vb = d5 * d2 - d1 * d6;
    if (vb <= 0 && d2 >= 0 && d6 <= 0) return glm::length(p - (a + ac * (d2 / (d2 - d6))));
    const float va = d3 * d6 - d5 * d4;
    if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) return glm::length(p - (b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)))));
    const float denom = 1.0f / (va + vb + vc);
    return glm::length(p - (a + ab * (vb * denom) + ac * (vc * denom)));
}

float srgbToLinear(float c) { return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f); }

} // namespace

// ---- closest point -----------------------------------------------------------------------------

TEST(ClosestPoint, HierarchyFindsWhatEveryTriangleTriedInTurnFinds) {
    // A sphere's surface (marching cubes: 10k+ small triangles) and points inside, outside and
    // near it: the hierarchy's nearest point is the nearest of all triangles', within any radius.
    const Mesh mesh = sphereMesh(40);
    const geo::TriangleBvh bvh(mesh);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.2f, 1.2f);
    int found = 0;
    for (int i = 0; i < 300; ++i) {
        const glm::vec3 p(u(rng), u(rng), u(rng));
        float best = 1e30f;
        std::size_t bestTri = 0;
        for (std::size_t t = 0; t < mesh.triangleCount(); ++t) {
            const glm::vec3 a = mesh.positions[mesh.indices[3 * t]], b = mesh.positions[mesh.indices[3 * t + 1]], c = mesh.positions[mesh.indices[3 * t + 2]];
            const float d = pointTriangleDistance(p, a, b, c);
            // The library's closest point and this file's own distance agree.
            ASSERT_NEAR(glm::distance(p, geo::closestPointOnTriangle(p, a, b, c)), d, 1e-5f);
            if (d < best) best = d, bestTri = t;
        }
        const auto any = bvh.closest(p, 10.0f);
        ASSERT_TRUE(any.has_value());
        EXPECT_NEAR(any->distance, best, 1e-5f);
        EXPECT_NEAR(glm::distance(any->point, p), any->distance, 1e-5f);
        const float hitD = pointTriangleDistance(p, mesh.positions[mesh.indices[3 * any->triangle]], mesh.positions[mesh.indices[3 * any->triangle + 1]],
                                                 mesh.positions[mesh.indices[3 * any->triangle + 2]]);
        EXPECT_NEAR(hitD, best, 1e-5f) << "triangle " << any->triangle << " against " << bestTri;
        // Within a radius: found exactly when the nearest point lies inside it.
        const auto near = bvh.closest(p, 0.1f);
        EXPECT_EQ(near.has_value(), best <= 0.1f);
        if (near) {
            EXPECT_NEAR(near->distance, best, 1e-5f);
            ++found;
        }
    }
    EXPECT_GT(found, 10);  // some points lie near the surface
    // Face normals of a sphere's triangles point away from its centre (marching cubes winds them so).
    const auto top = bvh.closest(glm::vec3(0.0f, 0.0f, 1.0f), 1.0f);
    ASSERT_TRUE(top.has_value());
    EXPECT_GT(glm::dot(bvh.faceNormal(top->triangle), glm::vec3(0.0f, 0.0f, 1.0f)), 0.9f);
    EXPECT_THROW(geo::TriangleBvh(Mesh{}), kiln::Error);
}

// ---- marching cubes ----------------------------------------------------------------------------

TEST(MarchingCubes, SphereIsWatertightWithAnalyticAreaAndVolume) {
    const Mesh mesh = sphereMesh(64);
    ASSERT_NO_THROW(mesh.validate("sphere"));
    const geo::MeshReport r = geo::analyse(mesh);
    EXPECT_TRUE(r.watertight);
    EXPECT_EQ(r.boundaryEdges, 0u);
    EXPECT_EQ(r.nonManifoldEdges, 0u);
    EXPECT_EQ(r.inconsistentEdges, 0u);
    EXPECT_EQ(r.components, 1u);
    EXPECT_EQ(r.degenerateFaces, 0u);
    // Shared vertices: a closed triangle mesh of genus 0 has V - E + F = 2 with E = 3F/2.
    EXPECT_EQ(long(mesh.vertexCount()) - long(mesh.triangleCount()) * 3 / 2 + long(mesh.triangleCount()), 2);
    const double area = 4.0 * kPi * kRadius * kRadius, volume = 4.0 / 3.0 * kPi * kRadius * kRadius * kRadius;
    std::printf("sphere 64^3: area ratio %.4f, volume ratio %.4f\n", r.area / area, r.volume / volume);
    EXPECT_NEAR(r.area / area, 1.0, 0.02) << r.area << " vs " << area;
    EXPECT_NEAR(r.volume / volume, 1.0, 0.02) << r.volume << " vs " << volume;
    // Gradient normals point outwards and agree with the counter-clockwise winding.
    for (std::size_t v = 0; v < mesh.vertexCount(); ++v) {
        ASSERT_GT(glm::dot(mesh.normals[v], glm::normalize(mesh.positions[v])), 0.99f) << v;
        ASSERT_NEAR(glm::length(mesh.positions[v]), kRadius, 0.004f);
    }
    for (std::size_t t = 0; t < mesh.triangleCount(); ++t) {
        const glm::vec3 a = mesh.positions[mesh.indices[3 * t]], b = mesh.positions[mesh.indices[3 * t + 1]],
                        c = mesh.positions[mesh.indices[3 * t + 2]];
        ASSERT_GT(glm::dot(glm::cross(b - a, c - a), a + b + c), 0.0f) << t;
    }
}

TEST(MarchingCubes, RandomFieldsGiveClosedManifoldSurfaces) {
    // Noise exercises every case, the ambiguous faces included: with the border outside, every
    // surface is closed, so any crack, flipped triangle or non-manifold edge would show.
    const int n = 24;
    std::uint32_t state = 12345u;
    auto rnd = [&] {
        state = state * 1664525u + 1013904223u;
        return float(state >> 8) / float(1u << 24) * 2.0f - 1.0f;
    };
    for (geo::IsoSide side : {geo::IsoSide::Below, geo::IsoSide::Above}) {
        std::vector<float> v(std::size_t(n) * n * n);
        for (int z = 0; z < n; ++z)
            for (int y = 0; y < n; ++y)
                for (int x = 0; x < n; ++x) {
                    const bool border = x == 0 || y == 0 || z == 0 || x == n - 1 || y == n - 1 || z == n - 1;
                    const float outside = side == geo::IsoSide::Below ? 1.0f : -1.0f;
                    v[(std::size_t(z) * n + y) * n + x] = border ? outside : rnd();
                }
        const Mesh mesh = geo::marchingCubes(v, glm::ivec3(n), cube(1.0f), 0.0f, nullptr, side);
        const geo::MeshReport r = geo::analyse(mesh);
        EXPECT_GT(r.components, 10u);
        EXPECT_TRUE(r.watertight);
        EXPECT_EQ(r.nonManifoldEdges, 0u);
        EXPECT_EQ(r.inconsistentEdges, 0u);
        EXPECT_GT(r.volume, 0.0);  // every component wound outwards
    }
}

TEST(MarchingCubes, ColorsInterpolateFromTheGrid) {
    const int n = 32;
    std::vector<glm::vec3> colors;
    for (const glm::vec3& p : gridPositions(n, cube(1.0f))) colors.push_back((p + 1.0f) * 0.5f);
    const Mesh mesh = sphereMesh(n, &colors);
    ASSERT_EQ(mesh.colors.size(), mesh.vertexCount());
    // A colour linear in position is reproduced exactly by interpolation along grid edges.
    for (std::size_t v = 0; v < mesh.vertexCount(); ++v) {
        const glm::vec3 expected = (mesh.positions[v] + 1.0f) * 0.5f;
        ASSERT_LT(glm::length(glm::vec3(mesh.colors[v]) - expected), 1e-4f) << v;
        ASSERT_EQ(mesh.colors[v].a, 1.0f);
    }
}

TEST(MarchingCubes, DensityFieldsAndAnisotropicBounds) {
    // A density (inside above the iso-value) in a non-cubic box: an ellipsoid, outward normals.
    Bounds b;
    b.extend({-2.0f, -1.0f, -0.5f});
    b.extend({2.0f, 1.0f, 0.5f});
    const glm::ivec3 res(80, 40, 24);
    std::vector<float> density;
    const glm::vec3 step = b.size() / glm::vec3(res - 1);
    const glm::vec3 axes(1.5f, 0.7f, 0.33f);
    for (int z = 0; z < res.z; ++z)
        for (int y = 0; y < res.y; ++y)
            for (int x = 0; x < res.x; ++x) {
                const glm::vec3 p = b.min + glm::vec3(x, y, z) * step;
                density.push_back(1.0f - glm::length(p / axes));
            }
    const Mesh mesh = geo::marchingCubes(density, res, b, 0.2f, nullptr, geo::IsoSide::Above);
    const geo::MeshReport r = geo::analyse(mesh);
    EXPECT_TRUE(r.watertight);
    EXPECT_EQ(r.inconsistentEdges, 0u);
    const double volume = 4.0 / 3.0 * kPi * axes.x * axes.y * axes.z * std::pow(0.8, 3);
    EXPECT_NEAR(r.volume / volume, 1.0, 0.03);
    for (std::size_t v = 0; v < mesh.vertexCount(); ++v) ASSERT_GT(glm::dot(mesh.normals[v], mesh.positions[v]), 0.0f);
}

TEST(MarchingCubes, UnknownSamplesProduceNoSurface) {
    const int n = 32;
    std::vector<float> v = sampleGrid(n, cube(1.0f), [](glm::vec3 p) { return glm::length(p) - kRadius; });
    const auto pos = gridPositions(n, cube(1.0f));
    for (std::size_t i = 0; i < v.size(); ++i)
        if (pos[i].x > 0.2f) v[i] = std::nanf("");
    const Mesh mesh = geo::marchingCubes(v, glm::ivec3(n), cube(1.0f), 0.0f);
    ASSERT_GT(mesh.triangleCount(), 100u);
    for (const auto& p : mesh.positions) ASSERT_LE(p.x, 0.2f);
    EXPECT_GT(geo::analyse(mesh).boundaryEdges, 0u);
}

TEST(MarchingCubes, RejectsMismatchedGrids) {
    std::vector<float> v(27, 1.0f);
    EXPECT_THROW(geo::marchingCubes(v, glm::ivec3(3, 3, 2), cube(1.0f), 0.0f), kiln::Error);
    EXPECT_THROW(geo::marchingCubes(v, glm::ivec3(1, 27, 1), cube(1.0f), 0.0f), kiln::Error);
    EXPECT_THROW(geo::marchingCubes(v, glm::ivec3(3), Bounds{}, 0.0f), kiln::Error);
    std::vector<glm::vec3> c(5);
    EXPECT_THROW(geo::marchingCubes(v, glm::ivec3(3), cube(1.0f), 0.0f, &c), kiln::Error);
    EXPECT_TRUE(geo::marchingCubes(v, glm::ivec3(3), cube(1.0f), 0.0f).empty());
}

TEST(MarchingCubes, Grid256IsFast) {
    // A sphere (little surface) and a gyroid (surface through most cells) at 256^3, one thread.
    const int n = 256;
    struct Case {
        const char* name;
        std::function<float(glm::vec3)> f;
    };
    const Case cases[] = {{"sphere", [](glm::vec3 p) { return glm::length(p) - kRadius; }},
                          {"gyroid", [](glm::vec3 p) {
                               const glm::vec3 q = p * 12.0f;
                               return std::sin(q.x) * std::cos(q.y) + std::sin(q.y) * std::cos(q.z) + std::sin(q.z) * std::cos(q.x);
                           }}};
    for (const Case& c : cases) {
        const auto values = sampleGrid(n, cube(1.0f), c.f);
        const auto start = std::chrono::steady_clock::now();
        const Mesh mesh = geo::marchingCubes(values, glm::ivec3(n), cube(1.0f), 0.0f);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("marching cubes 256^3 %s: %.3f s, %zu vertices, %zu triangles\n", c.name, seconds, mesh.vertexCount(), mesh.triangleCount());
        EXPECT_EQ(geo::analyse(mesh).nonManifoldEdges, 0u);
        EXPECT_LT(seconds, 3.0);  // generous for loaded CI machines and unoptimised builds
    }
}

// ---- TSDF fusion -------------------------------------------------------------------------------

TEST(Tsdf, FusesSyntheticDepthMapsOfASphere) {
    const glm::vec3 centre(0.05f, -0.03f, 0.02f);
    const float radius = 0.6f;
    const int size = 160;
    const float fovY = 45.0f * kPi / 180.0f;
    geo::TsdfVolume volume(cube(1.0f), 96, 0.0f + 4.0f * (2.0f / 95.0f));
    const float voxel = volume.voxelSize();
    const int views = 24;
    for (int k = 0; k < views; ++k) {
        // Fibonacci sphere of camera positions, all looking at the sphere's centre.
        const float y = 1.0f - 2.0f * (float(k) + 0.5f) / float(views);
        const float ring = std::sqrt(1.0f - y * y), phi = float(k) * kPi * (3.0f - std::sqrt(5.0f));
        const glm::vec3 eye = centre + 2.5f * glm::vec3(ring * std::cos(phi), y, ring * std::sin(phi));
        const glm::vec3 up = std::abs(y) > 0.9f ? glm::vec3(1, 0, 0) : glm::vec3(0, 1, 0);
        const auto cam = kiln::core::Camera::lookAt(eye, centre, up, fovY);
        const float f = cam.focalPixels(size), c = 0.5f * float(size);
        kiln::core::Image depth = kiln::core::Image::makeF32(size, size, 1);
        kiln::core::Image color = kiln::core::Image::makeU8(size, size, 3);
        const glm::mat3 rot(cam.cameraToWorld);
        for (int j = 0; j < size; ++j)
            for (int i = 0; i < size; ++i) {
                // Ray through the pixel centre with camera-space z = -1, so t is the depth along -Z.
                const glm::vec3 dir = rot * glm::vec3((float(i) + 0.5f - c) / f, -(float(j) + 0.5f - c) / f, -1.0f);
                const glm::vec3 oc = eye - centre;
                const float a = glm::dot(dir, dir), b = glm::dot(oc, dir), cc = glm::dot(oc, oc) - radius * radius;
                const float disc = b * b - a * cc;
                if (disc < 0.0f) continue;
                const float t = (-b - std::sqrt(disc)) / a;
                depth.f32[std::size_t(j) * size + std::size_t(i)] = t;
                const glm::vec3 n = glm::normalize(eye + t * dir - centre);
                for (int ch = 0; ch < 3; ++ch)
                    color.u8[(std::size_t(j) * size + std::size_t(i)) * 3 + std::size_t(ch)] = std::uint8_t(std::lround((n[ch] * 0.5f + 0.5f) * 255.0f));
            }
        volume.integrate(depth, color, cam, f, f, c, c);
    }
    EXPECT_EQ(volume.viewCount(), views);
    const Mesh mesh = volume.extractMesh();
    ASSERT_GT(mesh.triangleCount(), 1000u);
    const geo::MeshReport r = geo::analyse(mesh);
    EXPECT_TRUE(r.watertight) << r.boundaryEdges << " boundary, " << r.nonManifoldEdges << " non-manifold edges";
    EXPECT_EQ(r.components, 1u);
    float worst = 0.0f, colorError = 0.0f;
    ASSERT_EQ(mesh.colors.size(), mesh.vertexCount());
    for (std::size_t v = 0; v < mesh.vertexCount(); ++v) {
        const glm::vec3 d = mesh.positions[v] - centre;
        worst = std::max(worst, std::abs(glm::length(d) - radius));
        const glm::vec3 n = glm::normalize(d);
        for (int ch = 0; ch < 3; ++ch) colorError += std::abs(mesh.colors[v][ch] - srgbToLinear(n[ch] * 0.5f + 0.5f));
    }
    colorError /= float(3 * mesh.vertexCount());
    std::printf("TSDF sphere: %zu triangles, max distance %.3f voxels, mean colour error %.4f\n", mesh.triangleCount(), worst / voxel,
                colorError);
    EXPECT_LT(worst, 1.5f * voxel);
    EXPECT_LT(colorError, 0.03f);
}

TEST(Tsdf, RejectsBadInput) {
    EXPECT_THROW(geo::TsdfVolume(Bounds{}, 64, 0.1f), kiln::Error);
    EXPECT_THROW(geo::TsdfVolume(cube(1.0f), 1, 0.1f), kiln::Error);
    EXPECT_THROW(geo::TsdfVolume(cube(1.0f), 64, 0.001f), kiln::Error);  // under one voxel
    geo::TsdfVolume volume(cube(1.0f), 16, 0.5f);
    const auto cam = kiln::core::Camera::lookAt({0, 0, 3}, {0, 0, 0}, {0, 1, 0}, 0.8f);
    EXPECT_THROW(volume.integrate(kiln::core::Image::makeU8(8, 8, 1), {}, cam, 10, 10, 4, 4), kiln::Error);
    EXPECT_THROW(volume.integrate(kiln::core::Image::makeF32(8, 8, 1), kiln::core::Image::makeU8(4, 4, 3), cam, 10, 10, 4, 4), kiln::Error);
    EXPECT_NO_THROW(volume.integrate(kiln::core::Image::makeF32(8, 8, 1), {}, cam, 10, 10, 4, 4));
    EXPECT_TRUE(volume.extractMesh().empty());  // nothing measured, nothing extracted
}

// ---- cleanup and analysis ----------------------------------------------------------------------

TEST(MeshCleanup, RemovesFloatersAndDegenerateFaces) {
    const Mesh sphere = sphereMesh(32);
    Mesh mesh = sphere;
    const std::uint32_t base = std::uint32_t(mesh.positions.size());
    // A small closed tetrahedron floating away from the sphere.
    for (glm::vec3 p : {glm::vec3(3, 3, 3), glm::vec3(3.1f, 3, 3), glm::vec3(3, 3.1f, 3), glm::vec3(3, 3, 3.1f)}) {
        mesh.positions.push_back(p);
        mesh.normals.push_back({0, 1, 0});
    }
    for (std::uint32_t t : {0u, 2u, 1u, 0u, 1u, 3u, 0u, 3u, 2u, 1u, 2u, 3u}) mesh.indices.push_back(base + t);
    // Degenerate faces on the sphere: a repeated index and three collinear points.
    mesh.indices.insert(mesh.indices.end(), {0u, 0u, 1u});
    const std::uint32_t line = std::uint32_t(mesh.positions.size());
    for (float s : {0.0f, 0.5f, 1.0f}) {
        mesh.positions.push_back(sphere.positions[0] + s * (sphere.positions[1] - sphere.positions[0]));
        mesh.normals.push_back({0, 1, 0});
    }
    mesh.indices.insert(mesh.indices.end(), {line, line + 1, line + 2});
    mesh.submeshes[0].indexCount = std::uint32_t(mesh.indices.size());
    mesh.submeshes[0].vertexCount = std::uint32_t(mesh.positions.size());
    ASSERT_NO_THROW(mesh.validate("dirty"));

    const geo::MeshReport before = geo::analyse(mesh);
    EXPECT_EQ(before.degenerateFaces, 2u);
    EXPECT_GE(before.components, 2u);

    const Mesh clean = geo::cleanupMesh(mesh);
    ASSERT_NO_THROW(clean.validate("clean"));
    const geo::MeshReport after = geo::analyse(clean);
    EXPECT_EQ(after.degenerateFaces, 0u);
    EXPECT_EQ(after.components, 1u);
    EXPECT_TRUE(after.watertight);
    EXPECT_EQ(clean.triangleCount(), sphere.triangleCount());
    EXPECT_EQ(clean.vertexCount(), sphere.vertexCount());
    // Only the sphere's triangles remain.
    for (const auto& p : clean.positions) ASSERT_LT(glm::length(p), 1.0f);

    // With a fraction of 0 the floater stays.
    geo::CleanupOptions keepAll;
    keepAll.minComponentFraction = 0.0f;
    EXPECT_EQ(geo::analyse(geo::cleanupMesh(mesh, keepAll)).components, 2u);
}

TEST(MeshCleanup, WeldsTriangleSoupAndReportsOpenOrFlippedSurfaces) {
    const Mesh sphere = sphereMesh(24);
    // Unshare every vertex and jitter the copies slightly.
    Mesh soup;
    for (std::size_t i = 0; i < sphere.indices.size(); ++i) {
        const float jitter = 1e-6f * float(int(i % 7) - 3);
        soup.positions.push_back(sphere.positions[sphere.indices[i]] + jitter);
        soup.normals.push_back(sphere.normals[sphere.indices[i]]);
        soup.indices.push_back(std::uint32_t(i));
    }
    soup.submeshes.push_back({"soup", 0, std::uint32_t(soup.indices.size()), 0, std::uint32_t(soup.positions.size()), -1});
    EXPECT_FALSE(geo::analyse(soup).watertight);
    const Mesh welded = geo::weldVertices(soup, 1e-4f);
    ASSERT_NO_THROW(welded.validate("welded"));
    EXPECT_EQ(welded.vertexCount(), sphere.vertexCount());
    EXPECT_TRUE(geo::analyse(welded).watertight);
    for (const auto& n : welded.normals) ASSERT_NEAR(glm::length(n), 1.0f, 1e-4f);

    // An open quad: four boundary edges. A flipped triangle: inconsistent edges.
    Mesh quad;
    quad.positions = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}};
    quad.indices = {0, 1, 2, 0, 2, 3};
    const geo::MeshReport open = geo::analyse(quad);
    EXPECT_EQ(open.boundaryEdges, 4u);
    EXPECT_FALSE(open.watertight);
    EXPECT_NEAR(open.area, 1.0, 1e-6);
    quad.indices = {0, 1, 2, 0, 3, 2};
    EXPECT_EQ(geo::analyse(quad).inconsistentEdges, 1u);
    // Three faces on one edge: non-manifold.
    quad.positions.push_back({0.5f, 0.5f, 1.0f});
    quad.indices = {0, 1, 2, 0, 2, 3, 0, 2, 4};
    EXPECT_EQ(geo::analyse(quad).nonManifoldEdges, 1u);
}

// ---- decimation --------------------------------------------------------------------------------

TEST(Decimate, SphereReachesTargetAndKeepsSurface) {
    const int n = 64;
    std::vector<glm::vec3> colors;
    for (const glm::vec3& p : gridPositions(n, cube(1.0f))) colors.push_back((p + 1.0f) * 0.5f);
    const Mesh sphere = sphereMesh(n, &colors);
    ASSERT_GT(sphere.triangleCount(), 10000u);
    const Mesh low = geo::decimate(sphere, 1000);
    ASSERT_NO_THROW(low.validate("decimated"));
    std::printf("decimate: %zu -> %zu triangles\n", sphere.triangleCount(), low.triangleCount());
    EXPECT_GE(low.triangleCount(), 900u);
    EXPECT_LE(low.triangleCount(), 1100u);
    EXPECT_TRUE(geo::analyse(low).watertight);
    // Attributes stay with their vertices.
    ASSERT_EQ(low.colors.size(), low.vertexCount());
    ASSERT_EQ(low.normals.size(), low.vertexCount());
    for (std::size_t v = 0; v < low.vertexCount(); ++v) {
        ASSERT_LT(glm::length(glm::vec3(low.colors[v]) - (low.positions[v] + 1.0f) * 0.5f), 1e-4f);
        ASSERT_GT(glm::dot(low.normals[v], glm::normalize(low.positions[v])), 0.99f);
    }
    // Two-sided distance: points on the coarse surface to the sphere, and the fine vertices to
    // the coarse surface.
    float coarseToSphere = 0.0f, fineToCoarse = 0.0f;
    for (std::size_t t = 0; t < low.triangleCount(); ++t) {
        const glm::vec3 a = low.positions[low.indices[3 * t]], b = low.positions[low.indices[3 * t + 1]], c = low.positions[low.indices[3 * t + 2]];
        for (glm::vec3 p : {a, (a + b) * 0.5f, (b + c) * 0.5f, (c + a) * 0.5f, (a + b + c) / 3.0f})
            coarseToSphere = std::max(coarseToSphere, std::abs(glm::length(p) - kRadius));
    }
    for (std::size_t v = 0; v < sphere.vertexCount(); v += 3) {
        float best = 1e9f;
        for (std::size_t t = 0; t < low.triangleCount(); ++t)
            best = std::min(best, pointTriangleDistance(sphere.positions[v], low.positions[low.indices[3 * t]], low.positions[low.indices[3 * t + 1]],
                                                        low.positions[low.indices[3 * t + 2]]));
        fineToCoarse = std::max(fineToCoarse, best);
    }
    EXPECT_LT(coarseToSphere, 0.02f * kRadius);
    EXPECT_LT(fineToCoarse, 0.02f * kRadius);

    EXPECT_THROW(geo::decimate(sphere, 0), kiln::Error);
    EXPECT_EQ(geo::decimate(sphere, sphere.triangleCount() + 5).triangleCount(), sphere.triangleCount());
}

// Simplifying thin walls (a shelf's boards, a vessel's wall a voxel or two thick) used to leave
// pairs of faces over the same three vertices: a zero-volume fin whose edges carry four faces, so
// the result was not closed and the decoder threw away the decimation for a coarser remesh.
TEST(Decimate, ThinWallsStayClosed) {
    const int n = 96;
    // Three thin shells and a thin slab, walls about 1.5 cells thick, not aligned with the grid.
    const float cell = 2.0f / float(n - 1);
    const Mesh thin = geo::marchingCubes(sampleGrid(n, cube(1.0f),
                                                    [&](glm::vec3 p) {
                                                        float d = std::abs(glm::length(p - glm::vec3(0.31f, 0.02f, 0.0f)) - 0.47f) - 0.75f * cell;
                                                        d = std::min(d, std::abs(glm::length(p + glm::vec3(0.43f, 0.1f, 0.05f)) - 0.38f) - 0.7f * cell);
                                                        d = std::min(d, std::abs(glm::length(p - glm::vec3(-0.2f, 0.55f, 0.3f)) - 0.29f) - 0.8f * cell);
                                                        d = std::min(d, std::max(std::abs(p.y + 0.71f) - 0.6f * cell, std::max(std::abs(p.x) - 0.8f, std::abs(p.z) - 0.6f)));
                                                        return d;
                                                    }),
                                         glm::ivec3(n), cube(1.0f), 0.0f);
    ASSERT_TRUE(geo::analyse(thin).watertight);
    std::size_t nonManifold = 0, open = 0;
    for (const std::size_t target : {40000u, 20000u, 8000u, 3000u}) {
        const Mesh low = geo::decimate(thin, target);
        EXPECT_LE(low.triangleCount(), target) << target;
        // No face survives beside its own reverse (or a repeat of itself).
        std::set<std::array<unsigned int, 3>> seen;
        for (std::size_t f = 0; f < low.triangleCount(); ++f) {
            std::array<unsigned int, 3> k{low.indices[3 * f], low.indices[3 * f + 1], low.indices[3 * f + 2]};
            std::sort(k.begin(), k.end());
            EXPECT_TRUE(seen.insert(k).second) << target << ": two faces over vertices " << k[0] << " " << k[1] << " " << k[2];
        }
        const geo::MeshReport r = geo::analyse(low);
        nonManifold += r.nonManifoldEdges;
        open += r.boundaryEdges;
        // Where two walls meet along an edge, splitting it closes the surface.
        if (r.nonManifoldEdges > 0) {
            std::size_t copies = 0;
            const auto rs = geo::analyse(geo::splitNonManifold(low, 1e-4f, &copies));
            EXPECT_TRUE(rs.watertight) << target << " copies " << copies << " boundary " << rs.boundaryEdges << " non-manifold " << rs.nonManifoldEdges << " before " << r.nonManifoldEdges;
        }
    }
    // Before: 9 non-manifold edges over the four, all from such pairs. Two sheets can still meet
    // along an edge where a wall collapses (one such edge here); the decoder tries other counts.
    EXPECT_LE(nonManifold, 1u);
    EXPECT_EQ(open, 0u);
}

// A closed, outward-wound box from lo to hi appended to `m` (8 corners, 12 faces).
void appendBox(Mesh& m, glm::vec3 lo, glm::vec3 hi) {
    const auto base = std::uint32_t(m.positions.size());
    for (int i = 0; i < 8; ++i) m.positions.push_back({i & 1 ? hi.x : lo.x, i & 2 ? hi.y : lo.y, i & 4 ? hi.z : lo.z});
    // Each face's corners counter-clockwise seen from outside.
    const std::uint32_t quads[6][4] = {{0, 4, 6, 2}, {1, 3, 7, 5}, {0, 1, 5, 4}, {2, 6, 7, 3}, {0, 2, 3, 1}, {4, 5, 7, 6}};
    for (const auto& q : quads)
        for (const std::uint32_t c : {q[0], q[1], q[2], q[0], q[2], q[3]}) m.indices.push_back(base + c);
}

TEST(SplitNonManifold, BoxesTouchingAlongAnEdgeBecomeManifold) {
    // Two boxes sharing an edge (x = y = 1): four faces on it, the solid enclosed exactly.
    Mesh m;
    appendBox(m, {0, 0, 0}, {1, 1, 1});
    appendBox(m, {1, 1, 0}, {2, 2, 1});
    const geo::MeshReport before = geo::analyse(m);
    ASSERT_GT(before.nonManifoldEdges, 0u);
    ASSERT_EQ(before.boundaryEdges, 0u);
    EXPECT_NEAR(before.volume, 2.0, 1e-9);
    // One pair keeps the edge; the other pair's two faces are split at the edge's midpoint moved
    // into its box, by the offset. Nothing else moves. The same whether the boxes share their
    // corners on the edge or have their own there.
    for (const bool weld : {false, true}) {
        const Mesh in = weld ? geo::weldVertices(m, 0.0f) : m;
        ASSERT_EQ(in.positions.size(), weld ? 14u : 16u);
        std::size_t added = 99;
        const Mesh split = geo::splitNonManifold(in, 1e-3f, &added);
        const geo::MeshReport after = geo::analyse(split);
        EXPECT_TRUE(after.watertight) << weld;
        EXPECT_EQ(after.inconsistentEdges, 0u) << weld;
        EXPECT_EQ(added, 1u);
        ASSERT_EQ(split.positions.size(), in.positions.size() + 1);
        EXPECT_EQ(split.triangleCount(), in.triangleCount() + 2);
        EXPECT_TRUE(std::equal(in.positions.begin(), in.positions.end(), split.positions.begin()));
        const glm::vec3 mid = split.positions.back();
        EXPECT_NEAR(glm::length(mid - glm::vec3(1.0f, 1.0f, 0.5f)), 1e-3f, 1e-6f);
        // Into one of the boxes, not into the empty quadrants beside the edge.
        EXPECT_TRUE((mid.x < 1.0f && mid.y < 1.0f) || (mid.x > 1.0f && mid.y > 1.0f)) << mid.x << " " << mid.y;
        EXPECT_NEAR(after.volume, 2.0, 1e-3);
    }
    std::size_t copies = 0;
    // A manifold surface comes back as it was; an edge whose faces cannot be paired likewise.
    Mesh one;
    appendBox(one, {0, 0, 0}, {1, 1, 1});
    EXPECT_EQ(geo::splitNonManifold(one, 1e-3f, &copies).positions, one.positions);
    EXPECT_EQ(copies, 0u);
    Mesh odd = m;
    odd.indices.insert(odd.indices.end(), {odd.indices[0], odd.indices[1], odd.indices[2]});
    EXPECT_EQ(geo::splitNonManifold(odd, 1e-3f).indices, odd.indices);
    EXPECT_THROW((void)geo::splitNonManifold(m, 0.0f), kiln::Error);
}

// ---- texture bake ------------------------------------------------------------------------------

TEST(Bake, TextureReproducesVertexColours) {
    const int n = 32;
    std::vector<glm::vec3> colors;
    for (const glm::vec3& p : gridPositions(n, cube(1.0f))) colors.push_back(glm::clamp((p + glm::vec3(1.0f, 0.8f, 0.6f)) * 0.5f, 0.0f, 1.0f));
    const Mesh mesh = geo::decimate(sphereMesh(n, &colors), 600);
    const int size = 1024;
    const Mesh baked = geo::bakeVertexColorsToTexture(mesh, size);
    ASSERT_NO_THROW(baked.validate("baked"));
    ASSERT_EQ(baked.triangleCount(), mesh.triangleCount());
    ASSERT_EQ(baked.uv0.size(), baked.vertexCount());
    EXPECT_TRUE(baked.colors.empty());
    ASSERT_EQ(baked.textures.size(), 1u);
    ASSERT_EQ(baked.materials.size(), 1u);
    EXPECT_EQ(baked.materials[0].baseColorTexture, 0);
    EXPECT_EQ(baked.submeshes[0].material, 0);
    const kiln::core::Image& tex = baked.textures[0].image;
    ASSERT_EQ(tex.width, size);
    ASSERT_EQ(tex.height, size);
    // Same surface (position-welded topology survives the split into per-triangle vertices).
    EXPECT_TRUE(geo::analyse(baked).watertight);
    auto texel = [&](glm::vec2 uv) {
        const int x = std::clamp(int(uv.x * float(size)), 0, size - 1), y = std::clamp(int(uv.y * float(size)), 0, size - 1);
        glm::vec3 c;
        for (int ch = 0; ch < 3; ++ch) c[ch] = srgbToLinear(tex.at(x, y, ch));
        return c;
    };
    float worst = 0.0f;
    for (std::size_t t = 0; t < baked.triangleCount(); ++t) {
        glm::vec2 uv(0.0f);
        glm::vec3 expected(0.0f);
        for (int k = 0; k < 3; ++k) {
            ASSERT_EQ(baked.positions[3 * t + std::size_t(k)], mesh.positions[mesh.indices[3 * t + std::size_t(k)]]);
            uv += baked.uv0[baked.indices[3 * t + std::size_t(k)]] / 3.0f;
            expected += glm::vec3(mesh.colors[mesh.indices[3 * t + std::size_t(k)]]) / 3.0f;
        }
        worst = std::max(worst, glm::length(texel(uv) - expected));
        // Padding: just outside the triangle's corners the texels still carry its colours.
        const glm::vec2 corner = baked.uv0[baked.indices[3 * t]] - glm::vec2(1.5f / float(size));
        ASSERT_LT(glm::length(texel(corner) - glm::vec3(mesh.colors[mesh.indices[3 * t]])), 0.02f) << t;
    }
    EXPECT_LT(worst, 0.02f);

    Mesh plain = mesh;
    plain.colors.clear();
    EXPECT_THROW(geo::bakeVertexColorsToTexture(plain, size), kiln::Error);
    EXPECT_THROW(geo::bakeVertexColorsToTexture(mesh, 64), kiln::Error);  // 600 triangles in 64 px
}

namespace {

Mesh sphereOfRadius(float radius, int n) {
    const Bounds b = cube(1.3f);
    return geo::marchingCubes(sampleGrid(n, b, [radius](glm::vec3 p) { return glm::length(p) - radius; }), glm::ivec3(n), b, 0.0f);
}

} // namespace

TEST(Voxels, ComponentsAreFaceConnectedAndLargestFirst) {
    constexpr int n = 8;
    std::vector<std::uint8_t> occ(n * n * n, 0);
    auto at = [&](int x, int y, int z) -> std::uint8_t& { return occ[std::size_t((z * n + y) * n + x)]; };
    EXPECT_TRUE(kiln::geometry::voxelComponents(occ, n).empty());
    for (int x = 0; x < 4; ++x) at(x, 1, 1) = 1;  // a rod of 4 cells
    at(0, 2, 1) = 1;                             // joined to it by a face
    at(6, 6, 6) = 1, at(7, 7, 7) = 1;            // two cells touching only at a corner: separate
    at(7, 0, 7) = 1, at(7, 0, 6) = 1;            // a pair at the grid's edge
    EXPECT_EQ(kiln::geometry::voxelComponents(occ, n), (std::vector<std::size_t>{5, 2, 1, 1}));
    std::fill(occ.begin(), occ.end(), std::uint8_t(1));
    EXPECT_EQ(kiln::geometry::voxelComponents(occ, n), (std::vector<std::size_t>{std::size_t(n * n * n)}));
    EXPECT_THROW(kiln::geometry::voxelComponents(occ, n + 1), kiln::Error);
}

TEST(Metrics, SurfaceSamplesAreAreaWeightedAndOnTheSurface) {
    const Mesh m = sphereOfRadius(1.0f, 48);
    const auto pts = geo::sampleSurface(m, 20000, 7);
    ASSERT_EQ(pts.size(), 20000u);
    int upper = 0;
    for (const auto& p : pts) {
        EXPECT_NEAR(glm::length(p), 1.0f, 0.01f);
        upper += p.y > 0.0f;
    }
    // Half the area is above the equator.
    EXPECT_NEAR(upper / 20000.0, 0.5, 0.02);
    EXPECT_EQ(geo::sampleSurface(m, 100, 3), geo::sampleSurface(m, 100, 3));
}

TEST(Metrics, PointIndexMatchesBruteForce) {
    std::vector<glm::vec3> pts;
    unsigned s = 1;
    auto rnd = [&] { s = s * 1664525u + 1013904223u; return float(s >> 8) / float(1u << 24); };
    for (int i = 0; i < 3000; ++i) pts.emplace_back(rnd(), rnd() * 0.2f, rnd());
    const geo::PointIndex index(pts);
    for (int q = 0; q < 300; ++q) {
        const glm::vec3 p(rnd() * 1.2f - 0.1f, rnd(), rnd());
        float best = 1e30f;
        for (const auto& x : pts) best = std::min(best, glm::length(x - p));
        EXPECT_FLOAT_EQ(index.nearestDistance(p), best);
    }
}

TEST(Metrics, MeshFScoreSamplesDenselyEnoughToResolveItsDistance) {
    const Mesh a = sphereOfRadius(1.0f, 64), near = sphereOfRadius(1.02f, 64), far = sphereOfRadius(1.06f, 64);
    const double tau = 0.01 * glm::length(kiln::core::computeBounds(a).size());  // 0.035
    // 10k samples are ~tau apart on this sphere: a shape scores well below 1 against itself.
    EXPECT_LT(geo::fScore(geo::sampleSurface(a, 10000, 1), geo::sampleSurface(a, 10000, 2), tau), 0.97);
    EXPECT_GT(geo::meshFScore(a, a, 0.01, 1), 0.995);
    EXPECT_GT(geo::meshFScore(near, a, 0.01, 1), 0.99);  // 0.02 apart: inside tau
    EXPECT_LT(geo::meshFScore(far, a, 0.01, 1), 0.05);   // 0.06 apart: outside
    EXPECT_THROW(geo::meshFScore(Mesh{}, a, 0.01, 1), kiln::Error);
}

TEST(Metrics, MeshFScoreAgainstTheVisibleSurfaceOfAUnionOfParts) {
    // Two unit spheres, the second centred at x = 1: each has a quarter of its area inside the
    // other. The union's outer surface (marching cubes of its distance) matches only the visible
    // three quarters, so against the raw parts it scored ~0.86; against what is visible ~1.
    Mesh parts = sphereOfRadius(1.0f, 64);
    const Mesh second = sphereOfRadius(1.0f, 64);
    const auto base = std::uint32_t(parts.positions.size());
    for (const auto& p : second.positions) parts.positions.push_back(p + glm::vec3(1.0f, 0.0f, 0.0f));
    for (const auto i : second.indices) parts.indices.push_back(base + i);
    auto solid = [](const glm::vec3& p) { return glm::length(p) < 1.0f || glm::length(p - glm::vec3(1.0f, 0.0f, 0.0f)) < 1.0f; };
    const int r = 96;
    kiln::core::Bounds b;
    b.min = glm::vec3(-1.1f, -1.1f, -1.1f);
    b.max = glm::vec3(2.1f, 1.1f, 1.1f);
    b.valid = true;
    std::vector<float> d(std::size_t(r) * r * r);
    for (int z = 0; z < r; ++z)
        for (int y = 0; y < r; ++y)
            for (int x = 0; x < r; ++x) {
                const glm::vec3 p = b.min + glm::vec3(x, y, z) / float(r - 1) * b.size();
                d[(std::size_t(z) * r + std::size_t(y)) * r + std::size_t(x)] = std::min(glm::length(p), glm::length(p - glm::vec3(1.0f, 0.0f, 0.0f))) - 1.0f;
            }
    const Mesh outer = geo::marchingCubes(d, {r, r, r}, b, 0.0f);
    // 60k samples: about tau / 2 apart, enough for the gap between the two measures.
    const double raw = geo::meshFScore(outer, parts, 0.01, 3, 60000), visible = geo::meshFScore(outer, parts, 0.01, 3, 60000, solid);
    std::printf("F against the raw parts %.3f, against the visible surface %.3f\n", raw, visible);
    EXPECT_LT(raw, 0.9);
    EXPECT_GT(visible, 0.98);
    // Nothing is buried in a single closed part: the same score either way.
    const Mesh one = sphereOfRadius(1.0f, 64);
    auto ball = [](const glm::vec3& p) { return glm::length(p) < 1.0f; };
    EXPECT_NEAR(geo::meshFScore(sphereOfRadius(1.02f, 64), one, 0.01, 1, 60000, ball), geo::meshFScore(sphereOfRadius(1.02f, 64), one, 0.01, 1, 60000), 0.002);
}

TEST(Metrics, BootstrapMedianIntervalCoversTheTrueMedianAsOftenAsItSays) {
    // Samples of a standard normal (true median 0): the 95 % interval should hold 0 in about 95 %
    // of independent samples, and narrow as 1 / sqrt(n) (the median's standard error is
    // 1.2533 / sqrt(n)).
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    auto sample = [&](int n) {
        std::vector<double> v(static_cast<std::size_t>(n));
        for (double& x : v) x = normal(rng);
        return v;
    };
    int covered = 0;
    constexpr int trials = 200;
    for (int t = 0; t < trials; ++t) {
        const auto r = geo::bootstrapMedian(sample(41), 0.95, 1000, std::uint64_t(t));
        EXPECT_LE(r.low, r.median);
        EXPECT_GE(r.high, r.median);
        covered += r.low <= 0.0 && 0.0 <= r.high;
    }
    EXPECT_GE(covered, int(0.88 * trials));
    EXPECT_LE(covered, int(0.995 * trials));
    const auto wide = geo::bootstrapMedian(sample(40)), narrow = geo::bootstrapMedian(sample(400));
    EXPECT_NEAR(narrow.high - narrow.low, 2.0 * 1.96 * 1.2533 / 20.0, 0.1);
    EXPECT_GT(wide.high - wide.low, 2.0 * (narrow.high - narrow.low));
    // Deterministic for a seed; a constant set has no spread; the median is the plain median.
    const std::vector<double> v = {3.0, 1.0, 2.0, 10.0};
    const auto a = geo::bootstrapMedian(v, 0.9, 500, 3), b = geo::bootstrapMedian(v, 0.9, 500, 3);
    EXPECT_EQ(a.low, b.low);
    EXPECT_EQ(a.high, b.high);
    EXPECT_DOUBLE_EQ(a.median, 2.5);
    const auto flat = geo::bootstrapMedian({1.5, 1.5, 1.5});
    EXPECT_EQ(flat.low, 1.5);
    EXPECT_EQ(flat.high, 1.5);
    EXPECT_EQ(geo::bootstrapMedian({}).median, 0.0);
    EXPECT_THROW(geo::bootstrapMedian(v, 1.0), kiln::Error);
    EXPECT_THROW(geo::bootstrapMedian(v, 0.95, 0), kiln::Error);
}

TEST(Metrics, ChamferOfConcentricSpheresIsTheirGap) {
    const Mesh a = sphereOfRadius(1.0f, 64), b = sphereOfRadius(1.1f, 64);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = geo::chamferDistance(a, b, 100000, 1);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_NEAR(r.chamfer, 0.1, 0.01);
    EXPECT_NEAR(r.p95, 0.1, 0.02);
    EXPECT_LT(r.hausdorff, 0.13);
    EXPECT_NEAR(r.diagonalB, 2.2 * std::sqrt(3.0), 0.05);
    EXPECT_LT(seconds, 10.0) << "k-d tree queries should be O(n log n)";
    const auto same = geo::chamferDistance(a, a, 50000, 2);
    EXPECT_LT(same.chamfer, 0.01);  // only the sampling gap between two independent sample sets
    EXPECT_THROW(geo::chamferDistance(Mesh{}, a, 100, 0), kiln::Error);
    Mesh flat = a;
    for (auto& p : flat.positions) p = glm::vec3(0.0f);
    EXPECT_THROW(geo::chamferDistance(a, flat, 100, 0), kiln::Error);
}

namespace {

// Two unit squares side by side in 3D (x 0..1 and 1..2, z 0), sharing the edge x = 1. Each is its
// own UV island: the left in u 0..0.45, the right in u 0.55..1 but mirrored, so the shared edge
// sits at u 0.45 on the left and at u 1 on the right — a UV cut.
kiln::core::Mesh twoIslandStrip() {
    kiln::core::Mesh m;
    m.positions = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {1, 0, 0}, {2, 0, 0}, {2, 1, 0}, {1, 1, 0}};
    m.normals.assign(8, glm::vec3(0, 0, 1));
    m.uv0 = {{0.0f, 1.0f}, {0.45f, 1.0f}, {0.45f, 0.0f}, {0.0f, 0.0f}, {1.0f, 1.0f}, {0.55f, 1.0f}, {0.55f, 0.0f}, {1.0f, 0.0f}};
    m.indices = {0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7};
    m.submeshes.push_back({"strip", 0, 12, 0, 8, 0});
    m.materials.emplace_back();
    m.materials[0].baseColorTexture = 0;
    return m;
}

kiln::core::Texture halves(int size, glm::u8vec3 left, glm::u8vec3 right) {
    kiln::core::Texture t;
    t.name = "halves.png";
    t.image = kiln::core::Image::makeU8(size, size, 3);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x)
            for (int c = 0; c < 3; ++c) t.image.u8[std::size_t((y * size + x) * 3 + c)] = x < size / 2 ? left[c] : right[c];
    return t;
}

} // namespace

TEST(UvRaster, OverlapSamplesListEveryTriangleOfMirroredUvs) {
    // The strip's right square mirrored onto the left one's UVs: every texel of the island is
    // covered by two triangles, one from each square, and the overlap samples list the second.
    kiln::core::Mesh m = twoIslandStrip();
    for (int i = 0; i < 8; ++i) m.uv0[std::size_t(i)].x = i < 4 ? m.uv0[std::size_t(i)].x / 0.9f : (1.0f - m.uv0[std::size_t(i)].x) / 0.9f;
    const auto r = kiln::geometry::rasterizeUv(m, 64);
    const auto extra = kiln::geometry::overlapSamples(m, r);
    std::size_t inside = 0, fromRight = 0;
    for (std::size_t k = 0; k < r.coverage.size(); ++k) inside += r.coverage[k] == 2;
    for (const auto& e : extra) {
        EXPECT_NE(e.triangle, r.triangle[e.texel]);
        const glm::vec3 p = e.barycentric.x * m.positions[m.indices[3 * std::size_t(e.triangle)]] +
                            e.barycentric.y * m.positions[m.indices[3 * std::size_t(e.triangle) + 1]] +
                            e.barycentric.z * m.positions[m.indices[3 * std::size_t(e.triangle) + 2]];
        fromRight += p.x > 1.0f;
    }
    // Left half of the atlas: 32 x 64 texel centres, all inside both squares' UVs.
    EXPECT_EQ(inside, 32u * 64u);
    EXPECT_GE(extra.size(), 32u * 64u);
    EXPECT_GE(fromRight, 32u * 64u - 64u);
}

TEST(TextureSeams, ACutBetweenDifferentColoursShowsAndOneColourDoesNot) {
    kiln::core::Mesh m = twoIslandStrip();
    m.textures = {halves(64, {200, 30, 30}, {200, 30, 30})};
    const auto same = kiln::geometry::textureSeams(m);
    EXPECT_EQ(same.cutEdges, 1u);
    EXPECT_GE(same.interiorEdges, 2u);  // the squares' diagonals
    EXPECT_LT(same.seamDeltaE, 0.01);
    m.textures = {halves(64, {200, 30, 30}, {30, 30, 200})};
    const auto split = kiln::geometry::textureSeams(m);
    EXPECT_GT(split.seamDeltaE, 50.0);
    EXPECT_LT(split.interiorDeltaE, 0.01);  // each island is one colour inside
    m.materials[0].baseColorTexture = -1;
    EXPECT_THROW(kiln::geometry::textureSeams(m), kiln::Error);
}

namespace {

// The unit cube's six faces, each an n x n grid of its own vertices (as a mesh with a UV seam on
// every edge has them), outward winding. Face order: +x, -x, +y, -y, +z, -z.
kiln::core::Mesh subdividedCube(int n) {
    kiln::core::Mesh m;
    for (int axis = 0; axis < 3; ++axis)
        for (const float side : {1.0f, -1.0f}) {
            glm::vec3 normal(0.0f), u(0.0f), v(0.0f);
            normal[axis] = side, u[(axis + 1) % 3] = 1.0f, v[(axis + 2) % 3] = 1.0f;
            if (side < 0.0f) std::swap(u, v);
            const auto base = std::uint32_t(m.positions.size());
            for (int j = 0; j <= n; ++j)
                for (int i = 0; i <= n; ++i)
                    m.positions.push_back(0.5f * normal + (float(i) / float(n) - 0.5f) * u + (float(j) / float(n) - 0.5f) * v);
            for (int j = 0; j < n; ++j)
                for (int i = 0; i < n; ++i) {
                    const std::uint32_t a = base + std::uint32_t(j * (n + 1) + i), b = a + 1, c = a + std::uint32_t(n + 1), d = c + 1;
                    m.indices.insert(m.indices.end(), {a, b, d, a, d, c});
                }
        }
    kiln::core::Submesh all;
    all.name = "cube";
    all.indexCount = std::uint32_t(m.indices.size());
    all.vertexCount = std::uint32_t(m.positions.size());
    m.submeshes.push_back(all);
    return m;
}

// The labelling energy cutRegion minimises, written out from its definition.
struct RegionEnergy {
    std::vector<double> weight;  // area against the mean
    std::vector<geo::FaceEdge> edges;
    double meanLength = 0.0;

    explicit RegionEnergy(const kiln::core::Mesh& m) : weight(m.triangleCount()), edges(geo::faceAdjacency(m)) {
        double meanArea = 0.0;
        for (std::size_t t = 0; t < weight.size(); ++t) {
            const glm::vec3 a = m.positions[m.indices[3 * t]], b = m.positions[m.indices[3 * t + 1]], c = m.positions[m.indices[3 * t + 2]];
            weight[t] = 0.5 * double(glm::length(glm::cross(b - a, c - a)));
            meanArea += weight[t] / double(weight.size());
        }
        for (double& w : weight) w /= meanArea;
        for (const auto& e : edges) meanLength += double(e.length) / double(edges.size());
    }
    double operator()(const std::vector<float>& inside, const std::vector<std::uint8_t>& label, const geo::RegionCutOptions& o) const {
        double energy = 0.0;
        for (std::size_t t = 0; t < weight.size(); ++t) energy -= weight[t] * std::log(label[t] ? double(inside[t]) : 1.0 - double(inside[t]));
        for (const auto& e : edges)
            if (label[e.a] != label[e.b])
                energy += double(o.smoothness) * double(e.length) / meanLength *
                          std::exp(-(1.0 - double(e.cosAngle)) * (e.concave ? 1.0 : double(o.convexity)) / double(o.crease));
        return energy;
    }
};

} // namespace

TEST(RegionCut, FaceAdjacencyJoinsSeamsAndMeasuresCreases) {
    const kiln::core::Mesh cube = subdividedCube(1);
    const auto edges = geo::faceAdjacency(cube);
    // Each face's diagonal (flat) and the cube's 12 edges (right angles), across the UV seams.
    ASSERT_EQ(edges.size(), 18u);
    int flat = 0, square = 0;
    for (const auto& e : edges) {
        EXPECT_LT(e.a, e.b);
        flat += std::abs(e.cosAngle - 1.0f) < 1e-6f && std::abs(e.length - std::sqrt(2.0f)) < 1e-6f;
        square += std::abs(e.cosAngle) < 1e-6f && std::abs(e.length - 1.0f) < 1e-6f;
    }
    EXPECT_EQ(flat, 6);
    EXPECT_EQ(square, 12);
    for (const auto& e : edges) EXPECT_FALSE(e.concave);  // a convex solid has ridges only
    // Two squares folded up along x = 0 (a V seen from the front, normals up): a valley.
    kiln::core::Mesh v;
    v.positions = {{-1, 1, 0}, {0, 0, 0}, {0, 0, 1}, {-1, 1, 1}, {1, 1, 0}, {1, 1, 1}};
    v.indices = {0, 2, 1, 0, 3, 2, 1, 2, 5, 1, 5, 4};
    const auto fold = geo::faceAdjacency(v);
    int valleys = 0;
    for (const auto& e : fold) valleys += e.concave;
    EXPECT_EQ(fold.size(), 3u);
    EXPECT_EQ(valleys, 1);
}

TEST(RegionCut, FindsTheMinimumEnergyLabellingExactly) {
    // Against every one of the 2^n labellings: the 12-triangle cube, a 3 x 3 grid of quads (one
    // face of a subdivided cube), and a zigzag of valleys and ridges.
    std::mt19937 rng(7);
    kiln::core::Mesh zigzag;
    for (int i = 0; i <= 6; ++i)
        for (const float z : {0.0f, 1.0f}) zigzag.positions.push_back({float(i), float(i % 2) * 0.7f, z});
    for (std::uint32_t i = 0; i < 6; ++i) zigzag.indices.insert(zigzag.indices.end(), {2 * i, 2 * i + 1, 2 * i + 3, 2 * i, 2 * i + 3, 2 * i + 2});
    std::uniform_real_distribution<float> p(0.05f, 0.95f);
    kiln::core::Mesh grid = subdividedCube(3);
    grid.indices.resize(18 * 3);
    grid.submeshes[0].indexCount = std::uint32_t(grid.indices.size());
    int valleys = 0, ridges = 0;
    for (const auto& e : geo::faceAdjacency(zigzag))
        if (e.cosAngle < 0.999f) ++(e.concave ? valleys : ridges);
    EXPECT_EQ(valleys + ridges, 5);
    EXPECT_GE(std::min(valleys, ridges), 2);
    for (const kiln::core::Mesh& m : {subdividedCube(1), grid, zigzag}) {
        const RegionEnergy energy(m);
        for (const float smoothness : {0.0f, 0.3f, 1.0f, 3.0f})
            for (int trial = 0; trial < 3; ++trial) {
                std::vector<float> inside(m.triangleCount());
                for (float& v : inside) v = p(rng);
                const geo::RegionCutOptions o{.smoothness = smoothness, .crease = trial == 2 ? 10.0f : 0.1f, .convexity = trial == 1 ? 0.1f : 1.0f};
                const auto found = geo::cutRegion(m, inside, o);
                ASSERT_EQ(found.size(), m.triangleCount());
                double best = std::numeric_limits<double>::max();
                std::vector<std::uint8_t> label(m.triangleCount());
                for (std::uint32_t bits = 0; bits < (1u << m.triangleCount()); ++bits) {
                    for (std::size_t t = 0; t < label.size(); ++t) label[t] = (bits >> t) & 1u;
                    best = std::min(best, energy(inside, label, o));
                }
                EXPECT_NEAR(energy(inside, found, o), best, 1e-9 * std::max(1.0, best)) << m.triangleCount() << " triangles, smoothness " << smoothness;
            }
    }
}

TEST(RegionCut, FillsNoisyPatchesAndCutsAlongCreases) {
    // The top face of a finely divided cube is the region; a classifier's evidence says so with
    // one triangle in six flipped (the trim painting blocks of a panel). On its own evidence the
    // region has holes and strays; cut along the mesh it is exactly the top face, its boundary on
    // the cube's edges.
    const kiln::core::Mesh cube = subdividedCube(8);
    const std::size_t perFace = 2 * 8 * 8;
    ASSERT_EQ(cube.triangleCount(), 6 * perFace);
    std::vector<std::uint8_t> truth(6 * perFace, 0);
    std::fill(truth.begin() + std::ptrdiff_t(2 * perFace), truth.begin() + std::ptrdiff_t(3 * perFace), std::uint8_t(1));  // +y
    std::vector<float> inside(cube.triangleCount());
    std::mt19937 rng(11);
    std::size_t flipped = 0;
    for (std::size_t t = 0; t < inside.size(); ++t) {
        const bool flip = rng() % 6 == 0;
        flipped += flip;
        inside[t] = (truth[t] != flip) ? 0.7f : 0.3f;
    }
    EXPECT_EQ(geo::cutRegion(cube, inside, {.smoothness = 0.0f}).size(), truth.size());
    std::size_t wrongAlone = 0;
    const auto alone = geo::cutRegion(cube, inside, {.smoothness = 0.0f});
    for (std::size_t t = 0; t < truth.size(); ++t) wrongAlone += alone[t] != truth[t];
    EXPECT_EQ(wrongAlone, flipped);
    EXPECT_EQ(geo::cutRegion(cube, inside, {.smoothness = 1.0f}), truth);
    // The IoU by area: the top face against the top and bottom faces is a half.
    std::vector<std::uint8_t> topAndBottom = truth;
    std::fill(topAndBottom.begin() + std::ptrdiff_t(3 * perFace), topAndBottom.begin() + std::ptrdiff_t(4 * perFace), std::uint8_t(1));
    EXPECT_NEAR(geo::regionIoU(cube, truth, topAndBottom), 0.5, 1e-9);
    EXPECT_LT(geo::regionIoU(cube, alone, truth), 1.0);
    EXPECT_EQ(geo::regionIoU(cube, std::vector<std::uint8_t>(6 * perFace, 0), std::vector<std::uint8_t>(6 * perFace, 0)), 1.0);
    EXPECT_THROW(geo::regionIoU(cube, truth, std::vector<std::uint8_t>(3, 0)), kiln::Error);
    // Where the cube's edges cost as much as its flat joins, the cut no longer has a reason to
    // follow them, but still fills the holes.
    const auto flatCost = geo::cutRegion(cube, inside, {.smoothness = 1.0f, .crease = 1000.0f});
    std::size_t wrongFlat = 0;
    for (std::size_t t = 0; t < truth.size(); ++t) wrongFlat += flatCost[t] != truth[t];
    EXPECT_LT(wrongFlat, flipped / 4);
    // Bad input: evidence of the wrong length, or a negative smoothness.
    EXPECT_THROW(geo::cutRegion(cube, std::vector<float>(3, 0.5f)), kiln::Error);
    EXPECT_THROW(geo::cutRegion(cube, inside, {.smoothness = -1.0f}), kiln::Error);
}
