#include "test_util.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/image_io.h"
#include "io/posed_images.h"

#include <glm/geometric.hpp>
#include <glm/gtc/matrix_transform.hpp>
#include <glm/matrix.hpp>
#include <glm/trigonometric.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/mat3x3.hpp>
#include <glm/vec2.hpp>
#include <glm/vec4.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using kiln::io::loadPosedImages;
using kiln::io::LoadOptions;
using kiln::io::PosedImageSet;
using kiln::test::scratchDir;
using kiln::test::testdata;

namespace {

void writeText(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

void writePng(const fs::path& file, int w, int h, int channels = 3) {
    fs::create_directories(file.parent_path());
    kiln::core::Image img = kiln::core::Image::makeU8(w, h, channels);
    for (std::size_t i = 0; i < img.u8.size(); ++i) img.u8[i] = std::uint8_t((i * 7) % 251);
    kiln::io::writeImage(img, file);
}

// Runs `f`, expecting a kiln::Error whose message contains every fragment.
void expectError(const std::function<void()>& f, std::initializer_list<std::string> fragments) {
    try {
        f();
        ADD_FAILURE() << "no error thrown; expected one mentioning " << *fragments.begin();
    } catch (const kiln::Error& e) {
        const std::string msg = e.what();
        for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << "'" << frag << "' not in: " << msg;
    }
}

// ---- a small COLMAP model, written by the test in both formats -------------------------------

struct TestCamera {
    std::uint32_t id;
    const char* model;
    int model_id;
    int width, height;
    std::vector<double> params;
};
struct TestImage {
    std::uint32_t id;
    glm::dquat q;  // world-to-camera rotation
    glm::dvec3 t;
    std::uint32_t camera;
    std::string name;
};

const std::vector<TestCamera> kCameras = {
    {1, "PINHOLE", 1, 64, 48, {50.0, 52.0, 31.5, 24.25}},
    {2, "SIMPLE_RADIAL", 2, 40, 30, {35.0, 20.0, 15.5, 0.01}},
};

std::vector<TestImage> testImages() {
    auto q = [](double w, double x, double y, double z) { return glm::normalize(glm::dquat(w, x, y, z)); };
    return {{7, q(0.9, 0.1, -0.3, 0.2), {0.1, -0.2, 4.0}, 1, "c.png"},
            {3, q(0.5, 0.5, 0.5, -0.5), {0.3, 0.1, 3.5}, 2, "a.png"},
            {5, q(0.2, -0.7, 0.1, 0.6), {-0.2, 0.2, 5.0}, 1, "b.png"}};
}

const std::vector<glm::dvec3> kPoints = {{0.1, 0.2, -0.3}, {-0.4, 0.1, 0.2}, {0.3, -0.3, 0.1}, {0.0, 0.0, 0.0}};

void writeImagesFor(const fs::path& imageDir) {
    for (const auto& img : testImages()) {
        const auto& cam = img.camera == 1 ? kCameras[0] : kCameras[1];
        writePng(imageDir / img.name, cam.width, cam.height);
    }
}

void writeColmapText(const fs::path& model) {
    std::ostringstream cams;
    cams.precision(17);
    cams << "# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n";
    for (const auto& c : kCameras) {
        cams << c.id << ' ' << c.model << ' ' << c.width << ' ' << c.height;
        for (double p : c.params) cams << ' ' << p;
        cams << '\n';
    }
    writeText(model / "cameras.txt", cams.str());
    char buf[512];
    std::string imgs = "# Image list with two lines of data per image:\n";
    bool first = true;
    for (const auto& i : testImages()) {
        std::snprintf(buf, sizeof buf, "%u %.17g %.17g %.17g %.17g %.17g %.17g %.17g %u %s\n", i.id, i.q.w, i.q.x, i.q.y, i.q.z, i.t.x, i.t.y, i.t.z,
                      i.camera, i.name.c_str());
        imgs += buf;
        imgs += first ? "10.5 12.25 1 3.0 4.0 -1\n" : "\n";  // 2D points, or an empty line
        first = false;
    }
    writeText(model / "images.txt", imgs);
    std::string pts = "# 3D point list\n";
    int id = 1;
    for (const auto& p : kPoints) {
        std::snprintf(buf, sizeof buf, "%d %.9g %.9g %.9g %d %d %d 0.5 7 0 3 1\n", id, p.x, p.y, p.z, 10 * id, 20 * id, 255);
        pts += buf;
        ++id;
    }
    writeText(model / "points3D.txt", pts);
}

template <class T>
void put(std::vector<std::uint8_t>& out, T v) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(&v);
    out.insert(out.end(), b, b + sizeof(T));
}

void writeColmapBinary(const fs::path& model) {
    fs::create_directories(model);
    std::vector<std::uint8_t> cams;
    put<std::uint64_t>(cams, kCameras.size());
    for (const auto& c : kCameras) {
        put<std::uint32_t>(cams, c.id);
        put<std::int32_t>(cams, c.model_id);
        put<std::uint64_t>(cams, std::uint64_t(c.width));
        put<std::uint64_t>(cams, std::uint64_t(c.height));
        for (double p : c.params) put<double>(cams, p);
    }
    kiln::io::writeFileBytes(model / "cameras.bin", cams);
    std::vector<std::uint8_t> imgs;
    put<std::uint64_t>(imgs, testImages().size());
    for (const auto& i : testImages()) {
        put<std::uint32_t>(imgs, i.id);
        for (double v : {i.q.w, i.q.x, i.q.y, i.q.z, i.t.x, i.t.y, i.t.z}) put<double>(imgs, v);
        put<std::uint32_t>(imgs, i.camera);
        imgs.insert(imgs.end(), i.name.begin(), i.name.end());
        imgs.push_back(0);
        put<std::uint64_t>(imgs, 1);  // one 2D point
        put<double>(imgs, 3.0);
        put<double>(imgs, 4.0);
        put<std::int64_t>(imgs, -1);
    }
    kiln::io::writeFileBytes(model / "images.bin", imgs);
    std::vector<std::uint8_t> pts;
    put<std::uint64_t>(pts, kPoints.size());
    std::uint64_t id = 1;
    for (const auto& p : kPoints) {
        put<std::uint64_t>(pts, id);
        put<double>(pts, p.x);
        put<double>(pts, p.y);
        put<double>(pts, p.z);
        pts.push_back(std::uint8_t(10 * id));
        pts.push_back(std::uint8_t(20 * id));
        pts.push_back(255);
        put<double>(pts, 0.5);
        put<std::uint64_t>(pts, 2);  // track
        for (std::int32_t v : {7, 0, 3, 1}) put<std::int32_t>(pts, v);
        ++id;
    }
    kiln::io::writeFileBytes(model / "points3D.bin", pts);
}

// Loaded poses reproduce COLMAP's own projection x = K (R X + t) for every point and image.
void expectColmapPoses(const PosedImageSet& set) {
    ASSERT_EQ(set.images.size(), 3u);
    EXPECT_EQ(set.images[0].name, "a.png");  // sorted by name
    EXPECT_EQ(set.images[1].name, "b.png");
    EXPECT_EQ(set.images[2].name, "c.png");
    ASSERT_EQ(set.points.size(), kPoints.size());
    ASSERT_EQ(set.pointColors.size(), kPoints.size());
    for (std::size_t i = 0; i < kPoints.size(); ++i) {
        EXPECT_LT(glm::length(glm::dvec3(set.points[i]) - kPoints[i]), 1e-6);
        EXPECT_NEAR(set.pointColors[i].r, 10.0f * float(i + 1) / 255.0f, 1e-6f);
        EXPECT_EQ(set.pointColors[i].b, 1.0f);
    }
    const std::vector<TestImage> sources = testImages();
    for (const auto& view : set.images) {
        const TestImage* src = nullptr;
        for (const auto& t : sources)
            if (t.name == view.name) src = &t;
        ASSERT_NE(src, nullptr);
        const auto& cam = src->camera == 1 ? kCameras[0] : kCameras[1];
        const double fx = cam.params[0], fy = src->camera == 1 ? cam.params[1] : cam.params[0];
        const double cx = src->camera == 1 ? cam.params[2] : cam.params[1], cy = src->camera == 1 ? cam.params[3] : cam.params[2];
        EXPECT_EQ(view.image.width, cam.width);
        EXPECT_EQ(view.image.height, cam.height);
        EXPECT_NEAR(view.fx, fx, 1e-4);
        EXPECT_NEAR(view.fy, fy, 1e-4);
        EXPECT_NEAR(view.cx, cx, 1e-4);
        EXPECT_NEAR(view.cy, cy, 1e-4);
        EXPECT_NEAR(view.camera.fovY, 2.0 * std::atan(cam.height / (2.0 * fy)), 1e-5);
        const glm::dmat3 R = glm::mat3_cast(src->q);
        const glm::mat4 viewMatrix = view.camera.view();
        for (const auto& X : kPoints) {
            const glm::dvec3 xc = R * X + src->t;  // COLMAP: OpenCV camera, +Z forward, +Y down
            ASSERT_GT(xc.z, 0.0);
            const glm::dvec2 colmap(fx * xc.x / xc.z + cx, fy * xc.y / xc.z + cy);
            const glm::vec4 p = viewMatrix * glm::vec4(glm::vec3(X), 1.0f);  // Kiln: OpenGL camera, -Z forward
            ASSERT_LT(p.z, 0.0f);
            const glm::dvec2 kiln(view.fx * p.x / -p.z + view.cx, -view.fy * p.y / -p.z + view.cy);
            EXPECT_LT(glm::length(colmap - kiln), 1e-3) << view.name;
        }
        // The camera centre is -R^T t.
        EXPECT_LT(glm::length(glm::dvec3(view.camera.position()) + glm::transpose(R) * src->t), 1e-5);
    }
    // Camera 2 (SIMPLE_RADIAL, k = 0.01) is noted as distorted.
    ASSERT_EQ(set.notes.size(), 1u);
    EXPECT_NE(set.notes[0].find("camera 2"), std::string::npos) << set.notes[0];
}

std::string transformsJson(const std::string& frames, const std::string& extra = "\"camera_angle_x\": 0.8") {
    return "{ " + extra + ", \"frames\": [" + frames + "] }";
}

std::string frame(const std::string& path, const std::string& matrix = "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]") {
    return "{ \"file_path\": \"" + path + "\", \"transform_matrix\": " + matrix + " }";
}

} // namespace

