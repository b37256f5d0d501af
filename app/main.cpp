#include "cli.h"

#include "core/error.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace kiln::app {
int cmdCompare(int argc, char** argv);  // app/cmd_compare.cpp
}

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
        "      mesh: .glb .gltf .obj .fbx .ply .stl .dae ... -> per preset (default generic; .fbx: blender):\n"
        "        blender .glb .gltf .fbx | unreal .fbx .glb | unity .fbx .glb | maya .fbx\n"
        "        generic .glb .gltf .obj .ply .stl; prints an export check (size, topology, textures)\n"
        "      splats: .ply (3DGS) .spz .splat -> .ply .spz .splat (generic)\n"
        "  kiln render FILE... -o OUT.png [--size WxH] [--views N | --turntable [--frames N]]\n"
        "              [--camera front|back|left|right|top|bottom|iso|YAW,PITCH[,ZOOM]]\n"
        "              [--mode lit|unlit|normals|uv|wire|centers|ellipsoids] [--wire] [--msaa N]\n"
        "              [--background R,G,B[,A]] [--no-grid] [--no-gizmo] [--validation] [--force]\n"
        "      headless Vulkan render of meshes, splats and radiance fields (FILE demo:field = a test field)\n"
        "  kiln reconstruct INPUT -o OUT.ply|.spz|.kfield [--representation splats|field] [--mesh [--mesh-output OUT.glb]]\n"
        "                   [--iterations N] [--resolution R] [--holdout N] [--seed S] [--background white|black] [--up y|z]\n"
        "                   [--mesh-resolution N] [--field-resolution N] [--rays N] [--force]\n"
        "      fit Gaussian splats (mesh by TSDF) or a radiance field (.kfield; mesh by marching cubes) to posed images\n"
        "      (transforms.json or a COLMAP model)\n"
        "  kiln generate \"PROMPT\" -o OUT.glb|.ply|.spz|.splat [--seed S] [--steps N] [--guidance G] [--splats N] [--model DIR] [--force]\n"
        "      text -> 3D with the bundled generator (resources/models/text-to-3d): splats, or a mesh for .glb\n"
        "  kiln train text-to-3d --data DIR --out MODEL [--steps N] [--batch B] [--lr X] [--seed S] [--resume] [--force]\n"
        "      train the text -> 3D generator on a dataset from `kiln dataset build` (checkpoints, loss.csv, loss.png)\n"
        "  kiln eval text-to-3d --data DIR [--model MODEL] [--prompts N] [--seeds N] [--json OUT]\n"
        "      category / colour accuracy, diversity and latency on the dataset's held-out prompts\n"
        "  kiln dataset build --count N --out DIR [--seed S] [--splats K] [--views V] [--view-size PX]\n"
        "                     [--val-fraction F] [--force]\n"
        "      procedural training set: meshes/*.glb, splats/*.ply, views/*.png (V views tiled), dataset.json\n"
        "  kiln compare A.glb B.glb [--samples N] [--seed S]\n"
        "      Chamfer distance, 95th percentile and Hausdorff between two meshes (B = reference), and watertightness\n"
        "  kiln bench io|render|fit|textgen [--testdata DIR] [--repeat N]\n"
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
        if (cmd == "compare") return kiln::app::cmdCompare(argc, argv);
        if (cmd == "dataset") return kiln::app::cmdDataset(argc, argv);
#ifdef KILN_WITH_TORCH
        if (cmd == "reconstruct") return kiln::app::cmdReconstruct(argc, argv);
        if (cmd == "train") return kiln::app::cmdTrain(argc, argv);
        if (cmd == "generate") return kiln::app::cmdGenerate(argc, argv);
        if (cmd == "eval") return kiln::app::cmdEval(argc, argv);
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
