#include "geometry/metrics.h"

#include "core/color.h"
#include "core/error.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <thread>

namespace kiln::geometry {

namespace {

// sampleSurface's points, and with `normals` each point's face normal (unit; zero for a
// degenerate face).
std::vector<glm::vec3> samplePoints(const core::Mesh& mesh, std::size_t count, std::uint64_t seed, std::vector<glm::vec3>* normals) {
    const std::size_t tris = mesh.triangleCount();
    std::vector<double> cumulative(tris);
    double total = 0.0;
    for (std::size_t t = 0; t < tris; ++t) {
        const glm::vec3 a = mesh.positions[mesh.indices[t * 3]], b = mesh.positions[mesh.indices[t * 3 + 1]], c = mesh.positions[mesh.indices[t * 3 + 2]];
        const double area = 0.5 * double(glm::length(glm::cross(b - a, c - a)));
        total += std::isfinite(area) ? area : 0.0;
        cumulative[t] = total;
    }
    if (!(total > 0.0)) throw Error("surface sampling: the mesh has no area");
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<glm::vec3> out(count);
    if (normals) normals->reserve(count);
    for (auto& p : out) {
        const double r = u(rng) * total;
        const std::size_t t = std::min(tris - 1, std::size_t(std::upper_bound(cumulative.begin(), cumulative.end(), r) - cumulative.begin()));
        const glm::vec3 a = mesh.positions[mesh.indices[t * 3]], b = mesh.positions[mesh.indices[t * 3 + 1]], c = mesh.positions[mesh.indices[t * 3 + 2]];
        // Uniform point in a triangle: (1 - sqrt r1) a + sqrt r1 (1 - r2) b + sqrt r1 r2 c.
        const float s = float(std::sqrt(u(rng))), r2 = float(u(rng));
        p = (1.0f - s) * a + s * (1.0f - r2) * b + s * r2 * c;
        if (normals) {
            const glm::vec3 n = glm::cross(b - a, c - a);
            const float len = glm::length(n);
            normals->push_back(len > 0.0f ? n / len : glm::vec3(0.0f));
        }
    }
    return out;
}

} // namespace

std::vector<glm::vec3> sampleSurface(const core::Mesh& mesh, std::size_t count, std::uint64_t seed) {
    return samplePoints(mesh, count, seed, nullptr);
}

PointIndex::PointIndex(std::vector<glm::vec3> points) : m_points(std::move(points)), m_axis(m_points.size(), 0) {
    build(0, m_points.size(), 0);
}

void PointIndex::build(std::size_t begin, std::size_t end, int depth) {
    if (end - begin <= 1) return;
    // Split the widest axis at the median (balanced tree, depth log2 n).
    glm::vec3 lo(std::numeric_limits<float>::max()), hi(-std::numeric_limits<float>::max());
    for (std::size_t i = begin; i < end; ++i) {
        lo = glm::min(lo, m_points[i]);
        hi = glm::max(hi, m_points[i]);
    }
    const glm::vec3 ext = hi - lo;
    const int axis = ext.x >= ext.y && ext.x >= ext.z ? 0 : (ext.y >= ext.z ? 1 : 2);
    const std::size_t mid = begin + (end - begin) / 2;
    std::nth_element(m_points.begin() + std::ptrdiff_t(begin), m_points.begin() + std::ptrdiff_t(mid), m_points.begin() + std::ptrdiff_t(end),
                     [axis](const glm::vec3& p, const glm::vec3& q) { return p[axis] < q[axis]; });
    m_axis[mid] = std::uint8_t(axis);
    build(begin, mid, depth + 1);
    build(mid + 1, end, depth + 1);
}

void PointIndex::search(std::size_t begin, std::size_t end, int depth, const glm::vec3& q, float& best2) const {
    if (begin >= end) return;
    const std::size_t mid = begin + (end - begin) / 2;
    const glm::vec3 d = m_points[mid] - q;
    best2 = std::min(best2, glm::dot(d, d));
    if (end - begin == 1) return;
    const int axis = m_axis[mid];
    const float diff = q[axis] - m_points[mid][axis];
    // Nearer side first; the far side only when the splitting plane is closer than the best so far.
    if (diff < 0.0f) {
        search(begin, mid, depth + 1, q, best2);
        if (diff * diff < best2) search(mid + 1, end, depth + 1, q, best2);
    } else {
        search(mid + 1, end, depth + 1, q, best2);
        if (diff * diff < best2) search(begin, mid, depth + 1, q, best2);
    }
}

float PointIndex::nearestDistance(const glm::vec3& q) const {
    float best2 = std::numeric_limits<float>::infinity();
    search(0, m_points.size(), 0, q, best2);
    return std::sqrt(best2);
}

namespace {

std::vector<float> nearestDistances(const std::vector<glm::vec3>& queries, const PointIndex& index) {
    std::vector<float> out(queries.size());
    const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (std::size_t i = t; i < queries.size(); i += threads) out[i] = index.nearestDistance(queries[i]);
        });
    for (auto& th : pool) th.join();
    return out;
}

} // namespace

