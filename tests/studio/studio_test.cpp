// Studio tests: the real kiln-studio main window (Qt widgets, the Vulkan viewport presenting through
// lavapipe, the ImGui overlay) under Xvfb. Pixels are read back from the X server, so what is
// checked is what a user would see.
#include "core/error.h"
#include <cstring>
#include "io/asset_io.h"
#include "io/image_io.h"
#include "io/posed_images.h"
#include "io/project.h"
#include "core/asset_stats.h"
#include "models/compute.h"
#include "pipelines/pipeline.h"
#include "ui/create_panel.h"
#include "ui/export_dialog.h"
#include "ui/inspector_panel.h"
#include "ui/job_controller.h"
#include "ui/jobs_panel.h"
#include "ui/log_panel.h"
#include "ui/main_window.h"
#include "ui/outliner_panel.h"
#include "ui/preferences.h"
#include "ui/preview_thumbnailer.h"
#include "ui/studio_document.h"
#include "ui/viewport_window.h"
#include "render/renderer.h"
#include "render/views.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QMessageBox>
#include <QTimer>
#include <QDir>
#include <QAbstractEventDispatcher>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QToolButton>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QMenu>
#include <QProcess>
#include <QProgressBar>
#include <QSpinBox>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QLabel>
#include <QMimeData>
#include <QPlainTextEdit>
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

// A pipeline only this test registers: its tab and its form must come from its declaration.
class TestOnlyPipeline final : public pipelines::Pipeline {
public:
    TestOnlyPipeline() {
        using namespace pipelines;
        m_info.id = "test-only";
        m_info.displayName = "Test pipeline";
        m_info.description = "registered by the studio test";
        m_info.inputs = {{InputKind::Prompt, "Prompt", "anything", 1, 1}};
        m_info.schema.options = {seedOption(), intOption("count", "Count", 3, 1, 9, "how many"),
                                 floatOption("strength", "Strength", 0.25, 0.0, 1.0, "how strong"),
                                 boolOption("smooth", "Smooth", true, "smooth it"),
                                 choiceOption("shade", "Shade", {"flat", "round"}, "round", "shading", {"Flat", "Round"}),
                                 textOption("label", "Label", "x", "a label")};
        m_info.schema.presets = {{"draft", "Draft", {{"count", "1"}}}, {"high", "High", {{"count", "9"}}}};
        m_info.schema.defaultPreset = "high";
        m_info.outputs = {OutputKind::Mesh};
        m_info.studioOutputs = {OutputKind::Mesh};
        m_info.needsTorch = false;
        m_info.verb = "Test";
    }
    const pipelines::PipelineInfo& info() const override { return m_info; }
    pipelines::PipelineResult run(const pipelines::PipelineRequest& r, core::Progress&, const core::CancelToken&) const override {
        validate(r);
        core::Mesh m;
        m.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
        m.normals.assign(3, glm::vec3(0, 0, 1));
        m.indices = {0, 1, 2};
        core::Submesh sub;
        sub.indexCount = 3;
        sub.vertexCount = 3;
        sub.material = 0;
        m.submeshes = {sub};
        m.materials.resize(1);
        pipelines::PipelineResult out;
        core::Provenance prov;
        prov.prompt = r.inputs.prompt;
        prov.options = "count=" + r.options.text("count") + " shade=" + r.options.text("shade");
        out.assets.push_back(core::Asset::fromMesh("test", std::move(m), prov));
        return out;
    }

private:
    pipelines::PipelineInfo m_info;
};

