// IO hot paths: mesh import/export and splat decode/encode on real captures.
// `kiln bench io` compares the same work against `assimp export` in one run.
#include "io/asset_io.h"
#include "io/mesh_io.h"
#include "io/splat_io.h"

#include <benchmark/benchmark.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

const fs::path kData = KILN_TESTDATA_DIR;

fs::path scratch(const char* name) { return fs::temp_directory_path() / name; }

void importEngine(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(kiln::io::importMesh(kData / "gltf/2CylinderEngine/2CylinderEngine.glb"));
}
BENCHMARK(importEngine)->Unit(benchmark::kMillisecond);

void exportEngineGlb(benchmark::State& state) {
    const auto mesh = kiln::io::importMesh(kData / "gltf/2CylinderEngine/2CylinderEngine.glb");
    for (auto _ : state) kiln::io::exportMesh(mesh, scratch("kiln_bench_engine.glb"));
    fs::remove(scratch("kiln_bench_engine.glb"));
}
BENCHMARK(exportEngineGlb)->Unit(benchmark::kMillisecond);

void readBikerSpz(benchmark::State& state) {
    for (auto _ : state) {
        auto cloud = kiln::io::readSpz(kData / "splats/biker.spz");
        state.counters["splats"] = double(cloud.size());
        benchmark::DoNotOptimize(cloud);
    }
}
BENCHMARK(readBikerSpz)->Unit(benchmark::kMillisecond);

void writeBikerSpz(benchmark::State& state) {
    const auto cloud = kiln::io::readSpz(kData / "splats/biker.spz");
    for (auto _ : state) kiln::io::writeSpz(cloud, scratch("kiln_bench_biker.spz"));
    fs::remove(scratch("kiln_bench_biker.spz"));
}
BENCHMARK(writeBikerSpz)->Unit(benchmark::kMillisecond);

void writeBikerPly(benchmark::State& state) {
    const auto cloud = kiln::io::readSpz(kData / "splats/biker.spz");
    for (auto _ : state) kiln::io::writeSplatPly(cloud, scratch("kiln_bench_biker.ply"));
    fs::remove(scratch("kiln_bench_biker.ply"));
}
BENCHMARK(writeBikerPly)->Unit(benchmark::kMillisecond);

void readBikerPly(benchmark::State& state) {
    const auto cloud = kiln::io::readSpz(kData / "splats/biker.spz");
    kiln::io::writeSplatPly(cloud, scratch("kiln_bench_biker_in.ply"));
    for (auto _ : state) benchmark::DoNotOptimize(kiln::io::readSplatPly(scratch("kiln_bench_biker_in.ply")));
    fs::remove(scratch("kiln_bench_biker_in.ply"));
}
BENCHMARK(readBikerPly)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
