#include "io/splat_io.h"

#include "core/error.h"
#include "io/binary_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace kiln::io {

namespace {

// ---------------------------------------------------------------------------------------------
// Zstandard decoder (RFC 8878): SPZ v4 compresses every attribute stream with zstd and Kiln links
// only zlib, so this is a compact decoder written from the specification. Frames must not need a
// dictionary; output goes into a buffer of the exact size the SPZ table of contents declares, and
// every inconsistency (including running out of input) is reported as corruption.
// ---------------------------------------------------------------------------------------------
namespace zstd {

struct Corrupt {
    const char* reason;
};

constexpr std::uint32_t kFrameMagic = 0xFD2FB528u;
constexpr std::uint32_t kSkippableMagic = 0x184D2A50u;  // low 4 bits are free
constexpr std::size_t kMaxBlockSize = 128 * 1024;
constexpr int kMaxHuffmanBits = 11;

int highBit(std::uint32_t v) { return 31 - std::countl_zero(v); }

std::uint32_t loadLe32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

std::uint64_t loadLe64(const std::uint8_t* p) { return loadLe32(p) | std::uint64_t(loadLe32(p + 4)) << 32; }

// XXH64 (Collet, xxHash specification); zstd's content checksum is its low 32 bits with seed 0.
std::uint64_t xxh64(const std::uint8_t* p, std::size_t len) {
    constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full, kP3 = 0x165667B19E3779F9ull,
                            kP4 = 0x85EBCA77C2B2AE63ull, kP5 = 0x27D4EB2F165667C5ull;
    const auto round = [](std::uint64_t acc, std::uint64_t input) { return std::rotl(acc + input * kP2, 31) * kP1; };
    const auto merge = [&](std::uint64_t acc, std::uint64_t v) { return (acc ^ round(0, v)) * kP1 + kP4; };
    const std::uint8_t* const end = p + len;
    std::uint64_t h;
    if (len >= 32) {
        std::uint64_t v1 = kP1 + kP2, v2 = kP2, v3 = 0, v4 = 0 - kP1;
        for (; end - p >= 32; p += 32) {
            v1 = round(v1, loadLe64(p));
            v2 = round(v2, loadLe64(p + 8));
            v3 = round(v3, loadLe64(p + 16));
            v4 = round(v4, loadLe64(p + 24));
        }
        h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
        h = merge(merge(merge(merge(h, v1), v2), v3), v4);
    } else {
        h = kP5;
    }
    h += len;
    for (; end - p >= 8; p += 8) h = std::rotl(h ^ round(0, loadLe64(p)), 27) * kP1 + kP4;
    if (end - p >= 4) {
        h = std::rotl(h ^ (std::uint64_t(loadLe32(p)) * kP1), 23) * kP2 + kP3;
        p += 4;
    }
    for (; p < end; ++p) h = std::rotl(h ^ (*p * kP5), 11) * kP1;
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
}

// Little-endian bit stream read from its first bit (FSE table descriptions).
class ForwardBits {
public:
    explicit ForwardBits(std::span<const std::uint8_t> data) : m_data(data) {}

    std::uint32_t peek(int n) const {  // n <= 24; bits past the end read as zero
        const std::size_t byte = m_pos >> 3;
        std::uint64_t word = 0;
        if (byte < m_data.size()) std::memcpy(&word, m_data.data() + byte, std::min<std::size_t>(8, m_data.size() - byte));
        return std::uint32_t((word >> (m_pos & 7)) & ((std::uint64_t(1) << n) - 1));
    }
    void skip(int n) {
        m_pos += std::size_t(n);
        if (m_pos > m_data.size() * 8) throw Corrupt{"table description runs past its block"};
    }
    std::uint32_t read(int n) {
        const std::uint32_t v = peek(n);
        skip(n);
        return v;
    }
    std::size_t bytesUsed() const { return (m_pos + 7) / 8; }

private:
    std::span<const std::uint8_t> m_data;
    std::size_t m_pos = 0;
};

// Bit stream read backwards from its end mark (Huffman, FSE and sequence streams, RFC 8878 4.1).
// Reads past the start return zero bits; remaining() turns negative so callers can detect it.
class BackwardBits {
public:
    explicit BackwardBits(std::span<const std::uint8_t> data) : m_data(data) {
        if (data.empty() || data.back() == 0) throw Corrupt{"bit stream has no end mark"};
        m_pos = std::int64_t(data.size()) * 8 - 8 + highBit(data.back());
    }

    std::uint64_t peek(int n) const {  // n <= 56
        if (n == 0) return 0;
        const std::int64_t start = m_pos - n;
        if (start >= 0) return extract(std::size_t(start), n);
        if (m_pos <= 0) return 0;
        return extract(0, int(m_pos)) << (-start);
    }
    void consume(int n) { m_pos -= n; }
    std::uint64_t read(int n) {
        const std::uint64_t v = peek(n);
        m_pos -= n;
        return v;
    }
    std::int64_t remaining() const { return m_pos; }

private:
    std::uint64_t extract(std::size_t start, int n) const {
        const std::size_t byte = start >> 3;
        std::uint64_t word = 0;
        std::memcpy(&word, m_data.data() + byte, std::min<std::size_t>(8, m_data.size() - byte));
        return (word >> (start & 7)) & ((std::uint64_t(1) << n) - 1);
    }

