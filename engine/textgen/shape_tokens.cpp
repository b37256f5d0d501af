#include "textgen/shape_tokens.h"

#include "core/error.h"

#include <Eigen/Dense>
#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/mat3x3.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace kiln::textgen {

namespace {

// Token scaling so every channel has roughly unit spread: square-root covariances of parts are
// ~0.02-0.3 in the normalised cube.
constexpr float kSqrtCovScale = 4.0f;
// Size token: ln(longest side in metres) relative to half a metre.
constexpr float kSizeReference = 0.5f;

int gridSide(int parts) {
    const int n = int(std::lround(std::cbrt(double(parts))));
    if (n < 2 || n * n * n != parts) throw Error("shape tokens: part count " + std::to_string(parts) + " is not a cube of 2..6");
    return n;
}

std::vector<glm::vec3> anchors(int parts) {
    const int n = gridSide(parts);
    std::vector<glm::vec3> a;
    a.reserve(std::size_t(parts));
    for (int z = 0; z < n; ++z)
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x)
                a.push_back(0.8f * (glm::vec3(float(x), float(y), float(z)) + 0.5f) / float(n) * 2.0f - 0.8f);
    return a;
}

float distance2(const glm::vec3& a, const glm::vec3& b) {
    const glm::vec3 d = a - b;
    return glm::dot(d, d);
}

} // namespace

std::vector<glm::vec3> normalisePoints(const std::vector<glm::vec3>& points) {
    const core::Bounds b = core::computeBounds(points);
    const glm::vec3 size = b.size();
    const float extent = std::max({size.x, size.y, size.z, 1e-6f});
    std::vector<glm::vec3> out(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) out[i] = (points[i] - b.center()) * (2.0f / extent);
    return out;
}

std::vector<int> solveAssignment(const std::vector<double>& cost, int n) {
    // Kuhn-Munkres with row/column potentials, O(n^3); 1-based arrays, column 0 is a sentinel.
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> u(std::size_t(n) + 1, 0.0), v(std::size_t(n) + 1, 0.0);
    std::vector<int> p(std::size_t(n) + 1, 0), way(std::size_t(n) + 1, 0);
    for (int i = 1; i <= n; ++i) {
        p[0] = i;
        int j0 = 0;
        std::vector<double> minv(std::size_t(n) + 1, inf);
        std::vector<char> used(std::size_t(n) + 1, 0);
        do {
            used[std::size_t(j0)] = 1;
            const int i0 = p[std::size_t(j0)];
            double delta = inf;
            int j1 = 0;
            for (int j = 1; j <= n; ++j) {
                if (used[std::size_t(j)]) continue;
                const double cur = cost[std::size_t(i0 - 1) * std::size_t(n) + std::size_t(j - 1)] - u[std::size_t(i0)] - v[std::size_t(j)];
                if (cur < minv[std::size_t(j)]) {
                    minv[std::size_t(j)] = cur;
                    way[std::size_t(j)] = j0;
                }
                if (minv[std::size_t(j)] < delta) {
                    delta = minv[std::size_t(j)];
                    j1 = j;
                }
            }
            for (int j = 0; j <= n; ++j) {
                if (used[std::size_t(j)]) {
                    u[std::size_t(p[std::size_t(j)])] += delta;
                    v[std::size_t(j)] -= delta;
                } else {
                    minv[std::size_t(j)] -= delta;
                }
            }
            j0 = j1;
        } while (p[std::size_t(j0)] != 0);
        do {
            const int j1 = way[std::size_t(j0)];
            p[std::size_t(j0)] = p[std::size_t(j1)];
            j0 = j1;
        } while (j0 != 0);
    }
    std::vector<int> result(std::size_t(n), -1);
    for (int j = 1; j <= n; ++j) result[std::size_t(p[std::size_t(j)] - 1)] = j - 1;
    return result;
}

