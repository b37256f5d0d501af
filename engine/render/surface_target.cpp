#include "render/surface_target_impl.h"

#include "core/error.h"

#include <algorithm>

namespace kiln::render {

SurfaceTarget::Impl::Impl(const VkContext& context, vk::SurfaceKHR surfaceHandle, int w, int h)
    : ctx(&context), surface(surfaceHandle), acquired(context.device, vk::SemaphoreCreateInfo{}), rendered(context.device, vk::SemaphoreCreateInfo{}),
      width(w), height(h) {
    recreate();
}

void SurfaceTarget::Impl::createOverlayPass() {
    vk::AttachmentDescription color({}, format, vk::SampleCountFlagBits::e1, vk::AttachmentLoadOp::eLoad, vk::AttachmentStoreOp::eStore,
                                    vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare, vk::ImageLayout::eColorAttachmentOptimal,
                                    vk::ImageLayout::ePresentSrcKHR);
    vk::AttachmentReference ref(0, vk::ImageLayout::eColorAttachmentOptimal);
    vk::SubpassDescription subpass({}, vk::PipelineBindPoint::eGraphics, {}, ref);
    vk::SubpassDependency dep(VK_SUBPASS_EXTERNAL, 0, vk::PipelineStageFlagBits::eColorAttachmentOutput, vk::PipelineStageFlagBits::eColorAttachmentOutput,
                              vk::AccessFlagBits::eColorAttachmentWrite, vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eColorAttachmentWrite);
    overlayPass = vk::raii::RenderPass(ctx->device, vk::RenderPassCreateInfo({}, color, subpass, dep));
}

void SurfaceTarget::Impl::recreate() {
    ctx->device.waitIdle();
    const auto caps = ctx->physical.getSurfaceCapabilitiesKHR(surface);
    // 0xFFFFFFFF: the surface takes its size from the swapchain (Wayland), so use the window's.
    extent = caps.currentExtent.width != 0xFFFFFFFFu ? caps.currentExtent : vk::Extent2D(std::uint32_t(width), std::uint32_t(height));
    if (extent.width == 0 || extent.height == 0) return;
    if (!ctx->physical.getSurfaceSupportKHR(ctx->queueFamily, surface)) throw Error("the Vulkan device cannot present to this surface");
    const auto formats = ctx->physical.getSurfaceFormatsKHR(surface);
    // UNORM, not SRGB: the frame already holds display-referred values, which the blit copies unchanged.
    vk::SurfaceFormatKHR chosen = formats.front();
    for (const auto& f : formats)
        if (f.format == vk::Format::eB8G8R8A8Unorm || f.format == vk::Format::eR8G8B8A8Unorm) {
            chosen = f;
            break;
        }
    std::uint32_t count = std::max(caps.minImageCount, 2u);
    if (caps.maxImageCount) count = std::min(count, caps.maxImageCount);
    vk::SwapchainCreateInfoKHR info({}, surface, count, chosen.format, chosen.colorSpace, extent, 1,
                                    vk::ImageUsageFlagBits::eTransferDst | vk::ImageUsageFlagBits::eColorAttachment, vk::SharingMode::eExclusive, {},
                                    caps.currentTransform, vk::CompositeAlphaFlagBitsKHR::eOpaque, vk::PresentModeKHR::eFifo, VK_TRUE, *swapchain);
    framebuffers.clear();
    views.clear();
    swapchain = vk::raii::SwapchainKHR(ctx->device, info);
    images = swapchain.getImages();
    if (!*overlayPass || chosen.format != format) {
        format = chosen.format;
        createOverlayPass();
    }
    for (vk::Image image : images) {
        views.emplace_back(ctx->device,
                           vk::ImageViewCreateInfo({}, image, vk::ImageViewType::e2D, chosen.format, {}, {vk::ImageAspectFlagBits::eColor, 0, 1, 0, 1}));
        vk::ImageView view = *views.back();
        framebuffers.emplace_back(ctx->device, vk::FramebufferCreateInfo({}, *overlayPass, view, extent.width, extent.height, 1));
    }
    dirty = false;
}

bool SurfaceTarget::Impl::ready() {
    if (dirty) recreate();
    return extent.width != 0 && extent.height != 0 && *swapchain;
}

std::optional<std::uint32_t> SurfaceTarget::Impl::acquire() {
    try {
        auto [res, index] = swapchain.acquireNextImage(std::uint64_t(1000000000), *acquired);
        if (res == vk::Result::eSuboptimalKHR) dirty = true;
        if (res != vk::Result::eSuccess && res != vk::Result::eSuboptimalKHR) return std::nullopt;
        return index;
    } catch (const vk::OutOfDateKHRError&) {
        dirty = true;
        return std::nullopt;
    }
}

void SurfaceTarget::Impl::recordPresentCopy(const vk::raii::CommandBuffer& cmd, vk::Image source, std::uint32_t sourceWidth, std::uint32_t sourceHeight,
                                            std::uint32_t index, const OverlayFn& overlay) const {
    const vk::Image swap = images[index];
    const auto color = vk::ImageAspectFlagBits::eColor;
    transitionImage(cmd, swap, color, 0, 1, vk::ImageLayout::eUndefined, vk::ImageLayout::eTransferDstOptimal, vk::PipelineStageFlagBits::eTransfer, {},
                    vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite);
    const vk::Offset3D end(std::int32_t(extent.width), std::int32_t(extent.height), 1);
    const vk::Offset3D sourceEnd(std::int32_t(sourceWidth), std::int32_t(sourceHeight), 1);
    vk::ImageBlit blit({color, 0, 0, 1}, {vk::Offset3D(0, 0, 0), sourceEnd}, {color, 0, 0, 1}, {vk::Offset3D(0, 0, 0), end});
    const bool scaled = sourceWidth != extent.width || sourceHeight != extent.height;
    cmd.blitImage(source, vk::ImageLayout::eTransferSrcOptimal, swap, vk::ImageLayout::eTransferDstOptimal, blit,
                  scaled ? vk::Filter::eLinear : vk::Filter::eNearest);
    if (!overlay) {
        transitionImage(cmd, swap, color, 0, 1, vk::ImageLayout::eTransferDstOptimal, vk::ImageLayout::ePresentSrcKHR, vk::PipelineStageFlagBits::eTransfer,
                        vk::AccessFlagBits::eTransferWrite, vk::PipelineStageFlagBits::eBottomOfPipe, {});
        return;
    }
    transitionImage(cmd, swap, color, 0, 1, vk::ImageLayout::eTransferDstOptimal, vk::ImageLayout::eColorAttachmentOptimal,
                    vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite, vk::PipelineStageFlagBits::eColorAttachmentOutput,
                    vk::AccessFlagBits::eColorAttachmentRead | vk::AccessFlagBits::eColorAttachmentWrite);
    recordOverlay(cmd, index, overlay);
}

// The pass loads the blitted frame and its final layout is PRESENT_SRC.
void SurfaceTarget::Impl::recordOverlay(const vk::raii::CommandBuffer& cmd, std::uint32_t index, const OverlayFn& overlay) const {
    cmd.beginRenderPass(vk::RenderPassBeginInfo(*overlayPass, *framebuffers[index], vk::Rect2D({0, 0}, extent)), vk::SubpassContents::eInline);
    OverlayContext oc;
    oc.commandBuffer = reinterpret_cast<std::uint64_t>(static_cast<VkCommandBuffer>(*cmd));
    oc.renderPass = reinterpret_cast<std::uint64_t>(static_cast<VkRenderPass>(*overlayPass));
    oc.width = extent.width;
    oc.height = extent.height;
    oc.imageIndex = index;
    oc.imageCount = std::uint32_t(images.size());
    overlay(oc);
    cmd.endRenderPass();
}

void SurfaceTarget::Impl::present(std::uint32_t index) {
    vk::SwapchainKHR sc = *swapchain;
    vk::Semaphore waitSem = *rendered;
    try {
        const vk::Result pr = ctx->queue.presentKHR(vk::PresentInfoKHR(waitSem, sc, index));
        if (pr == vk::Result::eSuboptimalKHR) dirty = true;
    } catch (const vk::OutOfDateKHRError&) {
        dirty = true;
    }
}

SurfaceTarget::SurfaceTarget(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SurfaceTarget::~SurfaceTarget() {
    if (m_impl && m_impl->ctx) m_impl->ctx->device.waitIdle();
}
std::uint64_t SurfaceTarget::overlayRenderPass() const { return reinterpret_cast<std::uint64_t>(static_cast<VkRenderPass>(*m_impl->overlayPass)); }
std::uint32_t SurfaceTarget::imageCount() const { return std::uint32_t(m_impl->images.size()); }
void SurfaceTarget::resize(int width, int height) {
    m_impl->width = width;
    m_impl->height = height;
    m_impl->dirty = true;
}

} // namespace kiln::render