    std::span<const std::uint8_t> m_data;
    std::int64_t m_pos = 0;
};

struct FseEntry {
    std::uint16_t baseline = 0;
    std::uint8_t symbol = 0;
    std::uint8_t nbBits = 0;
};

struct FseTable {
    std::vector<FseEntry> entries;
    int accuracyLog = 0;
    bool valid = false;
};

// FSE decoding table from normalised counts (RFC 8878 4.1.1: spread with step (5/8 size + 3)).
void buildFseTable(std::span<const std::int16_t> norm, int accuracyLog, FseTable& table) {
    const int size = 1 << accuracyLog;
    table.entries.assign(std::size_t(size), FseEntry{});
    table.accuracyLog = accuracyLog;
    std::array<std::uint16_t, 256> next{};
    int high = size - 1;
    for (std::size_t s = 0; s < norm.size(); ++s) {
        if (norm[s] == -1) {
            if (high < 0) throw Corrupt{"bad FSE distribution"};
            table.entries[std::size_t(high--)].symbol = std::uint8_t(s);
            next[s] = 1;
        } else {
            next[s] = std::uint16_t(norm[s]);
        }
    }
    const int step = (size >> 1) + (size >> 3) + 3;
    int pos = 0;
    for (std::size_t s = 0; s < norm.size(); ++s) {
        for (int i = 0; i < norm[s]; ++i) {
            table.entries[std::size_t(pos)].symbol = std::uint8_t(s);
            do pos = (pos + step) & (size - 1);
            while (pos > high);
        }
    }
    if (pos != 0) throw Corrupt{"bad FSE distribution"};
    for (FseEntry& e : table.entries) {
        const std::uint32_t state = next[e.symbol]++;
        if (state == 0) throw Corrupt{"bad FSE distribution"};
        const int nbBits = accuracyLog - highBit(state);
        if (nbBits < 0) throw Corrupt{"bad FSE distribution"};
        e.nbBits = std::uint8_t(nbBits);
        e.baseline = std::uint16_t((state << nbBits) - std::uint32_t(size));
    }
    table.valid = true;
}

void buildRleTable(std::uint8_t symbol, FseTable& table) {
    table.entries.assign(1, FseEntry{0, symbol, 0});
    table.accuracyLog = 0;
    table.valid = true;
}

// FSE table description (RFC 8878 4.1.1); returns the bytes it used.
std::size_t readFseTable(std::span<const std::uint8_t> data, int maxSymbol, int maxLog, FseTable& table) {
    ForwardBits bits(data);
    const int accuracyLog = int(bits.read(4)) + 5;
    if (accuracyLog > maxLog) throw Corrupt{"FSE accuracy too large"};
    std::array<std::int16_t, 256> norm{};
    int remaining = (1 << accuracyLog) + 1;
    int threshold = 1 << accuracyLog;
    int nbBits = accuracyLog + 1;
    int symbol = 0;
    bool previousZero = false;
    while (remaining > 1 && symbol <= maxSymbol) {
        if (previousZero) {
            int zeros = 0;
            for (;;) {
                const int repeat = int(bits.read(2));
                zeros += repeat;
                if (repeat != 3) break;
            }
            if (symbol + zeros > maxSymbol) throw Corrupt{"FSE symbol out of range"};
            while (zeros-- > 0) norm[std::size_t(symbol++)] = 0;
        }
        const int max = (2 * threshold - 1) - remaining;
        const int low = int(bits.peek(nbBits - 1));
        int count;
        if (low < max) {
            count = low;
            bits.skip(nbBits - 1);
        } else {
            count = int(bits.peek(nbBits));
            if (count >= threshold) count -= max;
            bits.skip(nbBits);
        }
        --count;  // -1 marks a "less than 1" probability
        remaining -= count < 0 ? -count : count;
        if (remaining < 1) throw Corrupt{"bad FSE distribution"};
        norm[std::size_t(symbol++)] = std::int16_t(count);
        previousZero = count == 0;
        while (remaining < threshold) {
            --nbBits;
            threshold >>= 1;
        }
    }
    if (remaining != 1) throw Corrupt{"bad FSE distribution"};
    buildFseTable(std::span<const std::int16_t>(norm.data(), std::size_t(symbol)), accuracyLog, table);
    return bits.bytesUsed();
}

struct HuffmanTable {
    std::vector<std::uint16_t> entries;  // symbol << 8 | code length, indexed by the next maxBits bits
    int maxBits = 0;
    bool valid = false;
};

// Predefined sequence distributions and code baselines (RFC 8878 3.1.1.3.2.1 and 3.1.1.3.2.2).
constexpr std::array<std::int16_t, 36> kLiteralLengthNorm = {4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2,
                                                            2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1};
constexpr std::array<std::int16_t, 53> kMatchLengthNorm = {1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1,  1,  1,  1,  1,  1,  1, 1,
                                                          1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  1,  1,  1,  1,  1,  1, 1,
                                                          1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1};
constexpr std::array<std::int16_t, 29> kOffsetNorm = {1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1,
                                                     1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1};
constexpr std::array<std::uint32_t, 36> kLiteralLengthBase = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,   10,  11,  12,  13,   14,   15,   16,   18,
    20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};
constexpr std::array<std::uint8_t, 36> kLiteralLengthBits = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0,  0,  1,  1,
                                                            1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr std::array<std::uint32_t, 53> kMatchLengthBase = {
    3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,  14,  15,  16,  17,   18,   19,   20,   21,   22,    23,    24,    25,   26,   27,   28,  29,
    30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539};
constexpr std::array<std::uint8_t, 53> kMatchLengthBits = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
                                                          2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

class Decoder {
public:
    Decoder() {
        buildFseTable(kLiteralLengthNorm, 6, m_llDefault);
        buildFseTable(kOffsetNorm, 5, m_ofDefault);
        buildFseTable(kMatchLengthNorm, 6, m_mlDefault);
    }

    // Decodes every frame in `src`; the decoded bytes must fill `dst` exactly.
    void decompress(std::span<const std::uint8_t> src, std::span<std::uint8_t> dst) {
        if (src.empty()) throw Corrupt{"empty stream"};
        std::size_t in = 0, out = 0;
        while (in < src.size()) {
            if (src.size() - in < 4) throw Corrupt{"truncated frame"};
            const std::uint32_t magic = loadLe32(src.data() + in);
            if ((magic & 0xFFFFFFF0u) == kSkippableMagic) {
                if (src.size() - in < 8) throw Corrupt{"truncated frame"};
                const std::uint32_t length = loadLe32(src.data() + in + 4);
                if (src.size() - in - 8 < length) throw Corrupt{"truncated frame"};
                in += 8 + std::size_t(length);
                continue;
            }
            if (magic != kFrameMagic) throw Corrupt{"bad frame magic"};
            in += 4;
            decodeFrame(src, in, dst, out);
        }
        if (out != dst.size()) throw Corrupt{"decoded size differs from the declared size"};
    }

private:
    void decodeFrame(std::span<const std::uint8_t> src, std::size_t& in, std::span<std::uint8_t> dst, std::size_t& out) {
        const auto need = [&](std::size_t n) {
            if (src.size() - in < n) throw Corrupt{"truncated frame"};
        };
        need(1);
        const std::uint8_t descriptor = src[in++];
        const int fcsFlag = descriptor >> 6;
        const bool singleSegment = (descriptor >> 5) & 1;
        const bool hasChecksum = (descriptor >> 2) & 1;
        if (descriptor & 0x08) throw Corrupt{"reserved frame header bit set"};
        // The whole frame is decoded into one buffer, so the window size does not matter.
        if (!singleSegment) {
            need(1);
            ++in;
        }
        static constexpr std::array<std::size_t, 4> kDictIdBytes = {0, 1, 2, 4};
        const std::size_t dictBytes = kDictIdBytes[descriptor & 3];
        need(dictBytes);
        std::uint32_t dictId = 0;
        for (std::size_t i = 0; i < dictBytes; ++i) dictId |= std::uint32_t(src[in + i]) << (8 * i);
        in += dictBytes;
        if (dictId != 0) throw Corrupt{"frame needs a dictionary"};
        const std::size_t fcsBytes = fcsFlag == 0 ? (singleSegment ? 1 : 0) : std::size_t(1) << fcsFlag;
        need(fcsBytes);
        std::uint64_t contentSize = 0;
        for (std::size_t i = 0; i < fcsBytes; ++i) contentSize |= std::uint64_t(src[in + i]) << (8 * i);
        if (fcsBytes == 2) contentSize += 256;
        in += fcsBytes;

        const std::size_t frameStart = out;
        m_repeat = {1, 4, 8};
        m_huffman.valid = m_ll.valid = m_of.valid = m_ml.valid = false;
        for (bool last = false; !last;) {
            need(3);
            const std::uint32_t header = std::uint32_t(src[in]) | std::uint32_t(src[in + 1]) << 8 | std::uint32_t(src[in + 2]) << 16;
            in += 3;
            last = header & 1;
            const std::size_t size = header >> 3;
            switch ((header >> 1) & 3) {
            case 0:  // raw
                need(size);
                if (dst.size() - out < size) throw Corrupt{"output larger than declared"};
                std::memcpy(dst.data() + out, src.data() + in, size);
                in += size;
                out += size;
                break;
            case 1:  // RLE: one byte repeated `size` times
                need(1);
                if (dst.size() - out < size) throw Corrupt{"output larger than declared"};
                std::memset(dst.data() + out, src[in], size);
                in += 1;
                out += size;
                break;
            case 2:
                need(size);
                if (size > kMaxBlockSize) throw Corrupt{"block too large"};
                decodeCompressedBlock(src.subspan(in, size), dst, frameStart, out);
                in += size;
                break;
            default:
                throw Corrupt{"reserved block type"};
            }
        }
        if (fcsBytes > 0 && out - frameStart != contentSize) throw Corrupt{"frame content size mismatch"};
        if (hasChecksum) {
            need(4);
            const std::uint32_t stored = loadLe32(src.data() + in);
            in += 4;
            if (std::uint32_t(xxh64(dst.data() + frameStart, out - frameStart)) != stored) throw Corrupt{"checksum mismatch"};
        }
    }

