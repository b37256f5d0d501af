#include "jobs/job_queue.h"

#include "core/error.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif


namespace kiln::jobs {

namespace detail {
// Shared by a queue and its jobs so a job that outlives its queue can still publish safely.
struct ListenerSlot {
    std::mutex mutex;
    std::shared_ptr<const JobListener> listener;
};
} // namespace detail

const char* toString(JobState state) {
    switch (state) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Succeeded: return "succeeded";
    case JobState::Failed: return "failed";
    case JobState::Cancelled: return "cancelled";
    }
    return "unknown";
}

bool isFinal(JobState state) {
    return state == JobState::Succeeded || state == JobState::Failed || state == JobState::Cancelled;
}

// ---- Job ------------------------------------------------------------------------------------

Job::Job(Key, JobId id, std::string name, JobFn fn, CompletionFn onDone,
         std::shared_ptr<detail::ListenerSlot> listener)
    : m_id(id), m_name(std::move(name)), m_fn(std::move(fn)), m_listener(std::move(listener)),
      m_onDone(std::move(onDone)) {}

JobState Job::state() const {
    std::lock_guard lock(m_mutex);
    return m_state;
}

JobSnapshot Job::snapshot() const {
    std::lock_guard lock(m_mutex);
    JobSnapshot s = m_progress;
    s.state = m_state;
    s.error = m_error;
    return s;
}

std::string Job::error() const {
    std::lock_guard lock(m_mutex);
    return m_error;
}

bool Job::cancelRequested() const {
    std::lock_guard lock(m_mutex);
    return m_cancelRequested;
}

std::vector<core::Asset> Job::results() const {
    std::lock_guard lock(m_mutex);
    return m_state == JobState::Succeeded ? m_results : std::vector<core::Asset>{};
}

void Job::cancel() {
    {
        std::lock_guard lock(m_mutex);
        if (isFinal(m_state)) return;
        m_cancelRequested = true;
        m_token.cancel();
        if (m_state == JobState::Running) return;  // the worker finishes it when fn unwinds
        m_state = JobState::Cancelled;
    }
    settle(JobState::Cancelled);
}

JobState Job::wait() const {
    std::unique_lock lock(m_mutex);
    m_settledCv.wait(lock, [&] { return m_settled; });
    return m_state;
}

bool Job::waitFor(std::chrono::nanoseconds timeout) const {
    std::unique_lock lock(m_mutex);
    return m_settledCv.wait_for(lock, timeout, [&] { return m_settled; });
}

void Job::run() {
    {
        std::lock_guard lock(m_mutex);
        if (m_state != JobState::Queued) return;  // cancelled while queued; already settled
        m_state = JobState::Running;
    }
    publish();

    core::Progress progress([this](const core::ProgressUpdate& u) { onProgress(u); });
    std::vector<core::Asset> results;
    try {
        results = m_fn(progress, m_token);
    } catch (const Cancelled&) {
        return finish(JobState::Cancelled, {}, {});
    } catch (const std::exception& e) {
        return finish(JobState::Failed, {}, e.what());
    } catch (...) {
        return finish(JobState::Failed, {}, "unknown error");
    }
    finish(JobState::Succeeded, std::move(results), {});
}

void Job::onProgress(const core::ProgressUpdate& update) {
    {
        std::lock_guard lock(m_mutex);
        m_progress.stage = update.stage;
        m_progress.fraction = update.fraction;
        // A preview update carries no new timing; keep the last ETA instead of "unknown".
        if (!update.preview) m_progress.etaSeconds = update.etaSeconds;
        if (update.preview) m_progress.preview = update.preview;
    }
    publish();
}

void Job::finish(JobState state, std::vector<core::Asset> results, std::string error) {
    {
        std::lock_guard lock(m_mutex);
        // cancel() sets the flag under this mutex, so a request that arrived before this point
        // always wins: the caller asked for no result and gets none.
        if (state == JobState::Succeeded && m_cancelRequested) state = JobState::Cancelled;
        m_state = state;
        if (state == JobState::Succeeded) {
            m_results = std::move(results);
            m_progress.fraction = 1.0f;
            m_progress.etaSeconds = 0.0;
        }
        if (state == JobState::Failed) m_error = std::move(error);
    }
    settle(state);
}

