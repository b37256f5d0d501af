#include "procgen/procgen.h"

#include "core/color.h"
#include "core/error.h"
#include "geometry/metrics.h"
#include "geometry/surface_splats.h"
#include "procgen/atlas.h"
#include "procgen/category_defs.h"
#include "procgen/texture_bake.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cmath>

namespace kiln::procgen {

namespace detail {

const std::vector<CategoryDef>& categoryDefs() {
    static const std::vector<CategoryDef> defs = [] {
        std::vector<CategoryDef> d;
        addFurniture(d);
        addVessels(d);
        addNature(d);
        addProps(d);
        return d;
    }();
    return defs;
}

} // namespace detail

namespace {

using detail::categoryDefs;

const CategoryInfo& checkParams(const AssetParams& p) {
    const auto& defs = categoryDefs();
    if (p.category < 0 || p.category >= int(defs.size()))
        throw Error("procgen: category " + std::to_string(p.category) + " is outside 0.." + std::to_string(defs.size() - 1));
    const CategoryInfo& c = defs[std::size_t(p.category)].info;
    if (p.style < 0 || p.style >= int(c.styles.size()))
        throw Error("procgen: style " + std::to_string(p.style) + " is outside 0.." + std::to_string(c.styles.size() - 1) + " for " + c.name);
    if (p.materials.size() != c.groups.size())
        throw Error("procgen: a " + c.name + " has " + std::to_string(c.groups.size()) + " material group(s), the parameters give " +
                    std::to_string(p.materials.size()));
    for (std::size_t g = 0; g < c.groups.size(); ++g) {
        const MaterialSpec& m = p.materials[g];
        const auto& allowed = c.groups[g].materials;
        if (std::find(allowed.begin(), allowed.end(), m.kind) == allowed.end())
            throw Error("procgen: a " + c.name + "'s " + c.groups[g].noun + " cannot be " + materialInfo(m.kind).noun);
        const auto colours = groupColours(c.groups[g], m.kind);
        if (std::find(colours.begin(), colours.end(), m.colour) == colours.end())
            throw Error("procgen: a " + c.name + "'s " + c.groups[g].noun + " in " + materialInfo(m.kind).noun + " does not come in colour " +
                        std::to_string(m.colour));
    }
    return c;
}

// "dark wooden", "black metal", "rusty blue", "red painted", "gray stone".
std::string materialPhrase(const MaterialSpec& m) {
    const std::string colour = palette()[std::size_t(m.colour)].name;
    switch (m.kind) {
    case MaterialKind::Rusty: return "rusty " + colour;
    default: return colour + " " + materialInfo(m.kind).word;
    }
}

// "a dark wooden seat" / "black metal legs".
std::string groupPhrase(const MaterialGroup& g, const MaterialSpec& m, bool article) {
    const std::string s = materialPhrase(m) + " " + g.noun;
    if (!article || g.plural) return s;
    return (std::string("aeiou").find(s[0]) != std::string::npos ? "an " : "a ") + s;
}

std::string withArticle(const std::string& s) {
    if (s.empty()) return s;
    return (std::string("aeiou").find(s[0]) != std::string::npos ? "an " : "a ") + s;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (w.empty()) continue;
        if (!out.empty()) out += ' ';
        out += w;
    }
    return out;
}

std::string listAnd(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    return out;
}

// Groups whose material differs from the first group's, in order; empty when all share it.
bool uniformMaterial(const AssetParams& p) {
    return std::all_of(p.materials.begin(), p.materials.end(), [&](const MaterialSpec& m) { return m == p.materials.front(); });
}

std::vector<std::string> buildCaptions(const CategoryInfo& c, const AssetParams& p, const std::string& size) {
    const std::string& noun = c.name;
    const std::string& style = c.styles[std::size_t(p.style)].phrase;
    std::vector<std::string> out;
    if (uniformMaterial(p)) {
        const MaterialSpec& m = p.materials.front();
        const std::string mp = materialPhrase(m);
        const std::string colour = palette()[std::size_t(m.colour)].name;
        const std::string made = m.kind == MaterialKind::Rusty ? "rusty " + colour + " metal" : colour + " " + materialInfo(m.kind).noun;
        out.push_back(withArticle(join({size, mp, noun, style})));
        out.push_back(join({size, noun, "made of", made + (style.empty() ? "" : ","), style}));
        out.push_back(withArticle(join({noun, style})) + ", " + join({size, mp}));
        out.push_back(join({mp, noun, style, size.empty() ? "" : "(" + size + ")"}));
        out.push_back(withArticle(join({size, noun})) + " of " + made + (style.empty() ? "" : " " + style));
    } else {
        std::vector<std::string> withArticles, bare;
        for (std::size_t g = 0; g < c.groups.size(); ++g) {
            withArticles.push_back(groupPhrase(c.groups[g], p.materials[g], true));
            bare.push_back(groupPhrase(c.groups[g], p.materials[g], false));
        }
        const std::string head = withArticle(join({size, noun, style}));
        out.push_back(head + (style.empty() ? " with " : ", with ") + listAnd(withArticles));
        out.push_back(join({size, noun, style}) + ": " + listAnd(bare));
        std::vector<std::string> reversed(withArticles.rbegin(), withArticles.rend());
        out.push_back(head + (style.empty() ? " with " : ", with ") + listAnd(reversed));
        out.push_back(listAnd(bare) + " on " + withArticle(join({size, noun})) + (style.empty() ? "" : " " + style));
        out.push_back(withArticle(join({noun, style})) + " that has " + listAnd(withArticles) + (size.empty() ? "" : ", " + size));
    }
    for (auto& s : out) {
        // Tidy joins: no ", ," or trailing commas from empty phrases.
        std::string t;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == ' ' && i + 1 < s.size() && (s[i + 1] == ',' || s[i + 1] == ' ')) continue;
            t += s[i];
        }
        while (!t.empty() && (t.back() == ',' || t.back() == ' ')) t.pop_back();
        s = t;
    }
    return out;
}

