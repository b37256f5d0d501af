#include "render/renderer.h"

#include "core/error.h"
#include "render/splat_sort.h"
#include "render/vk_context.h"

#include <kiln_shaders/field_frag.h>
#include <kiln_shaders/field_vert.h>
#include <kiln_shaders/lines_frag.h>
#include <kiln_shaders/lines_vert.h>
#include <kiln_shaders/mesh_frag.h>
#include <kiln_shaders/mesh_vert.h>
#include <kiln_shaders/splat_frag.h>
#include <kiln_shaders/splat_vert.h>
#include <kiln_shaders/wire_frag.h>
#include <kiln_shaders/wire_vert.h>

#include <glm/geometric.hpp>
#include <glm/gtc/packing.hpp>
#include <glm/gtc/type_ptr.hpp>
#include <glm/ext/matrix_transform.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

namespace kiln::render {

namespace {

#ifdef NDEBUG
constexpr bool kDebugBuild = false;
#else
constexpr bool kDebugBuild = true;
#endif

constexpr vk::Format kColorFormat = vk::Format::eR16G16B16A16Sfloat;
constexpr vk::Format kDepthFormat = vk::Format::eD32Sfloat;

struct FrameUniforms {
    glm::mat4 view, proj, viewProj, invViewProj;
    glm::vec4 cameraPos, viewport;
    glm::vec4 lightDir[3], lightColor[3];
    glm::vec4 skyColor, groundColor;
    glm::ivec4 mode;
};

struct MeshPush {
    glm::mat4 model;
    glm::vec4 baseColor;
    glm::vec4 emissiveMetallic;
    glm::vec4 params;
};
static_assert(sizeof(MeshPush) <= 128);

struct SplatPush {
    glm::mat4 model;
    glm::ivec4 info;
};

struct FieldPush {
    glm::mat4 worldToGrid;
    glm::vec4 params;
};

struct LinePush {
    glm::mat4 transform;
};

struct LineVertex {
    glm::vec3 position;
    glm::vec4 color;
};

struct SplatGpu {
    glm::vec4 positionOpacity;
    glm::vec4 rotation;
    glm::vec4 logScale;
    float sh[48];
};

vk::raii::ShaderModule makeModule(const vk::raii::Device& device, const std::uint32_t* code, std::size_t bytes) {
    return vk::raii::ShaderModule(device, vk::ShaderModuleCreateInfo({}, bytes, code));
}

vk::SampleCountFlagBits toSampleBits(int samples) {
    switch (samples) {
    case 8: return vk::SampleCountFlagBits::e8;
    case 4: return vk::SampleCountFlagBits::e4;
    case 2: return vk::SampleCountFlagBits::e2;
    default: return vk::SampleCountFlagBits::e1;
    }
}

std::uint32_t mipCount(std::uint32_t w, std::uint32_t h) {
    std::uint32_t levels = 1;
    while ((w | h) >> levels) ++levels;
    return levels;
}

glm::vec3 transformPoint(const glm::mat4& m, const glm::vec3& p) { return glm::vec3(m * glm::vec4(p, 1.0f)); }

core::Bounds transformBounds(const core::Bounds& b, const glm::mat4& m) {
    core::Bounds out;
    if (!b.valid) return out;
    for (int i = 0; i < 8; ++i)
        out.extend(transformPoint(m, glm::vec3(i & 1 ? b.max.x : b.min.x, i & 2 ? b.max.y : b.min.y, i & 4 ? b.max.z : b.min.z)));
    return out;
}

// Vertex normals for meshes that have none: area-weighted face normals.
std::vector<glm::vec3> computeNormals(const core::Mesh& mesh) {
    std::vector<glm::vec3> n(mesh.positions.size(), glm::vec3(0.0f));
    for (std::size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
        const std::uint32_t a = mesh.indices[t], b = mesh.indices[t + 1], c = mesh.indices[t + 2];
        const glm::vec3 fn = glm::cross(mesh.positions[b] - mesh.positions[a], mesh.positions[c] - mesh.positions[a]);
        n[a] += fn;
        n[b] += fn;
        n[c] += fn;
    }
    for (auto& v : n) {
        const float len = glm::length(v);
        v = len > 0 ? v / len : glm::vec3(0, 1, 0);
    }
    return n;
}

} // namespace

const char* toString(ShadingMode mode) {
    switch (mode) {
    case ShadingMode::Lit: return "lit";
    case ShadingMode::Unlit: return "unlit";
    case ShadingMode::Normals: return "normals";
    case ShadingMode::UvChecker: return "uv";
    case ShadingMode::Wireframe: return "wire";
    case ShadingMode::SplatCenters: return "centers";
    case ShadingMode::SplatEllipsoids: return "ellipsoids";
    }
    return "lit";
}

ShadingMode shadingModeFromString(const std::string& name) {
    for (ShadingMode m : {ShadingMode::Lit, ShadingMode::Unlit, ShadingMode::Normals, ShadingMode::UvChecker, ShadingMode::Wireframe,
                          ShadingMode::SplatCenters, ShadingMode::SplatEllipsoids})
        if (name == toString(m)) return m;
    throw Error("unknown shading mode '" + name + "' (use lit, unlit, normals, uv, wire, centers or ellipsoids)");
}

struct MaterialGpu {
    vk::raii::DescriptorSet set{nullptr};
    MeshPush push{};
};

struct MeshGpu {
    GpuBuffer positions, normals, uvs, colors, indices;
    std::vector<GpuImage> textures;
    std::vector<MaterialGpu> materials;  // last one is the default material
    struct Draw {
        std::uint32_t firstIndex, indexCount;
        std::size_t material;
    };
    std::vector<Draw> draws;
    std::size_t triangles = 0;
};

struct SplatsGpu {
    GpuBuffer splats, order;
    vk::raii::DescriptorSet set{nullptr};
    std::shared_ptr<const std::vector<glm::vec3>> positions;
    std::size_t count = 0;
    int shDegree = 0;
    bool hasOrder = false;
    glm::mat4 lastRequested{0.0f};
};

struct FieldGpu {
    GpuImage volume;
    vk::raii::DescriptorSet set{nullptr};
    glm::mat4 gridToLocal{1.0f};
    int maxResolution = 0;
};

struct Object {
    glm::mat4 transform{1.0f};
    bool visible = true;
    core::Bounds localBounds;
    std::unique_ptr<MeshGpu> mesh;
    std::unique_ptr<SplatsGpu> splats;
    std::unique_ptr<FieldGpu> field;
};

// Render passes and pass-1 pipelines for one MSAA sample count.
struct PassSet {
    int samples = 1;
    vk::raii::RenderPass scenePass{nullptr};  // meshes + grid, resolves colour and depth
    vk::raii::Pipeline mesh{nullptr}, wire{nullptr}, grid{nullptr};
};

struct Target {
    int width = 0, height = 0, samples = 0;
    GpuImage colorMs, depthMs, color, depth;
    vk::raii::Framebuffer sceneFb{nullptr}, overlayFb{nullptr};
    GpuBuffer readback;
};

struct Renderer::Impl {
    VkContext ctx;
    vk::raii::DescriptorPool pool{nullptr};
    vk::raii::DescriptorSetLayout frameLayout{nullptr}, materialLayout{nullptr}, splatLayout{nullptr}, fieldLayout{nullptr};
    vk::raii::PipelineLayout meshPipeLayout{nullptr}, linePipeLayout{nullptr}, splatPipeLayout{nullptr}, fieldPipeLayout{nullptr};
    vk::raii::Sampler textureSampler{nullptr}, depthSampler{nullptr}, volumeSampler{nullptr};
    vk::raii::ShaderModule meshVert{nullptr}, meshFrag{nullptr}, wireVert{nullptr}, wireFrag{nullptr}, linesVert{nullptr}, linesFrag{nullptr}, splatVert{nullptr},
        splatFrag{nullptr}, fieldVert{nullptr}, fieldFrag{nullptr};
    vk::raii::RenderPass overlayPass{nullptr};  // splats, fields, gizmo over the resolved scene
    vk::raii::Pipeline splatPipe{nullptr}, fieldPipe{nullptr}, gizmoPipe{nullptr};
    std::map<int, std::unique_ptr<PassSet>> passSets;
    GpuImage white, flatNormal;
    GpuBuffer frameUbo, lineVertices;
    vk::raii::DescriptorSet frameSet{nullptr};
    vk::raii::CommandBuffer cmd{nullptr};
    vk::raii::Fence frameFence{nullptr};
    Target target;
    std::map<ObjectId, Object> objects;
    ObjectId nextId = 1;
    FrameStats stats;
    std::unique_ptr<AsyncSplatSorter> asyncSorter;

