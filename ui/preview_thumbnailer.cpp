#include "ui/preview_thumbnailer.h"

#include "render/orbit_camera.h"
#include "render/renderer.h"

#include <QMetaObject>

namespace kiln::ui {

PreviewThumbnailer::PreviewThumbnailer(std::chrono::milliseconds minInterval, QObject* parent)
    : QObject(parent), m_minInterval(minInterval), m_worker([this](std::stop_token stop) { run(stop); }) {}

PreviewThumbnailer::~PreviewThumbnailer() {
    m_worker.request_stop();
    m_worker.join();  // before QObject teardown: the worker posts to this object
}

void PreviewThumbnailer::request(jobs::JobId job, std::shared_ptr<const core::Asset> preview, int pixels) {
    if (!preview) return;
    {
        std::lock_guard lock(m_mutex);
        m_pending[job] = Pending{std::move(preview), std::max(pixels, 8)};
    }
    m_wake.notify_one();
}

int PreviewThumbnailer::rendered() const {
    std::lock_guard lock(m_mutex);
    return m_rendered;
}

void PreviewThumbnailer::run(std::stop_token stop) {
    std::unique_ptr<render::Renderer> renderer;  // made, used and destroyed on this thread only
    bool failed = false;
    std::unique_lock lock(m_mutex);
    while (!stop.stop_requested()) {
        if (!m_wake.wait(lock, stop, [this] { return !m_pending.empty(); })) break;
        // The first waiting job whose throttle interval has passed; otherwise sleep until one has.
        const auto now = std::chrono::steady_clock::now();
        auto due = m_pending.end();
        auto earliest = std::chrono::steady_clock::time_point::max();
        for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
            const auto next = m_nextAllowed.count(it->first) ? m_nextAllowed[it->first] : now;
            if (next <= now) {
                due = it;
                break;
            }
            earliest = std::min(earliest, next);
        }
        if (due == m_pending.end()) {
            m_wake.wait_until(lock, stop, earliest, [] { return false; });
            continue;
        }
        const jobs::JobId job = due->first;
        const Pending item = std::move(due->second);
        m_pending.erase(due);
        m_nextAllowed[job] = now + m_minInterval;
        if (failed) continue;
        lock.unlock();

        QImage image;
        try {
            if (!renderer) {
                render::RendererOptions ro;
                ro.validation = render::Validation::Off;
                renderer = std::make_unique<render::Renderer>(ro);
            }
            const core::Bounds bounds = core::computeBounds(*item.asset);
            if (bounds.valid) {
                renderer->clear();
                renderer->add(*item.asset);
                render::OrbitCamera camera;
                camera.setAngles(0.6f, 0.35f);
                camera.frame(bounds, 1.0f);
                render::ViewOptions view;
                view.grid = false;
                view.axisGizmo = false;
                view.msaaSamples = 1;
                const core::Image img = renderer->renderImage(camera.toCamera(), item.pixels, item.pixels, view);
                renderer->clear();  // the preview's GPU copy is not kept between thumbnails
                if (img.type == core::PixelType::U8 && img.channels == 4)
                    image = QImage(img.u8.data(), img.width, img.height, img.width * 4, QImage::Format_RGBA8888).copy();
            }
        } catch (const std::exception& e) {
            failed = true;
            const QString why = QString::fromUtf8(e.what());
            QMetaObject::invokeMethod(this, [this, why] { emit unavailable(why); }, Qt::QueuedConnection);
        }
        if (!image.isNull())
            QMetaObject::invokeMethod(this, [this, job, image] { emit thumbnailReady(job, image); }, Qt::QueuedConnection);
        lock.lock();
        if (!image.isNull()) ++m_rendered;
    }
}

} // namespace kiln::ui
