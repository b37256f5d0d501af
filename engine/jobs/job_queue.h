#pragma once

#include "core/asset.h"
#include "core/document.h"
#include "core/progress.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiln::jobs {

using JobId = std::uint64_t;

enum class JobState : std::uint8_t { Queued, Running, Succeeded, Failed, Cancelled };

const char* toString(JobState state);
// Succeeded, Failed and Cancelled are final: the state never changes again.
bool isFinal(JobState state);

// The work itself: reports to the Progress, polls the token and throws kiln::Cancelled (via
// token.throwIfCancelled()) when asked to stop; any other exception fails the job.
using JobFn = std::function<std::vector<core::Asset>(core::Progress&, const core::CancelToken&)>;

class Job;

// Called exactly once when the job reaches its final state: on the worker thread for a job that
// ran, on the cancelling thread for a job cancelled before it started. The job's state and
// results are already final; it must not wait() on the job and must not throw.
using CompletionFn = std::function<void(const Job& job, JobState finalState)>;

struct JobSnapshot {
    JobState state = JobState::Queued;
    std::string stage;
    float fraction = 0.0f;
    double etaSeconds = -1.0;  // < 0 when not yet known
    std::shared_ptr<const core::Asset> preview;  // latest preview, null until one is reported
    std::string error;  // set when Failed
};

// Queue-wide observer: called after every change of any job (submission, state change, progress,
// preview) on the thread that made it, with no queue or job lock held. Must not wait() on a job
// and must not throw.
using JobListener = std::function<void(const Job& job, const JobSnapshot& snapshot)>;

namespace detail {
struct ListenerSlot;
}

// One unit of work. Shared between the queue, the submitter and any observer; every member
// function is thread-safe.
class Job {
    struct Key {
        explicit Key() = default;
    };

public:
    Job(Key, JobId id, std::string name, JobFn fn, CompletionFn onDone,
        std::shared_ptr<detail::ListenerSlot> listener);
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    JobId id() const { return m_id; }
    const std::string& name() const { return m_name; }
    JobState state() const;
    JobSnapshot snapshot() const;
    std::string error() const;

    // A queued job is cancelled at once and never runs; a running one has its token set and ends
    // Cancelled when it unwinds (or returns: a job asked to cancel never reports Succeeded).
    // A no-op on a finished job.
    void cancel();
    bool cancelRequested() const;

    // Block until the job is final and its completion callback has returned.
    JobState wait() const;
    // True when the job finished (as wait()) within the timeout.
    bool waitFor(std::chrono::nanoseconds timeout) const;

    // The produced assets when Succeeded, empty otherwise.
    std::vector<core::Asset> results() const;

private:
    friend class JobQueue;

    void run();
    void onProgress(const core::ProgressUpdate& update);
    void finish(JobState state, std::vector<core::Asset> results, std::string error);
    void settle(JobState state);
    void publish();

    const JobId m_id;
    const std::string m_name;
    const JobFn m_fn;
    const std::shared_ptr<detail::ListenerSlot> m_listener;
    const core::CancelToken m_token;

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_settledCv;
    JobState m_state = JobState::Queued;
    JobSnapshot m_progress;
    std::vector<core::Asset> m_results;
    std::string m_error;
    CompletionFn m_onDone;
    bool m_cancelRequested = false;
    bool m_settled = false;
};

// Runs jobs on a fixed set of worker threads, first in first out. The queue never touches a
// Document: whoever submitted a job applies its results (applyResults) once it Succeeded.
// The destructor cancels queued and running jobs and joins the workers.
class JobQueue {
public:
    // Throws kiln::Error when workers < 1. (LibTorch's compute threads are models::configureComputeThreads'.)
    explicit JobQueue(int workers = 1);
    ~JobQueue();
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    // Throws kiln::Error when fn is empty.
    std::shared_ptr<Job> submit(std::string name, JobFn fn, CompletionFn onDone = {});
    // Submits the same work under the same name as a new job (new id, fresh state).
    std::shared_ptr<Job> retry(const Job& job, CompletionFn onDone = {});

    // Replaces the queue-wide listener (an empty function removes it). Jobs already submitted
    // report to the new one too.
    void setListener(JobListener listener);

    void cancelAll();
    int workerCount() const { return static_cast<int>(m_workers.size()); }
    std::size_t pendingCount() const;

private:
    void workerLoop();

    JobId m_nextId = 1;
    std::shared_ptr<detail::ListenerSlot> m_listener;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::shared_ptr<Job>> m_pending;
    std::vector<std::shared_ptr<Job>> m_running;
    bool m_stopping = false;
    std::vector<std::jthread> m_workers;  // last: joined before the members above go away
};

// Adds every result of a Succeeded job to the document as a new asset; a no-op for any other
// state, so a failed or cancelled job leaves the document (and its revision) as it was.
void applyResults(const Job& job, core::Document& document);


} // namespace kiln::jobs
