// The presenting path: the renderer draws into a swapchain on a window surface the caller made
// (here an X11/xcb window under Xvfb, as the studio's Qt window will be), and the pixels that
// reach the window are read back through X11 to check something was drawn.
#include "test_util.h"

#include "io/asset_io.h"
#include "render/orbit_camera.h"
#include "render/renderer.h"

#define VK_USE_PLATFORM_XCB_KHR
#include <vulkan/vulkan.h>
#include <xcb/xcb.h>

#include <array>
#include <cstdlib>
#include <memory>

using kiln::test::testdata;

namespace {

struct XcbWindow {
    xcb_connection_t* connection = nullptr;
    xcb_window_t window = 0;
    ~XcbWindow() {
        if (connection) xcb_disconnect(connection);
    }
};

} // namespace

TEST(RenderSurface, PresentsFramesToAnXcbWindow) {
    if (!std::getenv("DISPLAY")) GTEST_SKIP() << "no X display (CTest runs this under xvfb-run)";
    XcbWindow win;
    win.connection = xcb_connect(nullptr, nullptr);
    ASSERT_EQ(xcb_connection_has_error(win.connection), 0);
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(win.connection)).data;
    win.window = xcb_generate_id(win.connection);
    const int w = 320, h = 240;
    xcb_create_window(win.connection, XCB_COPY_FROM_PARENT, win.window, screen->root, 0, 0, w, h, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
                      screen->root_visual, 0, nullptr);
    xcb_map_window(win.connection, win.window);
    xcb_flush(win.connection);

    kiln::render::RendererOptions options;
    options.instanceExtensions = {"VK_KHR_surface", "VK_KHR_xcb_surface"};
    options.swapchain = true;
    options.validation = kiln::render::Validation::On;
    kiln::render::Renderer renderer(options);
    const auto instance = reinterpret_cast<VkInstance>(renderer.vkInstance());
    VkXcbSurfaceCreateInfoKHR info{VK_STRUCTURE_TYPE_XCB_SURFACE_CREATE_INFO_KHR, nullptr, 0, win.connection, win.window};
    auto createSurface = reinterpret_cast<PFN_vkCreateXcbSurfaceKHR>(vkGetInstanceProcAddr(instance, "vkCreateXcbSurfaceKHR"));
    auto destroySurface = reinterpret_cast<PFN_vkDestroySurfaceKHR>(vkGetInstanceProcAddr(instance, "vkDestroySurfaceKHR"));
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    ASSERT_EQ(createSurface(instance, &info, nullptr, &surface), VK_SUCCESS);
    {
        auto target = renderer.createSurfaceTarget(reinterpret_cast<std::uint64_t>(surface), w, h);
        renderer.add(kiln::io::loadAsset(testdata("gltf/Duck/Duck.glb")));
        renderer.add(kiln::io::loadAsset(testdata("splats/biker_inria_sub20.ply")));
        kiln::render::OrbitCamera orbit;
        orbit.frame(renderer.sceneBounds(), float(w) / float(h));
        int presented = 0;
        for (int i = 0; i < 12; ++i) {
            orbit.orbit(10.0f, 0.0f);  // a moving camera: splats are re-sorted on the worker thread
            presented += renderer.renderToSurface(*target, orbit.toCamera()) ? 1 : 0;
        }
        EXPECT_GE(presented, 10);
        // Frames submitted without waiting (the studio's): presented on the renderer's thread; an
        // upload, an offscreen frame and the next frame each finish the one in flight first.
        using Wait = kiln::render::Renderer::FrameWait;
        int submitted = 0, sawInFlight = 0;
        for (int i = 0; i < 6; ++i) {
            orbit.orbit(10.0f, 0.0f);
            submitted += renderer.renderToSurface(*target, orbit.toCamera(), {}, {}, Wait::Submit) ? 1 : 0;
            sawInFlight += renderer.frameInFlight() ? 1 : 0;
            if (i == 2) renderer.add(kiln::io::loadAsset(testdata("gltf/Box/Box.glb")));
            if (i == 4) EXPECT_EQ(renderer.renderImage(orbit.toCamera(), 64, 48).width, 64);
        }
        EXPECT_GE(submitted, 5);
        EXPECT_GE(sawInFlight, 1);  // the call returned before the frame was done
        renderer.finishFrame();
        EXPECT_FALSE(renderer.frameInFlight());
        target->resize(200, 150);
        xcb_configure_window(win.connection, win.window, XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT,
                             std::array<std::uint32_t, 2>{200, 150}.data());
        xcb_flush(win.connection);
        for (int i = 0; i < 4; ++i) (void)renderer.renderToSurface(*target, orbit.toCamera());
        EXPECT_TRUE(renderer.renderToSurface(*target, orbit.toCamera()));
    }
    // What the window shows: not a single flat colour.
    xcb_get_image_cookie_t cookie = xcb_get_image(win.connection, XCB_IMAGE_FORMAT_Z_PIXMAP, win.window, 0, 0, 200, 150, ~0u);
    std::unique_ptr<xcb_get_image_reply_t, decltype(&std::free)> reply(xcb_get_image_reply(win.connection, cookie, nullptr), &std::free);
    ASSERT_TRUE(reply);
    const std::uint8_t* px = xcb_get_image_data(reply.get());
    const int len = xcb_get_image_data_length(reply.get());
    ASSERT_GT(len, 4);
    int distinct = 0;
    for (int i = 4; i < len; i += 4)
        if (px[i] != px[0] || px[i + 1] != px[1] || px[i + 2] != px[2]) ++distinct;
    EXPECT_GT(distinct, 200 * 150 / 20) << "the window shows (almost) one colour";
    destroySurface(instance, surface, nullptr);
    for (const auto& m : renderer.validationMessages()) ADD_FAILURE() << m;
}
