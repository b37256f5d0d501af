#pragma once

#include "core/document.h"

#include <QObject>
#include <QString>
#include <QUndoStack>

namespace kiln::ui {

// The studio's open document: a core::Document value plus the undo history of every change to
// it. Each change is a whole-document snapshot (assets share their data, so snapshots are cheap),
// so undo of any edit is exact and a change that never happened (a cancelled job) leaves no trace.
class StudioDocument : public QObject {
    Q_OBJECT
public:
    explicit StudioDocument(QObject* parent = nullptr);

    const core::Document& document() const { return m_doc; }
    QUndoStack* undoStack() { return &m_undo; }

    // Records `next` as an undoable change named `text` and makes it current.
    void change(const QString& text, core::Document next);
    // Replaces the document (new, open, recover): clears the history; the result is unmodified
    // unless `modified` (a recovered autosave has not been saved by the user).
    void reset(core::Document doc, const QString& path, bool modified = false);

    QString path() const { return m_path; }
    void setPath(const QString& path);
    bool isModified() const { return m_forceModified || !m_undo.isClean(); }
    // The document as it is now was written to path().
    void markSaved();
    // Marks saved only when the history still stands where it stood at `undoIndex` (a save that
    // ran in the background while the user kept working).
    void markSavedAt(int undoIndex);

    core::AssetId selected() const { return m_selected; }
    void select(core::AssetId asset);

signals:
    void documentChanged();
    void selectionChanged(kiln::core::AssetId asset);
    void modifiedChanged(bool modified);
    void pathChanged(const QString& path);

private:
    friend class SnapshotCommand;
    void setDocument(const core::Document& doc);

    core::Document m_doc;
    QUndoStack m_undo;
    QString m_path;
    core::AssetId m_selected = 0;
    bool m_forceModified = false;
};

} // namespace kiln::ui
