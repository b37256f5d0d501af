#pragma once

#include "core/error.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace kiln::io {

// Reads a whole file; throws kiln::Error("<file>: <reason>") when it cannot.
std::vector<std::uint8_t> readFileBytes(const std::filesystem::path& path);

// The last `chars` characters of a text file (a child process's log), "..." in front when cut,
// trailing newlines and spaces dropped; "" when it cannot be read. Reads only that end.
std::string fileTail(const std::filesystem::path& path, std::size_t chars);

// Writes bytes to `path` (truncating); throws kiln::Error naming the file on failure.
void writeFileBytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

// Lower-case extension with the dot (".glb"), for format dispatch.
std::string lowerExtension(const std::filesystem::path& path);

// Display name used in error messages: the file name, as an artist would recognise it.
std::string displayName(const std::filesystem::path& path);

// Bounds-checked little-endian cursor over bytes. Every overrun becomes
// kiln::Error("<name>: truncated (<what>)") instead of a read past the end.
class BinaryReader {
public:
    BinaryReader(std::span<const std::uint8_t> bytes, std::string name) : m_bytes(bytes), m_name(std::move(name)) {}

    std::size_t offset() const { return m_offset; }
    std::size_t remaining() const { return m_bytes.size() - m_offset; }
    const std::string& name() const { return m_name; }

    void require(std::size_t count, const char* what) const {
        if (count > remaining()) throw Error(m_name + ": truncated (" + what + ")");
    }

    template <class T>
    T read(const char* what) {
        static_assert(std::is_trivially_copyable_v<T>);
        require(sizeof(T), what);
        T value;
        std::memcpy(&value, m_bytes.data() + m_offset, sizeof(T));
        m_offset += sizeof(T);
        return value;
    }

    std::span<const std::uint8_t> bytes(std::size_t count, const char* what) {
        require(count, what);
        auto s = m_bytes.subspan(m_offset, count);
        m_offset += count;
        return s;
    }

    void skip(std::size_t count, const char* what) { bytes(count, what); }

    [[noreturn]] void fail(const std::string& reason) const { throw Error(m_name + ": " + reason); }

private:
    std::span<const std::uint8_t> m_bytes;
    std::string m_name;
    std::size_t m_offset = 0;
};

} // namespace kiln::io
