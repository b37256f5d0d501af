#pragma once

// Internal to engine/render: the Vulkan device and the small RAII resource helpers the
// renderer builds on. Only render/*.cpp include this (vulkan.hpp is heavy).
#include <vulkan/vulkan_raii.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kiln::render {

struct GpuBuffer {
    vk::raii::Buffer buffer{nullptr};
    vk::raii::DeviceMemory memory{nullptr};
    vk::DeviceSize size = 0;
    void* mapped = nullptr;  // persistently mapped when host visible
};

struct GpuImage {
    vk::raii::Image image{nullptr};
    vk::raii::DeviceMemory memory{nullptr};
    vk::raii::ImageView view{nullptr};
    vk::Format format = vk::Format::eUndefined;
    vk::Extent3D extent{};
    std::uint32_t mipLevels = 1;
};

class VkContext {
public:
    VkContext(bool validation, bool validationRequired, const std::vector<std::string>& instanceExtensions, bool swapchain);

    vk::raii::Context context;
    vk::raii::Instance instance{nullptr};
    vk::raii::DebugUtilsMessengerEXT messenger{nullptr};
    vk::raii::PhysicalDevice physical{nullptr};
    vk::raii::Device device{nullptr};
    vk::raii::Queue queue{nullptr};
    std::uint32_t queueFamily = 0;
    vk::raii::CommandPool commandPool{nullptr};
    vk::PhysicalDeviceProperties properties{};
    bool fillModeNonSolid = false;
    // VK_EXT_line_rasterization's smooth (coverage-antialiased) lines, enabled where the device has
    // them: a single-sample scene pass draws its grid with them (Pipelines).
    bool smoothLines = false;
    bool validation = false;

    std::vector<std::string> messages() const;
    void addMessage(std::string message);

    // The largest of 8, 4, 2 samples not above `wanted` that colour and depth targets support, else 1.
    int supportedSamples(int wanted) const;

    std::uint32_t findMemoryType(std::uint32_t typeBits, vk::MemoryPropertyFlags flags) const;
    GpuBuffer createBuffer(vk::DeviceSize size, vk::BufferUsageFlags usage, bool hostVisible) const;
    // Device-local buffer filled through a staging copy (or directly when device memory is mappable).
    GpuBuffer createBufferWithData(const void* data, vk::DeviceSize size, vk::BufferUsageFlags usage) const;
    GpuImage createImage(vk::ImageType type, vk::Format format, vk::Extent3D extent, std::uint32_t mipLevels,
                         vk::SampleCountFlagBits samples, vk::ImageUsageFlags usage, vk::ImageAspectFlags aspect) const;
    // Uploads pixels to mip 0, generates the other mips by blitting, leaves SHADER_READ_ONLY.
    void uploadImage(GpuImage& image, const void* data, vk::DeviceSize size) const;

    // Records and submits one-shot work, waits for it.
    template <class F>
    void submitNow(F&& record) const {
        vk::raii::CommandBuffers cbs(device, {*commandPool, vk::CommandBufferLevel::ePrimary, 1});
        vk::raii::CommandBuffer& cb = cbs[0];
        cb.begin({vk::CommandBufferUsageFlagBits::eOneTimeSubmit});
        record(cb);
        cb.end();
        vk::raii::Fence fence(device, vk::FenceCreateInfo{});
        vk::CommandBuffer raw = *cb;
        queue.submit(vk::SubmitInfo(nullptr, nullptr, raw), *fence);
        waitFence(*fence);
    }
    void waitFence(vk::Fence fence) const;

private:
    mutable std::mutex m_messagesMutex;
    std::vector<std::string> m_messages;
    bool m_deviceLocalIsHostVisible = false;
};

vk::SampleCountFlagBits toSampleBits(int samples);  // 2, 4 or 8; anything else is 1

void transitionImage(const vk::raii::CommandBuffer& cb, vk::Image image, vk::ImageAspectFlags aspect, std::uint32_t baseMip, std::uint32_t mipCount,
                     vk::ImageLayout from, vk::ImageLayout to, vk::PipelineStageFlags srcStage, vk::AccessFlags srcAccess,
                     vk::PipelineStageFlags dstStage, vk::AccessFlags dstAccess);

} // namespace kiln::render