void Job::settle(JobState state) {
    publish();
    CompletionFn onDone;
    {
        std::lock_guard lock(m_mutex);
        onDone = std::exchange(m_onDone, nullptr);
    }
    if (onDone) onDone(*this, state);
    {
        std::lock_guard lock(m_mutex);
        m_settled = true;
    }
    m_settledCv.notify_all();
}

void Job::publish() {
    std::shared_ptr<const JobListener> listener;
    {
        std::lock_guard lock(m_listener->mutex);
        listener = m_listener->listener;
    }
    if (listener) (*listener)(*this, snapshot());
}

// ---- JobQueue -------------------------------------------------------------------------------

JobQueue::JobQueue(int workers) : m_listener(std::make_shared<detail::ListenerSlot>()) {
    if (workers < 1) throw Error("job queue: needs at least one worker thread (got " + std::to_string(workers) + ")");
    m_workers.reserve(static_cast<std::size_t>(workers));
    try {
        for (int i = 0; i < workers; ++i) m_workers.emplace_back([this] { workerLoop(); });
    } catch (...) {
        // The destructor will not run: stop the workers already started before they are joined.
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        m_workers.clear();
        throw;
    }
}

JobQueue::~JobQueue() {
    std::vector<std::shared_ptr<Job>> toCancel;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        toCancel.assign(m_pending.begin(), m_pending.end());
        toCancel.insert(toCancel.end(), m_running.begin(), m_running.end());
        m_pending.clear();
    }
    m_wake.notify_all();
    for (const auto& job : toCancel) job->cancel();
    m_workers.clear();  // joins
}

std::shared_ptr<Job> JobQueue::submit(std::string name, JobFn fn, CompletionFn onDone) {
    if (!fn) throw Error("job '" + name + "': no work to run");
    std::shared_ptr<Job> job;
    {
        std::lock_guard lock(m_mutex);
        job = std::make_shared<Job>(Job::Key{}, m_nextId++, std::move(name), std::move(fn), std::move(onDone), m_listener);
    }
    // Published before a worker can see it, so observers always get Queued first.
    job->publish();
    bool stopping = false;
    {
        std::lock_guard lock(m_mutex);
        stopping = m_stopping;
        if (!stopping) m_pending.push_back(job);
    }
    // Only a completion callback run by the destructor can get here while stopping.
    if (stopping) job->cancel();
    m_wake.notify_one();
    return job;
}

std::shared_ptr<Job> JobQueue::retry(const Job& job, CompletionFn onDone) {
    return submit(job.name(), job.m_fn, std::move(onDone));
}

void JobQueue::setListener(JobListener listener) {
    auto next = listener ? std::make_shared<const JobListener>(std::move(listener)) : nullptr;
    std::lock_guard lock(m_listener->mutex);
    m_listener->listener = std::move(next);
}

void JobQueue::cancelAll() {
    std::vector<std::shared_ptr<Job>> toCancel;
    {
        std::lock_guard lock(m_mutex);
        toCancel.assign(m_pending.begin(), m_pending.end());
        toCancel.insert(toCancel.end(), m_running.begin(), m_running.end());
        m_pending.clear();
    }
    for (const auto& job : toCancel) job->cancel();
}

std::size_t JobQueue::pendingCount() const {
    std::lock_guard lock(m_mutex);
    return m_pending.size();
}

void JobQueue::workerLoop() {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || !m_pending.empty(); });
            if (m_pending.empty()) return;
            job = std::move(m_pending.front());
            m_pending.pop_front();
            m_running.push_back(job);
        }
        job->run();
        bool idle = false;
        {
            std::lock_guard lock(m_mutex);
            std::erase(m_running, job);
            idle = m_running.empty() && m_pending.empty();
        }
#if defined(__GLIBC__)
        // The process keeps freed memory for the next iteration of a fit (models/compute.h); with
        // no job left, what is free goes back to the system.
        if (idle) malloc_trim(0);
#else
        (void)idle;
#endif
    }
}

// ---- Applying results -------------------------------------------------------------------------

void applyResults(const Job& job, core::Document& document) {
    if (job.state() != JobState::Succeeded) return;
    for (core::Asset& asset : job.results()) document.addAsset(std::move(asset));
}

} // namespace kiln::jobs