    explicit Impl(const RendererOptions& options)
        : ctx(options.validation == Validation::On || (options.validation == Validation::Auto && kDebugBuild), options.validation == Validation::On,
              options.instanceExtensions, options.swapchain) {
        const auto& dev = ctx.device;
        std::array<vk::DescriptorPoolSize, 3> sizes = {vk::DescriptorPoolSize(vk::DescriptorType::eUniformBuffer, 64),
                                                       vk::DescriptorPoolSize(vk::DescriptorType::eCombinedImageSampler, 20000),
                                                       vk::DescriptorPoolSize(vk::DescriptorType::eStorageBuffer, 2000)};
        pool = vk::raii::DescriptorPool(dev, vk::DescriptorPoolCreateInfo(vk::DescriptorPoolCreateFlagBits::eFreeDescriptorSet, 5000, sizes));

        const auto vf = vk::ShaderStageFlagBits::eVertex | vk::ShaderStageFlagBits::eFragment;
        std::array<vk::DescriptorSetLayoutBinding, 2> frameBindings = {
            vk::DescriptorSetLayoutBinding(0, vk::DescriptorType::eUniformBuffer, 1, vf),
            vk::DescriptorSetLayoutBinding(1, vk::DescriptorType::eCombinedImageSampler, 1, vk::ShaderStageFlagBits::eFragment)};
        frameLayout = vk::raii::DescriptorSetLayout(dev, vk::DescriptorSetLayoutCreateInfo({}, frameBindings));
        std::array<vk::DescriptorSetLayoutBinding, 5> matBindings;
        for (std::uint32_t i = 0; i < 5; ++i)
            matBindings[i] = vk::DescriptorSetLayoutBinding(i, vk::DescriptorType::eCombinedImageSampler, 1, vk::ShaderStageFlagBits::eFragment);
        materialLayout = vk::raii::DescriptorSetLayout(dev, vk::DescriptorSetLayoutCreateInfo({}, matBindings));
        std::array<vk::DescriptorSetLayoutBinding, 2> splatBindings = {
            vk::DescriptorSetLayoutBinding(0, vk::DescriptorType::eStorageBuffer, 1, vk::ShaderStageFlagBits::eVertex),
            vk::DescriptorSetLayoutBinding(1, vk::DescriptorType::eStorageBuffer, 1, vk::ShaderStageFlagBits::eVertex)};
        splatLayout = vk::raii::DescriptorSetLayout(dev, vk::DescriptorSetLayoutCreateInfo({}, splatBindings));
        vk::DescriptorSetLayoutBinding fieldBinding(0, vk::DescriptorType::eCombinedImageSampler, 1, vk::ShaderStageFlagBits::eFragment);
        fieldLayout = vk::raii::DescriptorSetLayout(dev, vk::DescriptorSetLayoutCreateInfo({}, fieldBinding));

        auto makeLayout = [&](std::vector<vk::DescriptorSetLayout> sets, std::uint32_t pushBytes) {
            vk::PushConstantRange range(vf, 0, pushBytes);
            return vk::raii::PipelineLayout(dev, vk::PipelineLayoutCreateInfo({}, sets, range));
        };
        meshPipeLayout = makeLayout({*frameLayout, *materialLayout}, sizeof(MeshPush));
        linePipeLayout = makeLayout({*frameLayout}, sizeof(LinePush));
        splatPipeLayout = makeLayout({*frameLayout, *splatLayout}, sizeof(SplatPush));
        fieldPipeLayout = makeLayout({*frameLayout, *fieldLayout}, sizeof(FieldPush));

        textureSampler = vk::raii::Sampler(dev, vk::SamplerCreateInfo({}, vk::Filter::eLinear, vk::Filter::eLinear, vk::SamplerMipmapMode::eLinear,
                                                                      vk::SamplerAddressMode::eRepeat, vk::SamplerAddressMode::eRepeat,
                                                                      vk::SamplerAddressMode::eRepeat, 0.0f, VK_FALSE, 1.0f, VK_FALSE,
                                                                      vk::CompareOp::eNever, 0.0f, VK_LOD_CLAMP_NONE));
        depthSampler = vk::raii::Sampler(dev, vk::SamplerCreateInfo({}, vk::Filter::eNearest, vk::Filter::eNearest, vk::SamplerMipmapMode::eNearest,
                                                                    vk::SamplerAddressMode::eClampToEdge, vk::SamplerAddressMode::eClampToEdge,
                                                                    vk::SamplerAddressMode::eClampToEdge));
        volumeSampler = vk::raii::Sampler(dev, vk::SamplerCreateInfo({}, vk::Filter::eLinear, vk::Filter::eLinear, vk::SamplerMipmapMode::eNearest,
                                                                     vk::SamplerAddressMode::eClampToEdge, vk::SamplerAddressMode::eClampToEdge,
                                                                     vk::SamplerAddressMode::eClampToEdge));

        meshVert = makeModule(dev, k_mesh_vert, sizeof k_mesh_vert);
        meshFrag = makeModule(dev, k_mesh_frag, sizeof k_mesh_frag);
        wireVert = makeModule(dev, k_wire_vert, sizeof k_wire_vert);
        wireFrag = makeModule(dev, k_wire_frag, sizeof k_wire_frag);
        linesVert = makeModule(dev, k_lines_vert, sizeof k_lines_vert);
        linesFrag = makeModule(dev, k_lines_frag, sizeof k_lines_frag);
        splatVert = makeModule(dev, k_splat_vert, sizeof k_splat_vert);
        splatFrag = makeModule(dev, k_splat_frag, sizeof k_splat_frag);
        fieldVert = makeModule(dev, k_field_vert, sizeof k_field_vert);
        fieldFrag = makeModule(dev, k_field_frag, sizeof k_field_frag);

        overlayPass = createOverlayPass();
        splatPipe = createPipeline(PipelineKind::Splat, *overlayPass, 1);
        fieldPipe = createPipeline(PipelineKind::Field, *overlayPass, 1);
        gizmoPipe = createPipeline(PipelineKind::Gizmo, *overlayPass, 1);

        const std::uint8_t whitePx[4] = {255, 255, 255, 255}, normalPx[4] = {128, 128, 255, 255};
        white = ctx.createImage(vk::ImageType::e2D, vk::Format::eR8G8B8A8Unorm, {1, 1, 1}, 1, vk::SampleCountFlagBits::e1,
                                vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst, vk::ImageAspectFlagBits::eColor);
        ctx.uploadImage(white, whitePx, 4);
        flatNormal = ctx.createImage(vk::ImageType::e2D, vk::Format::eR8G8B8A8Unorm, {1, 1, 1}, 1, vk::SampleCountFlagBits::e1,
                                     vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst, vk::ImageAspectFlagBits::eColor);
        ctx.uploadImage(flatNormal, normalPx, 4);

        frameUbo = ctx.createBuffer(sizeof(FrameUniforms), vk::BufferUsageFlagBits::eUniformBuffer, true);
        lineVertices = ctx.createBuffer(sizeof(LineVertex) * 4096, vk::BufferUsageFlagBits::eVertexBuffer, true);
        frameSet = allocateSet(*frameLayout);
        vk::DescriptorBufferInfo uboInfo(*frameUbo.buffer, 0, sizeof(FrameUniforms));
        ctx.device.updateDescriptorSets(vk::WriteDescriptorSet(*frameSet, 0, 0, vk::DescriptorType::eUniformBuffer, {}, uboInfo), {});

        vk::raii::CommandBuffers cbs(dev, {*ctx.commandPool, vk::CommandBufferLevel::ePrimary, 1});
        cmd = std::move(cbs[0]);
        frameFence = vk::raii::Fence(dev, vk::FenceCreateInfo(vk::FenceCreateFlagBits::eSignaled));
    }

    vk::raii::DescriptorSet allocateSet(vk::DescriptorSetLayout layout) {
        vk::raii::DescriptorSets sets(ctx.device, vk::DescriptorSetAllocateInfo(*pool, layout));
        return std::move(sets.front());
    }

