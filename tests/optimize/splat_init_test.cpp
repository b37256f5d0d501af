// The fit's starting scales (optimize::neighbourScales): per point, the RMS distance to its three
// nearest neighbours, as the 3DGS reference. A real capture's sparse points are a dense object and
// a few far outliers; one spacing from their whole box made every starting Gaussian ~60x too big
// on the bird capture (1.35 against a median neighbour distance of 0.022) and the fit a fog.
#include "optimize/splat_fitter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <random>

using kiln::optimize::neighbourScales;

TEST(SplatInit, NeighbourScalesFollowEachPointsOwnSpacing) {
    std::vector<glm::vec3> points;
    // A dense 10^3 lattice of spacing 0.01, a sparse 4^3 lattice of spacing 1 far away, an outlier.
    for (int x = 0; x < 10; ++x)
        for (int y = 0; y < 10; ++y)
            for (int z = 0; z < 10; ++z) points.push_back(glm::vec3(x, y, z) * 0.01f);
    for (int x = 0; x < 4; ++x)
        for (int y = 0; y < 4; ++y)
            for (int z = 0; z < 4; ++z) points.push_back(glm::vec3(20.0f) + glm::vec3(x, y, z));
    points.push_back({-500.0f, 0.0f, 0.0f});
    const std::vector<float> s = neighbourScales(points);
    ASSERT_EQ(s.size(), points.size());
    // Interior lattice points have six neighbours at the spacing: the three nearest are all at it.
    EXPECT_NEAR(s[5 * 100 + 5 * 10 + 5], 0.01f, 1e-5f);
    EXPECT_NEAR(s[1000 + 1 * 16 + 1 * 4 + 1], 1.0f, 1e-4f);
    for (std::size_t i = 0; i < 1000; ++i) EXPECT_LE(s[i], 0.0101f) << "dense point " << i;
    EXPECT_GT(s.back(), 0.05f) << "the outlier starts larger than the dense points";
    for (float v : s) EXPECT_TRUE(std::isfinite(v) && v > 0.0f);
}

TEST(SplatInit, NeighbourScalesOfRandomPointsMatchABruteForceSearch) {
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<glm::vec3> points;
    for (int i = 0; i < 600; ++i) points.push_back({g(rng), 0.2f * g(rng), g(rng) * (i % 7 == 0 ? 5.0f : 1.0f)});
    points.push_back(points[10]);  // a duplicate: distance 0 to its twin
    const std::vector<float> s = neighbourScales(points);
    for (std::size_t i = 0; i < points.size(); ++i) {
        std::vector<float> d2;
        for (std::size_t j = 0; j < points.size(); ++j)
            if (j != i) d2.push_back(glm::dot(points[j] - points[i], points[j] - points[i]));
        std::partial_sort(d2.begin(), d2.begin() + 3, d2.end());
        const float expected = std::sqrt((d2[0] + d2[1] + d2[2]) / 3.0f);
        // Points with no third neighbour within six grid cells get that distance instead.
        EXPECT_LE(s[i], expected * 1.0001f + 1e-6f) << i;
        if (expected < 0.3f) {
            EXPECT_NEAR(s[i], expected, expected * 1e-4f + 1e-6f) << i;
        }
    }
}
