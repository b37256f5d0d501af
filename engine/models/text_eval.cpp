#include "models/text_eval.h"

#include "core/bitmap_font.h"
#include "core/color.h"
#include "core/error.h"
#include "geometry/inside_test.h"
#include "geometry/mesh_cleanup.h"
#include "geometry/metrics.h"
#include "geometry/voxels.h"
#include "io/asset_io.h"
#include "models/judge.h"
#include "models/model_paths.h"
#include "models/text_to_3d.h"
#include "procgen/dataset.h"
#include "procgen/shape_rng.h"
#include "render/renderer.h"
#include "render/views.h"

#include <glm/geometric.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

namespace fs = std::filesystem;

namespace kiln::models {

namespace {

std::vector<glm::vec3> points(const core::Mesh& m, std::size_t n, std::uint64_t seed) { return geometry::normalisedPoints(geometry::sampleSurface(m, n, seed)); }

// Whether the solid of a procedural asset is one connected piece (its parts overlap one another):
// connected components of the occupied cells of a 40^3 grid.
bool volumeConnected(const procgen::ProcAsset& a) {
    std::vector<geometry::InsideTest::Range> shells;
    for (const auto& p : a.parts) shells.push_back({p.firstTriangle, p.triangleCount});
    const geometry::InsideTest inside(a.mesh, shells);
    const core::Bounds b = core::computeBounds(a.mesh);
    constexpr int n = 40;
    std::vector<std::uint8_t> occ(n * n * n, 0);
    for (int z = 0; z < n; ++z)
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x) {
                const glm::vec3 t((float(x) + 0.5f) / n, (float(y) + 0.5f) / n, (float(z) + 0.5f) / n);
                occ[std::size_t((z * n + y) * n + x)] = inside.inside(b.min + t * b.size());
            }
    return geometry::voxelComponents(occ, n).size() == 1;
}

// One thumbnail per mesh, lit, from the front three-quarter.
core::Image thumbnail(render::Renderer& r, const core::Mesh& m, int size) {
    r.clear();
    r.add(core::Asset::fromMesh("sheet", m));
    render::ViewOptions vo;
    vo.grid = false;
    vo.axisGizmo = false;
    vo.background = glm::vec4(0.18f, 0.19f, 0.21f, 1.0f);
    const auto cam = render::orbitViews(core::computeBounds(m), 1, 0.35f, 1.0f, 0.7f, 0.6f).front();
    return r.renderImage(cam, size, size, vo);
}

} // namespace

