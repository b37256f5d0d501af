#include "render/presenter.h"

#include "render/surface_target_impl.h"

#include <exception>

namespace kiln::render {

// The thread (if started) is stopped and joined by its jthread: the stop wakes its wait.
Presenter::~Presenter() { wait(); }

void Presenter::present(SurfaceTarget::Impl& target, std::uint32_t index, std::function<void()> before) {
    {
        std::lock_guard lock(m_mutex);
        m_target = &target;
        m_index = index;
        m_before = std::move(before);
        m_pending = true;
    }
    if (!m_thread.joinable()) m_thread = std::jthread([this](std::stop_token stop) { run(stop); });
    m_changed.notify_all();
}

bool Presenter::busy() {
    std::lock_guard lock(m_mutex);
    return m_pending;
}

void Presenter::wait() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return !m_pending; });
}

void Presenter::run(std::stop_token stop) {
    std::unique_lock lock(m_mutex);
    while (m_changed.wait(lock, stop, [this] { return m_pending; })) {
        SurfaceTarget::Impl* target = m_target;
        const std::uint32_t index = m_index;
        std::function<void()> before = std::move(m_before);
        m_before = nullptr;
        lock.unlock();
        // Nothing else uses the queue meanwhile: the Renderer waits for this first. A present that
        // fails (a lost surface) must not end the program from this thread: the next frame
        // recreates the swapchain, or fails on the caller's thread where it can be reported.
        try {
            if (before) before();
            target->present(index);
        } catch (const std::exception&) {
            target->dirty = true;
        }
        lock.lock();
        m_pending = false;
        m_target = nullptr;
        m_changed.notify_all();
    }
}

} // namespace kiln::render
