#include "ui/preferences.h"

#include "core/error.h"
#include "models/packs.h"
#include "render/renderer.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace kiln::ui {

Preferences Preferences::load() {
    QSettings s;
    Preferences p;
    p.modelFolders = s.value("prefs/modelFolders").toStringList();
    p.computeDevice = s.value("prefs/computeDevice", p.computeDevice).toString();
    p.threads = std::clamp(s.value("prefs/threads", 0).toInt(), 0, 1024);
    p.navigation = s.value("prefs/navigation", p.navigation).toString();
    if (p.navigation != "maya") p.navigation = "blender";
    p.theme = s.value("prefs/theme", p.theme).toString() == "light" ? "light" : "dark";
    p.adaptiveQuality = s.value("prefs/adaptiveQuality", p.adaptiveQuality).toBool();
    p.splatSort = s.value("prefs/splatSort", p.splatSort).toString();
    try {
        render::splatSortFromString(p.splatSort.toStdString(), "splat sort preference");
    } catch (const Error&) {
        p.splatSort = "auto";  // an unknown stored value: the default
    }
    p.splatPath = s.value("prefs/splatPath", p.splatPath).toString();
    try {
        render::splatPathFromString(p.splatPath.toStdString(), "splat path preference");
    } catch (const Error&) {
        p.splatPath = "auto";
    }
    if ((p.splatPath == "compute" || p.splatPath == "host") && p.splatSort == "gpu") p.splatPath = "auto";  // these bin from the CPU sort
    return p;
}

void Preferences::save() const {
    QSettings s;
    s.setValue("prefs/modelFolders", modelFolders);
    s.setValue("prefs/computeDevice", computeDevice);
    s.setValue("prefs/threads", threads);
    s.setValue("prefs/navigation", navigation);
    s.setValue("prefs/theme", theme);
    s.setValue("prefs/adaptiveQuality", adaptiveQuality);
    s.setValue("prefs/splatSort", splatSort);
    s.setValue("prefs/splatPath", splatPath);
}