std::uint32_t partSeed(std::uint64_t shapeSeed, std::size_t part) { return std::uint32_t(mix64(shapeSeed * 131u + part) >> 32); }

} // namespace

std::vector<int> groupColours(const MaterialGroup& g, MaterialKind kind) {
    const auto& all = materialInfo(kind).colours;
    if (g.colours.empty()) return all;
    std::vector<int> out;
    for (const int c : all)
        if (std::find(g.colours.begin(), g.colours.end(), c) != g.colours.end()) out.push_back(c);
    return out.empty() ? all : out;
}

const std::vector<CategoryInfo>& categories() {
    static const std::vector<CategoryInfo> infos = [] {
        std::vector<CategoryInfo> v;
        for (const auto& d : categoryDefs()) v.push_back(d.info);
        return v;
    }();
    return infos;
}

int categoryIndex(const std::string& name) {
    const auto& c = categories();
    for (std::size_t i = 0; i < c.size(); ++i)
        if (c[i].name == name) return int(i);
    return -1;
}

AssetParams randomParams(int category, std::uint64_t seed) {
    const auto& defs = categoryDefs();
    if (category < 0 || category >= int(defs.size())) throw Error("procgen: category " + std::to_string(category) + " is out of range");
    const CategoryInfo& c = defs[std::size_t(category)].info;
    ShapeRng rng(mix64(seed ^ 0x70726F6367656E32ull));
    AssetParams p;
    p.category = category;
    p.style = rng.range(0, int(c.styles.size()) - 1);
    p.shapeSeed = rng.next();
    auto pick = [&](const MaterialGroup& g) {
        MaterialSpec m;
        m.kind = g.materials[std::size_t(rng.range(0, int(g.materials.size()) - 1))];
        const auto colours = groupColours(g, m.kind);
        m.colour = colours[std::size_t(rng.range(0, int(colours.size()) - 1))];
        return m;
    };
    // Half the assets are one material throughout (where every group allows it); the rest pick
    // per group.
    const MaterialSpec first = pick(c.groups.front());
    const bool uniform = rng.chance(0.5f);
    for (const auto& g : c.groups) {
        const auto colours = groupColours(g, first.kind);
        const bool allowed = std::find(g.materials.begin(), g.materials.end(), first.kind) != g.materials.end() &&
                             std::find(colours.begin(), colours.end(), first.colour) != colours.end();
        p.materials.push_back(uniform && allowed ? first : (p.materials.empty() ? first : pick(g)));
    }
    return p;
}

std::vector<std::string> captions(const AssetParams& params, const std::map<std::string, float>& knobs) {
    const CategoryInfo& c = checkParams(params);
    (void)knobs;
    // The size word depends on the drawn proportions: build the shape without textures.
    const ProcAsset a = generate(params, {.textureSize = 0});
    std::vector<std::string> out{a.caption};
    out.insert(out.end(), a.paraphrases.begin(), a.paraphrases.end());
    (void)c;
    return out;
}

