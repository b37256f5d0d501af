#include "models/mesh_texture.h"

#include "core/color.h"
#include "core/error.h"
#include "core/pull_push.h"
#include "geometry/metrics.h"
#include "geometry/uv_raster.h"
#include "io/image_io.h"
#include "models/latent_data.h"
#include "models/matting.h"
#include "models/shape_latent.h"
#include "models/text_to_3d.h"
#include "procgen/materials.h"
#include "procgen/prompt_match.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

namespace kiln::models {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

// The prompt's materials that call for a normal map (a relief a millimetre or so deep: wood
// grain, rust, stone, fabric weave, leather), with the roughness and metallic they typically have,
// beside the prompt's smooth ones (which claim their texels with a flat normal).
struct NamedMaterial {
    procgen::MaterialKind kind;
    bool relief = false;
    float roughness = 0.5f, metallic = 0.0f;
};

std::vector<NamedMaterial> namedMaterials(const std::string& prompt) {
    std::vector<NamedMaterial> out;
    for (const std::string& w : procgen::promptWords(prompt))
        for (const procgen::MaterialInfo& m : procgen::materials()) {
            if (w != m.word && w != m.noun) continue;
            if (std::any_of(out.begin(), out.end(), [&](const NamedMaterial& n) { return n.kind == m.kind; })) continue;
            using K = procgen::MaterialKind;
            const bool relief = m.kind == K::Wood || m.kind == K::Rusty || m.kind == K::Stone || m.kind == K::Fabric || m.kind == K::Leather;
            out.push_back({m.kind, relief, m.roughness, m.metallic});
        }
    return out;
}

// The size an object is taken to be for its materials' relief (the library's assets are about a
// metre): the latent frame's largest extent.
constexpr float kReliefObjectMetres = 1.0f;

// The materials the mesh's triangles use and the UDIM tile of each (throws when one spans several).
std::map<int, int> materialTiles(const core::Mesh& m, const std::vector<int>& tiles, const std::string& what) {
    std::map<int, int> out;
    for (const auto& s : m.submeshes)
        for (std::uint32_t t = s.firstIndex / 3; t < (s.firstIndex + s.indexCount) / 3; ++t) {
            const auto [it, fresh] = out.emplace(s.material, tiles[t]);
            if (!fresh && it->second != tiles[t])
                throw Error(what + ": material " + std::to_string(s.material) + " is painted across UDIM tiles " + std::to_string(it->second) + " and " +
                            std::to_string(tiles[t]) + "; give each tile its own material (splitUdimMaterials)");
        }
    return out;
}

// Area-weighted, stratified surface samples of a mesh (systematic along the cumulative area,
// golden-ratio points inside each triangle), with the appearance its materials' factors and vertex
// colours give. The encoder only needs a plausible appearance: the channels it writes are
// replaced by the text model's, and the anchors it places depend on the positions alone.
procgen::SurfaceSamples sampleMesh(const core::Mesh& m, int count, bool neutral) {
    const std::vector<int> triangleMaterial = triangleMaterials(m);
    const bool uvs = m.uv0.size() == m.positions.size();
    procgen::SurfaceSamples out;
    for (const auto& [t, r1, r2] : geometry::stratifiedPoints(m, count)) {
        const std::uint32_t ia = m.indices[3 * t], ib = m.indices[3 * t + 1], ic = m.indices[3 * t + 2];
        const glm::vec3 a = m.positions[ia], b = m.positions[ib], c = m.positions[ic];
        glm::vec3 n = glm::cross(b - a, c - a);
        const float len = glm::length(n);
        n = len > 0.0f ? n / len : glm::vec3(0, 1, 0);
        if (m.normals.size() == m.positions.size() && glm::dot(n, m.normals[ia] + m.normals[ib] + m.normals[ic]) < 0.0f) n = -n;
        glm::vec3 albedo(0.5f);
        float roughness = 0.5f, metallic = 0.0f;
        if (const int mat = triangleMaterial[t]; !neutral && mat >= 0 && std::size_t(mat) < m.materials.size()) {
            const glm::vec2 uv = uvs ? m.uv0[ia] + float(r1) * (m.uv0[ib] - m.uv0[ia]) + float(r2) * (m.uv0[ic] - m.uv0[ia]) : glm::vec2(0.0f);
            const MaterialLook look = materialLook(m, m.materials[std::size_t(mat)], uvs ? &uv : nullptr);
            albedo = look.albedo, roughness = look.roughness, metallic = look.metallic;
        }
        if (!neutral && m.colors.size() == m.positions.size()) albedo *= glm::vec3(m.colors[ia] + m.colors[ib] + m.colors[ic]) / 3.0f;
        out.positions.push_back(a + float(r1) * (b - a) + float(r2) * (c - a));
        out.normals.push_back(n);
        out.albedo.push_back(glm::clamp(albedo, 0.0f, 1.0f));
        out.roughness.push_back(std::clamp(roughness, 0.0f, 1.0f));
        out.metallic.push_back(std::clamp(metallic, 0.0f, 1.0f));
        out.part.push_back(0);
    }
    return out;
}

} // namespace

