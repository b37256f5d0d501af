#include "ui/export_dialog.h"

#include "core/error.h"
#include "io/export_asset.h"
#include "io/export_presets.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace kiln::ui {

std::vector<ExportTarget> exportTargets(core::AssetKind kind) {
    std::vector<ExportTarget> targets;
    for (const io::ExportPreset& p : io::exportPresets()) {
        if (kind == core::AssetKind::Gaussians) {
            if (!p.allowsSplats) continue;
            for (const char* ext : {".ply", ".spz", ".splat"})
                targets.push_back({QObject::tr("Gaussian splats (%1)").arg(ext), p.name, QString(ext)});
            continue;
        }
        for (const std::string& ext : p.formats)
            targets.push_back({QString::fromStdString(p.title + " - " + ext.substr(1) + " (" + p.frameFor(ext).describe() + ")"), p.name,
                               QString::fromStdString(ext)});
    }
    return targets;
}

std::vector<std::string> exportAsset(const core::Asset& asset, const ExportSettings& settings) {
    if (settings.path.isEmpty()) throw Error("export: no output file chosen");
    io::ExportOptions options;
    options.preset = settings.preset;
    options.overwrite = settings.overwrite;
    options.scale = float(settings.scale);
    if (settings.preset == "generic") options.up = settings.zUp ? io::Axis::PosZ : io::Axis::PosY;
    return io::exportAsset(asset, settings.path.toStdString(), options).warnings;
}

ExportDialog::ExportDialog(core::AssetKind kind, const QString& suggestedPath, QWidget* parent) : QDialog(parent) {
    setObjectName("exportDialog");
    setWindowTitle(tr("Export"));
    m_presets = exportTargets(kind);
    auto* form = new QFormLayout(this);
    m_preset = new QComboBox;
    m_preset->setObjectName("preset");
    for (const ExportTarget& p : m_presets) m_preset->addItem(p.label);
    form->addRow(tr("Target"), m_preset);
    auto* pathRow = new QHBoxLayout;
    m_path = new QLineEdit(suggestedPath);
    m_path->setObjectName("path");
    m_path->setMinimumWidth(360);
    auto* browse = new QPushButton(tr("Browse…"));
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    form->addRow(tr("File"), pathRow);
    m_up = new QComboBox;
    m_up->addItems({tr("+Y up (glTF)"), tr("+Z up")});
    form->addRow(tr("Up axis"), m_up);
    m_scale = new QDoubleSpinBox;
    m_scale->setRange(1e-6, 1e6);
    m_scale->setDecimals(4);
    form->addRow(tr("Scale"), m_scale);
    m_notes = new QLabel;
    m_notes->setWordWrap(true);
    form->addRow(m_notes);
    m_overwrite = new QCheckBox(tr("Overwrite an existing file"));
    m_overwrite->setObjectName("overwrite");
    form->addRow(m_overwrite);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_preset, &QComboBox::currentIndexChanged, this, &ExportDialog::applyPreset);
    connect(browse, &QPushButton::clicked, this, [this] {
        const int i = m_preset->currentIndex();
        const QString ext = i >= 0 ? m_presets[size_t(i)].extension : QString();
        const QString f = QFileDialog::getSaveFileName(this, tr("Export to"), m_path->text(), tr("*%1").arg(ext));
        if (!f.isEmpty()) setPath(f);
    });
    if (!m_presets.empty()) applyPreset(0);
}

void ExportDialog::applyPreset(int index) {
    if (index < 0 || size_t(index) >= m_presets.size()) return;
    const ExportTarget& p = m_presets[size_t(index)];
    // Only the generic preset lets the artist choose the up axis; the others fix the frame.
    m_up->setEnabled(p.preset == "generic");
    m_up->setCurrentIndex(0);
    m_scale->setValue(1.0);
    m_notes->setText(QString::fromStdString(io::exportPreset(p.preset).notes));
    QFileInfo fi(m_path->text());
    if (!m_path->text().isEmpty()) m_path->setText(fi.dir().filePath(fi.completeBaseName() + p.extension));
}

bool ExportDialog::selectPreset(const QString& extension) {
    for (size_t i = 0; i < m_presets.size(); ++i)
        if (m_presets[i].extension == extension) {
            m_preset->setCurrentIndex(int(i));
            applyPreset(int(i));
            return true;
        }
    return false;
}

void ExportDialog::setPath(const QString& path) { m_path->setText(path); }

ExportSettings ExportDialog::settings() const {
    ExportSettings s;
    s.path = m_path->text();
    const int i = m_preset->currentIndex();
    if (i >= 0) s.preset = m_presets[size_t(i)].preset;
    s.zUp = m_up->currentIndex() == 1;
    s.scale = m_scale->value();
    s.overwrite = m_overwrite->isChecked();
    return s;
}

} // namespace kiln::ui
