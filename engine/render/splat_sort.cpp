#include "render/splat_sort.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

namespace kiln::render {

void sortSplatsBackToFront(const std::vector<glm::vec3>& positions, std::size_t count, const glm::mat4& viewModel, std::vector<std::uint32_t>& order) {
    const std::size_t n = std::min(count, positions.size());
    std::vector<std::uint32_t> keys(n), keysTmp(n), idxTmp(n);
    order.resize(n);
    const glm::vec4 row(viewModel[0][2], viewModel[1][2], viewModel[2][2], viewModel[3][2]);  // view-space z
    for (std::size_t i = 0; i < n; ++i) {
        const float z = row.x * positions[i].x + row.y * positions[i].y + row.z * positions[i].z + row.w;
        // View space looks down -Z: the most negative z is the farthest. Map floats to
        // order-preserving unsigned keys, ascending key = farthest first.
        std::uint32_t bits;
        std::memcpy(&bits, &z, 4);
        keys[i] = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
        order[i] = std::uint32_t(i);
    }
    for (int pass = 0; pass < 4; ++pass) {
        const int shift = pass * 8;
        std::array<std::size_t, 257> count{};
        for (std::size_t i = 0; i < n; ++i) ++count[((keys[i] >> shift) & 0xFF) + 1];
        for (int b = 0; b < 256; ++b) count[std::size_t(b) + 1] += count[std::size_t(b)];
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t dst = count[(keys[i] >> shift) & 0xFF]++;
            keysTmp[dst] = keys[i];
            idxTmp[dst] = order[i];
        }
        keys.swap(keysTmp);
        order.swap(idxTmp);
    }
}

std::vector<std::uint32_t> splatLodOrder(const core::GaussianCloud& cloud) {
    const std::size_t n = cloud.size();
    std::vector<float> importance(n);
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec3 ls = cloud.logScales[i];
        // The two largest axes span the largest cross-section: log area = their log scales' sum.
        const float logArea = ls.x + ls.y + ls.z - std::min({ls.x, ls.y, ls.z});
        const float opacity = 1.0f / (1.0f + std::exp(-cloud.opacityLogits[i]));
        const float v = opacity * std::exp(std::clamp(logArea, -80.0f, 80.0f));
        importance[i] = std::isfinite(v) ? v : 0.0f;
    }
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return importance[a] > importance[b]; });
    return order;
}

AsyncSplatSorter::AsyncSplatSorter() : m_thread([this](std::stop_token stop) { run(stop); }) {}

AsyncSplatSorter::~AsyncSplatSorter() {
    m_thread.request_stop();
    m_wake.notify_all();
}

void AsyncSplatSorter::request(std::uint64_t key, std::shared_ptr<const std::vector<glm::vec3>> positions, std::size_t count,
                               const glm::mat4& viewModel) {
    {
        std::lock_guard lock(m_mutex);
        m_pending[key] = Request{std::move(positions), count, viewModel};
    }
    m_wake.notify_one();
}

bool AsyncSplatSorter::takeResult(std::uint64_t key, std::vector<std::uint32_t>& order, glm::mat4* viewModel) {
    std::lock_guard lock(m_mutex);
    auto it = m_done.find(key);
    if (it == m_done.end()) return false;
    order = std::move(it->second.order);
    if (viewModel) *viewModel = it->second.viewModel;
    m_done.erase(it);
    return true;
}

void AsyncSplatSorter::forget(std::uint64_t key) {
    std::lock_guard lock(m_mutex);
    m_pending.erase(key);
    m_done.erase(key);
}

void AsyncSplatSorter::run(std::stop_token stop) {
    while (!stop.stop_requested()) {
        std::uint64_t key = 0;
        Request req;
        {
            std::unique_lock lock(m_mutex);
            if (!m_wake.wait(lock, stop, [&] { return !m_pending.empty(); })) return;
            auto it = m_pending.begin();
            key = it->first;
            req = std::move(it->second);
            m_pending.erase(it);
        }
        std::vector<std::uint32_t> order;
        sortSplatsBackToFront(*req.positions, req.count, req.viewModel, order);
        std::lock_guard lock(m_mutex);
        m_done[key] = Result{std::move(order), req.viewModel};
    }
}

} // namespace kiln::render
