#include "ui/imgui_overlay.h"

#include "core/error.h"

#include <imgui.h>
#include <imgui_impl_vulkan.h>
#include <vulkan/vulkan.h>

#include <array>
#include <string>

namespace kiln::ui {

namespace {

template <class T>
T handle(std::uint64_t raw) {
    return reinterpret_cast<T>(raw);
}

void check(VkResult result) {
    if (result != VK_SUCCESS) throw Error("ImGui overlay: Vulkan error " + std::to_string(int(result)));
}

// imgui_impl_vulkan's hook: it cannot throw through C, so a failure is fatal for the overlay only
// (the next call reports it through check()).
void checkFromImGui(VkResult) {}

} // namespace

ImGuiOverlay::ImGuiOverlay(const render::DeviceHandles& dev, std::uint64_t renderPass, std::uint32_t imageCount) : m_device(dev.device) {
    IMGUI_CHECKVERSION();
    m_context = ImGui::CreateContext();
    ImGui::SetCurrentContext(m_context);
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the studio keeps its own layout
    io.ConfigFlags |= ImGuiConfigFlags_NoMouseCursorChange;
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 4.0f;
    ImGui::GetStyle().Alpha = 0.92f;

    const VkDevice device = handle<VkDevice>(dev.device);
    const std::array<VkDescriptorPoolSize, 1> sizes{{{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 16}}};
    VkDescriptorPoolCreateInfo poolInfo{};
    poolInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
    poolInfo.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
    poolInfo.maxSets = 16;
    poolInfo.poolSizeCount = std::uint32_t(sizes.size());
    poolInfo.pPoolSizes = sizes.data();
    VkDescriptorPool pool = VK_NULL_HANDLE;
    check(vkCreateDescriptorPool(device, &poolInfo, nullptr, &pool));
    m_descriptorPool = reinterpret_cast<std::uint64_t>(pool);

    ImGui_ImplVulkan_InitInfo info{};
    info.Instance = handle<VkInstance>(dev.instance);
    info.PhysicalDevice = handle<VkPhysicalDevice>(dev.physicalDevice);
    info.Device = device;
    info.QueueFamily = dev.queueFamily;
    info.Queue = handle<VkQueue>(dev.queue);
    info.DescriptorPool = pool;
    info.MinImageCount = std::max(imageCount, 2u);
    info.ImageCount = std::max(imageCount, 2u);
    info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
    info.CheckVkResultFn = &checkFromImGui;
    if (!ImGui_ImplVulkan_Init(&info, handle<VkRenderPass>(renderPass))) throw Error("ImGui overlay: imgui_impl_vulkan failed to initialise");

    // Font atlas upload: one-shot command buffer on the renderer's queue (same thread as rendering).
    VkCommandPoolCreateInfo cpInfo{};
    cpInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    cpInfo.queueFamilyIndex = dev.queueFamily;
    VkCommandPool cmdPool = VK_NULL_HANDLE;
    check(vkCreateCommandPool(device, &cpInfo, nullptr, &cmdPool));
    VkCommandBufferAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = cmdPool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkResult r = vkAllocateCommandBuffers(device, &alloc, &cmd);
    if (r == VK_SUCCESS) {
        VkCommandBufferBeginInfo begin{};
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        vkBeginCommandBuffer(cmd, &begin);
        ImGui_ImplVulkan_CreateFontsTexture(cmd);
        vkEndCommandBuffer(cmd);
        VkSubmitInfo submit{};
        submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        r = vkQueueSubmit(info.Queue, 1, &submit, VK_NULL_HANDLE);
        if (r == VK_SUCCESS) r = vkQueueWaitIdle(info.Queue);
        ImGui_ImplVulkan_DestroyFontUploadObjects();
    }
    vkDestroyCommandPool(device, cmdPool, nullptr);
    check(r);
}

ImGuiOverlay::~ImGuiOverlay() {
    ImGui::SetCurrentContext(m_context);
    vkDeviceWaitIdle(handle<VkDevice>(m_device));
    ImGui_ImplVulkan_Shutdown();
    vkDestroyDescriptorPool(handle<VkDevice>(m_device), handle<VkDescriptorPool>(m_descriptorPool), nullptr);
    ImGui::DestroyContext(m_context);
}

void ImGuiOverlay::beginFrame(float width, float height, float devicePixelRatio, float deltaSeconds) {
    ImGui::SetCurrentContext(m_context);
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(width, height);
    io.DisplayFramebufferScale = ImVec2(devicePixelRatio, devicePixelRatio);
    io.DeltaTime = deltaSeconds > 0.0f ? deltaSeconds : 1.0f / 60.0f;
    ImGui_ImplVulkan_NewFrame();
    ImGui::NewFrame();
    m_frameOpen = true;
}

void ImGuiOverlay::record(const render::OverlayContext& context) {
    if (!m_frameOpen) return;
    ImGui::SetCurrentContext(m_context);
    ImGui::Render();
    m_frameOpen = false;
    ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), handle<VkCommandBuffer>(context.commandBuffer));
}

void ImGuiOverlay::cancelFrame() {
    if (!m_frameOpen) return;
    ImGui::SetCurrentContext(m_context);
    ImGui::EndFrame();
    m_frameOpen = false;
}

void ImGuiOverlay::mouseMove(float x, float y) {
    ImGui::SetCurrentContext(m_context);
    ImGui::GetIO().MousePos = ImVec2(x, y);
}

void ImGuiOverlay::mouseButton(int button, bool down) {
    ImGui::SetCurrentContext(m_context);
    if (button >= 0 && button < 5) ImGui::GetIO().MouseDown[button] = down;
}

void ImGuiOverlay::mouseWheel(float steps) {
    ImGui::SetCurrentContext(m_context);
    ImGui::GetIO().MouseWheel += steps;
}

bool ImGuiOverlay::wantsMouse() const {
    ImGui::SetCurrentContext(m_context);
    return ImGui::GetIO().WantCaptureMouse;
}

} // namespace kiln::ui
