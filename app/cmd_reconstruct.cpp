#include "cli.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/field_io.h"
#include "geometry/mesh_cleanup.h"
#include "pipelines/reconstruct.h"

#include <cstdio>
#include <filesystem>
#include <memory>

namespace fs = std::filesystem;

namespace kiln::app {

int cmdReconstruct(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"output", "representation", "iterations", "resolution", "holdout", "seed", "mesh-faces", "mesh-resolution", "mesh-output", "background", "up", "field-resolution", "rays"},
                                {"mesh", "force"});
    if (args.positional.size() != 1 || !args.has("output"))
        throw Error("usage: kiln reconstruct INPUT -o OUT.ply|.spz|.splat|.kfield [--representation splats|field] [--mesh [--mesh-output OUT.glb]] "
                    "[--iterations N] [--resolution R] [--holdout N] [--seed S] [--up y|z] [--field-resolution N] [--rays N]");
    const fs::path input = args.positional[0], out = args.get("output");
    pipelines::ReconstructOptions o;
    o.representation = args.get("representation", "splats");
    o.mesh = args.has("mesh");
    o.iterations = args.getInt("iterations", 3000, 1, 1000000);
    o.resolution = args.getInt("resolution", 200, 16, 4096);
    o.holdoutEvery = args.getInt("holdout", 0, 0, 1000);
    o.seed = std::uint64_t(args.getInt("seed", 0, 0, 2147483647));
    o.meshFaces = std::size_t(args.getInt("mesh-faces", 100000, 100, 10000000));
    o.meshResolution = args.getInt("mesh-resolution", 192, 16, 1024);
    const std::string bg = args.get("background", "white");
    if (bg != "white" && bg != "black") throw Error("--background must be white or black");
    o.whiteBackground = bg == "white";
    const std::string up = args.get("up", "y");
    if (up != "y" && up != "z") throw Error("--up must be y or z");
    o.up = up[0];
    o.fieldResolution = args.getInt("field-resolution", 128, 2, 1024);
    o.fieldRays = args.getInt("rays", 4096, 1, 1048576);
    const bool field = o.representation == "field";
    const bool force = args.has("force");
    const fs::path meshOut = args.has("mesh-output") ? fs::path(args.get("mesh-output")) : out.parent_path() / (out.stem().string() + "_mesh.glb");
    // Refuse before hours of work, not after.
    io::checkCanWrite(out, force);
    if (o.mesh) io::checkCanWrite(meshOut, force);
    if (field && !io::isFieldPath(out)) throw Error(out.string() + ": a radiance field is written as .kfield");
    if (!field && !io::isSplatPath(out) && io::lowerExtension(out) != ".ply") throw Error(out.string() + ": splats are written as .ply, .spz or .splat");

    auto result = std::make_shared<pipelines::ReconstructResult>();
    const auto assets = runJob("reconstruct " + input.string(), [&, result](core::Progress& progress, const core::CancelToken& cancel) {
        *result = pipelines::reconstruct(input, o, progress, cancel);
        return result->assets;
    });
    if (field) {
        io::saveField(result->field, out, force);
        std::printf("wrote %s (%dx%dx%d radiance field) from %d views in %.1f s\n", out.string().c_str(), result->field.resolution.x,
                    result->field.resolution.y, result->field.resolution.z, result->trainViews, result->seconds);
    } else {
        io::saveAsset(assets.at(0), out, {.overwrite = force});
        std::printf("wrote %s (%d Gaussians) from %d views in %.1f s\n", out.string().c_str(), result->splats, result->trainViews, result->seconds);
    }
    if (o.mesh) {
        const core::Asset& meshAsset = assets.at(field ? 0 : 1);
        io::saveAsset(meshAsset, meshOut, {.overwrite = force});
        const auto report = geometry::analyse(*meshAsset.mesh());
        std::printf("wrote %s (%zu triangles, %zu components, %zu boundary edges, %zu non-manifold edges: %s)\n", meshOut.string().c_str(),
                    report.triangles, report.components, report.boundaryEdges, report.nonManifoldEdges, report.watertight ? "watertight" : "not watertight");
    }
    if (result->testViews > 0)
        std::printf("held-out views: %d  PSNR %.2f dB  SSIM %.4f\n", result->testViews, result->testPsnr, result->testSsim);
    std::printf("training PSNR by iteration:");
    const std::size_t step = std::max<std::size_t>(1, result->trainCurve.size() / 10);
    for (std::size_t i = 0; i < result->trainCurve.size(); i += step) std::printf(" %d:%.1f", result->trainCurve[i].first, result->trainCurve[i].second);
    std::printf("\n");
    if (!result->testCurve.empty()) {
        std::printf("held-out PSNR by iteration:");
        for (const auto& [it, p] : result->testCurve) std::printf(" %d:%.2f", it, p);
        std::printf("\n");
    }
    for (const auto& n : result->notes) std::printf("note: %s\n", n.c_str());
    return 0;
}

} // namespace kiln::app