glm::vec2 udimOffset(int tile) {
    const int t = tile - 1001;
    return {float(t % 10), -float(t / 10)};
}

std::vector<int> triangleMaterials(const core::Mesh& m) {
    std::vector<int> out(m.triangleCount(), -1);
    for (const auto& s : m.submeshes)
        for (std::uint32_t t = s.firstIndex / 3; t < (s.firstIndex + s.indexCount) / 3 && t < out.size(); ++t) out[t] = s.material;
    return out;
}

const core::Image* meshTexture(const core::Mesh& m, int index) {
    return index >= 0 && std::size_t(index) < m.textures.size() && !m.textures[std::size_t(index)].image.empty() ? &m.textures[std::size_t(index)].image : nullptr;
}

MaterialLook materialLook(const core::Mesh& m, const core::Material& material, const glm::vec2* uv) {
    MaterialLook l{glm::vec3(material.baseColorFactor), material.roughnessFactor, material.metallicFactor};
    if (!uv) return l;
    const glm::vec2 wrapped = *uv - glm::floor(*uv);
    if (const core::Image* img = meshTexture(m, material.baseColorTexture)) l.albedo *= geometry::sampleBaseColor(*img, wrapped);
    if (const core::Image* img = meshTexture(m, material.metallicRoughnessTexture); img && img->channels >= 3) {
        l.roughness *= geometry::sampleBilinear(*img, wrapped, 1);
        l.metallic *= geometry::sampleBilinear(*img, wrapped, 2);
    }
    return l;
}

core::Mesh materialLayout(const core::Mesh& m, int material, int tile, const LatentFrame* frame, std::vector<std::uint32_t>* triangles) {
    core::Mesh g;
    g.positions.reserve(m.positions.size());
    for (const auto& p : m.positions) g.positions.push_back(frame ? frame->toNormalised(p) : p);
    g.normals = m.normals;
    g.uv0 = m.uv0;
    const glm::vec2 offset = udimOffset(tile);
    for (auto& uv : g.uv0) uv -= offset;
    for (const auto& s : m.submeshes)
        if (s.material == material) {
            g.indices.insert(g.indices.end(), m.indices.begin() + s.firstIndex, m.indices.begin() + s.firstIndex + s.indexCount);
            if (triangles)
                for (std::uint32_t t = s.firstIndex / 3; t < (s.firstIndex + s.indexCount) / 3; ++t) triangles->push_back(t);
        }
    return g;
}

void checkTextureLayout(const core::Mesh& mesh, const std::string& what) {
    if (mesh.triangleCount() == 0) throw Error(what + ": the mesh has no triangles to texture");
    if (mesh.uv0.size() != mesh.positions.size())
        throw Error(what + ": the mesh has no UVs; texturing keeps the artist's UV layout, so lay one out first or pass --unwrap to have Kiln make one");
    (void)udimTiles(mesh, what);
    const core::Bounds b = core::computeBounds(mesh);
    const glm::vec3 size = b.size();
    if (!(std::max({size.x, size.y, size.z}) > 0.0f)) throw Error(what + ": the mesh has no extent");
}

void checkTextureResolution(int resolution) {
    if (resolution < 256 || resolution > 4096 || (resolution & (resolution - 1)) != 0)
        throw Error("--resolution " + std::to_string(resolution) + " is not a power of two from 256 to 4096");
}