    void decodeCompressedBlock(std::span<const std::uint8_t> block, std::span<std::uint8_t> dst, std::size_t frameStart,
                               std::size_t& out) {
        const std::size_t used = decodeLiterals(block);
        decodeSequences(block.subspan(used), dst, frameStart, out);
    }

    // Literals section (RFC 8878 3.1.1.3.1); fills m_literals and returns the bytes it used.
    std::size_t decodeLiterals(std::span<const std::uint8_t> block) {
        if (block.empty()) throw Corrupt{"empty block"};
        const std::uint8_t b0 = block[0];
        const int type = b0 & 3;
        const int sizeFormat = (b0 >> 2) & 3;
        const auto byteAt = [&](std::size_t i) -> std::uint32_t {
            if (i >= block.size()) throw Corrupt{"truncated literals header"};
            return block[i];
        };
        if (type < 2) {  // raw or RLE
            std::size_t headerSize, regenerated;
            if ((sizeFormat & 1) == 0) {
                headerSize = 1;
                regenerated = b0 >> 3;
            } else if (sizeFormat == 1) {
                headerSize = 2;
                regenerated = (b0 >> 4) + (byteAt(1) << 4);
            } else {
                headerSize = 3;
                regenerated = (b0 >> 4) + (byteAt(1) << 4) + (byteAt(2) << 12);
            }
            if (regenerated > kMaxBlockSize) throw Corrupt{"literals too large"};
            m_literals.resize(regenerated);
            if (type == 0) {
                if (block.size() - headerSize < regenerated) throw Corrupt{"truncated literals"};
                if (regenerated > 0) std::memcpy(m_literals.data(), block.data() + headerSize, regenerated);
                return headerSize + regenerated;
            }
            std::memset(m_literals.data(), int(byteAt(headerSize)), regenerated);
            return headerSize + 1;
        }

        // Huffman-compressed (type 2) or reusing the previous block's tree (type 3).
        static constexpr std::array<std::size_t, 4> kHeaderSize = {3, 3, 4, 5};
        static constexpr std::array<int, 4> kSizeBits = {10, 10, 14, 18};
        const std::size_t headerSize = kHeaderSize[std::size_t(sizeFormat)];
        std::uint64_t combined = 0;
        for (std::size_t i = 0; i < headerSize; ++i) combined |= std::uint64_t(byteAt(i)) << (8 * i);
        const int bits = kSizeBits[std::size_t(sizeFormat)];
        const std::size_t mask = (std::size_t(1) << bits) - 1;
        const std::size_t regenerated = std::size_t(combined >> 4) & mask;
        const std::size_t compressed = std::size_t(combined >> (4 + bits)) & mask;
        if (regenerated > kMaxBlockSize) throw Corrupt{"literals too large"};
        if (block.size() - headerSize < compressed) throw Corrupt{"truncated literals"};
        std::span<const std::uint8_t> payload = block.subspan(headerSize, compressed);
        if (type == 2) {
            payload = payload.subspan(readHuffmanTable(payload));
        } else if (!m_huffman.valid) {
            throw Corrupt{"treeless literals without a previous Huffman table"};
        }
        m_literals.resize(regenerated);
        if (sizeFormat == 0) {
            decodeHuffmanStream(payload, m_literals.data(), regenerated);
        } else {
            if (payload.size() < 6) throw Corrupt{"truncated jump table"};
            const std::size_t s1 = payload[0] | std::size_t(payload[1]) << 8;
            const std::size_t s2 = payload[2] | std::size_t(payload[3]) << 8;
            const std::size_t s3 = payload[4] | std::size_t(payload[5]) << 8;
            if (payload.size() - 6 < s1 + s2 + s3) throw Corrupt{"bad jump table"};
            const std::size_t segment = (regenerated + 3) / 4;
            if (3 * segment > regenerated) throw Corrupt{"bad literal stream sizes"};
            std::size_t at = 6;
            const std::array<std::size_t, 4> sizes = {s1, s2, s3, payload.size() - 6 - s1 - s2 - s3};
            for (std::size_t i = 0; i < 4; ++i) {
                const std::size_t count = i < 3 ? segment : regenerated - 3 * segment;
                decodeHuffmanStream(payload.subspan(at, sizes[i]), m_literals.data() + i * segment, count);
                at += sizes[i];
            }
        }
        return headerSize + compressed;
    }

