#include "io/atomic_write.h"

#include "core/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <string>
#include <system_error>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

std::string errnoMessage(int err) { return std::generic_category().message(err); }

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

// The folder `target` goes into ("." for a bare name); it must exist. `shown` names the target.
fs::path existingParent(const fs::path& target, const std::string& shown) {
    fs::path parent = target.parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (!fs::is_directory(parent, ec)) throw Error(shown + ": folder " + parent.string() + " does not exist");
    return parent;
}

// rename(2) that fails with EEXIST instead of replacing an (empty) folder created meanwhile.
int renameNoReplace(const fs::path& from, const fs::path& to) {
#ifdef RENAME_NOREPLACE
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return errno;
#endif
    std::error_code ec;
    if (fs::exists(fs::symlink_status(to, ec))) return EEXIST;
    return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

// An owned POSIX file descriptor.
class FileHandle {
public:
    explicit FileHandle(int fd) : m_fd(fd) {}
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    ~FileHandle() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const { return m_fd; }
    // Closes now so that a failing close (delayed write error) is reported.
    int close() {
        const int rc = ::close(m_fd);
        m_fd = -1;
        return rc;
    }

private:
    int m_fd;
};

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
    const fs::path parent = existingParent(target, target.string());

    std::error_code ec;
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

void writeFolderAtomically(const fs::path& target, bool overwrite, const std::function<void(const fs::path&)>& write) {
    const std::string shown = target.string();
    fs::path dest = target.lexically_normal();
    if (dest.filename().empty()) dest = dest.parent_path();
    if (dest.filename().empty() || dest.filename() == "." || dest.filename() == "..") throw Error(shown + ": not a folder name");
    const fs::path parent = existingParent(dest, shown);
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(dest, ec);
    const bool exists = fs::exists(status);
    if (exists && !overwrite) throw Error(shown + ": already exists (use --force to overwrite)");
    if (exists && !fs::is_directory(status)) throw Error(shown + ": exists and is not a folder (not replacing it)");

    TempDir temp{makeTempDir(parent)};
    const fs::path fresh = temp.path / dest.filename();
    if (!fs::create_directory(fresh, ec) || ec)
        throw Error(parent.string() + ": cannot create a temporary folder (" + (ec ? ec.message() : "already exists") + ")");
    write(fresh);

    if (!exists) {
        if (const int err = renameNoReplace(fresh, dest)) {
            if (err == EEXIST) throw Error(shown + ": already exists (use --force to overwrite)");
            throw Error(shown + ": cannot move into place (" + errnoMessage(err) + ")");
        }
        syncFolder(parent);
        return;
    }

    // Old folder aside (into the temporary folder, which takes it along when it is removed), new
    // one in; the old one comes back if the second rename fails.
    const fs::path old = temp.path / (dest.filename().string() + ".old");
    if (const int err = renameNoReplace(dest, old)) throw Error(shown + ": cannot replace (" + errnoMessage(err) + ")");
    if (const int err = renameNoReplace(fresh, dest)) {
        ::rename(old.c_str(), dest.c_str());
        throw Error(shown + ": cannot move into place (" + errnoMessage(err) + ")");
    }
    syncFolder(parent);
}

void writeFileDurably(const fs::path& file, const std::string& shown, std::span<const std::span<const std::uint8_t>> pieces) {
    FileHandle fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) throw Error(shown + ": cannot create (" + errnoMessage(errno) + ")");
    for (std::span<const std::uint8_t> piece : pieces) {
        while (!piece.empty()) {
            const ssize_t n = ::write(fd.get(), piece.data(), piece.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                throw Error(shown + ": cannot write (" + errnoMessage(errno) + ")");
            }
            piece = piece.subspan(std::size_t(n));
        }
    }
    if (::fsync(fd.get()) != 0) throw Error(shown + ": cannot write (" + errnoMessage(errno) + ")");
    if (fd.close() != 0) throw Error(shown + ": cannot write (" + errnoMessage(errno) + ")");
}

void syncFolder(const fs::path& folder) {
    FileHandle fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0) ::fsync(fd.get());
}

} // namespace kiln::io