    vk::raii::RenderPass createScenePass(int samples) {
        const bool ms = samples > 1;
        const auto sb = toSampleBits(samples);
        std::vector<vk::AttachmentDescription2> att;
        att.push_back(vk::AttachmentDescription2({}, kColorFormat, sb, vk::AttachmentLoadOp::eClear,
                                                 ms ? vk::AttachmentStoreOp::eDontCare : vk::AttachmentStoreOp::eStore, vk::AttachmentLoadOp::eDontCare,
                                                 vk::AttachmentStoreOp::eDontCare, vk::ImageLayout::eUndefined, vk::ImageLayout::eColorAttachmentOptimal));
        att.push_back(vk::AttachmentDescription2({}, kDepthFormat, sb, vk::AttachmentLoadOp::eClear,
                                                 ms ? vk::AttachmentStoreOp::eDontCare : vk::AttachmentStoreOp::eStore, vk::AttachmentLoadOp::eDontCare,
                                                 vk::AttachmentStoreOp::eDontCare, vk::ImageLayout::eUndefined,
                                                 ms ? vk::ImageLayout::eDepthStencilAttachmentOptimal : vk::ImageLayout::eDepthStencilReadOnlyOptimal));
        if (ms) {
            att.push_back(vk::AttachmentDescription2({}, kColorFormat, vk::SampleCountFlagBits::e1, vk::AttachmentLoadOp::eDontCare,
                                                     vk::AttachmentStoreOp::eStore, vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare,
                                                     vk::ImageLayout::eUndefined, vk::ImageLayout::eColorAttachmentOptimal));
            att.push_back(vk::AttachmentDescription2({}, kDepthFormat, vk::SampleCountFlagBits::e1, vk::AttachmentLoadOp::eDontCare,
                                                     vk::AttachmentStoreOp::eStore, vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare,
                                                     vk::ImageLayout::eUndefined, vk::ImageLayout::eDepthStencilReadOnlyOptimal));
        }
        vk::AttachmentReference2 colorRef(0, vk::ImageLayout::eColorAttachmentOptimal, vk::ImageAspectFlagBits::eColor);
        vk::AttachmentReference2 depthRef(1, vk::ImageLayout::eDepthStencilAttachmentOptimal, vk::ImageAspectFlagBits::eDepth);
        vk::AttachmentReference2 resolveRef(2, vk::ImageLayout::eColorAttachmentOptimal, vk::ImageAspectFlagBits::eColor);
        vk::AttachmentReference2 depthResolveRef(3, vk::ImageLayout::eDepthStencilAttachmentOptimal, vk::ImageAspectFlagBits::eDepth);
        // Depth resolve (core in Vulkan 1.2; SAMPLE_ZERO is always supported) gives the overlay
        // pass a single-sample mesh depth to test splats against and to stop field rays at.
        vk::SubpassDescriptionDepthStencilResolve depthResolve(vk::ResolveModeFlagBits::eSampleZero, vk::ResolveModeFlagBits::eNone, &depthResolveRef);
        vk::SubpassDescription2 subpass({}, vk::PipelineBindPoint::eGraphics, 0, {}, colorRef, ms ? resolveRef : vk::ArrayProxyNoTemporaries<const vk::AttachmentReference2>{}, &depthRef);
        if (ms) subpass.pNext = &depthResolve;
        const auto writeStages = vk::PipelineStageFlagBits::eColorAttachmentOutput | vk::PipelineStageFlagBits::eEarlyFragmentTests |
                                 vk::PipelineStageFlagBits::eLateFragmentTests;
        const auto writeAccess = vk::AccessFlagBits::eColorAttachmentWrite | vk::AccessFlagBits::eDepthStencilAttachmentWrite;
        std::array<vk::SubpassDependency2, 2> deps = {
            vk::SubpassDependency2(VK_SUBPASS_EXTERNAL, 0, writeStages | vk::PipelineStageFlagBits::eTransfer | vk::PipelineStageFlagBits::eFragmentShader,
                                   writeStages, writeAccess | vk::AccessFlagBits::eTransferRead | vk::AccessFlagBits::eShaderRead,
                                   writeAccess | vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eDepthStencilAttachmentRead),
            vk::SubpassDependency2(0, VK_SUBPASS_EXTERNAL, writeStages, writeStages | vk::PipelineStageFlagBits::eFragmentShader, writeAccess,
                                   writeAccess | vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eDepthStencilAttachmentRead |
                                       vk::AccessFlagBits::eShaderRead)};
        return vk::raii::RenderPass(ctx.device, vk::RenderPassCreateInfo2({}, att, subpass, deps));
    }

    vk::raii::RenderPass createOverlayPass() {
        std::array<vk::AttachmentDescription2, 2> att = {
            vk::AttachmentDescription2({}, kColorFormat, vk::SampleCountFlagBits::e1, vk::AttachmentLoadOp::eLoad, vk::AttachmentStoreOp::eStore,
                                       vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare, vk::ImageLayout::eColorAttachmentOptimal,
                                       vk::ImageLayout::eTransferSrcOptimal),
            vk::AttachmentDescription2({}, kDepthFormat, vk::SampleCountFlagBits::e1, vk::AttachmentLoadOp::eLoad, vk::AttachmentStoreOp::eStore,
                                       vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare, vk::ImageLayout::eDepthStencilReadOnlyOptimal,
                                       vk::ImageLayout::eDepthStencilReadOnlyOptimal)};
        vk::AttachmentReference2 colorRef(0, vk::ImageLayout::eColorAttachmentOptimal, vk::ImageAspectFlagBits::eColor);
        // Read-only depth: tested by splats and sampled by the field shader in the same pass.
        vk::AttachmentReference2 depthRef(1, vk::ImageLayout::eDepthStencilReadOnlyOptimal, vk::ImageAspectFlagBits::eDepth);
        vk::SubpassDescription2 subpass({}, vk::PipelineBindPoint::eGraphics, 0, {}, colorRef, {}, &depthRef);
        const auto stages = vk::PipelineStageFlagBits::eColorAttachmentOutput | vk::PipelineStageFlagBits::eEarlyFragmentTests |
                            vk::PipelineStageFlagBits::eLateFragmentTests | vk::PipelineStageFlagBits::eFragmentShader;
        std::array<vk::SubpassDependency2, 2> deps = {
            vk::SubpassDependency2(VK_SUBPASS_EXTERNAL, 0, stages, stages,
                                   vk::AccessFlagBits::eColorAttachmentWrite | vk::AccessFlagBits::eDepthStencilAttachmentWrite,
                                   vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eColorAttachmentWrite |
                                       vk::AccessFlagBits::eDepthStencilAttachmentRead | vk::AccessFlagBits::eShaderRead),
            vk::SubpassDependency2(0, VK_SUBPASS_EXTERNAL, vk::PipelineStageFlagBits::eColorAttachmentOutput, vk::PipelineStageFlagBits::eTransfer,
                                   vk::AccessFlagBits::eColorAttachmentWrite, vk::AccessFlagBits::eTransferRead)};
        return vk::raii::RenderPass(ctx.device, vk::RenderPassCreateInfo2({}, att, subpass, deps));
    }

    enum class PipelineKind { Mesh, Wire, Grid, Splat, Field, Gizmo };

