#include "ui/main_window.h"

#include "core/error.h"
#include "core/transform.h"
#include "io/asset_io.h"
#include "io/project.h"
#include "models/compute.h"
#include "models/model_paths.h"
#include "pipelines/pipeline.h"
#include "plugins/plugin_host.h"
#include "render/renderer.h"
#include "ui/create_panel.h"
#include "io/image_plane.h"
#include "io/posed_images.h"
#include "ui/inspector_panel.h"
#include "ui/job_controller.h"
#include "ui/jobs_panel.h"
#include "ui/log_panel.h"
#include "ui/outliner_panel.h"
#include "ui/studio_document.h"
#include "ui/theme.h"
#include "ui/viewport_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QInputDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QDateTime>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QUndoStack>
#include <QUuid>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace kiln::ui {

namespace {

std::vector<std::string> surfaceExtensions() {
    const QString platform = QGuiApplication::platformName();
    if (platform == "wayland") return {"VK_KHR_surface", "VK_KHR_wayland_surface"};
    return {"VK_KHR_surface", "VK_KHR_xcb_surface"};
}

// Resident memory of this process in bytes (Linux /proc/self/statm), 0 when unknown.
std::uint64_t residentBytes() {
    QFile f("/proc/self/statm");
    if (!f.open(QIODevice::ReadOnly)) return 0;
    const QList<QByteArray> parts = f.readAll().split(' ');
    return parts.size() > 1 ? parts[1].toULongLong() * std::uint64_t(sysconf(_SC_PAGESIZE)) : 0;
}

bool isProjectPath(const QString& path) {
    return path.endsWith(".kiln") || path.endsWith(".kiln/") || QFileInfo(path).fileName() == "project.json";
}

QString dataDir() { return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation); }
QString autosaveFor(const QString& instance) { return dataDir() + "/autosave-" + instance + ".kiln"; }
QString lockFor(const QString& instance) { return dataDir() + "/session-" + instance + ".lock"; }

