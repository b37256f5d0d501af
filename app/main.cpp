#include "cli.h"

#include "core/error.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

void printUsage() {
    std::puts(
        "kiln - generate, convert and inspect 3D assets\n"
        "\n"
        "usage:\n"
        "  kiln info FILE [--json]\n"
        "      counts, bounds, materials, textures; splat count and SH degree\n"
        "  kiln convert IN OUT [--preset blender|unreal|unity|maya|generic] [--up y|z] [--scale S]\n"
        "                      [--fbx-textures embed|beside] [--fbx-version 7400|7500] [--force]\n"
        "      mesh: .glb .gltf .obj .fbx .ply .stl .dae ... -> per preset (default generic):\n"
        "        blender .glb .gltf .fbx | unreal .fbx .glb | unity .fbx .glb | maya .fbx\n"
        "        generic .glb .gltf .obj .ply .stl; prints an export check (size, topology, textures)\n"
        "      splats: .ply (3DGS) .spz .splat -> .ply .spz .splat (generic)\n"
        "  kiln render FILE... -o OUT.png [--size WxH] [--views N | --turntable [--frames N]]\n"
        "              [--camera front|back|left|right|top|bottom|iso|YAW,PITCH[,ZOOM]]\n"
        "              [--mode lit|unlit|normals|uv|wire|centers|ellipsoids] [--wire] [--msaa N]\n"
        "              [--background R,G,B[,A]] [--no-grid] [--no-gizmo] [--validation] [--force]\n"
        "      headless Vulkan render of meshes, splats and radiance fields (FILE demo:field = a test field)\n"
        "  kiln reconstruct INPUT -o OUT.ply|.spz [--mesh [--mesh-output OUT.glb]] [--iterations N] [--resolution R]\n"
        "                   [--holdout N] [--seed S] [--background white|black] [--force]\n"
        "      fit Gaussian splats to posed images (transforms.json or a COLMAP model), optionally a mesh (TSDF)\n"
        "  kiln bench io|render|fit [--testdata DIR] [--repeat N]\n"
        "      io: import+export timings against `assimp export`; render: frames per second; fit: 3DGS iterations per second\n"
        "  kiln --version");
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        printUsage();
        return argc < 2 ? 2 : 0;
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "--version") {
            std::puts("kiln 0.1.0");
            return 0;
        }
        if (cmd == "info") return kiln::app::cmdInfo(argc, argv);
        if (cmd == "convert") return kiln::app::cmdConvert(argc, argv);
        if (cmd == "bench") return kiln::app::cmdBench(argc, argv);
        if (cmd == "render") return kiln::app::cmdRender(argc, argv);
#ifdef KILN_WITH_TORCH
        if (cmd == "reconstruct") return kiln::app::cmdReconstruct(argc, argv);
#endif
        std::fprintf(stderr, "kiln: unknown command '%s' (try kiln --help)\n", cmd.c_str());
        return 2;
    } catch (const kiln::Error& e) {
        std::fprintf(stderr, "kiln %s: error: %s\n", cmd.c_str(), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln %s: internal error: %s\n", cmd.c_str(), e.what());
        return 3;
    }
}
