#pragma once

#include "core/document.h"

#include <QWidget>

#include <glm/vec3.hpp>

class QFormLayout;
class QDoubleSpinBox;
class QLabel;

namespace kiln::ui {

class StudioDocument;

// Stats (triangles, splats, materials, textures, bounds), transform and provenance (prompt,
// seed, model, parent) of the selected asset's current version.
class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectorPanel(StudioDocument& document, QWidget* parent = nullptr);
    // The value shown for a field ("Triangles", "Splats", ...); tests read it.
    QString field(const QString& name) const;

signals:
    // "Apply" in the transform section: bake a translation into a new version.
    void moveRequested(kiln::core::AssetId asset, glm::vec3 delta);

private:
    void refresh();
    void setField(const QString& name, const QString& value);

    StudioDocument& m_document;
    QFormLayout* m_form = nullptr;
    QDoubleSpinBox* m_move[3] = {};
    QWidget* m_transform = nullptr;
};

} // namespace kiln::ui