// Whether the process that wrote a session lock still runs (EPERM: it runs as another user).
bool lockOwnerAlive(const QString& lock) {
    QFile f(lock);
    if (!f.open(QIODevice::ReadOnly)) return false;
    bool ok = false;
    const qint64 pid = f.readAll().trimmed().toLongLong(&ok);
    if (!ok || pid <= 0) return false;
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

QString instanceOf(const QString& fileName, const QString& prefix, const QString& suffix) {
    return fileName.mid(prefix.size(), fileName.size() - prefix.size() - suffix.size());
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName("mainWindow");
    m_prefs = Preferences::load();
    models::configureComputeThreads(m_prefs.threads);

    render::RendererOptions ro;
    ro.instanceExtensions = surfaceExtensions();
    ro.swapchain = true;
    // KILN_STUDIO_VALIDATION=1 requires the Khronos validation layer (tests); otherwise debug builds only.
    if (qEnvironmentVariableIntValue("KILN_STUDIO_VALIDATION") == 1) ro.validation = render::Validation::On;
    try {
        m_renderer = std::make_unique<render::Renderer>(ro);
    } catch (const std::exception& e) {
        throw Error(std::string("no usable Vulkan device (") + e.what() +
                    "). The viewport needs a Vulkan driver that can present to a window: install your GPU's Vulkan driver "
                    "or Mesa's software one (lavapipe, package mesa-vulkan-drivers), and check VK_ICD_FILENAMES / "
                    "VK_DRIVER_FILES if they are set. The command-line tool (kiln) works without a display.");
    }
    m_vulkan.setVkInstance(reinterpret_cast<VkInstance>(m_renderer->vkInstance()));
    if (!m_vulkan.create()) throw Error("Qt could not adopt the Vulkan instance (error " + std::to_string(int(m_vulkan.errorCode())) + ")");

    // Pipelines before the Create panel is built: its tabs are the registry's.
    pipelines::registerBuiltinPipelines();
    const auto& pluginReport = plugins::loadPlugins();
    {
        std::vector<std::filesystem::path> folders;
        for (const QString& f : m_prefs.modelFolders) folders.emplace_back(f.toStdString());
        models::setUserModelFolders(std::move(folders));
    }

    m_document = new StudioDocument(this);
    m_jobs = new JobController(1, this);
    m_viewport = new ViewportWindow(*m_renderer, m_vulkan, *m_document);
    m_viewportContainer = QWidget::createWindowContainer(m_viewport, this);
    m_viewportContainer->setObjectName("viewport");
    m_viewportContainer->setFocusPolicy(Qt::StrongFocus);
    m_viewportContainer->setMinimumSize(320, 240);
    m_viewportContainer->setAcceptDrops(true);
    setCentralWidget(m_viewportContainer);
    setAcceptDrops(true);
    setDockNestingEnabled(true);

    buildDocks();
    buildMenus();

    connect(m_viewport, &ViewportWindow::filesDropped, this, [this](const QStringList& paths) { openPaths(paths); });
    connect(m_viewport, &ViewportWindow::transformRequested, this, [this](core::AssetId id, const core::Similarity& xf, GizmoMode mode) {
        transformAsset(id, xf, mode == GizmoMode::Rotate ? tr("Rotate") : mode == GizmoMode::Scale ? tr("Scale") : tr("Move"));
    });
    m_create->setSubmitter([this](CreatePanel::Request r) { return submitCreation(r.name, std::move(r.work), r.newVersionOfSelection); });
    m_create->setAssetProvider([this]() -> std::optional<core::Asset> {
        const core::DocumentAsset* a = m_document->document().find(m_document->selected());
        if (!a) return std::nullopt;
        return a->currentVersion().asset;
    });
    // The Edit tab's keep tools drive the viewport's; the marked triangles of the selection go
    // with the request.
    m_create->setKeepMarksProvider([this] { return m_viewport->keepMarks(m_document->selected()); });
    connect(m_create, &CreatePanel::keepToolChosen, m_viewport, &ViewportWindow::setKeepTool);
    connect(m_create, &CreatePanel::keepBrushRadiusChanged, this, [this](int px) { m_viewport->setKeepBrushRadius(float(px)); });
    connect(m_create, &CreatePanel::keepVisibleOnlyChanged, m_viewport, &ViewportWindow::setKeepVisibleOnly);
    connect(m_create, &CreatePanel::keepMarksCleared, m_viewport, &ViewportWindow::clearKeepMarks);
    const auto showMarks = [this] { m_create->showKeepMarks(m_viewport->keepMarkedCount(m_document->selected())); };
    connect(m_viewport, &ViewportWindow::keepMarksChanged, this, showMarks);
    connect(m_document, &StudioDocument::selectionChanged, this, showMarks);
    connect(m_document, &StudioDocument::documentChanged, this, showMarks);
    for (const auto& p : pluginReport) {
        const QString line = tr("plug-in %1: %2").arg(QString::fromStdString(p.file.filename().string()), QString::fromStdString(p.message));
        if (p.loaded) m_log->info(line);
        else m_log->error(line);
    }
    connect(m_create, &CreatePanel::rejected, this, [this](const QString& why) { m_log->error(why); });
    // The Edit tab's keep box, outlined on the selected asset while it is a valid box.
    connect(m_create, &CreatePanel::textOptionEdited, this, [this](const QString& pipeline, const QString& option, const QString& text) {
        if (pipeline != "edit" || option != "keep-box") return;
        std::optional<core::Bounds> box;
        try {
            if (!text.trimmed().isEmpty()) box = core::parseBounds(text.trimmed().toStdString(), "--keep-box");
        } catch (const Error&) {
            // Not a box (yet): nothing outlined; the tab says why when it runs.
        }
        m_viewport->setKeepBox(box);
    });
    // A variant clicked under the Create tabs: a version becomes its asset's current one (one undo
    // step); a variant made as its own asset is selected.
    connect(m_create, &CreatePanel::variantChosen, this, [this](core::AssetId asset, core::VersionId version) {
        const core::DocumentAsset* a = m_document->document().find(asset);
        if (!a) {
            m_log->error(tr("That variant is no longer in the document"));
            return;
        }
        if (version != 0 && a->current != version) {
            if (std::none_of(a->versions.begin(), a->versions.end(), [&](const core::AssetVersion& v) { return v.id == version; })) {
                m_log->error(tr("That variant is no longer among %1's versions").arg(QString::fromStdString(a->name)));
                return;
            }
            core::Document next = m_document->document();
            next.setCurrentVersion(asset, version);
            m_document->change(tr("Choose variant"), std::move(next));
        }
        m_document->select(asset);
    });
    connect(m_inspector, &InspectorPanel::moveRequested, this, &MainWindow::moveAsset);
    connect(m_document, &StudioDocument::modifiedChanged, this, &MainWindow::updateTitle);
    connect(m_document, &StudioDocument::pathChanged, this, &MainWindow::updateTitle);
    connect(m_jobs, &JobController::jobFinished, this, [this](jobs::JobId id, int state) {
        const JobController::Entry* e = m_jobs->entry(id);
        if (!e) return;
        if (state == int(jobs::JobState::Failed)) m_log->error(tr("%1 failed: %2").arg(e->name, QString::fromStdString(e->job->error())));
        else m_log->info(tr("%1: %2").arg(e->name, tr(jobs::toString(jobs::JobState(state)))));
        updateStatus();
    });
    connect(m_jobs, &JobController::jobAdded, this, &MainWindow::updateStatus);

    m_memoryLabel = new QLabel;
    m_memoryLabel->setObjectName("memory");
    m_jobsLabel = new QLabel;
    statusBar()->addPermanentWidget(m_jobsLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    statusBar()->showMessage(tr("Vulkan: %1").arg(QString::fromStdString(m_renderer->deviceName())));
    connect(&m_statusTimer, &QTimer::timeout, this, &MainWindow::updateStatus);
    m_statusTimer.start(2000);
    updateStatus();

    bool okInterval = false;
    const int autosaveSeconds = qEnvironmentVariableIntValue("KILN_STUDIO_AUTOSAVE_SECONDS", &okInterval);
    m_autosaveTimer.setInterval((okInterval && autosaveSeconds > 0 ? autosaveSeconds : 120) * 1000);
    connect(&m_autosaveTimer, &QTimer::timeout, this, &MainWindow::autosaveNow);
    m_autosaveTimer.start();

    // This studio's own lock: other studios leave its autosave alone while this process runs.
    m_instance = QString("%1-%2").arg(qint64(getpid())).arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    QDir().mkpath(dataDir());
    {
        QSaveFile lock(lockFor(m_instance));
        if (lock.open(QIODevice::WriteOnly)) {
            lock.write(QByteArray::number(qint64(getpid())));
            lock.commit();
        }
    }
    // Locks of crashed sessions that left no autosave protect nothing.
    for (const QFileInfo& fi : QDir(dataDir()).entryInfoList({"session-*.lock"}, QDir::Files)) {
        const QString instance = instanceOf(fi.fileName(), "session-", ".lock");
        if (instance != m_instance && !lockOwnerAlive(fi.absoluteFilePath()) && !QFileInfo(autosaveFor(instance)).isDir())
            QFile::remove(fi.absoluteFilePath());
    }

    applyPreferences(m_prefs);
    resize(1400, 900);
    updateTitle();
    m_log->info(tr("Kiln studio on %1").arg(QString::fromStdString(m_renderer->deviceName())));
}

MainWindow::~MainWindow() {
    // Jobs first (their completions touch the panels), then the viewport (its swapchain needs the
    // renderer and the Vulkan instance, which are members and go after this body).
    delete m_jobs;
    m_jobs = nullptr;
    delete m_viewportContainer;
    m_viewportContainer = nullptr;
    m_viewport = nullptr;
    // A clean end: nothing to recover from this session.
    QDir(autosavePath()).removeRecursively();
    QFile::remove(lockFor(m_instance));
}

void MainWindow::buildDocks() {
    auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    m_create = new CreatePanel;
    m_outliner = new OutlinerPanel(*m_document);
    m_inspector = new InspectorPanel(*m_document);
    m_jobsPanel = new JobsPanel(*m_jobs);
    m_log = new LogPanel;
    auto* create = dock(tr("Create"), "dockCreate", m_create, Qt::LeftDockWidgetArea);
    auto* outliner = dock(tr("Outliner"), "dockOutliner", m_outliner, Qt::RightDockWidgetArea);
    auto* inspector = dock(tr("Inspector"), "dockInspector", m_inspector, Qt::RightDockWidgetArea);
    auto* jobsDock = dock(tr("Jobs"), "dockJobs", m_jobsPanel, Qt::LeftDockWidgetArea);
    auto* log = dock(tr("Log"), "dockLog", m_log, Qt::BottomDockWidgetArea);
    splitDockWidget(create, jobsDock, Qt::Vertical);
    splitDockWidget(outliner, inspector, Qt::Vertical);
    resizeDocks({create, outliner}, {320, 340}, Qt::Horizontal);
    resizeDocks({log}, {130}, Qt::Vertical);
}

void MainWindow::buildMenus() {
    auto add = [this](QMenu* menu, const QString& text, const QKeySequence& key, auto slot) {
        QAction* a = menu->addAction(text);
        a->setShortcut(key);
        a->setShortcutContext(Qt::ApplicationShortcut);  // also while the viewport window has focus
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, tr("&New"), QKeySequence::New, [this] {
        if (m_document->isModified() &&
            QMessageBox::question(this, tr("New"), tr("Discard unsaved changes?")) != QMessageBox::Yes)
            return;
        m_document->reset({}, {});
    });
    add(file, tr("&Import…"), QKeySequence(tr("Ctrl+I")), [this] {
        const QStringList files = QFileDialog::getOpenFileNames(
            this, tr("Import"), QString(),
            tr("Meshes, splats and images (*.glb *.gltf *.obj *.fbx *.ply *.stl *.dae *.3ds *.splat *.spz *.png *.jpg *.jpeg *.exr "
               "*.hdr *.tif *.tiff *.bmp *.tga *.webp);;Images as planes (*.png *.jpg *.jpeg *.exr *.hdr *.tif *.tiff *.bmp *.tga *.webp);;"
               "All files (*)"));
        openPaths(files);
    });
    add(file, tr("&Open Project…"), QKeySequence::Open, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open .kiln project"));
        if (!dir.isEmpty()) openProject(dir);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    add(file, tr("&Save"), QKeySequence::Save, [this] { save(); });
    add(file, tr("Save &As…"), QKeySequence::SaveAs, &MainWindow::saveAsDialog);
    add(file, tr("&Export…"), QKeySequence(tr("Ctrl+E")), [this] { showExportDialog(); });
    file->addSeparator();
    add(file, tr("&Preferences…"), QKeySequence(tr("Ctrl+,")), [this] { showPreferences(); });
    file->addSeparator();
    add(file, tr("&Quit"), QKeySequence::Quit, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_document->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setShortcutContext(Qt::ApplicationShortcut);
    QAction* redo = m_document->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence::Redo, QKeySequence(tr("Ctrl+Y"))});
    redo->setShortcutContext(Qt::ApplicationShortcut);
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    add(edit, tr("Re&name"), QKeySequence(Qt::Key_F2), [this] { m_outliner->renameSelected(); });
    add(edit, tr("&Duplicate"), QKeySequence(tr("Ctrl+D")), [this] { m_outliner->duplicateSelected(); });
    add(edit, tr("De&lete"), QKeySequence::Delete, [this] { m_outliner->deleteSelected(); });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    add(view, tr("&Frame Selected"), QKeySequence(Qt::Key_F), [this] { m_viewport->frameSelected(); });
    add(view, tr("Frame &All"), QKeySequence(Qt::Key_Home), [this] { m_viewport->frameAll(); });
    QMenu* presets = view->addMenu(tr("View &Preset"));
    const std::pair<render::ViewPreset, QKeySequence> presetKeys[] = {
        {render::ViewPreset::Front, QKeySequence(Qt::Key_1)},       {render::ViewPreset::Back, QKeySequence(tr("Ctrl+1"))},
        {render::ViewPreset::Right, QKeySequence(Qt::Key_3)},       {render::ViewPreset::Left, QKeySequence(tr("Ctrl+3"))},
        {render::ViewPreset::Top, QKeySequence(Qt::Key_7)},         {render::ViewPreset::Bottom, QKeySequence(tr("Ctrl+7"))},
        {render::ViewPreset::Iso, QKeySequence(Qt::Key_0)}};
    for (const auto& [preset, key] : presetKeys) {
        const render::ViewPreset p = preset;
        add(presets, QString::fromStdString(render::toString(p)), key, [this, p] { m_viewport->viewPreset(p); });
    }
    QMenu* shading = view->addMenu(tr("&Shading"));
    auto* shadingGroup = new QActionGroup(this);
    const render::ShadingMode modes[] = {render::ShadingMode::Lit, render::ShadingMode::Unlit, render::ShadingMode::Normals,
                                         render::ShadingMode::Wireframe, render::ShadingMode::SplatCenters};
    int n = 1;
    for (render::ShadingMode mode : modes) {
        QAction* a = add(shading, QString::fromUtf8(render::toString(mode)), QKeySequence(tr("Alt+%1").arg(n++)),
                         [this, mode] { m_viewport->setShadingMode(mode); });
        a->setCheckable(true);
        a->setChecked(mode == render::ShadingMode::Lit);
        shadingGroup->addAction(a);
    }
    QMenu* gizmo = view->addMenu(tr("&Transform Gizmo"));
    auto* gizmoGroup = new QActionGroup(this);
    for (GizmoMode mode : {GizmoMode::Move, GizmoMode::Rotate, GizmoMode::Scale}) {
        static constexpr const char* kKeys[] = {"G / W", "R / E", "S / R"};
        const QString label = mode == GizmoMode::Move ? tr("&Move") : mode == GizmoMode::Rotate ? tr("&Rotate") : tr("&Scale");
        QAction* a = gizmo->addAction(tr("%1\t%2 in the viewport (Blender / Maya)").arg(label, kKeys[int(mode)]));
        a->setCheckable(true);
        a->setChecked(mode == m_viewport->gizmoMode());
        gizmoGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, mode] { m_viewport->setGizmoMode(mode); });
        connect(m_viewport, &ViewportWindow::gizmoModeChanged, a, [a, mode](GizmoMode m) { a->setChecked(m == mode); });
    }
    add(view, tr("View Through &Input Camera..."), QKeySequence(tr("Shift+C")), [this] { askViewThroughInputCamera(); });
    QAction* grid = add(view, tr("&Grid"), QKeySequence(tr("Shift+G")), [this](bool on) { m_viewport->setGridVisible(on); });
    grid->setCheckable(true);
    grid->setChecked(true);
    QAction* hud = add(view, tr("&Stats Overlay"), QKeySequence(tr("Shift+H")), [this](bool on) { m_viewport->setHudVisible(on); });
    hud->setCheckable(true);
    hud->setChecked(true);
    view->addSeparator();
    QMenu* panels = view->addMenu(tr("&Panels"));
    for (QDockWidget* d : findChildren<QDockWidget*>()) panels->addAction(d->toggleViewAction());

    QMenu* jobsMenu = menuBar()->addMenu(tr("&Jobs"));
    add(jobsMenu, tr("&Cancel All"), QKeySequence(tr("Ctrl+Shift+X")), [this] { m_jobs->cancelAll(); });
}

