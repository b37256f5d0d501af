// The procedural library v2: every category and style builds valid, closed, grounded parts in
// its size range, with UV charts inside [0, 1] that never overlap, textures whose colours and
// materials match the captions, and the same asset for the same parameters.
#include "core/color.h"
#include "core/error.h"
#include "geometry/mesh_cleanup.h"
#include "procgen/procgen.h"
#include "procgen/edits.h"
#include "procgen/prompt_match.h"

#include <gtest/gtest.h>

#include <glm/geometric.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <set>

using namespace kiln;
namespace pg = kiln::procgen;

namespace {

core::Mesh partMesh(const pg::ProcAsset& a, std::size_t part) {
    core::Mesh m;
    const auto& info = a.parts[part];
    for (std::uint32_t t = info.firstTriangle; t < info.firstTriangle + info.triangleCount; ++t)
        for (int k = 0; k < 3; ++k) {
            m.positions.push_back(a.mesh.positions[a.mesh.indices[3 * t + std::size_t(k)]]);
            m.indices.push_back(std::uint32_t(m.positions.size() - 1));
        }
    core::Submesh s;
    s.indexCount = std::uint32_t(m.indices.size());
    s.vertexCount = std::uint32_t(m.positions.size());
    m.submeshes = {s};
    return m;
}

// Texels claimed by triangles of two different charts (centre sampling at `size`).
std::size_t overlappingTexels(const pg::ProcAsset& a, int size) {
    // Islands: triangles connected through shared UV positions (faceted parts have a vertex per
    // triangle corner, so vertex indices alone would split an island into single triangles).
    const auto& m = a.mesh;
    std::vector<int> parent(m.positions.size());
    for (std::size_t i = 0; i < parent.size(); ++i) parent[i] = int(i);
    {
        std::map<std::pair<float, float>, int> first;
        for (std::size_t i = 0; i < m.uv0.size(); ++i) {
            const auto [it, inserted] = first.emplace(std::make_pair(m.uv0[i].x, m.uv0[i].y), int(i));
            if (!inserted) parent[i] = it->second;
        }
    }
    std::function<int(int)> find = [&](int x) { return parent[std::size_t(x)] == x ? x : parent[std::size_t(x)] = find(parent[std::size_t(x)]); };
    for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3) {
        const int a0 = find(int(m.indices[t])), a1 = find(int(m.indices[t + 1])), a2 = find(int(m.indices[t + 2]));
        parent[std::size_t(a1)] = a0;
        parent[std::size_t(find(a2))] = a0;
    }
    std::vector<int> owner(std::size_t(size) * std::size_t(size), -1);
    std::size_t overlaps = 0;
    for (std::size_t t = 0; t + 2 < m.indices.size(); t += 3) {
        const int chart = find(int(m.indices[t]));
        const glm::vec2 p0 = m.uv0[m.indices[t]] * float(size), p1 = m.uv0[m.indices[t + 1]] * float(size), p2 = m.uv0[m.indices[t + 2]] * float(size);
        const float area = (p1.x - p0.x) * (p2.y - p0.y) - (p1.y - p0.y) * (p2.x - p0.x);
        if (std::abs(area) < 1e-9f) continue;
        const int x0 = std::max(0, int(std::min({p0.x, p1.x, p2.x}))), x1 = std::min(size - 1, int(std::max({p0.x, p1.x, p2.x})));
        const int y0 = std::max(0, int(std::min({p0.y, p1.y, p2.y}))), y1 = std::min(size - 1, int(std::max({p0.y, p1.y, p2.y})));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const glm::vec2 q(float(x) + 0.5f, float(y) + 0.5f);
                const float w0 = ((p1.x - q.x) * (p2.y - q.y) - (p1.y - q.y) * (p2.x - q.x)) / area;
                const float w1 = ((p2.x - q.x) * (p0.y - q.y) - (p2.y - q.y) * (p0.x - q.x)) / area;
                if (w0 < 0 || w1 < 0 || w0 + w1 > 1) continue;
                int& o = owner[std::size_t(y) * std::size_t(size) + std::size_t(x)];
                if (o >= 0 && o != chart) ++overlaps;
                o = chart;
            }
    }
    return overlaps;
}

} // namespace

