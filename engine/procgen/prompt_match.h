#pragma once

// Reads a prompt in the library's own vocabulary back into parameters: the category it names,
// the style whose phrase it shares most words with, and the colour and material of each part
// group ("a chair with a dark wooden seat and black metal legs"); what it leaves open comes from
// the seed. The procedural plug-in's baseline and the edit tests use it.

#include "procgen/procgen.h"

#include <string>
#include <vector>

namespace kiln::procgen {

struct PromptMatch {
    AssetParams params;
    std::vector<std::string> unknownWords;  // words the library's vocabulary does not have
};

// Throws kiln::Error naming the categories when the prompt names none.
PromptMatch matchPrompt(const std::string& prompt, std::uint64_t seed);

// Lower-case words of a prompt (letters, digits, '-').
std::vector<std::string> promptWords(const std::string& prompt);

} // namespace kiln::procgen
