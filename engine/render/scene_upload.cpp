// GPU copies of assets for the Scene: vertex streams, textures and materials for meshes, packed
// splats for Gaussian clouds, a 3D texture for radiance fields.
#include "core/error.h"
#include "render/scene_impl.h"
#include "render/splat_sort.h"

#include <glm/ext/matrix_transform.hpp>
#include <glm/geometric.hpp>
#include <glm/gtc/packing.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

namespace kiln::render {

namespace {

std::uint32_t mipCount(std::uint32_t w, std::uint32_t h) {
    std::uint32_t levels = 1;
    while ((w | h) >> levels) ++levels;
    return levels;
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

// Any texture as 8-bit RGBA: grey expands to RGB, grey+alpha keeps its alpha, no alpha is opaque.
std::vector<std::uint8_t> toRgba8(const core::Image& img) {
    std::vector<std::uint8_t> rgba(img.pixelCount() * 4, 255);
    for (std::size_t p = 0; p < img.pixelCount(); ++p)
        for (int c = 0; c < 4; ++c) {
            int src = c < img.channels ? c : (c < 3 ? 0 : -1);
            if (img.channels == 2 && c == 3) src = 1;
            if (src < 0) continue;
            const std::size_t i = p * std::size_t(img.channels) + std::size_t(src);
            rgba[p * 4 + std::size_t(c)] =
                img.type == core::PixelType::U8 ? img.u8[i] : std::uint8_t(std::clamp(img.f32[i], 0.0f, 1.0f) * 255.0f + 0.5f);
        }
    return rgba;
}

GpuImage uploadTexture(const VkContext& ctx, const core::Texture& tex, bool srgb) {
    const core::Image& img = tex.image;
    if (img.empty()) throw Error("texture '" + tex.name + "' has no pixels");
    const std::vector<std::uint8_t> rgba = toRgba8(img);
    const std::uint32_t w = std::uint32_t(img.width), h = std::uint32_t(img.height);
    GpuImage g = ctx.createImage(vk::ImageType::e2D, srgb ? vk::Format::eR8G8B8A8Srgb : vk::Format::eR8G8B8A8Unorm, {w, h, 1}, mipCount(w, h),
                                 vk::SampleCountFlagBits::e1,
                                 vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst | vk::ImageUsageFlagBits::eTransferSrc,
                                 vk::ImageAspectFlagBits::eColor);
    ctx.uploadImage(g, rgba.data(), rgba.size());
    return g;
}

void uploadVertexStreams(const VkContext& ctx, const core::Mesh& mesh, MeshGpu& gpu) {
    const std::size_t n = mesh.positions.size();
    const auto vb = vk::BufferUsageFlagBits::eVertexBuffer;
    gpu.positions = ctx.createBufferWithData(mesh.positions.data(), n * 12, vb);
    const std::vector<glm::vec3> normals = mesh.normals.empty() ? computeNormals(mesh) : mesh.normals;
    gpu.normals = ctx.createBufferWithData(normals.data(), n * 12, vb);
    const std::vector<glm::vec2> uvs = mesh.uv0.empty() ? std::vector<glm::vec2>(n, glm::vec2(0.0f)) : mesh.uv0;
    gpu.uvs = ctx.createBufferWithData(uvs.data(), n * 8, vb);
    const std::vector<glm::vec4> colors = mesh.colors.empty() ? std::vector<glm::vec4>(n, glm::vec4(1.0f)) : mesh.colors;
    gpu.colors = ctx.createBufferWithData(colors.data(), n * 16, vb);
    gpu.indices = ctx.createBufferWithData(mesh.indices.data(), mesh.indices.size() * 4, vk::BufferUsageFlagBits::eIndexBuffer);
    gpu.triangles = mesh.triangleCount();
}

// One descriptor set per material (plus a default one last); each texture is uploaded once per
// colour space it is used in (base colour and emissive are sRGB, the rest linear).
void uploadMaterials(const DeviceResources& res, const core::Mesh& mesh, MeshGpu& gpu) {
    std::map<std::pair<int, bool>, std::size_t> texSlots;
    auto texView = [&](int index, bool srgb, const GpuImage& fallback) -> vk::ImageView {
        if (index < 0) return *fallback.view;
        auto key = std::make_pair(index, srgb);
        auto it = texSlots.find(key);
        if (it == texSlots.end()) {
            gpu.textures.push_back(uploadTexture(res.ctx, mesh.textures[std::size_t(index)], srgb));
            it = texSlots.emplace(key, gpu.textures.size() - 1).first;
        }
        return *gpu.textures[it->second].view;
    };
    std::vector<core::Material> mats = mesh.materials;
    core::Material fallbackMat;
    fallbackMat.metallicFactor = 0.0f;
    fallbackMat.roughnessFactor = 0.6f;
    mats.push_back(fallbackMat);
    const auto layout = vk::ImageLayout::eShaderReadOnlyOptimal;
    for (const auto& m : mats) {
        MaterialGpu mg;
        mg.set = res.allocateSet(*res.materialLayout);
        std::array<vk::DescriptorImageInfo, 5> infos = {
            vk::DescriptorImageInfo(*res.textureSampler, texView(m.baseColorTexture, true, res.white), layout),
            vk::DescriptorImageInfo(*res.textureSampler, texView(m.metallicRoughnessTexture, false, res.white), layout),
            vk::DescriptorImageInfo(*res.textureSampler, texView(m.normalTexture, false, res.flatNormal), layout),
            vk::DescriptorImageInfo(*res.textureSampler, texView(m.emissiveTexture, true, res.white), layout),
            vk::DescriptorImageInfo(*res.textureSampler, texView(m.occlusionTexture, false, res.white), layout)};
        std::array<vk::WriteDescriptorSet, 5> writes;
        for (std::uint32_t i = 0; i < 5; ++i) writes[i] = vk::WriteDescriptorSet(*mg.set, i, 0, vk::DescriptorType::eCombinedImageSampler, infos[i]);
        res.ctx.device.updateDescriptorSets(writes, {});
        mg.push.baseColor = m.baseColorFactor;
        mg.push.emissiveMetallic = glm::vec4(m.emissiveFactor, m.metallicFactor);
        const float alphaMode = m.alphaMode == core::AlphaMode::Mask ? 1.0f : m.alphaMode == core::AlphaMode::Blend ? 2.0f : 0.0f;
        mg.push.params = glm::vec4(m.roughnessFactor, m.alphaCutoff, alphaMode, m.normalTexture >= 0 ? 1.0f : 0.0f);
        gpu.materials.push_back(std::move(mg));
    }
}

} // namespace

std::unique_ptr<MeshGpu> uploadMesh(const DeviceResources& res, const core::Mesh& mesh) {
    mesh.validate("render upload");
    auto gpu = std::make_unique<MeshGpu>();
    uploadVertexStreams(res.ctx, mesh, *gpu);
    uploadMaterials(res, mesh, *gpu);
    const std::size_t defaultMat = gpu->materials.size() - 1;
    if (mesh.submeshes.empty()) {
        gpu->draws.push_back({0, std::uint32_t(mesh.indices.size()), defaultMat});
    } else {
        for (const auto& s : mesh.submeshes)
            gpu->draws.push_back({s.firstIndex, s.indexCount, s.material >= 0 ? std::size_t(s.material) : defaultMat});
    }
    return gpu;
}

std::unique_ptr<SplatsGpu> uploadSplats(const DeviceResources& res, const core::GaussianCloud& cloud) {
    cloud.validate("render upload");
    auto gpu = std::make_unique<SplatsGpu>();
    const std::size_t n = cloud.size();
    const std::size_t coeffs = std::size_t(cloud.coeffCount());
    const std::vector<std::uint32_t> lod = splatLodOrder(cloud);
    std::vector<SplatGpu> packed(n);
    auto positions = std::make_shared<std::vector<glm::vec3>>(n);
    gpu->shapes.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
        const std::size_t i = lod[j];
        (*positions)[j] = cloud.positions[i];
        SplatGpu& s = packed[j];
        s.positionOpacity = glm::vec4(cloud.positions[i], cloud.opacityLogits[i]);
        s.rotation = cloud.rotations[i];
        s.logScale = glm::vec4(cloud.logScales[i], 0.0f);
        gpu->shapes[j] = splatShape(cloud.rotations[i], cloud.logScales[i], cloud.opacityLogits[i]);
        std::fill(std::begin(s.sh), std::end(s.sh), 0.0f);  // degree 3 layout whatever the cloud's degree
        std::memcpy(s.sh, cloud.sh.data() + i * coeffs * 3, sizeof(float) * coeffs * 3);
    }
    gpu->count = n;
    gpu->drawCount = n;
    gpu->cloud = &cloud;
    gpu->lod = lod;
    gpu->shDegree = cloud.shDegree;
    gpu->splats = res.ctx.createBufferWithData(packed.data(), packed.size() * sizeof(SplatGpu), vk::BufferUsageFlagBits::eStorageBuffer);
    gpu->order = res.ctx.createBuffer(std::max<std::size_t>(n, 1) * 4, vk::BufferUsageFlagBits::eStorageBuffer | vk::BufferUsageFlagBits::eTransferDst, false);
    gpu->orderUpload = res.ctx.createBuffer(std::max<std::size_t>(n, 1) * 4, vk::BufferUsageFlagBits::eTransferSrc, true);
    gpu->projected = res.ctx.createBuffer(std::max<std::size_t>(n, 1) * kProjectedSplatBytes, vk::BufferUsageFlagBits::eStorageBuffer, false);
    gpu->positions = std::move(positions);
    const std::size_t slots = std::max<std::size_t>(n, 1);
    const std::size_t blocks = (slots + kRadixBlock - 1) / kRadixBlock;
    const auto storage = vk::BufferUsageFlagBits::eStorageBuffer;
    gpu->sortKeys = res.ctx.createBuffer(slots * 4, storage, false);
    gpu->sortKeysTmp = res.ctx.createBuffer(slots * 4, storage, false);
    gpu->sortOrderTmp = res.ctx.createBuffer(slots * 4, storage, false);
    gpu->sortHist = res.ctx.createBuffer(blocks * 256 * 4, storage, false);
    gpu->set = res.allocateSet(*res.splatLayout);
    auto whole = [](const GpuBuffer& b) { return vk::DescriptorBufferInfo(*b.buffer, 0, VK_WHOLE_SIZE); };
    const vk::DescriptorBufferInfo splatsInfo = whole(gpu->splats), orderInfo = whole(gpu->order), projectedInfo = whole(gpu->projected),
                                   keysInfo = whole(gpu->sortKeys), keysTmpInfo = whole(gpu->sortKeysTmp), orderTmpInfo = whole(gpu->sortOrderTmp),
                                   histInfo = whole(gpu->sortHist);
    auto write = [](const vk::raii::DescriptorSet& set, std::uint32_t binding, const vk::DescriptorBufferInfo& info) {
        return vk::WriteDescriptorSet(*set, binding, 0, vk::DescriptorType::eStorageBuffer, {}, info);
    };
    gpu->sortForward = res.allocateSet(*res.sortLayout);
    gpu->sortBack = res.allocateSet(*res.sortLayout);
    const std::array<vk::WriteDescriptorSet, 14> writes = {
        write(gpu->set, 0, splatsInfo),         write(gpu->set, 1, orderInfo),          write(gpu->set, 2, projectedInfo),
        write(gpu->set, 3, keysInfo),           write(gpu->sortForward, 0, keysInfo),   write(gpu->sortForward, 1, orderInfo),
        write(gpu->sortForward, 2, keysTmpInfo), write(gpu->sortForward, 3, orderTmpInfo), write(gpu->sortForward, 4, histInfo),
        write(gpu->sortBack, 0, keysTmpInfo),   write(gpu->sortBack, 1, orderTmpInfo),  write(gpu->sortBack, 2, keysInfo),
        write(gpu->sortBack, 3, orderInfo),     write(gpu->sortBack, 4, histInfo)};
    res.ctx.device.updateDescriptorSets(writes, {});
    return gpu;
}

std::unique_ptr<FieldGpu> uploadField(const DeviceResources& res, const core::RadianceField& field) {
    field.validate("render upload");
    auto gpu = std::make_unique<FieldGpu>();
    std::vector<std::uint16_t> texels(field.cellCount() * 4);
    for (std::size_t i = 0; i < field.cellCount(); ++i) {
        texels[i * 4 + 0] = glm::packHalf1x16(field.color[i].r);
        texels[i * 4 + 1] = glm::packHalf1x16(field.color[i].g);
        texels[i * 4 + 2] = glm::packHalf1x16(field.color[i].b);
        texels[i * 4 + 3] = glm::packHalf1x16(std::min(field.density[i], 60000.0f));  // half floats end at 65504
    }
    const vk::Extent3D ext(std::uint32_t(field.resolution.x), std::uint32_t(field.resolution.y), std::uint32_t(field.resolution.z));
    gpu->volume = res.ctx.createImage(vk::ImageType::e3D, vk::Format::eR16G16B16A16Sfloat, ext, 1, vk::SampleCountFlagBits::e1,
                                      vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst, vk::ImageAspectFlagBits::eColor);
    res.ctx.uploadImage(gpu->volume, texels.data(), texels.size() * 2);
    gpu->set = res.allocateSet(*res.fieldLayout);
    vk::DescriptorImageInfo info(*res.volumeSampler, *gpu->volume.view, vk::ImageLayout::eShaderReadOnlyOptimal);
    res.ctx.device.updateDescriptorSets(vk::WriteDescriptorSet(*gpu->set, 0, 0, vk::DescriptorType::eCombinedImageSampler, info), {});
    gpu->gridToLocal = glm::translate(glm::mat4(1.0f), field.bounds.min) * glm::scale(glm::mat4(1.0f), field.bounds.size());
    gpu->maxResolution = std::max({field.resolution.x, field.resolution.y, field.resolution.z});
    return gpu;
}

} // namespace kiln::render
