#include "ui/export_dialog.h"

#include "core/error.h"
#include "core/transform.h"
#include "io/asset_io.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace kiln::ui {

const std::vector<ExportPreset>& exportPresets() {
    using K = core::AssetKind;
    static const std::vector<ExportPreset> presets = {
        {QObject::tr("Blender, Godot, three.js — glTF binary (.glb), +Y up, metres"), ".glb", false, 1.0, K::Mesh},
        {QObject::tr("glTF with external buffers (.gltf), +Y up, metres"), ".gltf", false, 1.0, K::Mesh},
        {QObject::tr("Maya — Wavefront OBJ (.obj + .mtl + textures), +Y up, centimetres"), ".obj", false, 100.0, K::Mesh},
        {QObject::tr("Unreal Engine — OBJ, +Z up, centimetres"), ".obj", true, 100.0, K::Mesh},
        {QObject::tr("Unity — glTF binary (.glb), +Y up, metres"), ".glb", false, 1.0, K::Mesh},
        {QObject::tr("3D printing — STL, +Z up, millimetres"), ".stl", true, 1000.0, K::Mesh},
        {QObject::tr("PLY mesh, +Y up, metres"), ".ply", false, 1.0, K::Mesh},
        {QObject::tr("Gaussian splats — INRIA 3DGS PLY"), ".ply", false, 1.0, K::Gaussians},
        {QObject::tr("Gaussian splats — antimatter15 .splat"), ".splat", false, 1.0, K::Gaussians},
        {QObject::tr("Gaussian splats — Niantic SPZ"), ".spz", false, 1.0, K::Gaussians},
    };
    return presets;
}

void exportAsset(const core::Asset& asset, const ExportSettings& settings) {
    if (settings.path.isEmpty()) throw Error("export: no output file chosen");
    if (!(settings.scale > 0.0 && settings.scale <= 1e6)) throw Error("export: scale must be in (0, 1e6]");
    core::Asset out = asset;
    core::Similarity xf;
    xf.scale = float(settings.scale);
    if (settings.zUp) xf.rotation = core::yUpToZUp();
    if (settings.zUp || settings.scale != 1.0) {
        if (const core::Mesh* m = asset.mesh()) {
            core::Mesh copy = *m;
            core::transformMesh(copy, xf);
            out = core::Asset::fromMesh(asset.name, std::move(copy), asset.provenance);
        } else if (const core::GaussianCloud* g = asset.gaussians()) {
            core::GaussianCloud copy = *g;
            core::transformGaussians(copy, xf);
            out = core::Asset::fromGaussians(asset.name, std::move(copy), asset.provenance);
        }
    }
    io::saveAsset(out, settings.path.toStdString(), {.overwrite = settings.overwrite});
}

ExportDialog::ExportDialog(core::AssetKind kind, const QString& suggestedPath, QWidget* parent) : QDialog(parent) {
    setObjectName("exportDialog");
    setWindowTitle(tr("Export"));
    for (const ExportPreset& p : exportPresets())
        if (p.kind == kind) m_presets.push_back(p);
    auto* form = new QFormLayout(this);
    m_preset = new QComboBox;
    m_preset->setObjectName("preset");
    for (const ExportPreset& p : m_presets) m_preset->addItem(p.name);
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
    const ExportPreset& p = m_presets[size_t(index)];
    m_up->setCurrentIndex(p.zUp ? 1 : 0);
    m_scale->setValue(p.scale);
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
    s.zUp = m_up->currentIndex() == 1;
    s.scale = m_scale->value();
    s.overwrite = m_overwrite->isChecked();
    return s;
}

} // namespace kiln::ui
