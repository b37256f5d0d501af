#include "ui/studio_document.h"

#include <QUndoCommand>

namespace kiln::ui {

class SnapshotCommand : public QUndoCommand {
public:
    SnapshotCommand(StudioDocument& owner, const QString& text, core::Document before, core::Document after)
        : QUndoCommand(text), m_owner(owner), m_before(std::move(before)), m_after(std::move(after)) {}
    void undo() override { m_owner.setDocument(m_before); }
    void redo() override { m_owner.setDocument(m_after); }

private:
    StudioDocument& m_owner;
    core::Document m_before, m_after;
};

StudioDocument::StudioDocument(QObject* parent) : QObject(parent) {
    connect(&m_undo, &QUndoStack::cleanChanged, this, [this](bool) { emit modifiedChanged(isModified()); });
}

void StudioDocument::change(const QString& text, core::Document next) {
    m_undo.push(new SnapshotCommand(*this, text, m_doc, std::move(next)));  // push() calls redo()
}

void StudioDocument::reset(core::Document doc, const QString& path, bool modified) {
    m_undo.clear();
    m_forceModified = modified;
    setPath(path);
    setDocument(std::move(doc));
    emit modifiedChanged(isModified());
}

void StudioDocument::setPath(const QString& path) {
    if (path == m_path) return;
    m_path = path;
    emit pathChanged(path);
}

void StudioDocument::markSaved() {
    m_forceModified = false;
    m_undo.setClean();
    emit modifiedChanged(isModified());
}

void StudioDocument::markSavedAt(int undoIndex) {
    if (m_undo.index() == undoIndex) markSaved();
}

void StudioDocument::select(core::AssetId asset) {
    if (asset != 0 && !m_doc.find(asset)) asset = 0;
    if (asset == m_selected) return;
    m_selected = asset;
    emit selectionChanged(asset);
}

void StudioDocument::setDocument(const core::Document& doc) {
    m_doc = doc;
    emit documentChanged();
    if (m_selected != 0 && !m_doc.find(m_selected)) {
        m_selected = 0;
        emit selectionChanged(0);
    }
}

} // namespace kiln::ui
