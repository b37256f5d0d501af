#include "cli.h"

#include "core/error.h"
#include "core/transform.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace kiln::app {

int cmdConvert(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"up", "scale"}, {"force"});
    if (args.positional.size() != 2) throw Error("usage: kiln convert IN OUT [--up y|z] [--scale S] [--force]");
    const std::filesystem::path in = args.positional[0], out = args.positional[1];
    const std::string up = args.get("up", "y");
    if (up != "y" && up != "z") throw Error("--up must be 'y' or 'z', not '" + up + "'");
    float scale = 1.0f;
    if (args.has("scale")) {
        const std::string s = args.get("scale");
        char* end = nullptr;
        scale = std::strtof(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(scale) || scale <= 0.0f || scale > 1e6f)
            throw Error("--scale must be a positive number up to 1e6, not '" + s + "'");
    }
    const bool force = args.has("force");
    // Fail before the (possibly long) load when the output would be refused anyway.
    io::checkCanWrite(out, force);

    core::Progress progress = terminalProgress();
    progress.report("reading " + in.filename().string(), 0.0f);
    core::Asset asset = io::loadAsset(in);

    core::Similarity xf;
    xf.scale = scale;
    if (up == "z") xf.rotation = core::yUpToZUp();
    const bool identity = scale == 1.0f && up == "y";
    if (!identity) {
        progress.report("transforming", 0.5f);
        if (const core::Mesh* m = asset.mesh()) {
            core::Mesh copy = *m;
            core::transformMesh(copy, xf);
            asset = core::Asset::fromMesh(asset.name, std::move(copy), asset.provenance);
        } else if (const core::GaussianCloud* g = asset.gaussians()) {
            core::GaussianCloud copy = *g;
            core::transformGaussians(copy, xf);
            asset = core::Asset::fromGaussians(asset.name, std::move(copy), asset.provenance);
        }
    }
    progress.report("writing " + out.filename().string(), 0.6f);
    io::saveAsset(asset, out, {.overwrite = force});
    progress.report("done", 1.0f);
    std::printf("wrote %s\n", out.string().c_str());
    return 0;
}

} // namespace kiln::app
