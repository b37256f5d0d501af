#include "jobs/job_queue.h"

#include "core/error.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;
using kiln::core::Asset;
using kiln::core::CancelToken;
using kiln::core::Mesh;
using kiln::core::Progress;
using kiln::jobs::Job;
using kiln::jobs::JobQueue;
using kiln::jobs::JobSnapshot;
using kiln::jobs::JobState;

namespace {

using Clock = std::chrono::steady_clock;

// One triangle whose first vertex carries `tag`, so results can be matched to their job.
Asset tinyAsset(const std::string& name, float tag = 0.0f) {
    Mesh mesh;
    mesh.positions = {{tag, 0.0f, 0.0f}, {1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}};
    mesh.indices = {0, 1, 2};
    return Asset::fromMesh(name, std::move(mesh));
}

// Polls `done` (and the token, so a stuck test still unwinds) the way real work polls its token.
void blockUntil(const std::atomic<bool>& done, const CancelToken& token) {
    while (!done.load()) {
        token.throwIfCancelled();
        std::this_thread::sleep_for(1ms);
    }
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    while (!pred()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

double millisecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

} // namespace

TEST(JobQueue, CancelRunningJobWithin200ms) {
    std::atomic<bool> started{false};
    JobQueue queue(1);
    auto job = queue.submit("long", [&](Progress& progress, const CancelToken& token) {
        started = true;
        for (int i = 0;; ++i) {
            progress.report("working", static_cast<float>(i % 100) / 100.0f);
            std::this_thread::sleep_for(10ms);
            token.throwIfCancelled();
        }
        return std::vector<Asset>{};
    });
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    std::this_thread::sleep_for(50ms);

    const auto start = Clock::now();
    job->cancel();
    ASSERT_TRUE(job->waitFor(1s));
    const double latencyMs = millisecondsSince(start);
    std::printf("cancellation latency: %.2f ms\n", latencyMs);
    RecordProperty("cancel_latency_us", static_cast<int>(latencyMs * 1000.0));

    EXPECT_EQ(job->state(), JobState::Cancelled);
    EXPECT_LT(latencyMs, 200.0);
    EXPECT_TRUE(job->results().empty());
    EXPECT_TRUE(job->snapshot().error.empty());
}

TEST(JobQueue, CancelQueuedJobNeverRuns) {
    std::atomic<bool> release{false};
    std::atomic<bool> blockerStarted{false};
    std::atomic<bool> queuedRan{false};
    std::atomic<int> callbacks{0};
    JobState callbackState = JobState::Queued;

    JobQueue queue(1);
    auto blocker = queue.submit("blocker", [&](Progress&, const CancelToken& token) {
        blockerStarted = true;
        blockUntil(release, token);
        return std::vector<Asset>{tinyAsset("blocker")};
    });
    auto queued = queue.submit(
        "queued",
        [&](Progress&, const CancelToken&) {
            queuedRan = true;
            return std::vector<Asset>{tinyAsset("queued")};
        },
        [&](const Job&, JobState state) {
            callbackState = state;
            ++callbacks;
        });
    ASSERT_TRUE(eventually([&] { return blockerStarted.load(); }));
    EXPECT_EQ(queued->state(), JobState::Queued);

    queued->cancel();
    // Settled at once, without waiting for the busy worker.
    EXPECT_EQ(queued->state(), JobState::Cancelled);
    EXPECT_TRUE(queued->waitFor(0ms));
    EXPECT_EQ(callbacks.load(), 1);
    EXPECT_EQ(callbackState, JobState::Cancelled);

    release = true;
    EXPECT_EQ(blocker->wait(), JobState::Succeeded);
    // The worker has now passed the cancelled job; give it a moment to (not) run it.
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(queuedRan.load());
    EXPECT_EQ(queued->state(), JobState::Cancelled);
    EXPECT_EQ(callbacks.load(), 1);
    EXPECT_EQ(queue.pendingCount(), 0u);
}

TEST(JobQueue, ErrorMessagePropagatesExactly) {
    JobQueue queue(1);
    auto job = queue.submit("import", [](Progress&, const CancelToken&) -> std::vector<Asset> {
        throw kiln::Error("x.glb: bad magic");
    });
    EXPECT_EQ(job->wait(), JobState::Failed);
    EXPECT_EQ(job->error(), "x.glb: bad magic");
    EXPECT_EQ(job->snapshot().error, "x.glb: bad magic");
    EXPECT_EQ(job->snapshot().state, JobState::Failed);
    EXPECT_TRUE(job->results().empty());
}

TEST(JobQueue, NonKilnExceptionsFail) {
    JobQueue queue(2);
    auto stdJob = queue.submit("std", [](Progress&, const CancelToken&) -> std::vector<Asset> {
        throw std::out_of_range("index 7 out of range");
    });
    auto otherJob = queue.submit("other", [](Progress&, const CancelToken&) -> std::vector<Asset> {
        throw 42;
    });
    EXPECT_EQ(stdJob->wait(), JobState::Failed);
    EXPECT_EQ(stdJob->error(), "index 7 out of range");
    EXPECT_EQ(otherJob->wait(), JobState::Failed);
    EXPECT_EQ(otherJob->error(), "unknown error");
}

TEST(JobQueue, ResultsDeliveredOnSuccess) {
    JobQueue queue(1);
    auto job = queue.submit("make", [](Progress& progress, const CancelToken&) {
        progress.report("build", 0.5f);
        return std::vector<Asset>{tinyAsset("a", 1.0f), tinyAsset("b", 2.0f)};
    });
    EXPECT_EQ(job->wait(), JobState::Succeeded);
    const auto results = job->results();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].name, "a");
    EXPECT_EQ(results[1].name, "b");
    ASSERT_NE(results[1].mesh(), nullptr);
    EXPECT_EQ(results[1].mesh()->positions[0].x, 2.0f);
    const JobSnapshot s = job->snapshot();
    EXPECT_EQ(s.fraction, 1.0f);
    EXPECT_EQ(s.etaSeconds, 0.0);
    EXPECT_TRUE(s.error.empty());
    EXPECT_EQ(job->name(), "make");
}