    vk::raii::Pipeline createPipeline(PipelineKind kind, vk::RenderPass pass, int samples) {
        vk::ShaderModule vs = *meshVert, fs = *meshFrag;
        vk::PipelineLayout layout = *meshPipeLayout;
        std::vector<vk::VertexInputBindingDescription> bindings;
        std::vector<vk::VertexInputAttributeDescription> attrs;
        vk::PrimitiveTopology topo = vk::PrimitiveTopology::eTriangleList;
        vk::PolygonMode polygon = vk::PolygonMode::eFill;
        bool depthTest = true, depthWrite = true, depthBias = false, premultiplied = false;
        switch (kind) {
        case PipelineKind::Mesh:
        case PipelineKind::Wire:
            bindings = {{0, 12}, {1, 12}, {2, 8}, {3, 16}};
            attrs = {{0, 0, vk::Format::eR32G32B32Sfloat, 0},
                     {1, 1, vk::Format::eR32G32B32Sfloat, 0},
                     {2, 2, vk::Format::eR32G32Sfloat, 0},
                     {3, 3, vk::Format::eR32G32B32A32Sfloat, 0}};
            if (kind == PipelineKind::Wire) {
                vs = *wireVert;
                fs = *wireFrag;
                bindings.resize(1);
                attrs.resize(1);
                polygon = vk::PolygonMode::eLine;
                depthWrite = false;
                depthBias = true;
            }
            break;
        case PipelineKind::Grid:
        case PipelineKind::Gizmo:
            vs = *linesVert;
            fs = *linesFrag;
            layout = *linePipeLayout;
            bindings = {{0, sizeof(LineVertex)}};
            attrs = {{0, 0, vk::Format::eR32G32B32Sfloat, 0}, {1, 0, vk::Format::eR32G32B32A32Sfloat, offsetof(LineVertex, color)}};
            topo = vk::PrimitiveTopology::eLineList;
            depthWrite = false;
            depthTest = kind == PipelineKind::Grid;
            premultiplied = true;
            break;
        case PipelineKind::Splat:
            vs = *splatVert;
            fs = *splatFrag;
            layout = *splatPipeLayout;
            topo = vk::PrimitiveTopology::eTriangleStrip;
            depthWrite = false;
            premultiplied = true;
            break;
        case PipelineKind::Field:
            vs = *fieldVert;
            fs = *fieldFrag;
            layout = *fieldPipeLayout;
            depthTest = false;
            depthWrite = false;
            premultiplied = true;
            break;
        }
        std::array<vk::PipelineShaderStageCreateInfo, 2> stages = {
            vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eVertex, vs, "main"),
            vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eFragment, fs, "main")};
        vk::PipelineVertexInputStateCreateInfo vertexInput({}, bindings, attrs);
        vk::PipelineInputAssemblyStateCreateInfo assembly({}, topo);
        vk::PipelineViewportStateCreateInfo viewport({}, 1, nullptr, 1, nullptr);
        // The projection flips y so images are upright; Vulkan's facing rule (spec "Basic Polygon
        // Rasterization") already accounts for its y-down framebuffer, so glTF's counter-clockwise
        // front faces stay counter-clockwise. No culling: previews show open, single-sided assets too.
        vk::PipelineRasterizationStateCreateInfo raster({}, VK_FALSE, VK_FALSE, polygon, vk::CullModeFlagBits::eNone, vk::FrontFace::eCounterClockwise,
                                                        depthBias ? VK_TRUE : VK_FALSE, -1.0f, 0.0f, -1.0f, 1.0f);
        vk::PipelineMultisampleStateCreateInfo multisample({}, toSampleBits(samples));
        vk::PipelineDepthStencilStateCreateInfo depth({}, depthTest, depthWrite, vk::CompareOp::eLessOrEqual);
        vk::PipelineColorBlendAttachmentState blend(
            VK_TRUE, premultiplied ? vk::BlendFactor::eOne : vk::BlendFactor::eSrcAlpha, vk::BlendFactor::eOneMinusSrcAlpha, vk::BlendOp::eAdd,
            vk::BlendFactor::eOne, vk::BlendFactor::eOneMinusSrcAlpha, vk::BlendOp::eAdd,
            vk::ColorComponentFlagBits::eR | vk::ColorComponentFlagBits::eG | vk::ColorComponentFlagBits::eB | vk::ColorComponentFlagBits::eA);
        vk::PipelineColorBlendStateCreateInfo blendState({}, VK_FALSE, vk::LogicOp::eCopy, blend);
        std::array<vk::DynamicState, 2> dyn = {vk::DynamicState::eViewport, vk::DynamicState::eScissor};
        vk::PipelineDynamicStateCreateInfo dynamic({}, dyn);
        vk::GraphicsPipelineCreateInfo info({}, stages, &vertexInput, &assembly, nullptr, &viewport, &raster, &multisample, &depth, &blendState, &dynamic,
                                            layout, pass, 0);
        return vk::raii::Pipeline(ctx.device, nullptr, info);
    }

    PassSet& passSet(int samples) {
        auto& slot = passSets[samples];
        if (!slot) {
            slot = std::make_unique<PassSet>();
            slot->samples = samples;
            slot->scenePass = createScenePass(samples);
            slot->mesh = createPipeline(PipelineKind::Mesh, *slot->scenePass, samples);
            if (ctx.fillModeNonSolid) slot->wire = createPipeline(PipelineKind::Wire, *slot->scenePass, samples);
            slot->grid = createPipeline(PipelineKind::Grid, *slot->scenePass, samples);
        }
        return *slot;
    }

    int supportedSamples(int wanted) const {
        const auto limits = ctx.properties.limits;
        const auto counts = limits.framebufferColorSampleCounts & limits.framebufferDepthSampleCounts;
        for (int s : {8, 4, 2})
            if (s <= wanted && (counts & toSampleBits(s))) return s;
        return 1;
    }

    void ensureTarget(int width, int height, int samples) {
        if (target.width == width && target.height == height && target.samples == samples) return;
        ctx.device.waitIdle();
        target = Target{};
        target.width = width;
        target.height = height;
        target.samples = samples;
        const vk::Extent3D ext(std::uint32_t(width), std::uint32_t(height), 1);
        const auto sb = toSampleBits(samples);
        target.color = ctx.createImage(vk::ImageType::e2D, kColorFormat, ext, 1, vk::SampleCountFlagBits::e1,
                                       vk::ImageUsageFlagBits::eColorAttachment | vk::ImageUsageFlagBits::eTransferSrc, vk::ImageAspectFlagBits::eColor);
        target.depth = ctx.createImage(vk::ImageType::e2D, kDepthFormat, ext, 1, vk::SampleCountFlagBits::e1,
                                       vk::ImageUsageFlagBits::eDepthStencilAttachment | vk::ImageUsageFlagBits::eSampled, vk::ImageAspectFlagBits::eDepth);
        PassSet& ps = passSet(samples);
        std::vector<vk::ImageView> sceneViews;
        if (samples > 1) {
            target.colorMs = ctx.createImage(vk::ImageType::e2D, kColorFormat, ext, 1, sb,
                                             vk::ImageUsageFlagBits::eColorAttachment | vk::ImageUsageFlagBits::eTransientAttachment,
                                             vk::ImageAspectFlagBits::eColor);
            target.depthMs = ctx.createImage(vk::ImageType::e2D, kDepthFormat, ext, 1, sb,
                                             vk::ImageUsageFlagBits::eDepthStencilAttachment | vk::ImageUsageFlagBits::eTransientAttachment,
                                             vk::ImageAspectFlagBits::eDepth);
            sceneViews = {*target.colorMs.view, *target.depthMs.view, *target.color.view, *target.depth.view};
        } else {
            sceneViews = {*target.color.view, *target.depth.view};
        }
        target.sceneFb = vk::raii::Framebuffer(ctx.device, vk::FramebufferCreateInfo({}, *ps.scenePass, sceneViews, ext.width, ext.height, 1));
        std::array<vk::ImageView, 2> overlayViews = {*target.color.view, *target.depth.view};
        target.overlayFb = vk::raii::Framebuffer(ctx.device, vk::FramebufferCreateInfo({}, *overlayPass, overlayViews, ext.width, ext.height, 1));
        target.readback = ctx.createBuffer(vk::DeviceSize(width) * height * 8, vk::BufferUsageFlagBits::eTransferDst, true);
        vk::DescriptorImageInfo depthInfo(*depthSampler, *target.depth.view, vk::ImageLayout::eDepthStencilReadOnlyOptimal);
        ctx.device.updateDescriptorSets(vk::WriteDescriptorSet(*frameSet, 1, 0, vk::DescriptorType::eCombinedImageSampler, depthInfo), {});
    }

    // ---- uploads -------------------------------------------------------------------------

    GpuImage uploadTexture(const core::Texture& tex, bool srgb) {
        const core::Image& img = tex.image;
        if (img.empty()) throw Error("texture '" + tex.name + "' has no pixels");
        std::vector<std::uint8_t> rgba(img.pixelCount() * 4, 255);
        for (std::size_t p = 0; p < img.pixelCount(); ++p)
            for (int c = 0; c < 4; ++c) {
                int src = c < img.channels ? c : (c < 3 ? 0 : -1);  // grey expands to RGB; no alpha -> opaque
                if (img.channels == 2 && c == 3) src = 1;
                if (src < 0) continue;
                const std::size_t i = p * std::size_t(img.channels) + std::size_t(src);
                rgba[p * 4 + std::size_t(c)] = img.type == core::PixelType::U8
                                                   ? img.u8[i]
                                                   : std::uint8_t(std::clamp(img.f32[i], 0.0f, 1.0f) * 255.0f + 0.5f);
            }
        const std::uint32_t w = std::uint32_t(img.width), h = std::uint32_t(img.height);
        GpuImage g = ctx.createImage(vk::ImageType::e2D, srgb ? vk::Format::eR8G8B8A8Srgb : vk::Format::eR8G8B8A8Unorm, {w, h, 1}, mipCount(w, h),
                                     vk::SampleCountFlagBits::e1,
                                     vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst | vk::ImageUsageFlagBits::eTransferSrc,
                                     vk::ImageAspectFlagBits::eColor);
        ctx.uploadImage(g, rgba.data(), rgba.size());
        return g;
    }

    std::unique_ptr<MeshGpu> uploadMesh(const core::Mesh& mesh) {
        mesh.validate("render upload");
        auto gpu = std::make_unique<MeshGpu>();
        const std::size_t n = mesh.positions.size();
        const auto vb = vk::BufferUsageFlagBits::eVertexBuffer;
        gpu->positions = ctx.createBufferWithData(mesh.positions.data(), n * 12, vb);
        const std::vector<glm::vec3> normals = mesh.normals.empty() ? computeNormals(mesh) : mesh.normals;
        gpu->normals = ctx.createBufferWithData(normals.data(), n * 12, vb);
        const std::vector<glm::vec2> uvs = mesh.uv0.empty() ? std::vector<glm::vec2>(n, glm::vec2(0.0f)) : mesh.uv0;
        gpu->uvs = ctx.createBufferWithData(uvs.data(), n * 8, vb);
        const std::vector<glm::vec4> colors = mesh.colors.empty() ? std::vector<glm::vec4>(n, glm::vec4(1.0f)) : mesh.colors;
        gpu->colors = ctx.createBufferWithData(colors.data(), n * 16, vb);
        gpu->indices = ctx.createBufferWithData(mesh.indices.data(), mesh.indices.size() * 4, vk::BufferUsageFlagBits::eIndexBuffer);
        gpu->triangles = mesh.triangleCount();

        // Textures by (index, colour space): base colour and emissive are sRGB, the rest linear.
        std::map<std::pair<int, bool>, std::size_t> texSlots;
        auto texView = [&](int index, bool srgb, const GpuImage& fallback) -> vk::ImageView {
            if (index < 0) return *fallback.view;
            auto key = std::make_pair(index, srgb);
            auto it = texSlots.find(key);
            if (it == texSlots.end()) {
                gpu->textures.push_back(uploadTexture(mesh.textures[std::size_t(index)], srgb));
                it = texSlots.emplace(key, gpu->textures.size() - 1).first;
            }
            return *gpu->textures[it->second].view;
        };
        std::vector<core::Material> mats = mesh.materials;
        core::Material fallbackMat;
        fallbackMat.metallicFactor = 0.0f;
        fallbackMat.roughnessFactor = 0.6f;
        mats.push_back(fallbackMat);
        for (const auto& m : mats) {
            MaterialGpu mg;
            mg.set = allocateSet(*materialLayout);
            std::array<vk::DescriptorImageInfo, 5> infos = {
                vk::DescriptorImageInfo(*textureSampler, texView(m.baseColorTexture, true, white), vk::ImageLayout::eShaderReadOnlyOptimal),
                vk::DescriptorImageInfo(*textureSampler, texView(m.metallicRoughnessTexture, false, white), vk::ImageLayout::eShaderReadOnlyOptimal),
                vk::DescriptorImageInfo(*textureSampler, texView(m.normalTexture, false, flatNormal), vk::ImageLayout::eShaderReadOnlyOptimal),
                vk::DescriptorImageInfo(*textureSampler, texView(m.emissiveTexture, true, white), vk::ImageLayout::eShaderReadOnlyOptimal),
                vk::DescriptorImageInfo(*textureSampler, texView(m.occlusionTexture, false, white), vk::ImageLayout::eShaderReadOnlyOptimal)};
            std::array<vk::WriteDescriptorSet, 5> writes;
            for (std::uint32_t i = 0; i < 5; ++i) writes[i] = vk::WriteDescriptorSet(*mg.set, i, 0, vk::DescriptorType::eCombinedImageSampler, infos[i]);
            ctx.device.updateDescriptorSets(writes, {});
            mg.push.baseColor = m.baseColorFactor;
            mg.push.emissiveMetallic = glm::vec4(m.emissiveFactor, m.metallicFactor);
            const float alphaMode = m.alphaMode == core::AlphaMode::Mask ? 1.0f : m.alphaMode == core::AlphaMode::Blend ? 2.0f : 0.0f;
            mg.push.params = glm::vec4(m.roughnessFactor, m.alphaCutoff, alphaMode, m.normalTexture >= 0 ? 1.0f : 0.0f);
            gpu->materials.push_back(std::move(mg));
        }
        const std::size_t defaultMat = gpu->materials.size() - 1;
        if (mesh.submeshes.empty()) {
            gpu->draws.push_back({0, std::uint32_t(mesh.indices.size()), defaultMat});
        } else {
            for (const auto& s : mesh.submeshes)
                gpu->draws.push_back({s.firstIndex, s.indexCount, s.material >= 0 ? std::size_t(s.material) : defaultMat});
        }
        return gpu;
    }

    std::unique_ptr<SplatsGpu> uploadSplats(const core::GaussianCloud& cloud) {
        cloud.validate("render upload");
        auto gpu = std::make_unique<SplatsGpu>();
        const std::size_t n = cloud.size();
        const int coeffs = cloud.coeffCount();
        std::vector<SplatGpu> packed(n);
        for (std::size_t i = 0; i < n; ++i) {
            SplatGpu& s = packed[i];
            s.positionOpacity = glm::vec4(cloud.positions[i], cloud.opacityLogits[i]);
            s.rotation = cloud.rotations[i];
            s.logScale = glm::vec4(cloud.logScales[i], 0.0f);
            std::fill(std::begin(s.sh), std::end(s.sh), 0.0f);
            std::memcpy(s.sh, cloud.sh.data() + i * std::size_t(coeffs) * 3, sizeof(float) * std::size_t(coeffs) * 3);
        }
        gpu->count = n;
        gpu->shDegree = cloud.shDegree;
        gpu->splats = ctx.createBufferWithData(packed.data(), packed.size() * sizeof(SplatGpu), vk::BufferUsageFlagBits::eStorageBuffer);
        gpu->order = ctx.createBuffer(std::max<std::size_t>(n, 1) * 4, vk::BufferUsageFlagBits::eStorageBuffer, true);
        gpu->positions = std::make_shared<const std::vector<glm::vec3>>(cloud.positions);
        gpu->set = allocateSet(*splatLayout);
        vk::DescriptorBufferInfo a(*gpu->splats.buffer, 0, VK_WHOLE_SIZE), b(*gpu->order.buffer, 0, VK_WHOLE_SIZE);
        std::array<vk::WriteDescriptorSet, 2> writes = {vk::WriteDescriptorSet(*gpu->set, 0, 0, vk::DescriptorType::eStorageBuffer, {}, a),
                                                        vk::WriteDescriptorSet(*gpu->set, 1, 0, vk::DescriptorType::eStorageBuffer, {}, b)};
        ctx.device.updateDescriptorSets(writes, {});
        return gpu;
    }

    std::unique_ptr<FieldGpu> uploadField(const core::RadianceField& field) {
        field.validate("render upload");
        auto gpu = std::make_unique<FieldGpu>();
        std::vector<std::uint16_t> texels(field.cellCount() * 4);
        for (std::size_t i = 0; i < field.cellCount(); ++i) {
            texels[i * 4 + 0] = glm::packHalf1x16(field.color[i].r);
            texels[i * 4 + 1] = glm::packHalf1x16(field.color[i].g);
            texels[i * 4 + 2] = glm::packHalf1x16(field.color[i].b);
            texels[i * 4 + 3] = glm::packHalf1x16(std::min(field.density[i], 60000.0f));
        }
        const vk::Extent3D ext(std::uint32_t(field.resolution.x), std::uint32_t(field.resolution.y), std::uint32_t(field.resolution.z));
        gpu->volume = ctx.createImage(vk::ImageType::e3D, vk::Format::eR16G16B16A16Sfloat, ext, 1, vk::SampleCountFlagBits::e1,
                                      vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst, vk::ImageAspectFlagBits::eColor);
        ctx.uploadImage(gpu->volume, texels.data(), texels.size() * 2);
        gpu->set = allocateSet(*fieldLayout);
        vk::DescriptorImageInfo info(*volumeSampler, *gpu->volume.view, vk::ImageLayout::eShaderReadOnlyOptimal);
        ctx.device.updateDescriptorSets(vk::WriteDescriptorSet(*gpu->set, 0, 0, vk::DescriptorType::eCombinedImageSampler, info), {});
        gpu->gridToLocal = glm::translate(glm::mat4(1.0f), field.bounds.min) * glm::scale(glm::mat4(1.0f), field.bounds.size());
        gpu->maxResolution = std::max({field.resolution.x, field.resolution.y, field.resolution.z});
        return gpu;
    }

    // ---- frame ---------------------------------------------------------------------------

    void updateSplatOrders(const glm::mat4& view, bool async) {
        for (auto& [id, obj] : objects) {
            if (!obj.splats || !obj.visible) continue;
            SplatsGpu& s = *obj.splats;
            const glm::mat4 viewModel = view * obj.transform;
            std::vector<std::uint32_t> order;
            if (async && s.hasOrder) {
                if (asyncSorter->takeResult(id, order)) std::memcpy(s.order.mapped, order.data(), order.size() * 4);
                if (viewModel != s.lastRequested) {
                    asyncSorter->request(id, s.positions, viewModel);
                    s.lastRequested = viewModel;
                }
                continue;
            }
            sortSplatsBackToFront(*s.positions, viewModel, order);
            std::memcpy(s.order.mapped, order.data(), order.size() * 4);
            s.hasOrder = true;
            s.lastRequested = viewModel;
        }
    }

    std::size_t buildLines(const core::Camera& camera, std::vector<LineVertex>& grid, std::vector<LineVertex>& gizmo, const ViewOptions& opt) {
        grid.clear();
        gizmo.clear();
        core::Bounds b = sceneBoundsNow();
        if (!b.valid) {
            b.extend(glm::vec3(-1.0f));
            b.extend(glm::vec3(1.0f));
        }
        if (opt.grid) {
            const float extent = std::max(glm::length(b.size()), 1e-3f);
            const float spacing = std::pow(10.0f, std::floor(std::log10(extent / 4.0f)));
            const int half = int(std::ceil(extent / spacing));
            const glm::vec3 c = b.center();
            const float y = b.min.y;
            const float cx = std::round(c.x / spacing) * spacing, cz = std::round(c.z / spacing) * spacing;
            const float r = float(half) * spacing;
            for (int i = -half; i <= half; ++i) {
                const float o = float(i) * spacing;
                const float alpha = i % 10 == 0 ? 0.55f : 0.3f;
                const glm::vec4 col(0.62f, 0.63f, 0.66f, alpha);
                grid.push_back({{cx + o, y, cz - r}, col});
                grid.push_back({{cx + o, y, cz + r}, col});
                grid.push_back({{cx - r, y, cz + o}, col});
                grid.push_back({{cx + r, y, cz + o}, col});
            }
        }
        if (opt.axisGizmo) {
            const glm::vec4 colors[3] = {{0.9f, 0.25f, 0.25f, 1.0f}, {0.35f, 0.85f, 0.3f, 1.0f}, {0.3f, 0.45f, 0.95f, 1.0f}};
            for (int a = 0; a < 3; ++a) {
                glm::vec3 axis(0.0f);
                axis[a] = 1.0f;
                gizmo.push_back({glm::vec3(0.0f), colors[a]});
                gizmo.push_back({axis, colors[a]});
            }
        }
        (void)camera;
        std::vector<LineVertex> all = grid;
        all.insert(all.end(), gizmo.begin(), gizmo.end());
        if (all.size() > 4096) all.resize(4096);
        std::memcpy(lineVertices.mapped, all.data(), all.size() * sizeof(LineVertex));
        return grid.size();
    }

    core::Bounds sceneBoundsNow() const {
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

    // Records both passes into `cmd` for the current target. The colour image ends in
    // TRANSFER_SRC_OPTIMAL.
    void recordFrame(const core::Camera& camera, const ViewOptions& opt) {
        const int width = target.width, height = target.height;
        const float aspect = float(width) / float(height);
        FrameUniforms u{};
        u.view = camera.view();
        u.proj = camera.projection(aspect);
        u.proj[1][1] *= -1.0f;  // Vulkan clip space is y-down
        u.viewProj = u.proj * u.view;
        u.invViewProj = glm::inverse(u.viewProj);
        u.cameraPos = glm::vec4(camera.position(), 1.0f);
        u.viewport = glm::vec4(float(width), float(height), camera.focalPixels(height), 0.0f);
        // Studio rig in camera space (key upper left, fill right, rim behind), so every view is lit.
        const glm::mat3 camRot(camera.cameraToWorld);
        const glm::vec3 dirs[3] = {{-0.5f, 0.7f, 0.6f}, {0.8f, 0.2f, 0.5f}, {0.0f, 0.6f, -0.9f}};
        const glm::vec3 colors[3] = {{2.6f, 2.5f, 2.4f}, {0.9f, 0.95f, 1.05f}, {1.2f, 1.2f, 1.3f}};
        for (int i = 0; i < 3; ++i) {
            u.lightDir[i] = glm::vec4(glm::normalize(camRot * dirs[i]), 0.0f);
            u.lightColor[i] = glm::vec4(colors[i], 0.0f);
        }
        u.skyColor = glm::vec4(0.55f, 0.6f, 0.7f, 0.0f);
        u.groundColor = glm::vec4(0.25f, 0.23f, 0.2f, 0.0f);
        const ShadingMode mode = opt.mode;
        u.mode = glm::ivec4(mode == ShadingMode::Unlit ? 1 : mode == ShadingMode::Normals ? 2 : mode == ShadingMode::UvChecker ? 3 : 0, 0, 0, 0);
        std::memcpy(frameUbo.mapped, &u, sizeof u);

        std::vector<LineVertex> grid, gizmo;
        const std::size_t gridCount = buildLines(camera, grid, gizmo, opt);

        const glm::vec3 bg = glm::vec3(opt.background);
        // The clear colour is display-referred like everything in the target.
        const glm::vec3 bgDisplay = glm::vec3(bg.r <= 0.0031308f ? bg.r * 12.92f : 1.055f * std::pow(bg.r, 1.0f / 2.4f) - 0.055f,
                                              bg.g <= 0.0031308f ? bg.g * 12.92f : 1.055f * std::pow(bg.g, 1.0f / 2.4f) - 0.055f,
                                              bg.b <= 0.0031308f ? bg.b * 12.92f : 1.055f * std::pow(bg.b, 1.0f / 2.4f) - 0.055f);
        PassSet& ps = passSet(target.samples);
        cmd.reset();
        cmd.begin({vk::CommandBufferUsageFlagBits::eOneTimeSubmit});
        std::array<vk::ClearValue, 4> clears = {vk::ClearColorValue(std::array<float, 4>{bgDisplay.r, bgDisplay.g, bgDisplay.b, opt.background.a}),
                                                vk::ClearDepthStencilValue(1.0f, 0),
                                                vk::ClearColorValue(std::array<float, 4>{0, 0, 0, 0}), vk::ClearDepthStencilValue(1.0f, 0)};
        const vk::Rect2D full({0, 0}, {std::uint32_t(width), std::uint32_t(height)});
        const vk::Viewport vp(0.0f, 0.0f, float(width), float(height), 0.0f, 1.0f);
        cmd.beginRenderPass(vk::RenderPassBeginInfo(*ps.scenePass, *target.sceneFb, full, clears), vk::SubpassContents::eInline);
        cmd.setViewport(0, vp);
        cmd.setScissor(0, full);
        stats.triangles = 0;
        stats.splats = 0;
        auto drawMeshes = [&](const vk::raii::Pipeline& pipe, bool wire) {
            cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, *pipe);
            cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, *meshPipeLayout, 0, *frameSet, {});
            for (const auto& [id, obj] : objects) {
                if (!obj.visible || !obj.mesh) continue;
                const MeshGpu& m = *obj.mesh;
                std::array<vk::Buffer, 4> vbs = {*m.positions.buffer, *m.normals.buffer, *m.uvs.buffer, *m.colors.buffer};
                std::array<vk::DeviceSize, 4> offs = {0, 0, 0, 0};
                cmd.bindVertexBuffers(0, vbs, offs);
                cmd.bindIndexBuffer(*m.indices.buffer, 0, vk::IndexType::eUint32);
                for (const auto& d : m.draws) {
                    const MaterialGpu& mat = m.materials[d.material];
                    MeshPush push = mat.push;
                    push.model = obj.transform;
                    cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, *meshPipeLayout, 1, *mat.set, {});
                    cmd.pushConstants<MeshPush>(*meshPipeLayout, vk::ShaderStageFlagBits::eVertex | vk::ShaderStageFlagBits::eFragment, 0, push);
                    cmd.drawIndexed(d.indexCount, 1, d.firstIndex, 0, 0);
                }
                if (!wire) stats.triangles += m.triangles;
            }
        };
        drawMeshes(ps.mesh, false);
        if ((opt.wireframeOverlay || mode == ShadingMode::Wireframe) && *ps.wire) drawMeshes(ps.wire, true);
        if (gridCount > 0) {
            cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, *ps.grid);
            cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, *linePipeLayout, 0, *frameSet, {});
            cmd.bindVertexBuffers(0, *lineVertices.buffer, vk::DeviceSize(0));
            cmd.pushConstants<LinePush>(*linePipeLayout, vk::ShaderStageFlagBits::eVertex | vk::ShaderStageFlagBits::eFragment, 0, LinePush{u.viewProj});
            cmd.draw(std::uint32_t(gridCount), 1, 0, 0);
        }
        cmd.endRenderPass();

        cmd.beginRenderPass(vk::RenderPassBeginInfo(*overlayPass, *target.overlayFb, full, {}), vk::SubpassContents::eInline);
        cmd.setViewport(0, vp);
        cmd.setScissor(0, full);
        for (const auto& [id, obj] : objects) {
            if (!obj.visible || !obj.field) continue;
            const FieldGpu& f = *obj.field;
            cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, *fieldPipe);
            cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, *fieldPipeLayout, 0, {*frameSet, *f.set}, {});
            FieldPush push{glm::inverse(obj.transform * f.gridToLocal), glm::vec4(float(2 * f.maxResolution), 0.0f, 0.0f, 0.0f)};
            cmd.pushConstants<FieldPush>(*fieldPipeLayout, vk::ShaderStageFlagBits::eVertex | vk::ShaderStageFlagBits::eFragment, 0, push);
            cmd.draw(3, 1, 0, 0);
        }
        for (const auto& [id, obj] : objects) {
            if (!obj.visible || !obj.splats || obj.splats->count == 0) continue;
            const SplatsGpu& s = *obj.splats;
            cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, *splatPipe);
            cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, *splatPipeLayout, 0, {*frameSet, *s.set}, {});
            const int debug = mode == ShadingMode::SplatCenters ? 1 : mode == ShadingMode::SplatEllipsoids ? 2 : 0;
            SplatPush push{obj.transform, glm::ivec4(s.shDegree, debug, 0, 0)};
            cmd.pushConstants<SplatPush>(*splatPipeLayout, vk::ShaderStageFlagBits::eVertex | vk::ShaderStageFlagBits::eFragment, 0, push);
            cmd.draw(4, std::uint32_t(s.count), 0, 0);
            stats.splats += s.count;
        }
        if (!gizmo.empty()) {
            // Axis gizmo: the view rotation alone, orthographic, in the bottom-left corner.
            const float size = std::min(96.0f, 0.2f * float(std::min(width, height)));
            cmd.setViewport(0, vk::Viewport(8.0f, float(height) - size - 8.0f, size, size, 0.0f, 1.0f));
            glm::mat4 rot(glm::mat3(u.view));
            glm::mat4 ortho(1.0f);
            ortho[0][0] = 0.8f;
            ortho[1][1] = -0.8f;
            ortho[2][2] = -0.25f;
            ortho[3][2] = 0.5f;
            cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, *gizmoPipe);
            cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, *linePipeLayout, 0, *frameSet, {});
            cmd.bindVertexBuffers(0, *lineVertices.buffer, vk::DeviceSize(0));
            cmd.pushConstants<LinePush>(*linePipeLayout, vk::ShaderStageFlagBits::eVertex | vk::ShaderStageFlagBits::eFragment, 0, LinePush{ortho * rot});
            cmd.draw(std::uint32_t(gizmo.size()), 1, std::uint32_t(gridCount), 0);
        }
        cmd.endRenderPass();
    }

    void submitAndWait(vk::Semaphore wait = {}, vk::Semaphore signal = {}) {
        ctx.device.resetFences(*frameFence);
        vk::CommandBuffer raw = *cmd;
        const vk::PipelineStageFlags waitStage = vk::PipelineStageFlagBits::eTransfer;
        vk::SubmitInfo info;
        info.setCommandBuffers(raw);
        if (wait) info.setWaitSemaphores(wait).setWaitDstStageMask(waitStage);
        if (signal) info.setSignalSemaphores(signal);
        ctx.queue.submit(info, *frameFence);
        ctx.waitFence(*frameFence);
    }
};

