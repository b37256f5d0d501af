#pragma once

#include "jobs/job_queue.h"

#include <QWidget>

#include <map>

class QVBoxLayout;

namespace kiln::ui {

class JobController;

// The job queue as the artist sees it: per job a progress bar, stage, ETA, Cancel and Retry, and
// the latest preview's summary.
class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(JobController& jobs, QWidget* parent = nullptr);
    // The row widget of a job (object name "job-<id>"; children "progress", "stage", "eta",
    // "cancel", "retry", "preview").
    QWidget* row(jobs::JobId id) const;

private:
    void addRow(jobs::JobId id);
    void updateRow(jobs::JobId id);

    JobController& m_jobs;
    QVBoxLayout* m_list = nullptr;
    std::map<jobs::JobId, QWidget*> m_rows;
};

} // namespace kiln::ui
