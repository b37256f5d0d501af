#include "ui/jobs_panel.h"

#include "core/asset_stats.h"
#include "ui/job_controller.h"
#include "ui/preview_thumbnailer.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include <chrono>
#include <cmath>

namespace kiln::ui {

namespace {

QString formatEta(double seconds) {
    if (seconds < 0.0) return QObject::tr("ETA —");
    const int s = int(std::ceil(seconds));
    return s >= 60 ? QObject::tr("ETA %1 min %2 s").arg(s / 60).arg(s % 60) : QObject::tr("ETA %1 s").arg(s);
}

QString previewText(const core::Asset& preview) {
    const core::AssetStats st = core::computeStats(preview);
    return st.kind == "mesh" ? QObject::tr("preview: %1 triangles").arg(qulonglong(st.triangles))
                             : QObject::tr("preview: %1 splats").arg(qulonglong(st.splats));
}

} // namespace

JobsPanel::JobsPanel(JobController& jobs, QWidget* parent) : QWidget(parent), m_jobs(jobs) {
    setObjectName("jobsPanel");
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    auto* inner = new QWidget;
    m_list = new QVBoxLayout(inner);
    m_list->addStretch(1);
    scroll->setWidget(inner);
    outer->addWidget(scroll);
    connect(&jobs, &JobController::jobAdded, this, &JobsPanel::addRow);
    connect(&jobs, &JobController::jobChanged, this, &JobsPanel::updateRow);
    m_thumbnailer = new PreviewThumbnailer(std::chrono::milliseconds(500), this);
    connect(m_thumbnailer, &PreviewThumbnailer::thumbnailReady, this, [this](jobs::JobId id, const QImage& image) {
        QWidget* w = row(id);
        if (!w) return;
        QPixmap pixmap = QPixmap::fromImage(image);
        pixmap.setDevicePixelRatio(devicePixelRatioF());
        w->findChild<QLabel*>("preview")->setPixmap(pixmap);
    });
}

QWidget* JobsPanel::row(jobs::JobId id) const {
    auto it = m_rows.find(id);
    return it == m_rows.end() ? nullptr : it->second;
}

void JobsPanel::addRow(jobs::JobId id) {
    const JobController::Entry* e = m_jobs.entry(id);
    if (!e) return;
    auto* w = new QFrame;
    w->setObjectName(QString("job-%1").arg(id));
    w->setFrameShape(QFrame::StyledPanel);
    auto* g = new QGridLayout(w);
    auto* name = new QLabel("<b>" + e->name.toHtmlEscaped() + "</b>");
    name->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    name->setToolTip(e->name);
    auto* progress = new QProgressBar;
    progress->setObjectName("progress");
    progress->setRange(0, 1000);
    auto* stage = new QLabel;
    stage->setObjectName("stage");
    stage->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long stages are clipped; the tooltip has them whole
    auto* eta = new QLabel;
    eta->setObjectName("eta");
    auto* preview = new QLabel;
    preview->setObjectName("preview");
    preview->setFixedSize(kThumbnailSize, kThumbnailSize);
    preview->setAlignment(Qt::AlignCenter);
    preview->setWordWrap(true);
    preview->setVisible(false);  // shown with the first preview
    auto* cancel = new QPushButton(tr("Cancel"));
    cancel->setObjectName("cancel");
    auto* retry = new QPushButton(tr("Retry"));
    retry->setObjectName("retry");
    // Thumbnail on the left; name, progress, stage and ETA, then the buttons beside it.
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(cancel);
    buttons->addWidget(retry);
    buttons->addStretch(1);
    g->addWidget(preview, 0, 0, 4, 1, Qt::AlignTop);
    g->addWidget(name, 0, 1, 1, 2);
    g->addWidget(progress, 1, 1, 1, 2);
    g->addWidget(stage, 2, 1);
    g->addWidget(eta, 2, 2, Qt::AlignRight);
    g->addLayout(buttons, 3, 1, 1, 2);
    g->setColumnStretch(1, 1);
    connect(cancel, &QPushButton::clicked, this, [this, id] { m_jobs.cancel(id); });
    connect(retry, &QPushButton::clicked, this, [this, id] { m_jobs.retry(id); });
    m_list->insertWidget(0, w);  // newest on top
    m_rows[id] = w;
    updateRow(id);
}

void JobsPanel::updateRow(jobs::JobId id) {
    const JobController::Entry* e = m_jobs.entry(id);
    QWidget* w = row(id);
    if (!e || !w) return;
    const jobs::JobSnapshot& s = e->snapshot;
    const bool final = jobs::isFinal(s.state);
    w->findChild<QProgressBar*>("progress")->setValue(s.state == jobs::JobState::Succeeded ? 1000 : int(s.fraction * 1000.0f));
    QString stage = QString::fromStdString(s.stage);
    if (final) stage = s.state == jobs::JobState::Failed ? tr("failed: %1").arg(QString::fromStdString(s.error)) : tr(jobs::toString(s.state));
    else if (s.state == jobs::JobState::Queued) stage = tr("queued");
    w->findChild<QLabel*>("stage")->setText(stage);
    w->findChild<QLabel*>("stage")->setToolTip(stage);
    w->findChild<QLabel*>("eta")->setText(final ? QString() : formatEta(s.etaSeconds));
    if (s.preview && m_requestedPreview[id] != s.preview) {
        auto* preview = w->findChild<QLabel*>("preview");
        if (preview->pixmap().isNull()) preview->setText(previewText(*s.preview));  // until the first thumbnail lands
        preview->setToolTip(previewText(*s.preview));
        preview->setVisible(true);
        m_requestedPreview[id] = s.preview;
        m_thumbnailer->request(id, s.preview, int(kThumbnailSize * devicePixelRatioF()));
    }
    w->findChild<QPushButton*>("cancel")->setEnabled(!final && !e->job->cancelRequested());
    w->findChild<QPushButton*>("retry")->setEnabled(final && s.state != jobs::JobState::Succeeded);
}

} // namespace kiln::ui