ProcAsset generate(const AssetParams& params, const GenerateOptions& options) {
    const CategoryInfo& info = checkParams(params);
    const detail::CategoryDef& def = categoryDefs()[std::size_t(params.category)];
    Knobs knobs(params.shapeSeed, &params.knobs);
    AssetBuilder builder;
    detail::ShapeNotes notes;
    def.build(builder, params.style, knobs, notes);
    std::vector<PartMesh>& parts = builder.parts();
    std::erase_if(parts, [](const PartMesh& p) { return p.indices.empty(); });
    if (parts.empty()) throw Error("procgen: " + info.name + " produced no geometry");

    ProcAsset out;
    out.params = params;
    out.knobs = knobs.drawn();
    // Ground the asset: resting on y = 0, centred on x/z.
    glm::vec3 lo(1e30f), hi(-1e30f);
    for (const auto& p : parts)
        for (const auto& v : p.positions) {
            lo = glm::min(lo, v);
            hi = glm::max(hi, v);
        }
    const glm::vec3 shift(-0.5f * (lo.x + hi.x), -lo.y, -0.5f * (lo.z + hi.z));
    for (auto& p : parts)
        for (auto& v : p.positions) v += shift;
    // Parts: their slot's material group and a solid-texture frame along their longest side.
    for (std::size_t i = 0; i < parts.size(); ++i) {
        PartInfo pi;
        pi.slot = parts[i].slot;
        const auto slot = std::find_if(info.slots.begin(), info.slots.end(), [&](const PartSlot& s) { return s.name == parts[i].slot; });
        if (slot == info.slots.end()) throw Error("procgen: " + info.name + " built a part '" + parts[i].slot + "' it does not declare");
        pi.group = slot->group;
        pi.material = params.materials[std::size_t(pi.group)];
        glm::vec3 plo(1e30f), phi(-1e30f);
        for (const auto& v : parts[i].positions) {
            plo = glm::min(plo, v);
            phi = glm::max(phi, v);
        }
        const glm::vec3 ext = phi - plo;
        pi.frame.origin = 0.5f * (plo + phi);
        pi.frame.axis = ext.y >= ext.x && ext.y >= ext.z ? glm::vec3(0, 1, 0) : ext.x >= ext.z ? glm::vec3(1, 0, 0) : glm::vec3(0, 0, 1);
        pi.frame.seed = partSeed(params.shapeSeed, i);
        out.parts.push_back(pi);
    }
    const int atlasSize = options.textureSize > 0 ? options.textureSize : 512;
    out.atlasDensity = packAtlas(parts, {.size = atlasSize, .padding = std::max(2, atlasSize / 64)});

    core::Mesh& mesh = out.mesh;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const PartMesh& p = parts[i];
        const std::uint32_t base = std::uint32_t(mesh.positions.size());
        out.parts[i].firstTriangle = std::uint32_t(mesh.indices.size() / 3);
        out.parts[i].triangleCount = std::uint32_t(p.indices.size() / 3);
        mesh.positions.insert(mesh.positions.end(), p.positions.begin(), p.positions.end());
        mesh.normals.insert(mesh.normals.end(), p.normals.begin(), p.normals.end());
        mesh.uv0.insert(mesh.uv0.end(), p.uv.begin(), p.uv.end());
        core::Submesh sub;
        sub.name = p.slot;
        sub.firstIndex = std::uint32_t(mesh.indices.size());
        sub.indexCount = std::uint32_t(p.indices.size());
        sub.firstVertex = base;
        sub.vertexCount = std::uint32_t(p.positions.size());
        sub.material = int(i);
        for (const auto idx : p.indices) mesh.indices.push_back(base + idx);
        mesh.submeshes.push_back(sub);
        out.triangleParts.insert(out.triangleParts.end(), p.indices.size() / 3, std::uint16_t(i));
        const MaterialSpec& ms = out.parts[i].material;
        core::Material mat;
        mat.name = p.slot + " (" + materialPhrase(ms) + ")";
        if (options.textureSize > 0) {
            mat.baseColorTexture = 0;
            mat.metallicRoughnessTexture = 1;
            mat.normalTexture = 2;
        } else {
            mat.baseColorFactor = glm::vec4(palette()[std::size_t(ms.colour)].linear, 1.0f);
            mat.metallicFactor = materialInfo(ms.kind).metallic;
            mat.roughnessFactor = materialInfo(ms.kind).roughness;
        }
        mesh.materials.push_back(mat);
    }
    if (options.textureSize > 0) {
        const BakedAtlas baked = bakeAtlas(parts, atlasSize, out.atlasDensity, std::max(2, atlasSize / 64),
                                           [&](int part, const glm::vec3& p) { return surfaceAt(out, part, p); });
        const char* names[3] = {"basecolor.png", "metallic_roughness.png", "normal.png"};
        const core::Image* images[3] = {&baked.baseColor, &baked.metallicRoughness, &baked.normal};
        for (int t = 0; t < 3; ++t) {
            core::Texture tex;
            tex.name = names[t];
            tex.image = *images[t];
            mesh.textures.push_back(std::move(tex));
        }
    }
    mesh.validate("procgen " + info.name);

    const std::string size = notes.sizeWord;
    auto caps = buildCaptions(info, params, size);
    out.caption = caps.front();
    out.paraphrases.assign(caps.begin() + 1, caps.end());
    return out;
}