TEST(PosedImages, LoadsNerfSyntheticLego) {
    const fs::path dir = testdata("mv/lego_train");
    const auto start = std::chrono::steady_clock::now();
    LoadOptions options;
    options.downscale = 4;
    const PosedImageSet set = loadPosedImages(dir, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("lego_train: %zu views at 800x800 -> %dx%d in %.2f s\n", set.images.size(), set.images.at(0).image.width,
                set.images.at(0).image.height, seconds);
    EXPECT_LT(seconds, 10.0);  // a few seconds at most even on a loaded 2-core machine
    ASSERT_EQ(set.images.size(), 100u);
    EXPECT_TRUE(set.points.empty());
    EXPECT_EQ(set.source.filename(), "transforms_train.json");
    const float cameraAngleX = 0.6911112070083618f;
    double meanRadius = 0.0;
    for (const auto& v : set.images) meanRadius += glm::length(v.camera.position()) / double(set.images.size());
    for (const auto& v : set.images) {
        ASSERT_EQ(v.image.width, 200) << v.name;
        ASSERT_EQ(v.image.height, 200) << v.name;
        ASSERT_EQ(v.image.channels, 4) << v.name;
        // Square images: the vertical field of view equals camera_angle_x.
        EXPECT_NEAR(v.camera.fovY, cameraAngleX, 1e-5f) << v.name;
        EXPECT_NEAR(v.fx, 0.5f * 200.0f / std::tan(0.5f * cameraAngleX), 1e-3f);
        EXPECT_EQ(v.cx, 100.0f);
        EXPECT_EQ(v.cy, 100.0f);
        // Centres on a sphere around the origin, looking at it.
        const glm::vec3 c = v.camera.position();
        EXPECT_NEAR(glm::length(c), meanRadius, 1e-3 * meanRadius) << v.name;
        EXPECT_GT(glm::dot(v.camera.forward(), -glm::normalize(c)), 0.99f) << v.name;
    }
    EXPECT_NEAR(meanRadius, 4.03, 0.05);
    EXPECT_EQ(set.images[0].name, "train/r_0.png");

    // The file itself loads the same set; maxSize picks the factor.
    LoadOptions small;
    small.maxSize = 300;  // 800 / 3 = 266
    const fs::path json = dir / "transforms_train.json";
    EXPECT_EQ(loadPosedImages(json, small).images.at(99).image.width, 266);
}

TEST(PosedImages, OnlyViewDecodesOneViewOfTheSet) {
    const fs::path dir = testdata("mv/lego_train");
    LoadOptions all;
    all.downscale = 4;
    const PosedImageSet full = loadPosedImages(dir, all);
    for (int index : {0, 37, 99}) {
        LoadOptions one = all;
        one.onlyView = index;
        const PosedImageSet set = loadPosedImages(dir, one);
        ASSERT_EQ(set.images.size(), 1u);
        const kiln::io::PosedImage& a = set.images[0];
        const kiln::io::PosedImage& b = full.images[std::size_t(index)];
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.camera.cameraToWorld, b.camera.cameraToWorld);
        EXPECT_EQ(a.camera.fovY, b.camera.fovY);
        EXPECT_EQ(a.image.u8, b.image.u8);
    }
    // The COLMAP reader picks from the same order as a full load.
    const auto colmap = scratchDir();
    writeColmapText(colmap / "sparse" / "0");
    writeImagesFor(colmap / "images");
    const PosedImageSet cm = loadPosedImages(colmap);
    LoadOptions last;
    last.onlyView = int(cm.images.size()) - 1;
    EXPECT_EQ(loadPosedImages(colmap, last).images.at(0).name, cm.images.back().name);
    LoadOptions past;
    past.onlyView = 100;
    expectError([&] { (void)loadPosedImages(dir, past); }, {"transforms_train.json", "view 100 is out of range (the set has 100 views, 0 to 99)"});
}