ChamferResult chamferDistance(const core::Mesh& a, const core::Mesh& b, std::size_t samplesPerMesh, std::uint64_t seed) {
    if (samplesPerMesh < 1) throw Error("chamfer distance: need at least one sample per mesh");
    auto samples = [&](const core::Mesh& m, const char* name, std::uint64_t s) {
        if (m.empty()) throw Error(std::string("chamfer distance: mesh ") + name + " has no triangles");
        try {
            return sampleSurface(m, samplesPerMesh, s);
        } catch (const Error& e) {
            throw Error(std::string("chamfer distance: mesh ") + name + ": " + e.what());
        }
    };
    const std::vector<glm::vec3> pa = samples(a, "A", seed), pb = samples(b, "B", seed + 0x9e3779b97f4a7c15ull);
    const PointIndex ia(pa), ib(pb);
    const std::vector<float> ab = nearestDistances(pa, ib), ba = nearestDistances(pb, ia);
    ChamferResult r;
    r.meanAtoB = std::accumulate(ab.begin(), ab.end(), 0.0) / double(ab.size());
    r.meanBtoA = std::accumulate(ba.begin(), ba.end(), 0.0) / double(ba.size());
    r.chamfer = 0.5 * (r.meanAtoB + r.meanBtoA);
    std::vector<float> all = ab;
    all.insert(all.end(), ba.begin(), ba.end());
    const std::size_t k = std::min(all.size() - 1, std::size_t(0.95 * double(all.size())));
    std::nth_element(all.begin(), all.begin() + std::ptrdiff_t(k), all.end());
    r.p95 = all[k];
    r.hausdorff = *std::max_element(all.begin() + std::ptrdiff_t(k), all.end());
    const core::Bounds bb = core::computeBounds(b);
    r.diagonalB = double(glm::length(bb.size()));
    return r;
}

} // namespace kiln::geometry

namespace kiln::geometry {

ChamferResult chamferPoints(const std::vector<glm::vec3>& a, const std::vector<glm::vec3>& b) {
    if (a.empty() || b.empty()) throw Error("Chamfer distance: an empty point set");
    const PointIndex ia(a), ib(b);
    ChamferResult r;
    std::vector<double> all;
    all.reserve(a.size() + b.size());
    for (const auto& p : a) {
        const double d = ib.nearestDistance(p);
        r.meanAtoB += d;
        all.push_back(d);
    }
    for (const auto& p : b) {
        const double d = ia.nearestDistance(p);
        r.meanBtoA += d;
        all.push_back(d);
    }
    r.meanAtoB /= double(a.size());
    r.meanBtoA /= double(b.size());
    r.chamfer = 0.5 * (r.meanAtoB + r.meanBtoA);
    std::sort(all.begin(), all.end());
    r.p95 = all[std::min(all.size() - 1, std::size_t(0.95 * double(all.size())))];
    r.hausdorff = all.back();
    glm::vec3 lo(1e30f), hi(-1e30f);
    for (const auto& p : b) {
        lo = glm::min(lo, p);
        hi = glm::max(hi, p);
    }
    r.diagonalB = glm::length(hi - lo);
    return r;
}

double fScore(const std::vector<glm::vec3>& a, const std::vector<glm::vec3>& b, double tau) {
    if (a.empty() || b.empty()) return 0.0;
    const PointIndex ia(a), ib(b);
    std::size_t pa = 0, rb = 0;
    for (const auto& p : a) pa += ib.nearestDistance(p) <= tau;
    for (const auto& p : b) rb += ia.nearestDistance(p) <= tau;
    const double precision = double(pa) / double(a.size()), recall = double(rb) / double(b.size());
    return precision + recall > 0.0 ? 2.0 * precision * recall / (precision + recall) : 0.0;
}

double meshFScore(const core::Mesh& a, const core::Mesh& b, double fraction, std::uint64_t seed, std::size_t maxSamples,
                  const std::function<bool(const glm::vec3&)>& solidB) {
    const double tau = fraction * double(glm::length(core::computeBounds(b).size()));
    auto area = [](const core::Mesh& m) {
        double sum = 0.0;
        for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3) {
            const glm::vec3 p0 = m.positions[m.indices[t]], p1 = m.positions[m.indices[t + 1]], p2 = m.positions[m.indices[t + 2]];
            sum += 0.5 * double(glm::length(glm::cross(p1 - p0, p2 - p0)));
        }
        return sum;
    };
    auto count = [&](const core::Mesh& m) {
        const double n = tau > 0.0 ? 16.0 * area(m) / (tau * tau) : 0.0;
        return std::size_t(std::clamp(n, 10000.0, double(std::max<std::size_t>(maxSamples, 10000))));
    };
    if (!solidB) return fScore(sampleSurface(a, count(a), seed), sampleSurface(b, count(b), seed + 1), tau);
    std::vector<glm::vec3> normals;
    const std::vector<glm::vec3> all = samplePoints(b, count(b), seed + 1, &normals);
    std::vector<glm::vec3> visible;
    visible.reserve(all.size());
    const float step = buriedTestStep(b, fraction);
    for (std::size_t i = 0; i < all.size(); ++i)
        if (!buriedInSolid(solidB, all[i], normals[i], step)) visible.push_back(all[i]);
    if (visible.empty()) throw Error("F-score: every sample of the reference is buried in its solid");
    return fScore(sampleSurface(a, count(a), seed), visible, tau);
}