    // Huffman tree description (RFC 8878 4.2.1); returns the bytes it used.
    std::size_t readHuffmanTable(std::span<const std::uint8_t> data) {
        if (data.empty()) throw Corrupt{"missing Huffman tree"};
        const std::size_t header = data[0];
        std::array<std::uint8_t, 256> weights{};
        std::size_t count = 0;
        std::size_t used;
        if (header >= 128) {
            count = header - 127;
            const std::size_t bytes = (count + 1) / 2;
            if (data.size() - 1 < bytes) throw Corrupt{"truncated Huffman tree"};
            for (std::size_t i = 0; i < count; ++i) {
                const std::uint8_t b = data[1 + i / 2];
                weights[i] = (i & 1) ? (b & 15) : (b >> 4);
            }
            used = 1 + bytes;
        } else {
            if (header == 0 || data.size() - 1 < header) throw Corrupt{"truncated Huffman tree"};
            const std::span<const std::uint8_t> fse = data.subspan(1, header);
            const std::size_t descriptionBytes = readFseTable(fse, 255, 6, m_weightTable);
            BackwardBits bits(fse.subspan(descriptionBytes));
            const auto& e = m_weightTable.entries;
            std::uint32_t state1 = std::uint32_t(bits.read(m_weightTable.accuracyLog));
            std::uint32_t state2 = std::uint32_t(bits.read(m_weightTable.accuracyLog));
            // Two interleaved states; when the stream runs out, the other state's symbol ends it.
            const auto emit = [&](std::uint32_t state) {
                if (count >= 255) throw Corrupt{"too many Huffman weights"};
                weights[count++] = e[state].symbol;
            };
            for (;;) {
                emit(state1);
                state1 = e[state1].baseline + std::uint32_t(bits.read(e[state1].nbBits));
                if (bits.remaining() < 0) {
                    emit(state2);
                    break;
                }
                emit(state2);
                state2 = e[state2].baseline + std::uint32_t(bits.read(e[state2].nbBits));
                if (bits.remaining() < 0) {
                    emit(state1);
                    break;
                }
            }
            used = 1 + header;
        }

        std::uint32_t total = 0;
        for (std::size_t i = 0; i < count; ++i) {
            if (weights[i] > kMaxHuffmanBits) throw Corrupt{"bad Huffman weight"};
            if (weights[i] > 0) total += 1u << (weights[i] - 1);
        }
        if (total == 0) throw Corrupt{"empty Huffman tree"};
        const int maxBits = highBit(total) + 1;
        if (maxBits > kMaxHuffmanBits) throw Corrupt{"Huffman codes too long"};
        const std::uint32_t rest = (1u << maxBits) - total;
        if (!std::has_single_bit(rest)) throw Corrupt{"incomplete Huffman tree"};
        weights[count++] = std::uint8_t(highBit(rest) + 1);

        // Codes go to the lowest weights first, then by symbol (RFC 8878 4.2.1.3).
        m_huffman.maxBits = maxBits;
        m_huffman.entries.resize(std::size_t(1) << maxBits);
        std::size_t pos = 0;
        for (int w = 1; w <= maxBits; ++w) {
            const std::uint16_t length = std::uint16_t(maxBits + 1 - w);
            for (std::size_t s = 0; s < count; ++s) {
                if (weights[s] != w) continue;
                const std::size_t span = std::size_t(1) << (w - 1);
                std::fill_n(m_huffman.entries.begin() + std::ptrdiff_t(pos), span, std::uint16_t(s << 8 | length));
                pos += span;
            }
        }
        m_huffman.valid = true;
        return used;
    }

    void decodeHuffmanStream(std::span<const std::uint8_t> src, std::uint8_t* out, std::size_t count) const {
        BackwardBits bits(src);
        const int maxBits = m_huffman.maxBits;
        const std::uint16_t* table = m_huffman.entries.data();
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint16_t e = table[bits.peek(maxBits)];
            out[i] = std::uint8_t(e >> 8);
            bits.consume(e & 0xFF);
        }
        if (bits.remaining() != 0) throw Corrupt{"Huffman stream size mismatch"};
    }

    std::size_t setupTable(int mode, std::span<const std::uint8_t> data, const FseTable& predefined, int maxSymbol, int maxLog,
                           FseTable& table) {
        switch (mode) {
        case 0:
            table = predefined;
            return 0;
        case 1:
            if (data.empty()) throw Corrupt{"truncated sequences header"};
            if (data[0] > maxSymbol) throw Corrupt{"RLE symbol out of range"};
            buildRleTable(data[0], table);
            return 1;
        case 2:
            return readFseTable(data, maxSymbol, maxLog, table);
        default:
            if (!table.valid) throw Corrupt{"repeated table without a previous one"};
            return 0;
        }
    }

    // Sequences section and execution (RFC 8878 3.1.1.3.2 and 3.1.1.4-5).
    void decodeSequences(std::span<const std::uint8_t> data, std::span<std::uint8_t> dst, std::size_t frameStart,
                         std::size_t& out) {
        std::size_t p = 0;
        const auto next = [&]() -> std::uint32_t {
            if (p >= data.size()) throw Corrupt{"truncated sequences header"};
            return data[p++];
        };
        const std::uint32_t b0 = next();
        std::size_t sequences;
        if (b0 < 128) {
            sequences = b0;
        } else if (b0 < 255) {
            sequences = ((b0 - 128) << 8) + next();
        } else {
            sequences = next();
            sequences += (next() << 8) + 0x7F00;
        }
        std::size_t literalPos = 0;
        const auto copyLiterals = [&](std::size_t n) {
            if (m_literals.size() - literalPos < n) throw Corrupt{"literal length past the literals"};
            if (dst.size() - out < n) throw Corrupt{"output larger than declared"};
            if (n > 0) std::memcpy(dst.data() + out, m_literals.data() + literalPos, n);
            literalPos += n;
            out += n;
        };
        if (sequences == 0) {
            if (p != data.size()) throw Corrupt{"trailing bytes after sequences"};
            copyLiterals(m_literals.size());
            return;
        }
        const std::uint32_t modes = next();
        if (modes & 3) throw Corrupt{"reserved sequence mode bits set"};
        p += setupTable(int(modes >> 6), data.subspan(p), m_llDefault, 35, 9, m_ll);
        p += setupTable(int(modes >> 4) & 3, data.subspan(p), m_ofDefault, 31, 8, m_of);
        p += setupTable(int(modes >> 2) & 3, data.subspan(p), m_mlDefault, 52, 9, m_ml);

        BackwardBits bits(data.subspan(p));
        std::uint32_t llState = std::uint32_t(bits.read(m_ll.accuracyLog));
        std::uint32_t ofState = std::uint32_t(bits.read(m_of.accuracyLog));
        std::uint32_t mlState = std::uint32_t(bits.read(m_ml.accuracyLog));
        for (std::size_t i = 0; i < sequences; ++i) {
            const FseEntry ll = m_ll.entries[llState];
            const FseEntry of = m_of.entries[ofState];
            const FseEntry ml = m_ml.entries[mlState];
            const std::uint32_t offsetValue = (1u << of.symbol) + std::uint32_t(bits.read(of.symbol));
            const std::size_t matchLength = kMatchLengthBase[ml.symbol] + bits.read(kMatchLengthBits[ml.symbol]);
            const std::size_t literalLength = kLiteralLengthBase[ll.symbol] + bits.read(kLiteralLengthBits[ll.symbol]);

            // Repeat offsets (RFC 8878 3.1.2.5): values 1-3 pick a recent offset, shifted by one when
            // there are no literals; anything else is a new offset + 3.
            std::uint32_t offset;
            if (offsetValue > 3) {
                offset = offsetValue - 3;
                m_repeat = {offset, m_repeat[0], m_repeat[1]};
            } else {
                const std::uint32_t index = offsetValue - 1 + (literalLength == 0 ? 1 : 0);
                if (index == 0) {
                    offset = m_repeat[0];
                } else {
                    offset = index == 3 ? m_repeat[0] - 1 : m_repeat[index];
                    if (index != 1) m_repeat[2] = m_repeat[1];
                    m_repeat[1] = m_repeat[0];
                    m_repeat[0] = offset;
                }
            }

            if (i + 1 < sequences) {
                llState = ll.baseline + std::uint32_t(bits.read(ll.nbBits));
                mlState = ml.baseline + std::uint32_t(bits.read(ml.nbBits));
                ofState = of.baseline + std::uint32_t(bits.read(of.nbBits));
            }

            copyLiterals(literalLength);
            if (offset == 0 || offset > out - frameStart) throw Corrupt{"match offset out of range"};
            if (dst.size() - out < matchLength) throw Corrupt{"output larger than declared"};
            std::uint8_t* d = dst.data() + out;
            const std::uint8_t* s = d - offset;
            if (offset >= matchLength) {
                std::memcpy(d, s, matchLength);
            } else {
                for (std::size_t j = 0; j < matchLength; ++j) d[j] = s[j];
            }
            out += matchLength;
        }
        if (bits.remaining() != 0) throw Corrupt{"sequence stream size mismatch"};
        copyLiterals(m_literals.size() - literalPos);
    }