std::vector<int> udimTiles(const core::Mesh& mesh, const std::string& what) {
    constexpr float slack = 1e-4f;
    std::vector<int> tiles(mesh.triangleCount(), 1001);
    for (std::size_t t = 0; t < tiles.size(); ++t) {
        glm::vec2 q[3];
        for (int k = 0; k < 3; ++k) {
            q[k] = mesh.uv0[mesh.indices[3 * t + std::size_t(k)]];
            q[k].y = 1.0f - q[k].y;  // the DCCs' v, up
            if (!std::isfinite(q[k].x) || !std::isfinite(q[k].y)) throw Error(what + ": a UV of triangle " + std::to_string(t) + " is not a number");
        }
        // The tile below the triangle's largest coordinate (so a triangle on a tile's top or
        // right edge, e.g. UVs all (0, 0) in glTF's v, stays in that tile).
        const glm::vec2 hi = glm::max(q[0], glm::max(q[1], q[2]));
        const auto below = [](float x) { return x >= -slack ? std::max(0, int(std::ceil(x - slack)) - 1) : -1; };
        const int tu = below(hi.x), tv = below(hi.y);
        if (tu < 0 || tu > 9 || tv < 0 || tv > 99)
            throw Error(what + ": UVs outside [0, 1] (" + std::to_string(q[0].x) + ", " + std::to_string(1.0f - q[0].y) + ") that are not UDIM tiles (u 0..10, v 0..100 up): " +
                        "negative or wrapping layouts are not supported; keep the layout in the unit square or in UDIM tiles");
        for (int k = 0; k < 3; ++k)
            if (q[k].x < float(tu) - slack || q[k].x > float(tu + 1) + slack || q[k].y < float(tv) - slack || q[k].y > float(tv + 1) + slack)
                throw Error(what + ": triangle " + std::to_string(t) + " crosses the border of UDIM tile " + std::to_string(1001 + tu + 10 * tv) + " (UV (" +
                            std::to_string(q[k].x) + ", " + std::to_string(1.0f - q[k].y) + ")): a wrapping layout; keep each island inside one tile");
        tiles[t] = 1001 + tu + 10 * tv;
    }
    return tiles;
}

core::Mesh splitUdimMaterials(const core::Mesh& mesh, const std::string& what) {
    if (mesh.uv0.size() != mesh.positions.size()) return mesh;
    const std::vector<int> tiles = udimTiles(mesh, what);
    core::Mesh out = mesh;
    out.submeshes.clear();
    out.indices.clear();
    out.indices.reserve(mesh.indices.size());
    // Per source material: its tile -> the material drawn there (the first tile keeps the material).
    std::map<int, std::map<int, int>> made;
    for (const auto& s : mesh.submeshes) {
        std::map<int, std::vector<std::uint32_t>> byTile;
        for (std::uint32_t t = s.firstIndex / 3; t < (s.firstIndex + s.indexCount) / 3; ++t) byTile[tiles[t]].push_back(t);
        if (byTile.empty()) {
            core::Submesh copy = s;
            copy.firstIndex = std::uint32_t(out.indices.size());
            out.submeshes.push_back(copy);
            continue;
        }
        for (const auto& [tile, tris] : byTile) {
            auto& forMaterial = made[s.material];
            auto it = forMaterial.find(tile);
            if (it == forMaterial.end()) {
                int material = s.material;
                if (!forMaterial.empty()) {
                    core::Material copy = s.material >= 0 && std::size_t(s.material) < mesh.materials.size() ? mesh.materials[std::size_t(s.material)] : core::Material{};
                    copy.name = (copy.name.empty() ? "material" + std::to_string(s.material) : copy.name) + "." + std::to_string(tile);
                    out.materials.push_back(copy);
                    material = int(out.materials.size() - 1);
                } else if (s.material >= 0 && std::size_t(s.material) < out.materials.size() && tile != 1001) {
                    auto& name = out.materials[std::size_t(s.material)].name;
                    name = (name.empty() ? "material" + std::to_string(s.material) : name) + "." + std::to_string(tile);
                }
                it = forMaterial.emplace(tile, material).first;
            }
            core::Submesh part = s;
            part.material = it->second;
            part.firstIndex = std::uint32_t(out.indices.size());
            part.indexCount = std::uint32_t(3 * tris.size());
            for (const auto t : tris) out.indices.insert(out.indices.end(), mesh.indices.begin() + 3 * std::ptrdiff_t(t), mesh.indices.begin() + 3 * std::ptrdiff_t(t) + 3);
            out.submeshes.push_back(part);
        }
    }
    return out;
}

