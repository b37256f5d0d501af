#pragma once

#include "core/asset.h"
#include "core/document.h"
#include "jobs/job_queue.h"
#include "ui/keep_tool.h"

#include <QStringList>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QButtonGroup;
class QGroupBox;
class QLabel;
class QTabWidget;

namespace kiln::ui {

class PreviewThumbnailer;

// The Create panel: one tab per registered pipeline (engine/pipelines: built-in and plug-ins),
// its form built from the pipeline's declaration: a widget per input, a quality preset, a widget
// per option of its schema (object name = option name), the model for each slot, and "also a
// mesh" where the pipeline can add one. A pipeline that cannot run here (no LibTorch, no model)
// gets a disabled tab whose tooltip says why; nothing here pretends to generate. A live tab turns
// its widgets into a request and hands it to the submitter, which runs it as a job.
class CreatePanel : public QWidget {
    Q_OBJECT
public:
    // A generation job as a live tab describes it; its results become one undoable change.
    struct Request {
        QString name;     // job name and undo-step text, e.g. "Reconstruct lego"
        jobs::JobFn work; // runs on a job worker, never on the GUI thread
        // The pipeline works on the selected asset (an Asset input): its results land as new
        // versions of that asset (parent-linked, undoable; the first current), not as new assets.
        bool newVersionOfSelection = false;
    };
    using SubmitFn = std::function<jobs::JobId(Request request)>;
    // The asset pipelines with an Asset input work on (the studio's selection), if any.
    using AssetFn = std::function<std::optional<core::Asset>()>;
    // The triangles of that asset marked in the viewport as a region to keep (empty: none); read
    // by the tabs whose pipeline keeps a region (an option "keep-box": the Edit tab).
    using MarksFn = std::function<std::vector<std::uint8_t>()>;

    explicit CreatePanel(QWidget* parent = nullptr);
    void setSubmitter(SubmitFn submit) { m_submit = std::move(submit); }
    void setAssetProvider(AssetFn provider) { m_asset = std::move(provider); }
    void setKeepMarksProvider(MarksFn provider) { m_marks = std::move(provider); }
    // Shows how many triangles of the selection are marked to keep, under the keep tools.
    void showKeepMarks(std::size_t marked);
    // Extra model folders (preferences): the model lists of every tab are refilled.
    void setModelFolders(const QStringList& folders);
    QTabWidget* tabs() const { return m_tabs; }
    // Rebuilds the tabs from the pipeline registry (after a plug-in registered one).
    void rebuild();
    // Builds the request of the tab whose page is named `title` (the pipeline's display name or
    // id) and submits it. Returns the job, or 0 when the tab is not live or its options are invalid
    // (the reason is shown in the tab's "message" label and emitted as rejected()).
    jobs::JobId generate(const QString& title);

    // The variants one job made, as thumbnails under the tabs (rendered off the GUI thread): each
    // a version of an asset (version != 0) or a new asset (version == 0), and for an asset the job
    // worked on, the version it started from ("before", object name "before"; the variants are
    // "variant0", "variant1", ...). Clicking one emits variantChosen; `current` is shown checked.
    struct Variant {
        core::AssetId asset = 0;
        core::VersionId version = 0;
        std::shared_ptr<const core::Asset> preview;
        QString label;        // e.g. "seed 7"
        bool before = false;  // the version the job worked from (a before/after toggle with the rest)
    };
    void showVariants(const QString& title, std::vector<Variant> variants, std::size_t current = 0);
    QGroupBox* variantStrip() const { return m_variants; }
    static constexpr int kVariantThumbnail = 72;  // logical pixels

signals:
    void rejected(const QString& reason);
    void variantChosen(kiln::core::AssetId asset, kiln::core::VersionId version);
    // A text option's field changed (e.g. the Edit tab's keep-box, which the viewport outlines).
    void textOptionEdited(const QString& pipelineId, const QString& option, const QString& text);
    // The keep tools under the Edit tab: a tool chosen (None when both are off or the tab is left),
    // the brush's radius in pixels, the marks cleared.
    void keepToolChosen(kiln::ui::KeepTool tool);
    void keepBrushRadiusChanged(int pixels);
    void keepVisibleOnlyChanged(bool on);
    void keepMarksCleared();

private:
    QGroupBox* m_variants = nullptr;
    QButtonGroup* m_variantButtons = nullptr;
    PreviewThumbnailer* m_thumbnailer = nullptr;
    jobs::JobId m_nextThumbnail = 1;  // thumbnail keys of this panel's thumbnailer
    QTabWidget* m_tabs = nullptr;
    SubmitFn m_submit;
    AssetFn m_asset;
    MarksFn m_marks;
    std::vector<std::function<Request()>> m_requestFns;  // per tab index; empty for unavailable tabs
};

} // namespace kiln::ui