    FseTable m_llDefault, m_ofDefault, m_mlDefault;
    FseTable m_ll, m_of, m_ml, m_weightTable;
    HuffmanTable m_huffman;
    std::vector<std::uint8_t> m_literals;
    std::array<std::uint32_t, 3> m_repeat{1, 4, 8};
};

} // namespace zstd

// ---------------------------------------------------------------------------------------------
// SPZ (Niantic, github.com/nianticlabs/spz, load-spz.cc): quantisation formulas below follow the
// reference packer/unpacker.
// ---------------------------------------------------------------------------------------------

constexpr std::uint32_t kSpzMagic = 0x5053474e;  // "NGSP"
constexpr std::uint32_t kSpzWriteVersion = 3;
constexpr int kSpzDefaultFractionalBits = 12;
constexpr int kSpzMaxFractionalBits = 24;
constexpr std::size_t kSpzLegacyHeaderSize = 16;
constexpr std::size_t kSpzV4HeaderSize = 32;
constexpr std::uint8_t kSpzFlagExtensions = 0x2;  // 0x1 (trained with antialiasing) has no place in GaussianCloud
constexpr std::uint32_t kSpzExtCoordinateSystem = 0xADBE0003u;  // SPZ_ADOBE_coordinate_system
constexpr float kSpzColorScale = 0.15f;                         // DC stored as 0.5 + 0.15 * f_dc, not C0
constexpr int kSpzSh1Bits = 5;                                  // reference PackOptions defaults
constexpr int kSpzShRestBits = 4;
constexpr std::uint64_t kSpzMaxCompressionRatio = 1024;  // reference sanity bound on numPoints vs file size
constexpr std::uint64_t kDeflateMaxRatio = 1032;         // deflate cannot expand more than ~1032:1
constexpr float kSqrt1_2 = 0.70710678118654752f;

// SH sign flips between axis conventions that differ by flipping x/y/z (reference
// coordinateConverter, flipSh): entry k is for the (k+1)-th coefficient after DC.
std::array<float, 15> shFlips(float x, float y, float z) {
    return {y, z, x, x * y, y * z, 1.0f, x * z, 1.0f, y, x * y * z, y, z, x, z, x};
}

struct AxisFlips {
    float x = 1.0f, y = -1.0f, z = -1.0f;  // default storage is RUB; Kiln is RDF
};

struct SpzLayout {
    std::uint32_t version = 0;
    std::size_t count = 0;
    int shDegree = 0;
    int fractionalBits = 0;
    std::size_t positionBytes() const { return count * (version == 1 ? 6 : 9); }
    std::size_t rotationBytes() const { return count * (version >= 3 ? 4 : 3); }
    std::size_t shBytes() const { return count * std::size_t(core::GaussianCloud::shCoeffCount(shDegree) - 1) * 3; }
    std::size_t totalBytes() const { return positionBytes() + count * 7 + rotationBytes() + shBytes(); }
};

struct SpzStreams {
    std::span<const std::uint8_t> positions, alphas, colors, scales, rotations, sh;
};

float halfToFloat(std::uint16_t h) {
    const int exponent = (h >> 10) & 0x1F;
    const std::uint32_t mantissa = h & 0x3FF;
    float magnitude;
    if (exponent == 0) magnitude = std::ldexp(float(mantissa), -24);
    else if (exponent == 31) magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else magnitude = std::ldexp(float(mantissa | 0x400), exponent - 25);
    return (h & 0x8000) ? -magnitude : magnitude;
}

// Byte alpha -> logit. Bytes 0 and 255 stand for |logit| beyond the 8-bit range; they decode to a
// quarter step inside it so the result is finite and re-encodes to the same byte.
float alphaByteToLogit(std::uint8_t b) {
    const float a = std::clamp(float(b) / 255.0f, 0.25f / 255.0f, 254.75f / 255.0f);
    return std::log(a / (1.0f - a));
}

std::uint8_t toUint8(float x) { return std::uint8_t(std::clamp(std::round(x), 0.0f, 255.0f)); }

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Extension records: [u32 type][u32 byteLength][payload] repeated (spz extensions/README.md).
// Returns false when the bytes are not a whole number of records.
bool parseExtensions(std::span<const std::uint8_t> bytes, const std::string& name, AxisFlips& flips) {
    std::size_t p = 0;
    while (p < bytes.size()) {
        if (bytes.size() - p < 8) return false;
        std::uint32_t type, length;
        std::memcpy(&type, bytes.data() + p, 4);
        std::memcpy(&length, bytes.data() + p + 4, 4);
        p += 8;
        if (bytes.size() - p < length) return false;
        if (type == kSpzExtCoordinateSystem) {
            if (length < 4) return false;
            std::uint32_t system;
            std::memcpy(&system, bytes.data() + p, 4);
            // Values 1..8 are the axis-flip family LDB..RUF (bit 0: R, bit 1: U, bit 2: F); 0 means RUB.
            if (system == 0) system = 4;
            if (system > 8)
                throw Error(name + ": unsupported SPZ coordinate system " + std::to_string(system) + " (rotated axes)");
            const std::uint32_t bits = system - 1, kiln = 5;  // RDF
            flips.x = ((bits ^ kiln) & 1) ? -1.0f : 1.0f;
            flips.y = ((bits ^ kiln) & 2) ? -1.0f : 1.0f;
            flips.z = ((bits ^ kiln) & 4) ? -1.0f : 1.0f;
        }
        p += length;
    }
    return true;
}

void checkLayout(const SpzLayout& layout, const std::string& name) {
    if (layout.shDegree > 3)
        throw Error(name + ": SH degree " + std::to_string(layout.shDegree) + " is not supported (Kiln reads 0..3)");
    if (layout.fractionalBits > kSpzMaxFractionalBits)
        throw Error(name + ": invalid fractional bits " + std::to_string(layout.fractionalBits));
}

