#pragma once

#include "core/asset.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace kiln::core {

// Shared cancellation flag. Copies observe the same flag; long work polls it at least every
// 100 ms of work (DESIGN.md) and unwinds with kiln::Cancelled.
class CancelToken {
public:
    CancelToken() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}
    void cancel() const { m_flag->store(true, std::memory_order_relaxed); }
    bool cancelled() const { return m_flag->load(std::memory_order_relaxed); }
    void throwIfCancelled() const;

private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

struct ProgressUpdate {
    std::string stage;
    float fraction = 0.0f;      // 0..1 within the whole job
    double etaSeconds = -1.0;   // < 0 when not yet known
    std::shared_ptr<const Asset> preview;  // set only on preview updates
};

// What long work reports to: stage, fraction, ETA (derived here from elapsed time) and optional
// preview assets. The sink decides where updates go (job state, a TTY progress bar, nowhere).
class Progress {
public:
    using Sink = std::function<void(const ProgressUpdate&)>;

    Progress() = default;
    explicit Progress(Sink sink) : m_sink(std::move(sink)) {}

    void report(std::string_view stage, float fraction);
    void preview(Asset asset);

    float fraction() const { return m_fraction; }
    const std::string& stage() const { return m_stage; }

private:
    Sink m_sink;
    std::string m_stage;
    float m_fraction = 0.0f;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

} // namespace kiln::core
