#pragma once

#include <filesystem>
#include <functional>
#include <vector>

namespace kiln::io {

// Every file Kiln writes goes through here (DESIGN.md: atomic writes, no silent overwrite).
//
// `write` receives a fresh temporary directory on the target's file system and must create
// the output there under the target's file name (plus any companion files: .mtl, .bin, textures).
// When it returns, every file it created is renamed into the target's directory. On any error
// the temporary directory is removed and nothing at the destination changes. Unless `overwrite`
// is set, an existing target or companion file is an error naming it.
void writeAtomically(const std::filesystem::path& target, bool overwrite,
                     const std::function<void(const std::filesystem::path& tempTarget)>& write);

// Throws kiln::Error when `target` exists and `overwrite` is false.
void checkCanWrite(const std::filesystem::path& target, bool overwrite);

} // namespace kiln::io
