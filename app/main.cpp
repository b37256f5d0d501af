#include "cli.h"
#include "pipeline_cli.h"

#include "core/error.h"
#include "models/compute.h"
#include "pipelines/pipeline.h"
#include "plugins/plugin_host.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace kiln::app {
int cmdCompare(int argc, char** argv);  // app/cmd_compare.cpp
int cmdModels(int argc, char** argv);   // app/cmd_models.cpp
int cmdPlugins(int argc, char** argv);  // app/cmd_plugins.cpp
int cmdMatte(int argc, char** argv);    // app/cmd_images.cpp
int cmdUpscale(int argc, char** argv);  // app/cmd_images.cpp
}

namespace {

// Older names of pipeline commands, kept so scripts keep working.
const char* pipelineAlias(const std::string& cmd) {
    if (cmd == "generate") return "text-to-3d";
    if (cmd == "reconstruct") return "views-to-3d";
    return nullptr;
}

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
        "              [--camera front|back|left|right|top|bottom|iso|YAW,PITCH[,ZOOM] | --camera-from VIEWS[:N] [--up y|z|cameras]]\n"
        "              [--mode lit|unlit|normals|uv|wire|centers|ellipsoids] [--wire] [--msaa N]\n"
        "              [--background R,G,B[,A]] [--no-grid] [--no-gizmo] [--validation] [--force]\n"
        "              [--splat-sort auto|cpu|gpu] [--splat-path auto|raster|compute|host]\n"
        "      headless Vulkan render of meshes, splats and radiance fields (FILE demo:field = a test field)");
    std::puts("\npipelines (kiln PIPELINE --help for inputs and options; kiln pipelines [--json] lists them):");
    for (const auto& p : kiln::pipelines::PipelineRegistry::instance().all()) {
        const auto& i = p->info();
        std::printf("  kiln %s ... -o OUT [options]\n      %s%s\n", i.id.c_str(), i.description.c_str(),
                    i.origin == "built-in" ? "" : (" (plug-in " + i.origin + ")").c_str());
    }
    std::puts(
        "  (kiln generate = kiln text-to-3d, kiln reconstruct = kiln views-to-3d)\n"
        "\n"
        "models and plug-ins:\n"
        "  kiln models list [DIR] | verify [DIR] | pack DIR --slot S --name N --version V --licence L\n"
        "      model folders (manifest.json + safetensors), their checksums and licences\n"
        "  kiln models packs | install isnet|esrgan-slim [--from TGZ] [--force]\n"
        "      optional pretrained networks from the npm registry (background removal, upscaling)\n"
        "  kiln plugins [--json]\n"
        "      plug-ins found in the plug-in folders (KILN_PLUGIN_PATH), loaded or refused and why\n"
        "\n"
        "training and evaluation:\n"
        "  kiln train shape-autoencoder --data DIR --out MODEL [--steps N] [--batch B] [--tokens M] [--channels C] [--resume] [--force]\n"
        "  kiln train text-to-3d --data DIR --out MODEL [--autoencoder DIR] [--steps N] [--batch B] [--lr X] [--seed S] [--resume] [--force]\n"
        "  kiln train judge --data DIR --out MODEL [--items N] [--steps N]   (the attribute judge the evaluation uses)\n"
        "  kiln train matting --data DIR --photos DIR --out MODEL [--train-photos a.jpg,...] [--steps N] [--batch B] [--resolution PX] [--resume] [--force]\n"
        "  kiln eval text-to-3d --data DIR [--model DIR] [--autoencoder DIR] [--judge DIR] [--json OUT.json] [--sheet OUT.png]\n"
        "  kiln dataset build --count N --out DIR [--seed S] [--texture-size PX] [--samples K] [--no-meshes] [--views V] [--view-size PX]\n"
        "                     [--edits E] [--val-fraction F] [--triple-fraction F] [--force]\n"
        "  kiln dataset sheet -o SHEET.png [--size PX]   (one thumbnail per category and style)\n"
        "\n"
        "tools:\n"
        "  kiln matte IMAGE... -o OUT_DIR [--method auto|kiln|isnet|grabcut|alpha] [--resolution N]\n"
        "      cut the object out of photos: RGBA PNGs (IS-Net pack when installed, else GrabCut)\n"
        "  kiln upscale IMAGE -o OUT [--scale 2|3|4|8] [--method auto|esrgan|bicubic]\n"
        "      upscale an image or texture (ESRGAN-slim pack when installed, else bicubic)\n"
        "  kiln compare A.glb B.glb [--samples N] [--seed S]\n"
        "      Chamfer distance, 95th percentile and Hausdorff between two meshes (B = reference), and watertightness\n"
        "  kiln bench io|render|fit|load|latent|blas|matting|upscale [--testdata DIR] [--repeat N] (matting: [--data DATASET] [--count N] [--out DIR]) (render: [--scales 1,0.5,0.35] [--lod N] [--sorts cpu,gpu] [--paths raster,compute])\n"
        "  kiln bench fit --peer OPENSPLAT [--views DIR] [--resolution 200] [--iterations 2000] [--holdout 5] [--load] [--out DIR]\n"
        "      views -> 3D beside a peer trainer: same views and initial points, wall/CPU/RSS, both PLYs scored by one renderer\n"
        "  kiln bench fit --score PLY... [--views DIR] [--resolution 200] [--holdout 5]\n"
        "      held-out PSNR/SSIM of any splat PLY (the 3DGS rules, over white)\n"
        "  kiln --version");
}

} // namespace

