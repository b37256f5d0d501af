#include "core/transform.h"

#include "core/error.h"
#include "core/sh.h"

#include <Eigen/Dense>
#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/matrix.hpp>

#include <cmath>
#include <random>

namespace kiln::core {

glm::mat3 yUpToZUp() {
    // Columns are the images of the x, y, z axes.
    return glm::mat3(glm::vec3(1, 0, 0), glm::vec3(0, 0, 1), glm::vec3(0, -1, 0));
}

void transformMesh(Mesh& mesh, const Similarity& xf) {
    for (auto& p : mesh.positions) p = xf.scale * (xf.rotation * p) + xf.translation;
    for (auto& n : mesh.normals) n = glm::normalize(xf.rotation * n);
}

namespace {

// Rotation matrix for one SH band, found numerically: the band's coefficients c' of the rotated
// function satisfy sum_m c'_m Y_m(d) = sum_m c_m Y_m(R^T d) for all directions d, so with Y
// sampled at N > 2l+1 directions, D = pinv(Y(d)) * Y(R^T d). Exact up to float error because
// each band is closed under rotation; independent of the basis' sign conventions.
Eigen::MatrixXf shBandRotation(const glm::mat3& rotation, int band) {
    const int first = band * band, count = 2 * band + 1;
    constexpr int kSamples = 64;
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal;
    Eigen::MatrixXf a(kSamples, count), b(kSamples, count);
    const glm::mat3 inv = glm::transpose(rotation);
    for (int i = 0; i < kSamples; ++i) {
        glm::vec3 d(normal(rng), normal(rng), normal(rng));
        d = glm::normalize(d);
        float ya[16], yb[16];
        evalShBasis(d, ya);
        evalShBasis(inv * d, yb);
        for (int m = 0; m < count; ++m) {
            a(i, m) = ya[first + m];
            b(i, m) = yb[first + m];
        }
    }
    return a.colPivHouseholderQr().solve(b);
}

} // namespace

void transformGaussians(GaussianCloud& cloud, const Similarity& xf) {
    if (!(xf.scale > 0.0f) || !std::isfinite(xf.scale)) throw Error("transform scale must be a positive number");
    const float logScale = std::log(xf.scale);
    const glm::quat r = glm::quat_cast(xf.rotation);
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        cloud.positions[i] = xf.scale * (xf.rotation * cloud.positions[i]) + xf.translation;
        cloud.logScales[i] += glm::vec3(logScale);
        const glm::vec4& q = cloud.rotations[i];
        const glm::quat rq = r * glm::quat(q.x, q.y, q.z, q.w);  // glm::quat(w, x, y, z)
        cloud.rotations[i] = glm::vec4(rq.w, rq.x, rq.y, rq.z);
    }
    const int coeffs = cloud.coeffCount();
    for (int band = 1; band <= cloud.shDegree; ++band) {
        const Eigen::MatrixXf d = shBandRotation(xf.rotation, band);
        const int first = band * band, count = 2 * band + 1;
        Eigen::VectorXf in(count), out(count);
        for (std::size_t i = 0; i < cloud.size(); ++i) {
            for (int c = 0; c < 3; ++c) {
                float* base = cloud.sh.data() + (i * std::size_t(coeffs)) * 3;
                for (int m = 0; m < count; ++m) in[m] = base[(first + m) * 3 + c];
                out = d * in;
                for (int m = 0; m < count; ++m) base[(first + m) * 3 + c] = out[m];
            }
        }
    }
}

} // namespace kiln::core