core::GaussianCloud unpackSpz(const SpzLayout& layout, const SpzStreams& s, const AxisFlips& f, const std::string& name) {
    core::GaussianCloud cloud;
    const std::size_t n = layout.count;
    cloud.resize(n, layout.shDegree);
    const int coeffs = cloud.coeffCount();
    const float positionScale = 1.0f / float(1 << layout.fractionalBits);
    const std::array<float, 15> shFlip = shFlips(f.x, f.y, f.z);
    const std::array<float, 3> qFlip = {f.y * f.z, f.x * f.z, f.x * f.y};  // reference flipQ for x, y, z

    for (std::size_t i = 0; i < n; ++i) {
        glm::vec3 p;
        for (int c = 0; c < 3; ++c) {
            if (layout.version == 1) {
                std::uint16_t h;
                std::memcpy(&h, s.positions.data() + (i * 3 + std::size_t(c)) * 2, 2);
                p[c] = halfToFloat(h);
                if (!std::isfinite(p[c])) throw Error(name + ": non-finite position at splat " + std::to_string(i));
            } else {
                const std::uint8_t* b = s.positions.data() + (i * 3 + std::size_t(c)) * 3;
                std::int32_t fixed = std::int32_t(b[0] | b[1] << 8 | b[2] << 16);
                if (fixed & 0x800000) fixed -= 0x1000000;  // sign-extend 24 bits
                p[c] = float(fixed) * positionScale;
            }
        }
        cloud.positions[i] = {p.x * f.x, p.y * f.y, p.z * f.z};

        for (int c = 0; c < 3; ++c) cloud.logScales[i][c] = float(s.scales[i * 3 + std::size_t(c)]) / 16.0f - 10.0f;

        std::array<float, 4> q{};  // x, y, z, w as the reference stores them
        if (layout.version >= 3) {
            // Smallest three: 2-bit index of the largest component, then 3 x (sign + 9-bit magnitude
            // of |q| / sqrt(1/2)), first component in the highest bits.
            std::uint32_t comp;
            std::memcpy(&comp, s.rotations.data() + i * 4, 4);
            const int largest = int(comp >> 30);
            float sumSquares = 0.0f;
            for (int k = 3; k >= 0; --k) {
                if (k == largest) continue;
                const float magnitude = kSqrt1_2 * float(comp & 511u) / 511.0f;
                q[std::size_t(k)] = (comp >> 9) & 1u ? -magnitude : magnitude;
                sumSquares += magnitude * magnitude;
                comp >>= 10;
            }
            q[std::size_t(largest)] = std::sqrt(std::max(0.0f, 1.0f - sumSquares));
        } else {
            // First three: xyz as b / 127.5 - 1, w >= 0 from the unit norm.
            float sumSquares = 0.0f;
            for (int k = 0; k < 3; ++k) {
                q[std::size_t(k)] = float(s.rotations[i * 3 + std::size_t(k)]) / 127.5f - 1.0f;
                sumSquares += q[std::size_t(k)] * q[std::size_t(k)];
            }
            q[3] = std::sqrt(std::max(0.0f, 1.0f - sumSquares));
        }
        cloud.rotations[i] = {q[3], q[0] * qFlip[0], q[1] * qFlip[1], q[2] * qFlip[2]};

        cloud.opacityLogits[i] = alphaByteToLogit(s.alphas[i]);

        float* sh = cloud.sh.data() + i * std::size_t(coeffs) * 3;
        for (int c = 0; c < 3; ++c) sh[c] = (float(s.colors[i * 3 + std::size_t(c)]) / 255.0f - 0.5f) / kSpzColorScale;
        const std::uint8_t* packedSh = s.sh.data() + i * std::size_t(coeffs - 1) * 3;
        for (int k = 1; k < coeffs; ++k)
            for (int c = 0; c < 3; ++c)
                sh[k * 3 + c] = shFlip[std::size_t(k - 1)] * (float(packedSh[(k - 1) * 3 + c]) - 128.0f) / 128.0f;
    }
    return cloud;
}

// Versions 1-3: a 16-byte header and the attributes back to back (gzip-compressed on disk).
core::GaussianCloud decodeLegacy(std::span<const std::uint8_t> payload, const std::string& name) {
    BinaryReader r(payload, name);
    if (r.read<std::uint32_t>("SPZ header") != kSpzMagic) r.fail("not an SPZ file (bad magic)");
    SpzLayout layout;
    layout.version = r.read<std::uint32_t>("SPZ header");
    if (layout.version < 1 || layout.version > 3) r.fail("unsupported SPZ version " + std::to_string(layout.version));
    layout.count = r.read<std::uint32_t>("SPZ header");
    layout.shDegree = r.read<std::uint8_t>("SPZ header");
    layout.fractionalBits = r.read<std::uint8_t>("SPZ header");
    const std::uint8_t flags = r.read<std::uint8_t>("SPZ header");
    r.skip(1, "SPZ header");
    checkLayout(layout, name);
    if (layout.totalBytes() > r.remaining())
        r.fail("truncated (header declares " + std::to_string(layout.count) + " splats, data holds fewer)");

    SpzStreams s;
    s.positions = r.bytes(layout.positionBytes(), "positions");
    s.alphas = r.bytes(layout.count, "alphas");
    s.colors = r.bytes(layout.count * 3, "colors");
    s.scales = r.bytes(layout.count * 3, "scales");
    s.rotations = r.bytes(layout.rotationBytes(), "rotations");
    s.sh = r.bytes(layout.shBytes(), "spherical harmonics");
    AxisFlips flips;
    // Current writers append extension records after the attributes; nothing else may follow them.
    if (flags & kSpzFlagExtensions) {
        if (!parseExtensions(r.bytes(r.remaining(), "extensions"), name, flips)) r.fail("malformed SPZ extensions");
    } else if (r.remaining() > 0) {
        r.fail("corrupt SPZ (" + std::to_string(r.remaining()) + " unexpected bytes after the splat data)");
    }
    return unpackSpz(layout, s, flips, name);
}