TEST(ProcgenV2, LibraryHasEnoughCategoriesStylesAndParts) {
    const auto& cats = pg::categories();
    EXPECT_GE(cats.size(), 36u);
    std::set<std::string> names;
    for (const auto& c : cats) {
        EXPECT_TRUE(names.insert(c.name).second) << "duplicate " << c.name;
        EXPECT_GE(c.styles.size(), 3u) << c.name;
        EXPECT_GE(c.slots.size(), 2u) << c.name;
        EXPECT_FALSE(c.groups.empty()) << c.name;
        EXPECT_GT(c.maxSize, c.minSize) << c.name;
        for (const auto& s : c.slots) EXPECT_LT(std::size_t(s.group), c.groups.size()) << c.name << " " << s.name;
        // A part's caption noun that is also a category would make captions ambiguous.
        for (const auto& g : c.groups)
            for (const auto& other : cats) EXPECT_NE(g.noun, other.name) << c.name << "'s " << g.noun << " is also a category";
    }
    for (const auto& h : pg::heldOutCategories()) EXPECT_GE(pg::categoryIndex(h), 0) << h;
}

TEST(ProcgenV2, EveryCategoryAndStyleIsValidClosedGroundedAndInItsSizeRange) {
    const auto& cats = pg::categories();
    for (int c = 0; c < int(cats.size()); ++c) {
        std::set<int> styles;
        for (int i = 0; i < 20; ++i) {
            pg::AssetParams p = pg::randomParams(c, std::uint64_t(1000 * c + i));
            p.style = i % int(cats[std::size_t(c)].styles.size());
            styles.insert(p.style);
            const pg::ProcAsset a = pg::generate(p, {.textureSize = 0});
            const std::string what = cats[std::size_t(c)].name + " style " + std::to_string(p.style) + " seed " + std::to_string(i);
            ASSERT_NO_THROW(a.mesh.validate(what)) << what;
            const core::Bounds b = core::computeBounds(a.mesh);
            const glm::vec3 size = b.size();
            const float largest = std::max({size.x, size.y, size.z});
            EXPECT_NEAR(b.min.y, 0.0f, 1e-5f) << what;
            EXPECT_NEAR(b.center().x, 0.0f, 1e-4f) << what;
            EXPECT_GE(largest, cats[std::size_t(c)].minSize) << what;
            EXPECT_LE(largest, cats[std::size_t(c)].maxSize) << what;
            for (const auto& v : a.mesh.positions) ASSERT_TRUE(std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z)) << what;
            for (const auto& uv : a.mesh.uv0) ASSERT_TRUE(uv.x >= 0.0f && uv.x <= 1.0f && uv.y >= 0.0f && uv.y <= 1.0f) << what;
            ASSERT_EQ(a.triangleParts.size(), a.mesh.triangleCount());
            for (std::size_t part = 0; part < a.parts.size(); ++part) {
                const auto report = geometry::analyse(partMesh(a, part));
                EXPECT_TRUE(report.watertight) << what << " part " << a.parts[part].slot << ": " << report.boundaryEdges << " boundary, "
                                               << report.nonManifoldEdges << " non-manifold edges";
                EXPECT_EQ(report.inconsistentEdges, 0u) << what << " part " << a.parts[part].slot;
                EXPECT_GT(report.volume, 0.0) << what << " part " << a.parts[part].slot << " (inside out?)";
            }
            EXPECT_NE(a.caption.find(cats[std::size_t(c)].name), std::string::npos) << a.caption;
            EXPECT_GE(a.paraphrases.size(), 3u);
            for (const auto& para : a.paraphrases) EXPECT_NE(para.find(cats[std::size_t(c)].name), std::string::npos) << para;
        }
        EXPECT_EQ(styles.size(), cats[std::size_t(c)].styles.size());
    }
}

TEST(ProcgenV2, UvChartsNeverOverlap) {
    const auto& cats = pg::categories();
    for (int c = 0; c < int(cats.size()); ++c)
        for (int s = 0; s < int(cats[std::size_t(c)].styles.size()); ++s) {
            pg::AssetParams p = pg::randomParams(c, std::uint64_t(77 + c));
            p.style = s;
            const pg::ProcAsset a = pg::generate(p, {.textureSize = 0});
            EXPECT_EQ(overlappingTexels(a, 512), 0u) << cats[std::size_t(c)].name << " style " << s;
        }
}