// ---- SurfaceTarget ------------------------------------------------------------------------

struct SurfaceTarget::Impl {
    const VkContext* ctx = nullptr;
    vk::SurfaceKHR surface;
    vk::raii::SwapchainKHR swapchain{nullptr};
    std::vector<vk::Image> images;
    vk::Extent2D extent;
    vk::raii::Semaphore acquired{nullptr}, rendered{nullptr};
    int width = 0, height = 0;
    bool dirty = true;
    // Overlay hook: a LOAD render pass on the swapchain images and one framebuffer per image.
    vk::Format format = vk::Format::eUndefined;
    vk::raii::RenderPass overlayPass{nullptr};
    std::vector<vk::raii::ImageView> views;
    std::vector<vk::raii::Framebuffer> framebuffers;

    void createOverlayPass() {
        vk::AttachmentDescription color({}, format, vk::SampleCountFlagBits::e1, vk::AttachmentLoadOp::eLoad, vk::AttachmentStoreOp::eStore,
                                        vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare,
                                        vk::ImageLayout::eColorAttachmentOptimal, vk::ImageLayout::ePresentSrcKHR);
        vk::AttachmentReference ref(0, vk::ImageLayout::eColorAttachmentOptimal);
        vk::SubpassDescription subpass({}, vk::PipelineBindPoint::eGraphics, {}, ref);
        vk::SubpassDependency dep(VK_SUBPASS_EXTERNAL, 0, vk::PipelineStageFlagBits::eColorAttachmentOutput,
                                  vk::PipelineStageFlagBits::eColorAttachmentOutput, vk::AccessFlagBits::eColorAttachmentWrite,
                                  vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eColorAttachmentWrite);
        overlayPass = vk::raii::RenderPass(ctx->device, vk::RenderPassCreateInfo({}, color, subpass, dep));
    }