TEST(JobQueue, JobThatReturnsAfterCancelIsNotSucceeded) {
    std::atomic<bool> started{false};
    std::atomic<bool> release{false};
    JobQueue queue(1);
    auto job = queue.submit("ignores token", [&](Progress&, const CancelToken&) {
        started = true;
        while (!release.load()) std::this_thread::sleep_for(1ms);
        return std::vector<Asset>{tinyAsset("late")};
    });
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    job->cancel();
    EXPECT_TRUE(job->cancelRequested());
    EXPECT_EQ(job->state(), JobState::Running);
    release = true;
    EXPECT_EQ(job->wait(), JobState::Cancelled);
    EXPECT_TRUE(job->results().empty());
}

TEST(JobQueue, ApplyResultsOnlyOnSuccess) {
    kiln::core::Document doc;
    doc.addAsset(tinyAsset("existing"));
    const auto revision = doc.revision();

    std::atomic<bool> started{false};
    JobQueue queue(2);
    auto failed = queue.submit("fail", [](Progress&, const CancelToken&) -> std::vector<Asset> {
        throw kiln::Error("x.glb: bad magic");
    });
    auto cancelled = queue.submit("cancel", [&](Progress&, const CancelToken& token) {
        started = true;
        for (;;) {
            std::this_thread::sleep_for(5ms);
            token.throwIfCancelled();
        }
        return std::vector<Asset>{tinyAsset("never")};
    });
    EXPECT_EQ(failed->wait(), JobState::Failed);
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    cancelled->cancel();
    EXPECT_EQ(cancelled->wait(), JobState::Cancelled);

    kiln::jobs::applyResults(*failed, doc);
    kiln::jobs::applyResults(*cancelled, doc);
    EXPECT_EQ(doc.revision(), revision);
    EXPECT_EQ(doc.assets().size(), 1u);

    auto ok = queue.submit("ok", [](Progress&, const CancelToken&) {
        return std::vector<Asset>{tinyAsset("first"), tinyAsset("second")};
    });
    EXPECT_EQ(ok->wait(), JobState::Succeeded);
    kiln::jobs::applyResults(*ok, doc);
    ASSERT_EQ(doc.assets().size(), 3u);
    EXPECT_EQ(doc.assets()[1].name, "first");
    EXPECT_EQ(doc.assets()[2].name, "second");
    EXPECT_GT(doc.revision(), revision);
}

