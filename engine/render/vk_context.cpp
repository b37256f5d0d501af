#include "render/vk_context.h"

#include "core/error.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace kiln::render {

namespace {

VKAPI_ATTR VkBool32 VKAPI_CALL onValidationMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT && data && data->pMessage)
        static_cast<VkContext*>(user)->addMessage(data->pMessage);
    return VK_FALSE;
}

int deviceRank(vk::PhysicalDeviceType type) {
    switch (type) {
    case vk::PhysicalDeviceType::eDiscreteGpu: return 0;
    case vk::PhysicalDeviceType::eIntegratedGpu: return 1;
    case vk::PhysicalDeviceType::eVirtualGpu: return 2;
    case vk::PhysicalDeviceType::eCpu: return 3;
    default: return 4;
    }
}

} // namespace

VkContext::VkContext(bool enableValidation, bool validationRequired, const std::vector<std::string>& instanceExtensions, bool swapchain) {
    vk::ApplicationInfo app("Kiln", 1, "Kiln", 1, VK_API_VERSION_1_2);
    std::vector<const char*> layers;
    std::vector<const char*> extensions;
    for (const auto& e : instanceExtensions) extensions.push_back(e.c_str());
    if (enableValidation) {
        const auto available = context.enumerateInstanceLayerProperties();
        const bool found = std::any_of(available.begin(), available.end(),
                                       [](const vk::LayerProperties& l) { return std::strcmp(l.layerName, "VK_LAYER_KHRONOS_validation") == 0; });
        if (!found && validationRequired)
            throw Error("Vulkan validation requested but VK_LAYER_KHRONOS_validation is not installed (apt-get install vulkan-validationlayers)");
        if (found) {
            layers.push_back("VK_LAYER_KHRONOS_validation");
            extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
            validation = true;
        }
    }
    try {
        instance = vk::raii::Instance(context, vk::InstanceCreateInfo({}, &app, layers, extensions));
    } catch (const vk::SystemError& e) {
        throw Error(std::string("cannot create a Vulkan instance (is a Vulkan driver installed? mesa-vulkan-drivers gives a CPU one): ") + e.what());
    }
    if (validation) {
        vk::DebugUtilsMessengerCreateInfoEXT info({},
                                                  vk::DebugUtilsMessageSeverityFlagBitsEXT::eWarning | vk::DebugUtilsMessageSeverityFlagBitsEXT::eError,
                                                  vk::DebugUtilsMessageTypeFlagBitsEXT::eGeneral | vk::DebugUtilsMessageTypeFlagBitsEXT::eValidation |
                                                      vk::DebugUtilsMessageTypeFlagBitsEXT::ePerformance,
                                                  &onValidationMessage, this);
        messenger = vk::raii::DebugUtilsMessengerEXT(instance, info);
    }

    vk::raii::PhysicalDevices devices(instance);
    if (devices.empty()) throw Error("no Vulkan device found (install mesa-vulkan-drivers for the CPU renderer)");
    std::vector<std::size_t> candidates;
    const char* wanted = std::getenv("KILN_VK_DEVICE");
    for (std::size_t i = 0; i < devices.size(); ++i) {
        const auto props = devices[i].getProperties();
        if (props.apiVersion < VK_API_VERSION_1_2) continue;
        if (wanted && !std::strstr(props.deviceName.data(), wanted)) continue;
        candidates.push_back(i);
    }
    if (candidates.empty()) throw Error(wanted ? std::string("no Vulkan 1.2 device matches KILN_VK_DEVICE='") + wanted + "'" : "no Vulkan 1.2 device found");
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](std::size_t a, std::size_t b) { return deviceRank(devices[a].getProperties().deviceType) < deviceRank(devices[b].getProperties().deviceType); });
    physical = std::move(devices[candidates.front()]);
    properties = physical.getProperties();

    const auto families = physical.getQueueFamilyProperties();
    bool foundQueue = false;
    for (std::uint32_t i = 0; i < families.size(); ++i)
        if (families[i].queueFlags & vk::QueueFlagBits::eGraphics) {
            queueFamily = i;
            foundQueue = true;
            break;
        }
    if (!foundQueue) throw Error(std::string(properties.deviceName.data()) + ": no graphics queue");

    const auto features = physical.getFeatures();
    fillModeNonSolid = features.fillModeNonSolid;
    vk::PhysicalDeviceFeatures enabled;
    enabled.fillModeNonSolid = features.fillModeNonSolid;
    enabled.samplerAnisotropy = features.samplerAnisotropy;
    float priority = 1.0f;
    vk::DeviceQueueCreateInfo queueInfo({}, queueFamily, 1, &priority);
    std::vector<const char*> deviceExtensions;
    if (swapchain) deviceExtensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
    vk::PhysicalDeviceLineRasterizationFeaturesEXT lineFeatures;
    for (const auto& e : physical.enumerateDeviceExtensionProperties())
        if (std::strcmp(e.extensionName.data(), VK_EXT_LINE_RASTERIZATION_EXTENSION_NAME) == 0) {
            const auto chain = physical.getFeatures2<vk::PhysicalDeviceFeatures2, vk::PhysicalDeviceLineRasterizationFeaturesEXT>();
            smoothLines = chain.get<vk::PhysicalDeviceLineRasterizationFeaturesEXT>().smoothLines == VK_TRUE;
        }
    vk::DeviceCreateInfo deviceInfo({}, queueInfo, {}, deviceExtensions, &enabled);
    if (smoothLines) {
        lineFeatures.smoothLines = VK_TRUE;
        deviceExtensions.push_back(VK_EXT_LINE_RASTERIZATION_EXTENSION_NAME);
        deviceInfo.setPEnabledExtensionNames(deviceExtensions);
        deviceInfo.pNext = &lineFeatures;
    }
    device = vk::raii::Device(physical, deviceInfo);
    queue = vk::raii::Queue(device, queueFamily, 0);
    commandPool = vk::raii::CommandPool(device, {vk::CommandPoolCreateFlagBits::eResetCommandBuffer, queueFamily});

    const auto mem = physical.getMemoryProperties();
    for (std::uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
        const auto f = mem.memoryTypes[i].propertyFlags;
        if ((f & vk::MemoryPropertyFlagBits::eDeviceLocal) && (f & vk::MemoryPropertyFlagBits::eHostVisible) && (f & vk::MemoryPropertyFlagBits::eHostCoherent) &&
            mem.memoryHeaps[mem.memoryTypes[i].heapIndex].size >= (std::uint64_t(1) << 30))
            m_deviceLocalIsHostVisible = properties.deviceType == vk::PhysicalDeviceType::eCpu || properties.deviceType == vk::PhysicalDeviceType::eIntegratedGpu;
    }
}

