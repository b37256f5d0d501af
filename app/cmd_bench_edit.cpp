// `kiln bench edit`: text-guided appearance edits measured on the library's edit pairs (issue
// "Procedural asset library v2"): a held-out asset P, the same asset with one part group recoloured
// or made of another material (P'), and the instruction between them. Each P (its real textures)
// is edited by the instruction and by P''s caption, with and without the rest of the asset marked
// as kept, beside two baselines: P unchanged, and P's mesh textured from P''s caption from scratch.
// Scored at area-weighted surface points: on the edited group, how much of the colour gap between
// P and P' the edit closed and whether its colour lands within ΔE 20 of P''s; elsewhere, how far
// the colour strayed from P.
#include "cli.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/metrics.h"
#include "io/mesh_io.h"
#include "models/mesh_edit.h"
#include "models/mesh_texture.h"
#include "models/model_paths.h"
#include "models/part_segmenter.h"
#include "models/text_to_3d.h"
#include "procgen/edits.h"
#include "procgen/procgen.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>

namespace fs = std::filesystem;

namespace kiln::app {

std::vector<procgen::AssetParams> benchAssets(const Args& args, int repeat);  // app/cmd_bench.cpp

namespace {

struct Points {
    std::vector<glm::vec3> positions;
    std::vector<glm::vec2> uvs;
    std::vector<int> part, material;
};

Points samplePoints(const procgen::ProcAsset& a, int count) {
    Points p;
    const std::vector<int> materialOf = models::triangleMaterials(a.mesh);
    for (const auto& [t, r1, r2] : geometry::stratifiedPoints(a.mesh, count)) {
        const std::uint32_t* idx = &a.mesh.indices[3 * std::size_t(t)];
        const auto lerp = [&](const auto& v) { return v[idx[0]] + float(r1) * (v[idx[1]] - v[idx[0]]) + float(r2) * (v[idx[2]] - v[idx[0]]); };
        p.positions.push_back(lerp(a.mesh.positions));
        p.uvs.push_back(lerp(a.mesh.uv0));
        p.part.push_back(a.triangleParts[t]);
        p.material.push_back(materialOf[t]);
    }
    return p;
}

// What a mesh's materials show at each point: base colour (linear), roughness, metallic (its
// textures: the library's atlas, or the maps an edit wrote; factors are all one in both).
struct Appearance {
    std::vector<glm::vec3> albedo;
    std::vector<float> roughness, metallic;
};
Appearance appearance(const core::Mesh& m, const Points& p) {
    Appearance out;
    for (std::size_t i = 0; i < p.positions.size(); ++i) {
        const core::Material& mat = m.materials.at(std::size_t(p.material[i]));
        out.albedo.push_back(geometry::sampleBaseColor(m.textures.at(std::size_t(mat.baseColorTexture)).image, p.uvs[i]));
        const core::Image& mr = m.textures.at(std::size_t(mat.metallicRoughnessTexture)).image;
        out.roughness.push_back(geometry::sampleBilinear(mr, p.uvs[i], 1));
        out.metallic.push_back(geometry::sampleBilinear(mr, p.uvs[i], 2));
    }
    return out;
}

struct Score {
    double gapClosed = 0.0;   // edited group's mean colour: 1 - ΔE(result, P') / ΔE(P, P') (NaN: P and P' within ΔE 10)
    double success = 0.0;     // 1 when the edited group's mean colour is within ΔE 20 of P''s
    double strayed = 0.0;     // elsewhere: mean ΔE(result, P)
    double exact = 0.0;       // elsewhere: fraction of points whose colour is P's (ΔE < 1)
};

// A material edit also asks for the group's roughness within 0.15 and metallic within 0.25 of P''s.
Score score(const Appearance& gotA, const Appearance& beforeA, const Appearance& afterA, const std::vector<bool>& edited, bool material) {
    const std::vector<glm::vec3>& got = gotA.albedo;
    const std::vector<glm::vec3>& before = beforeA.albedo;
    const std::vector<glm::vec3>& after = afterA.albedo;
    Score s;
    double strayed = 0.0, exact = 0.0, roughGot = 0.0, roughAfter = 0.0, metalGot = 0.0, metalAfter = 0.0;
    glm::dvec3 meanGot(0.0), meanBefore(0.0), meanAfter(0.0);
    std::size_t ne = 0, no = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (edited[i]) {
            meanGot += glm::dvec3(got[i]), meanBefore += glm::dvec3(before[i]), meanAfter += glm::dvec3(after[i]);
            roughGot += gotA.roughness[i], roughAfter += afterA.roughness[i], metalGot += gotA.metallic[i], metalAfter += afterA.metallic[i];
            ++ne;
        } else {
            const double d = double(core::deltaE76(got[i], before[i]));
            strayed += d;
            exact += d < 1.0;
            ++no;
        }
    }
    s.gapClosed = std::numeric_limits<double>::quiet_NaN();
    if (ne) {
        const glm::vec3 g(meanGot / double(ne)), b(meanBefore / double(ne)), a(meanAfter / double(ne));
        const double gap = double(core::deltaE76(b, a));
        if (gap >= 10.0) s.gapClosed = 1.0 - double(core::deltaE76(g, a)) / gap;
        s.success = core::deltaE76(g, a) < 20.0f;
        if (material)
            s.success = s.success && std::abs(roughGot - roughAfter) / double(ne) <= 0.15 && std::abs(metalGot - metalAfter) / double(ne) <= 0.25;
    }
    if (no) s.strayed = strayed / double(no), s.exact = exact / double(no);
    return s;
}

} // namespace