TEST(JobQueue, ApplyResultsIsNoOpWhileRunning) {
    kiln::core::Document doc;
    std::atomic<bool> started{false};
    std::atomic<bool> release{false};
    JobQueue queue(1);
    auto job = queue.submit("slow", [&](Progress&, const CancelToken& token) {
        started = true;
        blockUntil(release, token);
        return std::vector<Asset>{tinyAsset("late")};
    });
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    kiln::jobs::applyResults(*job, doc);
    EXPECT_EQ(doc.revision(), 0u);
    release = true;
    job->wait();
}

TEST(JobQueue, ManyConcurrentJobsAllComplete) {
    constexpr int kJobs = 200;
    std::atomic<int> completed{0};
    std::atomic<int> updates{0};
    std::vector<std::shared_ptr<Job>> jobs;
    {
        JobQueue queue(4);
        queue.setListener([&](const Job&, const JobSnapshot&) { ++updates; });
        EXPECT_EQ(queue.workerCount(), 4);
        for (int i = 0; i < kJobs; ++i) {
            jobs.push_back(queue.submit(
                "job " + std::to_string(i),
                [i](Progress& progress, const CancelToken& token) {
                    for (int step = 0; step < 5; ++step) {
                        token.throwIfCancelled();
                        progress.report("step", static_cast<float>(step) / 5.0f);
                        if (i % 3 == 0) progress.preview(tinyAsset("preview", static_cast<float>(step)));
                    }
                    if (i % 10 == 7) throw kiln::Error("job " + std::to_string(i) + ": fails on purpose");
                    return std::vector<Asset>{tinyAsset("out " + std::to_string(i), static_cast<float>(i))};
                },
                [&](const Job&, JobState) { ++completed; }));
        }
        for (const auto& job : jobs) job->wait();
    }
    EXPECT_EQ(completed.load(), kJobs);
    EXPECT_GT(updates.load(), kJobs * 3);
    for (int i = 0; i < kJobs; ++i) {
        const Job& job = *jobs[static_cast<std::size_t>(i)];
        if (i % 10 == 7) {
            EXPECT_EQ(job.state(), JobState::Failed) << i;
            EXPECT_EQ(job.error(), "job " + std::to_string(i) + ": fails on purpose");
            continue;
        }
        ASSERT_EQ(job.state(), JobState::Succeeded) << i;
        const auto results = job.results();
        ASSERT_EQ(results.size(), 1u);
        EXPECT_EQ(results[0].name, "out " + std::to_string(i));
        EXPECT_EQ(results[0].mesh()->positions[0].x, static_cast<float>(i));
        EXPECT_EQ(job.name(), "job " + std::to_string(i));
    }
    // Ids are unique.
    for (std::size_t i = 1; i < jobs.size(); ++i) EXPECT_NE(jobs[i]->id(), jobs[i - 1]->id());
}

TEST(JobQueue, SnapshotShowsStageFractionAndEta) {
    std::atomic<bool> reported{false};
    std::atomic<bool> release{false};
    JobQueue queue(1);
    auto job = queue.submit("denoise", [&](Progress& progress, const CancelToken& token) {
        progress.report("load", 0.0f);
        std::this_thread::sleep_for(20ms);
        progress.report("denoise", 0.25f);
        reported = true;
        blockUntil(release, token);
        return std::vector<Asset>{};
    });
    ASSERT_TRUE(eventually([&] { return reported.load(); }));
    const JobSnapshot s = job->snapshot();
    EXPECT_EQ(s.state, JobState::Running);
    EXPECT_EQ(s.stage, "denoise");
    EXPECT_FLOAT_EQ(s.fraction, 0.25f);
    // 20 ms for a quarter: about 60 ms left.
    EXPECT_GT(s.etaSeconds, 0.0);
    EXPECT_LT(s.etaSeconds, 10.0);
    release = true;
    EXPECT_EQ(job->wait(), JobState::Succeeded);
}

