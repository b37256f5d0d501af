#pragma once

// Internal to engine/render: what every scene and frame on one device shares, made once when
// the Renderer starts: descriptor set layouts and the pool sets come from, pipeline layouts,
// samplers and the 1x1 textures that stand in for a material's missing maps.
#include "render/vk_context.h"

namespace kiln::render {

struct DeviceResources {
    explicit DeviceResources(const VkContext& ctx);

    const VkContext& ctx;
    vk::raii::DescriptorPool pool{nullptr};
    // Set 0 of every pipeline: frame uniforms + the resolved scene depth.
    vk::raii::DescriptorSetLayout frameLayout{nullptr};
    // Set 1: a mesh material's five textures, a splat cloud's two buffers, a field's volume.
    vk::raii::DescriptorSetLayout materialLayout{nullptr}, splatLayout{nullptr}, fieldLayout{nullptr};
    vk::raii::PipelineLayout meshPipeLayout{nullptr}, linePipeLayout{nullptr}, splatPipeLayout{nullptr}, fieldPipeLayout{nullptr};
    // The GPU radix sort's passes: keys and values in, keys and values out, the digit counts.
    vk::raii::DescriptorSetLayout sortLayout{nullptr};
    vk::raii::PipelineLayout sortPipeLayout{nullptr};
    // The compute splat rasterizer (splat_tiles.comp): set 2 holds the target image and a cloud's
    // tile bins; its layout is frame, splat and that set.
    vk::raii::DescriptorSetLayout tileLayout{nullptr};
    vk::raii::PipelineLayout tilePipeLayout{nullptr};
    vk::raii::Sampler textureSampler{nullptr}, depthSampler{nullptr}, volumeSampler{nullptr};
    GpuImage white, flatNormal;

    vk::raii::DescriptorSet allocateSet(vk::DescriptorSetLayout layout) const;
};

// Every stage that reads push constants, as the pipeline layouts declare them.
inline constexpr vk::ShaderStageFlags kPushStages =
    vk::ShaderStageFlagBits::eVertex | vk::ShaderStageFlagBits::eFragment | vk::ShaderStageFlagBits::eCompute;

} // namespace kiln::render
