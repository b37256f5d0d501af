#include "procgen/v1/procgen.h"

#include "core/color.h"
#include "core/error.h"
#include "shapes.h"

#include <algorithm>
#include <cmath>

namespace kiln::procgen::v1 {

namespace {

PaletteColour colour(const char* name, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    PaletteColour c;
    c.name = name;
    c.srgb[0] = r;
    c.srgb[1] = g;
    c.srgb[2] = b;
    for (int k = 0; k < 3; ++k) c.rgb[k] = core::linearFromSrgb(float(c.srgb[k]) / 255.0f);
    return c;
}

std::string joinWords(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& w : words) {
        if (w.empty()) continue;
        if (!out.empty()) out += ' ';
        out += w;
    }
    // A comma left in front of a dropped word ("vase, , with") or at the end is removed.
    std::string clean;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == ',' && (i + 1 == out.size() || out.compare(i + 1, 2, " ,") == 0)) continue;
        clean += out[i];
    }
    return clean;
}

// "a" or "an" by the first letter of the next word (the vocabulary has no silent h or long u).
std::string article(const std::string& next) {
    return !next.empty() && std::string("aeio").find(next[0]) != std::string::npos ? "an" : "a";
}

std::string withComma(const std::string& w) { return w.empty() ? w : w + ","; }

void checkIndices(int category, int style, int colourIndex) {
    const auto& cats = categories();
    if (category < 0 || category >= int(cats.size()))
        throw Error("procgen: category " + std::to_string(category) + " is outside 0.." + std::to_string(cats.size() - 1));
    const CategoryInfo& cat = cats[std::size_t(category)];
    if (style < 0 || style >= int(cat.styles.size()))
        throw Error("procgen: style " + std::to_string(style) + " is outside 0.." + std::to_string(cat.styles.size() - 1) + " for " +
                    cat.name);
    if (colourIndex < 0 || colourIndex >= int(palette().size()))
        throw Error("procgen: colour " + std::to_string(colourIndex) + " is outside 0.." + std::to_string(palette().size() - 1));
}

void checkParams(const AssetParams& p) {
    checkIndices(p.category, p.style, p.colour);
    const CategoryInfo& cat = categories()[std::size_t(p.category)];
    if (std::size_t(p.material) >= materials().size()) throw Error("procgen: unknown material " + std::to_string(int(p.material)));
    if (std::find(cat.materials.begin(), cat.materials.end(), p.material) == cat.materials.end())
        throw Error("procgen: a " + cat.name + " cannot be " + materials()[std::size_t(p.material)].name);
}

double tripleHash(int category, int style, int colour) {
    const std::uint64_t key = (std::uint64_t(category) << 40) ^ (std::uint64_t(style) << 20) ^ std::uint64_t(colour);
    return double(detail::mix64(key ^ 0x6B696C6E73706C74ull) >> 11) * (1.0 / 9007199254740992.0);
}

} // namespace

namespace detail {

const std::vector<CategoryDef>& categoryDefs() {
    static const std::vector<CategoryDef> defs = [] {
        std::vector<CategoryDef> d;
        addFurniture(d);
        addVessels(d);
        addNature(d);
        return d;
    }();
    return defs;
}

} // namespace detail

const std::vector<PaletteColour>& palette() {
    // Picked to stay far apart in CIELAB (the unit test checks min delta E > 15).
    static const std::vector<PaletteColour> p = {
        colour("red", 200, 30, 35),    colour("orange", 240, 130, 20), colour("yellow", 245, 210, 40), colour("green", 50, 150, 50),
        colour("teal", 0, 128, 128),   colour("blue", 40, 80, 200),    colour("purple", 120, 50, 160), colour("pink", 240, 140, 180),
        colour("brown", 115, 70, 35),  colour("black", 25, 25, 25),    colour("white", 235, 235, 235), colour("gray", 128, 128, 128),
    };
    return p;
}

