#include "ui/create_panel.h"

#include "core/error.h"

#if KILN_WITH_TORCH
#include "pipelines/reconstruct.h"
#include "textgen/text_to_3d.h"
#endif

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <filesystem>

namespace kiln::ui {

namespace {

using RequestFn = std::function<CreatePanel::Request()>;

// One Create tab. An unavailable tab is built (so the artist sees what it will take) but disabled
// with `reason` as its tooltip. `build` adds the tab's option widgets to its form and returns how
// they become a job request (empty for an unavailable tab). Making a tab live is: a builder and
// `available = true`.
struct TabSpec {
    const char* title;
    bool available;
    QString reason;
    std::function<RequestFn(QFormLayout& form)> build;
};

QSpinBox* addSeedRow(QFormLayout& form) {
    auto* row = new QHBoxLayout;
    auto* seed = new QSpinBox;
    seed->setRange(0, 2147483647);
    seed->setObjectName("seed");
    auto* dice = new QToolButton;
    dice->setText(QObject::tr("Dice"));
    dice->setToolTip(QObject::tr("Random seed"));
    dice->setObjectName("dice");
    QObject::connect(dice, &QToolButton::clicked, seed, [seed] { seed->setValue(int(QRandomGenerator::global()->bounded(2147483647))); });
    row->addWidget(seed, 1);
    row->addWidget(dice);
    form.addRow(QObject::tr("Seed"), row);
    return seed;
}

// The options a pipeline that is not live yet will take, shown disabled.
std::function<RequestFn(QFormLayout&)> placeholder(const char* input, bool prompt) {
    return [input, prompt](QFormLayout& form) -> RequestFn {
        if (input) {
            auto* edit = new QLineEdit;
            edit->setPlaceholderText(QObject::tr(input));
            form.addRow(QObject::tr("Input"), edit);
        }
        if (prompt) {
            auto* text = new QPlainTextEdit;
            text->setPlaceholderText(QObject::tr("Describe the asset"));
            text->setMaximumHeight(80);
            form.addRow(QObject::tr("Prompt"), text);
        }
        addSeedRow(form);
        auto* quality = new QComboBox;
        quality->addItems({QObject::tr("Draft"), QObject::tr("Standard"), QObject::tr("High")});
        quality->setCurrentIndex(1);
        form.addRow(QObject::tr("Quality"), quality);
        auto* model = new QComboBox;
        model->setObjectName("model");
        form.addRow(QObject::tr("Model"), model);
        return {};
    };
}

#if KILN_WITH_TORCH
// Radiance-field fitting ("field") came with ReconstructOptions::fieldResolution; an engine without
// it offers splats only.
template <typename Options>
constexpr bool kHasFieldFitting = requires(Options o) { o.fieldResolution; };

// Views -> 3D (engine/pipelines/reconstruct.h): posed photos or renders to splats, optionally a mesh.
RequestFn buildViewsTab(QFormLayout& form) {
    QWidget* page = form.parentWidget();
    auto* inputRow = new QHBoxLayout;
    auto* input = new QLineEdit;
    input->setObjectName("input");
    input->setPlaceholderText(QObject::tr("transforms.json or a COLMAP folder"));
    auto* file = new QToolButton;
    file->setObjectName("browseFile");
    file->setText(QObject::tr("File…"));
    file->setToolTip(QObject::tr("Choose a nerfstudio / NeRF-Synthetic transforms.json"));
    auto* folder = new QToolButton;
    folder->setObjectName("browseFolder");
    folder->setText(QObject::tr("Folder…"));
    folder->setToolTip(QObject::tr("Choose a COLMAP folder (cameras.txt, images.txt) or a folder with transforms.json"));
    QObject::connect(file, &QToolButton::clicked, page, [page, input] {
        const QString f = QFileDialog::getOpenFileName(page, QObject::tr("Posed views"), input->text(),
                                                       QObject::tr("Camera poses (transforms*.json);;All files (*)"));
        if (!f.isEmpty()) input->setText(f);
    });
    QObject::connect(folder, &QToolButton::clicked, page, [page, input] {
        const QString d = QFileDialog::getExistingDirectory(page, QObject::tr("Posed views folder"), input->text());
        if (!d.isEmpty()) input->setText(d);
    });
    inputRow->addWidget(input, 1);
    inputRow->addWidget(file);
    inputRow->addWidget(folder);
    form.addRow(QObject::tr("Input"), inputRow);

    // Only what the pipeline fits in this build (ReconstructOptions::representation). A document
    // holds meshes and splats, so a radiance field lands as its marching-cubes mesh.
    auto* representation = new QComboBox;
    representation->setObjectName("representation");
    representation->addItem(QObject::tr("Gaussian splats"), "splats");
    if constexpr (kHasFieldFitting<pipelines::ReconstructOptions>)
        representation->addItem(QObject::tr("Radiance field (as a mesh)"), "field");
    else
        representation->setToolTip(QObject::tr("Radiance-field fitting is not built into this engine"));
    form.addRow(QObject::tr("Representation"), representation);

    struct Preset {
        const char* name;
        int iterations, resolution;
    };
    static constexpr Preset kPresets[] = {{"Draft", 1000, 128}, {"Standard", 3000, 200}, {"High", 7000, 400}};
    auto* quality = new QComboBox;
    quality->setObjectName("quality");
    for (const Preset& p : kPresets) quality->addItem(QObject::tr(p.name));
    quality->addItem(QObject::tr("Custom"));
    form.addRow(QObject::tr("Quality"), quality);
    auto* iterations = new QSpinBox;
    iterations->setObjectName("iterations");
    iterations->setRange(1, 1000000);
    form.addRow(QObject::tr("Iterations"), iterations);
    auto* resolution = new QSpinBox;
    resolution->setObjectName("resolution");
    resolution->setRange(8, 4096);
    resolution->setSuffix(QObject::tr(" px"));
    resolution->setToolTip(QObject::tr("Views are downscaled until their longer side fits"));
    form.addRow(QObject::tr("Resolution"), resolution);
    QObject::connect(quality, &QComboBox::currentIndexChanged, page, [=](int i) {
        if (i < 0 || i >= int(std::size(kPresets))) return;
        const QSignalBlocker a(iterations), b(resolution);
        iterations->setValue(kPresets[i].iterations);
        resolution->setValue(kPresets[i].resolution);
    });
    auto toCustom = [=] {
        const int i = quality->currentIndex();
        if (i >= 0 && i < int(std::size(kPresets)) &&
            (iterations->value() != kPresets[i].iterations || resolution->value() != kPresets[i].resolution))
            quality->setCurrentIndex(int(std::size(kPresets)));
    };
    QObject::connect(iterations, &QSpinBox::valueChanged, page, toCustom);
    QObject::connect(resolution, &QSpinBox::valueChanged, page, toCustom);
    quality->setCurrentIndex(1);
    iterations->setValue(kPresets[1].iterations);
    resolution->setValue(kPresets[1].resolution);

    auto* mesh = new QCheckBox(QObject::tr("Also extract a mesh"));
    mesh->setObjectName("mesh");
    form.addRow(QString(), mesh);
    QObject::connect(representation, &QComboBox::currentIndexChanged, page, [=] {
        const bool field = representation->currentData().toString() == "field";
        if (field) mesh->setChecked(true);  // the mesh is what a field run adds to the document
        mesh->setEnabled(!field);
    });
    QSpinBox* seed = addSeedRow(form);

    return [=]() -> CreatePanel::Request {
        const QString path = input->text().trimmed();
        if (path.isEmpty()) throw Error("Photos/Views: choose a transforms.json file or a COLMAP folder first");
        const std::filesystem::path in = path.toStdString();
        if (!std::filesystem::exists(in)) throw Error("Photos/Views: " + in.string() + " does not exist");
        pipelines::ReconstructOptions o;
        o.representation = representation->currentData().toString().toStdString();
        o.iterations = iterations->value();
        o.resolution = resolution->value();
        o.mesh = mesh->isChecked();
        o.seed = std::uint64_t(seed->value());
        const QFileInfo fi(path);
        const QString name = fi.isDir() ? QDir(path).dirName() : fi.absoluteDir().dirName();
        return {QObject::tr("Reconstruct %1").arg(name), [in, o](core::Progress& progress, const core::CancelToken& token) {
                    return pipelines::reconstruct(in, o, progress, token).assets;
                }};
    };
}
// Text -> 3D (engine/textgen/text_to_3d.h): a prompt to splats with the bundled generator, or a
// model folder trained with `kiln train text-to-3d`; optionally a mesh.
RequestFn buildTextTab(QFormLayout& form) {
    QWidget* page = form.parentWidget();
    auto* prompt = new QPlainTextEdit;
    prompt->setObjectName("prompt");
    prompt->setPlaceholderText(QObject::tr("Describe the asset, e.g. a tall red ceramic vase"));
    prompt->setMaximumHeight(80);
    form.addRow(QObject::tr("Prompt"), prompt);
    QSpinBox* seed = addSeedRow(form);
    struct Preset {
        const char* name;
        int steps;
    };
    static constexpr Preset kPresets[] = {{"Draft", 12}, {"Standard", 32}, {"High", 64}};
    auto* quality = new QComboBox;
    quality->setObjectName("quality");
    for (const Preset& p : kPresets) quality->addItem(QObject::tr(p.name));
    form.addRow(QObject::tr("Quality"), quality);
    auto* steps = new QSpinBox;
    steps->setObjectName("steps");
    steps->setRange(1, 1000);
    steps->setToolTip(QObject::tr("Sampler steps from noise to shape"));
    form.addRow(QObject::tr("Steps"), steps);
    QObject::connect(quality, &QComboBox::currentIndexChanged, page, [=](int i) {
        if (i >= 0 && i < int(std::size(kPresets))) steps->setValue(kPresets[i].steps);
    });
    quality->setCurrentIndex(1);
    steps->setValue(kPresets[1].steps);
    auto* guidance = new QDoubleSpinBox;
    guidance->setObjectName("guidance");
    guidance->setRange(0.0, 20.0);
    guidance->setSingleStep(0.5);
    guidance->setValue(3.0);
    guidance->setToolTip(QObject::tr("Classifier-free guidance: higher follows the prompt more closely, with less variety"));
    form.addRow(QObject::tr("Guidance"), guidance);
    auto* mesh = new QCheckBox(QObject::tr("Also extract a mesh"));
    mesh->setObjectName("mesh");
    mesh->setChecked(true);
    form.addRow(QString(), mesh);
    auto* model = new QComboBox;
    model->setObjectName("textModel");
    model->addItem(QObject::tr("Bundled (text-to-3d)"), QString());
    form.addRow(QObject::tr("Model"), model);
    return [=]() -> CreatePanel::Request {
        const std::string text = prompt->toPlainText().trimmed().toStdString();
        if (text.empty()) throw Error("Text: type a prompt first, e.g. \"a tall red ceramic vase\"");
        textgen::GenerateOptions o;
        o.seed = std::uint64_t(seed->value());
        o.steps = steps->value();
        o.guidance = float(guidance->value());
        o.mesh = mesh->isChecked();
        o.model = model->currentData().toString().toStdString();
        QString name = QString::fromStdString(text);
        if (name.size() > 40) name = name.left(40) + QStringLiteral("…");
        return {QObject::tr("Generate \u201c%1\u201d").arg(name), [text, o](core::Progress& progress, const core::CancelToken& token) {
                    return textgen::generate(text, o, progress, token).assets;
                }};
    };
}
#endif

std::vector<TabSpec> tabSpecs() {
    const auto notBuilt = [](const char* pipeline) { return QObject::tr("The %1 pipeline is not built yet").arg(QString::fromUtf8(pipeline)); };
#if KILN_WITH_TORCH
    TabSpec views{"Photos/Views", true, {}, buildViewsTab};
    TabSpec text{"Text", true, {}, buildTextTab};
#else
    TabSpec text{"Text", false, QObject::tr("This build of Kiln lacks LibTorch (KILN_WITH_TORCH=OFF): text→3D is not available"),
                 placeholder(nullptr, true)};
    TabSpec views{"Photos/Views", false,
                  QObject::tr("This build of Kiln lacks LibTorch (KILN_WITH_TORCH=OFF): views→3D reconstruction is not available"),
                  placeholder("Photo folder or transforms.json", false)};
#endif
    return {
        std::move(text),
        {"Image", false, notBuilt("image→3D"), placeholder("Image file", false)},
        std::move(views),
        {"Edit", false, notBuilt("text-guided edit"), placeholder("Asset: the selected one", true)},
        {"Texture", false, notBuilt("texture generation"), placeholder("Mesh: the selected one", true)},
    };
}

} // namespace

CreatePanel::CreatePanel(QWidget* parent) : QWidget(parent) {
    setObjectName("createPanel");
    auto* layout = new QVBoxLayout(this);
    const std::vector<TabSpec> specs = tabSpecs();
    if (std::none_of(specs.begin(), specs.end(), [](const TabSpec& t) { return t.available; })) {
        auto* note = new QLabel(tr("No generation pipeline is built into this version of Kiln. "
                                   "Import, inspect and export work."));
        note->setWordWrap(true);
        note->setObjectName("createUnavailable");
        layout->addWidget(note);
    }
    m_tabs = new QTabWidget;
    layout->addWidget(m_tabs);
    for (const TabSpec& t : specs) {
        auto* page = new QWidget;
        page->setObjectName(QString::fromUtf8(t.title));
        auto* form = new QFormLayout(page);
        RequestFn request = t.build(*form);
        auto* go = new QPushButton(tr("Generate"));
        go->setObjectName("generate");
        form->addRow(go);
        auto* message = new QLabel;
        message->setObjectName("message");
        message->setWordWrap(true);
        form->addRow(message);
        const int index = m_tabs->addTab(page, tr(t.title));
        const bool live = t.available && request;
        m_requestFns.push_back(live ? std::move(request) : RequestFn{});
        if (live) {
            const QString title = QString::fromUtf8(t.title);
            connect(go, &QPushButton::clicked, this, [this, title] { generate(title); });
        } else {
            page->setEnabled(false);
            page->setToolTip(t.reason);
            m_tabs->setTabEnabled(index, false);
            m_tabs->setTabToolTip(index, t.reason);
        }
    }
    for (int i = 0; i < m_tabs->count(); ++i)
        if (m_tabs->isTabEnabled(i)) {
            m_tabs->setCurrentIndex(i);
            break;
        }
    setModelFolders({});
}

jobs::JobId CreatePanel::generate(const QString& title) {
    int index = -1;
    for (int i = 0; i < m_tabs->count(); ++i)
        if (m_tabs->widget(i)->objectName() == title) index = i;
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
    m_models.clear();
    for (const QString& f : folders)
        for (const QFileInfo& fi : QDir(f).entryInfoList({"*.safetensors", "*.pt", "*.ts"}, QDir::Files, QDir::Name))
            m_models << fi.absoluteFilePath();
    // Text models are folders (config.json + weights.pt) trained by `kiln train text-to-3d`.
    for (QComboBox* box : findChildren<QComboBox*>("textModel")) {
        while (box->count() > 1) box->removeItem(1);
        for (const QString& f : folders)
            for (const QFileInfo& fi : QDir(f).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
                if (QFileInfo::exists(fi.absoluteFilePath() + "/config.json") && QFileInfo::exists(fi.absoluteFilePath() + "/weights.pt"))
                    box->addItem(fi.fileName(), fi.absoluteFilePath());
    }
    for (QComboBox* box : findChildren<QComboBox*>("model")) {
        box->clear();
        if (m_models.isEmpty()) box->addItem(tr("(no model files in the model folders)"));
        for (const QString& m : m_models) box->addItem(QFileInfo(m).fileName(), m);
    }
}

} // namespace kiln::ui