    void recreate() {
        ctx->device.waitIdle();
        const auto caps = ctx->physical.getSurfaceCapabilitiesKHR(surface);
        extent = caps.currentExtent.width != 0xFFFFFFFFu ? caps.currentExtent : vk::Extent2D(std::uint32_t(width), std::uint32_t(height));
        if (extent.width == 0 || extent.height == 0) return;
        if (!ctx->physical.getSurfaceSupportKHR(ctx->queueFamily, surface)) throw Error("the Vulkan device cannot present to this surface");
        const auto formats = ctx->physical.getSurfaceFormatsKHR(surface);
        vk::SurfaceFormatKHR format = formats.front();
        for (const auto& f : formats)
            if (f.format == vk::Format::eB8G8R8A8Unorm || f.format == vk::Format::eR8G8B8A8Unorm) {
                format = f;
                break;
            }
        std::uint32_t count = std::max(caps.minImageCount, 2u);
        if (caps.maxImageCount) count = std::min(count, caps.maxImageCount);
        vk::SwapchainCreateInfoKHR info({}, surface, count, format.format, format.colorSpace, extent, 1,
                                        vk::ImageUsageFlagBits::eTransferDst | vk::ImageUsageFlagBits::eColorAttachment, vk::SharingMode::eExclusive, {},
                                        caps.currentTransform, vk::CompositeAlphaFlagBitsKHR::eOpaque, vk::PresentModeKHR::eFifo, VK_TRUE,
                                        *swapchain);
        framebuffers.clear();
        views.clear();
        swapchain = vk::raii::SwapchainKHR(ctx->device, info);
        images = swapchain.getImages();
        if (!*overlayPass || format.format != this->format) {
            this->format = format.format;
            createOverlayPass();
        }
        for (vk::Image image : images) {
            views.emplace_back(ctx->device, vk::ImageViewCreateInfo({}, image, vk::ImageViewType::e2D, format.format, {},
                                                                    {vk::ImageAspectFlagBits::eColor, 0, 1, 0, 1}));
            vk::ImageView view = *views.back();
            framebuffers.emplace_back(ctx->device, vk::FramebufferCreateInfo({}, *overlayPass, view, extent.width, extent.height, 1));
        }
        dirty = false;
    }
};

