#pragma once

// A Scene says what is drawn (Filament's Scene): GPU copies of meshes, splat clouds and radiance
// fields, each with a transform and a visibility flag. The renderer owns the copies, never the
// data (STYLE 4): an asset can be dropped by the caller right after add().
#include "core/asset.h"
#include "core/mesh.h"
#include "core/radiance_field.h"

#include <glm/mat4x4.hpp>

#include <cstdint>

namespace kiln::render {

// One per Renderer (Renderer::scene()), on its device; not thread-safe, used from the thread
// that drives that Renderer.
class Scene {
public:
    using ObjectId = std::uint64_t;

    ObjectId add(const core::Asset& asset, const glm::mat4& transform = glm::mat4(1.0f));
    ObjectId addField(const core::RadianceField& field, const glm::mat4& transform = glm::mat4(1.0f));
    // setTransform and setVisible throw kiln::Error for an id the scene does not hold; remove ignores it.
    void setTransform(ObjectId id, const glm::mat4& transform);
    void setVisible(ObjectId id, bool visible);
    void remove(ObjectId id);
    void clear();
    core::Bounds bounds() const;  // world bounds of visible objects; invalid when there are none

    // A handle on the Renderer's scene data (engine/render internal).
    struct Impl;
    explicit Scene(Impl& impl) : m_impl(&impl) {}
    Scene(const Scene&) = delete;
    Scene& operator=(const Scene&) = delete;

private:
    Impl* m_impl;
};

} // namespace kiln::render