TEST(ProcgenV2, TexturesMatchTheCaptionsColoursAndMaterials) {
    const auto& cats = pg::categories();
    for (int c = 0; c < int(cats.size()); ++c) {
        const pg::AssetParams p = pg::randomParams(c, std::uint64_t(5 + 3 * c));
        const pg::ProcAsset a = pg::generate(p, {.textureSize = 256});
        ASSERT_EQ(a.mesh.textures.size(), 3u);
        // Mean colour, metallic and roughness of each part's texels, looked up through its UVs.
        const auto& base = a.mesh.textures[0].image;
        const auto& mr = a.mesh.textures[1].image;
        for (std::size_t part = 0; part < a.parts.size(); ++part) {
            glm::vec3 colour(0.0f);
            double metal = 0.0;
            int n = 0;
            const auto& info = a.parts[part];
            for (std::uint32_t t = info.firstTriangle; t < info.firstTriangle + info.triangleCount; ++t) {
                glm::vec2 uv(0.0f);
                for (int k = 0; k < 3; ++k) uv += a.mesh.uv0[a.mesh.indices[3 * t + std::size_t(k)]] / 3.0f;
                const int x = std::clamp(int(uv.x * 256.0f), 0, 255), y = std::clamp(int(uv.y * 256.0f), 0, 255);
                for (int ch = 0; ch < 3; ++ch) colour[ch] += core::linearFromSrgb(base.at(x, y, ch));
                metal += mr.at(x, y, 2);
                ++n;
            }
            ASSERT_GT(n, 0);
            colour /= float(n);
            metal /= n;
            const std::string what = cats[std::size_t(c)].name + " " + info.slot;
            if (info.material.kind == pg::MaterialKind::Metal) {
                EXPECT_GE(metal, 0.8) << what;
            }
            if (info.material.kind == pg::MaterialKind::Wood) {
                EXPECT_LE(metal, 0.1) << what;
            }
            if (info.material.kind == pg::MaterialKind::Rusty) continue;  // paint and rust: the caption names the paint
            const float dE = core::deltaE76(colour, pg::palette()[std::size_t(info.material.colour)].linear);
            EXPECT_LT(dE, 12.0f) << what << ": " << pg::palette()[std::size_t(info.material.colour)].name << " " << pg::materialInfo(info.material.kind).word;
        }
    }
}

TEST(ProcgenV2, SameParametersSameAssetAndPromptsReadBack) {
    const pg::AssetParams p = pg::randomParams(0, 42);
    const pg::ProcAsset a = pg::generate(p, {.textureSize = 128}), b = pg::generate(p, {.textureSize = 128});
    EXPECT_EQ(a.mesh.positions, b.mesh.positions);
    EXPECT_EQ(a.mesh.uv0, b.mesh.uv0);
    EXPECT_EQ(a.mesh.textures[0].image.u8, b.mesh.textures[0].image.u8);
    EXPECT_EQ(a.caption, b.caption);
    // Every caption reads back to the same category, style and materials.
    for (int c = 0; c < int(pg::categories().size()); ++c)
        for (int i = 0; i < 15; ++i) {
            const pg::AssetParams q = pg::randomParams(c, std::uint64_t(900 + 100 * c + i));
            const auto caps = pg::captions(q);
            for (const auto& caption : caps) {
                const pg::PromptMatch m = pg::matchPrompt(caption, 1);
                EXPECT_EQ(m.params.category, q.category) << caption;
                EXPECT_EQ(m.params.style, q.style) << caption;
                EXPECT_EQ(m.params.materials, q.materials) << caption;
                EXPECT_TRUE(m.unknownWords.empty()) << caption << ": " << (m.unknownWords.empty() ? "" : m.unknownWords.front());
            }
        }
    EXPECT_THROW(pg::matchPrompt("a dragon", 0), Error);
}

