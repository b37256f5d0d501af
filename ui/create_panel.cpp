#include "ui/create_panel.h"

#include "core/error.h"
#include "io/image_io.h"
#include "models/matting.h"
#include "models/model_paths.h"
#include "pipelines/pipeline.h"
#include "ui/preview_thumbnailer.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QCoreApplication>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTabWidget>
#include <QTimer>
#include <QToolButton>
#include <QtConcurrent/QtConcurrentRun>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

namespace kiln::ui {

namespace {

using pipelines::InputKind;
using pipelines::OptionType;
using pipelines::OutputKind;
using RequestFn = std::function<CreatePanel::Request()>;

QString qs(const std::string& s) { return QString::fromStdString(s); }

// Reads an option's value from its widget as the text the schema parses.
using ValueFn = std::function<std::string()>;

QString shortened(QString s, int n = 40) { return s.size() > n ? s.left(n) + QStringLiteral("…") : s; }

// One input row per declared input; returns how to read it into the request's inputs.
std::function<void(pipelines::PipelineInputs&, QString& subject)> addInput(QFormLayout& form, const pipelines::InputSpec& in,
                                                                          const CreatePanel::AssetFn* asset) {
    QWidget* page = form.parentWidget();
    switch (in.kind) {
    case InputKind::Prompt: {
        auto* prompt = new QPlainTextEdit;
        prompt->setObjectName("prompt");
        prompt->setPlaceholderText(qs(in.help));
        prompt->setMaximumHeight(80);
        form.addRow(qs(in.label), prompt);
        return [prompt](pipelines::PipelineInputs& inputs, QString& subject) {
            inputs.prompt = prompt->toPlainText().trimmed().toStdString();
            if (inputs.prompt.empty()) throw Error("type a prompt first, e.g. \"a tall red ceramic vase\"");
            subject = QStringLiteral("\u201c%1\u201d").arg(shortened(qs(inputs.prompt)));
        };
    }
    case InputKind::PosedViews: {
        auto* row = new QHBoxLayout;
        auto* input = new QLineEdit;
        input->setObjectName("input");
        input->setPlaceholderText(qs(in.help));
        auto* file = new QToolButton;
        file->setObjectName("browseFile");
        file->setText(QObject::tr("File…"));
        file->setToolTip(QObject::tr("Choose a nerfstudio / NeRF-Synthetic transforms.json"));
        auto* folder = new QToolButton;
        folder->setObjectName("browseFolder");
        folder->setText(QObject::tr("Folder…"));
        folder->setToolTip(QObject::tr("Choose a COLMAP folder (cameras.txt, images.txt), a folder with transforms.json, or a folder of photos "
                                       "without poses (COLMAP poses them)"));
        QObject::connect(file, &QToolButton::clicked, page, [page, input] {
            const QString f = QFileDialog::getOpenFileName(page, QObject::tr("Posed views"), input->text(),
                                                           QObject::tr("Camera poses (transforms*.json);;All files (*)"));
            if (!f.isEmpty()) input->setText(f);
        });
        QObject::connect(folder, &QToolButton::clicked, page, [page, input] {
            const QString d = QFileDialog::getExistingDirectory(page, QObject::tr("Posed views folder"), input->text());
            if (!d.isEmpty()) input->setText(d);
        });
        row->addWidget(input, 1);
        row->addWidget(file);
        row->addWidget(folder);
        form.addRow(qs(in.label), row);
        return [input](pipelines::PipelineInputs& inputs, QString& subject) {
            const QString path = input->text().trimmed();
            if (path.isEmpty()) throw Error("choose a transforms.json file or a COLMAP folder first");
            inputs.views = path.toStdString();
            if (!std::filesystem::exists(inputs.views)) throw Error(inputs.views.string() + " does not exist");
            const QFileInfo fi(path);
            subject = fi.isDir() ? QDir(path).dirName() : fi.absoluteDir().dirName();
        };
    }
    case InputKind::Images: {
        auto* row = new QHBoxLayout;
        auto* images = new QLineEdit;
        images->setObjectName("images");
        images->setPlaceholderText(qs(in.help));
        images->setToolTip(QObject::tr("Image files, separated by ';'"));
        auto* browse = new QToolButton;
        browse->setObjectName("browseImages");
        browse->setText(QObject::tr("Images…"));
        const int maxCount = in.maxCount;
        QObject::connect(browse, &QToolButton::clicked, page, [page, images, maxCount] {
            const QStringList files = QFileDialog::getOpenFileNames(page, QObject::tr("Images"), QString(),
                                                                    QObject::tr("Images (*.png *.jpg *.jpeg *.exr *.tif *.tiff *.webp *.bmp)"));
            if (!files.isEmpty()) images->setText(files.mid(0, maxCount).join(';'));
        });
        row->addWidget(images, 1);
        row->addWidget(browse);
        form.addRow(qs(in.label), row);
        return [images](pipelines::PipelineInputs& inputs, QString& subject) {
            for (const QString& f : images->text().split(';', Qt::SkipEmptyParts)) inputs.images.emplace_back(f.trimmed().toStdString());
            if (inputs.images.empty()) throw Error("choose an image first");
            subject = QFileInfo(qs(inputs.images.front().string())).fileName();
        };
    }
    case InputKind::Asset: {
        auto* note = new QLabel(QObject::tr("The selected asset"));
        note->setObjectName("asset");
        form.addRow(qs(in.label), note);
        return [asset](pipelines::PipelineInputs& inputs, QString& subject) {
            std::optional<core::Asset> a = *asset ? (*asset)() : std::nullopt;
            if (!a) throw Error("select an asset first (in the Outliner or the viewport)");
            subject = qs(a->name);
            inputs.asset = std::move(a);
        };
    }
    }
    return {};
}

// One widget per option; returns how to read its value as text.
ValueFn addOption(QFormLayout& form, const pipelines::OptionSpec& o, const pipelines::OptionValues& defaults) {
    const QString tip = qs(o.help);
    switch (o.type) {
    case OptionType::Int: {
        auto* spin = new QSpinBox;
        spin->setObjectName(qs(o.name));
        spin->setRange(int(std::max(o.min, double(std::numeric_limits<int>::min()))), int(std::min(o.max, double(std::numeric_limits<int>::max()))));
        spin->setValue(int(defaults.getInt(o.name)));
        spin->setToolTip(tip);
        if (o.isSeed) {
            auto* row = new QHBoxLayout;
            auto* dice = new QToolButton;
            dice->setText(QObject::tr("Dice"));
            dice->setToolTip(QObject::tr("Random seed"));
            dice->setObjectName("dice");
            QObject::connect(dice, &QToolButton::clicked, spin, [spin] { spin->setValue(int(QRandomGenerator::global()->bounded(spin->maximum()))); });
            row->addWidget(spin, 1);
            row->addWidget(dice);
            form.addRow(qs(o.label), row);
        } else {
            form.addRow(qs(o.label), spin);
        }
        return [spin] { return std::to_string(spin->value()); };
    }
    case OptionType::Float: {
        auto* spin = new QDoubleSpinBox;
        spin->setObjectName(qs(o.name));
        spin->setDecimals(3);
        spin->setRange(o.min, o.max);
        spin->setSingleStep(std::max(0.001, (o.max - o.min) / 40.0));
        spin->setValue(defaults.getFloat(o.name));
        spin->setToolTip(tip);
        form.addRow(qs(o.label), spin);
        return [spin] { return QString::number(spin->value(), 'g', 9).toStdString(); };
    }
    case OptionType::Bool: {
        auto* box = new QCheckBox(qs(o.label));
        box->setObjectName(qs(o.name));
        box->setChecked(defaults.getBool(o.name));
        box->setToolTip(tip);
        form.addRow(QString(), box);
        return [box] { return std::string(box->isChecked() ? "true" : "false"); };
    }
    case OptionType::Choice: {
        auto* combo = new QComboBox;
        combo->setObjectName(qs(o.name));
        for (std::size_t i = 0; i < o.choices.size(); ++i) combo->addItem(qs(o.choiceLabels.empty() ? o.choices[i] : o.choiceLabels[i]), qs(o.choices[i]));
        combo->setCurrentIndex(combo->findData(qs(defaults.getText(o.name))));
        combo->setToolTip(tip);
        form.addRow(qs(o.label), combo);
        return [combo] { return combo->currentData().toString().toStdString(); };
    }
    case OptionType::Text: {
        auto* edit = new QLineEdit(qs(defaults.getText(o.name)));
        edit->setObjectName(qs(o.name));
        edit->setToolTip(tip);
        form.addRow(qs(o.label), edit);
        return [edit] { return edit->text().toStdString(); };
    }
    }
    return {};
}

// Sets an option's widget to the text of a value (presets).
void setWidget(QWidget* page, const pipelines::OptionSpec& o, const std::string& text) {
    const QString name = qs(o.name);
    if (auto* s = page->findChild<QSpinBox*>(name)) s->setValue(QString::fromStdString(text).toInt());
    else if (auto* d = page->findChild<QDoubleSpinBox*>(name)) d->setValue(QString::fromStdString(text).toDouble());
    else if (auto* c = page->findChild<QComboBox*>(name)) c->setCurrentIndex(c->findData(qs(text)));
    else if (auto* b = page->findChild<QCheckBox*>(name)) b->setChecked(text == "true" || text == "1" || text == "on");
    else if (auto* e = page->findChild<QLineEdit*>(name)) e->setText(qs(text));
}

// The quality preset row: choosing a preset sets its options; touching one of them shows "Custom".
void addPresets(QFormLayout& form, int row, const pipelines::OptionsSchema& schema) {
    if (schema.presets.empty()) return;
    QWidget* page = form.parentWidget();
    auto* quality = new QComboBox;
    quality->setObjectName("quality");
    for (const auto& p : schema.presets) quality->addItem(qs(p.label.empty() ? p.name : p.label), qs(p.name));
    quality->addItem(QObject::tr("Custom"));
    int def = 0;
    for (std::size_t i = 0; i < schema.presets.size(); ++i)
        if (schema.presets[i].name == schema.defaultPreset) def = int(i);
    quality->setCurrentIndex(def);
    form.insertRow(row, QObject::tr("Quality"), quality);
    auto guard = std::make_shared<bool>(false);
    QObject::connect(quality, &QComboBox::currentIndexChanged, page, [page, schema, guard](int i) {
        if (i < 0 || i >= int(schema.presets.size())) return;
        *guard = true;
        for (const auto& [name, text] : schema.presets[std::size_t(i)].values)
            if (const auto* o = schema.find(name)) setWidget(page, *o, text);
        *guard = false;
    });
    // Any option a preset sets, changed by hand, makes the preset "Custom".
    for (const auto& p : schema.presets)
        for (const auto& [name, text] : p.values) {
            auto toCustom = [quality, guard, schema] {
                if (*guard) return;
                const int i = quality->currentIndex();
                if (i >= 0 && i < int(schema.presets.size())) quality->setCurrentIndex(int(schema.presets.size()));
            };
            const QString n = qs(name);
            if (auto* s = page->findChild<QSpinBox*>(n)) QObject::connect(s, &QSpinBox::valueChanged, page, toCustom);
            else if (auto* d = page->findChild<QDoubleSpinBox*>(n)) QObject::connect(d, &QDoubleSpinBox::valueChanged, page, toCustom);
            else if (auto* c = page->findChild<QComboBox*>(n)) QObject::connect(c, &QComboBox::currentIndexChanged, page, toCustom);
        }
}

void fillModels(QComboBox* box, const std::string& slot) {
    const QString current = box->currentData().toString();
    box->clear();
    box->addItem(QObject::tr("Default"), QString());
    for (const auto& m : models::listModels(slot))
        box->addItem(QStringLiteral("%1 (v%2%3)").arg(qs(m.manifest.name), qs(m.manifest.version), m.bundled ? QObject::tr(", bundled") : QString()),
                     qs(m.dir.string()));
    const int i = box->findData(current);
    box->setCurrentIndex(i < 0 ? 0 : i);
}

// What the first photo's matte will be, for the preview under an image tab's photos.
struct MattePreview {
    QImage image;    // the photo cut out over a checkerboard, at most kSize pixels a side
    QString status;  // "r_0.png: alpha matte, 23.4 % of the image", or the error a run would give
    bool ok = false;
    core::Image photo, alpha;  // the photo and its matte (F32, one channel), for the brush
};

// The photo cut out by `alpha` over a checkerboard, `scale` preview pixels per photo pixel.
QImage cutOut(const core::Image& image, const core::Image& alpha, double scale) {
    const int w = std::max(1, int(image.width * scale)), h = std::max(1, int(image.height * scale));
    QImage out(w, h, QImage::Format_RGB32);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int sx = std::min(image.width - 1, int(x / scale)), sy = std::min(image.height - 1, int(y / scale));
            const float a = std::clamp(alpha.f32[std::size_t(sy) * std::size_t(image.width) + std::size_t(sx)], 0.0f, 1.0f);
            const float check = ((x / 8 + y / 8) % 2) ? 0.8f : 0.6f;
            int c[3];
            for (int k = 0; k < 3; ++k) c[k] = int(std::lround(255.0f * (a * image.at(sx, sy, image.channels >= 3 ? k : 0) + (1.0f - a) * check)));
            out.setPixel(x, y, qRgb(c[0], c[1], c[2]));
        }
    return out;
}

// The cut-out preview, painted on to correct the matte: the left button adds to the object, the
// right button removes (a brush of 6 preview pixels); on release `done` gets the corrected matte.
class MatteBrush final : public QLabel {
public:
    static constexpr int kSize = 160;
    std::function<void(const core::Image& alpha)> done;
    void show(const MattePreview& r) {
        m_photo = r.photo;
        m_alpha = r.alpha;
        m_scale = m_photo.empty() ? 1.0 : double(kSize) / double(std::max(m_photo.width, m_photo.height));
        setPixmap(r.ok ? QPixmap::fromImage(r.image) : QPixmap());
        if (!r.ok) m_alpha = {};
    }

protected:
    void mousePressEvent(QMouseEvent* e) override { paintAt(e); }
    void mouseMoveEvent(QMouseEvent* e) override {
        if (e->buttons() & (Qt::LeftButton | Qt::RightButton)) paintAt(e);
    }
    void mouseReleaseEvent(QMouseEvent*) override {
        if (m_painted && done) done(m_alpha);
        m_painted = false;
    }

private:
    void paintAt(QMouseEvent* e) {
        if (m_alpha.empty() || pixmap().isNull()) return;
        const bool add = e->buttons() & Qt::LeftButton;
        // The pixmap is centred in the label.
        const QPointF origin((width() - pixmap().width()) / 2.0, (height() - pixmap().height()) / 2.0);
        const QPointF p = (e->position() - origin) / m_scale;
        const double radius = 6.0 / m_scale;
        for (int y = std::max(0, int(p.y() - radius)); y <= std::min(m_alpha.height - 1, int(p.y() + radius)); ++y)
            for (int x = std::max(0, int(p.x() - radius)); x <= std::min(m_alpha.width - 1, int(p.x() + radius)); ++x)
                if ((x - p.x()) * (x - p.x()) + (y - p.y()) * (y - p.y()) <= radius * radius)
                    m_alpha.f32[std::size_t(y) * std::size_t(m_alpha.width) + std::size_t(x)] = add ? 1.0f : 0.0f;
        m_painted = true;
        setPixmap(QPixmap::fromImage(cutOut(m_photo, m_alpha, m_scale)));
    }
    core::Image m_photo, m_alpha;
    double m_scale = 1.0;
    bool m_painted = false;
};

MattePreview computeMattePreview(const std::string& file, const std::string& mask, const std::string& method) {
    MattePreview out;
    const std::string name = std::filesystem::path(file).filename().string();
    try {
        if (!std::filesystem::is_regular_file(file)) throw Error(file + ": no such image file");
        const core::Image image = io::readImage(file);
        core::Image alpha;
        std::string how;
        if (!mask.empty()) {
            alpha = models::matteFromMaskFile(mask, image, name);
            how = "the mask " + std::filesystem::path(mask).filename().string();
        } else {
            models::MatteOptions mo;
            mo.method = method.empty() ? "auto" : method;
            const models::Matte m = models::matteImage(image, mo, name);
            alpha = m.alpha;
            how = m.method + " matte";
        }
        double covered = 0.0;
        for (const float a : alpha.f32) covered += a >= 0.5f;
        if (covered == 0.0) throw Error(name + ": no object found (the matte is empty)");
        out.image = cutOut(image, alpha, double(MatteBrush::kSize) / double(std::max(image.width, image.height)));
        out.photo = image;
        out.alpha = alpha;
        char line[64];
        std::snprintf(line, sizeof line, ", %.1f %% of the image", 100.0 * covered / double(alpha.f32.size()));
        out.status = QString::fromStdString(name + ": " + how + line);
        out.ok = true;
    } catch (const Error& e) {
        out.status = QString::fromStdString(e.what());
    }
    return out;
}

// Under an image tab's photos (a tab with "images", "mask" and "matte" fields): the first photo cut
// out by the matte the job would use, recomputed off the GUI thread whenever one of them changes.
void addMattePreview(QFormLayout& form) {
    QWidget* page = form.parentWidget();
    auto* images = page->findChild<QLineEdit*>("images");
    auto* mask = page->findChild<QLineEdit*>("mask");
    auto* method = page->findChild<QComboBox*>("matte");
    if (!images || !mask || !method) return;
    auto* preview = new MatteBrush;
    preview->setObjectName("mattePreview");
    preview->setToolTip(QObject::tr("Paint to correct the cut-out: left button adds to the object, right button removes"));
    preview->setMinimumSize(MatteBrush::kSize, MatteBrush::kSize);
    preview->setAlignment(Qt::AlignCenter);
    auto* status = new QLabel(QObject::tr("Choose a photo to see its cut-out"));
    status->setObjectName("matteStatus");
    status->setWordWrap(true);
    auto* box = new QVBoxLayout;
    box->addWidget(preview);
    box->addWidget(status);
    form.addRow(QObject::tr("Cut-out"), box);
    auto* timer = new QTimer(page);
    timer->setSingleShot(true);
    timer->setInterval(250);
    auto* watcher = new QFutureWatcher<MattePreview>(page);
    auto pending = std::make_shared<bool>(false);
    auto start = [=] {
        if (watcher->isRunning()) {
            *pending = true;  // once this one is done
            return;
        }
        const QStringList files = images->text().split(';', Qt::SkipEmptyParts);
        if (files.isEmpty()) {
            preview->clear();
            status->setText(QObject::tr("Choose a photo to see its cut-out"));
            return;
        }
        status->setText(QObject::tr("Removing the background…"));
        watcher->setFuture(QtConcurrent::run(computeMattePreview, files.front().trimmed().toStdString(), mask->text().trimmed().toStdString(),
                                             method->currentData().toString().toStdString()));
    };
    QObject::connect(watcher, &QFutureWatcher<MattePreview>::finished, page, [=] {
        const MattePreview r = watcher->result();
        if (*pending) {
            *pending = false;
            start();
            return;
        }
        preview->show(r);
        status->setText(r.status);
        status->setProperty("ok", r.ok);
    });
    // A painted correction becomes the mask the job reads (a PNG in the temporary folder).
    preview->done = [mask, status](const core::Image& alpha) {
        static int counter = 0;
        const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                           ("kiln-mask-" + std::to_string(QCoreApplication::applicationPid()) + "-" + std::to_string(++counter) + ".png");
        core::Image png = core::Image::makeU8(alpha.width, alpha.height, 1);
        for (std::size_t k = 0; k < alpha.f32.size(); ++k) png.u8[k] = std::uint8_t(std::lround(std::clamp(alpha.f32[k], 0.0f, 1.0f) * 255.0f));
        try {
            io::writeImage(png, file);
            mask->setText(QString::fromStdString(file.string()));
        } catch (const Error& e) {
            status->setText(QObject::tr("The corrected cut-out could not be saved: %1").arg(QString::fromStdString(e.what())));
        }
    };
    QObject::connect(timer, &QTimer::timeout, page, start);
    QObject::connect(images, &QLineEdit::textChanged, timer, qOverload<>(&QTimer::start));
    QObject::connect(mask, &QLineEdit::textChanged, timer, qOverload<>(&QTimer::start));
    QObject::connect(method, &QComboBox::currentIndexChanged, timer, qOverload<>(&QTimer::start));
}

// Under a tab that keeps a region (an option "keep-box"): the viewport's keep tools (paint, box,
// their brush size, clear) and how many triangles are marked. The panel connects the buttons.
void addKeepTools(QFormLayout& form) {
    QWidget* page = form.parentWidget();
    auto* box = page->findChild<QLineEdit*>("keep-box");
    if (!box) return;
    auto* row = new QHBoxLayout;
    auto* brush = new QToolButton;
    brush->setObjectName("keepBrush");
    brush->setText(QObject::tr("Paint"));
    brush->setCheckable(true);
    brush->setToolTip(QObject::tr("Paint the region to keep on the selected mesh in the viewport: left drag marks, Ctrl + left drag unmarks"));
    auto* rect = new QToolButton;
    rect->setObjectName("keepRectangle");
    rect->setText(QObject::tr("Box"));
    rect->setCheckable(true);
    rect->setToolTip(QObject::tr("Drag a rectangle in the viewport: every triangle of the selected mesh under it is marked to keep "
                                 "(Ctrl: unmarked)"));
    auto* size = new QSpinBox;
    size->setObjectName("keepBrushSize");
    size->setRange(2, 300);
    size->setValue(24);
    size->setSuffix(QObject::tr(" px"));
    size->setToolTip(QObject::tr("The paint brush's radius on screen"));
    auto* visible = new QCheckBox(QObject::tr("Visible only"));
    visible->setObjectName("keepVisibleOnly");
    visible->setChecked(true);
    visible->setToolTip(QObject::tr("Paint and box only the surface you see (the front of a thin part, not its back); "
                                    "off: through the mesh, every triangle within the brush or under the box"));
    auto* clear = new QToolButton;
    clear->setObjectName("keepClear");
    clear->setText(QObject::tr("Clear"));
    clear->setToolTip(QObject::tr("Unmark everything"));
    auto* marked = new QLabel(QObject::tr("nothing marked"));
    marked->setObjectName("keepMarked");
    row->addWidget(brush);
    row->addWidget(rect);
    row->addWidget(size);
    row->addWidget(visible);
    row->addWidget(clear);
    row->addWidget(marked, 1);
    form.addRow(QObject::tr("Keep (viewport)"), row);
}

// A live tab: its form, and how its widgets become a job request.
RequestFn buildTab(QFormLayout& form, std::shared_ptr<const pipelines::Pipeline> pipeline, const CreatePanel::AssetFn* asset,
                   const CreatePanel::MarksFn* marks) {
    QWidget* page = form.parentWidget();
    const pipelines::PipelineInfo& info = pipeline->info();
    std::vector<std::function<void(pipelines::PipelineInputs&, QString&)>> readInputs;
    for (const auto& in : info.inputs) readInputs.push_back(addInput(form, in, asset));
    const pipelines::OptionValues defaults = info.schema.defaults();
    std::vector<std::pair<std::string, ValueFn>> readOptions;
    // Seed first, then the preset, then the rest in declaration order.
    for (const auto& o : info.schema.options)
        if (o.isSeed) readOptions.emplace_back(o.name, addOption(form, o, defaults));
    const int presetRow = form.rowCount();
    for (const auto& o : info.schema.options)
        if (!o.isSeed) readOptions.emplace_back(o.name, addOption(form, o, defaults));
    addPresets(form, presetRow, info.schema);  // above the options it sets
    addMattePreview(form);
    addKeepTools(form);
    const bool keepsRegion = page->findChild<QLineEdit*>("keep-box") != nullptr;
    // "Also a mesh" where a mesh is an extra the pipeline can add to what it makes anyway.
    QCheckBox* mesh = nullptr;
    const bool meshExtra = std::find(info.outputs.begin(), info.outputs.end(), OutputKind::Mesh) != info.outputs.end() &&
                           info.outputs.front() != OutputKind::Mesh;
    if (meshExtra) {
        mesh = new QCheckBox(QObject::tr("Also extract a mesh"));
        mesh->setObjectName("mesh");
        const auto& so = info.studioOutputs;
        mesh->setChecked(std::find(so.begin(), so.end(), OutputKind::Mesh) != so.end());
        form.addRow(QString(), mesh);
        // A choice that makes nothing the document holds but a mesh (a radiance field) forces it on.
        for (const auto& o : info.schema.options) {
            if (o.type != OptionType::Choice || o.choiceOutputs.empty()) continue;
            auto* combo = page->findChild<QComboBox*>(qs(o.name));
            QObject::connect(combo, &QComboBox::currentIndexChanged, page, [combo, mesh, o] {
                const int i = combo->currentIndex();
                if (i < 0 || i >= int(o.choiceOutputs.size())) return;
                const auto& makes = o.choiceOutputs[std::size_t(i)];
                const bool splats = std::find(makes.begin(), makes.end(), int(OutputKind::Splats)) != makes.end();
                if (!splats) mesh->setChecked(true);
                mesh->setEnabled(splats);
            });
        }
    }
    QComboBox* modelBox = nullptr;
    if (!info.modelSlots.empty()) {
        modelBox = new QComboBox;
        modelBox->setObjectName("model");
        modelBox->setProperty("slot", qs(info.modelSlots.front()));
        modelBox->setToolTip(QObject::tr("Model folders (manifest.json) for the %1 slot, from the bundled models and the preferences' model folders")
                                 .arg(qs(info.modelSlots.front())));
        fillModels(modelBox, info.modelSlots.front());
        form.addRow(QObject::tr("Model"), modelBox);
    }
    return [=]() -> CreatePanel::Request {
        pipelines::PipelineRequest request = pipeline->defaultRequest();
        QString subject;
        try {
            for (const auto& read : readInputs) read(request.inputs, subject);
            for (const auto& [name, read] : readOptions) info.schema.set(request.options, name, read());
            if (keepsRegion && request.inputs.asset && *marks) request.inputs.keptTriangles = (*marks)();
        } catch (const Error& e) {
            throw Error(info.displayName + ": " + e.what());
        }
        // What the document will hold: the studio's default outputs the options allow, plus a mesh.
        const auto possible = pipeline->possibleOutputs(request.options);
        request.outputs.clear();
        for (const OutputKind k : info.studioOutputs)
            if (possible.count(k) && k != OutputKind::Field && (k != OutputKind::Mesh || !mesh)) request.outputs.insert(k);
        if (mesh && mesh->isChecked() && possible.count(OutputKind::Mesh)) request.outputs.insert(OutputKind::Mesh);
        if (request.outputs.empty() && possible.count(OutputKind::Mesh)) request.outputs.insert(OutputKind::Mesh);
        if (modelBox && !modelBox->currentData().toString().isEmpty())
            request.models[info.modelSlots.front()] = modelBox->currentData().toString().toStdString();
        pipeline->validate(request);
        const bool onSelection = std::any_of(info.inputs.begin(), info.inputs.end(), [](const pipelines::InputSpec& in) { return in.kind == InputKind::Asset; });
        return {QStringLiteral("%1 %2").arg(qs(info.verb), subject),
                [pipeline, request](core::Progress& progress, const core::CancelToken& token) { return pipeline->run(request, progress, token).assets; },
                onSelection};
    };
}

} // namespace

