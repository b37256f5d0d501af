#include "models/mesh_edit.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/closest_point.h"
#include "geometry/metrics.h"
#include "geometry/uv_raster.h"
#include "models/part_segmenter.h"
#include "models/text_to_3d.h"
#include "procgen/materials.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

namespace kiln::models {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

std::uint8_t unitByte(float v) { return std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); }

// The input's own appearance at a point of triangle `t` (barycentric `b`): its material's look
// there (materialLook) times its vertex colours (linear albedo, roughness, metallic).
MaterialLook lookAt(const core::Mesh& m, const std::vector<int>& materialOf, std::size_t t, const glm::vec3& b) {
    MaterialLook l{glm::vec3(0.8f), 0.5f, 0.0f};
    const std::uint32_t* idx = &m.indices[3 * t];
    if (const int mi = materialOf[t]; mi >= 0 && std::size_t(mi) < m.materials.size()) {
        const bool uvs = m.uv0.size() == m.positions.size();
        const glm::vec2 uv = uvs ? b.x * m.uv0[idx[0]] + b.y * m.uv0[idx[1]] + b.z * m.uv0[idx[2]] : glm::vec2(0.0f);
        l = materialLook(m, m.materials[std::size_t(mi)], uvs ? &uv : nullptr);
    }
    if (m.colors.size() == m.positions.size()) l.albedo *= glm::vec3(b.x * m.colors[idx[0]] + b.y * m.colors[idx[1]] + b.z * m.colors[idx[2]]);
    return l;
}

// Appends the triangles of `src` that `take` marks (their vertices, attributes, materials and
// textures) to `dst`, one submesh per material.
void appendTriangles(core::Mesh& dst, const core::Mesh& src, const std::vector<std::uint8_t>& take) {
    const std::vector<int> materialOf = triangleMaterials(src);
    const bool normals = src.normals.size() == src.positions.size(), uvs = src.uv0.size() == src.positions.size(),
               colours = src.colors.size() == src.positions.size();
    // Attributes one side has and the other not are padded.
    const std::size_t base = dst.positions.size();
    if (uvs && dst.uv0.size() != base) dst.uv0.resize(base, glm::vec2(0.0f));
    if (colours && dst.colors.size() != base) dst.colors.resize(base, glm::vec4(1.0f));
    const auto textureMap = [&](int index) {
        if (!meshTexture(src, index)) return -1;
        dst.textures.push_back(src.textures[std::size_t(index)]);
        return int(dst.textures.size() - 1);
    };
    std::map<int, std::vector<std::uint32_t>> byMaterial;
    for (std::size_t t = 0; t < take.size(); ++t)
        if (take[t]) byMaterial[materialOf[t]].push_back(std::uint32_t(t));
    std::map<std::uint32_t, std::uint32_t> vertexMap;
    for (const auto& [material, tris] : byMaterial) {
        int mi = -1;
        if (material >= 0 && std::size_t(material) < src.materials.size()) {
            core::Material m = src.materials[std::size_t(material)];
            m.baseColorTexture = textureMap(m.baseColorTexture);
            m.metallicRoughnessTexture = textureMap(m.metallicRoughnessTexture);
            m.normalTexture = textureMap(m.normalTexture);
            m.occlusionTexture = textureMap(m.occlusionTexture);
            m.emissiveTexture = textureMap(m.emissiveTexture);
            m.name += " (kept)";
            dst.materials.push_back(m);
            mi = int(dst.materials.size() - 1);
        }
        core::Submesh s;
        s.name = "kept";
        s.material = mi;
        s.firstIndex = std::uint32_t(dst.indices.size());
        for (const auto t : tris)
            for (int k = 0; k < 3; ++k) {
                const std::uint32_t v = src.indices[3 * std::size_t(t) + std::size_t(k)];
                auto it = vertexMap.find(v);
                if (it == vertexMap.end()) {
                    it = vertexMap.emplace(v, std::uint32_t(dst.positions.size())).first;
                    dst.positions.push_back(src.positions[v]);
                    if (!dst.normals.empty() || normals) {
                        dst.normals.resize(dst.positions.size() - 1, glm::vec3(0, 1, 0));
                        dst.normals.push_back(normals ? src.normals[v] : glm::vec3(0, 1, 0));
                    }
                    if (!dst.uv0.empty()) dst.uv0.push_back(uvs ? src.uv0[v] : glm::vec2(0.0f));
                    if (!dst.colors.empty()) dst.colors.push_back(colours ? src.colors[v] : glm::vec4(1.0f));
                }
                dst.indices.push_back(it->second);
            }
        s.indexCount = std::uint32_t(dst.indices.size()) - s.firstIndex;
        s.firstVertex = 0;
        s.vertexCount = std::uint32_t(dst.positions.size());
        dst.submeshes.push_back(s);
    }
}

