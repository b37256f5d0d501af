// kiln dataset build | sheet: the procedural library (v2) on disk, and a contact sheet of it.
#include "cli.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/image_io.h"
#include "models/compute.h"
#include "procgen/dataset.h"

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace kiln::app {

namespace {

std::uint64_t parseSeed(const std::string& s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || *end != '\0') throw Error("--seed must be a non-negative whole number, not '" + s + "'");
    return v;
}

int build(int argc, char** argv) {
    const std::string usage =
        "usage: kiln dataset build --count N --out DIR [--seed S] [--texture-size PX] [--samples K] [--no-meshes] [--views V] [--view-size PX] "
        "[--edits E] [--val-fraction F] [--triple-fraction F] [--threads T] [--force]";
    const Args args = parseArgs(argc, argv, 3,
                                {"count", "out", "seed", "texture-size", "samples", "views", "view-size", "edits", "val-fraction", "triple-fraction", "threads"},
                                {"force", "no-meshes"});
    if (!args.positional.empty()) throw Error("unexpected argument '" + args.positional.front() + "' (" + usage + ")");
    if (!args.has("count") || !args.has("out")) throw Error(usage);
    procgen::DatasetOptions o;
    o.count = args.getInt("count", 0, 1, 999999);
    o.outDir = args.get("out");
    if (o.outDir.empty()) throw Error("--out needs a folder");
    o.seed = args.has("seed") ? parseSeed(args.get("seed")) : 0;
    o.textureSize = args.getInt("texture-size", 512, 64, 4096);
    if ((o.textureSize & (o.textureSize - 1)) != 0) throw Error("--texture-size must be a power of two, not " + std::to_string(o.textureSize));
    o.samples = args.getInt("samples", 8192, 0, 1000000);
    o.meshes = !args.has("no-meshes");
    o.views = args.getInt("views", 0, 0, 64);
    o.viewSize = args.getInt("view-size", 256, 16, 2048);
    o.edits = args.getInt("edits", 0, 0, o.count);
    o.valFraction = args.getDouble("val-fraction", 0.05, 0.0, 0.5);
    o.tripleFraction = args.getDouble("triple-fraction", 0.08, 0.0, 0.5);
    o.threads = args.getInt("threads", int(std::max(1u, std::thread::hardware_concurrency())), 1, 64);
    o.force = args.has("force");
    // Every item allocates and frees the same few megabyte-sized atlases; by default glibc hands
    // them back to the kernel and page-faults them in again (a fifth of the build's time).
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    core::Progress progress = terminalProgress();
    const procgen::DatasetSummary s = procgen::buildDataset(o, progress);
    std::printf("dataset: %d items (%d train, %d val, %d held-out triples, %d held-out categories; %d edit pairs) in %.1f s -> %s\n", s.items,
                s.train, s.val, s.valTriple, s.testCategory, s.edits, s.seconds, s.manifest.string().c_str());
    return 0;
}

int sheet(int argc, char** argv) {
    const std::string usage = "usage: kiln dataset sheet -o SHEET.png [--size PX] [--seed S] [--force]";
    const Args args = parseArgs(argc, argv, 3, {"output", "size", "seed"}, {"force"});
    if (!args.positional.empty() || !args.has("output")) throw Error(usage);
    const std::filesystem::path out = args.get("output");
    io::checkCanWrite(out, args.has("force"));
    core::Progress progress = terminalProgress();
    const core::Image img = procgen::contactSheet(args.getInt("size", 160, 32, 1024), args.has("seed") ? parseSeed(args.get("seed")) : 1, progress);
    io::writeAtomically(out, args.has("force"), [&](const std::filesystem::path& tmp) { io::writeImage(img, tmp); });
    std::printf("wrote %s (%dx%d): %zu categories, one thumbnail per style\n", out.string().c_str(), img.width, img.height,
                procgen::categories().size());
    return 0;
}

} // namespace

int cmdDataset(int argc, char** argv) {
    if (argc >= 3 && std::string(argv[2]) == "build") return build(argc, argv);
    if (argc >= 3 && std::string(argv[2]) == "sheet") return sheet(argc, argv);
    throw Error("usage: kiln dataset build --count N --out DIR [options] | kiln dataset sheet -o SHEET.png [--size PX]");
}

} // namespace kiln::app
