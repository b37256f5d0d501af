#include "cli.h"

#include "core/error.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/export_asset.h"
#include "io/export_presets.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace kiln::app {

int cmdConvert(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"up", "scale", "preset", "fbx-textures", "fbx-version"}, {"force"});
    if (args.positional.size() != 2)
        throw Error("usage: kiln convert IN OUT [--preset " + io::exportPresetNames() +
                    "] [--up y|z] [--scale S] [--fbx-textures embed|beside] [--fbx-version 7400|7500] [--force]");
    const std::filesystem::path in = args.positional[0], out = args.positional[1];

    io::ExportOptions options;
    if (args.has("preset")) {
        options.preset = io::exportPreset(args.get("preset")).name;  // unknown names fail here
    } else {
        const std::string ext = io::lowerExtension(out);
        const io::ExportPreset& preset = io::defaultExportPreset(ext);
        options.preset = preset.name;
        if (preset.name != "generic")
            std::printf("note: no --preset given; %s uses the %s preset (%s)\n", ext.c_str(), preset.name.c_str(), preset.frameFor(ext).describe().c_str());
    }
    options.overwrite = args.has("force");
    if (args.has("up")) {
        const std::string up = args.get("up");
        if (up != "y" && up != "z") throw Error("--up must be 'y' or 'z', not '" + up + "'");
        if (options.preset != "generic")
            throw Error("--up only applies to --preset generic; preset '" + options.preset + "' fixes the axes (" +
                        io::exportPreset(options.preset).frame.describe() + ")");
        options.up = up == "z" ? io::Axis::PosZ : io::Axis::PosY;
    }
    if (args.has("scale")) {
        const std::string s = args.get("scale");
        char* end = nullptr;
        options.scale = std::strtof(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(options.scale) || options.scale <= 0.0f || options.scale > 1e6f)
            throw Error("--scale must be a positive number up to 1e6, not '" + s + "'");
    }
    if (args.has("fbx-textures")) {
        const std::string t = args.get("fbx-textures");
        if (t != "embed" && t != "beside") throw Error("--fbx-textures must be 'embed' or 'beside', not '" + t + "'");
        options.fbxTextures = t == "embed" ? io::FbxTextures::Embed : io::FbxTextures::Beside;
    }
    if (args.has("fbx-version")) {
        const std::string v = args.get("fbx-version");
        if (v != "7400" && v != "7500") throw Error("--fbx-version must be 7400 or 7500, not '" + v + "'");
        options.fbxVersion = std::stoi(v);
    }
    // Fail before the (possibly long) load when the output would be refused anyway.
    io::checkCanWrite(out, options.overwrite);

    core::Progress progress = terminalProgress();
    progress.report("reading " + in.filename().string(), 0.0f);
    const core::Asset asset = io::loadAsset(in);

    progress.report("writing " + out.filename().string(), 0.5f);
    const io::ExportReport report = io::exportAsset(asset, out, options);
    progress.report("done", 1.0f);

    const io::ExportPreset& preset = io::exportPreset(options.preset);
    io::FileFrame frame = preset.frameFor(io::lowerExtension(out));
    if (options.up == io::Axis::PosZ) frame = {io::Axis::PosZ, io::Axis::NegY, frame.unitsPerMetre};
    std::printf("export check (%s preset, %s):\n", preset.name.c_str(), report.splats ? "Gaussian splats" : frame.describe().c_str());
    for (const std::string& line : report.lines()) std::printf("  %s\n", line.c_str());
    for (const std::string& w : report.warnings) std::fprintf(stderr, "kiln convert: warning: %s\n", w.c_str());
    std::printf("wrote %s\n", out.string().c_str());
    return 0;
}

} // namespace kiln::app
