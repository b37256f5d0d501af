#pragma once

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
void sortSplatsBackToFront(const std::vector<glm::vec3>& positions, const glm::mat4& viewModel, std::vector<std::uint32_t>& order);

// Sorts on a worker thread so a moving camera never waits for a sort: the viewport draws with
// the newest finished order while the next one is computed. Only the latest request per key
// is kept.
class AsyncSplatSorter {
public:
    AsyncSplatSorter();
    ~AsyncSplatSorter();
    AsyncSplatSorter(const AsyncSplatSorter&) = delete;
    AsyncSplatSorter& operator=(const AsyncSplatSorter&) = delete;

    void request(std::uint64_t key, std::shared_ptr<const std::vector<glm::vec3>> positions, const glm::mat4& viewModel);
    // Moves out the newest finished order for `key`, if one arrived since the last call.
    bool takeResult(std::uint64_t key, std::vector<std::uint32_t>& order);
    void forget(std::uint64_t key);

private:
    struct Request {
        std::shared_ptr<const std::vector<glm::vec3>> positions;
        glm::mat4 viewModel;
    };
    void run(std::stop_token stop);

    std::mutex m_mutex;
    std::condition_variable_any m_wake;
    std::map<std::uint64_t, Request> m_pending;
    std::map<std::uint64_t, std::vector<std::uint32_t>> m_done;
    std::jthread m_thread;
};

} // namespace kiln::render
