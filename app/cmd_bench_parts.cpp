// `kiln bench parts`: how well the part segmenter finds a named part of a mesh from its shape and
// look alone (as on a mesh with no part names), on held-out library assets. For every part and material-group word an asset has,
// the region trianglesNamed returns is scored against the truth (the asset's own parts of that
// slot or group) by area IoU, at each region smoothness asked for (0 is the baseline: each
// triangle by its own points' votes), with the time each takes.
#include "cli.h"

#include "core/error.h"
#include "geometry/closest_point.h"
#include "geometry/mesh_regions.h"
#include "models/mesh_texture.h"
#include "models/model_paths.h"
#include "models/part_segmenter.h"
#include "models/shape_latent.h"
#include "procgen/procgen.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace kiln::app {

std::vector<procgen::AssetParams> benchAssets(const Args& args, int repeat);  // app/cmd_bench.cpp

namespace {

std::vector<float> parseList(const std::string& text) {
    std::vector<float> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        try {
            std::size_t used = 0;
            const float v = std::stof(item, &used);
            if (used != item.size() || !(v >= 0.0f) || v > 1000.0f) throw Error("");
            out.push_back(v);
        } catch (...) {
            throw Error("--smoothness: '" + item + "' is not a number from 0 to 1000 (give a comma-separated list, e.g. 0,1,2)");
        }
    }
    if (out.empty()) throw Error("--smoothness: give a comma-separated list of values, e.g. 0,1,2");
    return out;
}

} // namespace

