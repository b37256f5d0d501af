#pragma once

// Internal to engine/render: what a Scene holds. Each object is one GPU copy (mesh, splat cloud
// or radiance field) with its transform; the passes read these, the Scene API edits them.
#include "render/device_resources.h"
#include "render/scene.h"
#include "render/shader_interface.h"
#include "render/splat_tiles.h"

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace kiln::render {

struct MaterialGpu {
    vk::raii::DescriptorSet set{nullptr};  // base colour, metallic-roughness, normal, emissive, occlusion
    MeshPush push{};                       // factors; the model matrix is filled in per draw
};

struct MeshGpu {
    GpuBuffer positions, normals, uvs, colors, indices;
    std::vector<GpuImage> textures;
    std::vector<MaterialGpu> materials;  // last one is the default material
    struct Draw {
        std::uint32_t firstIndex, indexCount;
        std::size_t material;
    };
    std::vector<Draw> draws;  // one per submesh
    std::size_t triangles = 0;
};

struct SplatsGpu {
    GpuBuffer splats;  // SplatGpu per splat
    // Back-to-front indices the draw reads, in device memory. A CPU sort writes `orderUpload`
    // (host memory, mapped), which the frame copies into `order` before the preprocess; the GPU
    // sort writes `order` itself, never through host memory (on an H200 the GPU sort of 1M splats
    // took 3.1 ms scattering into host-visible memory, 1.9 ms into device memory).
    GpuBuffer order, orderUpload;
    GpuBuffer projected;      // kProjectedSplatBytes per splat, written by the preprocess every frame
    vk::raii::DescriptorSet set{nullptr};
    // The GPU sort: depth keys (written by the preprocess), the ping-pong copies of keys and order,
    // the digit counts, and the two descriptor sets (order -> tmp, tmp -> order).
    GpuBuffer sortKeys, sortKeysTmp, sortOrderTmp, sortHist;
    vk::raii::DescriptorSet sortForward{nullptr}, sortBack{nullptr};
    std::shared_ptr<const std::vector<glm::vec3>> positions;  // CPU copy the sorter reads
    // The host path reads the cloud itself (opacities, SH) through its upload order.
    std::shared_ptr<const void> source;  // keeps `cloud` alive
    const core::GaussianCloud* cloud = nullptr;
    std::vector<std::uint32_t> lod;      // upload index -> cloud index
    // The compute rasterizer: the splats' shapes for binning, this frame's tile bins (host
    // visible, grown as needed) and the set that binds them with the target (set 2).
    std::vector<SplatShape> shapes;
    SplatTileBins bins;
    GpuBuffer tileRanges, tileEntries;
    vk::raii::DescriptorSet tileSet{nullptr};
    std::size_t lastTileEntries = 0;  // the last bins' size, which sizes the next frame's buffer
    std::size_t count = 0;
    std::size_t drawCount = 0;      // entries of `order`: a level-of-detail prefix of the splats, or all of them
    int shDegree = 0;
    bool hasOrder = false;
    glm::mat4 lastRequested{0.0f};  // view * model of the newest sort asked for
    std::size_t requestedCount = 0; // and the prefix it sorts
    glm::mat4 orderViewModel{0.0f}; // view * model the order in `order` was sorted for
    // The drawn order is not the newest one asked for (a worker is still sorting).
    bool orderStale() const { return orderViewModel != lastRequested || drawCount != requestedCount; }
};

struct FieldGpu {
    GpuImage volume;  // RGB colour + density, half floats
    vk::raii::DescriptorSet set{nullptr};
    glm::mat4 gridToLocal{1.0f};  // unit cube to the field's bounds
    int maxResolution = 0;
};

struct SceneObject {
    glm::mat4 transform{1.0f};
    bool visible = true;
    core::Bounds localBounds;
    // Exactly one of these is set.
    std::unique_ptr<MeshGpu> mesh;
    std::unique_ptr<SplatsGpu> splats;
    std::unique_ptr<FieldGpu> field;
};

// Uploads (scene_upload.cpp). Each validates its input and throws kiln::Error naming it. Splats
// are stored in their level-of-detail order (splatLodOrder), so a prefix is the most visible ones.
std::unique_ptr<MeshGpu> uploadMesh(const DeviceResources& resources, const core::Mesh& mesh);
std::unique_ptr<SplatsGpu> uploadSplats(const DeviceResources& resources, const core::GaussianCloud& cloud);
std::unique_ptr<FieldGpu> uploadField(const DeviceResources& resources, const core::RadianceField& field);

struct Scene::Impl {
    explicit Impl(const DeviceResources& deviceResources) : resources(deviceResources) {}

    const DeviceResources& resources;
    std::map<ObjectId, SceneObject> objects;  // ordered by id: draws happen in the order objects were added
    ObjectId nextId = 1;
    // Called for each object removed, after the GPU is idle (the Renderer's splat pass forgets its sorts).
    std::function<void(ObjectId)> onRemove;
    // Called before an upload or a release: the Renderer finishes a frame still in flight (its
    // present may be using the queue on another thread).
    std::function<void()> beforeDeviceWork;
    void deviceWork() const {
        if (beforeDeviceWork) beforeDeviceWork();
    }

    core::Bounds bounds() const;
    // Whether a visible object has a mesh: a frame without one draws no triangles in the scene
    // pass (the renderer's sample count and the host splat path both follow it).
    bool hasVisibleMeshes() const;
};

} // namespace kiln::render