PreferencesDialog::PreferencesDialog(const Preferences& prefs, QWidget* parent) : QDialog(parent) {
    setObjectName("preferencesDialog");
    setWindowTitle(tr("Preferences"));
    auto* form = new QFormLayout(this);
    auto* folderBox = new QVBoxLayout;
    m_folders = new QListWidget;
    m_folders->setObjectName("modelFolders");
    m_folders->addItems(prefs.modelFolders);
    folderBox->addWidget(m_folders);
    auto* folderButtons = new QHBoxLayout;
    auto* add = new QPushButton(tr("Add…"));
    auto* remove = new QPushButton(tr("Remove"));
    folderButtons->addWidget(add);
    folderButtons->addWidget(remove);
    folderButtons->addStretch(1);
    folderBox->addLayout(folderButtons);
    form->addRow(tr("Model folders"), folderBox);
    connect(add, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Model folder"));
        if (!d.isEmpty()) m_folders->addItem(d);
    });
    connect(remove, &QPushButton::clicked, this, [this] { delete m_folders->currentItem(); });
    m_device = new QComboBox;
    m_device->setObjectName("computeDevice");
    m_device->addItem(tr("Automatic (CUDA when available, else CPU)"), "auto");
    m_device->addItem(tr("CPU"), "cpu");
    m_device->setCurrentIndex(prefs.computeDevice == "cpu" ? 1 : 0);
    form->addRow(tr("Compute device"), m_device);
    m_threads = new QSpinBox;
    m_threads->setObjectName("threads");
    m_threads->setRange(0, 1024);
    m_threads->setSpecialValueText(tr("one per core"));
    m_threads->setValue(prefs.threads);
    m_threads->setToolTip(tr("LibTorch threads for generation; applies to the next job"));
    form->addRow(tr("Compute threads"), m_threads);
    m_navigation = new QComboBox;
    m_navigation->setObjectName("navigation");
    m_navigation->addItem(tr("Blender (MMB orbit, Shift+MMB pan, Ctrl+MMB zoom)"), "blender");
    m_navigation->addItem(tr("Maya (Alt+LMB orbit, Alt+MMB pan, Alt+RMB zoom)"), "maya");
    m_navigation->setCurrentIndex(prefs.navigation == "maya" ? 1 : 0);
    form->addRow(tr("Navigation"), m_navigation);
    m_theme = new QComboBox;
    m_theme->setObjectName("theme");
    m_theme->addItem(tr("Dark"), "dark");
    m_theme->addItem(tr("Light"), "light");
    m_theme->setCurrentIndex(prefs.theme == "light" ? 1 : 0);
    form->addRow(tr("Theme"), m_theme);
    m_adaptive = new QCheckBox(tr("Draw smaller frames while the camera moves (full quality when it stops)"));
    m_adaptive->setObjectName("adaptiveQuality");
    m_adaptive->setChecked(prefs.adaptiveQuality);
    form->addRow(tr("Viewport"), m_adaptive);
    m_splatSort = new QComboBox;
    m_splatSort->setObjectName("splatSort");
    m_splatSort->addItem(tr("Automatic (CPU worker on a CPU device, compute on a GPU)"), "auto");
    m_splatSort->addItem(tr("CPU worker thread"), "cpu");
    m_splatSort->addItem(tr("GPU compute (radix sort)"), "gpu");
    m_splatSort->setCurrentIndex(std::max(0, m_splatSort->findData(prefs.splatSort)));
    form->addRow(tr("Splat sort"), m_splatSort);
    m_splatPath = new QComboBox;
    m_splatPath->setObjectName("splatPath");
    m_splatPath->addItem(tr("Automatic (on a CPU device host tiles, or compute tiles beside meshes; raster on a GPU)"), "auto");
    m_splatPath->addItem(tr("Raster (one quad per splat)"), "raster");
    m_splatPath->addItem(tr("Compute tiles (binned on the CPU, uses the CPU sort)"), "compute");
    m_splatPath->addItem(tr("Host tiles (drawn on the CPU, for CPU devices; compute tiles beside meshes)"), "host");
    m_splatPath->setCurrentIndex(std::max(0, m_splatPath->findData(prefs.splatPath)));
    form->addRow(tr("Splat rasterizer"), m_splatPath);
    // The compute and host paths bin from the CPU sort's order: choosing one of a pair moves the other
    // off the GPU sort.
    connect(m_splatPath, &QComboBox::currentIndexChanged, this, [this] {
        const QString path = m_splatPath->currentData().toString();
        if ((path == "compute" || path == "host") && m_splatSort->currentData().toString() == "gpu")
            m_splatSort->setCurrentIndex(m_splatSort->findData("auto"));
    });
    connect(m_splatSort, &QComboBox::currentIndexChanged, this, [this] {
        const QString path = m_splatPath->currentData().toString();
        if (m_splatSort->currentData().toString() == "gpu" && (path == "compute" || path == "host"))
            m_splatPath->setCurrentIndex(m_splatPath->findData("auto"));
    });
    // Model packs (models/packs.h): which are installed, what they do, their licences.
    QString packs;
    for (const auto& p : models::knownPacks()) {
        const bool installed = models::installedPack(p.name).has_value();
        packs += QString("<b>%1</b> (%2): %3<br>%4<br><i>licence: %5</i><br>")
                     .arg(QString::fromStdString(p.name), QString::fromStdString(p.slot),
                          installed ? tr("installed") : tr("not installed (kiln models install %1)").arg(QString::fromStdString(p.name)),
                          QString::fromStdString(p.description).toHtmlEscaped(), QString::fromStdString(p.licence).toHtmlEscaped());
    }
    auto* packLabel = new QLabel(packs);
    packLabel->setObjectName("modelPacks");
    packLabel->setWordWrap(true);
    packLabel->setTextFormat(Qt::RichText);
    form->addRow(tr("Model packs"), packLabel);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

Preferences PreferencesDialog::preferences() const {
    Preferences p;
    for (int i = 0; i < m_folders->count(); ++i) p.modelFolders << m_folders->item(i)->text();
    p.computeDevice = m_device->currentData().toString();
    p.threads = m_threads->value();
    p.navigation = m_navigation->currentData().toString();
    p.theme = m_theme->currentData().toString();
    p.adaptiveQuality = m_adaptive->isChecked();
    p.splatSort = m_splatSort->currentData().toString();
    p.splatPath = m_splatPath->currentData().toString();
    return p;
}

} // namespace kiln::ui