// The words of a text, lower case, letters only.
std::vector<std::string> lowerWords(const std::string& text) {
    std::vector<std::string> out;
    std::string w;
    for (const char c : text + " ") {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            w.push_back(char(std::tolower(static_cast<unsigned char>(c))));
        } else if (!w.empty()) {
            out.push_back(w);
            w.clear();
        }
    }
    return out;
}

} // namespace

EditMode parseEditMode(const std::string& text) {
    if (text == "appearance") return EditMode::Appearance;
    if (text == "shape") return EditMode::Shape;
    if (text == "both") return EditMode::Both;
    throw Error("--mode " + text + ": one of appearance, shape, both");
}

const char* toString(EditMode mode) {
    switch (mode) {
    case EditMode::Appearance: return "appearance";
    case EditMode::Shape: return "shape";
    case EditMode::Both: return "both";
    }
    return "?";
}

core::Bounds parseKeepBox(const std::string& text) { return core::parseBounds(text, "--keep-box"); }

std::vector<std::string> instructionPartWords(const std::string& prompt) {
    const std::vector<std::string> said = lowerWords(prompt);
    static const std::set<std::string> verbs = {"make", "turn", "paint", "repaint", "change", "colour", "color", "give"};
    if (said.empty() || !verbs.count(said.front())) return {};
    // Words that say how, not which part: the instruction's own, and the colours and materials.
    static const std::set<std::string> ignored = [] {
        std::set<std::string> w = {"the", "its", "and", "with", "into", "all", "make", "turn", "paint", "repaint", "change", "colour", "color", "give",
                                   "material", "default", "part", "mesh", "object", "more", "less", "bit", "very"};
        for (const auto& c : procgen::palette()) w.insert(c.name);
        for (const auto& m : procgen::materials()) {
            w.insert(m.word);
            w.insert(m.noun);
        }
        return w;
    }();
    std::vector<std::string> wanted;
    for (const std::string& w : said)
        if (!ignored.count(w) && w.size() > 2 && std::find(wanted.begin(), wanted.end(), singularWord(w)) == wanted.end()) wanted.push_back(singularWord(w));
    return wanted;
}

std::vector<std::uint8_t> namedPartTriangles(const core::Mesh& m, const std::string& prompt, std::vector<std::string>* names) {
    const std::vector<std::string> said = instructionPartWords(prompt);
    if (said.empty()) return {};
    const std::set<std::string> wanted(said.begin(), said.end());
    std::vector<std::uint8_t> named(m.triangleCount(), 0);
    const auto matches = [&](const std::string& name) {
        for (const std::string& w : lowerWords(name))
            if (wanted.count(singularWord(w))) return true;
        return false;
    };
    bool any = false;
    for (const auto& s : m.submeshes) {
        const bool byMaterial = s.material >= 0 && std::size_t(s.material) < m.materials.size() && matches(m.materials[std::size_t(s.material)].name);
        if (!byMaterial && !matches(s.name)) continue;
        const std::string name = byMaterial ? m.materials[std::size_t(s.material)].name : s.name;
        if (names && std::find(names->begin(), names->end(), name) == names->end()) names->push_back(name);
        for (std::uint32_t t = s.firstIndex / 3; t < (s.firstIndex + s.indexCount) / 3 && t < named.size(); ++t) named[t] = 1;
        any = true;
    }
    if (!any || std::all_of(named.begin(), named.end(), [](std::uint8_t v) { return v != 0; })) {
        if (names) names->clear();
        return {};
    }
    return named;
}