const std::vector<MaterialInfo>& materials() {
    static const std::vector<MaterialInfo> m = {
        {MaterialKind::Wood, "wooden", 0.75f, 0.0f, "wood"},       {MaterialKind::Metal, "metal", 0.3f, 1.0f, "metal"},
        {MaterialKind::Ceramic, "ceramic", 0.25f, 0.0f, "ceramic"}, {MaterialKind::Stone, "stone", 0.9f, 0.0f, "stone"},
        {MaterialKind::Plastic, "plastic", 0.45f, 0.0f, "plastic"},
    };
    return m;
}

const std::vector<CategoryInfo>& categories() {
    static const std::vector<CategoryInfo> c = [] {
        std::vector<CategoryInfo> out;
        for (const detail::CategoryDef& d : detail::categoryDefs()) {
            CategoryInfo info;
            info.name = d.name;
            for (const detail::StyleDef& s : d.styles) info.styles.push_back({s.name, s.phrase});
            info.materials = d.materials;
            out.push_back(std::move(info));
        }
        return out;
    }();
    return c;
}

ProcAsset generate(const AssetParams& params) {
    checkParams(params);
    const detail::CategoryDef& def = detail::categoryDefs()[std::size_t(params.category)];
    const PaletteColour& pc = palette()[std::size_t(params.colour)];
    const MaterialInfo& mat = materials()[std::size_t(params.material)];

    // The proportions depend on the shape seed and the category/style only (not the colour or
    // material), so recolouring a sample keeps its shape.
    detail::ShapeRng rng(detail::mix64(params.shapeSeed) ^ (std::uint64_t(params.category) << 32) ^ std::uint64_t(params.style));
    detail::MeshBuilder builder;
    builder.setColour({pc.rgb[0], pc.rgb[1], pc.rgb[2]});
    detail::ShapeNotes notes;
    def.build(builder, params.style, rng, notes);

    core::Material material;
    material.name = mat.name;
    material.baseColorFactor = glm::vec4(1.0f);
    material.roughnessFactor = mat.roughness;
    material.metallicFactor = mat.metalness;

    ProcAsset out;
    out.params = params;
    out.mesh = builder.finish(material);

    const std::string& noun = def.name;
    const std::string& col = pc.name;
    const std::string& phrase = def.styles[std::size_t(params.style)].phrase;
    const std::string& size = notes.sizeWord;
    const std::string first = size.empty() ? col : size;
    out.caption = joinWords({article(first), size, col, mat.name, noun, phrase});
    out.paraphrases = {
        joinWords({col, noun, "made", "of", withComma(mat.noun), size, phrase}),
        joinWords({article(size.empty() ? noun : size), size, noun, withComma(phrase), col, "and", mat.name}),
        joinWords({size, mat.name, noun, "in", col, phrase}),
        joinWords({col, mat.name, withComma(noun), withComma(size), phrase}),
    };
    return out;
}

AssetParams randomParams(int category, std::mt19937_64& rng) {
    const auto& cats = categories();
    if (category < 0 || category >= int(cats.size()))
        throw Error("procgen: category " + std::to_string(category) + " is outside 0.." + std::to_string(cats.size() - 1));
    const CategoryInfo& cat = cats[std::size_t(category)];
    // Plain modulo of the raw engine output: the same on every standard library.
    AssetParams p;
    p.category = category;
    p.style = int(rng() % cat.styles.size());
    p.colour = int(rng() % palette().size());
    p.material = cat.materials[std::size_t(rng() % cat.materials.size())];
    p.shapeSeed = rng();
    return p;
}

bool isValidationTriple(int category, int style, int colour, double valFraction) {
    checkIndices(category, style, colour);
    if (!(valFraction > 0.0)) return false;
    const CategoryInfo& cat = categories()[std::size_t(category)];
    // Per category: the triples below the fraction, plus the lowest hash when none is; never all.
    double lowest = 2.0, highest = -1.0;
    int below = 0, total = 0;
    for (int s = 0; s < int(cat.styles.size()); ++s)
        for (int c = 0; c < int(palette().size()); ++c) {
            const double h = tripleHash(category, s, c);
            lowest = std::min(lowest, h);
            highest = std::max(highest, h);
            below += h < valFraction;
            ++total;
        }
    const double h = tripleHash(category, style, colour);
    if (h == lowest) return true;
    if (h == highest) return below == 0 && total == 1;
    return h < valFraction;
}

} // namespace kiln::procgen::v1