std::string TextEvalReport::json() const {
    nlohmann::ordered_json j;
    j["prompts"] = prompts;
    j["accuracy"] = {{"category", categoryAccuracy}, {"colour", colourAccuracy}, {"material", materialAccuracy}};
    j["judgeOnRealHeldOut"] = {{"category", judgeCategoryCeiling}, {"colour", judgeColourCeiling}, {"material", judgeMaterialCeiling}};
    j["distanceToData"] = {{"medianRatio", medianRatio},       {"medianRatio95", {medianRatioLow, medianRatioHigh}},
                           {"worstCategory", worstCategory}, {"worstCategoryRatio", worstCategoryRatio},
                           {"oneNna", oneNna}};
    j["meshes"] = {{"watertightFraction", watertightFraction}, {"connectedWhereRealIs", connectedFraction}};
    j["autoencoder"] = {{"tokens", reconstructionTokens},
                        {"fScore1pct", reconstructionFScore},
                        {"fScore1pctMin", reconstructionFScoreMin},
                        {"albedoDeltaE", albedoDeltaE},
                        {"distanceToDataMedianRatio", reconstructionMedianRatio}};
    j["autoencoder"]["assets"] = nlohmann::ordered_json::array();
    for (const auto& r : reconstructionScores) {
        j["autoencoder"]["assets"].push_back({{"category", r.category}, {"fScore1pct", r.fScore}, {"albedoDeltaE", r.albedoDeltaE}, {"distanceRatio", r.ratio}});
        if (refineSteps > 0) j["autoencoder"]["assets"].back()["refined"] = {{"fScore1pct", r.refinedFScore}, {"albedoDeltaE", r.refinedAlbedoDeltaE}};
    }
    if (refineSteps > 0)
        j["autoencoder"]["refined"] = {{"steps", refineSteps}, {"fScore1pct", refinedFScore}, {"fScore1pctMin", refinedFScoreMin}, {"albedoDeltaE", refinedAlbedoDeltaE}};
    j["diversity"] = {{"generated", diversity}, {"data", dataDiversity}, {"floor", diversityFloor}};
    j["latency"] = {{"medianSeconds", latencyMedian}, {"maxSeconds", latencyMax}, {"stages", latencyStages}};
    j["sampler"] = {{"steps", samplerSteps}, {"guidance", samplerGuidance}, {"surfaceBias", samplerSurfaceBias}, {"temperature", samplerTemperature}, {"candidates", samplerCandidates}, {"candidatesTriedMean", candidatesTried}};
    j["categories"] = nlohmann::ordered_json::object();
    for (const auto& c : categories)
        j["categories"][c.category] = {{"prompts", c.prompts},       {"category", c.categoryHits}, {"colour", c.colourHits},
                                       {"material", c.materialHits}, {"watertight", c.watertight}, {"medianRatio", c.medianRatio},
                                       {"realConnected", c.realConnected}, {"connected", c.connectedWhenReal}};
    j["perPrompt"] = nlohmann::ordered_json::array();
    for (const auto& p : perPrompt)
        j["perPrompt"].push_back({{"caption", p.caption}, {"category", p.category}, {"ratio", p.ratio}, {"components", p.components},
                                  {"realConnected", p.realConnected}, {"categoryHit", p.categoryHit}, {"colourHit", p.colourHit},
                                  {"materialHit", p.materialHit}});
    j["misses"] = misses;
    return j.dump(1) + "\n";
}

