// kiln-render-bench: `kiln bench render` in a program that needs only Vulkan and the C/C++
// runtime (no Qt, LibTorch, Assimp or OpenImageIO), so it can be copied to a machine with a GPU
// and run there as it is. It reads the splat inputs (.spz) itself; mesh rows are skipped.
#include "cli.h"
#include "render_bench.h"

#include "core/error.h"
#include "io/splat_io.h"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    using namespace kiln;
    try {
        const app::Args args = app::parseArgs(argc, argv, 1, {"testdata", "repeat", "scales", "lod", "sorts", "paths", "loop"}, {"check"});
        if (!args.positional.empty())
            throw Error("usage: kiln-render-bench [--testdata DIR] [--repeat N] [--scales 1,0.5] [--lod N] [--sorts cpu,gpu] "
                        "[--paths raster,compute] [--check] [--loop S]");
        const app::BenchLoader load = [](const fs::path& path) {
            if (path.extension() != ".spz") return core::Asset{};
            return core::Asset::fromGaussians(path.stem().string(), io::readSpz(path));
        };
        return app::benchRender(args, args.get("testdata", KILN_DEFAULT_TESTDATA), load);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln-render-bench: %s\n", e.what());
        return 1;
    }
}
