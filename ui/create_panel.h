#pragma once

#include <QStringList>
#include <QWidget>

class QTabWidget;

namespace kiln::ui {

// The Create panel: one tab per generation pipeline with the options that pipeline takes
// (prompt, seed with a dice button, quality preset, model). A tab whose pipeline is not in this
// build is disabled with a tooltip saying so; nothing here pretends to generate.
class CreatePanel : public QWidget {
    Q_OBJECT
public:
    explicit CreatePanel(QWidget* parent = nullptr);
    // Model files (*.safetensors, *.pt) found in the preference's model folders fill the model lists.
    void setModelFolders(const QStringList& folders);
    QTabWidget* tabs() const { return m_tabs; }

private:
    QTabWidget* m_tabs = nullptr;
    QStringList m_models;
};

} // namespace kiln::ui
