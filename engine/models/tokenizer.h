#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::models {

// Word-level tokenizer over the captions a model was trained on. Text is lower-cased, anything
// that is not a letter or digit separates words. Ids 0..2 are reserved: padding, the empty
// prompt (the unconditional branch of classifier-free guidance) and unknown words.
class Tokenizer {
public:
    static constexpr std::int64_t kPad = 0, kEmpty = 1, kUnknown = 2;

    Tokenizer() = default;
    explicit Tokenizer(std::vector<std::string> words);  // sorted here; ids follow from 3 on
    // Every distinct word of `texts`, sorted, so the ids do not depend on the order of the data.
    static Tokenizer fromTexts(const std::vector<std::string>& texts);

    static std::vector<std::string> splitWords(const std::string& text);

    // Ids of the words of `text`, at most `maxLength` (longer prompts are cut, the model never
    // saw longer captions). `unknown` receives the words not in the vocabulary.
    std::vector<std::int64_t> encode(const std::string& text, int maxLength, std::vector<std::string>* unknown = nullptr) const;

    const std::vector<std::string>& words() const { return m_words; }
    std::size_t size() const { return m_words.size() + 3; }

private:
    std::vector<std::string> m_words;
};

} // namespace kiln::models
