#include "core/path_list.h"

#include <cstdlib>
#include <string>
#include <unistd.h>

namespace kiln::core {

std::vector<std::filesystem::path> pathListFromEnvironment(const char* variable) {
    std::vector<std::filesystem::path> out;
    const char* env = std::getenv(variable);
    if (!env) return out;
    const std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
        const auto end = s.find(':', start);
        const std::string part = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!part.empty()) out.emplace_back(part);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

std::filesystem::path findProgram(const std::string& name) {
    for (const auto& dir : pathListFromEnvironment("PATH"))
        if (const auto candidate = dir / name; ::access(candidate.c_str(), X_OK) == 0) return candidate;
    return {};
}

} // namespace kiln::core
