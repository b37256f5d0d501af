#pragma once

#include "core/document.h"

#include <QWidget>

class QTreeWidget;
class QTreeWidgetItem;

namespace kiln::ui {

class StudioDocument;

// Assets and their version history. Selecting an asset selects it in the viewport and the
// inspector; rename, delete, duplicate and "make version current" are undoable document changes.
class OutlinerPanel : public QWidget {
    Q_OBJECT
public:
    explicit OutlinerPanel(StudioDocument& document, QWidget* parent = nullptr);
    QTreeWidget* tree() const { return m_tree; }

    void renameSelected();  // starts in-place editing
    void deleteSelected();
    void duplicateSelected();

private:
    void rebuild();
    void syncSelection();
    void onItemChanged(QTreeWidgetItem* item, int column);
    void onItemActivated(QTreeWidgetItem* item);

    StudioDocument& m_document;
    QTreeWidget* m_tree = nullptr;
    bool m_rebuilding = false;
};

} // namespace kiln::ui