CreatePanel::CreatePanel(QWidget* parent) : QWidget(parent) {
    setObjectName("createPanel");
    auto* layout = new QVBoxLayout(this);
    m_tabs = new QTabWidget;
    layout->addWidget(m_tabs);
    // Leaving a tab puts its keep tools down (the viewport's left button selects again).
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        for (int i = 0; i < m_tabs->count(); ++i) {
            if (i == index) continue;
            for (auto* b : {m_tabs->widget(i)->findChild<QToolButton*>("keepBrush"), m_tabs->widget(i)->findChild<QToolButton*>("keepRectangle")})
                if (b) b->setChecked(false);
        }
    });
    m_variants = new QGroupBox;
    m_variants->setObjectName("variants");
    auto* strip = new QHBoxLayout(m_variants);
    strip->setContentsMargins(4, 4, 4, 4);
    strip->addStretch(1);
    m_variants->hide();
    layout->addWidget(m_variants);
    m_variantButtons = new QButtonGroup(this);
    m_variantButtons->setExclusive(true);
    m_thumbnailer = new PreviewThumbnailer(std::chrono::milliseconds(0), this);
    connect(m_thumbnailer, &PreviewThumbnailer::thumbnailReady, this, [this](jobs::JobId key, const QImage& image) {
        for (QAbstractButton* b : m_variantButtons->buttons())
            if (b->property("thumbnailKey").toULongLong() == key) {
                b->setIcon(QIcon(QPixmap::fromImage(image)));
                b->setProperty("thumbnailed", true);
            }
    });
    rebuild();
}

