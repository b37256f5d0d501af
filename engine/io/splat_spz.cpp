#include "io/splat_io.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kiln::io {

namespace {

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

std::uint32_t loadLe32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

struct ZstdDCtxFree {
    void operator()(ZSTD_DCtx* dctx) const { ZSTD_freeDCtx(dctx); }
};

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
// The 16-byte header of versions 1-3: magic, version, count, SH degree, fractional bits, flags,
// one reserved byte. Not yet checked beyond magic and version (see checkLayout).
SpzLayout readLegacyHeader(BinaryReader& r, std::uint8_t& flags) {
    if (r.read<std::uint32_t>("SPZ header") != kSpzMagic) r.fail("not an SPZ file (bad magic)");
    SpzLayout layout;
    layout.version = r.read<std::uint32_t>("SPZ header");
    if (layout.version < 1 || layout.version > 3) r.fail("unsupported SPZ version " + std::to_string(layout.version));
    layout.count = r.read<std::uint32_t>("SPZ header");
    layout.shDegree = r.read<std::uint8_t>("SPZ header");
    layout.fractionalBits = r.read<std::uint8_t>("SPZ header");
    flags = r.read<std::uint8_t>("SPZ header");
    r.skip(1, "SPZ header");
    return layout;
}

core::GaussianCloud decodeLegacy(std::span<const std::uint8_t> payload, const std::string& name) {
    BinaryReader r(payload, name);
    std::uint8_t flags = 0;
    const SpzLayout layout = readLegacyHeader(r, flags);
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

    // Each stream decodes into a buffer of exactly the size the table of contents declares (checked
    // against the header above). One-shot decompression writes only inside that buffer and fails
    // rather than overrun it, so frames without a declared content size are fine; all frames
    // (skippable ones included) in a stream are decoded and together must fill the buffer.
    const std::unique_ptr<ZSTD_DCtx, ZstdDCtxFree> dctx(ZSTD_createDCtx());
    if (!dctx) r.fail("cannot initialise zstd");
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (expected[i] == 0) continue;
        const std::string what = "corrupt zstd data in attribute stream " + std::to_string(i) + " (";
        if (compressed[i].empty()) r.fail(what + "empty stream)");
        // A first frame that declares more than the whole stream may hold is rejected before allocating.
        const unsigned long long declared = ZSTD_getFrameContentSize(compressed[i].data(), compressed[i].size());
        if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared > expected[i])
            r.fail(what + "frame declares " + std::to_string(declared) + " bytes, expected " + std::to_string(expected[i]) + ")");
        decoded[i].resize(expected[i]);
        const std::size_t size =
            ZSTD_decompressDCtx(dctx.get(), decoded[i].data(), decoded[i].size(), compressed[i].data(), compressed[i].size());
        if (ZSTD_isError(size)) r.fail(what + ZSTD_getErrorName(size) + ")");
        if (size != expected[i])
            r.fail(what + "decoded " + std::to_string(size) + " bytes, expected " + std::to_string(expected[i]) + ")");
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
                std::uint8_t flags = 0;
                SpzLayout layout = readLegacyHeader(header, flags);
                layout.shDegree = std::min(layout.shDegree, 4);  // sizing only; decodeLegacy rejects > 3
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

} // namespace

core::GaussianCloud readSpz(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    const std::string name = displayName(path);
    core::GaussianCloud cloud;
    if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
        cloud = decodeLegacy(gunzipSpz(bytes, name), name);
    } else if (bytes.size() >= 8 && loadLe32(bytes.data()) == kSpzMagic) {
        // Uncompressed NGSP: version 4 always is; versions 1-3 are sometimes stored raw.
        const std::uint32_t version = loadLe32(bytes.data() + 4);
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
    cloud.checkFinite(name);
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

    BinaryWriter raw;
    raw.reserve(kSpzLegacyHeaderSize + layout.totalBytes());
    const std::uint32_t header[3] = {kSpzMagic, kSpzWriteVersion, std::uint32_t(n)};
    raw.putArray(std::span<const std::uint32_t>(header));
    const std::uint8_t header2[4] = {std::uint8_t(cloud.shDegree), std::uint8_t(fractionalBits), 0, 0};
    raw.putBytes(header2);

    const AxisFlips f;  // Kiln RDF -> SPZ RUB is the same flip as the way back
    const float scale = float(1 << fractionalBits);
    for (std::size_t i = 0; i < n; ++i) {
        const glm::vec3 p = cloud.positions[i] * glm::vec3(f.x, f.y, f.z);
        for (int c = 0; c < 3; ++c) {
            const std::int32_t fixed = std::int32_t(std::lround(p[c] * scale));
            const std::uint8_t b[3] = {std::uint8_t(fixed & 0xFF), std::uint8_t((fixed >> 8) & 0xFF),
                                       std::uint8_t((fixed >> 16) & 0xFF)};
            raw.putBytes(b);
        }
    }
    for (std::size_t i = 0; i < n; ++i) raw.put(toUint8(sigmoid(cloud.opacityLogits[i]) * 255.0f));
    for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c)
            raw.put(toUint8(cloud.sh[i * std::size_t(coeffs) * 3 + std::size_t(c)] * (kSpzColorScale * 255.0f) + 127.5f));
    for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c) raw.put(toUint8((cloud.logScales[i][c] + 10.0f) * 16.0f));

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
        raw.put(comp);
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
                raw.put(std::uint8_t(std::clamp(q, 0, 255)));
            }
        }
    }

    writeFileBytes(path, gzip(raw.bytes(), name));
}

} // namespace kiln::io
