#pragma once

#include "core/gaussian_cloud.h"

#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::render {

// Back-to-front order of splat centres for a view: indices sorted by decreasing view depth
// (LSD radix sort on the float bits, 4 passes of 8 bits). `viewModel` = view * model.
// Only the first `count` positions take part (a level-of-detail prefix). From
// kParallelSortSplats splats it runs on several threads, with the same result.
inline constexpr std::size_t kParallelSortSplats = 100000;
void sortSplatsBackToFront(const std::vector<glm::vec3>& positions, std::size_t count, const glm::mat4& viewModel, std::vector<std::uint32_t>& order);

// Level-of-detail order of a cloud: indices by decreasing opacity x size (the area of the
// splat's largest cross-section), ties by index. The renderer stores splats in this order, so
// any prefix is the cloud's most visible splats (what a moving camera draws of a very large
// cloud).
std::vector<std::uint32_t> splatLodOrder(const core::GaussianCloud& cloud);

// Sorts on a worker thread so a moving camera never waits for a sort: the viewport draws with
// the newest finished order while the next one is computed. Only the latest request per key
// is kept.
class AsyncSplatSorter {
public:
    AsyncSplatSorter();
    ~AsyncSplatSorter();
    AsyncSplatSorter(const AsyncSplatSorter&) = delete;
    AsyncSplatSorter& operator=(const AsyncSplatSorter&) = delete;

    // Sorts the first `count` of `positions`.
    void request(std::uint64_t key, std::shared_ptr<const std::vector<glm::vec3>> positions, std::size_t count, const glm::mat4& viewModel);
    // Moves out the newest finished order for `key`, if one arrived since the last call, with the
    // view * model it was sorted for.
    bool takeResult(std::uint64_t key, std::vector<std::uint32_t>& order, glm::mat4* viewModel = nullptr);
    void forget(std::uint64_t key);

private:
    struct Request {
        std::shared_ptr<const std::vector<glm::vec3>> positions;
        std::size_t count = 0;
        glm::mat4 viewModel;
    };
    void run(std::stop_token stop);

    std::mutex m_mutex;
    std::condition_variable_any m_wake;
    std::map<std::uint64_t, Request> m_pending;
    struct Result {
        std::vector<std::uint32_t> order;
        glm::mat4 viewModel;
    };
    std::map<std::uint64_t, Result> m_done;
    std::jthread m_thread;
};

} // namespace kiln::render
