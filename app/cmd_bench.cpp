#include "cli.h"
#include "render_bench.h"

#include "core/color.h"
#include "core/error.h"
#include "io/asset_io.h"
#include "jobs/job_queue.h"
#include "models/compute.h"
#include "pipelines/pipeline.h"
#ifdef KILN_WITH_TORCH
#include "geometry/metrics.h"
#include "models/model_paths.h"
#include "models/shape_latent.h"
#include "procgen/dataset.h"
#include "procgen/procgen.h"
#endif
#ifdef KILN_WITH_TORCH
#include "optimize/fit_bench.h"
#include "optimize/splat_raster_kernels.h"
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <sstream>
#include <vector>

#include <csignal>
#include <thread>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace kiln::app {

#ifdef KILN_WITH_TORCH
// The assets a bench measures: a walk over the categories seven at a time, one unseen seed each;
// or, with --data, the same walk over a split's items, skipping categories the split has none of
// (the held-out categories have no training items), each category's items taken in turn.
std::vector<procgen::AssetParams> benchAssets(const Args& args, int repeat) {
    const int nCat = int(procgen::categories().size());
    std::vector<procgen::AssetParams> picks;
    const std::string split = args.get("split", "val");
    if (args.has("data")) {
        if (split != "train" && split != "val" && split != "val-triple" && split != "test-category")
            throw Error("--split: '" + split + "' is not a split of a dataset (train, val, val-triple or test-category)");
        std::vector<std::vector<procgen::AssetParams>> byCategory(static_cast<std::size_t>(nCat));
        for (const auto& it : procgen::readDataset(args.get("data")).items)
            if (it.split == split && it.params.category >= 0 && it.params.category < nCat) byCategory[std::size_t(it.params.category)].push_back(it.params);
        std::vector<std::size_t> taken(std::size_t(nCat), 0);
        for (int i = 0; int(picks.size()) < repeat; ++i) {
            const auto c = std::size_t((i * 7) % nCat);
            if (byCategory[c].empty()) {
                if (i >= nCat && picks.empty()) throw Error(args.get("data") + ": no '" + split + "' items");
                continue;
            }
            if (taken[c] >= byCategory[c].size())
                throw Error(args.get("data") + ": too few '" + split + "' items of category " + procgen::categories()[c].name + " for --repeat " +
                            std::to_string(repeat));
            picks.push_back(byCategory[c][taken[c]++]);
        }
    } else if (args.has("split")) {
        throw Error("--split: only with --data DIR");
    } else {
        for (int i = 0; i < repeat; ++i) picks.push_back(procgen::randomParams((i * 7) % nCat, 0xBE7C4000ull + std::uint64_t(i)));
    }
    return picks;
}

#endif