std::vector<std::string> VkContext::messages() const {
    std::lock_guard lock(m_messagesMutex);
    return m_messages;
}

void VkContext::addMessage(std::string message) {
    std::lock_guard lock(m_messagesMutex);
    if (m_messages.size() < 1000) m_messages.push_back(std::move(message));
}

int VkContext::supportedSamples(int wanted) const {
    const auto counts = properties.limits.framebufferColorSampleCounts & properties.limits.framebufferDepthSampleCounts;
    for (int s : {8, 4, 2})
        if (s <= wanted && (counts & toSampleBits(s))) return s;
    return 1;
}

std::uint32_t VkContext::findMemoryType(std::uint32_t typeBits, vk::MemoryPropertyFlags flags) const {
    const auto mem = physical.getMemoryProperties();
    for (std::uint32_t i = 0; i < mem.memoryTypeCount; ++i)
        if ((typeBits & (1u << i)) && (mem.memoryTypes[i].propertyFlags & flags) == flags) return i;
    throw Error("Vulkan: no suitable memory type");
}

GpuBuffer VkContext::createBuffer(vk::DeviceSize size, vk::BufferUsageFlags usage, bool hostVisible) const {
    GpuBuffer b;
    b.size = std::max<vk::DeviceSize>(size, 16);
    b.buffer = vk::raii::Buffer(device, vk::BufferCreateInfo({}, b.size, usage));
    const auto req = b.buffer.getMemoryRequirements();
    const auto flags = hostVisible ? vk::MemoryPropertyFlagBits::eHostVisible | vk::MemoryPropertyFlagBits::eHostCoherent
                                   : vk::MemoryPropertyFlags(vk::MemoryPropertyFlagBits::eDeviceLocal);
    b.memory = vk::raii::DeviceMemory(device, vk::MemoryAllocateInfo(req.size, findMemoryType(req.memoryTypeBits, flags)));
    b.buffer.bindMemory(*b.memory, 0);
    if (hostVisible) b.mapped = b.memory.mapMemory(0, VK_WHOLE_SIZE);
    return b;
}

GpuBuffer VkContext::createBufferWithData(const void* data, vk::DeviceSize size, vk::BufferUsageFlags usage) const {
    if (m_deviceLocalIsHostVisible) {
        GpuBuffer b = createBuffer(size, usage, true);
        if (size) std::memcpy(b.mapped, data, size);
        return b;
    }
    GpuBuffer staging = createBuffer(size, vk::BufferUsageFlagBits::eTransferSrc, true);
    if (size) std::memcpy(staging.mapped, data, size);
    GpuBuffer b = createBuffer(size, usage | vk::BufferUsageFlagBits::eTransferDst, false);
    submitNow([&](const vk::raii::CommandBuffer& cb) { cb.copyBuffer(*staging.buffer, *b.buffer, vk::BufferCopy(0, 0, std::max<vk::DeviceSize>(size, 16))); });
    return b;
}

