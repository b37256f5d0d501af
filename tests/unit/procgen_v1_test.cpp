// The procedural asset library: every category's meshes, captions, sampling, split, dataset.
#include "core/error.h"
#include "geometry/mesh_cleanup.h"
#include "procgen/v1/dataset.h"
#include "procgen/v1/procgen.h"
#include "test_util.h"

#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace pg = kiln::procgen::v1;
using kiln::core::Mesh;

namespace {

bool contains(const std::string& text, const std::string& word) { return text.find(word) != std::string::npos; }

// Whole-word match, so "tree" is not found in "street".
bool hasWord(const std::string& text, const std::string& word) {
    std::string padded = " " + text + " ";
    for (char& c : padded)
        if (c == ',') c = ' ';
    return contains(padded, " " + word + " ");
}

glm::vec3 toLab(const float rgb[3]) {
    // Linear sRGB -> XYZ (D65) -> CIELAB.
    const glm::vec3 c(rgb[0], rgb[1], rgb[2]);
    const glm::vec3 xyz(0.4124f * c.r + 0.3576f * c.g + 0.1805f * c.b, 0.2126f * c.r + 0.7152f * c.g + 0.0722f * c.b,
                        0.0193f * c.r + 0.1192f * c.g + 0.9505f * c.b);
    const glm::vec3 white(0.95047f, 1.0f, 1.08883f);
    auto f = [](float t) { return t > 0.008856f ? std::cbrt(t) : 7.787f * t + 16.0f / 116.0f; };
    const float fx = f(xyz.x / white.x), fy = f(xyz.y / white.y), fz = f(xyz.z / white.z);
    return {116.0f * fy - 16.0f, 500.0f * (fx - fy), 200.0f * (fy - fz)};
}

double triangleArea(const Mesh& m, std::size_t t) {
    const glm::dvec3 a = m.positions[m.indices[3 * t]], b = m.positions[m.indices[3 * t + 1]], c = m.positions[m.indices[3 * t + 2]];
    return 0.5 * glm::length(glm::cross(b - a, c - a));
}

// Distance from p to triangle abc (Ericson, Real-Time Collision Detection, 5.1.5), in double.
double pointTriangleDistance(const glm::dvec3& p, const glm::dvec3& a, const glm::dvec3& b, const glm::dvec3& c) {
    const glm::dvec3 ab = b - a, ac = c - a, ap = p - a;
    const double d1 = glm::dot(ab, ap), d2 = glm::dot(ac, ap);
    if (d1 <= 0 && d2 <= 0) return glm::length(p - a);
    const glm::dvec3 bp = p - b;
    const double d3 = glm::dot(ab, bp), d4 = glm::dot(ac, bp);
    if (d3 >= 0 && d4 <= d3) return glm::length(p - b);
    const double vc = d1 * d4 - d3 * d2;
    if (vc <= 0 && d1 >= 0 && d3 <= 0) return glm::length(p - (a + ab * (d1 / (d1 - d3))));
    const glm::dvec3 cp = p - c;
    const double d5 = glm::dot(ab, cp), d6 = glm::dot(ac, cp);
    if (d6 >= 0 && d5 <= d6) return glm::length(p - c);
    const double vb = d5 * d2 - d1 * d6;
    if (vb <= 0 && d2 >= 0 && d6 <= 0) return glm::length(p - (a + ac * (d2 / (d2 - d6))));
    const double va = d3 * d6 - d5 * d4;
    if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) return glm::length(p - (b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)))));
    const double denom = 1.0 / (va + vb + vc);
    return glm::length(p - (a + ab * (vb * denom) + ac * (vc * denom)));
}

double distanceToMesh(const Mesh& m, const glm::vec3& p) {
    double best = 1e30;
    for (std::size_t t = 0; t < m.triangleCount(); ++t)
        best = std::min(best, pointTriangleDistance(p, m.positions[m.indices[3 * t]], m.positions[m.indices[3 * t + 1]],
                                                    m.positions[m.indices[3 * t + 2]]));
    return best;
}

template <class T>
bool sameBytes(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

} // namespace