TEST(ProcgenV2, EditPairsDifferOnlyWhereTheEditSays) {
    const auto& cats = pg::categories();
    int checked[5] = {0, 0, 0, 0, 0};
    for (int c = 0; c < int(cats.size()); c += 3) {
        const pg::AssetParams p = pg::randomParams(c, std::uint64_t(31 + c));
        const auto edits = pg::possibleEdits(p);
        ASSERT_FALSE(edits.empty()) << cats[std::size_t(c)].name;
        const pg::ProcAsset before = pg::generate(p, {.textureSize = 64});
        for (std::size_t k = 0; k < edits.size(); k += std::max<std::size_t>(1, edits.size() / 6)) {
            const pg::EditPair& e = edits[k];
            EXPECT_EQ(e.before, p);
            EXPECT_FALSE(e.instruction.empty());
            const pg::ProcAsset after = pg::generate(e.after, {.textureSize = 64});
            const std::string what = cats[std::size_t(c)].name + ": " + e.instruction;
            switch (e.kind) {
            case pg::EditKind::Recolour:
            case pg::EditKind::Material: {
                // Same shape and layout; only the edited group's material differs.
                EXPECT_EQ(after.mesh.positions, before.mesh.positions) << what;
                EXPECT_EQ(after.mesh.uv0, before.mesh.uv0) << what;
                for (std::size_t g = 0; g < p.materials.size(); ++g)
                    if (int(g) == e.group) EXPECT_FALSE(e.after.materials[g] == p.materials[g]) << what;
                    else EXPECT_TRUE(e.after.materials[g] == p.materials[g]) << what;
                // Texels of parts outside the group are unchanged.
                const auto& ta = before.mesh.textures[0].image.u8;
                const auto& tb = after.mesh.textures[0].image.u8;
                std::size_t changedOutside = 0;
                for (std::size_t part = 0; part < before.parts.size(); ++part) {
                    if (before.parts[part].group == e.group) continue;
                    const auto& info = before.parts[part];
                    for (std::uint32_t t = info.firstTriangle; t < info.firstTriangle + info.triangleCount; t += 7) {
                        glm::vec2 uv(0.0f);
                        for (int v = 0; v < 3; ++v) uv += before.mesh.uv0[before.mesh.indices[3 * t + std::size_t(v)]] / 3.0f;
                        const std::size_t texel = (std::size_t(std::min(63, int(uv.y * 64))) * 64 + std::size_t(std::min(63, int(uv.x * 64)))) * 3;
                        changedOutside += ta[texel] != tb[texel] || ta[texel + 1] != tb[texel + 1] || ta[texel + 2] != tb[texel + 2];
                    }
                }
                EXPECT_EQ(changedOutside, 0u) << what;
                break;
            }
            case pg::EditKind::Proportion:
                EXPECT_EQ(e.after.materials, p.materials) << what;
                EXPECT_EQ(e.after.style, p.style) << what;
                EXPECT_EQ(e.after.knobs.size(), 1u) << what;
                EXPECT_NE(after.mesh.positions, before.mesh.positions) << what;
                // Every other proportion is drawn exactly as before.
                for (const auto& [name, t] : before.knobs)
                    if (name != e.knob) {
                        EXPECT_EQ(after.knobs.at(name), t) << what << " (" << name << ")";
                    }
                break;
            case pg::EditKind::Style:
                EXPECT_NE(e.after.style, p.style) << what;
                EXPECT_EQ(e.after.materials, p.materials) << what;
                EXPECT_EQ(e.after.shapeSeed, p.shapeSeed) << what;
                break;
            case pg::EditKind::Category:
                EXPECT_NE(e.after.category, p.category) << what;
                EXPECT_NE(after.caption.find(cats[std::size_t(e.after.category)].name), std::string::npos) << what;
                break;
            }
            ++checked[int(e.kind)];
        }
    }
    EXPECT_GT(checked[0], 0);
    EXPECT_GT(checked[1], 0);
    EXPECT_GT(checked[2], 0);
    EXPECT_GT(checked[3], 0);
    // Random edits are deterministic for a seed.
    const pg::AssetParams p = pg::randomParams(0, 5);
    EXPECT_EQ(pg::randomEdit(p, 9).instruction, pg::randomEdit(p, 9).instruction);
}