// Version 4: 32-byte plain header, extension records, a table of contents and one zstd stream
// per attribute (spz README "File layout (version 4)").
core::GaussianCloud decodeV4(std::span<const std::uint8_t> bytes, const std::string& name) {
    BinaryReader r(bytes, name);
    r.skip(4, "SPZ header");
    SpzLayout layout;
    layout.version = r.read<std::uint32_t>("SPZ header");
    if (layout.version != 4) r.fail("unsupported SPZ version " + std::to_string(layout.version));
    layout.count = r.read<std::uint32_t>("SPZ header");
    layout.shDegree = r.read<std::uint8_t>("SPZ header");
    layout.fractionalBits = r.read<std::uint8_t>("SPZ header");
    const std::uint8_t flags = r.read<std::uint8_t>("SPZ header");
    const std::size_t streamCount = r.read<std::uint8_t>("SPZ header");
    const std::size_t tocOffset = r.read<std::uint32_t>("SPZ header");
    r.skip(12, "SPZ header");
    checkLayout(layout, name);
    if (std::uint64_t(layout.count) * 9 > std::uint64_t(bytes.size()) * kSpzMaxCompressionRatio)
        r.fail("implausible splat count " + std::to_string(layout.count) + " for a " + std::to_string(bytes.size()) + "-byte file");
    if (tocOffset < kSpzV4HeaderSize || tocOffset > bytes.size()) r.fail("truncated (table of contents offset past the end)");

    AxisFlips flips;
    if ((flags & kSpzFlagExtensions) &&
        !parseExtensions(bytes.subspan(kSpzV4HeaderSize, tocOffset - kSpzV4HeaderSize), name, flips))
        r.fail("malformed SPZ extensions");

    const std::array<std::size_t, 6> expected = {layout.positionBytes(), layout.count,           layout.count * 3,
                                                 layout.count * 3,       layout.rotationBytes(), layout.shBytes()};
    const std::size_t nonEmpty = std::size_t(std::count_if(expected.begin(), expected.end(), [](std::size_t s) { return s > 0; }));
    if (streamCount != nonEmpty)
        r.fail("SPZ declares " + std::to_string(streamCount) + " attribute streams, expected " + std::to_string(nonEmpty));

    BinaryReader toc(bytes.subspan(tocOffset), name);
    std::array<std::vector<std::uint8_t>, 6> decoded;
    std::array<std::span<const std::uint8_t>, 6> compressed;
    std::size_t dataOffset = tocOffset + streamCount * 16;
    if (dataOffset > bytes.size()) r.fail("truncated (table of contents)");
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (expected[i] == 0) continue;
        const std::uint64_t compressedSize = toc.read<std::uint64_t>("table of contents");
        const std::uint64_t size = toc.read<std::uint64_t>("table of contents");
        if (size != expected[i]) r.fail("attribute stream " + std::to_string(i) + " has the wrong size");
        if (compressedSize > bytes.size() - dataOffset) r.fail("truncated (attribute stream " + std::to_string(i) + ")");
        compressed[i] = bytes.subspan(dataOffset, std::size_t(compressedSize));
        dataOffset += std::size_t(compressedSize);
    }
    if (dataOffset != bytes.size()) r.fail("unexpected bytes after the attribute streams");

    zstd::Decoder decoder;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (expected[i] == 0) continue;
        decoded[i].resize(expected[i]);
        try {
            decoder.decompress(compressed[i], decoded[i]);
        } catch (const zstd::Corrupt& e) {
            r.fail(std::string("corrupt zstd data in attribute stream ") + std::to_string(i) + " (" + e.reason + ")");
        }
    }
    const SpzStreams s{decoded[0], decoded[1], decoded[2], decoded[3], decoded[4], decoded[5]};
    return unpackSpz(layout, s, flips, name);
}

std::vector<std::uint8_t> gunzipSpz(std::span<const std::uint8_t> bytes, const std::string& name) {
    if (bytes.size() > std::numeric_limits<uInt>::max()) throw Error(name + ": file too large for SPZ");
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(name + ": cannot initialise zlib");
    struct End {
        z_stream* s;
        ~End() { inflateEnd(s); }
    } end{&zs};
    zs.next_in = const_cast<Bytef*>(bytes.data());
    zs.avail_in = uInt(bytes.size());

    // Inflate the header first so the output can be sized (and bounded) before allocating it.
    std::vector<std::uint8_t> out(kSpzLegacyHeaderSize);
    std::size_t produced = 0;
    std::size_t limit = 0;
    for (;;) {
        if (produced == out.size()) {
            if (limit == 0) {
                BinaryReader header(out, name);
                if (header.read<std::uint32_t>("SPZ header") != kSpzMagic) header.fail("not an SPZ file (bad magic)");
                SpzLayout layout;
                layout.version = header.read<std::uint32_t>("SPZ header");
                if (layout.version < 1 || layout.version > 3) header.fail("unsupported SPZ version " + std::to_string(layout.version));
                layout.count = header.read<std::uint32_t>("SPZ header");
                layout.shDegree = std::min<int>(header.read<std::uint8_t>("SPZ header"), 4);
                const std::uint64_t total = kSpzLegacyHeaderSize + std::uint64_t(layout.totalBytes());
                if (total > std::uint64_t(bytes.size()) * kDeflateMaxRatio + 1024)
                    header.fail("implausible splat count " + std::to_string(layout.count) + " for a " +
                                std::to_string(bytes.size()) + "-byte file");
                limit = std::size_t(total) + (1u << 20);  // room for trailing extension records
                out.resize(std::size_t(total));
            }
            if (produced == out.size()) {
                if (out.size() >= limit) throw Error(name + ": corrupt SPZ (more data than the header declares)");
                out.resize(std::min(limit, out.size() + 65536));
            }
        }
        const std::size_t chunk = std::min<std::size_t>(out.size() - produced, std::numeric_limits<uInt>::max());
        zs.next_out = out.data() + produced;
        zs.avail_out = uInt(chunk);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        produced += chunk - zs.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) throw Error(name + ": truncated (gzip stream ends early)");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            throw Error(name + ": corrupt gzip data (" + (zs.msg ? zs.msg : "inflate failed") + ")");
    }
    out.resize(produced);
    return out;
}

std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> raw, const std::string& name) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error(name + ": cannot initialise zlib");
    struct End {
        z_stream* s;
        ~End() { deflateEnd(s); }
    } end{&zs};
    std::vector<std::uint8_t> out(raw.size() / 4 + 1024);
    std::size_t produced = 0, consumed = 0;
    for (;;) {
        if (produced == out.size()) out.resize(out.size() * 2);
        const std::size_t inChunk = std::min<std::size_t>(raw.size() - consumed, 1u << 30);
        const std::size_t outChunk = std::min<std::size_t>(out.size() - produced, 1u << 30);
        zs.next_in = const_cast<Bytef*>(raw.data() + consumed);
        zs.avail_in = uInt(inChunk);
        zs.next_out = out.data() + produced;
        zs.avail_out = uInt(outChunk);
        const int rc = deflate(&zs, consumed + inChunk == raw.size() ? Z_FINISH : Z_NO_FLUSH);
        consumed += inChunk - zs.avail_in;
        produced += outChunk - zs.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) throw Error(name + ": gzip compression failed");
    }
    out.resize(produced);
    return out;
}