TEST(JobQueue, PreviewVisibleInSnapshot) {
    std::atomic<int> previews{0};
    std::atomic<bool> go{false};
    std::atomic<bool> release{false};
    JobQueue queue(1);
    auto job = queue.submit("gen", [&](Progress& progress, const CancelToken& token) {
        blockUntil(go, token);
        progress.report("sample", 0.5f);
        progress.preview(tinyAsset("preview 1", 1.0f));
        progress.preview(tinyAsset("preview 2", 2.0f));
        previews = 2;
        blockUntil(release, token);
        return std::vector<Asset>{tinyAsset("final")};
    });
    EXPECT_EQ(job->snapshot().preview, nullptr);
    go = true;
    ASSERT_TRUE(eventually([&] { return previews.load() == 2; }));
    const JobSnapshot s = job->snapshot();
    ASSERT_NE(s.preview, nullptr);
    EXPECT_EQ(s.preview->name, "preview 2");
    EXPECT_EQ(s.stage, "sample");
    EXPECT_FLOAT_EQ(s.fraction, 0.5f);
    release = true;
    job->wait();
    // The last preview stays visible after the job ends.
    ASSERT_NE(job->snapshot().preview, nullptr);
}

TEST(JobQueue, DestructorWithRunningJobsReturnsPromptly) {
    std::atomic<int> running{0};
    std::atomic<int> queuedRan{0};
    std::vector<std::shared_ptr<Job>> runningJobs;
    std::vector<std::shared_ptr<Job>> queuedJobs;
    std::optional<JobQueue> queue(std::in_place, 2);
    for (int i = 0; i < 2; ++i)
        runningJobs.push_back(queue->submit("run", [&](Progress&, const CancelToken& token) {
            ++running;
            for (;;) {
                std::this_thread::sleep_for(10ms);
                token.throwIfCancelled();
            }
            return std::vector<Asset>{};
        }));
    for (int i = 0; i < 5; ++i)
        queuedJobs.push_back(queue->submit("queued", [&](Progress&, const CancelToken&) {
            ++queuedRan;
            return std::vector<Asset>{};
        }));
    ASSERT_TRUE(eventually([&] { return running.load() == 2; }));

    const auto start = Clock::now();
    queue.reset();
    const double destroyMs = millisecondsSince(start);
    std::printf("destructor with 2 running + 5 queued jobs: %.2f ms\n", destroyMs);
    EXPECT_LT(destroyMs, 200.0);
    for (const auto& job : runningJobs) EXPECT_EQ(job->state(), JobState::Cancelled);
    for (const auto& job : queuedJobs) EXPECT_EQ(job->state(), JobState::Cancelled);
    EXPECT_EQ(queuedRan.load(), 0);
}

TEST(JobQueue, JobsSubmittedWhileDestroyingAreCancelled) {
    std::shared_ptr<Job> followUp;
    std::atomic<bool> followUpRan{false};
    std::optional<JobQueue> queue(std::in_place, 1);
    auto blocker = queue->submit("blocker", [](Progress&, const CancelToken& token) {
        for (;;) {
            std::this_thread::sleep_for(1ms);
            token.throwIfCancelled();
        }
        return std::vector<Asset>{};
    });
    // Its callback runs during the destructor and chains another job. (A raw pointer: the
    // optional counts as empty while it destroys its value.)
    JobQueue* raw = &*queue;
    auto queued = queue->submit(
        "queued", [](Progress&, const CancelToken&) { return std::vector<Asset>{}; },
        [&](const Job&, JobState) {
            followUp = raw->submit("follow-up", [&](Progress&, const CancelToken&) {
                followUpRan = true;
                return std::vector<Asset>{};
            });
        });
    queue.reset();
    ASSERT_NE(followUp, nullptr);
    EXPECT_EQ(followUp->state(), JobState::Cancelled);
    EXPECT_TRUE(followUp->waitFor(0ms));
    EXPECT_FALSE(followUpRan.load());
    EXPECT_EQ(blocker->state(), JobState::Cancelled);
    EXPECT_EQ(queued->state(), JobState::Cancelled);
}