ShapeTokens encodeShape(const std::vector<glm::vec3>& points, const std::vector<glm::vec3>& colours, int parts) {
    // colours are display (sRGB-encoded) values, as splats store them.
    const std::vector<glm::vec3> anchor = anchors(parts);
    if (points.size() < std::size_t(parts) * 4) throw Error("shape tokens: " + std::to_string(points.size()) + " points are too few for " + std::to_string(parts) + " parts");
    if (colours.size() != points.size()) throw Error("shape tokens: points and colours differ in count");
    const core::Bounds bounds = core::computeBounds(points);
    const glm::vec3 size = bounds.size();
    const float extent = std::max({size.x, size.y, size.z, 1e-6f});
    const std::vector<glm::vec3> q = normalisePoints(points);
    const std::size_t n = q.size();

    // K-means (Lloyd) from a farthest-point initialisation, which covers thin parts (legs, handles)
    // that random seeding misses.
    std::vector<glm::vec3> centre;
    centre.reserve(std::size_t(parts));
    std::vector<float> nearest(n, std::numeric_limits<float>::max());
    std::size_t pick = 0;
    for (std::size_t i = 1; i < n; ++i)
        if (q[i].y < q[pick].y || (q[i].y == q[pick].y && q[i].x < q[pick].x)) pick = i;
    for (int k = 0; k < parts; ++k) {
        centre.push_back(q[pick]);
        std::size_t far = 0;
        for (std::size_t i = 0; i < n; ++i) {
            nearest[i] = std::min(nearest[i], distance2(q[i], centre.back()));
            if (nearest[i] > nearest[far]) far = i;
        }
        pick = far;
    }
    std::vector<int> label(n, 0);
    for (int iter = 0; iter < 12; ++iter) {
        for (std::size_t i = 0; i < n; ++i) {
            float best = std::numeric_limits<float>::max();
            for (int k = 0; k < parts; ++k) {
                const float d = distance2(q[i], centre[std::size_t(k)]);
                if (d < best) {
                    best = d;
                    label[i] = k;
                }
            }
        }
        std::vector<glm::dvec3> sum(std::size_t(parts), glm::dvec3(0.0));
        std::vector<int> count(std::size_t(parts), 0);
        for (std::size_t i = 0; i < n; ++i) {
            sum[std::size_t(label[i])] += glm::dvec3(q[i]);
            ++count[std::size_t(label[i])];
        }
        for (int k = 0; k < parts; ++k)
            if (count[std::size_t(k)] > 0) centre[std::size_t(k)] = glm::vec3(sum[std::size_t(k)] / double(count[std::size_t(k)]));
    }

    struct Part {
        glm::vec3 mean{0.0f};
        float sqrtCov[6] = {};
        glm::vec3 colour{0.0f};
    };
    std::vector<Part> part(static_cast<std::size_t>(parts));
    std::vector<Eigen::Matrix3d> cov(std::size_t(parts), Eigen::Matrix3d::Zero());
    std::vector<glm::dvec3> colourSum(std::size_t(parts), glm::dvec3(0.0));
    std::vector<int> count(std::size_t(parts), 0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = std::size_t(label[i]);
        const glm::vec3 d = q[i] - centre[k];
        const Eigen::Vector3d e(d.x, d.y, d.z);
        cov[k] += e * e.transpose();
        colourSum[k] += glm::dvec3(colours[i]);
        ++count[k];
    }
    for (int k = 0; k < parts; ++k) {
        const std::size_t kk = std::size_t(k);
        Part& pk = part[kk];
        pk.mean = centre[kk];
        // A part that lost all its points (rare: duplicate seeds) becomes a tiny grey dot at its centre.
        const double w = std::max(count[kk], 1);
        Eigen::Matrix3d c = cov[kk] / w + Eigen::Matrix3d::Identity() * 1e-6;
        Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(c);
        const Eigen::Vector3d root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
        const Eigen::Matrix3d s = eig.eigenvectors() * root.asDiagonal() * eig.eigenvectors().transpose();
        const float entries[6] = {float(s(0, 0)), float(s(1, 1)), float(s(2, 2)), float(s(0, 1)), float(s(0, 2)), float(s(1, 2))};
        for (int e = 0; e < 6; ++e) pk.sqrtCov[e] = entries[e] * kSqrtCovScale;
        const glm::vec3 srgb = count[kk] > 0 ? glm::vec3(colourSum[kk] / double(count[kk])) : glm::vec3(0.5f);
        pk.colour = glm::clamp(srgb, glm::vec3(0.0f), glm::vec3(1.0f)) * 2.0f - 1.0f;
    }

    // Canonical order: part assigned to anchor i becomes token i.
    std::vector<double> cost(std::size_t(parts) * std::size_t(parts));
    for (int a = 0; a < parts; ++a)
        for (int k = 0; k < parts; ++k) cost[std::size_t(a) * std::size_t(parts) + std::size_t(k)] = distance2(anchor[std::size_t(a)], part[std::size_t(k)].mean);
    const std::vector<int> order = solveAssignment(cost, parts);

    ShapeTokens tokens;
    tokens.parts = parts;
    tokens.values.assign(std::size_t(parts + 1) * kTokenDim, 0.0f);
    for (int a = 0; a < parts; ++a) {
        const Part& pk = part[std::size_t(order[std::size_t(a)])];
        float* t = &tokens.values[std::size_t(a) * kTokenDim];
        t[0] = pk.mean.x, t[1] = pk.mean.y, t[2] = pk.mean.z;
        for (int e = 0; e < 6; ++e) t[3 + e] = pk.sqrtCov[e];
        t[9] = pk.colour.x, t[10] = pk.colour.y, t[11] = pk.colour.z;
    }
    tokens.values[std::size_t(parts) * kTokenDim] = std::log(extent / kSizeReference);
    return tokens;
}

