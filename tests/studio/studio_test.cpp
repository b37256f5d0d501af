// Studio tests: the real kiln-studio main window (Qt widgets, the Vulkan viewport presenting through
// lavapipe, the ImGui overlay) under Xvfb. Pixels are read back from the X server, so what is
// checked is what a user would see.
#include "core/error.h"
#include "io/asset_io.h"
#include "core/asset_stats.h"
#include "ui/create_panel.h"
#include "ui/export_dialog.h"
#include "ui/inspector_panel.h"
#include "ui/job_controller.h"
#include "ui/jobs_panel.h"
#include "ui/main_window.h"
#include "ui/outliner_panel.h"
#include "ui/studio_document.h"
#include "ui/viewport_window.h"
#include "render/renderer.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QMessageBox>
#include <QTimer>
#include <QDir>
#include <QAbstractEventDispatcher>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QTreeWidget>
#include <QUndoStack>

#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

using namespace kiln;

namespace {

QString testdata(const char* rel) { return QString(KILN_TESTDATA_DIR) + "/" + rel; }
QString outputDir() {
    const QString d = QString(KILN_TEST_OUTPUT_DIR) + "/studio";
    QDir().mkpath(d);
    return d;
}

// What the X server shows in a widget's area (QWidget::grab cannot see a Vulkan surface).
QImage grabScreen(QWidget* w) {
    const QPoint p = w->mapToGlobal(QPoint(0, 0));
    return w->screen()->grabWindow(0, p.x(), p.y(), w->width(), w->height()).toImage().convertToFormat(QImage::Format_RGB32);
}

// Fraction of pixels in `rect` that differ by more than `threshold` (sum over RGB) between a and b.
double differingFraction(const QImage& a, const QImage& b, QRect rect, int threshold = 45) {
    rect = rect.intersected(a.rect()).intersected(b.rect());
    if (rect.isEmpty()) return 0.0;
    long n = 0, differ = 0;
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        for (int x = rect.left(); x <= rect.right(); ++x) {
            const QRgb p = a.pixel(x, y), q = b.pixel(x, y);
            const int d = std::abs(qRed(p) - qRed(q)) + std::abs(qGreen(p) - qGreen(q)) + std::abs(qBlue(p) - qBlue(q));
            differ += d > threshold ? 1 : 0;
            ++n;
        }
    return double(differ) / double(n);
}

} // namespace