namespace {

double medianSeconds(int repeat, const std::function<void()>& fn) {
    std::vector<double> times;
    for (int i = 0; i < repeat; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// Median wall time of `assimp export IN OUT`, the peer tool on the same file; < 0 if unavailable.
double assimpExportSeconds(int repeat, const fs::path& in, const fs::path& out) {
    if (std::system("command -v assimp >/dev/null 2>&1") != 0) return -1.0;
    bool ok = true;
    const double t = medianSeconds(repeat, [&] {
        fs::remove(out);
        ok &= std::system(("assimp export " + shellQuote(in.string()) + " " + shellQuote(out.string()) + " >/dev/null 2>&1").c_str()) == 0;
    });
    return ok ? t : -1.0;
}

void row(const char* what, double kiln, double peer, const char* peerNote) {
    if (peer > 0)
        std::printf("%-34s kiln %8.1f ms   assimp export %8.1f ms   ratio kiln/assimp %.2f\n", what, kiln * 1e3, peer * 1e3, kiln / peer);
    else
        std::printf("%-34s kiln %8.1f ms   assimp export: %s\n", what, kiln * 1e3, peerNote);
}

int benchFit(const Args& args) {
#ifdef KILN_WITH_TORCH
    const int iterations = std::max(1, std::atoi(args.get("repeat", "5").c_str()));
    models::configureComputeThreads(0);
    std::printf("kiln bench fit: one 3DGS iteration (forward, L1 loss, backward), %d compute threads, mean of %d\n",
                models::computeThreads(), iterations);
    const bool cuda = optimize::fitHasCuda();
    const bool vectorized = optimize::rasterVectorized();
    for (int size : {200, 400})
        for (int splats : {50000, 200000}) {
            const auto r = optimize::benchmarkSplatIteration(splats, size, iterations);
            std::printf("CPU   %3dx%-3d %7d splats   %8.1f ms/iteration  (forward %.1f, backward %.1f)   %7.2f iterations/s%s\n", size, size,
                        splats, r.msPerIteration, r.forwardMs, r.backwardMs, 1000.0 / r.msPerIteration, vectorized ? "   (AVX2 blend)" : "");
            if (vectorized) {
                // The baseline in the same run: the scalar blend loop (expf per pixel).
                optimize::forceScalarRaster(true);
                const auto b = optimize::benchmarkSplatIteration(splats, size, iterations);
                optimize::forceScalarRaster(false);
                std::printf("      %3dx%-3d %7d splats   %8.1f ms/iteration  (forward %.1f, backward %.1f)   scalar blend: the AVX2 one is %.2fx\n",
                            size, size, splats, b.msPerIteration, b.forwardMs, b.backwardMs, b.msPerIteration / r.msPerIteration);
            }
            if (!cuda) continue;
            const auto g = optimize::benchmarkSplatIteration(splats, size, iterations, true);
            std::printf("CUDA  %3dx%-3d %7d splats   %8.2f ms/iteration  (forward %.2f, backward %.2f)   %7.1f iterations/s   %.0fx the CPU\n",
                        size, size, splats, g.msPerIteration, g.forwardMs, g.backwardMs, 1000.0 / g.msPerIteration, r.msPerIteration / g.msPerIteration);
        }
    if (!cuda)
        std::printf("CUDA: not measured: %s\n", optimize::fitCudaStatus().c_str());
    return 0;
#else
    (void)args;
    throw Error("kiln bench fit: this build has no LibTorch (configure with -DKILN_WITH_TORCH=ON)");
#endif
}

#ifdef KILN_WITH_TORCH
// `kiln bench latent`: the shared latent's round trip on library assets it did not train on (a
// seed no dataset uses): encode and each decoding stage timed, F-score at 1 % of the diagonal,
// and with --out the reconstructions as GLBs beside renders of the originals. With --data DIR
// --split S the assets are a dataset's items of that split instead (the same categories in the
// same order), so the training items can be scored beside held-out ones: the generalisation gap.
int benchLatent(const Args& args) {
    const int repeat = args.getInt("repeat", 6, 1, 1000);
    const fs::path aeDir = args.has("autoencoder") ? fs::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder");
    // Options first: a bad one is reported before any asset is read.
    models::ShapeLatentModel::RefineOptions refine;
    refine.steps = args.getInt("refine", 0, 0, 10000);
    refine.learningRate = float(args.getDouble("refine-lr", refine.learningRate, 1e-5, 10.0));
    refine.anchorRate = float(args.getDouble("refine-anchor-lr", refine.anchorRate, 0.0, 1.0));
    refine.anchorBound = float(args.getDouble("refine-anchor-bound", refine.anchorBound, 0.001, 0.5));
    const std::vector<procgen::AssetParams> picks = benchAssets(args, repeat);
    const std::string split = args.get("split", "val");
    const models::ShapeLatentModel ae(aeDir);
    const int resolution = args.getInt("resolution", 128, 32, 512);
    const float surfaceBias = float(args.getDouble("surface-bias", 0.0, -8.0, 8.0));
    const auto maxFaces = std::size_t(args.getInt("faces", 20000, 1000, 2000000));
    // Noise added to each encoding before decoding, in units of each channel's spread over the
    // training set: how much a decoded surface suffers from a latent a generator got slightly wrong.
    const double latentNoise = args.getDouble("latent-noise", 0.0, 0.0, 4.0);
    // And to each anchor, in the normalised frame ([-1, 1]).
    const double anchorNoise = args.getDouble("anchor-noise", 0.0, 0.0, 0.5);
    // Tokens each asset is encoded with: the autoencoder's detail count (what reconstruction uses)
    // unless asked for its generators' count.
    const int tokens = args.getInt("tokens", ae.detailTokens(), 8, 4096);
    ae.requireTokenCount(tokens, "--tokens");
    const fs::path out = args.get("out");
    if (!out.empty()) fs::create_directories(out);
    if (!args.has("data"))
        std::printf("kiln bench latent: %s, %d assets (one per category, unseen seeds), %d tokens, resolution %d, %d refinement steps\n", ae.name().c_str(),
                    repeat, tokens, resolution, refine.steps);
    else
        std::printf("kiln bench latent: %s, %d assets of %s's '%s' split, %d tokens, resolution %d, %d refinement steps\n", ae.name().c_str(), repeat,
                    args.get("data").c_str(), split.c_str(), tokens, resolution, refine.steps);
    if (surfaceBias != 0.0f || latentNoise > 0.0 || anchorNoise > 0.0 || maxFaces != 20000)
        std::printf("  surface bias %.2f, latent noise %.3f (of each channel's spread), anchor noise %.3f, face budget %zu\n", double(surfaceBias), latentNoise,
                    anchorNoise, maxFaces);
    std::map<std::string, std::vector<double>> stages;
    std::vector<double> encode, fscores, deltaEs;
    for (int i = 0; i < repeat; ++i) {
        const procgen::AssetParams& p = picks[std::size_t(i)];
        const int category = p.category;
        const procgen::ProcAsset a = procgen::generate(p, {.textureSize = out.empty() ? 0 : 512});
        const auto t0 = std::chrono::steady_clock::now();
        models::ShapeLatent l = ae.encode(a, 1, 2048, tokens);
        if (refine.steps > 0) l = ae.refine(l, a, refine);
        if (latentNoise > 0.0 || anchorNoise > 0.0) {
            std::mt19937_64 rng(0x5EED0000ull + std::uint64_t(i));
            std::normal_distribution<float> normal;
            for (std::size_t k = 0; k < l.values.size(); ++k)
                l.values[k] += float(latentNoise) * ae.statistics().stdev[k % std::size_t(l.channels)] * normal(rng);
            for (float& x : l.anchors) x += float(anchorNoise) * normal(rng);
        }
        encode.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        models::DecodeOptions d;
        d.resolution = resolution;
        d.surfaceBias = surfaceBias;
        d.maxFaces = maxFaces;
        models::DecodedAsset dec;
        try {
            dec = ae.decode(l, d);
        } catch (const Error& e) {
            // A reconstruction with no surface is a result (F-score 0), not the end of the run.
            fscores.push_back(0.0);
            std::printf("  %-12s F-score@1%% 0.000  %s\n", procgen::categories()[std::size_t(category)].name.c_str(), e.what());
            continue;
        }
        for (const auto& [s, sec] : dec.stageSeconds) stages[s].push_back(sec);
        // Both against the original's visible surface (faces buried in other parts left out).
        const models::ReconstructionScore score = models::scoreReconstruction(ae, l, dec.mesh, a);
        const double f = score.fScore, de = score.albedoDeltaE;
        fscores.push_back(f);
        deltaEs.push_back(de);
        std::printf("  %-12s F-score@1%% %.3f  albedo dE %5.1f  %s, %zu triangles\n", procgen::categories()[std::size_t(category)].name.c_str(), f, de,
                    dec.watertight ? "watertight" : "NOT watertight", dec.mesh.triangleCount());
        if (!out.empty()) {
            const std::string id = std::to_string(i) + "_" + procgen::categories()[std::size_t(category)].name;
            io::saveAsset(core::Asset::fromMesh(id, dec.mesh), out / (id + "_decoded.glb"), {.overwrite = true});
            io::saveAsset(core::Asset::fromMesh(id, a.mesh), out / (id + "_original.glb"), {.overwrite = true});
        }
    }
    auto med = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::printf("median encode %.3f s; decode:", med(encode));
    double total = 0.0;
    for (auto& [s, v] : stages) {
        std::printf(" %s %.3f s,", s.c_str(), med(v));
        total += med(v);
    }
    double mean = 0.0;
    for (const double f : fscores) mean += f;
    double meanDe = 0.0;
    for (const double d : deltaEs) meanDe += d;
    std::printf(" total %.2f s; mean F-score@1%% %.3f; mean albedo dE %.1f (over the %zu that decoded)\n", total, mean / double(fscores.size()),
                meanDe / double(std::max<std::size_t>(1, deltaEs.size())), deltaEs.size());
    return 0;
}

// One process's prompt -> textured asset latency: the text-to-3d pipeline in-process (splats and
// mesh), a warm-up run first, then the median of `repeat`.
int loadMeasure(const Args& args) {
    const int repeat = args.getInt("repeat", 5, 1, 1000);
    pipelines::registerBuiltinPipelines();
    const auto pipeline = pipelines::PipelineRegistry::instance().find("text-to-3d");
    pipelines::PipelineRequest r = pipeline->defaultRequest();
    r.inputs.prompt = args.get("prompt", "a tall red ceramic vase");
    r.outputs = {pipelines::OutputKind::Splats, pipelines::OutputKind::Mesh};
    core::Progress quiet;
    const core::CancelToken cancel;
    pipeline->run(r, quiet, cancel);
    const double t = medianSeconds(repeat, [&] { pipeline->run(r, quiet, cancel); });
    std::printf("%.4f %s\n", t, models::computeWaitPolicy());
    return 0;
}

// Runs `exe args...` with extra environment, returns its stdout.
std::string runChild(const std::string& env, const fs::path& exe, const std::string& args) {
    return runCommandOutput(env + " " + shellQuote(exe.string()) + " " + args, "kiln bench load");
}

// `kiln bench load`: prompt -> asset latency alone and while a `kiln bench render` loop runs,
// with libgomp's default wait policy (before) and Kiln's (after), each in its own process.
int benchLoad(const Args& args) {
    if (args.has("measure")) return loadMeasure(args);
    const int repeat = args.getInt("repeat", 5, 1, 1000);
    const fs::path exe = fs::read_symlink("/proc/self/exe");
    const fs::path data = args.get("testdata", KILN_DEFAULT_TESTDATA);
    const std::string measure = "bench load --measure --repeat " + std::to_string(repeat);
    std::printf("kiln bench load: prompt -> splats + mesh (text-to-3d, in-process, median of %d after a warm-up), alone and beside\n"
                "a `kiln bench render --loop` process (lavapipe drawing the biker capture at 1280x720 on every core)\n", repeat);
    struct Mode {
        const char* name;
        const char* env;
    };
    const Mode modes[] = {{"before: libgomp default (spin)", "env -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY KILN_OMP_REEXEC=0"},
                           {"after: Kiln's policy", "env -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY -u KILN_OMP_REEXEC"}};
    for (const Mode& m : modes) {
        const std::string idleOut = runChild(m.env, exe, measure);
        const double idle = std::atof(idleOut.c_str());
        // The competing renderer runs long enough for the whole loaded measurement.
        const pid_t loader = fork();
        if (loader == 0) {
            const std::string testdata = "--testdata=" + data.string();
            execl(exe.c_str(), exe.c_str(), "bench", "render", "--loop", "3600", testdata.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        std::this_thread::sleep_for(std::chrono::seconds(3));  // its renderer is up and drawing
        std::string loadedOut;
        try {
            loadedOut = runChild(m.env, exe, measure);
        } catch (...) {
            kill(loader, SIGKILL);
            waitpid(loader, nullptr, 0);
            throw;
        }
        kill(loader, SIGKILL);
        waitpid(loader, nullptr, 0);
        const double loaded = std::atof(loadedOut.c_str());
        std::string policy = idleOut.substr(idleOut.find(' ') + 1);
        if (!policy.empty() && policy.back() == '\n') policy.pop_back();
        std::printf("%-34s alone %7.3f s   under load %7.3f s   %5.1fx   (OpenMP: %s)\n", m.name, idle, loaded, loaded / idle, policy.c_str());
    }
    std::printf("target: under load <= 3x alone\n");
    return 0;
}
#endif

} // namespace

int benchMatting(const fs::path& data, int count, const fs::path& sheetDir, const fs::path& dataset);  // app/cmd_images.cpp
int benchUpscale(const fs::path& data);                                      // app/cmd_images.cpp
#ifdef KILN_WITH_TORCH
int benchFitPeer(const Args& args, const fs::path& testdata);               // app/cmd_bench_peer.cpp
int benchFitScore(const Args& args, const fs::path& testdata);              // app/cmd_bench_peer.cpp
int benchBlas(const Args& args);                                              // app/cmd_bench_blas.cpp
int benchTexture(const Args& args);                                           // app/cmd_bench_texture.cpp
int benchUnwrap(const Args& args);                                            // app/cmd_bench_texture.cpp
int benchImage(const Args& args);                                             // app/cmd_bench_image.cpp
int benchEdit(const Args& args);                                              // app/cmd_bench_edit.cpp
int benchParts(const Args& args);                                             // app/cmd_bench_parts.cpp
#endif

int cmdBench(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"testdata", "repeat", "scales", "lod", "sorts", "paths", "model", "loop", "prompt", "autoencoder", "resolution", "out", "count", "peer", "views", "iterations", "holdout", "points", "seed", "data", "split", "refine", "refine-lr", "refine-anchor-lr", "refine-anchor-bound", "surface-bias", "faces", "latent-noise", "anchor-noise", "tokens", "layout", "prompts", "photo-view", "strength", "mode", "candidates", "guidance", "steps", "matte", "lego-view", "shape-steps", "part-segmenter", "smoothness", "sampler", "source"},
                                {"measure", "load", "score", "check", "true-matte", "no-refine", "keep", "lego", "decoded", "words", "save-meshes", "generated"});
    if (args.positional.size() == 1 && args.positional[0] == "matting")
        return benchMatting(args.get("testdata", KILN_DEFAULT_TESTDATA), args.getInt("count", 12, 1, 100), args.get("out"), args.get("data"));
#ifdef KILN_WITH_TORCH
    if (args.positional.size() == 1 && args.positional[0] == "upscale") return benchUpscale(args.get("testdata", KILN_DEFAULT_TESTDATA));
#endif
#ifdef KILN_WITH_TORCH
    if (args.positional.size() == 1 && args.positional[0] == "load") return benchLoad(args);
    if (args.positional.size() == 1 && args.positional[0] == "blas") return benchBlas(args);
    if (args.positional.size() == 1 && args.positional[0] == "fit" && args.has("peer")) return benchFitPeer(args, args.get("testdata", KILN_DEFAULT_TESTDATA));
    if (args.positional.size() >= 2 && args.positional[0] == "fit" && args.has("score")) return benchFitScore(args, args.get("testdata", KILN_DEFAULT_TESTDATA));
    if (args.positional.size() == 1 && args.positional[0] == "latent") return benchLatent(args);
    if (args.positional.size() == 1 && args.positional[0] == "texture") return benchTexture(args);
    if (args.positional.size() == 1 && args.positional[0] == "unwrap") return benchUnwrap(args);
    if (args.positional.size() == 1 && args.positional[0] == "image-to-3d") return benchImage(args);
    if (args.positional.size() == 1 && args.positional[0] == "edit") return benchEdit(args);
    if (args.positional.size() == 1 && args.positional[0] == "parts") return benchParts(args);
#endif
    if (args.positional.size() == 1 && args.positional[0] == "render") return benchRender(args, args.get("testdata", KILN_DEFAULT_TESTDATA), [](const fs::path& p) { return io::loadAsset(p); });
    if (args.positional.size() == 1 && args.positional[0] == "fit") return benchFit(args);
    if (args.positional.size() != 1 || args.positional[0] != "io") throw Error("usage: kiln bench io|render|fit|load|latent|texture|unwrap|edit|parts|blas|matting|upscale [--testdata DIR] [--repeat N] [--model DIR]; "
                    "kiln bench fit --peer OPENSPLAT [--views DIR] [--resolution 200] [--iterations 2000] [--holdout 5] [--load] [--out DIR]; "
                    "kiln bench fit --score PLY... [--views DIR] [--resolution 200] [--holdout 5]");
    const fs::path data = args.get("testdata", KILN_DEFAULT_TESTDATA);
    const int repeat = std::max(1, std::atoi(args.get("repeat", "5").c_str()));
    const fs::path engine = data / "gltf/2CylinderEngine/2CylinderEngine.glb";
    const fs::path spz = data / "splats/biker.spz";
    const fs::path ply = data / "splats/biker_inria_sub20.ply";
    for (const auto& f : {engine, spz, ply})
        if (!fs::exists(f)) throw Error(f.string() + ": benchmark input not found (pass --testdata DIR)");

    const fs::path tmp = fs::temp_directory_path() / ("kiln-bench-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    struct Cleanup {
        fs::path p;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{tmp};

    std::printf("kiln bench io: median of %d runs, import + export, one process per assimp run\n", repeat);
    auto roundTrip = [&](const fs::path& in, const fs::path& out) {
        return medianSeconds(repeat, [&] { io::saveAsset(io::loadAsset(in), out, {.overwrite = true}); });
    };
    row("2CylinderEngine.glb -> .glb", roundTrip(engine, tmp / "engine.glb"), assimpExportSeconds(repeat, engine, tmp / "engine_assimp.glb"), "not available");
    row("2CylinderEngine.glb -> .obj", roundTrip(engine, tmp / "engine.obj"), assimpExportSeconds(repeat, engine, tmp / "engine_assimp.obj"), "not available");
    row("biker.spz -> .spz", roundTrip(spz, tmp / "biker.spz"), -1.0, "cannot read .spz (no peer)");
    row("biker.spz -> .ply (3DGS)", roundTrip(spz, tmp / "biker.ply"), -1.0, "cannot read .spz (no peer)");
    row("biker_inria_sub20.ply -> .ply", roundTrip(ply, tmp / "biker_sub20.ply"), assimpExportSeconds(repeat, ply, tmp / "biker_sub20_assimp.ply"),
        "not available");
    return 0;
}

} // namespace kiln::app