// --up cameras: the rotation that takes the cameras' mean up direction to +Y. NeRF-Synthetic is
// Z-up (Blender) with its cameras upright on a hemisphere, so it finds about what --up z does; a
// load of one view still knows every pose.
TEST(PosedImages, CamerasUpFindsTheCapturesUpDirection) {
    using kiln::io::camerasUpToYUp;
    LoadOptions one;
    one.onlyView = 5;
    const PosedImageSet lego = loadPosedImages(testdata("mv/lego_train"), one);
    ASSERT_EQ(lego.poses.size(), 100u);
    EXPECT_EQ(lego.poses[5], lego.images[0].camera.cameraToWorld);
    const glm::mat4 r = camerasUpToYUp(lego.poses);
    EXPECT_GT(glm::dot(glm::vec3(r * glm::vec4(0, 0, 1, 0)), glm::vec3(0, 1, 0)), std::cos(glm::radians(5.0f))) << "+Z ends within 5 degrees of +Y";
    EXPECT_EQ(kiln::io::upRotation('c', lego), r);
    EXPECT_EQ(kiln::io::upRotation('z', lego), kiln::io::zUpToYUp());
    EXPECT_EQ(kiln::io::upRotation('y', lego), glm::mat4(1.0f));
    EXPECT_EQ(kiln::io::upName('c'), "cameras");

    // Hand-held cameras around a tilted up direction, rolled a little either way.
    const glm::vec3 up = glm::normalize(glm::vec3(0.3f, -0.2f, -0.93f));
    const glm::vec3 side = glm::normalize(glm::cross(up, glm::vec3(1, 0, 0))), side2 = glm::cross(up, side);
    std::vector<glm::mat4> ring;
    for (int i = 0; i < 24; ++i) {
        const float a = 2.0f * 3.14159265f * float(i) / 24.0f, roll = 0.15f * (i % 2 ? 1.0f : -1.0f);
        const glm::vec3 position = 3.0f * (std::cos(a) * side + std::sin(a) * side2) + 1.0f * up;
        const glm::vec3 forward = glm::normalize(-position);
        const glm::vec3 right = glm::normalize(glm::cross(forward, up));
        const glm::vec3 camUp0 = glm::cross(right, forward);
        const glm::vec3 camUp = std::cos(roll) * camUp0 + std::sin(roll) * right, camRight = glm::cross(forward, camUp);
        ring.push_back(glm::mat4(glm::vec4(camRight, 0), glm::vec4(camUp, 0), glm::vec4(-forward, 0), glm::vec4(position, 1)));
    }
    const glm::mat4 rr = camerasUpToYUp(ring);
    EXPECT_GT(glm::dot(glm::vec3(rr * glm::vec4(up, 0)), glm::vec3(0, 1, 0)), std::cos(glm::radians(1.0f)));
    EXPECT_NEAR(glm::determinant(glm::mat3(rr)), 1.0f, 1e-5f) << "a rotation";
    // Upside down: half a turn. No cameras, or up vectors that cancel: the frame is kept.
    const glm::mat4 down(glm::vec4(1, 0, 0, 0), glm::vec4(0, -1, 0, 0), glm::vec4(0, 0, -1, 0), glm::vec4(0, 0, 0, 1));
    EXPECT_GT(glm::dot(glm::vec3(camerasUpToYUp({down}) * glm::vec4(0, -1, 0, 0)), glm::vec3(0, 1, 0)), 0.9999f);
    EXPECT_EQ(camerasUpToYUp({}), glm::mat4(1.0f));
    EXPECT_EQ(camerasUpToYUp({glm::mat4(1.0f), down}), glm::mat4(1.0f));
}