namespace {

// `kiln bench edit --mode shape|both`: the shape edits of the library's pairs (a proportion longer
// or shorter, another style, a related category), each P edited by P''s caption; scored by how much
// of the Chamfer distance from P to P' the result closed, beside P unchanged and P' generated from
// its caption from scratch (text-to-3d).
int benchShapeEdit(const Args& args, const models::TextTo3dGenerator& generator, const std::vector<procgen::AssetParams>& picks, float strength,
                   models::EditMode mode, const fs::path& out) {
    // --sampler flowedit: FlowEdit from P's caption (--source caption) or from the unconditional
    // velocity (--source none); sdedit (the default): P noised to the strength and re-made.
    const std::string sampler = args.get("sampler", "sdedit"), source = args.get("source", "caption");
    if (sampler != "sdedit" && sampler != "flowedit") throw Error("--sampler " + sampler + ": use sdedit or flowedit");
    if (source != "caption" && source != "none") throw Error("--source " + source + ": use caption (P's own) or none (unconditional)");
    const bool flowEdit = sampler == "flowedit", fromCaption = source == "caption";
    const float guidance = float(args.getDouble("guidance", 3.0, 0.0, 20.0));
    std::printf("kiln bench edit: %s, %zu held-out assets, one proportion / style / category edit each, %s mode, strength %.2f\n", generator.name().c_str(),
                picks.size(), models::toString(mode), strength);
    std::printf("gap = 1 - Chamfer(result, P') / Chamfer(P, P') (metres, 20k samples each); 1 = P' exactly, 0 = no closer than P;\n"
                "P round = P encoded and decoded unchanged (the latent's floor); scratch = P' generated from its caption\n");
    std::printf("%-10s %-10s %-40.40s | %8s | %8s %8s | %8s %8s | %8s %8s | %6s\n", "category", "kind", "caption of P'", "CD(P,P')", "P round", "gap", "scratch",
                "gap", "edit", "gap", "s");
    double sumScratch = 0.0, sumEdit = 0.0, sumRecon = 0.0, sumSeconds = 0.0;
    int n = 0, betterThanScratch = 0;
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < picks.size(); ++i) {
        procgen::EditPair edit;
        bool found = false;
        for (std::uint64_t s = 0; s < 64 && !found; ++s) {
            edit = procgen::randomEdit(picks[i], 0x5AED000ull + i * 131 + s);
            found = edit.kind == procgen::EditKind::Proportion || edit.kind == procgen::EditKind::Style || edit.kind == procgen::EditKind::Category;
        }
        if (!found) continue;
        const procgen::ProcAsset before = procgen::generate(edit.before, {.textureSize = 256});
        const procgen::ProcAsset after = procgen::generate(edit.after, {.textureSize = 0});
        core::Progress quiet;
        models::TextTo3dOptions to;
        to.seed = 1;
        to.decode.splats = false;
        to.decode.textureSize = 256;
        // --generated: the asset edited is Kiln's own text-to-3d sample of P's caption (seed 2), as
        // an artist would edit what Kiln made, scored against the library's P' all the same.
        core::Mesh input = before.mesh;
        if (args.has("generated")) {
            models::TextTo3dOptions from = to;
            from.seed = 2;
            input = *generator.generate(before.caption, from, quiet, {}).assets.front().mesh();
        }
        const double gap0 = geometry::chamferDistance(input, after.mesh, 20000, 7).chamfer;
        if (!(gap0 > 1e-4)) continue;  // the edit barely moved the surface
        const models::TextTo3dResult scratch = generator.generate(after.caption, to, quiet, {});
        const double dScratch = geometry::chamferDistance(*scratch.assets.front().mesh(), after.mesh, 20000, 7).chamfer;
        models::MeshEditOptions eo;
        eo.seed = 1;
        eo.strength = strength;
        eo.mode = mode;
        eo.decode.textureSize = 256;
        eo.flowEdit = flowEdit;
        eo.guidance = guidance;
        if (flowEdit && fromCaption) eo.source = before.caption;
        const models::MeshEditResult r = models::editMesh(generator, input, after.caption, eo, quiet, {});
        const double dEdit = geometry::chamferDistance(r.mesh, after.mesh, 20000, 7).chamfer;
        if (args.has("save-meshes")) {
            // P, P' and the edit side by side, to look at (kiln render).
            char stem[16];
            std::snprintf(stem, sizeof stem, "%02d_", n);
            fs::create_directories(out / "meshes");
            io::exportMesh(input, out / "meshes" / (std::string(stem) + "P.glb"));
            io::exportMesh(after.mesh, out / "meshes" / (std::string(stem) + "Pprime.glb"));
            io::exportMesh(r.mesh, out / "meshes" / (std::string(stem) + "edit.glb"));
        }
        // The latent's own floor: P encoded and decoded with nothing changed.
        models::DecodeOptions d = eo.decode;
        d.splats = false;
        d.surfaceBias = generator.defaultSurfaceBias();
        const double dRecon = geometry::chamferDistance(generator.autoencoder().decode(r.before, d).mesh, after.mesh, 20000, 7).chamfer;
        const double gScratch = 1.0 - dScratch / gap0, gEdit = 1.0 - dEdit / gap0, gRecon = 1.0 - dRecon / gap0;
        const std::string name = procgen::categories()[std::size_t(edit.before.category)].name;
        std::printf("%-10s %-10s %-40.40s | %8.4f | %8.4f %8.2f | %8.4f %8.2f | %8.4f %8.2f | %6.2f\n", name.c_str(), procgen::toString(edit.kind), after.caption.c_str(),
                    gap0, dRecon, gRecon, dScratch, gScratch, dEdit, gEdit, r.seconds);
        std::fflush(stdout);
        sumScratch += gScratch, sumEdit += gEdit, sumRecon += gRecon, sumSeconds += r.seconds, ++n;
        betterThanScratch += dEdit < dScratch;
        rows.push_back({{"category", name}, {"kind", procgen::toString(edit.kind)}, {"source", before.caption}, {"caption", after.caption}, {"chamferBefore", gap0},
                        {"chamferScratch", dScratch}, {"chamferRoundTrip", dRecon}, {"chamferEdit", dEdit}, {"seconds", r.seconds}});
    }
    if (n == 0) throw Error("kiln bench edit: no shape edit among the assets");
    std::printf("\nmean over %d shape edits: gap closed by the edit %.2f, by generating P' from its caption %.2f, by P's own round trip through the latent %.2f "
                "(0 = P unchanged); the edit nearer P' than the caption's own generation in %d of %d; %.2f s per edit\n", n, sumEdit / n, sumScratch / n,
                sumRecon / n, betterThanScratch, n, sumSeconds / n);
    nlohmann::ordered_json summary{{"edits", n}, {"mode", models::toString(mode)}, {"strength", strength}, {"gapClosedEdit", sumEdit / n},
                                   {"gapClosedScratch", sumScratch / n}, {"gapClosedRoundTrip", sumRecon / n}, {"editNearer", betterThanScratch}, {"seconds", sumSeconds / n}, {"perEdit", rows}};
    std::ofstream(out / "bench_edit_shape.json") << summary.dump(2) << "\n";
    return 0;
}

} // namespace