TextEvalReport evaluateTextTo3d(const TextEvalOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    const fs::path modelDir = o.model.empty() ? defaultModelDir("text-to-3d") : o.model;
    const fs::path aeDir = o.autoencoder.empty() ? defaultModelDir("shape-autoencoder") : o.autoencoder;
    const fs::path judgeDir = o.judge.empty() ? defaultModelDir("judge") : o.judge;
    const TextTo3dGenerator generator(modelDir, aeDir);
    const AttributeJudge judge(judgeDir);
    const procgen::Dataset ds = procgen::readDataset(o.data);
    const auto& cats = procgen::categories();
    // Held-out prompts: per category, seed-split items first, then held-out triples.
    std::vector<const procgen::DatasetItem*> prompts;
    std::vector<std::vector<const procgen::DatasetItem*>> refs(cats.size());
    for (std::size_t c = 0; c < cats.size(); ++c) {
        int taken = 0;
        for (const char* split : {"val", "val-triple"})
            for (const auto& it : ds.items)
                if (it.params.category == int(c) && it.split == split && taken < o.perCategory && (taken == 0 || std::string(split) == "val-triple")) {
                    prompts.push_back(&it);
                    ++taken;
                    break;
                }
        for (const auto& it : ds.items)
            if (it.params.category == int(c) && it.split == "train" && int(refs[c].size()) < o.references) refs[c].push_back(&it);
    }
    if (prompts.empty()) throw Error(o.data.string() + ": no held-out items to evaluate on");
    if (o.reconstructionTokens > 0)
        generator.autoencoder().requireTokenCount(o.reconstructionTokens, "--reconstruction-tokens " + std::to_string(o.reconstructionTokens));
    std::vector<std::vector<std::vector<glm::vec3>>> refPoints(cats.size());
    for (std::size_t c = 0; c < cats.size(); ++c)
        for (const auto* it : refs[c]) refPoints[c].push_back(points(procgen::generate(it->params, {.textureSize = 0}).mesh, 2048, 7));
    auto nearest = [&](const std::vector<glm::vec3>& p, int category) {
        double best = 1e30;
        for (const auto& r : refPoints[std::size_t(category)]) best = std::min(best, geometry::chamferPoints(p, r).chamfer);
        return best;
    };

    TextEvalReport rep;
    rep.categories.resize(cats.size());
    for (std::size_t c = 0; c < cats.size(); ++c) rep.categories[c].category = cats[c].name;
    std::vector<std::vector<double>> ratios(cats.size());
    std::vector<double> realDistance(prompts.size(), 0.0);  // each held-out asset to its category's nearest training asset
    std::vector<std::vector<glm::vec3>> genSet, realSet;
    int realConnected = 0, genConnectedWhenReal = 0;
    int judgeCat = 0, judgeCol = 0, judgeMat = 0;
    render::Renderer sheetRenderer;
    std::vector<core::Image> tiles;
    TextTo3dOptions go;
    go.decode.resolution = o.resolution;
    go.decode.textureSize = 512;
    go.decode.appearanceSize = 256;
    go.steps = o.steps > 0 ? o.steps : generator.defaultSteps();
    if (!std::isnan(o.guidance)) go.guidance = o.guidance;
    go.surfaceBias = o.surfaceBias;
    go.temperature = o.temperature;
    go.seed = o.seed;
    if (o.candidates > 0) go.candidates = o.candidates;
    rep.samplerCandidates = go.candidates;
    rep.samplerSteps = go.steps;
    rep.samplerGuidance = go.guidance;
    rep.samplerSurfaceBias = std::isnan(o.surfaceBias) ? generator.defaultSurfaceBias() : o.surfaceBias;
    rep.samplerTemperature = std::isnan(o.temperature) ? generator.defaultTemperature() : o.temperature;
    go.decode.splats = false;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        cancel.throwIfCancelled();
        const procgen::DatasetItem& it = *prompts[i];
        progress.report("prompt " + std::to_string(i + 1) + "/" + std::to_string(prompts.size()), 0.7f * float(i) / float(prompts.size()));
        core::Progress quiet;
        const TextTo3dResult g = generator.generate(it.caption, go, quiet, cancel);
        rep.candidatesTried += double(g.choice.pieces.size());
        const core::Mesh& mesh = *g.assets.front().mesh();
        const procgen::ProcAsset real = procgen::generate(it.params, {.textureSize = 256});
        const int c = it.params.category;
        CategoryScore& cs = rep.categories[std::size_t(c)];
        ++cs.prompts;
        const JudgeVerdict v = judge.judge(mesh), vr = judge.judge(real.mesh);
        const bool catOk = v.category == c, colOk = v.colour == it.params.materials.front().colour, matOk = v.material == it.params.materials.front().kind;
        cs.categoryHits += catOk;
        cs.colourHits += colOk;
        cs.materialHits += matOk;
        judgeCat += vr.category == c;
        judgeCol += vr.colour == it.params.materials.front().colour;
        judgeMat += vr.material == it.params.materials.front().kind;
        if (!catOk || !colOk || !matOk)
            rep.misses.push_back("\"" + it.caption + "\" -> " + cats[std::size_t(std::max(0, v.category))].name + ", " +
                                 procgen::palette()[std::size_t(std::max(0, v.colour))].name + ", " + procgen::materialInfo(v.material).word);
        const auto report = geometry::analyse(mesh);
        cs.watertight += report.watertight;
        const bool realOnePiece = volumeConnected(real);
        if (realOnePiece) {
            ++realConnected;
            ++cs.realConnected;
            if (report.components == 1) ++genConnectedWhenReal, ++cs.connectedWhenReal;
        }
        const auto pg = points(mesh, 2048, 11), pr = points(real.mesh, 2048, 11);
        const double dG = nearest(pg, c), dR = nearest(pr, c);
        realDistance[i] = dR;
        ratios[std::size_t(c)].push_back(dG / std::max(dR, 1e-9));
        rep.perPrompt.push_back({it.caption, cats[std::size_t(c)].name, ratios[std::size_t(c)].back(), report.components, realOnePiece, catOk, colOk, matOk});
        genSet.push_back(pg);
        realSet.push_back(pr);
        if (int(tiles.size()) < 2 * o.sheetPrompts) {
            for (const core::Mesh* m : {&mesh, &real.mesh}) {
                core::Image img = thumbnail(sheetRenderer, *m, 160);
                core::Image tile = core::Image::makeU8(160, 160 + 2 * core::kFontHeight + 8, 4);
                for (std::size_t k = 0; k < tile.u8.size(); k += 4) tile.u8[k] = 30, tile.u8[k + 1] = 32, tile.u8[k + 2] = 36, tile.u8[k + 3] = 255;
                std::memcpy(tile.u8.data(), img.u8.data(), img.u8.size());
                const unsigned char white[3] = {235, 235, 235}, grey[3] = {150, 150, 160};
                core::drawText(tile, 3, 163, m == &mesh ? "GENERATED" : "REAL (HELD OUT)", m == &mesh ? white : grey);
                core::drawText(tile, 3, 165 + core::kFontHeight, cats[std::size_t(c)].name + " " + procgen::palette()[std::size_t(it.params.materials.front().colour)].name, grey);
                tiles.push_back(std::move(tile));
            }
        }
    }
    rep.prompts = int(prompts.size());
    rep.candidatesTried /= double(rep.prompts);
    int ch = 0, co = 0, ma = 0, wt = 0;
    std::vector<double> allRatios;
    for (std::size_t c = 0; c < cats.size(); ++c) {
        auto& cs = rep.categories[c];
        ch += cs.categoryHits, co += cs.colourHits, ma += cs.materialHits, wt += cs.watertight;
        cs.medianRatio = geometry::median(ratios[c]);
        allRatios.insert(allRatios.end(), ratios[c].begin(), ratios[c].end());
        if (cs.prompts > 0 && cs.medianRatio > rep.worstCategoryRatio) rep.worstCategoryRatio = cs.medianRatio, rep.worstCategory = cs.category;
    }
    std::erase_if(rep.categories, [](const CategoryScore& c) { return c.prompts == 0; });
    rep.categoryAccuracy = double(ch) / rep.prompts;
    rep.colourAccuracy = double(co) / rep.prompts;
    rep.materialAccuracy = double(ma) / rep.prompts;
    rep.judgeCategoryCeiling = double(judgeCat) / rep.prompts;
    rep.judgeColourCeiling = double(judgeCol) / rep.prompts;
    rep.judgeMaterialCeiling = double(judgeMat) / rep.prompts;
    rep.watertightFraction = double(wt) / rep.prompts;
    rep.connectedFraction = realConnected ? double(genConnectedWhenReal) / realConnected : 1.0;
    {
        const geometry::MedianInterval mi = geometry::bootstrapMedian(allRatios);
        rep.medianRatio = mi.median;
        rep.medianRatioLow = mi.low;
        rep.medianRatioHigh = mi.high;
    }
    // 1-NNA: leave-one-out nearest neighbour over generated + real; accuracy of telling them apart.
    {
        progress.report("1-NNA", 0.72f);
        std::vector<std::vector<glm::vec3>> all = genSet;
        all.insert(all.end(), realSet.begin(), realSet.end());
        const std::size_t n = all.size(), ng = genSet.size();
        std::vector<std::vector<double>> d(n, std::vector<double>(n, 0.0));
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = a + 1; b < n; ++b) d[a][b] = d[b][a] = geometry::chamferPoints(all[a], all[b]).chamfer;
        int correct = 0;
        for (std::size_t a = 0; a < n; ++a) {
            std::size_t best = a == 0 ? 1 : 0;
            for (std::size_t b = 0; b < n; ++b)
                if (b != a && d[a][b] < d[a][best]) best = b;
            correct += (a < ng) == (best < ng);
        }
        rep.oneNna = double(correct) / double(n);
    }
    // The autoencoder on held-out assets.
    {
        const ShapeLatentModel& ae = generator.autoencoder();
        // An asset is reconstructed from the detail count (the generators diffuse the first count).
        rep.reconstructionTokens = o.reconstructionTokens > 0 ? o.reconstructionTokens : ae.detailTokens();
        for (int i = 0; i < std::min<int>(o.reconstructions, int(prompts.size())); ++i) {
            cancel.throwIfCancelled();
            progress.report("reconstruction " + std::to_string(i + 1), 0.75f + 0.15f * float(i) / float(o.reconstructions));
            const procgen::ProcAsset real = procgen::generate(prompts[std::size_t(i)]->params, {.textureSize = 0});
            const ShapeLatent l = ae.encode(real, 3, 2048, rep.reconstructionTokens);
            DecodeOptions d;
            d.resolution = o.resolution;
            d.textureSize = 256;
            d.appearanceSize = 128;
            d.splats = false;
            const DecodedAsset dec = ae.decode(l, d, cancel);
            const ReconstructionScore score = scoreReconstruction(ae, l, dec.mesh, real);
            // The reconstruction's distance to the data, as the generated meshes' is measured: the
            // ratio a perfect generator of this latent would reach, so the two gaps can be told apart.
            const int c = prompts[std::size_t(i)]->params.category;
            const double ratio = nearest(points(dec.mesh, 2048, 11), c) / std::max(realDistance[std::size_t(i)], 1e-9);
            rep.reconstructionScores.push_back({cats[std::size_t(c)].name, score.fScore, score.albedoDeltaE, ratio});
            if (o.refineSteps > 0) {
                // The same asset with its encoding fitted to it: what the latent can hold, beside
                // what the one-pass encoder puts in it.
                ShapeLatentModel::RefineOptions ro;
                ro.steps = o.refineSteps;
                const ShapeLatent refined = ae.refine(l, real, ro, cancel);
                const ReconstructionScore rs = scoreReconstruction(ae, refined, ae.decode(refined, d, cancel).mesh, real);
                rep.reconstructionScores.back().refinedFScore = rs.fScore;
                rep.reconstructionScores.back().refinedAlbedoDeltaE = rs.albedoDeltaE;
            }
        }
        // Every figure from the per-asset scores: means, the lowest F-scores, the median distance.
        const auto& scores = rep.reconstructionScores;
        if (!scores.empty()) {
            const double n = double(scores.size());
            std::vector<double> ratios;
            rep.reconstructionFScoreMin = rep.refinedFScoreMin = 1.0;
            for (const auto& r : scores) {
                rep.reconstructionFScore += r.fScore;
                rep.albedoDeltaE += r.albedoDeltaE;
                rep.reconstructionFScoreMin = std::min(rep.reconstructionFScoreMin, r.fScore);
                rep.refinedFScore += r.refinedFScore;
                rep.refinedAlbedoDeltaE += r.refinedAlbedoDeltaE;
                rep.refinedFScoreMin = std::min(rep.refinedFScoreMin, r.refinedFScore);
                ratios.push_back(r.ratio);
            }
            for (double* mean : {&rep.reconstructionFScore, &rep.albedoDeltaE, &rep.refinedFScore, &rep.refinedAlbedoDeltaE}) *mean /= n;
            rep.reconstructionMedianRatio = geometry::median(ratios);
            rep.refineSteps = o.refineSteps;
        }
    }
    // Diversity: mean pairwise Chamfer of seeds of one prompt, against real shapes of one style.
    {
        std::vector<double> gen, data;
        for (int i = 0; i < std::min<int>(o.diversityPrompts, int(prompts.size())); ++i) {
            cancel.throwIfCancelled();
            progress.report("diversity " + std::to_string(i + 1), 0.9f + 0.05f * float(i) / float(o.diversityPrompts));
            const procgen::DatasetItem& it = *prompts[std::size_t(i)];
            std::vector<std::vector<glm::vec3>> ps, rs;
            for (int s = 0; s < o.seeds; ++s) {
                TextTo3dOptions so = go;
                so.seed = std::uint64_t(100 + s);
                so.decode.resolution = 64;
                so.decode.textureSize = 64;
                so.decode.appearanceSize = 64;
                core::Progress quiet;
                ps.push_back(points(*generator.generate(it.caption, so, quiet, cancel).assets.front().mesh(), 1024, 3));
                procgen::AssetParams rp = it.params;
                rp.shapeSeed = procgen::mix64(it.params.shapeSeed + std::uint64_t(s) * 7919u);
                rp.knobs.clear();
                rs.push_back(points(procgen::generate(rp, {.textureSize = 0}).mesh, 1024, 3));
            }
            for (std::size_t a = 0; a < ps.size(); ++a)
                for (std::size_t b = a + 1; b < ps.size(); ++b) {
                    gen.push_back(geometry::chamferPoints(ps[a], ps[b]).chamfer);
                    data.push_back(geometry::chamferPoints(rs[a], rs[b]).chamfer);
                }
        }
        rep.diversity = gen.empty() ? 0.0 : std::accumulate(gen.begin(), gen.end(), 0.0) / double(gen.size());
        rep.dataDiversity = data.empty() ? 0.0 : std::accumulate(data.begin(), data.end(), 0.0) / double(data.size());
        rep.diversityFloor = 0.25 * rep.dataDiversity;
    }
    // Latency: prompt -> textured GLB at the default settings, written to a temporary file, for
    // held-out prompts spread evenly over the list (so over the categories, not the first few:
    // a prompt whose first candidate comes out in pieces takes longer, and that is commoner for
    // some categories than others).
    {
        std::vector<double> total;
        std::map<std::string, std::vector<double>> stages;
        const fs::path tmp = fs::temp_directory_path() / ("kiln-eval-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".glb");
        for (int r = 0; r < o.latencyRuns; ++r) {
            cancel.throwIfCancelled();
            progress.report("latency " + std::to_string(r + 1), 0.95f + 0.04f * float(r) / float(o.latencyRuns));
            const auto t0 = std::chrono::steady_clock::now();
            TextTo3dOptions lo;
            lo.steps = go.steps;
            lo.guidance = go.guidance;
            lo.surfaceBias = go.surfaceBias;
            lo.temperature = go.temperature;
            lo.candidates = go.candidates;
            lo.decode.splats = false;
            core::Progress quiet;
            const TextTo3dResult g = generator.generate(prompts[std::size_t(r) * prompts.size() / std::size_t(o.latencyRuns)]->caption, lo, quiet, cancel);
            const auto tw = std::chrono::steady_clock::now();
            io::saveAsset(g.assets.front(), tmp, {.overwrite = true});
            const double write = std::chrono::duration<double>(std::chrono::steady_clock::now() - tw).count();
            total.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            for (const auto& [s, sec] : g.stageSeconds) stages[s].push_back(sec);
            stages["write GLB"].push_back(write);
        }
        std::error_code ec;
        fs::remove(tmp, ec);
        rep.latencyMedian = geometry::median(total);
        rep.latencyMax = *std::max_element(total.begin(), total.end());
        for (const auto& [s, v] : stages) rep.latencyStages[s] = geometry::median(v);
    }
    if (!tiles.empty()) rep.sheet = render::composeGrid(tiles, 8);
    progress.report("done", 1.0f);
    return rep;
}

} // namespace kiln::models