TEST(PosedImages, DownscalesWithAlphaWeightedBoxFilter) {
    const auto dir = scratchDir();
    kiln::core::Image img = kiln::core::Image::makeU8(4, 2, 4);
    // Left 2x2 block: one opaque red pixel, three transparent black ones.
    const std::uint8_t px[8][4] = {{255, 0, 0, 255}, {0, 0, 0, 0}, {10, 20, 30, 255}, {10, 20, 30, 255},
                                   {0, 0, 0, 0},     {0, 0, 0, 0}, {10, 20, 30, 255}, {10, 20, 30, 255}};
    std::memcpy(img.u8.data(), px, sizeof px);
    kiln::io::writeImage(img, dir / "v.png");
    writeText(dir / "transforms.json", transformsJson(frame("v.png"), "\"fl_x\": 8, \"fl_y\": 9, \"cx\": 2, \"cy\": 1"));
    LoadOptions options;
    options.downscale = 2;
    const PosedImageSet set = loadPosedImages(dir, options);
    const auto& out = set.images.at(0);
    ASSERT_EQ(out.image.width, 2);
    ASSERT_EQ(out.image.height, 1);
    EXPECT_EQ(out.image.u8[0], 255);  // red kept, not darkened by the transparent pixels
    EXPECT_EQ(out.image.u8[3], 64);   // coverage averaged
    EXPECT_EQ(out.image.u8[4], 10);
    EXPECT_EQ(out.fx, 4.0f);
    EXPECT_EQ(out.fy, 4.5f);
    EXPECT_EQ(out.cx, 1.0f);
    EXPECT_EQ(out.cy, 0.5f);
}