TEST(JobQueue, CompletionCallbackRunsOnceOnWorkerBeforeWaitReturns) {
    std::atomic<int> calls{0};
    std::thread::id callbackThread;
    JobState seen = JobState::Queued;
    std::size_t seenResults = 0;
    JobQueue queue(1);
    auto job = queue.submit(
        "cb", [](Progress&, const CancelToken&) { return std::vector<Asset>{tinyAsset("x")}; },
        [&](const Job& j, JobState state) {
            callbackThread = std::this_thread::get_id();
            seen = state;
            seenResults = j.results().size();
            ++calls;
        });
    EXPECT_EQ(job->wait(), JobState::Succeeded);
    EXPECT_EQ(calls.load(), 1);  // wait() returned after the callback
    EXPECT_EQ(seen, JobState::Succeeded);
    EXPECT_EQ(seenResults, 1u);
    EXPECT_NE(callbackThread, std::this_thread::get_id());
    job->cancel();  // finished: no-op, no second callback
    EXPECT_EQ(job->state(), JobState::Succeeded);
    EXPECT_EQ(calls.load(), 1);
}

TEST(JobQueue, ListenerSeesStatesInOrder) {
    std::mutex mutex;
    std::vector<JobState> states;
    std::vector<std::string> stages;
    std::atomic<bool> go{false};
    JobQueue queue(1);
    queue.setListener([&](const Job&, const JobSnapshot& s) {
        std::lock_guard lock(mutex);
        if (states.empty() || states.back() != s.state) states.push_back(s.state);
        if (!s.stage.empty() && (stages.empty() || stages.back() != s.stage)) stages.push_back(s.stage);
    });
    auto job = queue.submit("observed", [&](Progress& progress, const CancelToken& token) {
        blockUntil(go, token);
        progress.report("a", 0.3f);
        progress.report("b", 0.6f);
        return std::vector<Asset>{};
    });
    go = true;
    job->wait();
    queue.setListener({});
    std::lock_guard lock(mutex);
    EXPECT_EQ(states, (std::vector<JobState>{JobState::Queued, JobState::Running, JobState::Succeeded}));
    EXPECT_EQ(stages, (std::vector<std::string>{"a", "b"}));
}

TEST(JobQueue, RetryRunsSameWorkAsNewJob) {
    JobQueue queue(1);
    auto attempts = std::make_shared<std::atomic<int>>(0);
    auto first = queue.submit("flaky", [attempts](Progress&, const CancelToken&) {
        if (++*attempts == 1) throw kiln::Error("model.safetensors: truncated");
        return std::vector<Asset>{tinyAsset("ok")};
    });
    EXPECT_EQ(first->wait(), JobState::Failed);
    EXPECT_EQ(first->error(), "model.safetensors: truncated");

    auto second = queue.retry(*first);
    EXPECT_NE(second->id(), first->id());
    EXPECT_EQ(second->name(), "flaky");
    EXPECT_EQ(second->wait(), JobState::Succeeded);
    EXPECT_EQ(second->results().size(), 1u);
    EXPECT_EQ(first->state(), JobState::Failed);
    EXPECT_EQ(attempts->load(), 2);
}

TEST(JobQueue, CancelAllCancelsQueuedAndRunning) {
    std::atomic<bool> started{false};
    JobQueue queue(1);
    auto running = queue.submit("run", [&](Progress&, const CancelToken& token) {
        started = true;
        for (;;) {
            std::this_thread::sleep_for(5ms);
            token.throwIfCancelled();
        }
        return std::vector<Asset>{};
    });
    auto queued = queue.submit("queued", [](Progress&, const CancelToken&) { return std::vector<Asset>{}; });
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    queue.cancelAll();
    EXPECT_EQ(queued->state(), JobState::Cancelled);
    EXPECT_EQ(running->wait(), JobState::Cancelled);
    // The queue still works afterwards.
    auto later = queue.submit("later", [](Progress&, const CancelToken&) { return std::vector<Asset>{tinyAsset("x")}; });
    EXPECT_EQ(later->wait(), JobState::Succeeded);
}

TEST(JobQueue, RejectsBadArguments) {
    EXPECT_THROW(JobQueue(0), kiln::Error);
    JobQueue queue(1);
    EXPECT_THROW(queue.submit("empty", {}), kiln::Error);
}

TEST(JobQueue, StateNames) {
    EXPECT_STREQ(kiln::jobs::toString(JobState::Cancelled), "cancelled");
    EXPECT_TRUE(kiln::jobs::isFinal(JobState::Failed));
    EXPECT_FALSE(kiln::jobs::isFinal(JobState::Running));
}