bool buriedInSolid(const std::function<bool(const glm::vec3&)>& solid, const glm::vec3& p, const glm::vec3& n, float step) {
    return solid(p + step * n) && solid(p - step * n);
}

float buriedTestStep(const core::Mesh& b, double fraction) {
    return float(fraction * double(glm::length(core::computeBounds(b).size())) / 50.0);
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

MedianInterval bootstrapMedian(const std::vector<double>& values, double confidence, int resamples, std::uint64_t seed) {
    if (!(confidence > 0.0 && confidence < 1.0)) throw Error("bootstrap median: the confidence must lie between 0 and 1");
    if (resamples < 1) throw Error("bootstrap median: at least one resample is needed");
    MedianInterval r;
    if (values.empty()) return r;
    r.median = median(values);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
    std::vector<double> medians(static_cast<std::size_t>(resamples)), draw(values.size());
    for (double& m : medians) {
        for (double& d : draw) d = values[pick(rng)];
        m = median(draw);
    }
    std::sort(medians.begin(), medians.end());
    const double tail = 0.5 * (1.0 - confidence);
    const auto at = [&](double q) { return medians[std::min(medians.size() - 1, std::size_t(q * double(medians.size())))]; };
    r.low = at(tail);
    r.high = at(1.0 - tail);
    return r;
}

std::vector<glm::vec3> normalisedPoints(std::vector<glm::vec3> points) {
    if (points.empty()) return points;
    glm::vec3 lo(1e30f), hi(-1e30f);
    for (const auto& p : points) {
        lo = glm::min(lo, p);
        hi = glm::max(hi, p);
    }
    const glm::vec3 size = hi - lo;
    const float s = std::max({size.x, size.y, size.z, 1e-9f});
    const glm::vec3 c = 0.5f * (lo + hi);
    for (auto& p : points) p = (p - c) / s;
    return points;
}

std::vector<StratifiedPoint> stratifiedPoints(const core::Mesh& m, int count, double offset, double shift, double* area) {
    const std::size_t tris = m.triangleCount();
    std::vector<double> cumulative(tris + 1, 0.0);
    for (std::size_t t = 0; t < tris; ++t) {
        const glm::vec3 a = m.positions[m.indices[3 * t]], b = m.positions[m.indices[3 * t + 1]], c = m.positions[m.indices[3 * t + 2]];
        cumulative[t + 1] = cumulative[t] + 0.5 * double(glm::length(glm::cross(b - a, c - a)));
    }
    const double total = cumulative.back();
    if (area) *area = total;
    std::vector<StratifiedPoint> out;
    if (tris == 0 || count <= 0) return out;
    out.reserve(std::size_t(count));
    std::size_t t = 0;
    for (int i = 0; i < count; ++i) {
        // Systematic sampling along the cumulative area, golden-ratio points inside the triangle.
        const double target = (double(i) + offset) / double(count) * total;
        while (t + 1 < tris && cumulative[t + 1] < target) ++t;
        double r1 = std::fmod(0.5 + double(i) * 0.6180339887498949 + shift, 1.0);
        double r2 = std::fmod(0.5 + double(i) * 0.7548776662466927, 1.0);
        if (r1 + r2 > 1.0) r1 = 1.0 - r1, r2 = 1.0 - r2;
        out.push_back({std::uint32_t(t), r1, r2});
    }
    return out;
}

float sampleBilinear(const core::Image& img, glm::vec2 uv, int channel) {
    const float x = std::clamp(uv.x * float(img.width) - 0.5f, 0.0f, float(img.width - 1));
    const float y = std::clamp(uv.y * float(img.height) - 0.5f, 0.0f, float(img.height - 1));
    const int x0 = int(x), y0 = int(y), x1 = std::min(x0 + 1, img.width - 1), y1 = std::min(y0 + 1, img.height - 1);
    const float fx = x - float(x0), fy = y - float(y0);
    const int ch = std::min(channel, img.channels - 1);
    return (1 - fy) * ((1 - fx) * img.at(x0, y0, ch) + fx * img.at(x1, y0, ch)) + fy * ((1 - fx) * img.at(x0, y1, ch) + fx * img.at(x1, y1, ch));
}

glm::vec3 sampleBaseColor(const core::Image& img, glm::vec2 uv) {
    glm::vec3 c(0.0f);
    for (int k = 0; k < 3; ++k) c[k] = core::linearFromSrgb(sampleBilinear(img, uv, k));
    return c;
}

SeamScore textureSeams(const core::Mesh& mesh) {
    if (mesh.uv0.size() != mesh.positions.size() || mesh.uv0.empty()) throw Error("seams: the mesh has no UVs");
    const std::size_t tris = mesh.triangleCount();
    std::vector<const core::Image*> texture(tris, nullptr);
    for (const auto& s : mesh.submeshes) {
        const core::Image* img = nullptr;
        if (s.material >= 0 && std::size_t(s.material) < mesh.materials.size()) {
            const int t = mesh.materials[std::size_t(s.material)].baseColorTexture;
            if (t >= 0 && std::size_t(t) < mesh.textures.size()) img = &mesh.textures[std::size_t(t)].image;
        }
        for (std::uint32_t i = s.firstIndex / 3; i < (s.firstIndex + s.indexCount) / 3 && i < tris; ++i) texture[i] = img;
    }
    const std::vector<std::uint32_t> same = core::firstAtSamePosition(mesh.positions);
    // Edges keyed by their two position ids: (triangle, corner a, corner b) of each side.
    struct Side { std::uint32_t tri, a, b; };
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<Side>> edges;
    for (std::uint32_t t = 0; t < tris; ++t)
        for (int e = 0; e < 3; ++e) {
            const std::uint32_t a = mesh.indices[3 * t + std::uint32_t(e)], b = mesh.indices[3 * t + std::uint32_t((e + 1) % 3)];
            const std::uint32_t pa = same[a], pb = same[b];
            if (pa == pb) continue;
            // Each side's corners in the same order (by position id), so their UVs line up.
            if (pa < pb) edges[{pa, pb}].push_back({t, a, b});
            else edges[{pb, pa}].push_back({t, b, a});
        }
    SeamScore r;
    double seamSum = 0.0, interiorSum = 0.0;
    std::size_t seamN = 0, interiorN = 0;
    for (const auto& [key, sides] : edges) {
        if (sides.size() != 2) continue;
        const Side& s0 = sides[0];
        const Side& s1 = sides[1];
        if (!texture[s0.tri] || !texture[s1.tri]) throw Error("seams: a material has no base colour texture");
        const bool cut = mesh.uv0[s0.a] != mesh.uv0[s1.a] || mesh.uv0[s0.b] != mesh.uv0[s1.b];
        for (int k = 0; k < 8; ++k) {
            const float w = (float(k) + 0.5f) / 8.0f;
            const glm::vec2 uv0 = glm::mix(mesh.uv0[s0.a], mesh.uv0[s0.b], w);
            if (cut) {
                const glm::vec2 uv1 = glm::mix(mesh.uv0[s1.a], mesh.uv0[s1.b], w);
                seamSum += double(core::deltaE76(sampleBaseColor(*texture[s0.tri], uv0), sampleBaseColor(*texture[s1.tri], uv1)));
                ++seamN;
            } else {
                // One texel across the edge, inside the island: the texture's own variation.
                const glm::vec2 d = mesh.uv0[s0.b] - mesh.uv0[s0.a];
                glm::vec2 n(-d.y, d.x);
                const float len = glm::length(n);
                if (!(len > 0.0f)) continue;
                n /= len;
                const glm::vec2 step = n * (0.5f / float(texture[s0.tri]->width));
                interiorSum += double(core::deltaE76(sampleBaseColor(*texture[s0.tri], uv0 + step), sampleBaseColor(*texture[s0.tri], uv0 - step)));
                ++interiorN;
            }
        }
        (cut ? r.cutEdges : r.interiorEdges) += 1;
    }
    r.seamDeltaE = seamN ? seamSum / double(seamN) : 0.0;
    r.interiorDeltaE = interiorN ? interiorSum / double(interiorN) : 0.0;
    return r;
}

} // namespace kiln::geometry
