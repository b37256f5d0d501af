#pragma once

#include "jobs/job_queue.h"

#include <QWidget>

#include <map>
#include <memory>

class QVBoxLayout;

namespace kiln::ui {

class JobController;
class PreviewThumbnailer;

// The job queue as the artist sees it: per job a progress bar, stage, ETA, Cancel and Retry, and
// a live thumbnail of the latest preview (rendered off the GUI thread, at most twice a second).
class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(JobController& jobs, QWidget* parent = nullptr);
    // The row widget of a job (object name "job-<id>"; children "progress", "stage", "eta",
    // "cancel", "retry", "preview").
    QWidget* row(jobs::JobId id) const;
    static constexpr int kThumbnailSize = 96;  // logical pixels
    const PreviewThumbnailer& thumbnailer() const { return *m_thumbnailer; }

private:
    void addRow(jobs::JobId id);
    void updateRow(jobs::JobId id);

    JobController& m_jobs;
    QVBoxLayout* m_list = nullptr;
    std::map<jobs::JobId, QWidget*> m_rows;
    std::map<jobs::JobId, std::shared_ptr<const core::Asset>> m_requestedPreview;  // last preview sent for a thumbnail
    PreviewThumbnailer* m_thumbnailer = nullptr;
};

} // namespace kiln::ui