std::vector<std::uint8_t> keptTriangles(const core::Mesh& m, const KeepRegion& keep) {
    const std::size_t tris = m.triangleCount();
    std::vector<std::uint8_t> kept(tris, 0);
    if (keep.empty()) return kept;
    if (keep.mask && m.uv0.size() != m.positions.size()) throw Error("--keep-mask: the mesh has no UVs to read a mask image with; use --keep-box");
    if (!keep.triangles.empty() && keep.triangles.size() != tris)
        throw Error("keep region: " + std::to_string(keep.triangles.size()) + " triangle marks for a mesh of " + std::to_string(tris) + " triangles");
    const auto inside = [&](const glm::vec3& p) {
        return p.x >= keep.box->min.x && p.x <= keep.box->max.x && p.y >= keep.box->min.y && p.y <= keep.box->max.y && p.z >= keep.box->min.z &&
               p.z <= keep.box->max.z;
    };
    std::size_t count = 0;
    for (std::size_t t = 0; t < tris; ++t) {
        const std::uint32_t* idx = &m.indices[3 * t];
        bool k = !keep.triangles.empty() && keep.triangles[t];
        if (!k && keep.box) k = inside(m.positions[idx[0]]) && inside(m.positions[idx[1]]) && inside(m.positions[idx[2]]);
        if (!k && keep.mask) {
            glm::vec2 uv = (m.uv0[idx[0]] + m.uv0[idx[1]] + m.uv0[idx[2]]) / 3.0f;
            uv -= glm::floor(uv);
            k = geometry::sampleBilinear(*keep.mask, uv, 0) > 0.5f;
        }
        kept[t] = k;
        count += k;
    }
    if (count == 0) throw Error("the keep region keeps nothing: no triangle lies wholly inside it (give a region on the mesh, or none)");
    if (count == tris) throw Error("the keep region keeps every triangle: there is nothing left to edit");
    return kept;
}

std::vector<std::uint8_t> transferTriangleMarks(const core::Mesh& from, const std::vector<std::uint8_t>& marks, const core::Mesh& to) {
    if (marks.size() != from.triangleCount())
        throw Error("keep region: " + std::to_string(marks.size()) + " triangle marks for a mesh of " + std::to_string(from.triangleCount()) + " triangles");
    std::vector<std::uint8_t> out(to.triangleCount(), 0);
    if (from.triangleCount() == 0) return out;
    const geometry::TriangleBvh bvh(from);
    for (std::size_t t = 0; t < out.size(); ++t) {
        const std::uint32_t* idx = &to.indices[3 * t];
        const glm::vec3 c = (to.positions[idx[0]] + to.positions[idx[1]] + to.positions[idx[2]]) / 3.0f;
        if (const auto hit = bvh.closest(c, std::numeric_limits<float>::max())) out[t] = marks[hit->triangle];
    }
    return out;
}

std::string editSource(const std::string& given, const core::Provenance& asset) {
    if (!given.empty()) return given;
    return asset.source == "generate:text" ? asset.prompt : std::string();
}