GpuImage VkContext::createImage(vk::ImageType type, vk::Format format, vk::Extent3D extent, std::uint32_t mipLevels, vk::SampleCountFlagBits samples,
                                vk::ImageUsageFlags usage, vk::ImageAspectFlags aspect) const {
    GpuImage img;
    img.format = format;
    img.extent = extent;
    img.mipLevels = mipLevels;
    img.image = vk::raii::Image(device, vk::ImageCreateInfo({}, type, format, extent, mipLevels, 1, samples, vk::ImageTiling::eOptimal, usage,
                                                            vk::SharingMode::eExclusive, {}, vk::ImageLayout::eUndefined));
    const auto req = img.image.getMemoryRequirements();
    img.memory = vk::raii::DeviceMemory(device, vk::MemoryAllocateInfo(req.size, findMemoryType(req.memoryTypeBits, vk::MemoryPropertyFlagBits::eDeviceLocal)));
    img.image.bindMemory(*img.memory, 0);
    const vk::ImageViewType viewType = type == vk::ImageType::e3D ? vk::ImageViewType::e3D : vk::ImageViewType::e2D;
    img.view = vk::raii::ImageView(device, vk::ImageViewCreateInfo({}, *img.image, viewType, format, {}, {aspect, 0, mipLevels, 0, 1}));
    return img;
}

void VkContext::uploadImage(GpuImage& img, const void* data, vk::DeviceSize size) const {
    GpuBuffer staging = createBuffer(size, vk::BufferUsageFlagBits::eTransferSrc, true);
    std::memcpy(staging.mapped, data, size);
    const auto color = vk::ImageAspectFlagBits::eColor;
    submitNow([&](const vk::raii::CommandBuffer& cb) {
        transitionImage(cb, *img.image, color, 0, img.mipLevels, vk::ImageLayout::eUndefined, vk::ImageLayout::eTransferDstOptimal,
                        vk::PipelineStageFlagBits::eTopOfPipe, {}, vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite);
        cb.copyBufferToImage(*staging.buffer, *img.image, vk::ImageLayout::eTransferDstOptimal,
                             vk::BufferImageCopy(0, 0, 0, {color, 0, 0, 1}, {0, 0, 0}, img.extent));
        std::int32_t w = std::int32_t(img.extent.width), h = std::int32_t(img.extent.height);
        for (std::uint32_t mip = 1; mip < img.mipLevels; ++mip) {
            transitionImage(cb, *img.image, color, mip - 1, 1, vk::ImageLayout::eTransferDstOptimal, vk::ImageLayout::eTransferSrcOptimal,
                            vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite, vk::PipelineStageFlagBits::eTransfer,
                            vk::AccessFlagBits::eTransferRead);
            const std::int32_t nw = std::max(1, w / 2), nh = std::max(1, h / 2);
            vk::ImageBlit blit({color, mip - 1, 0, 1}, {vk::Offset3D(0, 0, 0), vk::Offset3D(w, h, 1)}, {color, mip, 0, 1},
                               {vk::Offset3D(0, 0, 0), vk::Offset3D(nw, nh, 1)});
            cb.blitImage(*img.image, vk::ImageLayout::eTransferSrcOptimal, *img.image, vk::ImageLayout::eTransferDstOptimal, blit, vk::Filter::eLinear);
            transitionImage(cb, *img.image, color, mip - 1, 1, vk::ImageLayout::eTransferSrcOptimal, vk::ImageLayout::eShaderReadOnlyOptimal,
                            vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferRead, vk::PipelineStageFlagBits::eFragmentShader,
                            vk::AccessFlagBits::eShaderRead);
            w = nw;
            h = nh;
        }
        transitionImage(cb, *img.image, color, img.mipLevels - 1, 1, vk::ImageLayout::eTransferDstOptimal, vk::ImageLayout::eShaderReadOnlyOptimal,
                        vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferWrite, vk::PipelineStageFlagBits::eFragmentShader,
                        vk::AccessFlagBits::eShaderRead);
    });
}

void VkContext::waitFence(vk::Fence fence) const {
    const vk::Result r = device.waitForFences(fence, VK_TRUE, std::uint64_t(60) * 1000000000ull);
    if (r != vk::Result::eSuccess) throw Error("Vulkan: the GPU did not finish within 60 s (device lost or hung)");
}

vk::SampleCountFlagBits toSampleBits(int samples) {
    switch (samples) {
    case 8: return vk::SampleCountFlagBits::e8;
    case 4: return vk::SampleCountFlagBits::e4;
    case 2: return vk::SampleCountFlagBits::e2;
    default: return vk::SampleCountFlagBits::e1;
    }
}

void transitionImage(const vk::raii::CommandBuffer& cb, vk::Image image, vk::ImageAspectFlags aspect, std::uint32_t baseMip, std::uint32_t mipCount,
                     vk::ImageLayout from, vk::ImageLayout to, vk::PipelineStageFlags srcStage, vk::AccessFlags srcAccess,
                     vk::PipelineStageFlags dstStage, vk::AccessFlags dstAccess) {
    vk::ImageMemoryBarrier barrier(srcAccess, dstAccess, from, to, VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED, image,
                                   {aspect, baseMip, mipCount, 0, 1});
    cb.pipelineBarrier(srcStage, dstStage, {}, {}, {}, barrier);
}

} // namespace kiln::render
