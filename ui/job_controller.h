#pragma once

#include "jobs/job_queue.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace kiln::ui {

// The studio's view of the engine's JobQueue: forwards job updates from worker threads to the GUI
// thread (coalesced, so a chatty job cannot flood the event loop) and runs the submitter's
// completion handler there. Nothing here generates anything.
class JobController : public QObject {
    Q_OBJECT
public:
    // Runs on the GUI thread with the results of a Succeeded job.
    using SuccessFn = std::function<void(std::vector<core::Asset> results)>;
    // Runs on the GUI thread once the job is final, after SuccessFn (any final state).
    using FinishedFn = std::function<void(jobs::JobState state)>;

    struct Entry {
        jobs::JobId id = 0;
        QString name;
        std::shared_ptr<jobs::Job> job;
        jobs::JobSnapshot snapshot;  // latest, as seen on the GUI thread
        SuccessFn onSuccess;
        FinishedFn onFinished;
        QElapsedTimer started;
    };

    explicit JobController(int workers, QObject* parent = nullptr);
    ~JobController() override;

    jobs::JobId submit(const QString& name, jobs::JobFn fn, SuccessFn onSuccess = {}, FinishedFn onFinished = {});
    void cancel(jobs::JobId id);
    jobs::JobId retry(jobs::JobId id);
    void cancelAll();

    const Entry* entry(jobs::JobId id) const;
    std::vector<jobs::JobId> ids() const;
    int activeCount() const;

signals:
    void jobAdded(kiln::jobs::JobId id);
    void jobChanged(kiln::jobs::JobId id);
    void jobFinished(kiln::jobs::JobId id, int state);  // state: jobs::JobState

private:
    void deliver();  // GUI thread: drains m_pending
    jobs::JobId track(std::shared_ptr<jobs::Job> job, SuccessFn onSuccess, FinishedFn onFinished);

    std::map<jobs::JobId, Entry> m_entries;
    std::mutex m_pendingMutex;
    std::map<jobs::JobId, jobs::JobSnapshot> m_pending;
    bool m_deliveryPosted = false;
    std::unique_ptr<jobs::JobQueue> m_queue;  // last: destroyed (and joined) first
};

} // namespace kiln::ui