int main(int argc, char** argv) {
    kiln::models::prepareComputeEnvironment(argc, argv);
    // Every core by default (commands with --threads override): Debian's LibTorch starts with
    // one intra-op thread, so views-to-3d and text-to-3d ran on one core of two.
    kiln::models::configureComputeThreads(0);
    kiln::pipelines::registerBuiltinPipelines();
    const auto pluginReport = kiln::plugins::loadPlugins();
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        printUsage();
        return argc < 2 ? 2 : 0;
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "--version") {
            std::printf("kiln 0.1.0 (compute threads: %d, OpenMP wait policy: %s, BLAS: %s, allocator: %s, environment: %s)\n",
                        kiln::models::computeThreads(), kiln::models::computeWaitPolicy(), kiln::models::computeBlasKernels(),
                        kiln::models::computeMallocPolicy(), kiln::models::computeStartup());
            return 0;
        }
        if (cmd == "info") return kiln::app::cmdInfo(argc, argv);
        if (cmd == "convert") return kiln::app::cmdConvert(argc, argv);
        if (cmd == "bench") return kiln::app::cmdBench(argc, argv);
        if (cmd == "render") return kiln::app::cmdRender(argc, argv);
        if (cmd == "compare") return kiln::app::cmdCompare(argc, argv);
        if (cmd == "dataset") return kiln::app::cmdDataset(argc, argv);
        if (cmd == "pipelines") return kiln::app::cmdPipelines(argc, argv);
        if (cmd == "models") return kiln::app::cmdModels(argc, argv);
        if (cmd == "plugins") return kiln::app::cmdPlugins(argc, argv);
        if (cmd == "matte") return kiln::app::cmdMatte(argc, argv);
#ifdef KILN_WITH_TORCH
        if (cmd == "train") return kiln::app::cmdTrain(argc, argv);
        if (cmd == "eval") return kiln::app::cmdEval(argc, argv);
        if (cmd == "upscale") return kiln::app::cmdUpscale(argc, argv);
#endif
        if (const char* alias = pipelineAlias(cmd)) return kiln::app::cmdRunPipeline(alias, argc, argv, 2);
        if (kiln::pipelines::PipelineRegistry::instance().find(cmd)) return kiln::app::cmdRunPipeline(cmd, argc, argv, 2);
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