TEST(procgen, PaletteIsDistinctInLab) {
    const auto& pal = pg::palette();
    ASSERT_GE(pal.size(), 12u);
    std::set<std::string> names;
    for (const auto& c : pal) {
        EXPECT_TRUE(names.insert(c.name).second) << c.name;
        EXPECT_EQ(c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz"), std::string::npos) << c.name;
        for (int k = 0; k < 3; ++k) EXPECT_TRUE(c.rgb[k] >= 0.0f && c.rgb[k] <= 1.0f);
    }
    float minDelta = 1e9f;
    for (std::size_t i = 0; i < pal.size(); ++i)
        for (std::size_t j = i + 1; j < pal.size(); ++j) {
            const float d = glm::length(toLab(pal[i].rgb) - toLab(pal[j].rgb));
            EXPECT_GT(d, 15.0f) << pal[i].name << " vs " << pal[j].name;
            minDelta = std::min(minDelta, d);
        }
    std::printf("palette: %zu colours, min delta E76 %.1f\n", pal.size(), minDelta);
}

TEST(procgen, CategoryTable) {
    const auto& cats = pg::categories();
    ASSERT_GE(cats.size(), 18u);
    std::set<std::string> names;
    for (const auto& c : cats) {
        EXPECT_TRUE(names.insert(c.name).second) << c.name;
        EXPECT_EQ(c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz"), std::string::npos) << c.name;
        EXPECT_GE(c.styles.size(), 2u) << c.name;
        EXPECT_FALSE(c.materials.empty()) << c.name;
        std::set<std::string> styles;
        for (const auto& s : c.styles) {
            EXPECT_TRUE(styles.insert(s.name).second) << c.name << " " << s.name;
            EXPECT_FALSE(s.phrase.empty());
        }
    }
    ASSERT_EQ(pg::materials().size(), 5u);
    for (std::size_t i = 0; i < pg::materials().size(); ++i) {
        const auto& m = pg::materials()[i];
        EXPECT_EQ(std::size_t(m.kind), i);
        EXPECT_TRUE(contains(m.name, m.noun)) << m.name;  // "wooden" contains "wood"
    }
}

// 20 random samples of every category: valid, finite, sized, resting, closed, coloured, captioned.
TEST(procgen, EveryCategoryMakesCleanCaptionedMeshes) {
    const auto& cats = pg::categories();
    std::mt19937_64 rng(1234);
    for (int ci = 0; ci < int(cats.size()); ++ci) {
        const auto& cat = cats[std::size_t(ci)];
        for (int k = 0; k < 20; ++k) {
            pg::AssetParams p = pg::randomParams(ci, rng);
            if (k < int(cat.styles.size())) p.style = k;  // every style at least once
            const pg::ProcAsset a = pg::generate(p);
            const Mesh& m = a.mesh;
            const std::string what = cat.name + "/" + cat.styles[std::size_t(p.style)].name + " seed " + std::to_string(p.shapeSeed);
            SCOPED_TRACE(what);
            ASSERT_NO_THROW(m.validate(what));
            ASSERT_FALSE(m.empty());
            ASSERT_EQ(m.normals.size(), m.positions.size());
            ASSERT_EQ(m.colors.size(), m.positions.size());
            for (std::size_t v = 0; v < m.positions.size(); ++v) {
                for (int c = 0; c < 3; ++c) ASSERT_TRUE(std::isfinite(m.positions[v][c]) && std::isfinite(m.normals[v][c]));
                ASSERT_NEAR(glm::length(m.normals[v]), 1.0f, 1e-3f);
            }
            const auto b = kiln::core::computeBounds(m);
            const glm::vec3 size = b.size();
            const float extent = std::max({size.x, size.y, size.z});
            EXPECT_GE(extent, 0.02f);
            EXPECT_LE(extent, 3.0f);
            EXPECT_GT(std::min({size.x, size.y, size.z}), 0.003f);
            EXPECT_NEAR(b.min.y, 0.0f, 1e-5f);
            EXPECT_NEAR(b.center().x, 0.0f, 1e-5f);
            EXPECT_NEAR(b.center().z, 0.0f, 1e-5f);

            const auto report = kiln::geometry::analyse(m);
            EXPECT_TRUE(report.watertight) << "boundary " << report.boundaryEdges << " non-manifold " << report.nonManifoldEdges;
            EXPECT_EQ(report.inconsistentEdges, 0u);
            EXPECT_GT(report.volume, 0.0) << "faces point inward";

            // >= 85 % of the area in the prompted colour.
            const auto& pc = pg::palette()[std::size_t(p.colour)];
            double total = 0.0, prompted = 0.0;
            for (std::size_t t = 0; t < m.triangleCount(); ++t) {
                const double area = triangleArea(m, t);
                total += area;
                bool same = true;
                for (int c = 0; c < 3; ++c) {
                    const glm::vec4& col = m.colors[m.indices[3 * t + std::size_t(c)]];
                    same = same && std::abs(col.r - pc.rgb[0]) < 1e-5f && std::abs(col.g - pc.rgb[1]) < 1e-5f &&
                           std::abs(col.b - pc.rgb[2]) < 1e-5f && col.a == 1.0f;
                }
                if (same) prompted += area;
            }
            EXPECT_GE(prompted / total, 0.85);

            ASSERT_EQ(m.materials.size(), 1u);
            const auto& mat = pg::materials()[std::size_t(p.material)];
            EXPECT_EQ(m.materials[0].baseColorFactor, glm::vec4(1.0f));
            EXPECT_FLOAT_EQ(m.materials[0].roughnessFactor, mat.roughness);
            EXPECT_FLOAT_EQ(m.materials[0].metallicFactor, mat.metalness);

            // Captions name the category, colour, style phrase and material, in small plain words.
            ASSERT_GE(a.paraphrases.size(), 3u);
            std::set<std::string> wordings{a.caption};
            for (const std::string& text : [&] {
                     std::vector<std::string> all{a.caption};
                     all.insert(all.end(), a.paraphrases.begin(), a.paraphrases.end());
                     return all;
                 }()) {
                EXPECT_TRUE(hasWord(text, cat.name)) << text;
                EXPECT_TRUE(hasWord(text, pc.name)) << text;
                EXPECT_TRUE(contains(text, mat.noun)) << text;
                EXPECT_TRUE(contains(text, cat.styles[std::size_t(p.style)].phrase)) << text;
                EXPECT_EQ(text.find_first_not_of("abcdefghijklmnopqrstuvwxyz ,"), std::string::npos) << text;
                EXPECT_EQ(text.find("  "), std::string::npos) << text;
                EXPECT_EQ(text.find(",,"), std::string::npos) << text;
                EXPECT_NE(text.back(), ',') << text;
                EXPECT_NE(text.front(), ' ') << text;
                wordings.insert(text);
            }
            EXPECT_EQ(wordings.size(), 1 + a.paraphrases.size()) << "paraphrases repeat the caption";
        }
    }
}

TEST(procgen, Deterministic) {
    std::mt19937_64 rng(99);
    for (int ci = 0; ci < int(pg::categories().size()); ++ci) {
        const pg::AssetParams p = pg::randomParams(ci, rng);
        const pg::ProcAsset a = pg::generate(p), b = pg::generate(p);
        EXPECT_TRUE(sameBytes(a.mesh.positions, b.mesh.positions));
        EXPECT_TRUE(sameBytes(a.mesh.normals, b.mesh.normals));
        EXPECT_TRUE(sameBytes(a.mesh.colors, b.mesh.colors));
        EXPECT_TRUE(sameBytes(a.mesh.indices, b.mesh.indices));
        EXPECT_EQ(a.caption, b.caption);
        EXPECT_EQ(a.paraphrases, b.paraphrases);
        pg::AssetParams q = p;
        q.shapeSeed ^= 0x12345;
        EXPECT_FALSE(sameBytes(a.mesh.positions, pg::generate(q).mesh.positions)) << "shape seed changes the proportions";
    }
    std::mt19937_64 r1(5), r2(5);
    for (int i = 0; i < 50; ++i) {
        const auto p1 = pg::randomParams(i % 18, r1), p2 = pg::randomParams(i % 18, r2);
        EXPECT_EQ(std::tie(p1.style, p1.colour, p1.material, p1.shapeSeed), std::tie(p2.style, p2.colour, p2.material, p2.shapeSeed));
    }
}

// Styles change the shape, not just the caption: same seed, different style -> different bounds
// proportions or topology.
TEST(procgen, StylesChangeTheShape) {
    for (int ci = 0; ci < int(pg::categories().size()); ++ci) {
        const auto& cat = pg::categories()[std::size_t(ci)];
        std::vector<std::tuple<std::size_t, float, float>> seen;
        for (int s = 0; s < int(cat.styles.size()); ++s) {
            const pg::ProcAsset a = pg::generate({ci, s, 0, cat.materials.front(), 77});
            const glm::vec3 size = kiln::core::computeBounds(a.mesh).size();
            const auto key = std::make_tuple(a.mesh.triangleCount(), size.x / size.y, size.z / size.y);
            EXPECT_EQ(std::find(seen.begin(), seen.end(), key), seen.end()) << cat.name << " style " << cat.styles[std::size_t(s)].name;
            seen.push_back(key);
        }
    }
}

TEST(procgen, RejectsBadParams) {
    EXPECT_THROW(pg::generate({-1, 0, 0, pg::MaterialKind::Wood, 0}), kiln::Error);
    EXPECT_THROW(pg::generate({int(pg::categories().size()), 0, 0, pg::MaterialKind::Wood, 0}), kiln::Error);
    EXPECT_THROW(pg::generate({0, 99, 0, pg::MaterialKind::Wood, 0}), kiln::Error);
    EXPECT_THROW(pg::generate({0, 0, 99, pg::MaterialKind::Wood, 0}), kiln::Error);
    // A rock is stone only.
    int rock = -1;
    for (int i = 0; i < int(pg::categories().size()); ++i)
        if (pg::categories()[std::size_t(i)].name == "rock") rock = i;
    ASSERT_GE(rock, 0);
    try {
        pg::generate({rock, 0, 0, pg::MaterialKind::Wood, 0});
        FAIL() << "a wooden rock was accepted";
    } catch (const kiln::Error& e) {
        EXPECT_TRUE(contains(e.what(), "rock")) << e.what();
    }
    std::mt19937_64 rng(1);
    EXPECT_THROW(pg::randomParams(-1, rng), kiln::Error);
}

TEST(procgen, SurfaceSamplingIsAreaWeightedAndStratified) {
    // Two separate triangles, areas 1 and 3.
    Mesh m;
    m.positions = {{0, 0, 0}, {1, 0, 0}, {0, 2, 0}, {5, 0, 0}, {8, 0, 0}, {5, 2, 0}};
    m.indices = {0, 1, 2, 3, 4, 5};
    m.colors = {glm::vec4(1, 0, 0, 1), glm::vec4(1, 0, 0, 1), glm::vec4(1, 0, 0, 1), glm::vec4(0, 0, 1, 1), glm::vec4(0, 0, 1, 1),
                glm::vec4(0, 0, 1, 1)};
    const auto s = pg::sampleSurface(m, 1000, 3);
    ASSERT_EQ(s.positions.size(), 1000u);
    ASSERT_EQ(s.normals.size(), 1000u);
    ASSERT_EQ(s.colours.size(), 1000u);
    int first = 0;
    for (std::size_t i = 0; i < 1000; ++i) {
        const bool inFirst = s.positions[i].x < 2.0f;
        first += inFirst;
        EXPECT_EQ(s.colours[i], inFirst ? glm::vec3(1, 0, 0) : glm::vec3(0, 0, 1));
        EXPECT_NEAR(std::abs(s.normals[i].z), 1.0f, 1e-6f);
    }
    EXPECT_NEAR(first, 250, 1);  // stratified: the expected count, rounded
    // Even coverage inside a triangle: the part of the big one with x < 6.5 holds 3/4 of its area,
    // so about 3/4 of its 750 samples.
    int left = 0;
    for (const auto& q : s.positions) left += q.x >= 5.0f && q.x < 6.5f;
    EXPECT_NEAR(left, 750.0 * (1.0 - 0.25), 8.0);
    const auto again = pg::sampleSurface(m, 1000, 3);
    EXPECT_TRUE(sameBytes(s.positions, again.positions));
    EXPECT_FALSE(sameBytes(s.positions, pg::sampleSurface(m, 1000, 4).positions));
    EXPECT_THROW(pg::sampleSurface(Mesh{}, 10, 0), kiln::Error);
}

TEST(procgen, SplatsSitFlatOnTheSurface) {
    std::mt19937_64 rng(7);
    for (int ci = 0; ci < int(pg::categories().size()); ci += 3) {
        const pg::ProcAsset a = pg::generate(pg::randomParams(ci, rng));
        const int count = 2048;
        const auto cloud = pg::sampleSplats(a.mesh, count, 11);
        const auto surface = pg::sampleSurface(a.mesh, count, 11);
        ASSERT_EQ(cloud.size(), std::size_t(count));
        EXPECT_EQ(cloud.shDegree, 0);
        ASSERT_NO_THROW(cloud.validate("splats"));
        ASSERT_NO_THROW(cloud.checkFinite("splats"));
        const float extent = glm::length(kiln::core::computeBounds(a.mesh).size());
        for (std::size_t i = 0; i < cloud.size(); i += 37) {
            EXPECT_LT(distanceToMesh(a.mesh, cloud.positions[i]), 1e-6 * extent + 1e-7);
            const glm::vec4 q = cloud.rotations[i];
            const glm::vec3 z = glm::quat(q.x, q.y, q.z, q.w) * glm::vec3(0, 0, 1);  // glm::quat is (w, x, y, z)
            EXPECT_GT(glm::dot(z, surface.normals[i]), 0.999f);
            EXPECT_LT(cloud.logScales[i].z, cloud.logScales[i].x - 2.0f);
            EXPECT_FLOAT_EQ(cloud.logScales[i].x, cloud.logScales[i].y);
            EXPECT_NEAR(cloud.opacityLogits[i], std::log(0.95f / 0.05f), 1e-4f);
            // Splat colours are the sRGB encoding of the linear vertex colour.
            for (int c = 0; c < 3; ++c) {
                const float srgb = 0.5f + kiln::core::kShC0 * cloud.sh[i * 3 + std::size_t(c)];
                const float lin = srgb <= 0.04045f ? srgb / 12.92f : std::pow((srgb + 0.055f) / 1.055f, 2.4f);
                EXPECT_NEAR(lin, surface.colours[i][c], 1e-4f);
            }
        }
    }
}

TEST(procgen, SplitHoldsOutWholeTriples) {
    const auto& cats = pg::categories();
    int valTriples = 0, allTriples = 0;
    for (int c = 0; c < int(cats.size()); ++c) {
        int val = 0, total = 0;
        for (int s = 0; s < int(cats[std::size_t(c)].styles.size()); ++s)
            for (int k = 0; k < int(pg::palette().size()); ++k) {
                val += pg::isValidationTriple(c, s, k, 0.1);
                ++total;
                EXPECT_FALSE(pg::isValidationTriple(c, s, k, 0.0));
                EXPECT_EQ(pg::isValidationTriple(c, s, k, 0.1), pg::isValidationTriple(c, s, k, 0.1));
            }
        EXPECT_GE(val, 1) << cats[std::size_t(c)].name;
        EXPECT_LT(val, total) << cats[std::size_t(c)].name;
        valTriples += val;
        allTriples += total;
    }
    EXPECT_GT(double(valTriples) / allTriples, 0.05);
    EXPECT_LT(double(valTriples) / allTriples, 0.2);
    EXPECT_THROW(pg::isValidationTriple(0, 0, 99, 0.1), kiln::Error);

    // Over a dataset's items: no triple on both sides, every category has validation items.
    std::map<std::tuple<int, int, int>, bool> side;
    std::set<int> categoriesWithVal;
    for (int i = 0; i < 2000; ++i) {
        const pg::AssetParams p = pg::datasetParams(42, i);
        EXPECT_EQ(p.category, i % int(cats.size()));
        const bool val = pg::isValidationTriple(p.category, p.style, p.colour, 0.1);
        const auto key = std::make_tuple(p.category, p.style, p.colour);
        const auto [it, inserted] = side.emplace(key, val);
        EXPECT_EQ(it->second, val);
        if (val) categoriesWithVal.insert(p.category);
    }
    EXPECT_EQ(categoriesWithVal.size(), cats.size());
    const pg::AssetParams a = pg::datasetParams(42, 17), b = pg::datasetParams(42, 17);
    EXPECT_EQ(a.shapeSeed, b.shapeSeed);
    EXPECT_NE(pg::datasetParams(42, 17).shapeSeed, pg::datasetParams(43, 17).shapeSeed);
}

TEST(procgen, BuildsASmallDataset) {
    const auto dir = kiln::test::scratchDir() / "ds";
    pg::DatasetOptions o;
    o.outDir = dir;
    o.count = 24;
    o.seed = 3;
    o.splats = 256;
    o.views = 0;
    kiln::core::Progress progress;
    const auto summary = pg::buildDataset(o, progress);
    EXPECT_EQ(summary.items, 24);
    EXPECT_EQ(summary.train + summary.val, 24);
    std::ifstream in(dir / "dataset.json");
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j["format"], "kiln-dataset");
    EXPECT_EQ(j["version"], 1);
    ASSERT_EQ(j["items"].size(), 24u);
    EXPECT_EQ(j["categories"].size(), pg::categories().size());
    for (const auto& item : j["items"]) {
        EXPECT_TRUE(std::filesystem::exists(dir / item["mesh"].get<std::string>()));
        EXPECT_TRUE(std::filesystem::exists(dir / item["splats"].get<std::string>()));
        EXPECT_FALSE(item.contains("views"));
    }
    EXPECT_EQ(j["items"][1]["category"], pg::categories()[1].name);
    // A second build into the same folder is refused without force, and works with it.
    EXPECT_THROW(pg::buildDataset(o, progress), kiln::Error);
    o.force = true;
    o.count = 5;
    EXPECT_EQ(pg::buildDataset(o, progress).items, 5);
    EXPECT_FALSE(std::filesystem::exists(dir / "meshes" / "000010.glb")) << "force replaces the old dataset";
}