ShapeLatent encodeMesh(const ShapeLatentModel& ae, const core::Mesh& mesh, int samples, bool neutralAppearance, int tokens) {
    if (samples < 256 || samples > 1000000) throw Error("encode: surface samples out of range (256..1000000)");
    const LatentFrame frame = latentFrame(core::computeBounds(mesh));
    const int m = tokens > 0 ? tokens : ae.tokens();
    return ae.encode(encoderInput(sampleMesh(mesh, std::max(samples, m), neutralAppearance), frame), frame, m);
}

MeshTextureResult generateMeshTexture(const TextTo3dGenerator& generator, const core::Mesh& mesh, const std::string& prompt,
                                      const MeshTextureOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    const auto t0 = std::chrono::steady_clock::now();
    checkPromptNotEmpty(prompt);
    checkTextureLayout(mesh, "texture");
    checkTextureResolution(o.resolution);
    if (o.surfaceSamples < 256 || o.surfaceSamples > 1000000) throw Error("texture: surface samples out of range (256..1000000)");
    const ShapeLatentModel& ae = generator.autoencoder();

    // 1. The mesh's shape in the latent (the generators' token count: the text model diffuses it).
    auto t = std::chrono::steady_clock::now();
    progress.report("encoding the mesh", 0.02f);
    const ShapeLatent shape = encodeMesh(ae, mesh, o.surfaceSamples, o.neutralAppearance);
    const double encodeSeconds = secondsSince(t);
    cancel.throwIfCancelled();

    // 2. An appearance for it under the prompt.
    t = std::chrono::steady_clock::now();
    progress.report("sampling the appearance", 0.1f);
    std::vector<std::string> unknown;
    const ShapeLatent look = generator.sampleAppearance(prompt, shape, {.seed = o.seed, .steps = o.steps, .guidance = o.guidance, .strength = o.strength}, cancel, &unknown);
    const double samplingSeconds = secondsSince(t);

    // 3. Its maps in the mesh's own layout.
    MeshTextureResult r = bakeLatentIntoLayout(ae, look, mesh, prompt, o, progress, cancel);
    r.unknownWords = std::move(unknown);
    r.stageSeconds.insert(r.stageSeconds.begin(), {{"encode", encodeSeconds}, {"sampling", samplingSeconds}});
    r.seconds = secondsSince(t0);
    return r;
}

