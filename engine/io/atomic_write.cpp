#include "io/atomic_write.h"

#include "core/error.h"

#include <random>
#include <string>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

// Removes the temporary directory however the write ends.
struct TempDir {
    fs::path path;
    ~TempDir() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

fs::path makeTempDir(const fs::path& parent) {
    std::random_device rd;
    std::mt19937_64 rng(rd());
    for (int attempt = 0; attempt < 16; ++attempt) {
        fs::path candidate = parent / (".kiln-tmp-" + std::to_string(rng() % 100000000ull));
        std::error_code ec;
        if (fs::create_directory(candidate, ec)) return candidate;
        if (ec) throw Error(parent.string() + ": cannot create a temporary folder (" + ec.message() + ")");
    }
    throw Error(parent.string() + ": cannot create a temporary folder");
}

} // namespace

void checkCanWrite(const fs::path& target, bool overwrite) {
    std::error_code ec;
    if (!overwrite && fs::exists(target, ec))
        throw Error(target.string() + ": already exists (use --force to overwrite)");
    if (fs::is_directory(target, ec)) throw Error(target.string() + ": is a directory");
}

void writeAtomically(const fs::path& target, bool overwrite, const std::function<void(const fs::path&)>& write) {
    if (target.filename().empty()) throw Error(target.string() + ": not a file name");
    checkCanWrite(target, overwrite);
    fs::path parent = target.parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (!fs::is_directory(parent, ec)) throw Error(target.string() + ": folder " + parent.string() + " does not exist");

    TempDir temp{makeTempDir(parent)};
    write(temp.path / target.filename());

    if (!fs::exists(temp.path / target.filename(), ec)) throw Error(target.string() + ": the writer produced no file");
    std::vector<fs::path> produced;
    for (const auto& entry : fs::directory_iterator(temp.path)) produced.push_back(entry.path());
    // Companions first, the main file last, so a reader never sees a main file without its parts.
    for (const auto& p : produced) {
        const fs::path dest = parent / p.filename();
        if (p.filename() != target.filename() && !overwrite && fs::exists(dest, ec))
            throw Error(dest.string() + ": already exists (use --force to overwrite)");
    }
    for (const auto& p : produced) {
        if (p.filename() == target.filename()) continue;
        fs::rename(p, parent / p.filename(), ec);
        if (ec) throw Error((parent / p.filename()).string() + ": cannot move into place (" + ec.message() + ")");
    }
    fs::rename(temp.path / target.filename(), target, ec);
    if (ec) throw Error(target.string() + ": cannot move into place (" + ec.message() + ")");
}

} // namespace kiln::io
