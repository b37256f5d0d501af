#include "ui/job_controller.h"

#include <QMetaObject>

namespace kiln::ui {

JobController::JobController(int workers, QObject* parent) : QObject(parent), m_queue(std::make_unique<jobs::JobQueue>(workers)) {
    m_queue->setListener([this](const jobs::Job& job, const jobs::JobSnapshot& snapshot) {
        std::lock_guard lock(m_pendingMutex);
        m_pending[job.id()] = snapshot;
        if (m_deliveryPosted) return;
        m_deliveryPosted = true;
        QMetaObject::invokeMethod(this, [this] { deliver(); }, Qt::QueuedConnection);
    });
}

JobController::~JobController() {
    m_queue->setListener({});
    m_queue.reset();  // cancels and joins the workers before the entries go away
}

jobs::JobId JobController::submit(const QString& name, jobs::JobFn fn, SuccessFn onSuccess, FinishedFn onFinished) {
    return track(m_queue->submit(name.toStdString(), std::move(fn)), std::move(onSuccess), std::move(onFinished));
}

jobs::JobId JobController::track(std::shared_ptr<jobs::Job> job, SuccessFn onSuccess, FinishedFn onFinished) {
    Entry e;
    e.id = job->id();
    e.name = QString::fromStdString(job->name());
    // Starts as Queued even when the job already moved on: every change, the final one included,
    // arrives through deliver(), which runs the completion handlers exactly once.
    e.snapshot = jobs::JobSnapshot{};
    e.job = std::move(job);
    e.onSuccess = std::move(onSuccess);
    e.onFinished = std::move(onFinished);
    e.started.start();
    const jobs::JobId id = e.id;
    m_entries.emplace(id, std::move(e));
    emit jobAdded(id);
    return id;
}

void JobController::cancel(jobs::JobId id) {
    if (auto it = m_entries.find(id); it != m_entries.end()) it->second.job->cancel();
}

jobs::JobId JobController::retry(jobs::JobId id) {
    auto it = m_entries.find(id);
    if (it == m_entries.end() || !jobs::isFinal(it->second.snapshot.state)) return 0;
    return track(m_queue->retry(*it->second.job), it->second.onSuccess, it->second.onFinished);
}

void JobController::cancelAll() { m_queue->cancelAll(); }

const JobController::Entry* JobController::entry(jobs::JobId id) const {
    auto it = m_entries.find(id);
    return it == m_entries.end() ? nullptr : &it->second;
}

std::vector<jobs::JobId> JobController::ids() const {
    std::vector<jobs::JobId> out;
    for (const auto& [id, e] : m_entries) out.push_back(id);
    return out;
}

int JobController::activeCount() const {
    int n = 0;
    for (const auto& [id, e] : m_entries) n += jobs::isFinal(e.snapshot.state) ? 0 : 1;
    return n;
}

void JobController::deliver() {
    std::map<jobs::JobId, jobs::JobSnapshot> batch;
    {
        std::lock_guard lock(m_pendingMutex);
        batch.swap(m_pending);
        m_deliveryPosted = false;
    }
    for (auto& [id, snapshot] : batch) {
        auto it = m_entries.find(id);
        if (it == m_entries.end()) {
            // Update raced ahead of track(): keep it for the next delivery.
            std::lock_guard lock(m_pendingMutex);
            m_pending.emplace(id, std::move(snapshot));
            if (!m_deliveryPosted) {
                m_deliveryPosted = true;
                QMetaObject::invokeMethod(this, [this] { deliver(); }, Qt::QueuedConnection);
            }
            continue;
        }
        Entry& e = it->second;
        const bool wasFinal = jobs::isFinal(e.snapshot.state);
        e.snapshot = std::move(snapshot);
        emit jobChanged(id);
        if (!wasFinal && jobs::isFinal(e.snapshot.state)) {
            // The listener may report Succeeded before results are readable; the job's own state is final here.
            const jobs::JobState state = e.job->state();
            if (state == jobs::JobState::Succeeded && e.onSuccess) e.onSuccess(e.job->results());
            if (e.onFinished) e.onFinished(state);
            emit jobFinished(id, int(state));
        }
    }
}

} // namespace kiln::ui
