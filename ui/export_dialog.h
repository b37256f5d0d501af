#pragma once

#include "core/asset.h"

#include <QDialog>
#include <QString>

#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace kiln::ui {

// What "Export" writes: the target file and the axis/unit conversion applied on the way out.
struct ExportSettings {
    QString path;
    bool zUp = false;     // rotate glTF's +Y up to +Z up
    double scale = 1.0;   // metres -> target units
    bool overwrite = false;
};

struct ExportPreset {
    QString name;
    QString extension;  // with dot
    bool zUp;
    double scale;
    core::AssetKind kind;
};

// Presets per target application; the ones offered match the asset's kind.
const std::vector<ExportPreset>& exportPresets();

// Applies the settings' conversion and writes the asset (on a job's worker thread).
void exportAsset(const core::Asset& asset, const ExportSettings& settings);

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

    std::vector<ExportPreset> m_presets;
    QComboBox* m_preset = nullptr;
    QLineEdit* m_path = nullptr;
    QComboBox* m_up = nullptr;
    QDoubleSpinBox* m_scale = nullptr;
    QCheckBox* m_overwrite = nullptr;
};

} // namespace kiln::ui
