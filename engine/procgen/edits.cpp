#include "procgen/edits.h"

#include "core/error.h"
#include "procgen/shape_rng.h"

#include <algorithm>

namespace kiln::procgen {

const char* toString(EditKind kind) {
    switch (kind) {
    case EditKind::Recolour: return "recolour";
    case EditKind::Material: return "material";
    case EditKind::Proportion: return "proportion";
    case EditKind::Style: return "style";
    case EditKind::Category: return "category";
    }
    return "?";
}

const std::vector<std::pair<std::string, std::string>>& relatedCategories() {
    static const std::vector<std::pair<std::string, std::string>> pairs = {
        {"stool", "chair"}, {"chair", "stool"},  {"chair", "armchair"}, {"armchair", "sofa"}, {"bench", "sofa"},  {"table", "desk"},
        {"desk", "table"},  {"mug", "cup"},      {"cup", "mug"},        {"bowl", "plate"},   {"jar", "vase"},   {"vase", "bottle"},
        {"bottle", "potion bottle"}, {"shelf", "bookshelf"}, {"cabinet", "wardrobe"}, {"axe", "hammer"},  {"hammer", "axe"}, {"lamp", "lantern"},
    };
    return pairs;
}

namespace {

// "the legs" / "the seat"; "it" when the category has one group (the whole asset).
std::string target(const CategoryInfo& c, int group) {
    if (c.groups.size() == 1) return "it";
    return "the " + c.groups[std::size_t(group)].noun;
}

std::string materialWords(const MaterialSpec& m) {
    const MaterialInfo& info = materialInfo(m.kind);
    const std::string colour = palette()[std::size_t(m.colour)].name;
    if (m.kind == MaterialKind::Rusty) return "rusty " + colour + " metal";
    return colour + " " + info.noun;
}

// A material group keeps its colour when the new material comes in it, else takes its first.
MaterialSpec withKind(MaterialSpec m, MaterialKind kind) {
    const auto& cs = materialInfo(kind).colours;
    m.kind = kind;
    if (std::find(cs.begin(), cs.end(), m.colour) == cs.end()) m.colour = cs.front();
    return m;
}

} // namespace

std::vector<EditPair> possibleEdits(const AssetParams& p) {
    const auto& cats = categories();
    if (p.category < 0 || p.category >= int(cats.size())) throw Error("edits: category out of range");
    const CategoryInfo& c = cats[std::size_t(p.category)];
    std::vector<EditPair> out;
    for (std::size_t g = 0; g < c.groups.size(); ++g) {
        const MaterialSpec m = p.materials[g];
        for (const int colour : groupColours(c.groups[g], m.kind)) {
            if (colour == m.colour) continue;
            EditPair e{EditKind::Recolour, p, p, "make " + target(c, int(g)) + " " + palette()[std::size_t(colour)].name, int(g), {}};
            e.after.materials[g].colour = colour;
            out.push_back(std::move(e));
        }
        for (const MaterialKind k : c.groups[g].materials) {
            if (k == m.kind) continue;
            EditPair e{EditKind::Material, p, p, {}, int(g), {}};
            e.after.materials[g] = withKind(m, k);
            const auto allowed = groupColours(c.groups[g], k);
            if (std::find(allowed.begin(), allowed.end(), e.after.materials[g].colour) == allowed.end()) e.after.materials[g].colour = allowed.front();
            e.instruction = "make " + target(c, int(g)) + " " + materialWords(e.after.materials[g]);
            out.push_back(std::move(e));
        }
    }
    // Proportions: the drawn position moves by 0.45 of its range, within [-0.25, 1.25] (a little past
    // the library's usual range is still a plausible object).
    const ProcAsset drawn = generate(p, {.textureSize = 0});
    for (const auto& knob : c.editable) {
        const auto it = drawn.knobs.find(knob.knob);
        if (it == drawn.knobs.end()) continue;
        const float t = it->second;
        // Only an edit that changes the shape counts (a style may not use the knob at all).
        auto changes = [&](const AssetParams& a) { return generate(a, {.textureSize = 0}).mesh.positions != drawn.mesh.positions; };
        if (t + 0.45f <= 1.25f) {
            EditPair e{EditKind::Proportion, p, p, knob.more, -1, knob.knob};
            e.after.knobs[knob.knob] = t + 0.45f;
            if (changes(e.after)) out.push_back(std::move(e));
        }
        if (t - 0.45f >= -0.25f) {
            EditPair e{EditKind::Proportion, p, p, knob.less, -1, knob.knob};
            e.after.knobs[knob.knob] = t - 0.45f;
            if (changes(e.after)) out.push_back(std::move(e));
        }
    }
    for (std::size_t s = 0; s < c.styles.size(); ++s) {
        if (int(s) == p.style) continue;
        EditPair e{EditKind::Style, p, p, "make it " + c.styles[s].phrase, -1, {}};
        // "make it with armrests" reads as "give it armrests".
        if (c.styles[s].phrase.rfind("with ", 0) == 0) e.instruction = "give it " + c.styles[s].phrase.substr(5);
        e.after.style = int(s);
        out.push_back(std::move(e));
    }
    for (const auto& [from, to] : relatedCategories()) {
        if (from != c.name) continue;
        const int ti = categoryIndex(to);
        if (ti < 0) continue;
        const CategoryInfo& tc = cats[std::size_t(ti)];
        EditPair e{EditKind::Category, p, p, "make it " + std::string(std::string("aeiou").find(to[0]) != std::string::npos ? "an " : "a ") + to, -1, {}};
        e.after = randomParams(ti, p.shapeSeed);
        e.after.shapeSeed = p.shapeSeed;
        e.after.knobs.clear();
        // Materials carry over group by group where the new category allows them.
        for (std::size_t g = 0; g < tc.groups.size(); ++g) {
            const MaterialSpec& src = p.materials[std::min(g, p.materials.size() - 1)];
            const auto& allowed = tc.groups[g].materials;
            const auto colours = groupColours(tc.groups[g], src.kind);
            if (std::find(allowed.begin(), allowed.end(), src.kind) != allowed.end() &&
                std::find(colours.begin(), colours.end(), src.colour) != colours.end())
                e.after.materials[g] = src;
        }
        out.push_back(std::move(e));
    }
    return out;
}

EditPair randomEdit(const AssetParams& params, std::uint64_t seed) {
    const auto all = possibleEdits(params);
    if (all.empty()) throw Error("edits: no edit is possible for this asset");
    ShapeRng rng(mix64(seed ^ 0x65646974ull));
    // Pick a kind first (among those present), then an edit of that kind.
    std::vector<EditKind> kinds;
    for (const auto& e : all)
        if (std::find(kinds.begin(), kinds.end(), e.kind) == kinds.end()) kinds.push_back(e.kind);
    const EditKind kind = kinds[std::size_t(rng.range(0, int(kinds.size()) - 1))];
    std::vector<const EditPair*> ofKind;
    for (const auto& e : all)
        if (e.kind == kind) ofKind.push_back(&e);
    return *ofKind[std::size_t(rng.range(0, int(ofKind.size()) - 1))];
}

} // namespace kiln::procgen
