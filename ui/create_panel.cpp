#include "ui/create_panel.h"

#include <QComboBox>
#include <QDir>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSpinBox>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace kiln::ui {

namespace {

struct PipelineTab {
    const char* title;
    const char* pipeline;  // engine/pipelines name
    const char* input;     // what the tab takes besides the prompt, or nullptr
    bool prompt;
};

// engine/pipelines does not exist yet: every entry is unavailable until its pipeline lands.
constexpr PipelineTab kTabs[] = {
    {"Text", "text→3D", nullptr, true},
    {"Image", "image→3D", "Image file", false},
    {"Photos/Views", "views→3D", "Photo folder or transforms.json", false},
    {"Edit", "text-guided edit", "Asset: the selected one", true},
    {"Texture", "texture generation", "Mesh: the selected one", true},
};
constexpr bool kPipelineAvailable = false;

} // namespace

CreatePanel::CreatePanel(QWidget* parent) : QWidget(parent) {
    setObjectName("createPanel");
    auto* layout = new QVBoxLayout(this);
    if (!kPipelineAvailable) {
        auto* note = new QLabel(tr("No generation pipeline is built into this version of Kiln yet. "
                                   "Import, inspect and export work; generation arrives with engine/pipelines."));
        note->setWordWrap(true);
        note->setObjectName("createUnavailable");
        layout->addWidget(note);
    }
    m_tabs = new QTabWidget;
    layout->addWidget(m_tabs);
    for (const PipelineTab& t : kTabs) {
        auto* page = new QWidget;
        auto* form = new QFormLayout(page);
        if (t.input) {
            auto* input = new QLineEdit;
            input->setPlaceholderText(t.input);
            form->addRow(tr("Input"), input);
        }
        if (t.prompt) {
            auto* prompt = new QPlainTextEdit;
            prompt->setPlaceholderText(tr("Describe the asset"));
            prompt->setMaximumHeight(80);
            form->addRow(tr("Prompt"), prompt);
        }
        auto* seedRow = new QHBoxLayout;
        auto* seed = new QSpinBox;
        seed->setRange(0, 2147483647);
        seed->setObjectName("seed");
        auto* dice = new QToolButton;
        dice->setText(tr("Dice"));
        dice->setToolTip(tr("Random seed"));
        dice->setObjectName("dice");
        connect(dice, &QToolButton::clicked, seed, [seed] { seed->setValue(int(QRandomGenerator::global()->bounded(2147483647))); });
        seedRow->addWidget(seed, 1);
        seedRow->addWidget(dice);
        form->addRow(tr("Seed"), seedRow);
        auto* quality = new QComboBox;
        quality->addItems({tr("Draft"), tr("Standard"), tr("High")});
        quality->setCurrentIndex(1);
        form->addRow(tr("Quality"), quality);
        auto* model = new QComboBox;
        model->setObjectName("model");
        form->addRow(tr("Model"), model);
        auto* go = new QPushButton(tr("Generate"));
        form->addRow(go);
        const int index = m_tabs->addTab(page, tr(t.title));
        if (!kPipelineAvailable) {
            const QString why = tr("The %1 pipeline is not built yet").arg(QString::fromUtf8(t.pipeline));
            page->setEnabled(false);
            page->setToolTip(why);
            m_tabs->setTabEnabled(index, false);
            m_tabs->setTabToolTip(index, why);
        }
    }
    setModelFolders({});
}

void CreatePanel::setModelFolders(const QStringList& folders) {
    m_models.clear();
    for (const QString& f : folders)
        for (const QFileInfo& fi : QDir(f).entryInfoList({"*.safetensors", "*.pt", "*.ts"}, QDir::Files, QDir::Name))
            m_models << fi.absoluteFilePath();
    for (QComboBox* box : findChildren<QComboBox*>("model")) {
        box->clear();
        if (m_models.isEmpty()) box->addItem(tr("(no model files in the model folders)"));
        for (const QString& m : m_models) box->addItem(QFileInfo(m).fileName(), m);
    }
}

} // namespace kiln::ui
