#include "core/progress.h"

#include "core/error.h"

#include <algorithm>

namespace kiln::core {

void CancelToken::throwIfCancelled() const {
    if (cancelled()) throw Cancelled();
}

void Progress::report(std::string_view stage, float fraction) {
    m_stage.assign(stage);
    m_fraction = std::clamp(fraction, 0.0f, 1.0f);
    if (!m_sink) return;
    ProgressUpdate u;
    u.stage = m_stage;
    u.fraction = m_fraction;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    // Linear extrapolation of the whole job's rate; honest enough once a few percent are done.
    if (m_fraction >= 0.02f && m_fraction < 1.0f) u.etaSeconds = elapsed * (1.0 - m_fraction) / m_fraction;
    if (m_fraction >= 1.0f) u.etaSeconds = 0.0;
    m_sink(u);
}

void Progress::preview(Asset asset) {
    if (!m_sink) return;
    ProgressUpdate u;
    u.stage = m_stage;
    u.fraction = m_fraction;
    u.preview = std::make_shared<const Asset>(std::move(asset));
    m_sink(u);
}

} // namespace kiln::core
