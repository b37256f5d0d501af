#pragma once

#include "jobs/job_queue.h"

#include <QStringList>
#include <QWidget>

#include <functional>
#include <vector>

class QLabel;
class QTabWidget;

namespace kiln::ui {

// The Create panel: one tab per generation pipeline with the options that pipeline takes
// (input, seed with a dice button, quality preset, model). A tab whose pipeline is not in this
// build (or not wired yet) is disabled with a tooltip saying why; nothing here pretends to
// generate. A live tab turns its widgets into a job request and hands it to the submitter,
// which runs it through the studio's job machinery.
class CreatePanel : public QWidget {
    Q_OBJECT
public:
    // A generation job as a live tab describes it; its results become one undoable change.
    struct Request {
        QString name;     // job name and undo-step text, e.g. "Reconstruct lego"
        jobs::JobFn work; // runs on a job worker, never on the GUI thread
    };
    using SubmitFn = std::function<jobs::JobId(Request request)>;

    explicit CreatePanel(QWidget* parent = nullptr);
    void setSubmitter(SubmitFn submit) { m_submit = std::move(submit); }
    // Model files (*.safetensors, *.pt) found in the preference's model folders fill the model lists.
    void setModelFolders(const QStringList& folders);
    QTabWidget* tabs() const { return m_tabs; }
    // Builds the request of the tab titled `title` from its widgets and submits it. Returns the
    // job, or 0 when the tab is not live or its options are invalid (the reason is shown in the
    // tab's "message" label and emitted as rejected()).
    jobs::JobId generate(const QString& title);

signals:
    void rejected(const QString& reason);

private:
    QTabWidget* m_tabs = nullptr;
    QStringList m_models;
    SubmitFn m_submit;
    std::vector<std::function<Request()>> m_requestFns;  // per tab index; empty for unavailable tabs
};

} // namespace kiln::ui
