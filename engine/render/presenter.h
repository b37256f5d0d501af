#pragma once

// Internal to engine/render: presents frames submitted without waiting (FrameWait::Submit) on a
// thread of its own. A software swapchain's present (lavapipe's X11 path) returns only once the
// frame is drawn, so presenting on the caller's thread would make it wait for the whole frame.
// One present at a time; the Renderer waits for it (wait()) before it touches the device again,
// so the queue is never used from two threads at once.
#include "render/surface_target.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace kiln::render {

class Presenter {
public:
    Presenter() = default;
    ~Presenter();
    Presenter(const Presenter&) = delete;
    Presenter& operator=(const Presenter&) = delete;

    // Presents image `index` of `target` on the presenting thread (started on first use), after
    // running `before` there (the Renderer's deferred work: binning and submitting the frame).
    // The previous present must be finished (wait()).
    void present(SurfaceTarget::Impl& target, std::uint32_t index, std::function<void()> before = {});
    bool busy();  // a present has not returned yet
    void wait();  // until it has

private:
    void run(std::stop_token stop);

    std::mutex m_mutex;
    std::condition_variable_any m_changed;
    SurfaceTarget::Impl* m_target = nullptr;
    std::uint32_t m_index = 0;
    std::function<void()> m_before;
    bool m_pending = false;
    std::jthread m_thread;  // last: stopped and joined before the members it uses go
};

} // namespace kiln::render
