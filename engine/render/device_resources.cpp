#include "render/device_resources.h"

#include "render/shader_interface.h"

#include <array>
#include <vector>

namespace kiln::render {

namespace {

vk::raii::DescriptorSetLayout makeSetLayout(const vk::raii::Device& device, vk::ArrayProxy<const vk::DescriptorSetLayoutBinding> bindings) {
    return vk::raii::DescriptorSetLayout(device, vk::DescriptorSetLayoutCreateInfo({}, bindings));
}

vk::raii::PipelineLayout makePipelineLayout(const vk::raii::Device& device, const std::vector<vk::DescriptorSetLayout>& sets, std::uint32_t pushBytes) {
    vk::PushConstantRange range(kPushStages, 0, pushBytes);
    return vk::raii::PipelineLayout(device, vk::PipelineLayoutCreateInfo({}, sets, range));
}

vk::raii::Sampler makeSampler(const vk::raii::Device& device, vk::Filter filter, vk::SamplerMipmapMode mipmap, vk::SamplerAddressMode address,
                              float maxLod = 0.0f) {
    return vk::raii::Sampler(device, vk::SamplerCreateInfo({}, filter, filter, mipmap, address, address, address, 0.0f, VK_FALSE, 1.0f, VK_FALSE,
                                                           vk::CompareOp::eNever, 0.0f, maxLod));
}

GpuImage makeOnePixel(const VkContext& ctx, const std::uint8_t (&rgba)[4]) {
    GpuImage image = ctx.createImage(vk::ImageType::e2D, vk::Format::eR8G8B8A8Unorm, {1, 1, 1}, 1, vk::SampleCountFlagBits::e1,
                                     vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst, vk::ImageAspectFlagBits::eColor);
    ctx.uploadImage(image, rgba, 4);
    return image;
}

} // namespace

DeviceResources::DeviceResources(const VkContext& context) : ctx(context) {
    const auto& dev = ctx.device;
    std::array<vk::DescriptorPoolSize, 4> sizes = {vk::DescriptorPoolSize(vk::DescriptorType::eUniformBuffer, 64),
                                                   vk::DescriptorPoolSize(vk::DescriptorType::eCombinedImageSampler, 20000),
                                                   vk::DescriptorPoolSize(vk::DescriptorType::eStorageBuffer, 8000),
                                                   vk::DescriptorPoolSize(vk::DescriptorType::eStorageImage, 1000)};
    pool = vk::raii::DescriptorPool(dev, vk::DescriptorPoolCreateInfo(vk::DescriptorPoolCreateFlagBits::eFreeDescriptorSet, 5000, sizes));

    const auto fragment = vk::ShaderStageFlagBits::eFragment;
    frameLayout = makeSetLayout(dev, std::array<vk::DescriptorSetLayoutBinding, 2>{
                                         vk::DescriptorSetLayoutBinding(0, vk::DescriptorType::eUniformBuffer, 1, kPushStages),
                                         vk::DescriptorSetLayoutBinding(1, vk::DescriptorType::eCombinedImageSampler, 1,
                                                                        fragment | vk::ShaderStageFlagBits::eCompute)});
    std::array<vk::DescriptorSetLayoutBinding, 5> materialBindings;
    for (std::uint32_t i = 0; i < 5; ++i) materialBindings[i] = vk::DescriptorSetLayoutBinding(i, vk::DescriptorType::eCombinedImageSampler, 1, fragment);
    materialLayout = makeSetLayout(dev, materialBindings);
    // A splat cloud: its splats (read by the per-frame preprocess), its back-to-front order, the
    // preprocessed splats (written by the preprocess, read by the vertex shader) and the GPU
    // sort's depth keys (the preprocess writes them and the identity order when the GPU sorts).
    const auto compute = vk::ShaderStageFlagBits::eCompute, vertex = vk::ShaderStageFlagBits::eVertex;
    splatLayout = makeSetLayout(dev, std::array<vk::DescriptorSetLayoutBinding, 4>{
                                         vk::DescriptorSetLayoutBinding(0, vk::DescriptorType::eStorageBuffer, 1, compute),
                                         vk::DescriptorSetLayoutBinding(1, vk::DescriptorType::eStorageBuffer, 1, compute | vertex),
                                         vk::DescriptorSetLayoutBinding(2, vk::DescriptorType::eStorageBuffer, 1, compute | vertex),
                                         vk::DescriptorSetLayoutBinding(3, vk::DescriptorType::eStorageBuffer, 1, compute)});
    std::array<vk::DescriptorSetLayoutBinding, 5> sortBindings;
    for (std::uint32_t i = 0; i < 5; ++i) sortBindings[i] = vk::DescriptorSetLayoutBinding(i, vk::DescriptorType::eStorageBuffer, 1, compute);
    sortLayout = makeSetLayout(dev, sortBindings);
    tileLayout = makeSetLayout(dev, std::array<vk::DescriptorSetLayoutBinding, 3>{
                                        vk::DescriptorSetLayoutBinding(0, vk::DescriptorType::eStorageImage, 1, compute),
                                        vk::DescriptorSetLayoutBinding(1, vk::DescriptorType::eStorageBuffer, 1, compute),
                                        vk::DescriptorSetLayoutBinding(2, vk::DescriptorType::eStorageBuffer, 1, compute)});
    fieldLayout = makeSetLayout(dev, vk::DescriptorSetLayoutBinding(0, vk::DescriptorType::eCombinedImageSampler, 1, fragment));

    meshPipeLayout = makePipelineLayout(dev, {*frameLayout, *materialLayout}, sizeof(MeshPush));
    linePipeLayout = makePipelineLayout(dev, {*frameLayout}, sizeof(LinePush));
    splatPipeLayout = makePipelineLayout(dev, {*frameLayout, *splatLayout}, sizeof(SplatPush));
    fieldPipeLayout = makePipelineLayout(dev, {*frameLayout, *fieldLayout}, sizeof(FieldPush));
    sortPipeLayout = makePipelineLayout(dev, {*sortLayout}, sizeof(SortPush));
    tilePipeLayout = makePipelineLayout(dev, {*frameLayout, *splatLayout, *tileLayout}, sizeof(SplatPush));

    textureSampler = makeSampler(dev, vk::Filter::eLinear, vk::SamplerMipmapMode::eLinear, vk::SamplerAddressMode::eRepeat, VK_LOD_CLAMP_NONE);
    depthSampler = makeSampler(dev, vk::Filter::eNearest, vk::SamplerMipmapMode::eNearest, vk::SamplerAddressMode::eClampToEdge);
    volumeSampler = makeSampler(dev, vk::Filter::eLinear, vk::SamplerMipmapMode::eNearest, vk::SamplerAddressMode::eClampToEdge);

    white = makeOnePixel(ctx, {255, 255, 255, 255});
    flatNormal = makeOnePixel(ctx, {128, 128, 255, 255});  // +Z in tangent space
}

vk::raii::DescriptorSet DeviceResources::allocateSet(vk::DescriptorSetLayout layout) const {
    vk::raii::DescriptorSets sets(ctx.device, vk::DescriptorSetAllocateInfo(*pool, layout));
    return std::move(sets.front());
}

} // namespace kiln::render
