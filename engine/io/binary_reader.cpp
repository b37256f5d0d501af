#include "io/binary_reader.h"

#include <cctype>
#include <cerrno>
#include <fstream>
#include <system_error>

namespace kiln::io {

std::string displayName(const std::filesystem::path& path) {
    return path.filename().empty() ? path.string() : path.filename().string();
}

void writeFileBytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw Error(displayName(path) + ": cannot open for writing");
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    f.close();
    if (!f) throw Error(displayName(path) + ": write failed (disk full?)");
}

std::string lowerExtension(const std::filesystem::path& path) {
    std::string e = path.extension().string();
    for (char& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

std::vector<std::uint8_t> readFileBytes(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(path.string() + ": file not found");
    if (std::filesystem::is_directory(path, ec)) throw Error(path.string() + ": is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot open (" + std::generic_category().message(errno) + ")");
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) throw Error(path.string() + ": cannot read");
    in.seekg(0);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) throw Error(path.string() + ": read failed");
    return bytes;
}

std::string fileTail(const std::filesystem::path& path, std::size_t chars) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size <= 0) return {};
    const std::streamoff from = size > std::streamoff(chars) ? size - std::streamoff(chars) : 0;
    in.seekg(from);
    std::string s(static_cast<std::size_t>(size - from), '\0');
    if (!in.read(s.data(), std::streamsize(s.size()))) return {};
    if (from > 0) s = "..." + s;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

} // namespace kiln::io
