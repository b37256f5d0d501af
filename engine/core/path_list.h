#pragma once

// Colon-separated folder lists from the environment (KILN_MODEL_PATH, KILN_PLUGIN_PATH).

#include <filesystem>
#include <vector>

namespace kiln::core {

// The non-empty entries of the variable, in order; nothing when it is unset.
std::vector<std::filesystem::path> pathListFromEnvironment(const char* variable);

} // namespace kiln::core
