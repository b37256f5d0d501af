#pragma once

#include "core/document.h"
#include "core/transform.h"
#include "jobs/job_queue.h"
#include "ui/export_dialog.h"
#include "ui/preferences.h"

#include <QMainWindow>
#include <QTimer>
#include <QVulkanInstance>

#include <glm/vec3.hpp>

#include <functional>
#include <memory>

class QLabel;
class QMenu;
class QUndoStack;

namespace kiln::render {
class Renderer;
}

namespace kiln::ui {

class CreatePanel;
class InspectorPanel;
class JobController;
class JobsPanel;
class LogPanel;
class OutlinerPanel;
class StudioDocument;
class ViewportWindow;

// kiln-studio's main window: the viewport in the centre, dockable Create, Jobs, Outliner,
// Inspector and Log panels, menus with shortcuts for every common action, autosave and crash
// recovery. Every document change goes through StudioDocument (undoable); everything slow
// (import, export, save, open, bake) runs as a job.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // Throws kiln::Error when no Vulkan device can present (the caller reports it).
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    StudioDocument& document() { return *m_document; }
    JobController& jobs() { return *m_jobs; }
    ViewportWindow* viewport() const { return m_viewport; }
    QWidget* viewportWidget() const { return m_viewportContainer; }
    OutlinerPanel* outliner() const { return m_outliner; }
    InspectorPanel* inspector() const { return m_inspector; }
    JobsPanel* jobsPanel() const { return m_jobsPanel; }
    LogPanel* log() const { return m_log; }
    CreatePanel* createPanel() const { return m_create; }
    const render::Renderer& renderer() const { return *m_renderer; }

    // Imports meshes, splat files and images (as textured planes) as jobs (one per file); .kiln
    // folders open as projects.
    std::vector<jobs::JobId> openPaths(const QStringList& paths);
    jobs::JobId importFile(const QString& path);
    jobs::JobId openProject(const QString& path);
    // Writes the document to `path` as a job; on success it becomes the document's path. `then`
    // runs on the GUI thread once the job is final (true when it saved).
    jobs::JobId saveProjectAs(const QString& path, std::function<void(bool saved)> then = {});
    // File > Save: the same job to the document's path, asking for one when it has none; 0 when
    // the user cancels that dialog.
    jobs::JobId save(std::function<void(bool saved)> then = {});
    // Opens the export dialog for the selected asset (non-modal); accepting runs the export job.
    ExportDialog* showExportDialog();
    jobs::JobId runExport(core::AssetId asset, const ExportSettings& settings);
    // Bakes a translation, or any similarity transform, into a new version of the asset (a job,
    // then an undoable change named `what`).
    jobs::JobId moveAsset(core::AssetId asset, glm::vec3 delta);
    jobs::JobId transformAsset(core::AssetId asset, const core::Similarity& transform, const QString& what);

    // View > View Through Input Camera: the viewport looks through camera `index` of a posed
    // image set (transforms*.json or a COLMAP model), to check a reconstruction against the photo
    // it was fitted to. With `views` empty, the selected reconstruction's own input views (and the
    // up axis it was fitted with). Returns false with the reason in the log.
    bool viewThroughInputCamera(int index, const QString& views = {}, char up = 'y');

    // Autosave: every running studio (instance) writes its own autosavePath() every interval
    // while modified and holds a lock naming its process. A lock whose process is gone means that
    // studio crashed: the next start offers its autosave (never one of a studio still running).
    QString autosavePath() const;
    jobs::JobId autosaveNow();
    bool recoveryAvailable() const;
    QString recoverableAutosave() const;  // the newest orphaned autosave, or empty
    jobs::JobId recover();
    void offerRecovery();  // asks the user when recoveryAvailable()

    const Preferences& preferences() const { return m_prefs; }
    void applyPreferences(const Preferences& prefs);
    // Opens the preferences dialog (non-modal); accepting applies and persists the choices.
    PreferencesDialog* showPreferences();
    // Most recent first, as persisted in the settings and listed in File > Open Recent.
    QStringList recentFiles() const;
    QMenu* recentMenu() const { return m_recentMenu; }

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void buildDocks();
    void updateTitle();
    void updateStatus();
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void saveAsDialog();
    void askViewThroughInputCamera();
    jobs::JobId submitCreation(QString name, jobs::JobFn work, bool newVersionOfSelection = false);
    void discardOrphan(const QString& autosave);  // removes a crashed session's autosave and lock

    Preferences m_prefs;
    std::unique_ptr<render::Renderer> m_renderer;
    QVulkanInstance m_vulkan;
    StudioDocument* m_document = nullptr;
    JobController* m_jobs = nullptr;
    ViewportWindow* m_viewport = nullptr;
    QWidget* m_viewportContainer = nullptr;
    CreatePanel* m_create = nullptr;
    JobsPanel* m_jobsPanel = nullptr;
    OutlinerPanel* m_outliner = nullptr;
    InspectorPanel* m_inspector = nullptr;
    LogPanel* m_log = nullptr;
    int m_lastInputView = 0;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_memoryLabel = nullptr;
    QLabel* m_jobsLabel = nullptr;
    QTimer m_statusTimer;
    QTimer m_autosaveTimer;
    std::uint64_t m_autosavedRevision = ~0ull;
    bool m_closeAfterSave = false;  // closing waits for the save the user chose in the close prompt
    QString m_instance;  // "<pid>-<unique>": names this studio's autosave and lock
};

} // namespace kiln::ui
