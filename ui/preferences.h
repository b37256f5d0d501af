#pragma once

#include <QDialog>
#include <QString>
#include <QStringList>

class QComboBox;
class QListWidget;
class QSpinBox;

class QCheckBox;

namespace kiln::ui {

// Studio preferences, stored with QSettings.
struct Preferences {
    QStringList modelFolders;
    QString computeDevice = "auto";  // "auto" (CUDA when LibTorch has it) or "cpu"; read by generation jobs
    int threads = 0;                 // LibTorch intra-op threads, 0 = one per core; applies to the next job
    QString navigation = "blender";  // "blender" or "maya"
    QString theme = "dark";          // "dark" or "light"
    bool adaptiveQuality = true;     // the viewport draws smaller frames while the camera moves
    QString splatSort = "auto";      // "auto", "cpu" or "gpu" (render::SplatSort); the viewport's splat depth sort
    QString splatPath = "auto";      // "auto", "raster", "compute" or "host" (render::SplatPath); never "compute" or "host" with the "gpu" sort

    static Preferences load();
    void save() const;
};

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    PreferencesDialog(const Preferences& prefs, QWidget* parent = nullptr);
    Preferences preferences() const;

private:
    QListWidget* m_folders = nullptr;
    QComboBox* m_device = nullptr;
    QSpinBox* m_threads = nullptr;
    QComboBox* m_navigation = nullptr;
    QComboBox* m_theme = nullptr;
    QCheckBox* m_adaptive = nullptr;
    QComboBox* m_splatSort = nullptr;
    QComboBox* m_splatPath = nullptr;
};

} // namespace kiln::ui
