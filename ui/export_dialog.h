#pragma once

#include "core/asset.h"

#include <QDialog>
#include <QString>

#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;

namespace kiln::ui {

// What "Export" writes: the file, the DCC preset (engine/io/export_presets.h, the registry
// `kiln convert --preset` uses) and the options that preset leaves to the artist.
struct ExportSettings {
    QString path;
    std::string preset = "generic";
    bool zUp = false;     // generic preset only: rotate glTF's +Y up to +Z up
    double scale = 1.0;   // multiplies the asset in metres before the preset's unit conversion
    bool overwrite = false;
};

// One row of the dialog's target list: a preset and one format it writes.
struct ExportTarget {
    QString label;
    std::string preset;
    QString extension;  // with dot
};

// The preset x format rows that can hold an asset of `kind`.
std::vector<ExportTarget> exportTargets(core::AssetKind kind);

// Writes the asset through io::exportAsset (on a job's worker thread); returns the export
// check's warnings.
std::vector<std::string> exportAsset(const core::Asset& asset, const ExportSettings& settings);

// Chooses a preset, file and conversion. The main window runs the export as a job with
// settings() when the dialog is accepted.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(core::AssetKind kind, const QString& suggestedPath, QWidget* parent = nullptr);
    ExportSettings settings() const;
    void setPath(const QString& path);
    bool selectPreset(const QString& extension);  // the first preset writing this extension

private:
    void applyPreset(int index);

    std::vector<ExportTarget> m_presets;
    QComboBox* m_preset = nullptr;
    QLineEdit* m_path = nullptr;
    QComboBox* m_up = nullptr;
    QDoubleSpinBox* m_scale = nullptr;
    QCheckBox* m_overwrite = nullptr;
    QLabel* m_notes = nullptr;
};

} // namespace kiln::ui