SurfacePoint surfaceAt(const ProcAsset& asset, int part, const glm::vec3& position) {
    const PartInfo& p = asset.parts.at(std::size_t(part));
    return evaluateMaterial(p.material, p.frame, position);
}

SurfaceSamples sampleSurface(const ProcAsset& asset, int count, std::uint64_t seed) {
    const core::Mesh& m = asset.mesh;
    if (count <= 0 || m.triangleCount() == 0) throw Error("procgen: nothing to sample");
    ShapeRng rng(mix64(seed ^ 0x73616D706C65ull));
    const double offset = double(rng.uniform01());
    double total = 0.0;
    const std::vector<geometry::StratifiedPoint> points = geometry::stratifiedPoints(m, count, offset, double(seed % 1000) * 0.001, &total);
    if (!(total > 0.0)) throw Error("procgen: the asset has no surface area");
    SurfaceSamples s;
    for (const auto& [t, r1, r2] : points) {
        const std::uint32_t ia = m.indices[3 * t], ib = m.indices[3 * t + 1], ic = m.indices[3 * t + 2];
        const glm::vec3 a = m.positions[ia], b = m.positions[ib], c = m.positions[ic];
        const glm::vec3 p = a + float(r1) * (b - a) + float(r2) * (c - a);
        glm::vec3 n = glm::cross(b - a, c - a);
        const float len = glm::length(n);
        n = len > 0.0f ? n / len : glm::vec3(0, 1, 0);
        const glm::vec3 vn = m.normals[ia] + m.normals[ib] + m.normals[ic];
        if (glm::dot(n, vn) < 0.0f) n = -n;
        const int part = asset.triangleParts[t];
        const SurfacePoint sp = surfaceAt(asset, part, p);
        s.positions.push_back(p);
        s.normals.push_back(n);
        s.albedo.push_back(sp.albedo);
        s.roughness.push_back(sp.roughness);
        s.metallic.push_back(sp.metallic);
        s.part.push_back(std::uint16_t(part));
    }
    return s;
}

core::GaussianCloud sampleSplats(const ProcAsset& asset, int count, std::uint64_t seed) {
    const SurfaceSamples s = sampleSurface(asset, count, seed);
    double area = 0.0;
    const core::Mesh& m = asset.mesh;
    for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3)
        area += 0.5 * double(glm::length(glm::cross(m.positions[m.indices[t + 1]] - m.positions[m.indices[t]], m.positions[m.indices[t + 2]] - m.positions[m.indices[t]])));
    return geometry::flatSplats(s.positions, s.normals, s.albedo, float(std::sqrt(area / double(count))));
}

bool isHeldOutTriple(int category, int colour, MaterialKind material, double fraction) {
    if (fraction <= 0.0) return false;
    const std::uint64_t key = (std::uint64_t(category) << 40) ^ (std::uint64_t(colour) << 20) ^ std::uint64_t(material);
    const double u = double(mix64(key ^ 0x6B696C6E73706C32ull) >> 11) * (1.0 / 9007199254740992.0);
    return u < fraction;
}

const std::vector<std::string>& heldOutCategories() {
    static const std::vector<std::string> held = {"teapot", "lantern", "birdhouse"};
    return held;
}

} // namespace kiln::procgen
