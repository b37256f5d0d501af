#pragma once

#include "core/asset.h"
#include "jobs/job_queue.h"

#include <QImage>
#include <QObject>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace kiln::ui {

// Renders small thumbnails of job preview assets on its own thread with its own headless
// renderer, so the GUI thread never waits for a render. Per job at most one render per
// `minInterval`; newer previews replace ones still waiting, so a chatty job costs at most
// 1/minInterval renders a second and the thumbnail shows the latest state.
class PreviewThumbnailer : public QObject {
    Q_OBJECT
public:
    explicit PreviewThumbnailer(std::chrono::milliseconds minInterval = std::chrono::milliseconds(500), QObject* parent = nullptr);
    ~PreviewThumbnailer() override;

    // Thread-safe. `pixels` is the square thumbnail's side in device pixels.
    void request(jobs::JobId job, std::shared_ptr<const core::Asset> preview, int pixels);
    int rendered() const;  // thumbnails rendered so far (tests)

signals:
    // Delivered on the GUI thread.
    void thumbnailReady(kiln::jobs::JobId job, const QImage& image);
    void unavailable(const QString& why);  // the thumbnail renderer could not start

private:
    struct Pending {
        std::shared_ptr<const core::Asset> asset;
        int pixels = 96;
    };
    void run(std::stop_token stop);

    const std::chrono::milliseconds m_minInterval;
    mutable std::mutex m_mutex;
    std::condition_variable_any m_wake;
    std::map<jobs::JobId, Pending> m_pending;
    std::map<jobs::JobId, std::chrono::steady_clock::time_point> m_nextAllowed;
    int m_rendered = 0;
    std::jthread m_worker;  // last: stopped and joined before the members above go away
};

} // namespace kiln::ui
