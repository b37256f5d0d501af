#include "ui/outliner_panel.h"

#include "ui/studio_document.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QMenu>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace kiln::ui {

namespace {
constexpr int kAssetRole = Qt::UserRole;
constexpr int kVersionRole = Qt::UserRole + 1;  // 0 on asset rows
} // namespace

OutlinerPanel::OutlinerPanel(StudioDocument& document, QWidget* parent) : QWidget(parent), m_document(document) {
    setObjectName("outliner");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_tree = new QTreeWidget;
    m_tree->setObjectName("outlinerTree");
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Asset / version"), tr("Source")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
    layout->addWidget(m_tree);
    auto* buttons = new QHBoxLayout;
    for (auto [text, fn] : {std::pair{tr("Rename"), &OutlinerPanel::renameSelected}, std::pair{tr("Duplicate"), &OutlinerPanel::duplicateSelected},
                            std::pair{tr("Delete"), &OutlinerPanel::deleteSelected}}) {
        auto* b = new QToolButton;
        b->setText(text);
        connect(b, &QToolButton::clicked, this, fn);
        buttons->addWidget(b);
    }
    buttons->addStretch(1);
    layout->addLayout(buttons);

    connect(&document, &StudioDocument::documentChanged, this, &OutlinerPanel::rebuild);
    connect(&document, &StudioDocument::selectionChanged, this, &OutlinerPanel::syncSelection);
    connect(m_tree, &QTreeWidget::itemChanged, this, &OutlinerPanel::onItemChanged);
    connect(m_tree, &QTreeWidget::itemActivated, this, &OutlinerPanel::onItemActivated);
    connect(m_tree, &QTreeWidget::itemSelectionChanged, this, [this] {
        if (m_rebuilding) return;
        const auto items = m_tree->selectedItems();
        m_document.select(items.isEmpty() ? 0 : items.front()->data(0, kAssetRole).toULongLong());
    });
    connect(m_tree, &QTreeWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        QMenu menu;
        menu.addAction(tr("Rename"), this, &OutlinerPanel::renameSelected);
        menu.addAction(tr("Duplicate"), this, &OutlinerPanel::duplicateSelected);
        menu.addAction(tr("Delete"), this, &OutlinerPanel::deleteSelected);
        menu.exec(m_tree->viewport()->mapToGlobal(pos));
    });
    rebuild();
}

void OutlinerPanel::rebuild() {
    m_rebuilding = true;
    m_tree->clear();
    for (const core::DocumentAsset& a : m_document.document().assets()) {
        auto* item = new QTreeWidgetItem(m_tree, {QString::fromStdString(a.name), tr("%n version(s)", nullptr, int(a.versions.size()))});
        item->setData(0, kAssetRole, qulonglong(a.id));
        item->setData(0, kVersionRole, qulonglong(0));
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        for (const core::AssetVersion& v : a.versions) {
            const core::Provenance& p = v.asset.provenance;
            QString label = tr("v%1").arg(v.id);
            if (!p.prompt.empty()) label += " \"" + QString::fromStdString(p.prompt) + "\"";
            auto* child = new QTreeWidgetItem(item, {label, QString::fromStdString(p.source) + "  " + QString::fromStdString(p.createdAt)});
            child->setData(0, kAssetRole, qulonglong(a.id));
            child->setData(0, kVersionRole, qulonglong(v.id));
            child->setToolTip(0, tr("Double-click to make this version current"));
            if (v.id == a.current) {
                QFont f = child->font(0);
                f.setBold(true);
                child->setFont(0, f);
            }
        }
    }
    m_rebuilding = false;
    syncSelection();
}

void OutlinerPanel::syncSelection() {
    m_rebuilding = true;
    const core::AssetId sel = m_document.selected();
    m_tree->clearSelection();
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = m_tree->topLevelItem(i);
        if (item->data(0, kAssetRole).toULongLong() == sel) {
            item->setSelected(true);
            m_tree->setCurrentItem(item);
        }
    }
    m_rebuilding = false;
}

void OutlinerPanel::onItemChanged(QTreeWidgetItem* item, int column) {
    if (m_rebuilding || column != 0 || item->data(0, kVersionRole).toULongLong() != 0) return;
    const core::AssetId id = item->data(0, kAssetRole).toULongLong();
    const core::DocumentAsset* a = m_document.document().find(id);
    const QString name = item->text(0).trimmed();
    if (!a || name.isEmpty() || name.toStdString() == a->name) {
        QMetaObject::invokeMethod(this, &OutlinerPanel::rebuild, Qt::QueuedConnection);  // restore the old name
        return;
    }
    core::Document next = m_document.document();
    next.renameAsset(id, name.toStdString());
    QMetaObject::invokeMethod(this, [this, name, next = std::move(next)]() mutable { m_document.change(tr("Rename to %1").arg(name), std::move(next)); },
                              Qt::QueuedConnection);  // not while the tree is inside its edit signal
}

void OutlinerPanel::onItemActivated(QTreeWidgetItem* item) {
    const core::VersionId v = item->data(0, kVersionRole).toULongLong();
    const core::AssetId id = item->data(0, kAssetRole).toULongLong();
    const core::DocumentAsset* a = m_document.document().find(id);
    if (v == 0 || !a || a->current == v) return;
    core::Document next = m_document.document();
    next.setCurrentVersion(id, v);
    m_document.change(tr("Show version %1 of %2").arg(v).arg(QString::fromStdString(a->name)), std::move(next));
}

void OutlinerPanel::renameSelected() {
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i)
        if (m_tree->topLevelItem(i)->isSelected()) return m_tree->editItem(m_tree->topLevelItem(i), 0);
}

void OutlinerPanel::deleteSelected() {
    const core::AssetId id = m_document.selected();
    const core::DocumentAsset* a = m_document.document().find(id);
    if (!a) return;
    const QString name = QString::fromStdString(a->name);
    core::Document next = m_document.document();
    next.removeAsset(id);
    m_document.change(tr("Delete %1").arg(name), std::move(next));
}

void OutlinerPanel::duplicateSelected() {
    const core::AssetId id = m_document.selected();
    const core::DocumentAsset* a = m_document.document().find(id);
    if (!a) return;
    const QString name = QString::fromStdString(a->name);
    core::Document next = m_document.document();
    const core::AssetId copy = next.duplicateAsset(id);
    m_document.change(tr("Duplicate %1").arg(name), std::move(next));
    m_document.select(copy);
}

} // namespace kiln::ui