MeshEditResult editMesh(const TextTo3dGenerator& generator, const core::Mesh& mesh, const std::string& prompt, const MeshEditOptions& o,
                        core::Progress& progress, const core::CancelToken& cancel) {
    const auto t0 = std::chrono::steady_clock::now();
    checkPromptNotEmpty(prompt);
    if (!(o.strength > 0.0f && o.strength <= 1.0f)) throw Error("--strength " + std::to_string(o.strength) + " is out of range (0..1, above 0)");
    if (mesh.triangleCount() == 0) throw Error("edit: the mesh has no triangles");
    const bool appearance = o.mode == EditMode::Appearance;
    const bool hasUvs = mesh.uv0.size() == mesh.positions.size();
    if (appearance && hasUvs) checkTextureLayout(mesh, "edit");
    if (o.resolution != 0) checkTextureResolution(o.resolution);
    const ShapeLatentModel& ae = generator.autoencoder();
    MeshEditResult r;
    r.keptTriangle = o.keep.empty() ? std::vector<std::uint8_t>{} : keptTriangles(mesh, o.keep);
    if (o.keep.empty() && o.matchParts) {
        // An instruction naming some of the mesh's parts keeps the others.
        const std::vector<std::uint8_t> named = namedPartTriangles(mesh, prompt, &r.namedParts);
        if (!named.empty()) {
            r.keptTriangle.resize(named.size());
            for (std::size_t t = 0; t < named.size(); ++t) r.keptTriangle[t] = !named[t];
        }
    }
    const std::vector<int> materialOf = triangleMaterials(mesh);

    // 1. The asset in the latent, with its own appearance.
    auto t = std::chrono::steady_clock::now();
    progress.report("encoding the mesh", 0.02f);
    r.before = encodeMesh(ae, mesh, o.surfaceSamples);
    const LatentFrame frame = r.before.frame;
    double partsSeconds = 0.0;
    if (r.keptTriangle.empty() && o.keep.empty() && o.matchParts && o.parts) {
        // An instruction naming a part the mesh has no name for: the part segmenter finds it.
        const auto tp = std::chrono::steady_clock::now();
        const std::vector<std::string> words = instructionPartWords(prompt);
        std::vector<std::string> matched;
        // The segmenter reads its own token count (a finer encoding than the edit's, when trained on one).
        const int segTokens = o.parts->tokens();
        std::vector<std::uint8_t> named;
        if (!words.empty())
            named = o.parts->trianglesNamed(segTokens == 0 || segTokens == r.before.tokens ? r.before : encodeMesh(ae, mesh, o.surfaceSamples, false, segTokens), mesh,
                                            words, &matched);
        const auto count = std::size_t(std::count(named.begin(), named.end(), std::uint8_t(1)));
        if (count > 0 && count < named.size()) {
            r.keptTriangle.resize(named.size());
            for (std::size_t tri = 0; tri < named.size(); ++tri) r.keptTriangle[tri] = !named[tri];
            // The artist's own words ("legs"), not their singular forms.
            const std::vector<std::string> said = lowerWords(prompt);
            for (const std::string& m : matched) {
                const auto w = std::find_if(said.begin(), said.end(), [&](const std::string& x) { return singularWord(x) == m; });
                r.namedParts.push_back(w != said.end() ? *w : m);
            }
            r.partsFound = count;
        }
        partsSeconds = secondsSince(tp);
    }
    const bool keeping = !r.keptTriangle.empty();
    std::optional<geometry::TriangleBvh> bvh;
    if (keeping || !appearance) bvh.emplace(mesh);
    r.keptTokens.assign(std::size_t(r.before.tokens), 0);
    std::vector<bool> keepTokens;
    if (keeping) {
        // A token is kept when the surface nearest its anchor is kept and no edited surface lies
        // within kTokenMargin of it (normalised frame): a token at the border also shapes the
        // edited side, where holding it would leave the old look in patches. The kept triangles
        // themselves are put back from the input whatever their tokens (write-back, below).
        constexpr float kTokenMargin = 0.25f;
        core::Mesh edited = mesh;
        edited.indices.clear();
        for (std::size_t tri = 0; tri < r.keptTriangle.size(); ++tri)
            if (!r.keptTriangle[tri]) edited.indices.insert(edited.indices.end(), mesh.indices.begin() + 3 * std::ptrdiff_t(tri), mesh.indices.begin() + 3 * std::ptrdiff_t(tri) + 3);
        const geometry::TriangleBvh editedBvh(edited);
        const float margin = kTokenMargin / frame.scale;
        keepTokens.assign(std::size_t(r.before.tokens), false);
        for (int i = 0; i < r.before.tokens; ++i) {
            const glm::vec3 a(r.before.anchors[3 * std::size_t(i)], r.before.anchors[3 * std::size_t(i) + 1], r.before.anchors[3 * std::size_t(i) + 2]);
            const glm::vec3 p = frame.fromNormalised(a);
            const auto hit = bvh->closest(p, std::numeric_limits<float>::max());
            const bool k = hit && r.keptTriangle[hit->triangle] && !editedBvh.closest(p, margin);
            keepTokens[std::size_t(i)] = k;
            r.keptTokens[std::size_t(i)] = k;
        }
    }
    r.stageSeconds.emplace_back("encode", secondsSince(t) - partsSeconds);
    if (partsSeconds > 0.0) r.stageSeconds.emplace_back("parts", partsSeconds);
    cancel.throwIfCancelled();

    // 2. The edit.
    t = std::chrono::steady_clock::now();
    progress.report("editing in the latent", 0.1f);
    r.after = generator.sampleEdit(prompt, r.before,
                                   {.seed = o.seed,
                                    .steps = o.steps,
                                    .guidance = o.guidance,
                                    .strength = o.strength,
                                    .holdShape = appearance,
                                    .holdSize = appearance || keeping,  // a kept region stays where it is
                                    .keepTokens = keepTokens,
                                    .flowEdit = o.flowEdit,
                                    .source = o.source},
                                   cancel, &r.unknownWords, [&](int step, const ShapeLatent* estimate) {
                                       progress.report("editing step " + std::to_string(step + 1) + "/" + std::to_string(o.steps),
                                                       0.1f + 0.3f * float(step + 1) / float(o.steps));
                                       if (estimate && step + 1 < o.steps) progress.preview(generator.previewAsset(*estimate, prompt));
                                   });
    r.stageSeconds.emplace_back("sampling", secondsSince(t));
    // An instruction's verbs and pronouns ("make it blue", "turn the legs into metal") are not
    // the model's vocabulary and need no note.
    static const std::set<std::string> instruction = {"make", "it", "its", "turn", "into", "give", "change", "paint", "repaint", "them", "they",
                                                      "to", "please", "colour", "color", "now", "instead", "all", "whole"};
    std::erase_if(r.unknownWords, [&](const std::string& w) {
        if (instruction.count(w)) return true;
        // A word that named a part of the mesh did its job.
        std::string lower;
        for (const auto& name : r.namedParts) lower += " " + name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
        std::string stem = w;
        if (stem.size() > 3 && stem.back() == 's') stem.pop_back();
        return !r.namedParts.empty() && lower.find(stem) != std::string::npos;
    });
    cancel.throwIfCancelled();

    // 3. Written back.
    t = std::chrono::steady_clock::now();
    if (appearance && hasUvs) {
        // New maps in the mesh's own layout; then the kept triangles' texels are the input's own.
        progress.report("baking into the mesh's UVs", 0.4f);
        // Materials whose every triangle is kept are left exactly as they are (not re-baked).
        core::Mesh changing = mesh;
        if (keeping) {
            std::set<int> changes;
            for (std::size_t t = 0; t < materialOf.size(); ++t)
                if (!r.keptTriangle[t]) changes.insert(materialOf[t]);
            std::erase_if(changing.submeshes, [&](const core::Submesh& s) { return !changes.count(s.material); });
        }
        MeshTextureOptions to;
        to.normalMaps = o.normalMaps;
        to.resolution = o.resolution;
        if (to.resolution == 0) {
            // The largest base-colour texture among the materials that change.
            int largest = 0;
            for (const auto& sub : changing.submeshes)
                if (sub.material >= 0 && std::size_t(sub.material) < mesh.materials.size())
                    if (const core::Image* img = meshTexture(mesh, mesh.materials[std::size_t(sub.material)].baseColorTexture))
                        largest = std::max(largest, std::max(img->width, img->height));
            to.resolution = 1024;
            if (largest > 0) {
                to.resolution = 256;
                while (to.resolution < largest && to.resolution < 4096) to.resolution *= 2;
            }
        }
        core::Progress quiet;
        MeshTextureResult baked = bakeLatentIntoLayout(ae, r.after, changing, prompt, to, quiet, cancel);
        const int size = to.resolution;
        for (auto& maps : baked.maps) {
            if (!keeping) break;
            // The material's triangles as a layout (global triangle of each local one).
            std::vector<std::uint32_t> global;
            const core::Mesh layout = materialLayout(mesh, maps.material, maps.udimTile, nullptr, &global);
            const geometry::UvRaster raster = geometry::rasterizeUv(layout, size);
            // Where UVs overlap (mirrored halves), a texel a kept triangle maps to is kept even when
            // the raster gave it to an edited triangle: the kept region's promise wins.
            std::vector<std::pair<std::int32_t, glm::vec3>> keptOverlap(raster.triangle.size(), {-1, glm::vec3(0.0f)});
            for (const geometry::UvOverlapSample& o : geometry::overlapSamples(layout, raster))
                if (r.keptTriangle[global[std::size_t(o.triangle)]]) keptOverlap[o.texel] = {o.triangle, o.barycentric};
            const core::Material* mat = maps.material >= 0 && std::size_t(maps.material) < mesh.materials.size() ? &mesh.materials[std::size_t(maps.material)] : nullptr;
            const core::Image* base = mat ? meshTexture(mesh, mat->baseColorTexture) : nullptr;
            const core::Image* mr = mat ? meshTexture(mesh, mat->metallicRoughnessTexture) : nullptr;
            // Byte for byte where the input's texture has the new map's size and factors of one.
            const bool exactBase = base && base->type == core::PixelType::U8 && base->width == size && base->height == size && base->channels >= 3 &&
                                   mat->baseColorFactor == glm::vec4(1.0f, 1.0f, 1.0f, mat->baseColorFactor.a) && mesh.colors.empty();
            const bool exactMr = mr && mr->type == core::PixelType::U8 && mr->width == size && mr->height == size && mr->channels >= 3 &&
                                 mat->roughnessFactor == 1.0f && mat->metallicFactor == 1.0f;
            for (std::size_t k = 0; k < raster.triangle.size(); ++k) {
                if (!raster.covered(k)) continue;
                std::uint32_t tri = global[std::size_t(raster.triangle[k])];
                glm::vec3 bary = raster.barycentric[k];
                if (!r.keptTriangle[tri]) {
                    if (keptOverlap[k].first < 0) continue;
                    tri = global[std::size_t(keptOverlap[k].first)];
                    bary = keptOverlap[k].second;
                }
                const MaterialLook look = lookAt(mesh, materialOf, tri, bary);
                for (int c = 0; c < 3; ++c) {
                    maps.baseColor.u8[3 * k + std::size_t(c)] =
                        exactBase ? base->u8[std::size_t(base->channels) * k + std::size_t(c)] : unitByte(core::srgbFromLinear(look.albedo[c]));
                }
                if (exactMr)
                    for (int c = 0; c < 3; ++c) maps.metallicRoughness.u8[3 * k + std::size_t(c)] = mr->u8[std::size_t(mr->channels) * k + std::size_t(c)];
                else
                    maps.metallicRoughness.u8[3 * k] = 255, maps.metallicRoughness.u8[3 * k + 1] = unitByte(look.roughness),
                                                      maps.metallicRoughness.u8[3 * k + 2] = unitByte(look.metallic);
                if (!maps.normal.empty()) maps.normal.u8[3 * k] = 128, maps.normal.u8[3 * k + 1] = 128, maps.normal.u8[3 * k + 2] = 255;
                ++r.keptTexels;
            }
        }
        r.maps = std::move(baked.maps);
        r.mesh = applyMaterialMaps(mesh, r.maps);
        r.stageSeconds.emplace_back("texels", secondsSince(t));
    } else if (appearance) {
        // No UVs: the edit goes into the vertex colours (the materials' colour factors become
        // white so the colours show as they are; kept vertices take their old colour times it).
        progress.report("colouring the vertices", 0.4f);
        std::vector<glm::vec3> points;
        for (const auto& p : mesh.positions) points.push_back(frame.toNormalised(p));
        std::vector<glm::vec3> albedo;
        std::vector<float> rough, metal;
        ae.field(r.after, points, nullptr, &albedo, &rough, &metal);
        r.mesh = mesh;
        r.vertexColours = true;
        r.mesh.colors.assign(mesh.positions.size(), glm::vec4(1.0f));
        for (std::size_t v = 0; v < mesh.positions.size(); ++v) r.mesh.colors[v] = glm::vec4(glm::clamp(albedo[v], 0.0f, 1.0f), 1.0f);
        std::vector<std::uint8_t> keptVertex(mesh.positions.size(), 0);
        std::map<int, std::pair<double, int>> roughSum, metalSum;
        std::map<int, bool> materialKept;
        for (std::size_t tri = 0; tri < mesh.triangleCount(); ++tri) {
            const bool k = keeping && r.keptTriangle[tri];
            if (k) materialKept[materialOf[tri]] = true;
            for (int c = 0; c < 3; ++c) {
                const std::uint32_t v = mesh.indices[3 * tri + std::size_t(c)];
                if (k) {
                    keptVertex[v] = 1;
                    const glm::vec3 b(c == 0, c == 1, c == 2);
                    const MaterialLook look = lookAt(mesh, materialOf, tri, b);
                    r.mesh.colors[v] = glm::vec4(look.albedo, mesh.colors.size() == mesh.positions.size() ? mesh.colors[v].a : 1.0f);
                } else if (!keptVertex[v]) {
                    roughSum[materialOf[tri]].first += rough[v], roughSum[materialOf[tri]].second += 1;
                    metalSum[materialOf[tri]].first += metal[v], metalSum[materialOf[tri]].second += 1;
                }
            }
        }
        for (std::size_t mi = 0; mi < r.mesh.materials.size(); ++mi) {
            core::Material& mat = r.mesh.materials[mi];
            mat.baseColorFactor = glm::vec4(1.0f, 1.0f, 1.0f, mat.baseColorFactor.a);
            if (!materialKept[int(mi)] && roughSum.count(int(mi))) {
                mat.roughnessFactor = float(roughSum[int(mi)].first / std::max(1, roughSum[int(mi)].second));
                mat.metallicFactor = float(metalSum[int(mi)].first / std::max(1, metalSum[int(mi)].second));
            }
        }
        r.stageSeconds.emplace_back("vertex colours", secondsSince(t));
    } else {
        // A new surface from the edited latent.
        progress.report("decoding the edited shape", 0.4f);
        DecodeOptions d = o.decode;
        d.splats = false;
        // The surface level the text model's own generations are decoded at (its tokens decode
        // thin parts faintly otherwise).
        if (std::isnan(d.surfaceBias)) d.surfaceBias = generator.defaultSurfaceBias();
        DecodedAsset decoded = ae.decode(r.after, d, cancel);
        for (const auto& s : decoded.stageSeconds) r.stageSeconds.push_back(s);
        t = std::chrono::steady_clock::now();
        const core::Bounds bounds = core::computeBounds(mesh);
        const float near = 0.015f * glm::length(bounds.size());
        core::Mesh& out = decoded.mesh;
        if (o.mode == EditMode::Shape && out.uv0.size() == out.positions.size() && !out.materials.empty()) {
            // Its look from the input wherever the new surface lies on the old one.
            progress.report("carrying the look over", 0.8f);
            core::Material& mat = out.materials.front();
            core::Image* base = mat.baseColorTexture >= 0 ? &out.textures[std::size_t(mat.baseColorTexture)].image : nullptr;
            core::Image* mr = mat.metallicRoughnessTexture >= 0 ? &out.textures[std::size_t(mat.metallicRoughnessTexture)].image : nullptr;
            if (base && base->type == core::PixelType::U8 && base->channels >= 3) {
                const geometry::UvRaster raster = geometry::rasterizeUv(out, base->width);
                for (std::size_t k = 0; k < raster.triangle.size(); ++k) {
                    if (!raster.covered(k)) continue;
                    const auto hit = bvh->closest(raster.position(out, k), near);
                    if (!hit) continue;
                    const std::uint32_t* idx = &mesh.indices[3 * std::size_t(hit->triangle)];
                    const glm::vec3 b = geometry::nearestBarycentric(hit->point, mesh.positions[idx[0]], mesh.positions[idx[1]], mesh.positions[idx[2]]);
                    const MaterialLook look = lookAt(mesh, materialOf, hit->triangle, b);
                    for (int c = 0; c < 3; ++c) base->u8[std::size_t(base->channels) * k + std::size_t(c)] = unitByte(core::srgbFromLinear(look.albedo[c]));
                    if (mr && mr->type == core::PixelType::U8 && mr->width == base->width && mr->channels >= 3)
                        mr->u8[std::size_t(mr->channels) * k + 1] = unitByte(look.roughness), mr->u8[std::size_t(mr->channels) * k + 2] = unitByte(look.metallic);
                }
                // The encoded copies no longer match the pixels.
                out.textures[std::size_t(mat.baseColorTexture)].encoded.clear();
                if (mr) out.textures[std::size_t(mat.metallicRoughnessTexture)].encoded.clear();
            }
        }
        if (keeping) {
            // The kept region: the new surface's triangles over it go, the input's come back.
            progress.report("putting the kept region back", 0.9f);
            std::vector<std::uint8_t> drop(out.triangleCount(), 0);
            for (std::size_t tri = 0; tri < out.triangleCount(); ++tri) {
                const glm::vec3 c = (out.positions[out.indices[3 * tri]] + out.positions[out.indices[3 * tri + 1]] + out.positions[out.indices[3 * tri + 2]]) / 3.0f;
                const auto hit = bvh->closest(c, 2.0f * near);
                drop[tri] = hit && r.keptTriangle[hit->triangle];
            }
            core::Mesh trimmed = out;
            trimmed.indices.clear();
            trimmed.submeshes.clear();
            for (const auto& s : out.submeshes) {
                core::Submesh n = s;
                n.firstIndex = std::uint32_t(trimmed.indices.size());
                for (std::uint32_t tri = s.firstIndex / 3; tri < (s.firstIndex + s.indexCount) / 3; ++tri)
                    if (!drop[tri]) trimmed.indices.insert(trimmed.indices.end(), out.indices.begin() + 3 * std::ptrdiff_t(tri), out.indices.begin() + 3 * std::ptrdiff_t(tri) + 3);
                n.indexCount = std::uint32_t(trimmed.indices.size()) - n.firstIndex;
                if (n.indexCount > 0) trimmed.submeshes.push_back(n);
            }
            appendTriangles(trimmed, mesh, r.keptTriangle);
            out = std::move(trimmed);
        }
        r.mesh = std::move(out);
        r.stageSeconds.emplace_back("write-back", secondsSince(t));
    }
    progress.report("done", 1.0f);
    r.seconds = secondsSince(t0);
    return r;
}

} // namespace kiln::models