MeshTextureResult bakeLatentIntoLayout(const ShapeLatentModel& ae, const ShapeLatent& look, const core::Mesh& mesh, const std::string& prompt,
                                       const MeshTextureOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    const auto t0 = std::chrono::steady_clock::now();
    checkTextureLayout(mesh, "texture");
    checkTextureResolution(o.resolution);
    MeshTextureResult r;
    r.latent = look;
    const LatentFrame frame = look.frame;
    auto t = std::chrono::steady_clock::now();
    const ShapeLatentModel::Prepared prepared = ae.prepare(look);

    // The photo, if any: its foreground and camera, in the latent's normalised frame.
    core::Image photo, photoAlpha;
    std::optional<PhotoProjector> projector;
    if (!o.photo.empty() || !o.photoImage.empty()) {
        t = std::chrono::steady_clock::now();
        progress.report("placing the photo", 0.2f);
        if (!o.photoImage.empty()) {
            photo = o.photoImage;
            photoAlpha = o.photoMatte.empty() ? matteImage(photo, {}, "photo").alpha : o.photoMatte;
        } else {
            photo = io::readImage(o.photo);
            photoAlpha = matteImage(photo, {}, o.photo.filename().string()).alpha;
        }
        core::Mesh normalised = mesh;
        for (auto& p : normalised.positions) p = frame.toNormalised(p);
        PhotoView view{o.photoYaw, o.photoPitch, o.photoFov, 0.0};
        if (!(o.photoFov >= 5.0f && o.photoFov <= 120.0f)) throw Error("--photo-fov is out of range (5..120 degrees)");
        if (std::isnan(o.photoYaw)) view = estimatePhotoView(normalised, photoAlpha, o.photoFov, cancel);
        projector.emplace(normalised, photo, photoAlpha, view);
        r.photoView = view;
        r.stageSeconds.emplace_back("photo", secondsSince(t));
    }
    std::size_t photoTaken = 0, photoPoints = 0;

    // 3. Each material's texels: the decoded appearance at the 3D point behind each one.
    if (mesh.submeshes.empty()) throw Error("texture: the mesh has no submeshes");
    std::vector<int> materials;
    for (const auto& s : mesh.submeshes)
        if (s.indexCount > 0 && std::find(materials.begin(), materials.end(), s.material) == materials.end()) materials.push_back(s.material);
    std::sort(materials.begin(), materials.end());
    const std::map<int, int> tileOf = materialTiles(mesh, udimTiles(mesh, "texture"), "texture");
    // Relief for a normal map where the prompt names a material that has one.
    const std::vector<NamedMaterial> named = o.normalMaps ? namedMaterials(prompt) : std::vector<NamedMaterial>{};
    const bool relief = std::any_of(named.begin(), named.end(), [](const NamedMaterial& m) { return m.relief; });
    const float metresPerUnit = kReliefObjectMetres / kLatentExtent;
    procgen::MaterialFrame reliefFrame;
    {
        const glm::vec3 extent = core::computeBounds(mesh).size();
        const int axis = extent.x >= extent.y && extent.x >= extent.z ? 0 : extent.y >= extent.z ? 1 : 2;
        reliefFrame.axis = glm::vec3(0.0f);
        reliefFrame.axis[axis] = 1.0f;  // wood grain runs along the object's length
        reliefFrame.seed = std::uint32_t(o.seed * 2654435761ull);
    }
    double texelSeconds = 0.0, fillSeconds = 0.0;
    const int size = o.resolution;
    const std::size_t n = std::size_t(size) * std::size_t(size);
    for (std::size_t mi = 0; mi < materials.size(); ++mi) {
        cancel.throwIfCancelled();
        progress.report("texels of material " + std::to_string(mi + 1) + "/" + std::to_string(materials.size()),
                        0.3f + 0.6f * float(mi) / float(materials.size()));
        t = std::chrono::steady_clock::now();
        const int tile = tileOf.at(materials[mi]);
        const core::Mesh layout = materialLayout(mesh, materials[mi], tile, &frame);
        const geometry::UvRaster raster = geometry::rasterizeUv(layout, size);
        const std::vector<geometry::UvOverlapSample> extra = geometry::overlapSamples(layout, raster);
        std::vector<glm::vec3> points, normals;
        std::vector<std::uint32_t> texelOf;
        points.reserve(n / 2);
        for (std::size_t k = 0; k < n; ++k)
            if (raster.covered(k)) {
                points.push_back(raster.position(layout, k));
                if (projector) normals.push_back(raster.normal(layout, k));
                texelOf.push_back(std::uint32_t(k));
            }
        for (const auto& e : extra) {
            const std::uint32_t* idx = &layout.indices[3 * std::size_t(e.triangle)];
            const glm::vec3 a = layout.positions[idx[0]], b = layout.positions[idx[1]], c = layout.positions[idx[2]];
            points.push_back(e.barycentric.x * a + e.barycentric.y * b + e.barycentric.z * c);
            if (projector) normals.push_back(glm::cross(b - a, c - a));
            texelOf.push_back(e.texel);
        }
        std::vector<glm::vec3> albedo;
        std::vector<float> rough, metal;
        // In slices, so a 4096^2 map polls the cancel token and reports as it goes.
        constexpr std::size_t slice = 1 << 16;
        albedo.reserve(points.size()), rough.reserve(points.size()), metal.reserve(points.size());
        for (std::size_t begin = 0; begin < points.size(); begin += slice) {
            cancel.throwIfCancelled();
            const std::vector<glm::vec3> part(points.begin() + std::ptrdiff_t(begin), points.begin() + std::ptrdiff_t(std::min(points.size(), begin + slice)));
            std::vector<glm::vec3> a;
            std::vector<float> ro, me;
            ae.field(prepared, part, nullptr, &a, &ro, &me);
            albedo.insert(albedo.end(), a.begin(), a.end());
            rough.insert(rough.end(), ro.begin(), ro.end());
            metal.insert(metal.end(), me.begin(), me.end());
        }
        // The photo where its camera sees the surface, blended by how squarely it does.
        if (projector)
            for (std::size_t i = 0; i < points.size(); ++i) {
                glm::vec3 seen;
                const float w = projector->sample(points[i], normals[i], &seen);
                if (w > 0.0f) albedo[i] = glm::mix(albedo[i], seen, w);
                photoTaken += w >= 0.5f;
                ++photoPoints;
            }
        // The relief height at each point, of the named material its decoded roughness and
        // metallic are closest to (metres; 0 on smooth materials).
        std::vector<float> height(points.size(), 0.0f);
        if (relief)
            for (std::size_t i = 0; i < points.size(); ++i) {
                const NamedMaterial* best = &named.front();
                float bestD = 1e30f;
                for (const NamedMaterial& m : named) {
                    const float d = (rough[i] - m.roughness) * (rough[i] - m.roughness) + (metal[i] - m.metallic) * (metal[i] - m.metallic);
                    if (d < bestD) bestD = d, best = &m;
                }
                if (best->relief) height[i] = procgen::evaluateMaterial({best->kind, 0}, reliefFrame, points[i] * metresPerUnit).height;
            }
        // Averaged where several surface points share a texel: appearance 5, height, position 3.
        constexpr int kC = 9;
        std::vector<float> maps(n * kC, 0.0f);
        std::vector<float> weight(n, 0.0f);
        for (std::size_t i = 0; i < points.size(); ++i) {
            float* v = maps.data() + kC * std::size_t(texelOf[i]);
            v[0] += albedo[i].r, v[1] += albedo[i].g, v[2] += albedo[i].b, v[3] += rough[i], v[4] += metal[i];
            v[5] += height[i], v[6] += points[i].x, v[7] += points[i].y, v[8] += points[i].z;
            weight[texelOf[i]] += 1.0f;
        }
        std::vector<std::uint8_t> covered(n, 0);
        std::size_t count = 0;
        for (std::size_t k = 0; k < n; ++k)
            if (weight[k] > 0.0f) {
                for (int c = 0; c < kC; ++c) maps[kC * k + std::size_t(c)] /= weight[k];
                covered[k] = 1;
                ++count;
            }
        // Tangent-space normals from the height's slope along u (right) and v (down the image;
        // glTF's +Y points up, against it), over neighbouring texels that are neighbours on the
        // surface too (an island's texel beside another island's is not).
        const std::size_t fc = relief ? 8 : 5;  // appearance 5 [, normal 3]
        std::vector<float> fill(n * fc, 0.0f);
        for (std::size_t k = 0; k < n; ++k) {
            if (!covered[k]) continue;
            for (std::size_t c = 0; c < 5; ++c) fill[fc * k + c] = maps[kC * k + c];
            if (relief) fill[fc * k + 7] = 1.0f;
        }
        if (relief && count > 0) {
            double surface = 0.0, uvArea = 0.0;
            for (std::size_t tri = 0; tri < layout.indices.size() / 3; ++tri) {
                const std::uint32_t* idx = &layout.indices[3 * tri];
                surface += 0.5 * double(glm::length(glm::cross(layout.positions[idx[1]] - layout.positions[idx[0]], layout.positions[idx[2]] - layout.positions[idx[0]])));
                const glm::vec2 a = layout.uv0[idx[0]], b = layout.uv0[idx[1]], c = layout.uv0[idx[2]];
                uvArea += 0.5 * std::abs(double((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)));
            }
            // Surface units per texel (the layout's mean density) and in metres.
            const float unitsPerTexel = uvArea > 0.0 ? float(std::sqrt(surface / (uvArea * double(size) * double(size)))) : 0.0f;
            const float metresPerTexel = unitsPerTexel * metresPerUnit;
            const auto near = [&](std::size_t k, std::size_t j) {
                const float* a = &maps[kC * k + 6];
                const float* b = &maps[kC * j + 6];
                const glm::vec3 d(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
                return glm::dot(d, d) <= 16.0f * unitsPerTexel * unitsPerTexel;
            };
            if (metresPerTexel > 0.0f)
                for (int y = 0; y < size; ++y)
                    for (int x = 0; x < size; ++x) {
                        const std::size_t k = std::size_t(y) * std::size_t(size) + std::size_t(x);
                        if (!covered[k]) continue;
                        const auto slope = [&](int dx, int dy) {
                            const int fx = x + dx, fy = y + dy, bx = x - dx, by = y - dy;
                            const std::size_t fk = std::size_t(std::clamp(fy, 0, size - 1)) * std::size_t(size) + std::size_t(std::clamp(fx, 0, size - 1));
                            const std::size_t bk = std::size_t(std::clamp(by, 0, size - 1)) * std::size_t(size) + std::size_t(std::clamp(bx, 0, size - 1));
                            const bool f = fx >= 0 && fy >= 0 && fx < size && fy < size && covered[fk] && near(k, fk);
                            const bool b = bx >= 0 && by >= 0 && bx < size && by < size && covered[bk] && near(k, bk);
                            if (!f && !b) return 0.0f;
                            const float hf = f ? maps[kC * fk + 5] : maps[kC * k + 5], hb = b ? maps[kC * bk + 5] : maps[kC * k + 5];
                            return (hf - hb) / (float(int(f) + int(b)) * metresPerTexel);
                        };
                        const glm::vec3 nrm = glm::normalize(glm::vec3(-slope(1, 0), slope(0, 1), 1.0f));
                        fill[fc * k + 5] = nrm.x, fill[fc * k + 6] = nrm.y, fill[fc * k + 7] = nrm.z;
                    }
        }
        texelSeconds += secondsSince(t);
        if (count == 0) {
            // Its triangles have no UV area (a part without UVs, padded with zeros): left as it is.
            r.untextured.push_back(materials[mi]);
            continue;
        }
        t = std::chrono::steady_clock::now();
        core::pullPushFill(fill, covered, size, size, int(fc));
        MaterialMaps mm;
        mm.material = materials[mi];
        mm.udimTile = tile;
        mm.texels = count;
        mm.baseColor = core::Image::makeU8(size, size, 3);
        mm.metallicRoughness = core::Image::makeU8(size, size, 3);
        for (std::size_t k = 0; k < n; ++k) appearanceTexel(fill.data() + fc * k, &mm.baseColor.u8[3 * k], &mm.metallicRoughness.u8[3 * k]);
        if (relief) {
            mm.normal = core::Image::makeU8(size, size, 3);
            for (std::size_t k = 0; k < n; ++k) {
                glm::vec3 nrm(fill[fc * k + 5], fill[fc * k + 6], fill[fc * k + 7]);
                nrm = glm::length(nrm) > 1e-6f ? glm::normalize(nrm) : glm::vec3(0, 0, 1);
                for (int c = 0; c < 3; ++c) mm.normal.u8[3 * k + std::size_t(c)] = std::uint8_t(std::lround(std::clamp(0.5f + 0.5f * nrm[c], 0.0f, 1.0f) * 255.0f));
            }
        }
        r.maps.push_back(std::move(mm));
        fillSeconds += secondsSince(t);
    }
    if (r.maps.empty()) throw Error("texture: no triangle of the mesh has UV area to paint (its UVs are all zero)");
    if (projector) r.photoTexels = photoPoints ? double(photoTaken) / double(photoPoints) : 0.0;
    r.stageSeconds.emplace_back("texels", texelSeconds);
    r.stageSeconds.emplace_back("fill", fillSeconds);
    progress.report("done", 1.0f);
    r.seconds = secondsSince(t0);
    return r;
}

core::Mesh applyMaterialMaps(const core::Mesh& mesh, const std::vector<MaterialMaps>& maps) {
    core::Mesh out = mesh;
    for (const auto& m : maps) {
        int index = m.material;
        if (index < 0 || std::size_t(index) >= out.materials.size()) {
            core::Material fresh;
            fresh.name = "textured";
            out.materials.push_back(fresh);
            index = int(out.materials.size() - 1);
            for (auto& s : out.submeshes)
                if (s.material == m.material) s.material = index;
        }
        core::Material& mat = out.materials[std::size_t(index)];
        const std::string stem = mat.name.empty() ? "material" + std::to_string(index) : mat.name;
        out.textures.push_back({stem + "_basecolor.png", m.baseColor, {}, {}});
        mat.baseColorTexture = int(out.textures.size() - 1);
        out.textures.push_back({stem + "_metallic_roughness.png", m.metallicRoughness, {}, {}});
        mat.metallicRoughnessTexture = int(out.textures.size() - 1);
        // The relief's normal map, unless the artist's material has its own (kept).
        if (!m.normal.empty() && mat.normalTexture < 0) {
            out.textures.push_back({stem + "_normal.png", m.normal, {}, {}});
            mat.normalTexture = int(out.textures.size() - 1);
        }
        mat.baseColorFactor = glm::vec4(1.0f, 1.0f, 1.0f, mat.baseColorFactor.a);
        mat.metallicFactor = 1.0f;
        mat.roughnessFactor = 1.0f;
    }
    // Vertex colours would multiply into the new base colour (glTF).
    out.colors.clear();
    return out;
}

} // namespace kiln::models
