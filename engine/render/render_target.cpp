#include "render/render_target.h"

#include <glm/gtc/packing.hpp>

#include <algorithm>
#include <array>
#include <vector>

namespace kiln::render {

bool ensureRenderTarget(RenderTarget& target, const VkContext& ctx, Pipelines& pipelines, int width, int height, int samples) {
    if (target.width == width && target.height == height && target.samples == samples) return false;
    ctx.device.waitIdle();
    target = RenderTarget{};
    target.width = width;
    target.height = height;
    target.samples = samples;
    const vk::Extent3D ext(std::uint32_t(width), std::uint32_t(height), 1);
    const auto e1 = vk::SampleCountFlagBits::e1;
    target.color = ctx.createImage(vk::ImageType::e2D, kColorFormat, ext, 1, e1,
                                   vk::ImageUsageFlagBits::eColorAttachment | vk::ImageUsageFlagBits::eTransferSrc | vk::ImageUsageFlagBits::eStorage,
                                   vk::ImageAspectFlagBits::eColor);
    target.depth = ctx.createImage(vk::ImageType::e2D, kDepthFormat, ext, 1, e1,
                                   vk::ImageUsageFlagBits::eDepthStencilAttachment | vk::ImageUsageFlagBits::eSampled, vk::ImageAspectFlagBits::eDepth);
    const ScenePassSet& scenePass = pipelines.scenePass(samples);
    std::vector<vk::ImageView> sceneViews;
    if (samples > 1) {
        const auto sb = toSampleBits(samples);
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
    target.sceneFb = vk::raii::Framebuffer(ctx.device, vk::FramebufferCreateInfo({}, *scenePass.pass, sceneViews, ext.width, ext.height, 1));
    std::array<vk::ImageView, 2> overlayViews = {*target.color.view, *target.depth.view};
    target.overlayFb = vk::raii::Framebuffer(ctx.device, vk::FramebufferCreateInfo({}, pipelines.overlayPass(), overlayViews, ext.width, ext.height, 1));
    target.readback = ctx.createBuffer(vk::DeviceSize(width) * height * 8, vk::BufferUsageFlagBits::eTransferDst, true);
    return true;
}

void recordReadback(const vk::raii::CommandBuffer& cmd, const RenderTarget& target) {
    // The overlay pass left colour in TRANSFER_SRC; this barrier only orders the copy after it.
    transitionImage(cmd, *target.color.image, vk::ImageAspectFlagBits::eColor, 0, 1, vk::ImageLayout::eTransferSrcOptimal,
                    vk::ImageLayout::eTransferSrcOptimal, vk::PipelineStageFlagBits::eColorAttachmentOutput, vk::AccessFlagBits::eColorAttachmentWrite,
                    vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferRead);
    cmd.copyImageToBuffer(*target.color.image, vk::ImageLayout::eTransferSrcOptimal, *target.readback.buffer,
                          vk::BufferImageCopy(0, 0, 0, {vk::ImageAspectFlagBits::eColor, 0, 0, 1}, {0, 0, 0},
                                              {std::uint32_t(target.width), std::uint32_t(target.height), 1}));
    vk::BufferMemoryBarrier toHost(vk::AccessFlagBits::eTransferWrite, vk::AccessFlagBits::eHostRead, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED,
                                   *target.readback.buffer, 0, VK_WHOLE_SIZE);
    cmd.pipelineBarrier(vk::PipelineStageFlagBits::eTransfer, vk::PipelineStageFlagBits::eHost, {}, {}, toHost, {});
}

core::Image readbackImage(const RenderTarget& target) {
    core::Image out = core::Image::makeU8(target.width, target.height, 4);
    const auto* half = static_cast<const std::uint16_t*>(target.readback.mapped);
    for (std::size_t i = 0; i < out.u8.size(); ++i) {
        const float v = glm::unpackHalf1x16(half[i]);
        out.u8[i] = std::uint8_t(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
    }
    return out;
}

} // namespace kiln::render
