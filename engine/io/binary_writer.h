#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace kiln::io {

// Values are copied as they lie in memory; every binary format Kiln writes (and BinaryReader
// reads) is little-endian, so a big-endian port needs byte swaps here and in BinaryReader.
static_assert(std::endian::native == std::endian::little, "Kiln's binary formats are little-endian");

// Appends little-endian values to a growing byte buffer: the writing twin of BinaryReader.
class BinaryWriter {
public:
    BinaryWriter() = default;
    // Starts with `bytes` already in the buffer (a text header, a magic string).
    explicit BinaryWriter(std::vector<std::uint8_t> bytes) : m_bytes(std::move(bytes)) {}

    void reserve(std::size_t count) { m_bytes.reserve(count); }
    std::size_t size() const { return m_bytes.size(); }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }
    // The buffer, moved out; the writer is empty afterwards.
    std::vector<std::uint8_t> take() { return std::exchange(m_bytes, {}); }

    template <class T>
    void put(const T& value) {
        static_assert(std::is_trivially_copyable_v<T>);
        putRaw(&value, sizeof(T));
    }

    // The values back to back, without a count.
    template <class T>
    void putArray(std::span<const T> values) {
        static_assert(std::is_trivially_copyable_v<T>);
        putRaw(values.data(), values.size_bytes());
    }
    template <class T>
    void putArray(const std::vector<T>& values) {
        putArray(std::span<const T>(values));
    }

    void putBytes(std::span<const std::uint8_t> bytes) { m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end()); }
    void putZeros(std::size_t count) { m_bytes.insert(m_bytes.end(), count, 0); }

private:
    void putRaw(const void* data, std::size_t count) {
        if (count == 0) return;
        const std::size_t at = m_bytes.size();
        m_bytes.resize(at + count);
        std::memcpy(m_bytes.data() + at, data, count);
    }

    std::vector<std::uint8_t> m_bytes;
};

} // namespace kiln::io
