#include "render/scene.h"

#include "core/error.h"
#include "render/scene_impl.h"

#include <string>

namespace kiln::render {

namespace {

core::Bounds transformBounds(const core::Bounds& b, const glm::mat4& m) {
    core::Bounds out;
    if (!b.valid) return out;
    for (int i = 0; i < 8; ++i) {
        const glm::vec3 corner(i & 1 ? b.max.x : b.min.x, i & 2 ? b.max.y : b.min.y, i & 4 ? b.max.z : b.min.z);
        out.extend(glm::vec3(m * glm::vec4(corner, 1.0f)));
    }
    return out;
}

SceneObject& findObject(Scene::Impl& scene, Scene::ObjectId id) {
    auto it = scene.objects.find(id);
    if (it == scene.objects.end()) throw Error("renderer: no object " + std::to_string(id));
    return it->second;
}

} // namespace

bool Scene::Impl::hasVisibleMeshes() const {
    for (const auto& [id, obj] : objects)
        if (obj.visible && obj.mesh) return true;
    return false;
}

core::Bounds Scene::Impl::bounds() const {
    core::Bounds b;
    for (const auto& [id, obj] : objects) {
        if (!obj.visible) continue;
        const core::Bounds wb = transformBounds(obj.localBounds, obj.transform);
        if (wb.valid) {
            b.extend(wb.min);
            b.extend(wb.max);
        }
    }
    return b;
}

Scene::ObjectId Scene::add(const core::Asset& asset, const glm::mat4& transform) {
    m_impl->deviceWork();
    SceneObject obj;
    obj.transform = transform;
    obj.localBounds = core::computeBounds(asset);
    if (const core::Mesh* m = asset.mesh()) obj.mesh = uploadMesh(m_impl->resources, *m);
    else if (const core::GaussianCloud* g = asset.gaussians()) {
        obj.splats = uploadSplats(m_impl->resources, *g);
        obj.splats->source = asset.data;
    }
    else throw Error("asset '" + asset.name + "' has nothing to render");
    const ObjectId id = m_impl->nextId++;
    m_impl->objects.emplace(id, std::move(obj));
    return id;
}

Scene::ObjectId Scene::addField(const core::RadianceField& field, const glm::mat4& transform) {
    m_impl->deviceWork();
    SceneObject obj;
    obj.transform = transform;
    obj.localBounds = field.bounds;
    obj.field = uploadField(m_impl->resources, field);
    const ObjectId id = m_impl->nextId++;
    m_impl->objects.emplace(id, std::move(obj));
    return id;
}

void Scene::setTransform(ObjectId id, const glm::mat4& transform) { findObject(*m_impl, id).transform = transform; }

void Scene::setVisible(ObjectId id, bool visible) { findObject(*m_impl, id).visible = visible; }

// Both wait for the GPU: the last frame may still read the buffers being freed.
void Scene::remove(ObjectId id) {
    m_impl->deviceWork();
    m_impl->resources.ctx.device.waitIdle();
    if (m_impl->onRemove) m_impl->onRemove(id);
    m_impl->objects.erase(id);
}

void Scene::clear() {
    m_impl->deviceWork();
    m_impl->resources.ctx.device.waitIdle();
    if (m_impl->onRemove)
        for (const auto& [id, obj] : m_impl->objects) m_impl->onRemove(id);
    m_impl->objects.clear();
}

core::Bounds Scene::bounds() const { return m_impl->bounds(); }

} // namespace kiln::render