class StudioTest : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<ui::MainWindow> m_window;
    QImage m_empty;  // the viewport before anything was loaded

    jobs::JobState waitForJob(jobs::JobId id, int timeoutMs = 60000) {
        const ui::JobController& jc = m_window->jobs();
        [&] { QTRY_VERIFY_WITH_TIMEOUT(jc.entry(id) && jobs::isFinal(jc.entry(id)->snapshot.state), timeoutMs); }();
        return jc.entry(id) ? jc.entry(id)->snapshot.state : jobs::JobState::Failed;
    }
    // Presents a fresh frame and waits until the X server has it.
    void presentFrame() {
        ui::ViewportWindow* vp = m_window->viewport();
        const int before = vp->framesPresented();
        vp->renderNow();
        QTRY_VERIFY_WITH_TIMEOUT(vp->framesPresented() > before, 10000);
        QTest::qWait(150);
    }
    core::AssetId onlyAsset() const {
        const auto& assets = m_window->document().document().assets();
        return assets.empty() ? 0 : assets.front().id;
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // settings, autosave and locks in a throw-away place
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).removeRecursively();
        QSettings().clear();
        QVERIFY2(qEnvironmentVariableIsSet("DISPLAY"), "run under xvfb-run (CTest does)");
        qputenv("KILN_STUDIO_VALIDATION", "1");  // every Vulkan call of the viewport and its overlay checked
        m_window = std::make_unique<ui::MainWindow>();
        QVERIFY(m_window->renderer().validationEnabled());
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->viewport()->framesPresented() > 0, 20000);
    }

    void createPanelShowsUnbuiltPipelinesDisabled() {
        auto* create = m_window->findChild<ui::CreatePanel*>("createPanel");
        QVERIFY(create);
        QTabWidget* tabs = create->tabs();
        QCOMPARE(tabs->count(), 5);
        QStringList titles;
        for (int i = 0; i < tabs->count(); ++i) {
            titles << tabs->tabText(i);
            QVERIFY2(!tabs->isTabEnabled(i), qPrintable(tabs->tabText(i)));
            QVERIFY(tabs->tabToolTip(i).contains("not built"));
        }
        QCOMPARE(titles, QStringList({"Text", "Image", "Photos/Views", "Edit", "Texture"}));
    }

    void emptyViewportPresents() {
        presentFrame();
        m_empty = grabScreen(m_window->viewportWidget());
        QVERIFY(!m_empty.isNull());
        m_empty.save(outputDir() + "/viewport_empty.png");
    }

    void importDuckByDragAndDrop() {
        const quint64 revision = m_window->document().document().revision();
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(testdata("gltf/Duck/Duck.glb"))});
        ui::ViewportWindow* vp = m_window->viewport();
        const QPointF centre(vp->width() / 2.0, vp->height() / 2.0);
        QDragEnterEvent enter(centre.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(vp, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(vp, &drop);
        QVERIFY(drop.isAccepted());
        QTRY_COMPARE_WITH_TIMEOUT(m_window->document().document().assets().size(), size_t(1), 30000);
        QVERIFY(m_window->document().document().revision() != revision);
        QVERIFY(m_window->document().isModified());
        // The Outliner lists it, selected; the Inspector shows its stats.
        QTreeWidget* tree = m_window->outliner()->tree();
        QCOMPARE(tree->topLevelItemCount(), 1);
        QCOMPARE(tree->topLevelItem(0)->text(0), QString::fromStdString(m_window->document().document().assets().front().name));
        QVERIFY(tree->topLevelItem(0)->isSelected());
        const core::AssetStats stats = core::computeStats(m_window->document().document().assets().front().currentVersion().asset);
        QCOMPARE(m_window->inspector()->field("Triangles"), QString::number(stats.triangles));
        QVERIFY(stats.triangles > 1000);
    }

    void viewportShowsTheAsset() {
        presentFrame();
        const QImage img = grabScreen(m_window->viewportWidget());
        img.save(outputDir() + "/viewport_duck.png");
        // The duck is framed in the centre: most of the central region differs from the empty scene...
        const QRect centre(img.width() * 2 / 5, img.height() * 2 / 5, img.width() / 5, img.height() / 5);
        const double inside = differingFraction(m_empty, img, centre);
        QVERIFY2(inside > 0.5, qPrintable(QString("only %1 of the centre changed").arg(inside)));
        // ...and a strip along the bottom edge (below the framed duck) stays background/grid.
        const QRect edge(img.width() / 3, img.height() - 12, img.width() / 3, 8);
        const double outside = differingFraction(m_empty, img, edge);
        QVERIFY2(outside < 0.2, qPrintable(QString("%1 of the bottom edge changed").arg(outside)));
        // The whole main window with the loaded asset, as a test artefact.
        QWidget* w = m_window.get();
        const QPoint p = w->mapToGlobal(QPoint(0, 0));
        QVERIFY(w->screen()->grabWindow(0, p.x(), p.y(), w->width(), w->height()).save(outputDir() + "/studio_main_window.png"));
    }

    void orbitWithTheMouseChangesTheImage() {
        presentFrame();
        const QImage before = grabScreen(m_window->viewportWidget());
        ui::ViewportWindow* vp = m_window->viewport();
        const float yaw = vp->camera().yaw();
        QPointF pos(vp->width() / 2.0, vp->height() / 2.0);
        // Blender preset (the default): middle-button drag orbits.
        QMouseEvent press(QEvent::MouseButtonPress, pos, vp->mapToGlobal(pos), Qt::MiddleButton, Qt::MiddleButton, Qt::NoModifier);
        QCoreApplication::sendEvent(vp, &press);
        for (int i = 0; i < 10; ++i) {
            pos += QPointF(12.0, 3.0);
            QMouseEvent move(QEvent::MouseMove, pos, vp->mapToGlobal(pos), Qt::NoButton, Qt::MiddleButton, Qt::NoModifier);
            QCoreApplication::sendEvent(vp, &move);
            QTest::qWait(10);
        }
        QMouseEvent release(QEvent::MouseButtonRelease, pos, vp->mapToGlobal(pos), Qt::MiddleButton, Qt::NoButton, Qt::NoModifier);
        QCoreApplication::sendEvent(vp, &release);
        QVERIFY(std::abs(vp->camera().yaw() - yaw) > 0.5f);
        presentFrame();
        const QImage after = grabScreen(m_window->viewportWidget());
        after.save(outputDir() + "/viewport_orbited.png");
        const double changed = differingFraction(before, after, after.rect());
        QVERIFY2(changed > 0.02, qPrintable(QString("only %1 of the viewport changed").arg(changed)));
    }

    void resizeKeepsPresenting() {
        const QSize size = m_window->size();
        m_window->resize(size.width() - 200, size.height() - 120);
        QTest::qWait(100);
        presentFrame();
        const QImage small = grabScreen(m_window->viewportWidget());
        QCOMPARE(small.size(), m_window->viewportWidget()->size());
        const QRect centre(small.width() * 2 / 5, small.height() * 2 / 5, small.width() / 5, small.height() / 5);
        QVERIFY(differingFraction(m_empty, small, centre) > 0.3);  // the duck is still drawn
        m_window->resize(size);
        QTest::qWait(100);
        presentFrame();
    }

    void importSplatsAndShowTheirCentres() {
        const size_t before = m_window->document().document().assets().size();
        const std::vector<jobs::JobId> ids = m_window->openPaths({testdata("splats/biker_inria_sub20.ply")});
        QCOMPARE(ids.size(), size_t(1));
        QCOMPARE(waitForJob(ids.front()), jobs::JobState::Succeeded);
        QCOMPARE(m_window->document().document().assets().size(), before + 1);
        QVERIFY(m_window->inspector()->field("Splats").toLongLong() > 1000);
        QCOMPARE(m_window->inspector()->field("Triangles"), QString("—"));
        m_window->viewport()->setShadingMode(render::ShadingMode::SplatCenters);
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_splat_centres.png");
        m_window->viewport()->setShadingMode(render::ShadingMode::Lit);
        m_window->document().undoStack()->undo();  // back to the duck alone
        QCOMPARE(m_window->document().document().assets().size(), before);
        m_window->document().select(onlyAsset());
    }

    void mayaNavigationPreset() {
        ui::Preferences prefs = m_window->preferences();
        prefs.navigation = "maya";
        m_window->applyPreferences(prefs);
        ui::ViewportWindow* vp = m_window->viewport();
        QVERIFY(vp->navigationStyle() == render::NavigationStyle::Maya);
        QCOMPARE(ui::Preferences::load().navigation, QString("maya"));
        const float yaw = vp->camera().yaw();
        QPointF pos(vp->width() / 3.0, vp->height() / 3.0);
        auto send = [vp](QEvent::Type t, QPointF p, Qt::MouseButton b, Qt::MouseButtons bs, Qt::KeyboardModifiers m) {
            QMouseEvent e(t, p, vp->mapToGlobal(p), b, bs, m);
            QCoreApplication::sendEvent(vp, &e);
        };
        // Middle-button drag without a modifier does nothing in Maya...
        send(QEvent::MouseButtonPress, pos, Qt::MiddleButton, Qt::MiddleButton, Qt::NoModifier);
        send(QEvent::MouseMove, pos + QPointF(80, 0), Qt::NoButton, Qt::MiddleButton, Qt::NoModifier);
        send(QEvent::MouseButtonRelease, pos + QPointF(80, 0), Qt::MiddleButton, Qt::NoButton, Qt::NoModifier);
        QCOMPARE(vp->camera().yaw(), yaw);
        // ...Alt+left-button drag orbits.
        send(QEvent::MouseButtonPress, pos, Qt::LeftButton, Qt::LeftButton, Qt::AltModifier);
        send(QEvent::MouseMove, pos + QPointF(80, 0), Qt::NoButton, Qt::LeftButton, Qt::AltModifier);
        send(QEvent::MouseButtonRelease, pos + QPointF(80, 0), Qt::LeftButton, Qt::NoButton, Qt::AltModifier);
        QVERIFY(std::abs(vp->camera().yaw() - yaw) > 0.5f);
        prefs.navigation = "blender";
        m_window->applyPreferences(prefs);
        vp->frameSelected();
        presentFrame();
    }

    void exportGlbThroughTheDialog() {
        const QString path = outputDir() + "/duck_export.glb";
        QFile::remove(path);
        ui::ExportDialog* dialog = m_window->showExportDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QVERIFY(dialog->selectPreset(".glb"));
        dialog->setPath(path);
        const std::vector<jobs::JobId> before = m_window->jobs().ids();
        auto* buttons = dialog->findChild<QDialogButtonBox*>();
        QVERIFY(buttons);
        QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
        const std::vector<jobs::JobId> after = m_window->jobs().ids();
        QCOMPARE(after.size(), before.size() + 1);
        QCOMPARE(waitForJob(after.back()), jobs::JobState::Succeeded);
        const core::Asset back = io::loadAsset(path.toStdString());
        const core::Asset& original = m_window->document().document().assets().front().currentVersion().asset;
        QCOMPARE(core::computeStats(back).triangles, core::computeStats(original).triangles);
    }

    void undoRedoEveryChange() {
        ui::StudioDocument& doc = m_window->document();
        QUndoStack* undo = doc.undoStack();
        const core::AssetId duck = onlyAsset();
        doc.select(duck);
        m_window->outliner()->duplicateSelected();
        QCOMPARE(doc.document().assets().size(), size_t(2));
        QCOMPARE(m_window->outliner()->tree()->topLevelItemCount(), 2);
        undo->undo();
        QCOMPARE(doc.document().assets().size(), size_t(1));
        QCOMPARE(m_window->outliner()->tree()->topLevelItemCount(), 1);
        undo->redo();
        QCOMPARE(doc.document().assets().size(), size_t(2));
        undo->undo();
        // The import itself is undoable too.
        undo->undo();
        QVERIFY(doc.document().assets().empty());
        QCOMPARE(m_window->outliner()->tree()->topLevelItemCount(), 0);
        undo->redo();
        QCOMPARE(doc.document().assets().size(), size_t(1));
        // A move bakes a new version, undone in one step.
        doc.select(onlyAsset());
        const jobs::JobId move = m_window->moveAsset(onlyAsset(), glm::vec3(0.5f, 0.0f, 0.0f));
        QCOMPARE(waitForJob(move), jobs::JobState::Succeeded);
        QTRY_COMPARE(doc.document().assets().front().versions.size(), size_t(2));
        const core::Bounds moved = core::computeBounds(doc.document().assets().front().currentVersion().asset);
        const core::Bounds orig = core::computeBounds(doc.document().assets().front().versions.front().asset);
        QVERIFY(std::abs(moved.min.x - orig.min.x - 0.5f) < 1e-3f);
        undo->undo();
        QCOMPARE(doc.document().assets().front().versions.size(), size_t(1));
        undo->redo();
        QCOMPARE(doc.document().assets().front().versions.size(), size_t(2));
    }

    void cancelARunningJobLeavesTheDocumentUnchanged() {
        ui::StudioDocument& doc = m_window->document();
        const quint64 revision = doc.document().revision();
        const size_t assets = doc.document().assets().size();
        const int undoIndex = doc.undoStack()->index();
        bool applied = false;
        // A long job that reports progress and polls its token, as pipelines do.
        const jobs::JobId id = m_window->jobs().submit(
            "Long job",
            [](core::Progress& progress, const core::CancelToken& token) {
                for (int i = 0; i < 3000; ++i) {
                    token.throwIfCancelled();
                    progress.report("working", float(i) / 3000.0f);
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
                return std::vector<core::Asset>{io::loadAsset(testdata("gltf/Box/Box.glb").toStdString())};
            },
            [&](std::vector<core::Asset> results) {
                applied = true;
                core::Document next = doc.document();
                for (auto& a : results) next.addAsset(std::move(a));
                doc.change("should never happen", std::move(next));
            });
        QTRY_COMPARE_WITH_TIMEOUT(m_window->jobs().entry(id)->snapshot.state, jobs::JobState::Running, 10000);
        // The event loop stays responsive while the job runs (no stall over 50 ms).
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0, worst = 0;
        QTimer tick;
        connect(&tick, &QTimer::timeout, [&] {
            worst = std::max(worst, clock.elapsed() - last);
            last = clock.elapsed();
        });
        tick.setTimerType(Qt::PreciseTimer);
        tick.start(5);
        qint64 worstBusy = 0, awakeAt = 0;
        auto* dispatcher = QAbstractEventDispatcher::instance();
        auto c1 = connect(dispatcher, &QAbstractEventDispatcher::awake, [&] { awakeAt = clock.nsecsElapsed(); });
        auto c2 = connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, [&] {
            if (awakeAt) worstBusy = std::max(worstBusy, (clock.nsecsElapsed() - awakeAt) / 1000000);
        });
        QEventLoop loop;  // the application's own loop (QTest::qWait sleeps between its own polls)
        QTimer::singleShot(1000, &loop, &QEventLoop::quit);
        loop.exec();
        tick.stop();
        disconnect(c1);
        disconnect(c2);
        qInfo("event loop: longest gap %lld ms, longest busy stretch %lld ms", worst, worstBusy);
        QWidget* row = m_window->jobsPanel()->row(id);
        QVERIFY(row);
        QTRY_VERIFY(row->findChild<QLabel*>("stage")->text() == "working");
        auto* cancel = row->findChild<QPushButton*>("cancel");
        QVERIFY(cancel && cancel->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QCOMPARE(waitForJob(id), jobs::JobState::Cancelled);
        // A stall is time the GUI thread spends handling events without getting back to its loop;
        // the wall-clock gap between ticks also counts time the OS gave to other processes.
        QVERIFY2(worstBusy < 50, qPrintable(QString("the event loop was busy for %1 ms at a stretch while the job ran").arg(worstBusy)));
        QVERIFY(!applied);
        QCOMPARE(doc.document().revision(), revision);
        QCOMPARE(doc.document().assets().size(), assets);
        QCOMPARE(doc.undoStack()->index(), undoIndex);
        QTRY_VERIFY(row->findChild<QPushButton*>("retry")->isEnabled());
    }

    void saveAndReopenProject() {
        const QString path = outputDir() + "/session.kiln";
        QDir(path).removeRecursively();
        const size_t versions = m_window->document().document().assets().front().versions.size();
        QCOMPARE(waitForJob(m_window->saveProjectAs(path)), jobs::JobState::Succeeded);
        QVERIFY(!m_window->document().isModified());
        m_window->document().reset({}, {});
        QVERIFY(m_window->document().document().empty());
        QCOMPARE(waitForJob(m_window->openProject(path)), jobs::JobState::Succeeded);
        QCOMPARE(m_window->document().document().assets().size(), size_t(1));
        QCOMPARE(m_window->document().document().assets().front().versions.size(), versions);
        QCOMPARE(m_window->document().path(), path);
    }

    void autosaveIsRecoveredAfterACrash() {
        // An unsaved change, autosaved; a second studio started while this one's lock is still
        // there (as after a crash) offers the autosave and recovers it.
        ui::StudioDocument& doc = m_window->document();
        doc.select(onlyAsset());
        m_window->outliner()->duplicateSelected();
        QVERIFY(doc.isModified());
        QCOMPARE(waitForJob(m_window->autosaveNow()), jobs::JobState::Succeeded);
        auto second = std::make_unique<ui::MainWindow>();
        QVERIFY(second->recoveryAvailable());
        QCOMPARE(waitForJob_in(*second, second->recover()), jobs::JobState::Succeeded);
        QCOMPARE(second->document().document().assets().size(), size_t(2));
        QVERIFY(second->document().isModified());
        second->document().markSaved();
        second.reset();
    }

    void closingWithUnsavedChangesAsks() {
        ui::StudioDocument& doc = m_window->document();
        doc.select(onlyAsset());
        m_window->outliner()->duplicateSelected();
        QVERIFY(doc.isModified());
        bool asked = false;
        QTimer::singleShot(200, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            asked = box != nullptr;
            if (box) box->button(QMessageBox::Cancel)->click();
        });
        QVERIFY(!m_window->close());  // cancelled: the window stays
        QVERIFY(asked);
        QVERIFY(m_window->isVisible());
        QVERIFY(doc.isModified());
    }

    void cleanupTestCase() {
        if (!m_window) return;
        for (const std::string& m : m_window->renderer().validationMessages()) qWarning("validation: %s", m.c_str());
        QVERIFY(m_window->renderer().validationMessages().empty());
        m_window->document().markSaved();
        m_window->close();
        m_window.reset();
    }

private:
    jobs::JobState waitForJob_in(ui::MainWindow& w, jobs::JobId id) {
        [&] { QTRY_VERIFY_WITH_TIMEOUT(w.jobs().entry(id) && jobs::isFinal(w.jobs().entry(id)->snapshot.state), 60000); }();
        return w.jobs().entry(id) ? w.jobs().entry(id)->snapshot.state : jobs::JobState::Failed;
    }
};

QTEST_MAIN(StudioTest)
#include "studio_test.moc"