int benchEdit(const Args& args) {
    const int repeat = args.getInt("repeat", 24, 1, 1000);
    const float strength = float(args.getDouble("strength", 0.8, 0.01, 1.0));
    const int resolution = args.getInt("resolution", 512, 256, 4096);
    models::checkTextureResolution(resolution);
    const std::vector<procgen::AssetParams> picks = benchAssets(args, repeat);
    const fs::path out = args.has("out") ? fs::path(args.get("out")) : fs::temp_directory_path() / "kiln_bench_edit";
    fs::create_directories(out);
    const models::TextTo3dGenerator generator(args.has("model") ? fs::path(args.get("model")) : models::defaultModelDir("text-to-3d"),
                                              args.has("autoencoder") ? fs::path(args.get("autoencoder")) : models::defaultModelDir("shape-autoencoder"));
    if (const models::EditMode mode = models::parseEditMode(args.get("mode", "appearance")); mode != models::EditMode::Appearance)
        return benchShapeEdit(args, generator, picks, strength, mode, out);
    std::printf("kiln bench edit: %s, %d held-out assets, one recolour or material edit each (the library's edit pairs), appearance mode, strength %.2f, %d^2 maps\n",
                generator.name().c_str(), repeat, strength, resolution);
    std::printf("gap = share of the edited group's colour gap from P to P' closed (mean colours; - where they are within ΔE 10); ok = its mean colour within ΔE 20 of P''s;\n"
                "strayed = ΔE from P (its own textures) elsewhere\n");
    const char* runs[] = {"unchanged (baseline)", "P' caption from scratch (baseline)", "instruction", "P' caption", "instruction, rest kept", "P' caption, rest kept",
                          "instruction, unnamed mesh"};
    constexpr int kRuns = 7;
    // The last run strips the mesh's part and material names, so the instruction's part words are
    // found by the part segmenter (or, without one, the whole asset is edited).
    std::unique_ptr<models::PartSegmenter> segmenter;
    const fs::path segmenterDir = args.has("part-segmenter") ? fs::path(args.get("part-segmenter")) : models::defaultModelDirIfAny("part-segmenter");
    if (!segmenterDir.empty()) segmenter = std::make_unique<models::PartSegmenter>(segmenterDir, &generator.autoencoder());
    std::printf("unnamed mesh: the part and material names removed, parts found by %s\n", segmenter ? segmenter->name().c_str() : "nothing (no part segmenter)");
    double regionIoU = 0.0;
    int regions = 0;
    Score sums[kRuns];
    int gaps[kRuns] = {};
    double editSeconds = 0.0;
    int edits = 0;
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    std::printf("%-10s %-9s %-34.34s |", "category", "kind", "instruction");
    for (int k = 0; k < kRuns; ++k) std::printf(" %-17.17s|", runs[k]);
    std::printf("\n");
    for (std::size_t i = 0; i < picks.size(); ++i) {
        // An appearance edit of this asset (recolour or material), chosen by seed.
        procgen::EditPair edit;
        bool found = false;
        for (std::uint64_t s = 0; s < 64 && !found; ++s) {
            edit = procgen::randomEdit(picks[i], 0xED17000ull + i * 131 + s);
            found = edit.kind == procgen::EditKind::Recolour || edit.kind == procgen::EditKind::Material;
        }
        if (!found) continue;
        const procgen::ProcAsset before = procgen::generate(edit.before, {.textureSize = resolution});
        const procgen::ProcAsset after = procgen::generate(edit.after, {.textureSize = 0});
        const Points pts = samplePoints(before, 8000);
        // P as its own textures show it (what an unchanged asset reads back exactly); P' as its
        // materials define it.
        const Appearance real = appearance(before.mesh, pts);
        Appearance target;
        std::vector<bool> edited;
        for (std::size_t k = 0; k < pts.positions.size(); ++k) {
            const procgen::SurfacePoint sp = procgen::surfaceAt(after, pts.part[k], pts.positions[k]);
            target.albedo.push_back(sp.albedo), target.roughness.push_back(sp.roughness), target.metallic.push_back(sp.metallic);
            edited.push_back(before.parts[std::size_t(pts.part[k])].group == edit.group);
        }
        std::vector<std::uint8_t> rest(before.mesh.triangleCount(), 0);
        for (std::size_t t = 0; t < rest.size(); ++t) rest[t] = before.parts[before.triangleParts[t]].group != edit.group;
        // An edit of the whole asset (one material group) has no rest to keep: measured without.
        const bool hasRest = std::find(rest.begin(), rest.end(), 1) != rest.end();
        const bool material = edit.kind == procgen::EditKind::Material;
        core::Progress quiet;
        Score s[kRuns];
        s[0] = score(real, real, target, edited, material);
        {
            models::MeshTextureOptions to;
            to.resolution = resolution;
            to.seed = 1;
            s[1] = score(appearance(models::applyMaterialMaps(before.mesh, models::generateMeshTexture(generator, before.mesh, after.caption, to, quiet, {}).maps), pts),
                         real, target, edited, material);
        }
        for (int k = 2; k < kRuns; ++k) {
            if (k >= 4 && !hasRest) {
                s[k] = s[k - 2];
                continue;
            }
            models::MeshEditOptions eo;
            eo.seed = 1;
            eo.strength = strength;
            eo.resolution = resolution;
            if (k == 4 || k == 5) eo.keep.triangles = rest;
            const std::string prompt = (k % 2 == 0) ? edit.instruction : after.caption;
            std::optional<core::Mesh> unnamed;  // a copy only for the run that needs one (the textures come with it)
            if (k == 6) {
                unnamed = before.mesh;
                for (std::size_t m = 0; m < unnamed->submeshes.size(); ++m) unnamed->submeshes[m].name = "part " + std::to_string(m);
                for (std::size_t m = 0; m < unnamed->materials.size(); ++m) unnamed->materials[m].name = "material " + std::to_string(m);
                eo.parts = segmenter.get();
            }
            const models::MeshEditResult r = models::editMesh(generator, unnamed ? *unnamed : before.mesh, prompt, eo, quiet, {});
            if (k == 6) io::exportMesh(r.mesh, (out / (std::to_string(100 + i) + "_edit_unnamed.glb")).string());
            if (k == 6 && hasRest) {
                // The region it edited against the group the instruction names.
                double both = 0.0, either = 0.0;
                for (std::size_t t = 0; t < rest.size(); ++t) {
                    const bool found = r.keptTriangle.empty() || !r.keptTriangle[t];
                    both += found && !rest[t];
                    either += found || !rest[t];
                }
                regionIoU += either > 0.0 ? both / either : 0.0;
                ++regions;
            }
            if (k == 2) editSeconds += r.seconds;
            s[k] = score(appearance(r.mesh, pts), real, target, edited, material);
            // P, P' and the instruction's edit with the rest kept, to look at side by side.
            if (k == 4) {
                const std::string stem = (out / (std::to_string(100 + i) + "_")).string();
                io::exportMesh(before.mesh, stem + "P.glb");
                io::exportMesh(procgen::generate(edit.after, {.textureSize = resolution}).mesh, stem + "P2.glb");
                io::exportMesh(r.mesh, stem + "edit.glb");
            }
        }
        ++edits;
        const std::string name = procgen::categories()[std::size_t(edit.before.category)].name;
        std::printf("%-10s %-9s %-34.34s |", name.c_str(), procgen::toString(edit.kind), edit.instruction.c_str());
        nlohmann::ordered_json row = {{"category", name}, {"kind", procgen::toString(edit.kind)}, {"instruction", edit.instruction}, {"caption", after.caption}};
        for (int k = 0; k < kRuns; ++k) {
            if (std::isnan(s[k].gapClosed)) std::printf("   -  ");
            else std::printf(" %5.2f", s[k].gapClosed);
            std::printf(" %s %6.2f   |", s[k].success > 0 ? "ok" : "--", s[k].strayed);
            if (!std::isnan(s[k].gapClosed)) sums[k].gapClosed += s[k].gapClosed, ++gaps[k];
            sums[k].success += s[k].success, sums[k].strayed += s[k].strayed, sums[k].exact += s[k].exact;
            row[runs[k]] = {{"gapClosed", std::isnan(s[k].gapClosed) ? nlohmann::ordered_json() : nlohmann::ordered_json(s[k].gapClosed)}, {"success", s[k].success}, {"strayedDeltaE", s[k].strayed}, {"exactElsewhere", s[k].exact}};
        }
        std::printf("\n");
        std::fflush(stdout);
        rows.push_back(row);
    }
    if (edits == 0) throw Error("kiln bench edit: no appearance edit among the assets");
    std::printf("\nmean over %d edits:\n", edits);
    nlohmann::ordered_json summary{{"edits", edits}, {"strength", strength}, {"resolution", resolution}, {"model", generator.name()}};
    for (int k = 0; k < kRuns; ++k) {
        const double n = double(edits);
        const double gap = gaps[k] ? sums[k].gapClosed / gaps[k] : 0.0;
        std::printf("  %-36s gap closed %5.2f (%d colour edits)   edited group right %5.1f %%   elsewhere ΔE %5.2f from P (%5.1f %% of points as P's)\n", runs[k],
                    gap, gaps[k], 100.0 * sums[k].success / n, sums[k].strayed / n, 100.0 * sums[k].exact / n);
        summary[runs[k]] = {{"gapClosed", gap}, {"colourEdits", gaps[k]}, {"success", sums[k].success / n}, {"strayedDeltaE", sums[k].strayed / n}, {"exactElsewhere", sums[k].exact / n}};
    }
    if (regions > 0) {
        std::printf("  unnamed mesh: region edited vs the group the instruction names, IoU %.3f (%d edits with a rest)\n", regionIoU / regions, regions);
        summary["unnamedRegionIoU"] = regionIoU / regions;
        summary["partSegmenter"] = segmenter ? segmenter->name() : std::string();
    }
    std::printf("  one edit (encode, sampling, texels) at %d^2: %.2f s mean\n", resolution, editSeconds / edits);
    summary["editSeconds"] = editSeconds / edits;
    summary["perEdit"] = rows;
    std::ofstream(out / "bench_edit.json") << summary.dump(2) << "\n";
    std::printf("wrote %s\n", (out / "bench_edit.json").string().c_str());
    return 0;
}

} // namespace kiln::app