void CreatePanel::showVariants(const QString& title, std::vector<Variant> variants, std::size_t current) {
    for (QAbstractButton* b : m_variantButtons->buttons()) {
        m_variantButtons->removeButton(b);
        delete b;
    }
    const auto made = std::size_t(std::count_if(variants.begin(), variants.end(), [](const Variant& v) { return !v.before; }));
    if (made == 0 || (made < 2 && made == variants.size())) {
        m_variants->hide();
        return;
    }
    m_variants->setTitle(made > 1 ? tr("%1: %2 variants (click one to use it)").arg(title).arg(made)
                                  : tr("%1: before and after (click one to show it)").arg(title));
    auto* strip = static_cast<QHBoxLayout*>(m_variants->layout());
    const int pixels = int(kVariantThumbnail * devicePixelRatioF());
    int number = 0;
    for (std::size_t i = 0; i < variants.size(); ++i) {
        const Variant& v = variants[i];
        auto* b = new QToolButton;
        b->setObjectName(v.before ? QStringLiteral("before") : QStringLiteral("variant%1").arg(number++));
        b->setCheckable(true);
        b->setChecked(i == current);
        b->setText(v.before ? tr("before") : v.label.isEmpty() ? QString::number(number) : v.label);
        b->setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
        b->setIconSize(QSize(kVariantThumbnail, kVariantThumbnail));
        b->setToolTip(v.before ? tr("The version it started from: make it current again (the result stays in the history)")
                               : tr("Variant %1 (%2): make it the current version").arg(number).arg(b->text()));
        const jobs::JobId key = m_nextThumbnail++;
        b->setProperty("thumbnailKey", QVariant::fromValue<qulonglong>(key));
        m_variantButtons->addButton(b, int(i));
        strip->insertWidget(int(i), b);
        connect(b, &QToolButton::clicked, this, [this, asset = v.asset, version = v.version] { emit variantChosen(asset, version); });
        m_thumbnailer->request(key, v.preview, pixels);
    }
    m_variants->show();
}