void MainWindow::applyPreferences(const Preferences& prefs) {
    m_prefs = prefs;
    m_prefs.save();
    models::configureComputeThreads(prefs.threads);
    m_viewport->setNavigationStyle(render::navigationStyleFromString(prefs.navigation.toStdString()));
    m_viewport->setAdaptiveQuality(prefs.adaptiveQuality);
    // The dialog never pairs compute tiles with the GPU sort.
    m_renderer->setSplatChoices(render::splatSortFromString(prefs.splatSort.toStdString(), "splat sort preference"),
                                render::splatPathFromString(prefs.splatPath.toStdString(), "splat path preference"));
    m_viewport->requestUpdate();
    m_create->setModelFolders(prefs.modelFolders);
    if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance())) applyTheme(*app, prefs.theme);
}

void MainWindow::updateTitle() {
    const QString name = m_document->path().isEmpty() ? tr("Untitled") : QFileInfo(m_document->path()).fileName();
    setWindowTitle(name + "[*] — Kiln");
    setWindowModified(m_document->isModified());
}

void MainWindow::updateStatus() {
    const std::uint64_t bytes = residentBytes();
    m_memoryLabel->setText(tr("Memory %1 MB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 0));
    const int active = m_jobs ? m_jobs->activeCount() : 0;
    m_jobsLabel->setText(active ? tr("%n job(s) running", nullptr, active) : tr("idle"));
}

std::vector<jobs::JobId> MainWindow::openPaths(const QStringList& paths) {
    std::vector<jobs::JobId> ids;
    for (const QString& p : paths) ids.push_back(isProjectPath(p) || QFileInfo(p).isDir() ? openProject(p) : importFile(p));
    return ids;
}

jobs::JobId MainWindow::importFile(const QString& path) {
    const QString name = QFileInfo(path).fileName();
    const std::string file = path.toStdString();
    addRecent(path);
    return m_jobs->submit(
        tr("Import %1").arg(name),
        [file](core::Progress& progress, const core::CancelToken& token) {
            progress.report("reading", 0.05f);
            core::Asset asset = io::isImagePath(file) ? io::imagePlaneAsset(file) : io::loadAsset(file);
            token.throwIfCancelled();
            progress.report("loaded", 1.0f);
            progress.preview(asset);
            return std::vector<core::Asset>{std::move(asset)};
        },
        [this, name](std::vector<core::Asset> results) {
            core::Document next = m_document->document();
            core::AssetId last = 0;
            for (core::Asset& a : results) last = next.addAsset(std::move(a));
            m_document->change(tr("Import %1").arg(name), std::move(next));
            m_document->select(last);
        });
}

jobs::JobId MainWindow::openProject(const QString& path) {
    auto loaded = std::make_shared<core::Document>();
    const std::string file = path.toStdString();
    addRecent(path);
    return m_jobs->submit(
        tr("Open %1").arg(QFileInfo(path).fileName()),
        [file, loaded](core::Progress& progress, const core::CancelToken& token) {
            progress.report("reading project", 0.05f);
            *loaded = io::loadProject(file);
            token.throwIfCancelled();
            return std::vector<core::Asset>{};
        },
        [this, loaded, path](std::vector<core::Asset>) {
            if (m_document->isModified() &&
                QMessageBox::question(this, tr("Open"), tr("Discard unsaved changes to open %1?").arg(path)) != QMessageBox::Yes)
                return;
            m_document->reset(std::move(*loaded), path);
        });
}

jobs::JobId MainWindow::saveProjectAs(const QString& path, std::function<void(bool saved)> then) {
    const core::Document snapshot = m_document->document();  // shares the data: cheap
    const int undoIndex = m_document->undoStack()->index();
    const std::string file = path.toStdString();
    return m_jobs->submit(
        tr("Save %1").arg(QFileInfo(path).fileName()),
        [snapshot, file](core::Progress& progress, const core::CancelToken&) {
            progress.report("writing project", 0.1f);
            io::saveProject(snapshot, file, true);
            return std::vector<core::Asset>{};
        },
        [this, path, undoIndex](std::vector<core::Asset>) {
            m_document->setPath(path);
            m_document->markSavedAt(undoIndex);
            addRecent(path);
            m_log->info(tr("Saved %1").arg(path));
        },
        [then](jobs::JobState state) {
            if (then) then(state == jobs::JobState::Succeeded);
        });
}

jobs::JobId MainWindow::save(std::function<void(bool saved)> then) {
    QString path = m_document->path();
    if (path.isEmpty()) {
        path = QFileDialog::getSaveFileName(this, tr("Save project"), QString(), tr("Kiln project (*.kiln)"));
        if (path.isEmpty()) return 0;
        if (!path.endsWith(".kiln")) path += ".kiln";
    }
    return saveProjectAs(path, std::move(then));
}

void MainWindow::saveAsDialog() {
    QString path = QFileDialog::getSaveFileName(this, tr("Save project as"), m_document->path(), tr("Kiln project (*.kiln)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(".kiln")) path += ".kiln";
    saveProjectAs(path);
}

namespace {

// The input views a selected reconstruction was fitted to, and the up axis it was fitted with.
bool reconstructionViews(const core::DocumentAsset* a, QString& views, char& up) {
    if (!a) return false;
    const core::Provenance& p = a->currentVersion().asset.provenance;
    if (p.source.rfind("reconstruct", 0) != 0 || p.sourcePath.empty()) return false;
    views = QString::fromStdString(p.sourcePath);
    const QJsonObject options = QJsonDocument::fromJson(QByteArray::fromStdString(p.options)).object();
    if (options.contains("poses")) views = options.value("poses").toString();  // photos Kiln posed with COLMAP
    up = io::upFromName(options.value("up").toString("y").toStdString());
    if (!up) up = 'y';
    return true;
}

} // namespace

bool MainWindow::viewThroughInputCamera(int index, const QString& views, char up) {
    QString source = views;
    if (source.isEmpty() && !reconstructionViews(m_document->document().find(m_document->selected()), source, up)) {
        m_log->error(tr("View Through Input Camera: select a reconstruction (or choose its posed views)"));
        return false;
    }
    try {
        // Only that view is decoded: its camera and size are all that is needed.
        io::LoadOptions load;
        load.onlyView = index;
        load.maxSize = 64;
        const io::PosedImageSet set = io::loadPosedImages(source.toStdString(), load);
        const io::PosedImage& v = set.images.front();
        core::Camera camera = v.camera;
        camera.cameraToWorld = io::upRotation(up, set) * camera.cameraToWorld;
        m_viewport->lookThrough(camera);
        m_lastInputView = index;
        m_log->info(tr("Looking through input camera %1 (%2, vertical field of view %3 degrees); orbit, pan or zoom to leave it")
                        .arg(index)
                        .arg(QString::fromStdString(v.name))
                        .arg(double(camera.fovY) * 180.0 / 3.14159265358979, 0, 'f', 1));
        return true;
    } catch (const std::exception& e) {
        m_log->error(tr("View Through Input Camera: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

void MainWindow::askViewThroughInputCamera() {
    QString views;
    char up = 'y';
    if (!reconstructionViews(m_document->document().find(m_document->selected()), views, up)) {
        views = QFileDialog::getOpenFileName(this, tr("Posed Views"), {},
                                             tr("Posed views (transforms*.json cameras.txt cameras.bin images.txt images.bin)"));
        if (views.isEmpty()) return;
        bool ok = false;
        const QStringList axes = {tr("Y up (COLMAP, nerfstudio)"), tr("Z up (Blender, NeRF-Synthetic)")};
        const QString axis = QInputDialog::getItem(this, tr("Up Axis"), tr("Up axis of the views:"), axes, 0, false, &ok);
        if (!ok) return;
        up = axis == axes[1] ? 'z' : 'y';
    }
    bool ok = false;
    const int index = QInputDialog::getInt(this, tr("View Through Input Camera"), tr("Input view (0 is the first):"), m_lastInputView, 0, 1000000, 1, &ok);
    if (ok) viewThroughInputCamera(index, views, up);
}

ExportDialog* MainWindow::showExportDialog() {
    const core::AssetId id = m_document->selected();
    const core::DocumentAsset* a = m_document->document().find(id);
    if (!a) {
        m_log->error(tr("Export: select an asset in the Outliner first"));
        return nullptr;
    }
    const QString dir = QFileInfo(QString::fromStdString(a->currentVersion().asset.provenance.sourcePath)).absolutePath();
    auto* dialog = new ExportDialog(a->currentVersion().asset.kind(), QDir(dir).filePath(QString::fromStdString(a->name)), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, id] { runExport(id, dialog->settings()); });
    dialog->open();
    return dialog;
}

jobs::JobId MainWindow::runExport(core::AssetId id, const ExportSettings& settings) {
    const core::DocumentAsset* a = m_document->document().find(id);
    if (!a) return 0;
    const core::Asset asset = a->currentVersion().asset;
    return m_jobs->submit(
        tr("Export %1").arg(QFileInfo(settings.path).fileName()),
        [asset, settings](core::Progress& progress, const core::CancelToken& token) {
            progress.report("writing", 0.1f);
            token.throwIfCancelled();
            for (const std::string& w : exportAsset(asset, settings)) progress.report("warning: " + w, 0.9f);
            return std::vector<core::Asset>{};
        },
        [this, settings](std::vector<core::Asset>) { m_log->info(tr("Exported %1").arg(settings.path)); });
}

jobs::JobId MainWindow::moveAsset(core::AssetId id, glm::vec3 delta) {
    core::Similarity xf;
    xf.translation = delta;
    return transformAsset(id, xf, tr("Move"));
}

jobs::JobId MainWindow::transformAsset(core::AssetId id, const core::Similarity& xf, const QString& what) {
    const core::DocumentAsset* a = m_document->document().find(id);
    if (!a) return 0;
    const core::Asset asset = a->currentVersion().asset;
    const QString name = QString::fromStdString(a->name);
    const std::string verb = what.toLower().toStdString();
    return m_jobs->submit(
        tr("%1 %2").arg(what, name),
        [asset, xf, verb](core::Progress& progress, const core::CancelToken& token) {
            progress.report("transforming", 0.1f);
            core::Provenance p = asset.provenance;
            p.source = "edit:" + verb;
            std::string options = "{\"rotation\":[";
            for (int c = 0; c < 3; ++c)
                for (int r = 0; r < 3; ++r) options += std::to_string(xf.rotation[c][r]) + (c == 2 && r == 2 ? "" : ",");
            options += "],\"scale\":" + std::to_string(xf.scale) + ",\"translate\":[" + std::to_string(xf.translation.x) + "," +
                       std::to_string(xf.translation.y) + "," + std::to_string(xf.translation.z) + "]}";
            p.options = options;
            p.createdAt = core::utcNowIso8601();
            p.parentVersion.reset();  // Document::addVersion links the version that was current
            core::Asset out;
            if (const core::Mesh* m = asset.mesh()) {
                core::Mesh copy = *m;
                core::transformMesh(copy, xf);
                out = core::Asset::fromMesh(asset.name, std::move(copy), p);
            } else if (const core::GaussianCloud* g = asset.gaussians()) {
                core::GaussianCloud copy = *g;
                core::transformGaussians(copy, xf);
                out = core::Asset::fromGaussians(asset.name, std::move(copy), p);
            }
            token.throwIfCancelled();
            return std::vector<core::Asset>{std::move(out)};
        },
        [this, id, name, what](std::vector<core::Asset> results) {
            if (results.empty() || !m_document->document().find(id)) return;
            core::Document next = m_document->document();
            next.addVersion(id, std::move(results.front()));
            m_document->change(tr("%1 %2").arg(what, name), std::move(next));
        },
        [this, id](jobs::JobState state) {
            if (state != jobs::JobState::Succeeded && m_viewport) m_viewport->clearLiveTransform(id);
        });
}

QString MainWindow::autosavePath() const { return autosaveFor(m_instance); }

jobs::JobId MainWindow::autosaveNow() {
    if (!m_document->isModified() || m_document->document().revision() == m_autosavedRevision) return 0;
    const core::Document snapshot = m_document->document();
    m_autosavedRevision = snapshot.revision();
    const std::string file = autosavePath().toStdString();
    QDir().mkpath(dataDir());
    return m_jobs->submit(tr("Autosave"), [snapshot, file](core::Progress& progress, const core::CancelToken&) {
        progress.report("writing autosave", 0.1f);
        io::saveProject(snapshot, file, true);
        return std::vector<core::Asset>{};
    });
}

QString MainWindow::recoverableAutosave() const {
    QString newest;
    QDateTime newestTime;
    for (const QFileInfo& fi : QDir(dataDir()).entryInfoList({"autosave-*.kiln"}, QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString instance = instanceOf(fi.fileName(), "autosave-", ".kiln");
        if (instance == m_instance || lockOwnerAlive(lockFor(instance))) continue;  // this studio's, or one still running
        if (newest.isEmpty() || fi.lastModified() > newestTime) {
            newest = fi.absoluteFilePath();
            newestTime = fi.lastModified();
        }
    }
    return newest;
}

bool MainWindow::recoveryAvailable() const { return !recoverableAutosave().isEmpty(); }

void MainWindow::discardOrphan(const QString& autosave) {
    const QString instance = instanceOf(QFileInfo(autosave).fileName(), "autosave-", ".kiln");
    QDir(autosave).removeRecursively();
    QFile::remove(lockFor(instance));
}

jobs::JobId MainWindow::recover() {
    const QString orphan = recoverableAutosave();
    if (orphan.isEmpty()) return 0;
    // Claim it by renaming it to this studio's own autosave (atomic: of two studios recovering at
    // once only one gets it); from here on this studio's lock protects it.
    if (QFileInfo(autosavePath()).isDir()) QDir(autosavePath()).removeRecursively();
    if (!QDir().rename(orphan, autosavePath())) {
        m_log->error(tr("Could not recover %1: another Kiln studio took it").arg(orphan));
        return 0;
    }
    QFile::remove(lockFor(instanceOf(QFileInfo(orphan).fileName(), "autosave-", ".kiln")));
    auto loaded = std::make_shared<core::Document>();
    const std::string file = autosavePath().toStdString();
    return m_jobs->submit(
        tr("Recover autosave"),
        [file, loaded](core::Progress& progress, const core::CancelToken&) {
            progress.report("reading autosave", 0.1f);
            *loaded = io::loadProject(file);
            return std::vector<core::Asset>{};
        },
        [this, loaded](std::vector<core::Asset>) {
            m_document->reset(std::move(*loaded), {}, true);
            m_autosavedRevision = m_document->document().revision();  // it is on disk already
            m_log->info(tr("Recovered the autosaved document; save it to keep it"));
        });
}

void MainWindow::offerRecovery() {
    const QString orphan = recoverableAutosave();
    if (orphan.isEmpty()) return;
    QMessageBox box(QMessageBox::Question, tr("Recover"),
                    tr("A Kiln studio did not close cleanly (autosaved %1). Recover its document?")
                        .arg(QLocale().toString(QFileInfo(orphan).lastModified(), QLocale::ShortFormat)),
                    QMessageBox::Yes | QMessageBox::Discard | QMessageBox::Cancel, this);
    box.button(QMessageBox::Cancel)->setText(tr("Not now"));
    const int answer = box.exec();
    if (answer == QMessageBox::Yes) recover();
    else if (answer == QMessageBox::Discard) discardOrphan(orphan);
}

QStringList MainWindow::recentFiles() const { return QSettings().value("recentFiles").toStringList(); }

PreferencesDialog* MainWindow::showPreferences() {
    auto* dialog = new PreferencesDialog(m_prefs, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        applyPreferences(dialog->preferences());
        m_log->info(tr("Preferences applied"));
    });
    dialog->open();
    return dialog;
}

jobs::JobId MainWindow::submitCreation(QString name, jobs::JobFn work, bool newVersionOfSelection) {
    const int threads = m_prefs.threads;
    // The asset the job works on, as it was selected when the job was submitted.
    const core::AssetId source = newVersionOfSelection ? m_document->selected() : core::AssetId(0);
    return m_jobs->submit(
        name,
        [threads, work = std::move(work)](core::Progress& progress, const core::CancelToken& token) {
            // LibTorch's thread count is per thread once set: apply the preference on this worker.
            models::configureComputeThreads(threads);
            return work(progress, token);
        },
        [this, name, source](std::vector<core::Asset> results) {
            if (results.empty()) return;
            const auto seedLabel = [](const core::Asset& a) { return a.provenance.seed ? tr("seed %1").arg(*a.provenance.seed) : QString(); };
            core::Document next = m_document->document();
            if (source != 0 && next.find(source)) {
                // New versions of the asset it worked on, each a child of the version it worked
                // from (variants side by side in its history); the first becomes current.
                const core::VersionId parent = next.get(source).current;
                std::vector<CreatePanel::Variant> variants;
                // First the version it started from, so before and after are one click apart.
                variants.push_back({source, parent, std::make_shared<const core::Asset>(next.get(source).currentVersion().asset), tr("before"), true});
                for (core::Asset& a : results) {
                    a.provenance.parentVersion = parent;
                    auto preview = std::make_shared<const core::Asset>(a);
                    const core::VersionId v = next.addVersion(source, std::move(a));
                    QString label = seedLabel(*preview);
                    variants.push_back({source, v, std::move(preview), std::move(label)});
                }
                next.setCurrentVersion(source, variants[1].version);
                m_document->change(name, std::move(next));
                m_document->select(source);
                m_create->showVariants(name, std::move(variants), 1);
                return;
            }
            std::vector<CreatePanel::Variant> variants;
            for (core::Asset& a : results) {
                auto preview = std::make_shared<const core::Asset>(a);
                const core::AssetId id = next.addAsset(std::move(a));
                QString label = seedLabel(*preview);
                variants.push_back({id, 0, std::move(preview), std::move(label)});
            }
            m_document->change(name, std::move(next));
            m_document->select(variants.back().asset);
            m_create->showVariants(name, std::move(variants), results.size() - 1);
        });
}

void MainWindow::addRecent(const QString& path) {
    QSettings s;
    QStringList recent = s.value("recentFiles").toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    recent.removeAll(abs);
    recent.prepend(abs);
    while (recent.size() > 10) recent.removeLast();
    s.setValue("recentFiles", recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    if (!m_recentMenu) return;
    m_recentMenu->clear();
    const QStringList recent = QSettings().value("recentFiles").toStringList();
    for (const QString& r : recent) m_recentMenu->addAction(r, this, [this, r] { openPaths({r}); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_closeAfterSave) {  // the save chosen below is still writing; the window closes when it is done
        event->ignore();
        return;
    }
    if (m_document->isModified()) {
        const auto answer = QMessageBox::question(this, tr("Unsaved changes"), tr("Save changes to the document before closing?"),
                                                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        if (answer == QMessageBox::Cancel) {
            event->ignore();
            return;
        }
        if (answer == QMessageBox::Save) {
            // The save runs as a job like any other; the window closes once it has succeeded and
            // stays open (the Log says why) when it fails.
            m_closeAfterSave = save([this](bool saved) {
                m_closeAfterSave = false;
                if (saved) close();
            }) != 0;
            event->ignore();
            return;
        }
    }
    m_jobs->cancelAll();
    QDir(autosavePath()).removeRecursively();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    if (paths.isEmpty()) return;
    event->acceptProposedAction();
    openPaths(paths);
}

} // namespace kiln::ui
