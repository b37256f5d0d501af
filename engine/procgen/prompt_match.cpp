#include "procgen/prompt_match.h"

#include "core/error.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace kiln::procgen {

std::vector<std::string> promptWords(const std::string& text) {
    std::vector<std::string> out;
    std::string w;
    for (const char c : text + " ") {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') w += char(std::tolower(static_cast<unsigned char>(c)));
        else if (!w.empty()) {
            out.push_back(w);
            w.clear();
        }
    }
    return out;
}

namespace {

bool plural(const std::string& w, const std::string& noun) { return w == noun || w == noun + "s" || w == noun + "es"; }

// The material a run of words names: the last colour and material words before `end`.
void readMaterial(const std::vector<std::string>& ws, std::size_t begin, std::size_t end, int& colour, int& kind) {
    for (std::size_t i = begin; i < end; ++i) {
        const int c = paletteIndex(ws[i]);
        if (c >= 0) colour = c;
        for (const auto& m : materials())
            if (ws[i] == m.word || ws[i] == m.noun || (m.kind == MaterialKind::Wood && ws[i] == "wood")) {
                // "rusty blue metal": the metal is the rusty kind, not plain metal.
                if (m.kind == MaterialKind::Metal && kind == int(MaterialKind::Rusty)) continue;
                kind = int(m.kind);
            }
        if (ws[i] == "clear") colour = paletteIndex("white");
    }
}

MaterialSpec resolve(const MaterialGroup& g, int colour, int kind, const MaterialSpec& fallback) {
    MaterialSpec m = fallback;
    if (kind >= 0 && std::find(g.materials.begin(), g.materials.end(), MaterialKind(kind)) != g.materials.end()) m.kind = MaterialKind(kind);
    // Without a material word, a colour picks the first material of the group that comes in it.
    const auto has = [&](MaterialKind k, int c) {
        const auto cs = groupColours(g, k);
        return std::find(cs.begin(), cs.end(), c) != cs.end();
    };
    if (colour >= 0) {
        if (!has(m.kind, colour) && kind < 0)
            for (const auto k : g.materials)
                if (has(k, colour)) {
                    m.kind = k;
                    break;
                }
        if (has(m.kind, colour)) m.colour = colour;
    }
    if (!has(m.kind, m.colour)) m.colour = groupColours(g, m.kind).front();
    return m;
}

} // namespace

PromptMatch matchPrompt(const std::string& prompt, std::uint64_t seed) {
    const auto ws = promptWords(prompt);
    const auto& cats = categories();
    int category = -1;
    std::size_t categoryAt = 0;
    for (std::size_t i = 0; i < ws.size() && category < 0; ++i)
        for (std::size_t c = 0; c < cats.size(); ++c)
            if (plural(ws[i], cats[c].name)) {
                category = int(c);
                categoryAt = i;
                break;
            }
    if (category < 0) {
        std::string names;
        for (const auto& c : cats) names += (names.empty() ? "" : ", ") + c.name;
        throw Error("the prompt \"" + prompt + "\" names no category of the library (" + names + ")");
    }
    const CategoryInfo& cat = cats[std::size_t(category)];
    PromptMatch out;
    out.params = randomParams(category, seed);
    // Style: the one whose phrase shares the most content words with the prompt.
    int best = -1, bestScore = 0;
    for (std::size_t s = 0; s < cat.styles.size(); ++s) {
        int score = 0;
        for (const auto& w : promptWords(cat.styles[s].phrase + " " + cat.styles[s].name))
            if (w.size() > 2 && w != "with" && w != "and" && std::find(ws.begin(), ws.end(), w) != ws.end()) ++score;
        if (score > bestScore) best = int(s), bestScore = score;
    }
    if (best >= 0) out.params.style = best;
    // Where the chosen style's phrase stands in the prompt, its words are the style's: a group noun
    // inside it ("with four round legs") is not a mention of that part's material.
    std::vector<bool> inStyle(ws.size(), false);
    {
        const auto phrase = promptWords(cat.styles[std::size_t(out.params.style)].phrase);
        for (std::size_t i = 0; !phrase.empty() && i + phrase.size() <= ws.size(); ++i)
            if (std::equal(phrase.begin(), phrase.end(), ws.begin() + std::ptrdiff_t(i)))
                for (std::size_t j = i; j < i + phrase.size(); ++j) inStyle[j] = true;
    }
    // Group materials: the colour and material words between the previous noun (the category's or
    // a group's) and a group's noun belong to that group ("a dark wooden seat and black metal
    // legs"); those before the category's noun, to every group without its own.
    std::vector<std::pair<std::size_t, int>> nouns;  // position, group (-1: the category)
    for (std::size_t i = 0; i < ws.size(); ++i) {
        if (i == categoryAt) {
            nouns.push_back({i, -1});
            continue;
        }
        if (inStyle[i]) continue;
        for (std::size_t g = 0; g < cat.groups.size(); ++g)
            if (plural(ws[i], cat.groups[g].noun)) {
                nouns.push_back({i, int(g)});
                break;
            }
    }
    int globalColour = -1, globalKind = -1;
    std::vector<int> groupColour(cat.groups.size(), -1), groupKind(cat.groups.size(), -1);
    std::size_t from = 0;
    for (const auto& [at, g] : nouns) {
        int colour = -1, kind = -1;
        readMaterial(ws, from, at, colour, kind);
        if (g < 0) {
            globalColour = colour;
            globalKind = kind;
        } else if (colour >= 0 || kind >= 0) {
            groupColour[std::size_t(g)] = colour;
            groupKind[std::size_t(g)] = kind;
        }
        from = at + 1;
    }
    // A trailing "..., red painted" (no noun after it) describes the whole asset.
    if (globalColour < 0 && globalKind < 0) readMaterial(ws, from, ws.size(), globalColour, globalKind);
    for (std::size_t g = 0; g < cat.groups.size(); ++g) {
        const bool own = groupColour[g] >= 0 || groupKind[g] >= 0;
        out.params.materials[g] = resolve(cat.groups[g], own ? groupColour[g] : globalColour, own ? groupKind[g] : globalKind, out.params.materials[g]);
    }
    // Words the vocabulary lacks, for the caller's note.
    std::set<std::string> vocab = {"a", "an", "the", "with", "and", "of", "made", "on", "in", "that", "has", "its", "clear", "wood"};
    for (const auto& c : cats) {
        vocab.insert(c.name);
        for (const auto& s : c.styles)
            for (const auto& w : promptWords(s.phrase)) vocab.insert(w);
        for (const auto& g : c.groups) vocab.insert(g.noun);
    }
    for (const auto& p : palette()) vocab.insert(p.name);
    for (const auto& m : materials()) vocab.insert({m.word, m.noun});
    for (const char* w : {"tall", "short", "small", "large", "wide", "long", "low", "big", "high"}) vocab.insert(w);
    for (const auto& w : ws) {
        bool known = vocab.count(w) > 0;
        for (const auto& c : cats) known |= plural(w, c.name);
        for (const auto& c : cats)
            for (const auto& g : c.groups) known |= plural(w, g.noun);
        if (!known) out.unknownWords.push_back(w);
    }
    return out;
}

} // namespace kiln::procgen
