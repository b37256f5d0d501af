#include "cli.h"

#include "core/error.h"
#include "geometry/mesh_cleanup.h"
#include "geometry/metrics.h"
#include "io/asset_io.h"

#include <cstdio>
#include <string>

namespace kiln::app {

int cmdCompare(int argc, char** argv);

namespace {

const core::Mesh& meshOf(const core::Asset& asset, const std::string& file) {
    const core::Mesh* m = asset.mesh();
    if (!m) throw Error(file + ": not a mesh (compare takes two meshes)");
    if (m->empty()) throw Error(file + ": the mesh has no triangles");
    return *m;
}

} // namespace

// `kiln compare A B`: how far apart two surfaces are (Chamfer, 95th percentile, Hausdorff) and
// whether each is watertight. B is the reference: relative figures divide by its bounding-box diagonal.
int cmdCompare(int argc, char** argv) {
    const Args args = parseArgs(argc, argv, 2, {"samples", "seed"}, {});
    if (args.positional.size() != 2) throw Error("usage: kiln compare A.glb B.glb [--samples N] [--seed S]  (B is the reference)");
    const int samples = args.getInt("samples", 200000, 100, 50000000);
    const int seed = args.getInt("seed", 0, 0, 2147483647);
    const std::string fa = args.positional[0], fb = args.positional[1];
    const core::Asset a = io::loadAsset(fa), b = io::loadAsset(fb);
    const core::Mesh &ma = meshOf(a, fa), &mb = meshOf(b, fb);
    const geometry::ChamferResult r = geometry::chamferDistance(ma, mb, std::size_t(samples), std::uint64_t(seed));
    std::printf("samples per mesh: %d\n", samples);
    std::printf("chamfer distance: %.6f  (%.4f %% of B's bounding-box diagonal %.4f)\n", r.chamfer, 100.0 * r.chamfer / r.diagonalB, r.diagonalB);
    std::printf("  mean A->B %.6f  mean B->A %.6f\n", r.meanAtoB, r.meanBtoA);
    std::printf("95th percentile:  %.6f  (%.4f %%)\n", r.p95, 100.0 * r.p95 / r.diagonalB);
    std::printf("hausdorff (max):  %.6f  (%.4f %%)\n", r.hausdorff, 100.0 * r.hausdorff / r.diagonalB);
    for (const auto& [name, mesh] : {std::pair<const std::string&, const core::Mesh&>(fa, ma), std::pair<const std::string&, const core::Mesh&>(fb, mb)}) {
        const geometry::MeshReport rep = geometry::analyse(mesh);
        std::printf("%s: %zu triangles, %zu components, %zu boundary edges, %zu non-manifold edges: %s\n", name.c_str(), rep.triangles,
                    rep.components, rep.boundaryEdges, rep.nonManifoldEdges, rep.watertight ? "watertight" : "not watertight");
    }
    return 0;
}

} // namespace kiln::app
