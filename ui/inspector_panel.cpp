#include "ui/inspector_panel.h"

#include "core/asset_stats.h"
#include "ui/studio_document.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace kiln::ui {

namespace {

const QStringList kFields = {"Name", "Kind", "Version", "Triangles", "Vertices", "Submeshes", "Splats", "SH degree", "Materials",
                             "Textures", "Bounds min", "Bounds max", "Size", "Source", "File", "Prompt", "Seed", "Model",
                             "Parent version", "Created"};

QString vec(const glm::vec3& v) { return QString("%1, %2, %3").arg(v.x, 0, 'g', 4).arg(v.y, 0, 'g', 4).arg(v.z, 0, 'g', 4); }

} // namespace

InspectorPanel::InspectorPanel(StudioDocument& document, QWidget* parent) : QWidget(parent), m_document(document) {
    setObjectName("inspector");
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    auto* inner = new QWidget;
    auto* v = new QVBoxLayout(inner);
    auto* box = new QWidget;
    m_form = new QFormLayout(box);
    for (const QString& f : kFields) {
        auto* label = new QLabel;
        label->setObjectName("field:" + f);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setWordWrap(true);
        m_form->addRow(tr(f.toUtf8().constData()), label);
    }
    v->addWidget(box);
    auto* transform = new QGroupBox(tr("Transform: move by"));
    m_transform = transform;
    auto* t = new QHBoxLayout(transform);
    for (int i = 0; i < 3; ++i) {
        m_move[i] = new QDoubleSpinBox;
        m_move[i]->setRange(-1e6, 1e6);
        m_move[i]->setDecimals(4);
        m_move[i]->setPrefix(QString("XYZ"[i]) + " ");
        t->addWidget(m_move[i]);
    }
    auto* apply = new QPushButton(tr("Apply"));
    apply->setToolTip(tr("Bakes the move into a new version of the asset (undoable)"));
    t->addWidget(apply);
    connect(apply, &QPushButton::clicked, this, [this] {
        const glm::vec3 d(float(m_move[0]->value()), float(m_move[1]->value()), float(m_move[2]->value()));
        if (m_document.selected() == 0 || d == glm::vec3(0.0f)) return;
        emit moveRequested(m_document.selected(), d);
        for (auto* s : m_move) s->setValue(0.0);
    });
    v->addWidget(transform);
    v->addStretch(1);
    scroll->setWidget(inner);
    outer->addWidget(scroll);
    connect(&document, &StudioDocument::documentChanged, this, &InspectorPanel::refresh);
    connect(&document, &StudioDocument::selectionChanged, this, &InspectorPanel::refresh);
    refresh();
}

QString InspectorPanel::field(const QString& name) const {
    const auto* label = findChild<QLabel*>("field:" + name);
    return label ? label->text() : QString();
}

void InspectorPanel::setField(const QString& name, const QString& value) {
    if (auto* label = findChild<QLabel*>("field:" + name)) label->setText(value);
}

void InspectorPanel::refresh() {
    const core::DocumentAsset* a = m_document.document().find(m_document.selected());
    m_transform->setEnabled(a != nullptr);
    if (!a) {
        for (const QString& f : kFields) setField(f, QString());
        setField("Name", tr("(nothing selected)"));
        return;
    }
    const core::AssetVersion& ver = a->currentVersion();
    const core::AssetStats st = core::computeStats(ver.asset);
    const core::Provenance& p = ver.asset.provenance;
    const bool mesh = st.kind == "mesh";
    setField("Name", QString::fromStdString(a->name));
    setField("Kind", QString::fromStdString(st.kind));
    int index = 1;
    while (size_t(index) <= a->versions.size() && a->versions[size_t(index - 1)].id != ver.id) ++index;
    setField("Version", tr("%1 of %2 (id %3)").arg(index).arg(a->versions.size()).arg(ver.id));
    setField("Triangles", mesh ? QString::number(st.triangles) : "—");
    setField("Vertices", mesh ? QString::number(st.vertices) : "—");
    setField("Submeshes", mesh ? QString::number(st.submeshes) : "—");
    setField("Splats", mesh ? "—" : QString::number(st.splats));
    setField("SH degree", mesh ? "—" : QString::number(st.shDegree));
    QStringList materials;
    for (const auto& m : st.materials) materials << QString::fromStdString(m);
    setField("Materials", materials.isEmpty() ? "—" : QString("%1: %2").arg(materials.size()).arg(materials.join(", ")));
    QStringList textures;
    for (const auto& t : st.textures) textures << QString("%1 (%2×%3)").arg(QString::fromStdString(t.name)).arg(t.width).arg(t.height);
    setField("Textures", textures.isEmpty() ? "—" : QString("%1: %2").arg(textures.size()).arg(textures.join(", ")));
    setField("Bounds min", st.bounds.valid ? vec(st.bounds.min) : "—");
    setField("Bounds max", st.bounds.valid ? vec(st.bounds.max) : "—");
    setField("Size", st.bounds.valid ? vec(st.bounds.size()) : "—");
    setField("Source", QString::fromStdString(p.source));
    setField("File", QString::fromStdString(p.sourcePath));
    setField("Prompt", p.prompt.empty() ? "—" : QString::fromStdString(p.prompt));
    setField("Seed", p.seed ? QString::number(*p.seed) : "—");
    setField("Model", p.model.empty() ? "—" : QString::fromStdString(p.model));
    setField("Parent version", p.parentVersion ? tr("v%1").arg(*p.parentVersion) : "—");
    setField("Created", QString::fromStdString(p.createdAt));
}

} // namespace kiln::ui