core::GaussianCloud decodeShape(const ShapeTokens& tokens, const DecodeOptions& options) {
    if (tokens.parts <= 0 || tokens.values.size() != std::size_t(tokens.parts + 1) * kTokenDim)
        throw Error("shape tokens: " + std::to_string(tokens.values.size()) + " values do not hold " + std::to_string(tokens.parts) + " parts");
    const int children = std::max(1, options.childrenPerPart);
    const float sizeToken = std::clamp(tokens.values[std::size_t(tokens.parts) * kTokenDim], -6.0f, 4.0f);
    const float halfExtent = 0.5f * kSizeReference * std::exp(sizeToken);
    std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ull + 17);
    std::normal_distribution<float> normal(0.0f, 1.0f);

    core::GaussianCloud cloud;
    cloud.resize(std::size_t(tokens.parts) * std::size_t(children), 0);
    std::size_t out = 0;
    for (int k = 0; k < tokens.parts; ++k) {
        const float* t = &tokens.values[std::size_t(k) * kTokenDim];
        const glm::vec3 mean(t[0], t[1], t[2]);
        Eigen::Matrix3d s;
        s << t[3], t[6], t[7], t[6], t[4], t[8], t[7], t[8], t[5];
        s /= double(kSqrtCovScale);
        Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(s);
        // Eigenvalues of the square root are the part's standard deviations (ascending).
        glm::vec3 sigma;
        glm::mat3 axes;
        for (int a = 0; a < 3; ++a) {
            sigma[a] = float(std::max(std::abs(eig.eigenvalues()(a)), 1e-4));
            axes[a] = glm::vec3(float(eig.eigenvectors()(0, a)), float(eig.eigenvectors()(1, a)), float(eig.eigenvectors()(2, a)));
        }
        if (glm::dot(glm::cross(axes[0], axes[1]), axes[2]) < 0.0f) axes[2] = -axes[2];
        const glm::quat rot = glm::quat_cast(axes);
        glm::vec3 srgb;
        for (int c = 0; c < 3; ++c) srgb[c] = std::clamp((t[9 + c] + 1.0f) * 0.5f, 0.0f, 1.0f);
        // Children cover the part like samples of its Gaussian; each is a smaller copy of the part's
        // shape so a flat part stays a flat patch (sizes in the normalised cube, scaled below).
        const glm::vec3 childSigma(std::max({0.4f * sigma.x, 0.04f * sigma.z, 0.003f}), std::max(0.4f * sigma.y, 0.003f), std::max(0.4f * sigma.z, 0.003f));
        for (int c = 0; c < children; ++c, ++out) {
            glm::vec3 z(normal(rng), normal(rng), normal(rng));
            z = glm::clamp(z, glm::vec3(-2.0f), glm::vec3(2.0f));
            const glm::vec3 p = mean + axes * (sigma * z);
            cloud.positions[out] = p * halfExtent;
            cloud.logScales[out] = glm::log(childSigma * halfExtent);
            cloud.rotations[out] = glm::vec4(rot.w, rot.x, rot.y, rot.z);
            cloud.opacityLogits[out] = 2.2f;  // sigmoid = 0.9
            for (int ch = 0; ch < 3; ++ch) cloud.sh[out * 3 + std::size_t(ch)] = (srgb[ch] - 0.5f) / core::kShC0;
        }
    }
    // Rest on the ground, centred on x/z (the convention of meshes in the library).
    const core::Bounds b = core::computeBounds(cloud.positions);
    const glm::vec3 shift(-b.center().x, -b.min.y, -b.center().z);
    for (auto& p : cloud.positions) p += shift;
    return cloud;
}

std::vector<glm::vec3> subsamplePoints(const std::vector<glm::vec3>& points, std::size_t count) {
    std::vector<glm::vec3> out;
    const std::size_t stride = std::max<std::size_t>(1, points.size() / std::max<std::size_t>(count, 1));
    for (std::size_t i = 0; i < points.size() && out.size() < count; i += stride) out.push_back(points[i]);
    return out;
}

double chamfer(const std::vector<glm::vec3>& a, const std::vector<glm::vec3>& b) {
    if (a.empty() || b.empty()) throw Error("chamfer: empty point set");
    auto oneWay = [](const std::vector<glm::vec3>& from, const std::vector<glm::vec3>& to) {
        double sum = 0.0;
        for (const auto& p : from) {
            float best = std::numeric_limits<float>::max();
            for (const auto& q : to) best = std::min(best, distance2(p, q));
            sum += std::sqrt(double(best));
        }
        return sum / double(from.size());
    };
    return 0.5 * (oneWay(a, b) + oneWay(b, a));
}

glm::vec3 linearRgbToLab(const glm::vec3& rgb) {
    // sRGB primaries, D65 white (IEC 61966-2-1), then CIE 1976 L*a*b*.
    const glm::vec3 c = glm::clamp(rgb, glm::vec3(0.0f), glm::vec3(1.0f));
    const float x = (0.4124f * c.r + 0.3576f * c.g + 0.1805f * c.b) / 0.95047f;
    const float y = 0.2126f * c.r + 0.7152f * c.g + 0.0722f * c.b;
    const float z = (0.0193f * c.r + 0.1192f * c.g + 0.9505f * c.b) / 1.08883f;
    auto f = [](float t) { return t > 0.008856f ? std::cbrt(t) : 7.787f * t + 16.0f / 116.0f; };
    return {116.0f * f(y) - 16.0f, 500.0f * (f(x) - f(y)), 200.0f * (f(y) - f(z))};
}

} // namespace kiln::textgen