// nerfstudio's ply_file_path gives the set its points: ASCII with byte colours, or binary floats
// without colours (grey); a missing or pointless cloud is an error naming it.
TEST(PosedImages, NerfstudioPlyFilePathGivesThePoints) {
    const auto dir = scratchDir();
    writePng(dir / "images/a.png", 8, 8);
    writeText(dir / "points.ply", "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
                                  "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n0 1 2 255 0 51\n-1 0.5 3 0 255 0\n");
    const std::string intrinsics = "\"camera_model\": \"OPENCV\", \"fl_x\": 8, \"fl_y\": 8, \"cx\": 4, \"cy\": 4, \"w\": 8, \"h\": 8";
    writeText(dir / "transforms.json", transformsJson(frame("images/a.png"), intrinsics + ", \"ply_file_path\": \"points.ply\""));
    const PosedImageSet set = loadPosedImages(dir);
    ASSERT_EQ(set.points.size(), 2u);
    ASSERT_EQ(set.pointColors.size(), 2u);
    EXPECT_EQ(set.points[1], glm::vec3(-1.0f, 0.5f, 3.0f));
    EXPECT_NEAR(set.pointColors[0].b, 0.2f, 1e-6f);
    EXPECT_EQ(set.pointColors[1], glm::vec3(0.0f, 1.0f, 0.0f));

    std::string binary = "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n";
    const float xyz[3] = {0.25f, -2.0f, 7.0f};
    binary.append(reinterpret_cast<const char*>(xyz), sizeof xyz);
    writeText(dir / "points.ply", binary);
    const PosedImageSet grey = loadPosedImages(dir);
    ASSERT_EQ(grey.points.size(), 1u);
    EXPECT_EQ(grey.points[0], glm::vec3(0.25f, -2.0f, 7.0f));
    EXPECT_EQ(grey.pointColors.at(0), glm::vec3(0.5f));

    writeText(dir / "points.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n0 1\n");
    expectError([&] { (void)loadPosedImages(dir); }, {"points.ply", "'z'"});
    writeText(dir / "points.ply", binary.substr(0, binary.size() - 4));
    expectError([&] { (void)loadPosedImages(dir); }, {"points.ply"});
    fs::remove(dir / "points.ply");
    expectError([&] { (void)loadPosedImages(dir); }, {"transforms.json", "points.ply", "not found"});
}

