#pragma once

#include "core/document.h"

#include <filesystem>

namespace kiln::io {

// .kiln project files: a folder `<name>.kiln/` holding project.json (assets, versions,
// provenance) and one binary blob per version's data in blobs/. docs/project-format.md has
// the layout.

// Writes the whole project into a temporary folder beside `path`, then swaps it into place
// (io::writeFolderAtomically), so a failed save leaves `path` as it was and leaves no temporary
// folder behind. An existing `path` is replaced only when `overwrite` is set, and only when it
// is a Kiln project.
// Throws kiln::Error("<path>: <reason>").
void saveProject(const core::Document& doc, const std::filesystem::path& path, bool overwrite);

// Reads a project written by this or an older Kiln; `path` is the .kiln folder (or its
// project.json). Every count and size is checked before use; throws kiln::Error naming the file
// (project.json or the blob) and the reason.
core::Document loadProject(const std::filesystem::path& path);

} // namespace kiln::io
