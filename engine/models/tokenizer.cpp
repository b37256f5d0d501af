#include "models/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace kiln::models {

Tokenizer::Tokenizer(std::vector<std::string> words) : m_words(std::move(words)) {
    std::sort(m_words.begin(), m_words.end());
    m_words.erase(std::unique(m_words.begin(), m_words.end()), m_words.end());
}

std::vector<std::string> Tokenizer::splitWords(const std::string& text) {
    std::vector<std::string> out;
    std::string word;
    for (const char ch : text) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (std::isalnum(c)) {
            word.push_back(char(std::tolower(c)));
        } else if (!word.empty()) {
            out.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty()) out.push_back(std::move(word));
    return out;
}

Tokenizer Tokenizer::fromTexts(const std::vector<std::string>& texts) {
    std::set<std::string> all;
    for (const auto& t : texts)
        for (auto& w : splitWords(t)) all.insert(std::move(w));
    return Tokenizer(std::vector<std::string>(all.begin(), all.end()));
}

std::vector<std::int64_t> Tokenizer::encode(const std::string& text, int maxLength, std::vector<std::string>* unknown) const {
    std::vector<std::int64_t> ids;
    for (const auto& w : splitWords(text)) {
        if (int(ids.size()) >= maxLength) break;
        const auto it = std::lower_bound(m_words.begin(), m_words.end(), w);
        if (it != m_words.end() && *it == w) {
            ids.push_back(3 + std::int64_t(it - m_words.begin()));
        } else {
            ids.push_back(kUnknown);
            if (unknown) unknown->push_back(w);
        }
    }
    return ids;
}

} // namespace kiln::models