TEST(PosedImages, LoadsColmapTextModel) {
    const auto dir = scratchDir();
    writeColmapText(dir / "sparse" / "0");
    writeImagesFor(dir / "images");
    SCOPED_TRACE("dataset folder with sparse/0");
    expectColmapPoses(loadPosedImages(dir));
    SCOPED_TRACE("cameras.txt given directly");
    expectColmapPoses(loadPosedImages(dir / "sparse" / "0" / "cameras.txt"));
}

TEST(PosedImages, LoadsColmapBinaryModel) {
    const auto dir = scratchDir();
    writeColmapBinary(dir / "model");
    writeImagesFor(dir / "images");
    expectColmapPoses(loadPosedImages(dir / "model"));
}

TEST(PosedImages, BadInputIsAClearError) {
    const auto dir = scratchDir();
    writePng(dir / "ok" / "img.png", 8, 6);
    writePng(dir / "ok" / "big.png", 10, 6);

    // Missing image, with and without an extension.
    writeText(dir / "missing" / "transforms.json", transformsJson(frame("frames/gone.png")));
    expectError([&] { loadPosedImages(dir / "missing"); }, {"transforms.json", "frames/gone.png", "not found"});
    writeText(dir / "missing2" / "transforms_train.json", transformsJson(frame("./train/r_5")));
    expectError([&] { loadPosedImages(dir / "missing2"); }, {"transforms_train.json", "train/r_5", "not found"});

    // One camera for all frames, images of different sizes; declared w/h that disagree.
    writeText(dir / "ok" / "sizes.json", transformsJson(frame("img.png") + "," + frame("big.png")));
    expectError([&] { loadPosedImages(dir / "ok" / "sizes.json"); }, {"sizes.json", "big.png", "10x6", "8x6"});
    writeText(dir / "ok" / "wh.json", transformsJson(frame("img.png"), "\"fl_x\": 5, \"w\": 16, \"h\": 6"));
    expectError([&] { loadPosedImages(dir / "ok" / "wh.json"); }, {"wh.json", "img.png", "16x6"});

    // Non-invertible and non-finite poses.
    writeText(dir / "ok" / "singular.json", transformsJson(frame("img.png", "[[1,0,0,0],[0,0,0,0],[0,0,1,4],[0,0,0,1]]")));
    expectError([&] { loadPosedImages(dir / "ok" / "singular.json"); }, {"singular.json", "img.png", "not invertible"});
    writeText(dir / "ok" / "row.json", transformsJson(frame("img.png", "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,2,1]]")));
    expectError([&] { loadPosedImages(dir / "ok" / "row.json"); }, {"row.json", "not a rigid transform"});
    writeText(dir / "ok" / "short.json", transformsJson(frame("img.png", "[[1,0,0],[0,1,0],[0,0,1]]")));
    expectError([&] { loadPosedImages(dir / "ok" / "short.json"); }, {"short.json", "transform_matrix"});

    // Empty set, bad JSON, missing focal length, unsupported camera model.
    writeText(dir / "ok" / "empty.json", transformsJson(""));
    expectError([&] { loadPosedImages(dir / "ok" / "empty.json"); }, {"empty.json", "empty"});
    writeText(dir / "ok" / "broken.json", "{ \"frames\": [ { \"file_path\": ");
    expectError([&] { loadPosedImages(dir / "ok" / "broken.json"); }, {"broken.json", "invalid JSON"});
    writeText(dir / "ok" / "nofocal.json", transformsJson(frame("img.png"), "\"w\": 8, \"h\": 6"));
    expectError([&] { loadPosedImages(dir / "ok" / "nofocal.json"); }, {"nofocal.json", "focal"});
    writeText(dir / "ok" / "fisheye.json", transformsJson(frame("img.png"), "\"camera_model\": \"OPENCV_FISHEYE\", \"fl_x\": 5"));
    expectError([&] { loadPosedImages(dir / "ok" / "fisheye.json"); }, {"fisheye.json", "OPENCV_FISHEYE", "not supported"});
    writeText(dir / "ok" / "type.json", transformsJson(frame("img.png"), "\"camera_angle_x\": \"wide\""));
    expectError([&] { loadPosedImages(dir / "ok" / "type.json"); }, {"type.json", "camera_angle_x"});

    // No points where points are required.
    writeText(dir / "ok" / "good.json", transformsJson(frame("img.png")));
    const PosedImageSet noPoints = loadPosedImages(dir / "ok" / "good.json");
    ASSERT_EQ(noPoints.images.size(), 1u);
    expectError([&] { kiln::io::requirePoints(noPoints, "splat fit initialisation"); }, {"splat fit initialisation", "good.json", "no 3D points"});

    // Not a set at all; a path that does not exist; options out of range.
    expectError([&] { loadPosedImages(dir / "ok" / "img.png"); }, {"img.png", "not a posed image set"});
    expectError([&] { loadPosedImages(dir / "nowhere"); }, {"nowhere", "not found"});
    writeText(dir / "plain" / "readme.txt", "hello");
    expectError([&] { loadPosedImages(dir / "plain"); }, {"plain", "no transforms"});
    LoadOptions zero;
    zero.downscale = 0;
    expectError([&] { loadPosedImages(dir / "ok" / "good.json", zero); }, {"good.json", "downscale"});

    // COLMAP: unsupported model, non-finite pose, zero quaternion, empty set, missing image,
    // unknown camera, truncated binary.
    auto colmapCase = [&](const std::string& name) {
        const fs::path root = dir / name;
        writeColmapText(root / "sparse");
        writeImagesFor(root / "images");
        return root / "sparse";
    };
    {
        const fs::path m = colmapCase("fisheye");
        writeText(m / "cameras.txt", "1 OPENCV_FISHEYE 64 48 50 50 32 24 0 0 0 0\n2 PINHOLE 40 30 35 35 20 15\n");
        expectError([&] { loadPosedImages(m); }, {"cameras.txt", "OPENCV_FISHEYE", "not supported"});
    }
    {
        const fs::path m = colmapCase("nan");
        writeText(m / "images.txt", "3 nan 0 0 0 0 0 4 2 a.png\n\n");
        expectError([&] { loadPosedImages(m); }, {"images.txt", "a.png", "non-finite"});
        writeText(m / "images.txt", "3 0 0 0 0 0 0 4 2 a.png\n\n");
        expectError([&] { loadPosedImages(m); }, {"images.txt", "a.png", "not invertible"});
        writeText(m / "images.txt", "# no images\n");
        expectError([&] { loadPosedImages(m); }, {"images.txt", "no registered images"});
        writeText(m / "images.txt", "3 1 0 0 0 0 0 4 9 a.png\n\n");
        expectError([&] { loadPosedImages(m); }, {"images.txt", "camera 9"});
        writeText(m / "images.txt", "3 1 0 0 0 0 0 4 2 zzz.png\n\n");
        expectError([&] { loadPosedImages(m); }, {"zzz.png", "not found"});
        writeText(m / "cameras.txt", "1 PINHOLE 64 48 50 50 32\n");
        expectError([&] { loadPosedImages(m); }, {"cameras.txt", "line 1", "4 parameters"});
    }
    {
        const fs::path root = dir / "wrongsize";
        writeColmapText(root / "sparse");
        writeImagesFor(root / "images");
        writePng(root / "images" / "b.png", 32, 48);
        expectError([&] { loadPosedImages(root / "sparse"); }, {"b.png", "32x48", "camera 1 in cameras.txt", "64x48"});
    }
    {
        const fs::path root = dir / "truncated";
        writeColmapBinary(root / "model");
        writeImagesFor(root / "images");
        auto bytes = kiln::io::readFileBytes(root / "model" / "images.bin");
        ASSERT_GT(bytes.size(), 30u);
        bytes.erase(bytes.end() - 30, bytes.end());
        kiln::io::writeFileBytes(root / "model" / "images.bin", bytes);
        expectError([&] { loadPosedImages(root / "model"); }, {"images.bin", "truncated"});
    }
    {
        const fs::path root = dir / "noimages";
        writeColmapText(root / "sparse");
        expectError([&] { loadPosedImages(root / "sparse"); }, {"sparse", "no images/ folder"});
    }
}