void CreatePanel::rebuild() {
    m_tabs->clear();
    m_requestFns.clear();
    const auto all = pipelines::PipelineRegistry::instance().all();
    if (auto* old = findChild<QLabel*>("createUnavailable")) delete old;
    if (all.empty()) {
        auto* note = new QLabel(tr("No generation pipeline is registered in this Kiln. Import, inspect and export work."));
        note->setWordWrap(true);
        note->setObjectName("createUnavailable");
        static_cast<QVBoxLayout*>(layout())->insertWidget(0, note);
    }
    for (const auto& pipeline : all) {
        const auto& info = pipeline->info();
        auto* page = new QWidget;
        page->setObjectName(qs(info.displayName));
        page->setProperty("pipelineId", qs(info.id));
        auto* form = new QFormLayout(page);
        const std::string why = pipeline->unavailableReason();
        RequestFn request = buildTab(*form, pipeline, &m_asset, &m_marks);
        auto* go = new QPushButton(tr("Generate"));
        go->setObjectName("generate");
        form->addRow(go);
        auto* message = new QLabel;
        message->setObjectName("message");
        message->setWordWrap(true);
        form->addRow(message);
        for (QLineEdit* field : page->findChildren<QLineEdit*>())
            connect(field, &QLineEdit::textChanged, this,
                    [this, id = qs(info.id), field](const QString& text) { emit textOptionEdited(id, field->objectName(), text); });
        if (auto* brush = page->findChild<QToolButton*>("keepBrush")) {
            auto* rect = page->findChild<QToolButton*>("keepRectangle");
            auto* visible = page->findChild<QCheckBox*>("keepVisibleOnly");
            // At most one tool on; both off is no tool. A tool taken up marks as this tab's
            // Visible only says (another tab may have set the viewport otherwise).
            const auto chosen = [this, brush, rect, visible](QToolButton* other, KeepTool tool, bool on) {
                if (on) {
                    const QSignalBlocker block(other);
                    other->setChecked(false);
                    emit keepVisibleOnlyChanged(visible->isChecked());
                }
                emit keepToolChosen(on ? tool : brush->isChecked() ? KeepTool::Brush : rect->isChecked() ? KeepTool::Box : KeepTool::None);
            };
            connect(brush, &QToolButton::toggled, this, [=](bool on) { chosen(rect, KeepTool::Brush, on); });
            connect(rect, &QToolButton::toggled, this, [=](bool on) { chosen(brush, KeepTool::Box, on); });
            connect(page->findChild<QSpinBox*>("keepBrushSize"), &QSpinBox::valueChanged, this, [this](int px) { emit keepBrushRadiusChanged(px); });
            connect(visible, &QCheckBox::toggled, this, [this](bool on) { emit keepVisibleOnlyChanged(on); });
            connect(page->findChild<QToolButton*>("keepClear"), &QToolButton::clicked, this, [this] { emit keepMarksCleared(); });
        }
        // Long forms scroll inside their tab rather than making the window taller.
        auto* scroll = new QScrollArea;
        scroll->setObjectName(qs(info.displayName));
        scroll->setProperty("pipelineId", qs(info.id));
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setWidgetResizable(true);
        scroll->setWidget(page);
        const int index = m_tabs->addTab(scroll, qs(info.displayName));
        m_tabs->setTabToolTip(index, qs(info.description));
        const bool live = why.empty();
        m_requestFns.push_back(live ? std::move(request) : RequestFn{});
        if (live) {
            const QString title = qs(info.displayName);
            connect(go, &QPushButton::clicked, this, [this, title] { generate(title); });
        } else {
            scroll->setEnabled(false);
            scroll->setToolTip(qs(why));
            m_tabs->setTabEnabled(index, false);
            m_tabs->setTabToolTip(index, qs(why));
        }
    }
    for (int i = 0; i < m_tabs->count(); ++i)
        if (m_tabs->isTabEnabled(i)) {
            m_tabs->setCurrentIndex(i);
            break;
        }
}

