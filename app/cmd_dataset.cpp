#include "cli.h"

#include "core/error.h"
#include "procgen/v1/dataset.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace kiln::app {

namespace {

std::uint64_t parseSeed(const std::string& s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || *end != '\0') throw Error("--seed must be a non-negative whole number, not '" + s + "'");
    return v;
}

} // namespace

int cmdDataset(int argc, char** argv) {
    const std::string usage =
        "usage: kiln dataset build --count N --out DIR [--seed S] [--splats K] [--views V] [--view-size PX] "
        "[--val-fraction F] [--force]";
    if (argc < 3 || std::string(argv[2]) != "build") throw Error(usage);
    const Args args = parseArgs(argc, argv, 3, {"count", "out", "seed", "splats", "views", "view-size", "val-fraction"}, {"force"});
    if (!args.positional.empty()) throw Error("unexpected argument '" + args.positional.front() + "' (" + usage + ")");
    if (!args.has("count") || !args.has("out")) throw Error(usage);

    procgen::v1::DatasetOptions o;
    o.count = args.getInt("count", 0, 1, 999999);
    o.outDir = args.get("out");
    if (o.outDir.empty()) throw Error("--out needs a folder");
    o.seed = args.has("seed") ? parseSeed(args.get("seed")) : 0;
    o.splats = args.getInt("splats", 4096, 1, 1000000);
    o.views = args.getInt("views", 4, 0, 64);
    o.viewSize = args.getInt("view-size", 128, 16, 2048);
    o.valFraction = args.getDouble("val-fraction", 0.1, 0.0, 0.5);
    o.force = args.has("force");
    o.threads = 2;

    core::Progress progress = terminalProgress();
    const procgen::v1::DatasetSummary s = procgen::v1::buildDataset(o, progress);
    std::printf("dataset: %d items (%d train, %d val; %d validation triples) in %.1f s -> %s\n", s.items, s.train, s.val, s.valTriples,
                s.seconds, s.manifest.string().c_str());
    return 0;
}

} // namespace kiln::app
