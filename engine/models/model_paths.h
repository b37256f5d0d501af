#pragma once

// Where model folders are found. Bundled models live in resources/models/<slot> (the source tree,
// or share/kiln/models beside an installed executable); artists add folders of their own
// (KILN_MODEL_PATH, colon-separated, and the studio's preferences). A folder counts as a model
// when it has a manifest.json (models/manifest.h); its slot says what it is for.

#include "models/manifest.h"

#include <filesystem>
#include <string>
#include <vector>

namespace kiln::models {

// Where model packs install (models/packs.h): $KILN_PACKS_DIR, else $XDG_DATA_HOME/kiln/models,
// else ~/.local/share/kiln/models. Searched right after the bundled folder.
std::filesystem::path packsDir();

// The folder holding the bundled model folders (resources/models).
std::filesystem::path bundledModelsDir();
// The bundled model for `slot` (bundledModelsDir() / slot), whether or not it exists.
std::filesystem::path bundledModelDir(const std::string& slot);

// Folders searched besides the bundled one, in order. Set once at start-up (and when the
// studio's preferences change); KILN_MODEL_PATH is always searched after them.
void setUserModelFolders(std::vector<std::filesystem::path> folders);
std::vector<std::filesystem::path> modelSearchFolders();  // bundled first, then packs, user, env

struct ModelEntry {
    std::filesystem::path dir;
    ModelManifest manifest;  // read, not verified (verifying hashes every file)
    bool bundled = false;
};

// Every model folder in the search folders (a search folder's direct children, or the folder
// itself when it holds a manifest), optionally only those of `slot`. Folders whose manifest
// cannot be read are skipped and reported in `problems` when given.
std::vector<ModelEntry> listModels(const std::string& slot = {}, std::vector<std::string>* problems = nullptr);

// The model a pipeline uses for `slot` when the user names none: the bundled one, else the first
// found. Throws kiln::Error naming the slot and where Kiln looked when there is none.
std::filesystem::path defaultModelDir(const std::string& slot);
// The same, or an empty path when there is none (a slot a pipeline can do without).
std::filesystem::path defaultModelDirIfAny(const std::string& slot);

} // namespace kiln::models