QString testdata(const char* rel) { return QString(KILN_TESTDATA_DIR) + "/" + rel; }
QString outputDir() {
    // The high-DPI run (QT_SCALE_FACTOR=2, its own CTest entry) keeps its pictures apart.
    const QString d = QString(KILN_TEST_OUTPUT_DIR) + (qEnvironmentVariableIsSet("QT_SCALE_FACTOR") ? "/studio-hidpi" : "/studio");
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

// A NeRF-Synthetic style dataset (transforms.json + PNG views) of an asset rendered by Kiln's own
// headless renderer: `count` views of `size` pixels around it on two rings.
QString writeViewsDataset(const QString& dir, const QString& asset, int count, int size) {
    QDir(dir).removeRecursively();
    QDir().mkpath(dir);
    render::RendererOptions ro;
    ro.validation = render::Validation::Off;
    render::Renderer renderer(ro);
    renderer.add(io::loadAsset(asset.toStdString()));
    render::ViewOptions view;
    view.mode = render::ShadingMode::Unlit;
    view.grid = false;
    view.axisGizmo = false;
    view.background = glm::vec4(0.0f);
    QJsonArray frames;
    float fov = 0.8f;
    for (int ring = 0; ring < 2; ++ring) {
        const auto cams = render::orbitViews(renderer.sceneBounds(), count / 2, ring == 0 ? 0.35f : -0.25f, 1.0f, ring * 0.4f, 0.7f);
        for (std::size_t i = 0; i < cams.size(); ++i) {
            const QString name = QString("r_%1_%2").arg(ring).arg(i);
            io::writeImage(renderer.renderImage(cams[i], size, size, view), (dir + "/" + name + ".png").toStdString());
            QJsonArray m;
            for (int r = 0; r < 4; ++r)
                m.append(QJsonArray{cams[i].cameraToWorld[0][r], cams[i].cameraToWorld[1][r], cams[i].cameraToWorld[2][r], cams[i].cameraToWorld[3][r]});
            frames.append(QJsonObject{{"file_path", "./" + name}, {"transform_matrix", m}});
            fov = cams[i].fovY;
        }
    }
    QFile f(dir + "/transforms.json");
    if (!f.open(QIODevice::WriteOnly)) return {};
    f.write(QJsonDocument(QJsonObject{{"camera_angle_x", fov}, {"frames", frames}}).toJson());
    return f.fileName();
}

void sendDrop(QObject* target, QWidget* widgetForPos, const QString& file) {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(file)});
    const QPoint pos = widgetForPos ? widgetForPos->rect().center() : QPoint(10, 10);
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QVERIFY(drop.isAccepted());
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
    // Adds a synthetic cloud of n splats (a spiral over a sphere, sizes and opacities varied so
    // their order matters) through a job, as an import would.
    void addLargeCloud(std::size_t n) {
        ui::StudioDocument& doc = m_window->document();
        const jobs::JobId id = m_window->jobs().submit(
            "Large cloud",
            [n](core::Progress&, const core::CancelToken&) {
                core::GaussianCloud c;
                c.resize(n, 0);
                for (std::size_t i = 0; i < n; ++i) {
                    // A golden-angle spiral over a sphere; sizes and opacities vary so the order matters.
                    const float t = (float(i) + 0.5f) / float(n), phi = float(i) * 2.39996323f;
                    const float y = 1.0f - 2.0f * t, r = std::sqrt(std::max(0.0f, 1.0f - y * y));
                    c.positions[i] = glm::vec3(r * std::cos(phi), y, r * std::sin(phi));
                    c.logScales[i] = glm::vec3(std::log(0.004f + 0.01f * float(i % 7) / 7.0f));
                    c.rotations[i] = glm::vec4(1, 0, 0, 0);
                    c.opacityLogits[i] = -1.0f + float(i % 5);
                    for (int ch = 0; ch < 3; ++ch) c.sh[i * 3 + std::size_t(ch)] = 0.3f * std::sin(3.0f * c.positions[i][ch]);
                }
                return std::vector<core::Asset>{core::Asset::fromGaussians("large cloud", c)};
            },
            [&doc](std::vector<core::Asset> results) {
                core::Document next = doc.document();
                for (auto& a : results) next.addAsset(std::move(a));
                doc.change("Add large cloud", std::move(next));
            });
        QCOMPARE(waitForJob(id), jobs::JobState::Succeeded);
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
    void sendMouse(QEvent::Type t, QPointF p, Qt::MouseButton b, Qt::MouseButtons bs, Qt::KeyboardModifiers m = Qt::NoModifier) {
        ui::ViewportWindow* vp = m_window->viewport();
        QMouseEvent e(t, p, vp->mapToGlobal(p), b, bs, m);
        QCoreApplication::sendEvent(vp, &e);
    }
    void click(QPointF p) {
        sendMouse(QEvent::MouseButtonPress, p, Qt::LeftButton, Qt::LeftButton);
        sendMouse(QEvent::MouseButtonRelease, p, Qt::LeftButton, Qt::NoButton);
    }
    // The Photos/Views tab of the Create panel (live when the build has LibTorch).
    QWidget* viewsTab() const {
        auto* create = m_window->createPanel();
        for (int i = 0; i < create->tabs()->count(); ++i)
            if (create->tabs()->tabText(i) == "Photos/Views") return create->tabs()->isTabEnabled(i) ? create->tabs()->widget(i) : nullptr;
        return nullptr;
    }
    QString m_viewsDataset;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);  // settings, autosave and locks in a throw-away place
        // A settings scope of this run only, removed at the end.
        QCoreApplication::setOrganizationName(QString("KilnStudioTest-%1").arg(QCoreApplication::applicationPid()));
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).removeRecursively();
        QSettings().clear();
        QVERIFY2(qEnvironmentVariableIsSet("DISPLAY"), "run under xvfb-run (CTest does)");
        qputenv("KILN_STUDIO_VALIDATION", "1");  // every Vulkan call of the viewport and its overlay checked
        pipelines::PipelineRegistry::instance().add(std::make_shared<TestOnlyPipeline>());
        m_window = std::make_unique<ui::MainWindow>();
        QVERIFY(m_window->renderer().validationEnabled());
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->viewport()->framesPresented() > 0, 20000);
    }

    void createPanelShowsOnlyLivePipelinesEnabled() {
        auto* create = m_window->findChild<ui::CreatePanel*>("createPanel");
        QVERIFY(create);
        QTabWidget* tabs = create->tabs();
        QStringList titles;
        for (int i = 0; i < tabs->count(); ++i) {
            titles << tabs->tabText(i);
            if (tabs->tabText(i) == "Photos/Views" && tabs->isTabEnabled(i)) {
                // Live: the options reconstruct() takes, and only representations it fits.
                QWidget* page = tabs->widget(i);
                for (const char* name : {"input", "browseFile", "browseFolder", "representation", "iterations", "resolution", "mesh",
                                         "seed", "dice", "quality", "generate"})
                    QVERIFY2(page->findChild<QWidget*>(name), name);
                auto* repr = page->findChild<QComboBox*>("representation");
                for (int k = 0; k < repr->count(); ++k) QVERIFY(repr->itemData(k).toString() == "splats" || repr->itemData(k).toString() == "field");
                auto* seed = page->findChild<QSpinBox*>("seed");
                const int before = seed->value();
                QTest::mouseClick(page->findChild<QWidget*>("dice"), Qt::LeftButton);
                QVERIFY(seed->value() != before);
                // A preset sets iterations and resolution.
                page->findChild<QComboBox*>("quality")->setCurrentIndex(0);
                QCOMPARE(page->findChild<QSpinBox*>("iterations")->value(), 1000);
                continue;
            }
            if (tabs->tabText(i) == "Text" && tabs->isTabEnabled(i)) {
                // Live: prompt, seed with dice, quality preset (sampler steps, candidates), guidance, mesh, model.
                QWidget* page = tabs->widget(i);
                for (const char* name :
                     {"prompt", "seed", "dice", "quality", "steps", "guidance", "candidates", "resolution", "faces", "texture-size", "model", "generate"})
                    QVERIFY2(page->findChild<QWidget*>(name), name);
                page->findChild<QComboBox*>("quality")->setCurrentIndex(0);
                QCOMPARE(page->findChild<QSpinBox*>("steps")->value(), 12);
                QCOMPARE(page->findChild<QSpinBox*>("candidates")->value(), 1);
                page->findChild<QComboBox*>("quality")->setCurrentIndex(1);
                QCOMPARE(page->findChild<QSpinBox*>("candidates")->value(), 4);
                // The bundled model is listed for the text-to-3d slot.
                QVERIFY(page->findChild<QComboBox*>("model")->count() >= 2);
                // An empty prompt is refused with a message and submits nothing.
                const size_t jobs = m_window->jobs().ids().size();
                page->findChild<QPlainTextEdit*>("prompt")->setPlainText("   ");
                QTest::mouseClick(page->findChild<QPushButton*>("generate"), Qt::LeftButton);
                QCOMPARE(m_window->jobs().ids().size(), jobs);
                QVERIFY(page->findChild<QLabel*>("message")->text().contains("prompt"));
                continue;
            }
            if (tabs->isTabEnabled(i)) continue;
            // A disabled tab says why (no LibTorch, no model).
            QVERIFY2(!tabs->widget(i)->isEnabled(), qPrintable(tabs->tabText(i)));
            const QString why = tabs->tabToolTip(i);
            QVERIFY2(why.contains("LibTorch") || why.contains("model"), qPrintable(why));
        }
        // One tab per registered pipeline, in registration order: built-ins, then the plug-in, then this test's.
        QStringList expected;
        for (const auto& p : pipelines::PipelineRegistry::instance().all()) expected << QString::fromStdString(p->info().displayName);
        QCOMPARE(titles, expected);
        QVERIFY(titles.contains("Text") && titles.contains("Photos/Views") && titles.contains("Procedural") && titles.contains("Test pipeline"));
        // A live tab refuses a missing input with a message, and submits nothing.
        if (QWidget* page = viewsTab()) {
            const size_t jobs = m_window->jobs().ids().size();
            page->findChild<QLineEdit*>("input")->setText(outputDir() + "/no-such-views/transforms.json");
            QTest::mouseClick(page->findChild<QPushButton*>("generate"), Qt::LeftButton);
            QCOMPARE(m_window->jobs().ids().size(), jobs);
            QVERIFY(page->findChild<QLabel*>("message")->text().contains("does not exist"));
        }
    }

    void createTabOfATestPipelineComesFromItsSchema() {
        QTabWidget* tabs = m_window->createPanel()->tabs();
        QWidget* page = nullptr;
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->widget(i)->property("pipelineId").toString() == "test-only") page = tabs->widget(i);
        QVERIFY(page && page->isEnabled());
        // One widget per option, of the option's type, at its default (the default preset applied).
        auto* count = page->findChild<QSpinBox*>("count");
        auto* strength = page->findChild<QDoubleSpinBox*>("strength");
        auto* smooth = page->findChild<QCheckBox*>("smooth");
        auto* shade = page->findChild<QComboBox*>("shade");
        auto* label = page->findChild<QLineEdit*>("label");
        QVERIFY(count && strength && smooth && shade && label && page->findChild<QSpinBox*>("seed") && page->findChild<QWidget*>("dice"));
        QCOMPARE(count->value(), 9);
        QCOMPARE(count->maximum(), 9);
        QCOMPARE(strength->value(), 0.25);
        QVERIFY(smooth->isChecked());
        QCOMPARE(shade->currentData().toString(), QString("round"));
        QCOMPARE(shade->itemText(0), QString("Flat"));
        auto* quality = page->findChild<QComboBox*>("quality");
        QCOMPARE(quality->currentText(), QString("High"));
        quality->setCurrentIndex(0);
        QCOMPARE(count->value(), 1);
        count->setValue(4);
        QCOMPARE(quality->currentText(), QString("Custom"));
        QVERIFY(!page->findChild<QCheckBox*>("mesh"));  // a mesh is what it makes anyway
        // Its form becomes a request and a job whose result lands in the document.
        ui::StudioDocument& doc = m_window->document();
        const size_t assets = doc.document().assets().size();
        page->findChild<QPlainTextEdit*>("prompt")->setPlainText("hello");
        shade->setCurrentIndex(0);
        const jobs::JobId id = m_window->createPanel()->generate("test-only");
        QVERIFY(id != 0);
        QCOMPARE(m_window->jobs().entry(id)->name, QString("Test \u201chello\u201d"));
        QCOMPARE(waitForJob(id, 20000), jobs::JobState::Succeeded);
        QCOMPARE(doc.document().assets().size(), assets + 1);
        QCOMPARE(doc.document().assets().back().currentVersion().asset.provenance.options, std::string("count=4 shade=flat"));
        doc.undoStack()->undo();
        QCOMPARE(doc.document().assets().size(), assets);
        doc.select(onlyAsset());
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
        // The HUD counts what this frame draws (it used to show the previous frame's count: 0 on
        // the frame that first drew an import, and stayed so until the view next changed).
        ui::ViewportWindow* vp = m_window->viewport();
        m_window->document().undoStack()->undo();  // the duck leaves the scene
        QVERIFY(vp->renderNow());
        QCOMPARE(vp->hudTriangles(), std::size_t(0));
        m_window->document().undoStack()->redo();  // and comes back
        QVERIFY(vp->renderNow());
        QCOMPARE(vp->hudTriangles(), std::size_t(4212));
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

    void jobRowShowsAPreviewThumbnail() {
        // The import reported the duck as its preview: the Jobs panel shows it as a small image,
        // rendered off the GUI thread.
        const jobs::JobId id = m_window->jobs().ids().back();
        QWidget* row = m_window->jobsPanel()->row(id);
        QVERIFY(row);
        auto* preview = row->findChild<QLabel*>("preview");
        QTRY_VERIFY_WITH_TIMEOUT(!preview->pixmap().isNull(), 20000);
        const qreal dpr = m_window->jobsPanel()->devicePixelRatioF();
        const int side = int(ui::JobsPanel::kThumbnailSize * dpr);
        QCOMPARE(preview->pixmap().size(), QSize(side, side));
        const QImage thumb = preview->pixmap().toImage().convertToFormat(QImage::Format_RGB32);
        thumb.save(outputDir() + "/job_preview_thumbnail.png");
        // The duck (yellow) fills the middle; the corner is background.
        const QRgb mid = thumb.pixel(side / 2, side / 2), corner = thumb.pixel(1, 1);
        QVERIFY2(qRed(mid) > 150 && qGreen(mid) > 120 && qBlue(mid) < 100, qPrintable(QString::number(mid, 16)));
        QVERIFY(std::abs(qRed(mid) - qRed(corner)) + std::abs(qGreen(mid) - qGreen(corner)) > 100);
        QCOMPARE(m_window->jobsPanel()->thumbnailer().rendered(), 1);
    }

    void clickSelectsTheAssetUnderTheCursor() {
        ui::StudioDocument& doc = m_window->document();
        ui::ViewportWindow* vp = m_window->viewport();
        const core::AssetId duck = onlyAsset();
        doc.select(0);
        QVERIFY(m_window->outliner()->tree()->selectedItems().isEmpty());
        // The duck is framed in the centre: a click there selects it, in the Outliner too.
        const QPointF centre(vp->width() / 2.0, vp->height() / 2.0);
        QCOMPARE(vp->pick(centre), duck);
        click(centre);
        QCOMPARE(doc.selected(), duck);
        QTRY_VERIFY(m_window->outliner()->tree()->topLevelItem(0)->isSelected());
        // A press that turns into a drag is not a click.
        doc.select(0);
        sendMouse(QEvent::MouseButtonPress, centre, Qt::LeftButton, Qt::LeftButton);
        sendMouse(QEvent::MouseMove, centre + QPointF(30, 0), Qt::NoButton, Qt::LeftButton);
        sendMouse(QEvent::MouseButtonRelease, centre + QPointF(30, 0), Qt::LeftButton, Qt::NoButton);
        QCOMPARE(doc.selected(), core::AssetId(0));
        // Empty space (bottom-left corner, away from the axis gizmo) selects nothing.
        click(centre);
        QCOMPARE(doc.selected(), duck);
        click(QPointF(6, vp->height() - 6));
        QCOMPARE(doc.selected(), core::AssetId(0));
        QVERIFY(m_window->outliner()->tree()->selectedItems().isEmpty());
        doc.select(duck);
    }

    void textureTabPaintsTheSelectedAssetAsANewVersion() {
        // The Texture tab works on the selection: the duck gets new maps in its own UV layout and
        // keeps its geometry; the result is a new version of the duck (undoable), not a new asset.
        QTabWidget* tabs = m_window->createPanel()->tabs();
        QWidget* page = nullptr;
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->widget(i)->property("pipelineId").toString() == "texture" && tabs->isTabEnabled(i)) page = tabs->widget(i);
        if (!page) QSKIP("the Texture tab is off in this build (no LibTorch or no bundled model)");
        for (const char* name : {"asset", "prompt", "seed", "dice", "quality", "resolution", "steps", "guidance", "unwrap", "photo", "photo-view", "photo-fov",
                                 "variants", "model", "generate"})
            QVERIFY2(page->findChild<QWidget*>(name), name);
        page->findChild<QComboBox*>("quality")->setCurrentIndex(0);
        QCOMPARE(page->findChild<QSpinBox*>("resolution")->value(), 512);
        ui::StudioDocument& doc = m_window->document();
        const core::AssetId duck = onlyAsset();
        QVERIFY2(duck != 0, "no asset: importDuckByDragAndDrop runs first");
        doc.select(duck);
        const core::DocumentAsset* before = doc.document().find(duck);
        const std::size_t versions = before->versions.size(), assets = doc.document().assets().size();
        const core::Asset original = before->currentVersion().asset;
        page->findChild<QPlainTextEdit*>("prompt")->setPlainText("a blue plastic duck");
        page->findChild<QSpinBox*>("variants")->setValue(2);
        const core::VersionId was = before->current;
        const jobs::JobId id = m_window->createPanel()->generate("texture");
        QVERIFY(id != 0);
        QCOMPARE(waitForJob(id, 60000), jobs::JobState::Succeeded);
        QCOMPARE(doc.document().assets().size(), assets);
        const core::DocumentAsset* after = doc.document().find(duck);
        // Two variants, both children of the version it worked on; the first is current.
        QCOMPARE(after->versions.size(), versions + 2);
        QCOMPARE(after->current, after->versions[versions].id);
        QCOMPARE(after->versions[versions + 1].asset.provenance.parentVersion.value_or(0), was);
        const core::Asset& textured = after->currentVersion().asset;
        QCOMPARE(textured.provenance.source, std::string("texture"));
        QCOMPARE(textured.provenance.parentVersion.value_or(0), was);
        const core::Mesh& m0 = *original.mesh();
        const core::Mesh& m1 = *textured.mesh();
        QVERIFY(m0.positions.size() == m1.positions.size() &&
                std::memcmp(m0.positions.data(), m1.positions.data(), m0.positions.size() * sizeof(glm::vec3)) == 0);
        QVERIFY(m0.uv0.size() == m1.uv0.size() && std::memcmp(m0.uv0.data(), m1.uv0.data(), m0.uv0.size() * sizeof(glm::vec2)) == 0);
        QVERIFY(m0.indices == m1.indices);
        // The new base colour is blue where the duck was yellow.
        const int t = m1.materials.at(std::size_t(m1.submeshes.at(0).material)).baseColorTexture;
        QVERIFY(t >= 0);
        const core::Image& img = m1.textures.at(std::size_t(t)).image;
        QCOMPARE(img.width, 512);
        double r = 0.0, b = 0.0;
        for (int y = 0; y < img.height; y += 8)
            for (int x = 0; x < img.width; x += 8) r += img.at(x, y, 0), b += img.at(x, y, 2);
        QVERIFY2(b > 1.5 * r, qPrintable(QString("red %1, blue %2").arg(r).arg(b)));
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_duck_textured.png");
        // The two variants appear as thumbnails under the tabs; clicking the second makes it the
        // current version (one undo step).
        QGroupBox* strip = m_window->createPanel()->variantStrip();
        QVERIFY(strip->isVisible());
        auto* v0 = strip->findChild<QToolButton*>("variant0");
        auto* v1 = strip->findChild<QToolButton*>("variant1");
        auto* beforeButton = strip->findChild<QToolButton*>("before");
        QVERIFY(v0 && v1 && beforeButton && !strip->findChild<QToolButton*>("variant2"));
        QVERIFY(v0->isChecked() && !v1->isChecked() && !beforeButton->isChecked());
        QTRY_VERIFY_WITH_TIMEOUT(v0->property("thumbnailed").toBool() && v1->property("thumbnailed").toBool(), 30000);
        // The thumbnails show the two variants, not one picture twice.
        QVERIFY(v0->icon().pixmap(64).toImage() != v1->icon().pixmap(64).toImage());
        strip->grab().save(outputDir() + "/texture_variants.png");
        v1->click();
        QVERIFY(v1->isChecked());
        QCOMPARE(doc.document().find(duck)->current, doc.document().find(duck)->versions[versions + 1].id);
        QCOMPARE(doc.selected(), duck);
        doc.undoStack()->undo();
        QCOMPARE(doc.document().find(duck)->current, doc.document().find(duck)->versions[versions].id);
        // "before" shows the version it worked from again (one undo step back to the variant).
        beforeButton->click();
        QCOMPARE(doc.document().find(duck)->current, was);
        doc.undoStack()->undo();
        QCOMPARE(doc.document().find(duck)->current, doc.document().find(duck)->versions[versions].id);
        doc.undoStack()->undo();
        QCOMPARE(doc.document().find(duck)->versions.size(), versions);
        doc.select(duck);
    }

    void editTabRepaintsTheSelectedAssetAndCancelLeavesItAlone() {
        // The Edit tab works on the selection: "make it blue" repaints the duck in its own UVs as
        // a new version (geometry untouched, undoable); a cancelled edit changes nothing.
        QTabWidget* tabs = m_window->createPanel()->tabs();
        QWidget* page = nullptr;
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->widget(i)->property("pipelineId").toString() == "edit" && tabs->isTabEnabled(i)) page = tabs->widget(i);
        if (!page) QSKIP("the Edit tab is off in this build (no LibTorch or no bundled model)");
        for (const char* name : {"asset", "prompt", "seed", "strength", "mode", "source", "keep-box", "keep-mask", "variants", "generate"})
            QVERIFY2(page->findChild<QWidget*>(name), name);
        ui::StudioDocument& doc = m_window->document();
        const core::AssetId duck = onlyAsset();
        QVERIFY2(duck != 0, "no asset: importDuckByDragAndDrop runs first");
        doc.select(duck);
        const core::DocumentAsset* before = doc.document().find(duck);
        const std::size_t versions = before->versions.size();
        const core::VersionId startedFrom = before->current;
        const core::Asset original = before->currentVersion().asset;
        // A keep box typed into the tab is outlined on the duck in the viewport; cleared, it goes.
        auto* keepBox = page->findChild<QLineEdit*>("keep-box");
        QVERIFY(keepBox);
        keepBox->setText("-1,1.05,-1,2,2,1");
        presentFrame();
        QVERIFY(m_window->viewport()->keepBoxEdgesDrawn() > 0);
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_keep_box.png");
        keepBox->setText("1,2");
        presentFrame();
        QCOMPARE(m_window->viewport()->keepBoxEdgesDrawn(), 0);
        keepBox->clear();
        page->findChild<QPlainTextEdit*>("prompt")->setPlainText("make it blue");
        page->findChild<QDoubleSpinBox*>("strength")->setValue(0.8);
        page->findChild<QSpinBox*>("variants")->setValue(1);
        // Cancelled right away: the document is as it was.
        const quint64 revision = doc.document().revision();
        const jobs::JobId cancelled = m_window->createPanel()->generate("edit");
        QVERIFY(cancelled != 0);
        m_window->jobs().cancel(cancelled);
        QCOMPARE(waitForJob(cancelled, 60000), jobs::JobState::Cancelled);
        QCOMPARE(doc.document().revision(), revision);
        QCOMPARE(doc.document().find(duck)->versions.size(), versions);
        // Run: one new version, blue, the geometry and UVs the duck's own; the job streamed
        // previews of the edit as it denoised.
        const jobs::JobId id = m_window->createPanel()->generate("edit");
        QVERIFY(id != 0);
        QCOMPARE(waitForJob(id, 60000), jobs::JobState::Succeeded);
        QVERIFY(m_window->jobs().entry(id)->snapshot.preview != nullptr);
        const core::DocumentAsset* after = doc.document().find(duck);
        QCOMPARE(after->versions.size(), versions + 1);
        const core::VersionId editedVersion = after->current;
        const core::Asset edited = after->currentVersion().asset;
        QCOMPARE(edited.provenance.source, std::string("edit"));
        const core::Mesh& m0 = *original.mesh();
        const core::Mesh& m1 = *edited.mesh();
        QVERIFY(m0.positions.size() == m1.positions.size() &&
                std::memcmp(m0.positions.data(), m1.positions.data(), m0.positions.size() * sizeof(glm::vec3)) == 0);
        QVERIFY(m0.uv0.size() == m1.uv0.size() && std::memcmp(m0.uv0.data(), m1.uv0.data(), m0.uv0.size() * sizeof(glm::vec2)) == 0);
        QVERIFY(m0.indices == m1.indices);
        const core::Image& img = m1.textures.at(std::size_t(m1.materials.at(std::size_t(m1.submeshes.at(0).material)).baseColorTexture)).image;
        double r = 0.0, b = 0.0;
        for (int y = 0; y < img.height; y += 8)
            for (int x = 0; x < img.width; x += 8) r += img.at(x, y, 0), b += img.at(x, y, 2);
        QVERIFY2(b > 1.5 * r, qPrintable(QString("red %1, blue %2").arg(r).arg(b)));
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_duck_edited.png");
        // Before and after, one click apart under the tabs.
        QGroupBox* strip = m_window->createPanel()->variantStrip();
        auto* beforeButton = strip->findChild<QToolButton*>("before");
        auto* afterButton = strip->findChild<QToolButton*>("variant0");
        QVERIFY(strip->isVisible() && beforeButton && afterButton && afterButton->isChecked());
        beforeButton->click();
        QCOMPARE(doc.document().find(duck)->current, startedFrom);
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_duck_before_edit.png");
        afterButton->click();
        QCOMPARE(doc.document().find(duck)->current, editedVersion);
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        QCOMPARE(doc.document().find(duck)->current, editedVersion);
        doc.undoStack()->undo();
        QCOMPARE(doc.document().find(duck)->versions.size(), versions);
        doc.select(duck);
    }

    void editTabKeepsTheRegionPaintedInTheViewport() {
        // The Edit tab's keep tools: paint (and unpaint with Ctrl) or box the region to keep on
        // the duck in the viewport, highlighted there; "make it blue" then leaves exactly that
        // region's texels as they were and repaints the rest.
        QTabWidget* tabs = m_window->createPanel()->tabs();
        QWidget* page = nullptr;
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->widget(i)->property("pipelineId").toString() == "edit" && tabs->isTabEnabled(i)) page = tabs->widget(i);
        if (!page) QSKIP("the Edit tab is off in this build (no LibTorch or no bundled model)");
        tabs->setCurrentWidget(page);
        ui::StudioDocument& doc = m_window->document();
        const core::AssetId duck = onlyAsset();
        QVERIFY2(duck != 0, "no asset: importDuckByDragAndDrop runs first");
        doc.select(duck);
        const std::size_t versions = doc.document().find(duck)->versions.size();
        const core::Asset original = doc.document().find(duck)->currentVersion().asset;
        const std::size_t tris = original.mesh()->triangleCount();
        ui::ViewportWindow* vp = m_window->viewport();
        auto* brush = page->findChild<QToolButton*>("keepBrush");
        auto* rect = page->findChild<QToolButton*>("keepRectangle");
        auto* marked = page->findChild<QLabel*>("keepMarked");
        QVERIFY(brush && rect && marked && page->findChild<QToolButton*>("keepClear") && page->findChild<QSpinBox*>("keepBrushSize"));
        vp->frameSelected();
        presentFrame();
        const QImage plain = grabScreen(m_window->viewportWidget());
        QPointF centre;
        QVERIFY(vp->gizmoHandle(0, &centre, nullptr));  // the gizmo is shown without a keep tool

        const auto drag = [vp](QPointF from, QPointF to, Qt::KeyboardModifiers mods) {
            QMouseEvent press(QEvent::MouseButtonPress, from, vp->mapToGlobal(from), Qt::LeftButton, Qt::LeftButton, mods);
            QCoreApplication::sendEvent(vp, &press);
            for (int i = 1; i <= 8; ++i) {
                const QPointF p = from + (to - from) * (i / 8.0);
                QMouseEvent move(QEvent::MouseMove, p, vp->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, mods);
                QCoreApplication::sendEvent(vp, &move);
            }
            QMouseEvent release(QEvent::MouseButtonRelease, to, vp->mapToGlobal(to), Qt::LeftButton, Qt::NoButton, mods);
            QCoreApplication::sendEvent(vp, &release);
        };
        // Paint a stroke across the duck's middle: marked, counted under the tab, highlighted.
        brush->click();
        QCOMPARE(vp->keepTool(), ui::KeepTool::Brush);
        QVERIFY(!vp->gizmoHandle(0, nullptr, nullptr));
        const QPointF mid(vp->width() / 2.0, vp->height() / 2.0);
        drag(mid - QPointF(40, 0), mid + QPointF(40, 0), Qt::NoModifier);
        const std::size_t painted = vp->keepMarkedCount(duck);
        QVERIFY2(painted > 20 && painted < tris, qPrintable(QString("%1 of %2 triangles marked").arg(painted).arg(tris)));
        QVERIFY2(marked->text().contains(QString::number(painted)), qPrintable(marked->text()));
        presentFrame();
        QCOMPARE(vp->keepHighlightTriangles(), painted);
        const QImage highlighted = grabScreen(m_window->viewportWidget());
        highlighted.save(outputDir() + "/viewport_keep_painted.png");
        const QRect stroke(int(mid.x()) - 40, int(mid.y()) - 12, 80, 24);
        QVERIFY2(differingFraction(plain, highlighted, stroke, 20) > 0.3,
                 qPrintable(QString("the stroke changed %1 of its pixels").arg(differingFraction(plain, highlighted, stroke, 20))));
        // Visible only (the default): the stroke marked the surface the camera sees, nothing that
        // faces away from it.
        auto* visibleOnly = page->findChild<QCheckBox*>("keepVisibleOnly");
        QVERIFY(visibleOnly && visibleOnly->isChecked() && vp->keepVisibleOnly());
        glm::vec3 eye = vp->camera().toCamera().position();
        const auto facingAway = [&](const std::vector<std::uint8_t>& marks) {
            const core::Mesh& m = *original.mesh();
            std::size_t n = 0;
            for (std::size_t t = 0; t < marks.size(); ++t) {
                if (!marks[t]) continue;
                const glm::vec3 a = m.positions[m.indices[3 * t]], b = m.positions[m.indices[3 * t + 1]], c = m.positions[m.indices[3 * t + 2]];
                n += glm::dot(glm::normalize(glm::cross(b - a, c - a)), glm::normalize(eye - (a + b + c) / 3.0f)) < -0.3f;
            }
            return n;
        };
        QCOMPARE(facingAway(vp->keepMarks(duck)), std::size_t(0));
        // Ctrl unpaints part of it.
        drag(mid + QPointF(20, 0), mid + QPointF(40, 0), Qt::ControlModifier);
        QVERIFY(vp->keepMarkedCount(duck) > 0 && vp->keepMarkedCount(duck) < painted);
        // The box through the mesh (Visible only off) marks every triangle under a rectangle: the
        // left third of the duck, back and front.
        visibleOnly->setChecked(false);
        QVERIFY(!vp->keepVisibleOnly());
        rect->click();
        QVERIFY(!brush->isChecked());
        QCOMPARE(vp->keepTool(), ui::KeepTool::Box);
        const std::size_t beforeBox = vp->keepMarkedCount(duck);
        drag(QPointF(0, 0), QPointF(vp->width() * 0.4, vp->height()), Qt::NoModifier);
        QVERIFY(vp->keepMarkedCount(duck) > beforeBox);
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_keep_boxed.png");
        const std::vector<std::uint8_t> keep = vp->keepMarks(duck);
        QCOMPARE(keep.size(), tris);

        // The edit keeps exactly the marked triangles' texels and repaints the others blue.
        page->findChild<QPlainTextEdit*>("prompt")->setPlainText("make it blue");
        page->findChild<QDoubleSpinBox*>("strength")->setValue(1.0);
        page->findChild<QSpinBox*>("variants")->setValue(1);
        page->findChild<QLineEdit*>("keep-box")->clear();
        page->findChild<QLineEdit*>("keep-mask")->clear();
        const jobs::JobId id = m_window->createPanel()->generate("edit");
        QVERIFY(id != 0);
        QCOMPARE(waitForJob(id, 60000), jobs::JobState::Succeeded);
        const core::DocumentAsset* after = doc.document().find(duck);
        QCOMPARE(after->versions.size(), versions + 1);
        const core::Mesh& m0 = *original.mesh();
        const core::Mesh& m1 = *after->currentVersion().asset.mesh();
        QVERIFY(m0.indices == m1.indices);
        const auto texel = [](const core::Mesh& m, std::size_t t) {
            const core::Image& img = m.textures.at(std::size_t(m.materials.at(std::size_t(m.submeshes.at(0).material)).baseColorTexture)).image;
            const glm::vec2 uv = (m.uv0[m.indices[3 * t]] + m.uv0[m.indices[3 * t + 1]] + m.uv0[m.indices[3 * t + 2]]) / 3.0f;
            const int x = std::clamp(int(uv.x * float(img.width)), 0, img.width - 1), y = std::clamp(int(uv.y * float(img.height)), 0, img.height - 1);
            return glm::vec3(img.at(x, y, 0), img.at(x, y, 1), img.at(x, y, 2));
        };
        // A texel belongs to one triangle, so a kept triangle's centre texel may be its edited
        // neighbour's: kept triangles are checked where every triangle sharing a corner is kept.
        std::vector<std::uint8_t> border(m0.positions.size(), 0);
        for (std::size_t t = 0; t < tris; ++t)
            if (!keep[t])
                for (int c = 0; c < 3; ++c) border[m0.indices[3 * t + std::size_t(c)]] = 1;
        std::size_t kept = 0, keptSame = 0, edited = 0, editedBluer = 0;
        for (std::size_t t = 0; t < tris; ++t) {
            const glm::vec3 a = texel(m0, t), b = texel(m1, t);
            if (keep[t]) {
                if (border[m0.indices[3 * t]] || border[m0.indices[3 * t + 1]] || border[m0.indices[3 * t + 2]]) continue;
                ++kept;
                keptSame += a == b;
            } else {
                ++edited;
                editedBluer += b.z - b.x > a.z - a.x + 0.1f;
            }
        }
        QVERIFY2(kept > 100 && keptSame == kept, qPrintable(QString("%1 of %2 kept triangles' texels unchanged").arg(keptSame).arg(kept)));
        QVERIFY2(editedBluer > edited / 2, qPrintable(QString("%1 of %2 other triangles bluer").arg(editedBluer).arg(edited)));
        // The marks outlive an appearance edit (same triangles); Clear drops them.
        QCOMPARE(vp->keepMarks(duck), keep);
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_keep_edited.png");
        // Marking everything is refused with the edit's reason, and nothing runs.
        drag(QPointF(0, 0), QPointF(vp->width(), vp->height()), Qt::NoModifier);
        QCOMPARE(vp->keepMarkedCount(duck), tris);
        QCOMPARE(m_window->createPanel()->generate("edit"), jobs::JobId(0));
        QVERIFY2(page->findChild<QLabel*>("message")->text().contains("every triangle"), qPrintable(page->findChild<QLabel*>("message")->text()));
        page->findChild<QToolButton*>("keepClear")->click();
        QVERIFY(vp->keepMarks(duck).empty());
        QCOMPARE(marked->text(), QString("nothing marked"));
        // With Visible only, the same box over the whole view marks the duck's visible side alone:
        // part of it, none of it facing away.
        visibleOnly->setChecked(true);
        eye = vp->camera().toCamera().position();
        drag(QPointF(0, 0), QPointF(vp->width(), vp->height()), Qt::NoModifier);
        const std::size_t seen = vp->keepMarkedCount(duck);
        QVERIFY2(seen > tris / 5 && seen < tris * 3 / 4, qPrintable(QString("%1 of %2 triangles marked as visible").arg(seen).arg(tris)));
        QCOMPARE(facingAway(vp->keepMarks(duck)), std::size_t(0));
        page->findChild<QToolButton*>("keepClear")->click();
        // Leaving the tab puts the tool down: the left button selects again.
        tabs->setCurrentIndex(tabs->indexOf(page) == 0 ? 1 : 0);
        QCOMPARE(vp->keepTool(), ui::KeepTool::None);
        QVERIFY(!rect->isChecked());
        doc.undoStack()->undo();
        QCOMPARE(doc.document().find(duck)->versions.size(), versions);
        tabs->setCurrentWidget(page);
        doc.select(duck);
    }

    void orbitWithTheMouseChangesTheImage() {
        presentFrame();
        const QImage before = grabScreen(m_window->viewportWidget());
        ui::ViewportWindow* vp = m_window->viewport();
        const float yaw = vp->camera().yaw();
        QPointF pos(vp->width() / 2.0, vp->height() / 2.0);
        const int framesBefore = vp->framesPresented();
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
        // The moves draw frames by themselves (they once stopped doing so: the viewport's update
        // requests were lost after one made before the window existed).
        QTRY_VERIFY_WITH_TIMEOUT(vp->framesPresented() >= framesBefore + 2, 5000);
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

    void adaptiveQualityWhileTheCameraMoves() {
        ui::ViewportWindow* vp = m_window->viewport();
        QVERIFY(vp->adaptiveQuality());  // on by default
        vp->frameSelected();
        presentFrame();
        QTest::qWait(300);  // settled
        presentFrame();
        QCOMPARE(vp->lastResolutionScale(), 1.0f);
        const QImage before = grabScreen(m_window->viewportWidget());
        // Any frame is "slow" against a 0.001 ms budget: a moving camera draws at the smallest scale.
        vp->setInteractiveFrameMs(0.001);
        auto drag = [vp](double dx) {
            const QPointF pos(vp->width() / 3.0, vp->height() / 3.0);
            auto send = [vp](QEvent::Type t, QPointF p, Qt::MouseButton b, Qt::MouseButtons bs) {
                QMouseEvent e(t, p, vp->mapToGlobal(p), b, bs, Qt::NoModifier);
                QCoreApplication::sendEvent(vp, &e);
            };
            send(QEvent::MouseButtonPress, pos, Qt::MiddleButton, Qt::MiddleButton);
            send(QEvent::MouseMove, pos + QPointF(dx, 0), Qt::NoButton, Qt::MiddleButton);
            send(QEvent::MouseButtonRelease, pos + QPointF(dx, 0), Qt::MiddleButton, Qt::NoButton);
        };
        // Frames are drawn right after each move (renderNow waits for the frame), before the settle
        // timer can end the gesture.
        drag(60.0);
        QVERIFY(vp->renderNow());
        QVERIFY(vp->cameraMoving());
        QCOMPARE(vp->lastResolutionScale(), 0.25f);
        drag(-60.0);  // back where it started
        QVERIFY(vp->renderNow());
        QCOMPARE(vp->lastResolutionScale(), 0.25f);
        // Still: one full-quality frame follows, identical to the frame before the gesture.
        QTest::qWait(300);
        presentFrame();
        QVERIFY(!vp->cameraMoving());
        QCOMPARE(vp->lastResolutionScale(), 1.0f);
        const QImage after = grabScreen(m_window->viewportWidget());
        before.save(outputDir() + "/viewport_before_gesture.png");
        after.save(outputDir() + "/viewport_after_gesture_settled.png");
        QCOMPARE(after.size(), before.size());
        int differing = 0;
        for (int y = 0; y < after.height(); ++y)
            for (int x = 0; x < after.width(); ++x)
                if (x > 300 || y > 120) differing += after.pixel(x, y) != before.pixel(x, y) ? 1 : 0;  // outside the HUD (its fps changes)
        QVERIFY2(differing < after.width() * after.height() / 500, qPrintable(QString("%1 pixels differ").arg(differing)));
        // Turned off in the preferences: moving frames are full size.
        ui::Preferences prefs = m_window->preferences();
        prefs.adaptiveQuality = false;
        m_window->applyPreferences(prefs);
        QVERIFY(!vp->adaptiveQuality());
        QCOMPARE(ui::Preferences::load().adaptiveQuality, false);
        drag(40.0);
        QVERIFY(vp->renderNow());
        QVERIFY(vp->cameraMoving());
        QCOMPARE(vp->lastResolutionScale(), 1.0f);
        drag(-40.0);
        prefs.adaptiveQuality = true;
        m_window->applyPreferences(prefs);
        vp->setInteractiveFrameMs(33.0);
        QTest::qWait(300);
        presentFrame();
    }

    // A cloud over ViewportWindow::kLodMinimumSplats draws its most visible splats while the
    // camera moves, and the still camera converges to the full cloud by itself (no input).
    void veryLargeCloudLevelOfDetailConvergesWhenStill() {
        ui::ViewportWindow* vp = m_window->viewport();
        ui::StudioDocument& doc = m_window->document();
        const std::size_t n = ui::ViewportWindow::kLodMinimumSplats + 50000;
        addLargeCloud(n);
        vp->frameAll();
        presentFrame();
        QTest::qWait(300);
        presentFrame();
        QCOMPARE(vp->lastSplatLimit(), std::size_t(0));
        QVERIFY(m_window->renderer().lastFrameStats().splats >= n);
        const QImage before = grabScreen(m_window->viewportWidget());
        vp->setInteractiveFrameMs(0.001);  // every frame is slow: a moving camera draws at 25 %
        const QPointF pos(vp->width() / 3.0, vp->height() / 3.0);
        int dx = 0;
        bool subset = false;
        for (int i = 0; i < 40 && !subset; ++i) {
            // Small turns back and forth; the level of detail's sort arrives from the worker.
            const double step = i % 2 == 0 ? 8.0 : -8.0;
            sendMouse(QEvent::MouseButtonPress, pos, Qt::MiddleButton, Qt::MiddleButton);
            sendMouse(QEvent::MouseMove, pos + QPointF(step, 0), Qt::NoButton, Qt::MiddleButton);
            sendMouse(QEvent::MouseButtonRelease, pos + QPointF(step, 0), Qt::MiddleButton, Qt::NoButton);
            dx += int(step);
            QVERIFY(vp->renderNow());
            QVERIFY(vp->cameraMoving());
            const std::size_t limit = std::max(ui::ViewportWindow::kLodMinimumSplats, std::size_t(double(n) * 0.25));
            QCOMPARE(vp->lastSplatLimit(), limit);
            subset = m_window->renderer().lastFrameStats().splats == limit;
            QTest::qWait(20);
        }
        QVERIFY2(subset, "a moving camera never drew the level-of-detail subset");
        QCOMPARE(dx, 0);  // back where it started
        // Still: frames follow until the full cloud is drawn with its sort, without further input.
        QTRY_VERIFY_WITH_TIMEOUT(!vp->cameraMoving() && vp->lastSplatLimit() == 0 && m_window->renderer().lastFrameStats().splats == n &&
                                     !m_window->renderer().lastFrameStats().splatOrderPending,
                                 10000);
        QTest::qWait(150);
        const QImage after = grabScreen(m_window->viewportWidget());
        after.save(outputDir() + "/viewport_large_cloud_settled.png");
        QCOMPARE(after.size(), before.size());
        int differing = 0;
        for (int y = 0; y < after.height(); ++y)
            for (int x = 0; x < after.width(); ++x)
                if (x > 300 || y > 140) differing += after.pixel(x, y) != before.pixel(x, y) ? 1 : 0;  // outside the HUD
        QVERIFY2(differing < after.width() * after.height() / 500, qPrintable(QString("%1 pixels differ").arg(differing)));
        vp->setInteractiveFrameMs(33.0);
        doc.undoStack()->undo();
        QTest::qWait(300);
        presentFrame();
    }

    // Frames submitted without waiting leave the GUI thread to its events while the device draws;
    // the same drag with frames finished on the GUI thread shows the stall this removes.
    void asynchronousFramesKeepTheGuiThreadFree() {
        ui::ViewportWindow* vp = m_window->viewport();
        ui::StudioDocument& doc = m_window->document();
        QVERIFY(vp->asynchronousFrames());  // on by default
        addLargeCloud(ui::ViewportWindow::kLodMinimumSplats + 50000);
        vp->frameAll();
        vp->setAdaptiveQuality(false);  // every frame the whole cloud at full size: slow on lavapipe
        presentFrame();
        struct Drag {
            int frames = 0;
            double longestGapMs = 0.0, frameMs = 0.0;
        };
        auto drag = [&](bool async) {
            vp->setAsynchronousFrames(async);
            presentFrame();
            Drag d;
            const int first = vp->framesPresented();
            const QPointF pos(vp->width() / 3.0, vp->height() / 3.0);
            sendMouse(QEvent::MouseButtonPress, pos, Qt::MiddleButton, Qt::MiddleButton);
            QElapsedTimer clock, sinceTick;
            clock.start();
            sinceTick.start();
            for (int i = 0; (clock.elapsed() < 1500 || vp->framesPresented() - first < 3) && clock.elapsed() < 30000; ++i) {
                sendMouse(QEvent::MouseMove, pos + QPointF(i % 2 == 0 ? 3.0 : 0.0, 0.0), Qt::NoButton, Qt::MiddleButton);
                QTest::qWait(10);  // the event loop: returns late when a frame held the thread
                d.longestGapMs = std::max(d.longestGapMs, double(sinceTick.nsecsElapsed()) * 1e-6 - 10.0);
                sinceTick.restart();
            }
            sendMouse(QEvent::MouseButtonRelease, pos, Qt::MiddleButton, Qt::NoButton);
            d.frames = vp->framesPresented() - first;
            d.frameMs = vp->lastFrameMs();
            return d;
        };
        const Drag blocking = drag(false), async = drag(true);
        qInfo("drag over %zu splats: blocking frames %d, %.0f ms each, longest GUI gap %.0f ms; asynchronous frames %d, %.0f ms each, longest gap %.0f ms",
              ui::ViewportWindow::kLodMinimumSplats + 50000, blocking.frames, blocking.frameMs, blocking.longestGapMs, async.frames, async.frameMs,
              async.longestGapMs);
        QVERIFY(blocking.frames >= 3 && async.frames >= 3);
        if (blocking.frameMs < 150.0) QSKIP("frames are too fast on this device to tell a stall from a frame");
        // Blocking: the thread waits for whole frames (what the measure catches). Asynchronous: only
        // the recording runs on it.
        QVERIFY2(blocking.longestGapMs > 0.5 * blocking.frameMs, qPrintable(QString("blocking gap %1 ms").arg(blocking.longestGapMs)));
        QVERIFY2(async.longestGapMs < std::min(100.0, 0.3 * async.frameMs), qPrintable(QString("asynchronous gap %1 ms").arg(async.longestGapMs)));
        // On a CPU device this dense a cloud goes through the compute path (automatic), whose
        // binning for a presented frame runs on the presenting thread: the gap above covers it.
        if (m_window->renderer().deviceName().find("llvmpipe") != std::string::npos) {
            // The bins' figures arrive with the frame's end (the viewport's poll sees it).
            const render::FrameStats& st = m_window->renderer().lastFrameStats();
            QVERIFY(st.splatTiles);
            QTRY_VERIFY_WITH_TIMEOUT(st.tileEntries > 0, 20000);
            QVERIFY(st.binMs > 0.0);
        }
        // With the compute sort, presented frames report the sort time from their timestamps once done.
        ui::Preferences prefs = ui::Preferences::load();
        prefs.splatSort = "gpu";
        m_window->applyPreferences(prefs);
        presentFrame();  // nothing left in flight from the drag
        const int framesBefore = vp->framesPresented();
        vp->requestUpdate();
        QTRY_VERIFY_WITH_TIMEOUT(vp->framesPresented() > framesBefore, 20000);
        QVERIFY(m_window->renderer().lastFrameStats().splats > 0);
        QVERIFY(m_window->renderer().lastFrameStats().sortMs > 0.0);
        prefs.splatSort = "auto";
        m_window->applyPreferences(prefs);
        vp->setAsynchronousFrames(true);
        vp->setAdaptiveQuality(true);
        doc.undoStack()->undo();
        QTest::qWait(300);
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

    void gizmoModesBakeThroughTheUndoStack() {
        ui::StudioDocument& doc = m_window->document();
        ui::ViewportWindow* vp = m_window->viewport();
        const core::AssetId duck = onlyAsset();
        doc.select(duck);
        vp->frameSelected();
        presentFrame();
        auto bounds = [&] { return core::computeBounds(doc.document().find(duck)->currentVersion().asset); };
        auto drag = [&](QPointF from, QPointF to) {
            sendMouse(QEvent::MouseButtonPress, from, Qt::LeftButton, Qt::LeftButton);
            for (int i = 1; i <= 8; ++i)
                sendMouse(QEvent::MouseMove, from + (to - from) * (i / 8.0), Qt::NoButton, Qt::LeftButton);
            sendMouse(QEvent::MouseButtonRelease, to, Qt::LeftButton, Qt::NoButton);
        };
        const core::Bounds before = bounds();
        const int undoIndex = doc.undoStack()->index();
        // Blender keys: S scales (uniformly) about the bounds centre.
        QTest::keyClick(vp, Qt::Key_S);
        QCOMPARE(vp->gizmoMode(), ui::GizmoMode::Scale);
        QPointF centre, handle;
        QVERIFY(vp->gizmoHandle(0, &centre, &handle));
        drag(handle, handle + (handle - centre) * 0.5);
        QTRY_COMPARE_WITH_TIMEOUT(doc.undoStack()->index(), undoIndex + 1, 20000);
        const core::Bounds scaled = bounds();
        QVERIFY2(scaled.size().x > before.size().x * 1.1f, qPrintable(QString("%1 -> %2").arg(before.size().x).arg(scaled.size().x)));
        QVERIFY(glm::length(scaled.center() - before.center()) < 1e-2f * glm::length(before.size()));
        QVERIFY(doc.undoStack()->undoText().startsWith("Scale"));
        doc.undoStack()->undo();
        QVERIFY(glm::length(bounds().size() - before.size()) < 1e-4f);
        // R rotates: a quarter turn around the Y ring changes the footprint.
        QTest::keyClick(vp, Qt::Key_R);
        QCOMPARE(vp->gizmoMode(), ui::GizmoMode::Rotate);
        QVERIFY(vp->gizmoHandle(1, &centre, &handle));
        const QPointF r = handle - centre;
        drag(handle, centre + QPointF(-r.y(), r.x()));
        QTRY_COMPARE_WITH_TIMEOUT(doc.undoStack()->index(), undoIndex + 1, 20000);
        QVERIFY(doc.undoStack()->undoText().startsWith("Rotate"));
        const core::Bounds rotated = bounds();
        QVERIFY(std::abs(rotated.size().y - before.size().y) < 1e-3f * glm::length(before.size()));  // about Y: height kept
        QVERIFY(glm::length(rotated.size() - before.size()) > 1e-2f * glm::length(before.size()));
        doc.undoStack()->undo();
        QCOMPARE(doc.undoStack()->index(), undoIndex);
        // Maya keys: W move, E rotate, R scale.
        ui::Preferences prefs = m_window->preferences();
        prefs.navigation = "maya";
        m_window->applyPreferences(prefs);
        QTest::keyClick(vp, Qt::Key_W);
        QCOMPARE(vp->gizmoMode(), ui::GizmoMode::Move);
        QTest::keyClick(vp, Qt::Key_R);
        QCOMPARE(vp->gizmoMode(), ui::GizmoMode::Scale);
        QTest::keyClick(vp, Qt::Key_E);
        QCOMPARE(vp->gizmoMode(), ui::GizmoMode::Rotate);
        prefs.navigation = "blender";
        m_window->applyPreferences(prefs);
        QTest::keyClick(vp, Qt::Key_G);
        QCOMPARE(vp->gizmoMode(), ui::GizmoMode::Move);
        presentFrame();
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

    void photosViewsReconstructionLandsInTheOutliner() {
        QWidget* page = viewsTab();
        if (!page) QSKIP("this build has no LibTorch: the Photos/Views tab is disabled");
        m_viewsDataset = writeViewsDataset(outputDir() + "/views", testdata("gltf/Box/Box.glb"), 8, 32);
        QVERIFY(!m_viewsDataset.isEmpty());
        ui::StudioDocument& doc = m_window->document();
        const size_t assets = doc.document().assets().size();
        const int undoIndex = doc.undoStack()->index();
        page->findChild<QLineEdit*>("input")->setText(m_viewsDataset);
        page->findChild<QSpinBox*>("iterations")->setValue(40);
        page->findChild<QSpinBox*>("resolution")->setValue(32);
        QCOMPARE(page->findChild<QComboBox*>("quality")->currentText(), QString("Custom"));
        float seenFraction = 0.0f;
        QString seenStage;
        auto c = connect(&m_window->jobs(), &ui::JobController::jobChanged, [&](jobs::JobId id) {
            const auto* e = m_window->jobs().entry(id);
            if (e && e->snapshot.state == jobs::JobState::Running && e->snapshot.fraction < 1.0f) {
                seenFraction = std::max(seenFraction, e->snapshot.fraction);
                if (!e->snapshot.stage.empty()) seenStage = QString::fromStdString(e->snapshot.stage);
            }
        });
        QElapsedTimer clock;
        clock.start();
        QTest::mouseClick(page->findChild<QPushButton*>("generate"), Qt::LeftButton);
        const jobs::JobId id = m_window->jobs().ids().back();
        QVERIFY(m_window->jobs().entry(id)->name.startsWith("Reconstruct"));
        QCOMPARE(waitForJob(id, 60000), jobs::JobState::Succeeded);
        disconnect(c);
        qInfo("reconstruction job: %lld ms, progress seen up to %.2f (%s)", clock.elapsed(), seenFraction, qPrintable(seenStage));
        // The fit reports every 100 iterations; this short one shows its stage while it runs.
        QVERIFY(!seenStage.isEmpty());
        QCOMPARE(m_window->jobsPanel()->row(id)->findChild<QProgressBar*>("progress")->value(), 1000);
        // One undoable change adds the splats, selected, listed in the Outliner.
        QCOMPARE(doc.document().assets().size(), assets + 1);
        QCOMPARE(doc.undoStack()->index(), undoIndex + 1);
        const core::DocumentAsset& fitted = doc.document().assets().back();
        QVERIFY(fitted.currentVersion().asset.gaussians());
        QCOMPARE(fitted.currentVersion().asset.provenance.source, std::string("reconstruct"));
        QCOMPARE(doc.selected(), fitted.id);
        QTreeWidget* tree = m_window->outliner()->tree();
        QCOMPARE(tree->topLevelItemCount(), int(assets + 1));
        QCOMPARE(tree->topLevelItem(tree->topLevelItemCount() - 1)->text(0), QString::fromStdString(fitted.name));
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_reconstruction.png");
        // View > View Through Input Camera: the viewport takes view 3's pose and field of view exactly.
        const io::PosedImageSet views = io::loadPosedImages(m_viewsDataset.toStdString());
        ui::ViewportWindow* vp = m_window->viewport();
        QVERIFY(m_window->viewThroughInputCamera(3));
        QVERIFY(vp->camera().lookingThrough());
        const core::Camera through = vp->camera().toCamera();
        for (int c = 0; c < 4; ++c)
            for (int r = 0; r < 3; ++r) QVERIFY(std::abs(through.cameraToWorld[c][r] - views.images[3].camera.cameraToWorld[c][r]) < 1e-4f);
        QVERIFY(std::abs(through.fovY - views.images[3].camera.fovY) < 1e-6f);
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_through_input_camera_3.png");
        // A view the set does not have is one clear error in the log; the camera stays.
        QVERIFY(!m_window->viewThroughInputCamera(int(views.images.size())));
        QVERIFY(m_window->log()->toPlainText().contains("is out of range (the set has 8 views"));
        QVERIFY(vp->camera().lookingThrough());
        vp->frameSelected();
        QVERIFY(!vp->camera().lookingThrough());
        doc.undoStack()->undo();
        QCOMPARE(doc.document().assets().size(), assets);
        doc.select(onlyAsset());
    }

    void textPromptGeneratesATexturedMeshInTheOutliner() {
        auto* create = m_window->createPanel();
        QWidget* page = nullptr;
        for (int i = 0; i < create->tabs()->count(); ++i)
            if (create->tabs()->tabText(i) == "Text" && create->tabs()->isTabEnabled(i)) page = create->tabs()->widget(i);
        if (!page) QSKIP("the Text tab is disabled (no LibTorch or no bundled text-to-3d model)");
        ui::StudioDocument& doc = m_window->document();
        const size_t assets = doc.document().assets().size();
        const int undoIndex = doc.undoStack()->index();
        page->findChild<QPlainTextEdit*>("prompt")->setPlainText("a red wooden chair");
        page->findChild<QSpinBox*>("seed")->setValue(4);
        page->findChild<QSpinBox*>("steps")->setValue(8);
        page->findChild<QSpinBox*>("resolution")->setValue(64);
        page->findChild<QComboBox*>("texture-size")->setCurrentIndex(0);  // 256
        QElapsedTimer clock;
        clock.start();
        QTest::mouseClick(page->findChild<QPushButton*>("generate"), Qt::LeftButton);
        const jobs::JobId id = m_window->jobs().ids().back();
        QVERIFY(m_window->jobs().entry(id)->name.startsWith("Generate"));
        QCOMPARE(waitForJob(id, 120000), jobs::JobState::Succeeded);
        qInfo("text -> 3D job: %lld ms", clock.elapsed());
        // One undoable change adds a textured mesh, with the prompt and seed as provenance.
        QCOMPARE(doc.document().assets().size(), assets + 1);
        QCOMPARE(doc.undoStack()->index(), undoIndex + 1);
        const core::Asset& mesh = doc.document().assets()[assets].currentVersion().asset;
        QVERIFY(mesh.mesh() && mesh.mesh()->triangleCount() > 100);
        QCOMPARE(mesh.mesh()->textures.size(), size_t(2));
        QCOMPARE(mesh.mesh()->uv0.size(), mesh.mesh()->positions.size());
        QCOMPARE(mesh.provenance.prompt, std::string("a red wooden chair"));
        QCOMPARE(mesh.provenance.seed, std::optional<std::uint64_t>(4));
        QCOMPARE(m_window->outliner()->tree()->topLevelItemCount(), int(assets + 1));
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_text_to_3d.png");
        doc.undoStack()->undo();
        QCOMPARE(doc.document().assets().size(), assets);
        doc.select(onlyAsset());
    }

    void imageTabTurnsAPhotoIntoATexturedMeshWithVariants() {
        // The Image tab: a lego view (its alpha is the matte) is shown cut out, then becomes a textured mesh; two seeds
        // are two assets with their thumbnails under the tabs; provenance names the photo and its
        // hash; one undo takes both away.
        auto* create = m_window->createPanel();
        QWidget* page = nullptr;
        for (int i = 0; i < create->tabs()->count(); ++i)
            if (create->tabs()->widget(i)->property("pipelineId").toString() == "image-to-3d" && create->tabs()->isTabEnabled(i))
                page = create->tabs()->widget(i);
        if (!page) QSKIP("the Image tab is disabled (no LibTorch or no bundled image-to-3d model)");
        for (const char* name : {"images", "browseImages", "seed", "steps", "guidance", "variants", "mask", "matte", "no-refine", "mattePreview", "generate"})
            QVERIFY2(page->findChild<QWidget*>(name), name);
        ui::StudioDocument& doc = m_window->document();
        const size_t assets = doc.document().assets().size();
        const QString photo = testdata("mv/lego_train/train/r_0.png");
        // The cut-out is shown as soon as a photo is chosen (computed off the GUI thread); a mask of
        // another size shows the error the job would give, and cleared, the matte comes back.
        auto* status = page->findChild<QLabel*>("matteStatus");
        auto* preview = page->findChild<QLabel*>("mattePreview");
        QVERIFY(status && preview);
        // A real photo (no alpha) is matted by a network (Kiln's own when bundled) or GrabCut.
        page->findChild<QLineEdit*>("images")->setText(testdata("mv/bird_colmap/images/001.jpg"));
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QRegularExpression("(kiln|isnet|grabcut) matte")), 20000);
        QVERIFY(!preview->pixmap().isNull());
        page->findChild<QLineEdit*>("images")->setText(photo);
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("alpha matte"), 20000);
        QVERIFY(!preview->pixmap().isNull());
        create->tabs()->setCurrentWidget(page);
        QApplication::processEvents();
        grabScreen(create).save(outputDir() + "/image_tab_matte.png");
        // Painting on the cut-out corrects it: right clicks remove from the object, and the
        // corrected matte becomes the mask the job reads.
        const auto percent = [status] {
            const QRegularExpressionMatch m = QRegularExpression("([0-9.]+) % of the image").match(status->text());
            return m.hasMatch() ? m.captured(1).toDouble() : -1.0;
        };
        const double before = percent();
        QVERIFY(before > 0.0);
        for (const QPoint d : {QPoint(0, 0), QPoint(8, 0), QPoint(-8, 0), QPoint(0, 8), QPoint(0, -8)}) {
            QTest::mousePress(preview, Qt::RightButton, {}, preview->rect().center() + d);
            QTest::mouseRelease(preview, Qt::RightButton, {}, preview->rect().center() + d);
        }
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("the mask kiln-mask"), 20000);
        QVERIFY2(percent() < before - 0.5, qPrintable(status->text()));
        QVERIFY(page->findChild<QLineEdit*>("mask")->text().endsWith(".png"));
        page->findChild<QLineEdit*>("mask")->setText(testdata("backgrounds/kodim01.jpg"));
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("kodim01.jpg") && status->text().contains("but r_0.png is"), 20000);
        QVERIFY(preview->pixmap().isNull());
        page->findChild<QLineEdit*>("mask")->clear();
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("alpha matte"), 20000);
        page->findChild<QSpinBox*>("seed")->setValue(2);
        page->findChild<QSpinBox*>("candidates")->setValue(1);
        page->findChild<QSpinBox*>("resolution")->setValue(64);
        page->findChild<QComboBox*>("texture-size")->setCurrentIndex(0);  // 256
        page->findChild<QSpinBox*>("variants")->setValue(2);
        const jobs::JobId id = create->generate("image-to-3d");
        QVERIFY(id != 0);
        QCOMPARE(waitForJob(id, 120000), jobs::JobState::Succeeded);
        // Two variants, two assets (seeds 2 and 3) in one undoable change, shown as thumbnails.
        QCOMPARE(doc.document().assets().size(), assets + 2);
        QCOMPARE(doc.document().assets()[assets + 1].currentVersion().asset.provenance.seed, std::optional<std::uint64_t>(3));
        QVERIFY(create->findChild<QGroupBox*>("variants")->isVisible());
        const core::Asset& mesh = doc.document().assets()[assets].currentVersion().asset;
        QCOMPARE(mesh.provenance.seed, std::optional<std::uint64_t>(2));
        QVERIFY(mesh.mesh() && mesh.mesh()->triangleCount() > 100);
        QCOMPARE(mesh.mesh()->textures.size(), size_t(2));
        QCOMPARE(mesh.provenance.source, std::string("generate:image"));
        QVERIFY(mesh.provenance.options.find("r_0.png") != std::string::npos && mesh.provenance.options.find("imageSha256") != std::string::npos);
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_image_to_3d.png");
        doc.undoStack()->undo();
        QCOMPARE(doc.document().assets().size(), assets);
        doc.select(onlyAsset());
    }

    void radianceFieldChoiceAlwaysAddsAMesh() {
        // A document holds meshes and splats: a radiance-field run (when the engine has one) lands
        // as its mesh, so choosing it turns the mesh on. Not run here: a field fit takes minutes.
        QWidget* page = viewsTab();
        if (!page) QSKIP("this build has no LibTorch: the Photos/Views tab is disabled");
        auto* repr = page->findChild<QComboBox*>("representation");
        const int field = repr->findData("field");
        if (field < 0) QSKIP("this engine fits splats only");
        auto* mesh = page->findChild<QCheckBox*>("mesh");
        mesh->setChecked(false);
        repr->setCurrentIndex(field);
        QVERIFY(mesh->isChecked() && !mesh->isEnabled());
        repr->setCurrentIndex(repr->findData("splats"));
        QVERIFY(mesh->isEnabled());
        mesh->setChecked(false);
    }

    void cancellingAReconstructionLeavesTheDocumentUnchanged() {
        QWidget* page = viewsTab();
        if (!page || m_viewsDataset.isEmpty()) QSKIP("needs the Photos/Views tab and the dataset of the previous test");
        ui::StudioDocument& doc = m_window->document();
        const quint64 revision = doc.document().revision();
        const int undoIndex = doc.undoStack()->index();
        page->findChild<QLineEdit*>("input")->setText(m_viewsDataset);
        page->findChild<QSpinBox*>("iterations")->setValue(100000);
        page->findChild<QSpinBox*>("resolution")->setValue(32);
        const jobs::JobId id = m_window->createPanel()->generate("Photos/Views");
        QVERIFY(id != 0);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->jobs().entry(id)->snapshot.state, jobs::JobState::Running, 10000);
        QTest::qWait(1500);  // into the fit
        QWidget* row = m_window->jobsPanel()->row(id);
        QVERIFY(row);
        QVERIFY(!row->findChild<QLabel*>("stage")->text().isEmpty());
        QTest::mouseClick(row->findChild<QPushButton*>("cancel"), Qt::LeftButton);
        QCOMPARE(waitForJob(id, 30000), jobs::JobState::Cancelled);
        QCOMPARE(doc.document().revision(), revision);
        QCOMPARE(doc.undoStack()->index(), undoIndex);
        QTRY_VERIFY(row->findChild<QPushButton*>("retry")->isEnabled());
    }

    void imageDroppedOnTheMainWindowBecomesAPlane() {
        ui::StudioDocument& doc = m_window->document();
        const size_t assets = doc.document().assets().size();
        const QString png = testdata("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.png");
        const QImage reference(png);
        QVERIFY(!reference.isNull());
        // Dropped on the main window (over the Outliner), not on the viewport.
        sendDrop(m_window.get(), m_window->outliner(), png);
        QTRY_COMPARE_WITH_TIMEOUT(doc.document().assets().size(), assets + 1, 30000);
        const core::Asset& plane = doc.document().assets().back().currentVersion().asset;
        const core::Mesh* mesh = plane.mesh();
        QVERIFY(mesh);
        QCOMPARE(mesh->triangleCount(), size_t(2));
        QCOMPARE(mesh->textures.size(), size_t(1));
        QCOMPARE(mesh->materials.front().baseColorTexture, 0);
        QCOMPARE(mesh->textures.front().mimeType, std::string("image/png"));
        QFile f(png);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QCOMPARE(mesh->textures.front().encoded.size(), size_t(bytes.size()));
        QVERIFY(std::equal(bytes.begin(), bytes.end(), reinterpret_cast<const char*>(mesh->textures.front().encoded.data())));
        const core::Bounds b = core::computeBounds(*mesh);
        QVERIFY(std::abs(b.size().x / b.size().y - float(reference.width()) / float(reference.height())) < 1e-3f);
        QCOMPARE(m_window->outliner()->tree()->topLevelItemCount(), int(assets + 1));
        m_window->viewport()->frameSelected();
        presentFrame();
        grabScreen(m_window->viewportWidget()).save(outputDir() + "/viewport_image_plane.png");
        doc.undoStack()->undo();
        QCOMPARE(doc.document().assets().size(), assets);
        doc.select(onlyAsset());
        m_window->viewport()->frameSelected();
    }

    void recentFilesAreUpdatedAndPersisted() {
        // The image just dropped is the most recent file, in the menu and in the settings.
        const QString png = QFileInfo(testdata("gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.png")).absoluteFilePath();
        QCOMPARE(m_window->recentFiles().value(0), png);
        const QList<QAction*> actions = m_window->recentMenu()->actions();
        QVERIFY(!actions.isEmpty());
        QCOMPARE(actions.front()->text(), png);
        const QString duck = QFileInfo(testdata("gltf/Duck/Duck.glb")).absoluteFilePath();
        QVERIFY(m_window->recentFiles().contains(duck));
        QSettings().sync();
        QSettings fresh(QSettings().fileName(), QSettings::NativeFormat);
        QCOMPARE(fresh.value("recentFiles").toStringList().value(0), png);
        // Opening from the menu works (and moves the entry to the top).
        const size_t assets = m_window->document().document().assets().size();
        const std::vector<jobs::JobId> before = m_window->jobs().ids();
        const auto duckAction = std::find_if(actions.begin(), actions.end(), [&](QAction* a) { return a->text() == duck; });
        QVERIFY(duckAction != actions.end());
        (*duckAction)->trigger();
        QCOMPARE(waitForJob(m_window->jobs().ids().back()), jobs::JobState::Succeeded);
        QVERIFY(m_window->jobs().ids().size() > before.size());
        QCOMPARE(m_window->document().document().assets().size(), assets + 1);
        QCOMPARE(m_window->recentFiles().value(0), duck);
        m_window->document().undoStack()->undo();
        m_window->document().select(onlyAsset());
    }

    void preferencesDialogChangesAreAppliedAndPersisted() {
        ui::PreferencesDialog* dialog = m_window->showPreferences();
        QVERIFY(dialog && dialog->isVisible());
        auto* nav = dialog->findChild<QComboBox*>("navigation");
        auto* threads = dialog->findChild<QSpinBox*>("threads");
        QVERIFY(nav && threads);
        // The model packs, installed or not, with their licences.
        auto* packs = dialog->findChild<QLabel*>("modelPacks");
        QVERIFY(packs);
        for (const char* want : {"isnet", "esrgan-slim", "MIT (IS-Net", "MIT (ESRGAN-slim"}) QVERIFY2(packs->text().contains(want), want);
        QVERIFY(packs->text().contains("installed"));
        auto* sort = dialog->findChild<QComboBox*>("splatSort");
        QVERIFY(sort);
        QCOMPARE(sort->currentData().toString(), QString("auto"));
        QVERIFY(m_window->renderer().splatSort() == render::SplatSort::Cpu);  // automatic on lavapipe: the CPU worker
        nav->setCurrentIndex(nav->findData("maya"));
        threads->setValue(1);
        sort->setCurrentIndex(sort->findData("gpu"));
        QTest::mouseClick(dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(m_window->viewport()->navigationStyle() == render::NavigationStyle::Maya);
        QCOMPARE(models::computeThreads(), 1);
        QVERIFY(m_window->renderer().splatSort() == render::SplatSort::Gpu);
        QVERIFY(m_window->viewport()->renderNow());  // a frame with the compute sort
        const ui::Preferences stored = ui::Preferences::load();
        QCOMPARE(stored.navigation, QString("maya"));
        QCOMPARE(stored.threads, 1);
        QCOMPARE(stored.splatSort, QString("gpu"));
        // Cancel changes nothing; OK again restores the defaults.
        dialog = m_window->showPreferences();
        dialog->findChild<QComboBox*>("navigation")->setCurrentIndex(0);
        QTest::mouseClick(dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Cancel), Qt::LeftButton);
        QVERIFY(m_window->viewport()->navigationStyle() == render::NavigationStyle::Maya);
        dialog = m_window->showPreferences();
        dialog->findChild<QComboBox*>("navigation")->setCurrentIndex(dialog->findChild<QComboBox*>("navigation")->findData("blender"));
        dialog->findChild<QSpinBox*>("threads")->setValue(0);
        dialog->findChild<QComboBox*>("splatSort")->setCurrentIndex(0);
        QTest::mouseClick(dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(m_window->viewport()->navigationStyle() == render::NavigationStyle::Blender);
        QCOMPARE(ui::Preferences::load().threads, 0);
        QVERIFY(m_window->renderer().splatSort() == render::SplatSort::Cpu);
        // The splat rasterizer: compute tiles bin from the CPU sort, so the dialog never pairs
        // them with the GPU sort; the choice applies and persists.
        dialog = m_window->showPreferences();
        auto* path = dialog->findChild<QComboBox*>("splatPath");
        sort = dialog->findChild<QComboBox*>("splatSort");
        QVERIFY(path && sort);
        QCOMPARE(path->currentData().toString(), QString("auto"));
        sort->setCurrentIndex(sort->findData("gpu"));
        path->setCurrentIndex(path->findData("compute"));
        QCOMPARE(sort->currentData().toString(), QString("auto"));
        sort->setCurrentIndex(sort->findData("gpu"));
        QCOMPARE(path->currentData().toString(), QString("auto"));
        path->setCurrentIndex(path->findData("compute"));
        QTest::mouseClick(dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(m_window->renderer().splatPath() == render::SplatPath::Compute);
        QVERIFY(m_window->renderer().splatSort() == render::SplatSort::Cpu);
        QCOMPARE(ui::Preferences::load().splatPath, QString("compute"));
        QVERIFY(m_window->viewport()->renderNow());
        // The host path: the same pairing rule, applied and persisted.
        dialog = m_window->showPreferences();
        path = dialog->findChild<QComboBox*>("splatPath");
        sort = dialog->findChild<QComboBox*>("splatSort");
        sort->setCurrentIndex(sort->findData("gpu"));
        QCOMPARE(path->currentData().toString(), QString("auto"));
        path->setCurrentIndex(path->findData("host"));
        QCOMPARE(sort->currentData().toString(), QString("auto"));
        QTest::mouseClick(dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(m_window->renderer().splatPath() == render::SplatPath::Host);
        QCOMPARE(ui::Preferences::load().splatPath, QString("host"));
        QVERIFY(m_window->viewport()->renderNow());
        dialog = m_window->showPreferences();
        dialog->findChild<QComboBox*>("splatPath")->setCurrentIndex(0);
        QTest::mouseClick(dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(m_window->renderer().splatPath() != render::SplatPath::Compute);  // auto: per frame on a CPU device, raster on a GPU
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

    void saveWritesOnAWorkerLikeSaveAs() {
        // File > Save is Save As's job aimed at the document's own path: it hands back the job, the
        // window keeps running while the project is written, and the document is saved after.
        ui::StudioDocument& doc = m_window->document();
        const QString path = outputDir() + "/session.kiln";
        QCOMPARE(doc.path(), path);  // opened by saveAndReopenProject
        doc.select(onlyAsset());
        m_window->outliner()->duplicateSelected();
        QVERIFY(doc.isModified());
        const jobs::JobId id = m_window->save();
        QVERIFY(id != 0);
        QCOMPARE(m_window->jobs().entry(id)->name, QString("Save session.kiln"));
        QCOMPARE(waitForJob(id), jobs::JobState::Succeeded);
        QVERIFY(!doc.isModified());
        QCOMPARE(io::loadProject(path.toStdString()).assets().size(), size_t(2));
        doc.undoStack()->undo();  // back to the duck alone for the tests below
        QCOMPARE(doc.document().assets().size(), size_t(1));
    }

    void choosingSaveWhenClosingClosesOnceTheSaveJobIsDone() {
        auto second = std::make_unique<ui::MainWindow>();
        second->show();
        QVERIFY(QTest::qWaitForWindowExposed(second.get()));
        const QString path = outputDir() + "/closing.kiln";
        QDir(path).removeRecursively();
        second->document().setPath(path);
        second->document().change("Add", m_window->document().document());
        QVERIFY(second->document().isModified());
        QTimer::singleShot(200, [] {
            if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) box->button(QMessageBox::Save)->click();
        });
        QVERIFY(!second->close());  // not yet: the project is written by a job first
        QTRY_VERIFY_WITH_TIMEOUT(!second->isVisible(), 60000);
        QVERIFY(!second->document().isModified());
        QCOMPARE(io::loadProject(path.toStdString()).assets().size(), m_window->document().document().assets().size());
    }

    void autosaveIsRecoveredAfterACrash() {
        // An unsaved change, autosaved. A second studio started while this one runs must not
        // offer this studio's autosave...
        ui::StudioDocument& doc = m_window->document();
        doc.select(onlyAsset());
        m_window->outliner()->duplicateSelected();
        QVERIFY(doc.isModified());
        QCOMPARE(waitForJob(m_window->autosaveNow()), jobs::JobState::Succeeded);
        QVERIFY(QFileInfo(m_window->autosavePath()).isDir());
        {
            auto second = std::make_unique<ui::MainWindow>();
            QVERIFY(second->autosavePath() != m_window->autosavePath());
            QVERIFY(!second->recoveryAvailable());
        }
        QVERIFY2(QFileInfo(m_window->autosavePath()).isDir(), "another studio's exit removed this one's autosave");
        // ...but one whose studio crashed (its lock names a process that is gone) is offered and recovered.
        QProcess gone;
        gone.start("true", {});
        QVERIFY(gone.waitForFinished());
        const qint64 deadPid = gone.processId() ? gone.processId() : 999999;
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
        const QString instance = QString("%1-crashed").arg(deadPid);
        QVERIFY(QProcess::execute("cp", {"-r", m_window->autosavePath(), dir + "/autosave-" + instance + ".kiln"}) == 0);
        {
            QFile lock(dir + "/session-" + instance + ".lock");
            QVERIFY(lock.open(QIODevice::WriteOnly));
            lock.write(QByteArray::number(deadPid));
        }
        auto second = std::make_unique<ui::MainWindow>();
        QVERIFY(second->recoveryAvailable());
        QCOMPARE(second->recoverableAutosave(), dir + "/autosave-" + instance + ".kiln");
        QCOMPARE(waitForJob_in(*second, second->recover()), jobs::JobState::Succeeded);
        QCOMPARE(second->document().document().assets().size(), size_t(2));
        QVERIFY(second->document().isModified());
        // Claimed: the orphan is gone (now the second studio's own autosave) and not offered again.
        QVERIFY(!QFileInfo::exists(dir + "/autosave-" + instance + ".kiln"));
        QVERIFY(!QFileInfo::exists(dir + "/session-" + instance + ".lock"));
        QVERIFY(QFileInfo(second->autosavePath()).isDir());
        QVERIFY(!m_window->recoveryAvailable());
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
        const QString settingsFile = QSettings().fileName();
        QSettings().clear();
        QFile::remove(settingsFile);
    }

private:
    jobs::JobState waitForJob_in(ui::MainWindow& w, jobs::JobId id) {
        [&] { QTRY_VERIFY_WITH_TIMEOUT(w.jobs().entry(id) && jobs::isFinal(w.jobs().entry(id)->snapshot.state), 60000); }();
        return w.jobs().entry(id) ? w.jobs().entry(id)->snapshot.state : jobs::JobState::Failed;
    }
};

// Started with VK_ICD_FILENAMES naming a file that does not exist (its own CTest entry): the
// studio cannot find a Vulkan driver and must say so clearly instead of crashing.
class StudioNoVulkanTest : public QObject {
    Q_OBJECT
private slots:
    void startupWithoutVulkanExplainsWhy() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(qEnvironmentVariableIsSet("VK_ICD_FILENAMES"));
        try {
            ui::MainWindow window;
            QFAIL("a main window was made without a Vulkan driver");
        } catch (const Error& e) {
            const QString what = QString::fromUtf8(e.what());
            qInfo("message: %s", qPrintable(what));
            QVERIFY2(what.contains("Vulkan"), qPrintable(what));
            QVERIFY2(what.contains("VK_ICD_FILENAMES"), qPrintable(what));
            QVERIFY2(what.contains("lavapipe"), qPrintable(what));
        }
    }
};

int main(int argc, char** argv) {
    kiln::models::prepareComputeEnvironment(argc, argv);  // as kiln-studio starts
    QApplication app(argc, argv);
    app.setAttribute(Qt::AA_Use96Dpi, true);
    QTEST_SET_MAIN_SOURCE_PATH
    if (qEnvironmentVariableIsSet("KILN_STUDIO_TEST_NO_VULKAN")) {
        StudioNoVulkanTest test;
        return QTest::qExec(&test, argc, argv);
    }
    StudioTest test;
    return QTest::qExec(&test, argc, argv);
}
#include "studio_test.moc"