int benchParts(const Args& args) {
    const int repeat = args.getInt("repeat", 72, 1, 10000);
    const std::vector<float> smoothness = parseList(args.get("smoothness", "0," + std::to_string(models::PartSegmenter::kRegionSmoothness)));
    const std::vector<procgen::AssetParams> picks = benchAssets(args, repeat);
    const models::ShapeLatentModel ae(args.has("autoencoder") ? fs::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder"));
    const models::PartSegmenter seg(args.has("part-segmenter") ? fs::path(args.get("part-segmenter")) : models::defaultModelDir("part-segmenter"), &ae);
    // --decoded: each asset as the autoencoder gives it back (one watertight shell, its parts no
    // longer separate pieces), the mesh an artist edits after generating it.
    const bool decoded = args.has("decoded");
    models::DecodeOptions decodeOptions;
    decodeOptions.textureSize = 256;
    decodeOptions.appearanceSize = 256;
    decodeOptions.splats = false;
    std::printf("kiln bench parts: %s, %zu held-out assets%s%s, area IoU of the region each part or group word finds (from the latent alone)\n", seg.name().c_str(), picks.size(),
                args.has("data") ? (" (" + args.get("data") + ", split " + args.get("split", "val") + ")").c_str() : " (unseen seeds)",
                decoded ? ", as decoded from their encodings" : "");
    const std::set<std::string> partWords(seg.partWords().begin(), seg.partWords().end()), groupWords(seg.groupWords().begin(), seg.groupWords().end());
    const std::size_t k = smoothness.size();
    struct Sum {
        double iou = 0.0, seconds = 0.0;
        int n = 0, failed = 0;
    };
    std::vector<Sum> all(k);
    std::map<std::string, std::vector<Sum>> byCategory;
    // --words: each (category, word)'s IoU at the last smoothness asked for, worst first.
    const bool perWord = args.has("words");
    std::map<std::pair<std::string, std::string>, Sum> byWord;
    double encodeSeconds = 0.0;
    for (const procgen::AssetParams& p : picks) {
        const procgen::ProcAsset a = procgen::generate(p, {.textureSize = 256});
        const procgen::CategoryInfo& cat = procgen::categories()[std::size_t(p.category)];
        // The segmenter reads shape and look only (the latent), never the mesh's part names.
        core::Mesh m = a.mesh;
        // Each triangle's part: the asset's own, or on the decoded shell the part of the nearest
        // triangle of the asset.
        std::vector<int> partOf(a.triangleParts.begin(), a.triangleParts.end());
        if (decoded) {
            m = ae.decode(ae.encode(a, 1, 8192, ae.detailTokens()), decodeOptions).mesh;
            const geometry::TriangleBvh bvh(a.mesh);
            partOf.assign(m.triangleCount(), 0);
            for (std::size_t t = 0; t < m.triangleCount(); ++t) {
                const glm::vec3 c = (m.positions[m.indices[3 * t]] + m.positions[m.indices[3 * t + 1]] + m.positions[m.indices[3 * t + 2]]) / 3.0f;
                if (const auto hit = bvh.closest(c, std::numeric_limits<float>::max())) partOf[t] = a.triangleParts[hit->triangle];
            }
        }
        const auto t0 = std::chrono::steady_clock::now();
        const models::ShapeLatent latent = models::encodeMesh(ae, m, 8192, false, seg.tokens());
        encodeSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // The words this asset answers to: its parts' slots and its groups' nouns (as the library's
        // instructions name them), each scored against every part it names.
        std::set<std::string> words;
        for (const procgen::PartInfo& part : a.parts) {
            if (partWords.count(part.slot)) words.insert(part.slot);
            if (const std::string& g = cat.groups[std::size_t(part.group)].noun; groupWords.count(g)) words.insert(g);
        }
        auto& cs = byCategory[cat.name];
        cs.resize(k);
        for (const std::string& w : words) {
            std::vector<std::uint8_t> truth(m.triangleCount(), 0);
            for (std::size_t t = 0; t < truth.size(); ++t) {
                const procgen::PartInfo& part = a.parts[std::size_t(partOf[t])];
                truth[t] = models::singularWord(part.slot) == models::singularWord(w) || models::singularWord(cat.groups[std::size_t(part.group)].noun) == models::singularWord(w);
            }
            for (std::size_t j = 0; j < k; ++j) {
                const auto s0 = std::chrono::steady_clock::now();
                const std::vector<std::uint8_t> found = seg.trianglesNamed(latent, m, {w}, nullptr, smoothness[j]);
                const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
                const double iou = geometry::regionIoU(m, found, truth);
                std::vector<Sum*> into{&all[j], &cs[j]};
                if (perWord && j + 1 == k) into.push_back(&byWord[{cat.name, w}]);
                for (Sum* s : into) s->iou += iou, s->seconds += seconds, s->n += 1, s->failed += iou < 0.5;
            }
        }
    }
    std::printf("%-12s", "category");
    for (const float s : smoothness) std::printf(" | smooth %-6g", double(s));
    std::printf("\n");
    for (const auto& [name, sums] : byCategory) {
        if (sums.empty() || sums[0].n == 0) continue;
        std::printf("%-12s", name.c_str());
        for (const Sum& s : sums) std::printf(" | %.3f (%3d) ", s.iou / s.n, s.n);
        std::printf("\n");
    }
    if (perWord) {
        std::vector<std::pair<double, std::string>> rows;
        for (const auto& [key, s] : byWord) {
            char line[160];
            std::snprintf(line, sizeof line, "%-12s %-12s %.3f  (%d, %d under 0.5)", key.first.c_str(), key.second.c_str(), s.iou / s.n, s.n, s.failed);
            rows.emplace_back(s.iou / s.n, line);
        }
        std::sort(rows.begin(), rows.end());
        std::printf("per word at smoothness %g, worst first (category, word, mean IoU, times asked):\n", double(smoothness.back()));
        for (const auto& r : rows) std::printf("  %s\n", r.second.c_str());
    }
    std::printf("%-12s", "all (IoU)");
    for (const Sum& s : all) std::printf(" | %.3f        ", s.n ? s.iou / s.n : 0.0);
    std::printf("\n%-12s", "IoU < 0.5");
    for (const Sum& s : all) std::printf(" | %4d of %-4d ", s.failed, s.n);
    std::printf("\n%-12s", "ms a word");
    for (const Sum& s : all) std::printf(" | %-12.1f ", s.n ? 1000.0 * s.seconds / s.n : 0.0);
    std::printf("\nencoding: %.0f ms an asset (8192 samples)\n", 1000.0 * encodeSeconds / double(std::max<std::size_t>(1, picks.size())));
    return 0;
}

} // namespace kiln::app
