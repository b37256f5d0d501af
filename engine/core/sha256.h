#pragma once

// SHA-256 (FIPS 180-4), for the checksums of model folders and the provenance of input files.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace kiln::core {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::span<const std::uint8_t> bytes) { update(bytes.data(), bytes.size()); }
    // The digest; the object must not be updated afterwards.
    std::array<std::uint8_t, 32> finish();
    // Lower-case hex of finish().
    std::string finishHex();

private:
    void block(const std::uint8_t* p);

    std::uint32_t m_state[8];
    std::uint8_t m_buffer[64];
    std::size_t m_buffered = 0;
    std::uint64_t m_length = 0;  // bytes seen
};

std::string sha256Hex(std::span<const std::uint8_t> bytes);

} // namespace kiln::core