SurfaceTarget::SurfaceTarget(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SurfaceTarget::~SurfaceTarget() {
    if (m_impl && m_impl->ctx) m_impl->ctx->device.waitIdle();
}
std::uint64_t SurfaceTarget::overlayRenderPass() const {
    return reinterpret_cast<std::uint64_t>(static_cast<VkRenderPass>(*m_impl->overlayPass));
}
std::uint32_t SurfaceTarget::imageCount() const { return std::uint32_t(m_impl->images.size()); }
void SurfaceTarget::resize(int width, int height) {
    m_impl->width = width;
    m_impl->height = height;
    m_impl->dirty = true;
}

// ---- Renderer ------------------------------------------------------------------------------

Renderer::Renderer(const RendererOptions& options) : m_impl(std::make_unique<Impl>(options)) {}

Renderer::~Renderer() {
    if (m_impl) m_impl->ctx.device.waitIdle();
}

Renderer::ObjectId Renderer::add(const core::Asset& asset, const glm::mat4& transform) {
    Object obj;
    obj.transform = transform;
    obj.localBounds = core::computeBounds(asset);
    if (const core::Mesh* m = asset.mesh()) obj.mesh = m_impl->uploadMesh(*m);
    else if (const core::GaussianCloud* g = asset.gaussians()) obj.splats = m_impl->uploadSplats(*g);
    else throw Error("asset '" + asset.name + "' has nothing to render");
    const ObjectId id = m_impl->nextId++;
    m_impl->objects.emplace(id, std::move(obj));
    return id;
}

Renderer::ObjectId Renderer::addField(const core::RadianceField& field, const glm::mat4& transform) {
    Object obj;
    obj.transform = transform;
    obj.localBounds = field.bounds;
    obj.field = m_impl->uploadField(field);
    const ObjectId id = m_impl->nextId++;
    m_impl->objects.emplace(id, std::move(obj));
    return id;
}

void Renderer::setTransform(ObjectId id, const glm::mat4& transform) {
    auto it = m_impl->objects.find(id);
    if (it == m_impl->objects.end()) throw Error("renderer: no object " + std::to_string(id));
    it->second.transform = transform;
}

void Renderer::setVisible(ObjectId id, bool visible) {
    auto it = m_impl->objects.find(id);
    if (it == m_impl->objects.end()) throw Error("renderer: no object " + std::to_string(id));
    it->second.visible = visible;
}

void Renderer::remove(ObjectId id) {
    m_impl->ctx.device.waitIdle();
    if (m_impl->asyncSorter) m_impl->asyncSorter->forget(id);
    m_impl->objects.erase(id);
}

void Renderer::clear() {
    m_impl->ctx.device.waitIdle();
    for (const auto& [id, obj] : m_impl->objects)
        if (m_impl->asyncSorter) m_impl->asyncSorter->forget(id);
    m_impl->objects.clear();
}

core::Bounds Renderer::sceneBounds() const { return m_impl->sceneBoundsNow(); }

core::Image Renderer::renderImage(const core::Camera& camera, int width, int height, const ViewOptions& options) {
    renderFrame(camera, width, height, options, true);
    Impl& r = *m_impl;
    core::Image out = core::Image::makeU8(width, height, 4);
    const auto* half = static_cast<const std::uint16_t*>(r.target.readback.mapped);
    for (std::size_t i = 0; i < out.u8.size(); ++i) {
        const float v = glm::unpackHalf1x16(half[i]);
        out.u8[i] = std::uint8_t(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
    }
    return out;
}

void Renderer::renderFrame(const core::Camera& camera, int width, int height, const ViewOptions& options, bool readback) {
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
        throw Error("render size " + std::to_string(width) + "x" + std::to_string(height) + " is out of range (1..16384)");
    const auto t0 = std::chrono::steady_clock::now();
    Impl& r = *m_impl;
    r.ensureTarget(width, height, r.supportedSamples(options.msaaSamples));
    r.updateSplatOrders(camera.view(), false);
    const auto t1 = std::chrono::steady_clock::now();
    r.recordFrame(camera, options);
    if (readback) {
        transitionImage(r.cmd, *r.target.color.image, vk::ImageAspectFlagBits::eColor, 0, 1, vk::ImageLayout::eTransferSrcOptimal,
                        vk::ImageLayout::eTransferSrcOptimal, vk::PipelineStageFlagBits::eColorAttachmentOutput,
                        vk::AccessFlagBits::eColorAttachmentWrite, vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferRead);
        r.cmd.copyImageToBuffer(*r.target.color.image, vk::ImageLayout::eTransferSrcOptimal, *r.target.readback.buffer,
                                vk::BufferImageCopy(0, 0, 0, {vk::ImageAspectFlagBits::eColor, 0, 0, 1}, {0, 0, 0},
                                                    {std::uint32_t(width), std::uint32_t(height), 1}));
        vk::BufferMemoryBarrier toHost(vk::AccessFlagBits::eTransferWrite, vk::AccessFlagBits::eHostRead, VK_QUEUE_FAMILY_IGNORED,
                                       VK_QUEUE_FAMILY_IGNORED, *r.target.readback.buffer, 0, VK_WHOLE_SIZE);
        r.cmd.pipelineBarrier(vk::PipelineStageFlagBits::eTransfer, vk::PipelineStageFlagBits::eHost, {}, {}, toHost, {});
    }
    r.cmd.end();
    r.submitAndWait();
    const auto t2 = std::chrono::steady_clock::now();
    r.stats.sortMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
    r.stats.cpuMs = std::chrono::duration<double, std::milli>(t2 - t0).count();
}

std::string Renderer::deviceName() const { return m_impl->ctx.properties.deviceName.data(); }
bool Renderer::validationEnabled() const { return m_impl->ctx.validation; }
std::vector<std::string> Renderer::validationMessages() const { return m_impl->ctx.messages(); }
const FrameStats& Renderer::lastFrameStats() const { return m_impl->stats; }
std::uint64_t Renderer::vkInstance() const { return reinterpret_cast<std::uint64_t>(static_cast<VkInstance>(*m_impl->ctx.instance)); }

std::unique_ptr<SurfaceTarget> Renderer::createSurfaceTarget(std::uint64_t vkSurface, int width, int height) {
    auto impl = std::make_unique<SurfaceTarget::Impl>();
    impl->ctx = &m_impl->ctx;
    impl->surface = vk::SurfaceKHR(reinterpret_cast<VkSurfaceKHR>(vkSurface));
    impl->width = width;
    impl->height = height;
    impl->acquired = vk::raii::Semaphore(m_impl->ctx.device, vk::SemaphoreCreateInfo{});
    impl->rendered = vk::raii::Semaphore(m_impl->ctx.device, vk::SemaphoreCreateInfo{});
    impl->recreate();
    if (!m_impl->asyncSorter) m_impl->asyncSorter = std::make_unique<AsyncSplatSorter>();
    return std::make_unique<SurfaceTarget>(std::move(impl));
}

bool Renderer::renderToSurface(SurfaceTarget& surfaceTarget, const core::Camera& camera, const ViewOptions& options) {
    return renderToSurface(surfaceTarget, camera, options, OverlayFn{});
}

DeviceHandles Renderer::deviceHandles() const {
    const VkContext& c = m_impl->ctx;
    DeviceHandles h;
    h.instance = vkInstance();
    h.physicalDevice = reinterpret_cast<std::uint64_t>(static_cast<VkPhysicalDevice>(*c.physical));
    h.device = reinterpret_cast<std::uint64_t>(static_cast<VkDevice>(*c.device));
    h.queue = reinterpret_cast<std::uint64_t>(static_cast<VkQueue>(*c.queue));
    h.queueFamily = c.queueFamily;
    h.apiVersion = VK_API_VERSION_1_2;
    return h;
}

bool Renderer::renderToSurface(SurfaceTarget& surfaceTarget, const core::Camera& camera, const ViewOptions& options, const OverlayFn& overlay) {
    SurfaceTarget::Impl& st = *surfaceTarget.m_impl;
    if (st.dirty) st.recreate();
    if (st.extent.width == 0 || st.extent.height == 0 || !*st.swapchain) return false;
    const auto t0 = std::chrono::steady_clock::now();
    Impl& r = *m_impl;
    std::uint32_t imageIndex = 0;
    try {
        auto [res, index] = st.swapchain.acquireNextImage(std::uint64_t(1000000000), *st.acquired);
        if (res == vk::Result::eSuboptimalKHR) st.dirty = true;
        if (res != vk::Result::eSuccess && res != vk::Result::eSuboptimalKHR) return false;
        imageIndex = index;
    } catch (const vk::OutOfDateKHRError&) {
        st.dirty = true;
        return false;
    }
    r.ensureTarget(int(st.extent.width), int(st.extent.height), r.supportedSamples(options.msaaSamples));
    r.updateSplatOrders(camera.view(), true);
    r.recordFrame(camera, options);
    const vk::Image swap = st.images[imageIndex];
    transitionImage(r.cmd, swap, vk::ImageAspectFlagBits::eColor, 0, 1, vk::ImageLayout::eUndefined, vk::ImageLayout::eTransferDstOptimal,
                    vk::PipelineStageFlagBits::eTransfer, {}, vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite);
    const vk::Offset3D end(std::int32_t(st.extent.width), std::int32_t(st.extent.height), 1);
    vk::ImageBlit blit({vk::ImageAspectFlagBits::eColor, 0, 0, 1}, {vk::Offset3D(0, 0, 0), end}, {vk::ImageAspectFlagBits::eColor, 0, 0, 1},
                       {vk::Offset3D(0, 0, 0), end});
    r.cmd.blitImage(*r.target.color.image, vk::ImageLayout::eTransferSrcOptimal, swap, vk::ImageLayout::eTransferDstOptimal, blit, vk::Filter::eNearest);
    if (!overlay) {
        transitionImage(r.cmd, swap, vk::ImageAspectFlagBits::eColor, 0, 1, vk::ImageLayout::eTransferDstOptimal, vk::ImageLayout::ePresentSrcKHR,
                        vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite, vk::PipelineStageFlagBits::eBottomOfPipe, {});
    } else {
        // Overlay hook: the pass loads the blitted frame and leaves the image in PRESENT_SRC.
        transitionImage(r.cmd, swap, vk::ImageAspectFlagBits::eColor, 0, 1, vk::ImageLayout::eTransferDstOptimal,
                        vk::ImageLayout::eColorAttachmentOptimal, vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite,
                        vk::PipelineStageFlagBits::eColorAttachmentOutput,
                        vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eColorAttachmentWrite);
        r.cmd.beginRenderPass(vk::RenderPassBeginInfo(*st.overlayPass, *st.framebuffers[imageIndex], vk::Rect2D({0, 0}, st.extent)),
                              vk::SubpassContents::eInline);
        OverlayContext oc;
        oc.commandBuffer = reinterpret_cast<std::uint64_t>(static_cast<VkCommandBuffer>(*r.cmd));
        oc.renderPass = surfaceTarget.overlayRenderPass();
        oc.width = st.extent.width;
        oc.height = st.extent.height;
        oc.imageIndex = imageIndex;
        oc.imageCount = std::uint32_t(st.images.size());
        overlay(oc);
        r.cmd.endRenderPass();
    }
    r.cmd.end();
    r.submitAndWait(*st.acquired, *st.rendered);
    vk::SwapchainKHR sc = *st.swapchain;
    vk::Semaphore waitSem = *st.rendered;
    try {
        const vk::Result pr = r.ctx.queue.presentKHR(vk::PresentInfoKHR(waitSem, sc, imageIndex));
        if (pr == vk::Result::eSuboptimalKHR) st.dirty = true;
    } catch (const vk::OutOfDateKHRError&) {
        st.dirty = true;
    }
    r.stats.cpuMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return true;
}

} // namespace kiln::render
