#pragma once

// Colon-separated folder lists from the environment (KILN_MODEL_PATH, KILN_PLUGIN_PATH).

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::core {

// The non-empty entries of the variable, in order; nothing when it is unset.
std::vector<std::filesystem::path> pathListFromEnvironment(const char* variable);

// The executable `name` in the first PATH folder that has it; empty when none does.
std::filesystem::path findProgram(const std::string& name);

} // namespace kiln::core
