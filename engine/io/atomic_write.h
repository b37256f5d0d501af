#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
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

// The same for an output that is a folder (a .kiln project; "a.kiln/" names the folder a.kiln).
// `write` fills `tempFolder`, a fresh empty folder on the target's file system, which then takes
// the target's place in one rename. An existing target is replaced only when `overwrite` is set:
// it is moved aside first, put back if the new folder cannot be moved in, and removed after.
// The parent folder is synced so the rename survives a crash. Errors name `target` as given.
void writeFolderAtomically(const std::filesystem::path& target, bool overwrite,
                           const std::function<void(const std::filesystem::path& tempFolder)>& write);

// Throws kiln::Error when `target` exists and `overwrite` is false.
void checkCanWrite(const std::filesystem::path& target, bool overwrite);

// Creates `file` (it must not exist yet), writes `pieces` one after the other and flushes the
// file to disk before returning; `shown` names it in errors (its final location, not the
// temporary one). For writers inside writeFolderAtomically that must survive a crash.
void writeFileDurably(const std::filesystem::path& file, const std::string& shown,
                      std::span<const std::span<const std::uint8_t>> pieces);

// Best effort: makes new entries and renames in `folder` durable.
void syncFolder(const std::filesystem::path& folder);

} // namespace kiln::io