void checkFinite(const core::GaussianCloud& cloud, const std::string& name) {
    const auto fail = [&](const char* what, std::size_t i) {
        throw Error(name + ": non-finite " + what + " at splat " + std::to_string(i));
    };
    const std::size_t coeffs = std::size_t(cloud.coeffCount()) * 3;
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        for (int c = 0; c < 3; ++c) {
            if (!std::isfinite(cloud.positions[i][c])) fail("position", i);
            if (!std::isfinite(cloud.logScales[i][c])) fail("scale", i);
        }
        for (int c = 0; c < 4; ++c)
            if (!std::isfinite(cloud.rotations[i][c])) fail("rotation", i);
        if (!std::isfinite(cloud.opacityLogits[i])) fail("opacity", i);
        for (std::size_t k = 0; k < coeffs; ++k)
            if (!std::isfinite(cloud.sh[i * coeffs + k])) fail("colour coefficient", i);
    }
}

void writeBytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw Error(displayName(path) + ": cannot open for writing");
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    f.close();
    if (!f) throw Error(displayName(path) + ": write failed");
}

void appendBytes(std::vector<std::uint8_t>& out, const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    out.insert(out.end(), p, p + size);
}

} // namespace

core::GaussianCloud readSpz(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    const std::string name = displayName(path);
    core::GaussianCloud cloud;
    if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
        cloud = decodeLegacy(gunzipSpz(bytes, name), name);
    } else if (bytes.size() >= 8 && zstd::loadLe32(bytes.data()) == kSpzMagic) {
        // Uncompressed NGSP: version 4 always is; versions 1-3 are sometimes stored raw.
        const std::uint32_t version = zstd::loadLe32(bytes.data() + 4);
        cloud = version >= 4 ? decodeV4(bytes, name) : decodeLegacy(bytes, name);
    } else {
        throw Error(name + (bytes.size() < 8 ? ": not an SPZ file (too short)" : ": not an SPZ file (bad magic)"));
    }
    cloud.validate(name);
    return cloud;
}

void writeSpz(const core::GaussianCloud& cloud, const std::filesystem::path& path) {
    const std::string name = displayName(path);
    cloud.validate(name);
    checkFinite(cloud, name);
    const std::size_t n = cloud.size();
    if (n > std::numeric_limits<std::uint32_t>::max()) throw Error(name + ": too many splats for SPZ");
    const int coeffs = cloud.coeffCount();

    // 24-bit fixed point with the reference's 12 fractional bits; fewer only when a coordinate would
    // not fit (|x| >= 2048), since readers take the bit count from the header.
    float maxAbs = 0.0f;
    for (const glm::vec3& p : cloud.positions)
        for (int c = 0; c < 3; ++c) maxAbs = std::max(maxAbs, std::abs(p[c]));
    int fractionalBits = kSpzDefaultFractionalBits;
    while (fractionalBits > 0 && std::ldexp(maxAbs, fractionalBits) >= float((1 << 23) - 1)) --fractionalBits;
    if (std::ldexp(maxAbs, fractionalBits) >= float((1 << 23) - 1)) throw Error(name + ": splat coordinates too large for SPZ");

    SpzLayout layout;
    layout.version = kSpzWriteVersion;
    layout.count = n;
    layout.shDegree = cloud.shDegree;
    layout.fractionalBits = fractionalBits;

    std::vector<std::uint8_t> raw;
    raw.reserve(kSpzLegacyHeaderSize + layout.totalBytes());
    const std::uint32_t header[3] = {kSpzMagic, kSpzWriteVersion, std::uint32_t(n)};
    appendBytes(raw, header, sizeof(header));
    const std::uint8_t header2[4] = {std::uint8_t(cloud.shDegree), std::uint8_t(fractionalBits), 0, 0};
    appendBytes(raw, header2, sizeof(header2));

    const AxisFlips f;  // Kiln RDF -> SPZ RUB is the same flip as the way back
    const float scale = float(1 << fractionalBits);
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec3 p = cloud.positions[i] * glm::vec3(f.x, f.y, f.z);
        for (int c = 0; c < 3; ++c) {
            const std::int32_t fixed = std::int32_t(std::lround(p[c] * scale));
            const std::uint8_t b[3] = {std::uint8_t(fixed & 0xFF), std::uint8_t((fixed >> 8) & 0xFF),
                                       std::uint8_t((fixed >> 16) & 0xFF)};
            appendBytes(raw, b, 3);
        }
    }
    for (std::size_t i = 0; i < n; ++i) raw.push_back(toUint8(sigmoid(cloud.opacityLogits[i]) * 255.0f));
    for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c)
            raw.push_back(toUint8(cloud.sh[i * std::size_t(coeffs) * 3 + std::size_t(c)] * (kSpzColorScale * 255.0f) + 127.5f));
    for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c) raw.push_back(toUint8((cloud.logScales[i][c] + 10.0f) * 16.0f));

    const std::array<float, 3> qFlip = {f.y * f.z, f.x * f.z, f.x * f.y};
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec4& r = cloud.rotations[i];  // w, x, y, z
        std::array<float, 4> q = {r.y * qFlip[0], r.z * qFlip[1], r.w * qFlip[2], r.x};
        const float norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        if (!(norm > 0.0f) || !std::isfinite(norm)) q = {0.0f, 0.0f, 0.0f, 1.0f};  // degenerate: identity
        else for (float& v : q) v /= norm;
        // Smallest three (reference packQuaternionSmallestThree): the largest component is made
        // positive and dropped; the others keep sign + 9-bit magnitude in units of sqrt(1/2) / 511.
        std::size_t largest = 0;
        for (std::size_t k = 1; k < 4; ++k)
            if (std::abs(q[k]) > std::abs(q[largest])) largest = k;
        const bool negate = q[largest] < 0.0f;
        std::uint32_t comp = std::uint32_t(largest);
        for (std::size_t k = 0; k < 4; ++k) {
            if (k == largest) continue;
            const std::uint32_t negative = (q[k] < 0.0f) != negate ? 1u : 0u;
            const std::uint32_t magnitude = std::min(511u, std::uint32_t(511.0f * (std::abs(q[k]) / kSqrt1_2) + 0.5f));
            comp = (comp << 10) | (negative << 9) | magnitude;
        }
        appendBytes(raw, &comp, 4);
    }

    // SH: 8-bit (x * 128 + 128), rounded to buckets of 2^(8 - bits) for better compression
    // (reference quantizeSH with its default 5 bits for degree 1, 4 bits above).
    const std::array<float, 15> shFlip = shFlips(f.x, f.y, f.z);
    for (std::size_t i = 0; i < n; ++i) {
        const float* sh = cloud.sh.data() + i * std::size_t(coeffs) * 3;
        for (int k = 1; k < coeffs; ++k) {
            const int bucket = 1 << (8 - (k <= 3 ? kSpzSh1Bits : kSpzShRestBits));
            for (int c = 0; c < 3; ++c) {
                const float v = shFlip[std::size_t(k - 1)] * sh[k * 3 + c];
                int q = int(std::round(std::clamp(v, -2.0f, 2.0f) * 128.0f) + 128.0f);
                q = (q + bucket / 2) / bucket * bucket;
                raw.push_back(std::uint8_t(std::clamp(q, 0, 255)));
            }
        }
    }

    writeBytes(path, gzip(raw, name));
}

} // namespace kiln::io