void CreatePanel::showKeepMarks(std::size_t marked) {
    for (QLabel* label : findChildren<QLabel*>("keepMarked"))
        label->setText(marked == 0 ? tr("nothing marked") : tr("%n triangle(s) marked to keep", nullptr, int(marked)));
}

jobs::JobId CreatePanel::generate(const QString& title) {
    int index = -1;
    for (int i = 0; i < m_tabs->count(); ++i)
        if (m_tabs->widget(i)->objectName() == title || m_tabs->widget(i)->property("pipelineId").toString() == title) index = i;
    if (index < 0 || !m_requestFns[std::size_t(index)] || !m_submit) return 0;
    auto* message = m_tabs->widget(index)->findChild<QLabel*>("message");
    try {
        Request r = m_requestFns[std::size_t(index)]();
        message->clear();
        return m_submit(std::move(r));
    } catch (const std::exception& e) {
        const QString why = QString::fromUtf8(e.what());
        message->setText(why);
        emit rejected(why);
        return 0;
    }
}

void CreatePanel::setModelFolders(const QStringList& folders) {
    std::vector<std::filesystem::path> paths;
    for (const QString& f : folders) paths.emplace_back(f.toStdString());
    models::setUserModelFolders(std::move(paths));
    for (QComboBox* box : findChildren<QComboBox*>("model")) fillModels(box, box->property("slot").toString().toStdString());
}

} // namespace kiln::ui
