#include "io/splat_io.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"

#include <glm/common.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::io {

namespace {

enum class PlyFormat { Ascii, BinaryLittleEndian, BinaryBigEndian };
enum class PlyType : std::uint8_t { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 };

std::size_t typeSize(PlyType t) {
    switch (t) {
    case PlyType::Int8:
    case PlyType::UInt8: return 1;
    case PlyType::Int16:
    case PlyType::UInt16: return 2;
    case PlyType::Int32:
    case PlyType::UInt32:
    case PlyType::Float32: return 4;
    case PlyType::Float64: return 8;
    }
    return 0;
}

std::optional<PlyType> parseType(std::string_view s) {
    if (s == "char" || s == "int8") return PlyType::Int8;
    if (s == "uchar" || s == "uint8") return PlyType::UInt8;
    if (s == "short" || s == "int16") return PlyType::Int16;
    if (s == "ushort" || s == "uint16") return PlyType::UInt16;
    if (s == "int" || s == "int32") return PlyType::Int32;
    if (s == "uint" || s == "uint32") return PlyType::UInt32;
    if (s == "float" || s == "float32") return PlyType::Float32;
    if (s == "double" || s == "float64") return PlyType::Float64;
    return std::nullopt;
}

struct PlyProperty {
    std::string name;
    PlyType type = PlyType::Float32;
    bool isList = false;
    PlyType countType = PlyType::UInt8;
    std::size_t offset = 0;  // within a row, for elements without list properties
};

struct PlyElement {
    std::string name;
    std::uint64_t count = 0;
    std::vector<PlyProperty> properties;
    bool hasList = false;
    std::size_t stride = 0;

    std::optional<std::size_t> find(std::string_view property) const {
        for (std::size_t i = 0; i < properties.size(); ++i)
            if (properties[i].name == property) return i;
        return std::nullopt;
    }
};

struct PlyHeader {
    PlyFormat format = PlyFormat::BinaryLittleEndian;
    std::vector<PlyElement> elements;
    std::size_t dataOffset = 0;

    const PlyElement* find(std::string_view element) const {
        for (const PlyElement& e : elements)
            if (e.name == element) return &e;
        return nullptr;
    }
};

std::vector<std::string_view> splitWords(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

// Parses the header; throws kiln::Error("<name>: ...") when it is malformed or has no end_header.
PlyHeader parseHeader(std::span<const std::uint8_t> bytes, const std::string& name) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (!(text.starts_with("ply\n") || text.starts_with("ply\r\n"))) throw Error(name + ": not a PLY file (bad magic)");
    PlyHeader header;
    bool haveFormat = false;
    std::size_t pos = text.find('\n') + 1;
    for (;;) {
        const std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) throw Error(name + ": truncated (PLY header has no end_header)");
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.ends_with('\r')) line.remove_suffix(1);
        const std::vector<std::string_view> w = splitWords(line);
        if (w.empty() || w[0] == "comment" || w[0] == "obj_info") continue;
        const auto malformed = [&]() {
            throw Error(name + ": malformed PLY header line '" + std::string(line.substr(0, 80)) + "'");
        };
        if (w[0] == "end_header") {
            if (!haveFormat) throw Error(name + ": malformed PLY header (no format line)");
            header.dataOffset = pos;
            break;
        }
        if (w[0] == "format") {
            if (w.size() < 2) malformed();
            if (w[1] == "ascii") header.format = PlyFormat::Ascii;
            else if (w[1] == "binary_little_endian") header.format = PlyFormat::BinaryLittleEndian;
            else if (w[1] == "binary_big_endian") header.format = PlyFormat::BinaryBigEndian;
            else throw Error(name + ": unsupported PLY format '" + std::string(w[1]) + "'");
            haveFormat = true;
        } else if (w[0] == "element") {
            if (w.size() != 3) malformed();
            PlyElement e;
            e.name = std::string(w[1]);
            const auto [ptr, ec] = std::from_chars(w[2].data(), w[2].data() + w[2].size(), e.count);
            if (ec != std::errc() || ptr != w[2].data() + w[2].size()) malformed();
            header.elements.push_back(std::move(e));
        } else if (w[0] == "property") {
            if (header.elements.empty()) malformed();
            PlyElement& e = header.elements.back();
            PlyProperty p;
            if (w.size() == 5 && w[1] == "list") {
                const auto countType = parseType(w[2]), itemType = parseType(w[3]);
                if (!countType || !itemType) malformed();
                p.isList = true;
                p.countType = *countType;
                p.type = *itemType;
                p.name = std::string(w[4]);
                e.hasList = true;
            } else if (w.size() == 3) {
                const auto type = parseType(w[1]);
                if (!type) malformed();
                p.type = *type;
                p.name = std::string(w[2]);
                p.offset = e.stride;
                e.stride += typeSize(p.type);
            } else {
                malformed();
            }
            e.properties.push_back(std::move(p));
        } else {
            malformed();
        }
    }
    return header;
}

template <class T>
T loadRaw(const std::uint8_t* p, bool bigEndian) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if (bigEndian) {
        if constexpr (sizeof(T) == 2) v = T(__builtin_bswap16(std::uint16_t(v)));
        else if constexpr (sizeof(T) == 4) v = T(__builtin_bswap32(std::uint32_t(v)));
        else if constexpr (sizeof(T) == 8) v = T(__builtin_bswap64(std::uint64_t(v)));
    }
    return v;
}

double loadValue(const std::uint8_t* p, PlyType t, bool bigEndian) {
    switch (t) {
    case PlyType::Int8: return std::int8_t(*p);
    case PlyType::UInt8: return *p;
    case PlyType::Int16: return std::int16_t(loadRaw<std::uint16_t>(p, bigEndian));
    case PlyType::UInt16: return loadRaw<std::uint16_t>(p, bigEndian);
    case PlyType::Int32: return std::int32_t(loadRaw<std::uint32_t>(p, bigEndian));
    case PlyType::UInt32: return loadRaw<std::uint32_t>(p, bigEndian);
    case PlyType::Float32: return std::bit_cast<float>(loadRaw<std::uint32_t>(p, bigEndian));
    case PlyType::Float64: return std::bit_cast<double>(loadRaw<std::uint64_t>(p, bigEndian));
    }
    return 0.0;
}

// Walks the element data that follows the header, element by element in header order.
class PlyData {
public:
    PlyData(std::span<const std::uint8_t> bytes, const PlyHeader& header, std::string name)
        : m_reader(bytes.subspan(header.dataOffset), name), m_ascii(bytes.subspan(header.dataOffset)), m_format(header.format),
          m_name(std::move(name)) {}

    // One row of an element without list properties: binary rows point into the file, ASCII rows
    // are parsed into m_values.
    class Row {
    public:
        double operator[](std::size_t property) const {
            if (m_values) return (*m_values)[property];
            const PlyProperty& p = m_element->properties[property];
            return loadValue(m_base + p.offset, p.type, m_bigEndian);
        }

    private:
        friend class PlyData;
        const PlyElement* m_element = nullptr;
        const std::uint8_t* m_base = nullptr;
        const std::vector<double>* m_values = nullptr;
        bool m_bigEndian = false;
    };

    // Calls visit(rowIndex, row) for every row; checks the data can hold all rows before the
    // first call, so callers may size their output from element.count.
    template <class Visit>
    void read(const PlyElement& e, Visit&& visit) {
        if (e.hasList) fail("unsupported list property in element '" + e.name + "'");
        Row row;
        row.m_element = &e;
        row.m_bigEndian = m_format == PlyFormat::BinaryBigEndian;
        if (m_format == PlyFormat::Ascii) {
            // Every ASCII value takes at least two bytes (digit and separator).
            const std::size_t remaining = m_ascii.size() - m_asciiPos;
            if (e.count > 0 && (e.properties.empty() || e.count > (remaining / 2 + 1) / e.properties.size()))
                fail("truncated (element '" + e.name + "' declares " + std::to_string(e.count) + " rows)");
            m_values.resize(e.properties.size());
            row.m_values = &m_values;
            for (std::uint64_t i = 0; i < e.count; ++i) {
                for (double& v : m_values) v = nextNumber(e.name);
                visit(std::size_t(i), row);
            }
            return;
        }
        if (e.stride > 0 && e.count > m_reader.remaining() / e.stride)
            fail("truncated (element '" + e.name + "' declares " + std::to_string(e.count) + " rows, the file holds " +
                 std::to_string(m_reader.remaining() / e.stride) + ")");
        const std::uint8_t* base = m_reader.bytes(std::size_t(e.count) * e.stride, "element data").data();
        for (std::uint64_t i = 0; i < e.count; ++i) {
            row.m_base = base + i * e.stride;
            visit(std::size_t(i), row);
        }
    }

    void skip(const PlyElement& e) {
        if (e.properties.empty()) return;  // rows without properties hold no data
        if (m_format == PlyFormat::Ascii) {
            for (std::uint64_t i = 0; i < e.count; ++i) {
                for (const PlyProperty& p : e.properties) {
                    const double n = p.isList ? nextNumber(e.name) : 1.0;
                    if (!(n >= 0.0 && n <= double(m_ascii.size() - m_asciiPos))) fail("bad list length in element '" + e.name + "'");
                    for (std::uint64_t k = 0; k < std::uint64_t(n); ++k) nextNumber(e.name);
                }
            }
            return;
        }
        if (!e.hasList) {
            if (e.stride > 0 && e.count > m_reader.remaining() / e.stride) fail("truncated (element '" + e.name + "')");
            m_reader.skip(std::size_t(e.count) * e.stride, "element data");
            return;
        }
        const bool bigEndian = m_format == PlyFormat::BinaryBigEndian;
        for (std::uint64_t i = 0; i < e.count; ++i) {
            for (const PlyProperty& p : e.properties) {
                if (!p.isList) {
                    m_reader.skip(typeSize(p.type), "element data");
                    continue;
                }
                const double n = loadValue(m_reader.bytes(typeSize(p.countType), "list length").data(), p.countType, bigEndian);
                if (!(n >= 0.0) || n * double(typeSize(p.type)) > double(m_reader.remaining()))
                    fail("truncated (list in element '" + e.name + "')");
                m_reader.skip(std::size_t(n) * typeSize(p.type), "list data");
            }
        }
    }

    [[noreturn]] void fail(const std::string& reason) const { throw Error(m_name + ": " + reason); }

private:
    static bool isSpace(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

    double nextNumber(const std::string& element) {
        while (m_asciiPos < m_ascii.size() && isSpace(m_ascii[m_asciiPos])) ++m_asciiPos;
        std::size_t end = m_asciiPos;
        while (end < m_ascii.size() && !isSpace(m_ascii[end])) ++end;
        if (end == m_asciiPos) fail("truncated (ASCII element '" + element + "' ends early)");
        const char* first = reinterpret_cast<const char*>(m_ascii.data() + m_asciiPos);
        const char* last = reinterpret_cast<const char*>(m_ascii.data() + end);
        double value = 0.0;
        const auto [ptr, ec] = std::from_chars(first, last, value);
        if (ec != std::errc() || ptr != last)
            fail("bad ASCII number '" + std::string(first, std::min<std::size_t>(std::size_t(last - first), 32)) + "' in element '" +
                 element + "'");
        m_asciiPos = end;
        return value;
    }

    BinaryReader m_reader;  // binary formats
    std::span<const std::uint8_t> m_ascii;  // ASCII format
    std::size_t m_asciiPos = 0;
    PlyFormat m_format;
    std::string m_name;
    std::vector<double> m_values;
};

// Byte alpha -> logit. Bytes 0 and 255 stand for |logit| beyond the 8-bit range; they decode to a
// quarter step inside it so the result is finite and re-encodes to the same byte.
float alphaByteToLogit(std::uint32_t b) {
    const float a = std::clamp(float(b) / 255.0f, 0.25f / 255.0f, 254.75f / 255.0f);
    return std::log(a / (1.0f - a));
}

std::optional<int> degreeForRestCount(std::size_t count) {
    switch (count) {
    case 0: return 0;
    case 9: return 1;
    case 24: return 2;
    case 45: return 3;
    default: return std::nullopt;
    }
}

// Indices of f_rest_0..f_rest_{n-1}; throws unless they are exactly those names.
std::vector<std::size_t> restProperties(const PlyElement& e, const std::string& name) {
    std::vector<std::size_t> index;
    std::size_t count = 0;
    for (const PlyProperty& p : e.properties)
        if (p.name.starts_with("f_rest_")) ++count;
    index.resize(count);
    for (std::size_t k = 0; k < count; ++k) {
        const auto i = e.find("f_rest_" + std::to_string(k));
        if (!i) throw Error(name + ": f_rest properties are not numbered 0.." + std::to_string(count - 1));
        index[k] = *i;
    }
    if (!degreeForRestCount(count))
        throw Error(name + ": unsupported number of f_rest properties (" + std::to_string(count) + "; expected 0, 9, 24 or 45)");
    return index;
}

bool isCompressedLayout(const PlyHeader& header) {
    const PlyElement* vertex = header.find("vertex");
    return vertex && header.find("chunk") && vertex->find("packed_position");
}

core::GaussianCloud readStandard(std::span<const std::uint8_t> bytes, const PlyHeader& header, const std::string& name) {
    const PlyElement& vertex = *header.find("vertex");
    std::array<std::size_t, 14> field{};
    static constexpr std::array<const char*, 14> kFields = {"x",       "y",       "z",       "f_dc_0", "f_dc_1",
                                                            "f_dc_2",  "opacity", "scale_0", "scale_1", "scale_2",
                                                            "rot_0",   "rot_1",   "rot_2",   "rot_3"};
    for (std::size_t f = 0; f < kFields.size(); ++f) {
        const auto i = vertex.find(kFields[f]);
        if (!i) throw Error(name + ": not a Gaussian splat PLY (missing vertex property '" + kFields[f] + "')");
        field[f] = *i;
    }
    const std::vector<std::size_t> rest = restProperties(vertex, name);
    const int degree = *degreeForRestCount(rest.size());
    const std::size_t restPerChannel = rest.size() / 3;

    PlyData data(bytes, header, name);
    core::GaussianCloud cloud;
    for (const PlyElement& e : header.elements) {
        if (&e != &vertex) {
            data.skip(e);
            continue;
        }
        // read() checks the data holds every row before the first one is visited.
        bool sized = false;
        data.read(e, [&](std::size_t i, const PlyData::Row& row) {
            if (!sized) {
                cloud.resize(std::size_t(e.count), degree);
                sized = true;
            }
            const auto v = [&](std::size_t f) { return float(row[field[f]]); };
            cloud.positions[i] = {v(0), v(1), v(2)};
            cloud.opacityLogits[i] = v(6);
            cloud.logScales[i] = {v(7), v(8), v(9)};
            cloud.rotations[i] = {v(10), v(11), v(12), v(13)};
            // INRIA stores f_rest channel-major (all R coefficients, then G, then B).
            float* sh = cloud.sh.data() + i * std::size_t(cloud.coeffCount()) * 3;
            for (std::size_t c = 0; c < 3; ++c) {
                sh[c] = v(3 + c);
                for (std::size_t k = 0; k < restPerChannel; ++k) sh[(k + 1) * 3 + c] = float(row[rest[c * restPerChannel + k]]);
            }
        });
        if (!sized) cloud.resize(0, degree);
        break;
    }
    cloud.checkFinite(name);
    return cloud;
}

// PlayCanvas / SuperSplat "compressed" PLY (splat-transform decompress-ply.ts): 256-splat chunks
// with per-chunk bounds; positions and log scales are 11-10-11 bit unorms lerped in the chunk
// range, colours 8-8-8-8 (rgb lerped in the chunk colour range when present), rotations "smallest
// three" (2-bit index + 3 x 10 bits spanning +-sqrt(1/2)), optional 8-bit SH in an "sh" element.
core::GaussianCloud readCompressed(std::span<const std::uint8_t> bytes, const PlyHeader& header, const std::string& name) {
    constexpr std::size_t kChunkSize = 256;
    const auto unsupported = [&](const std::string& why) -> Error {
        return Error(name + ": unsupported PLY variant (PlayCanvas compressed: " + why + ")");
    };
    const PlyElement& chunk = *header.find("chunk");
    const PlyElement& vertex = *header.find("vertex");
    const PlyElement* shElement = header.find("sh");

    static constexpr std::array<const char*, 18> kChunkFields = {
        "min_x",       "min_y",       "min_z",       "max_x",       "max_y",       "max_z",
        "min_scale_x", "min_scale_y", "min_scale_z", "max_scale_x", "max_scale_y", "max_scale_z",
        "min_r",       "min_g",       "min_b",       "max_r",       "max_g",       "max_b"};
    std::array<std::size_t, 18> chunkField{};
    bool chunkColours = true;
    for (std::size_t f = 0; f < kChunkFields.size(); ++f) {
        const auto i = chunk.find(kChunkFields[f]);
        if (i) chunkField[f] = *i;
        else if (f < 12) throw unsupported(std::string("missing chunk property '") + kChunkFields[f] + "'");
        else chunkColours = false;
    }
    static constexpr std::array<const char*, 4> kPacked = {"packed_position", "packed_rotation", "packed_scale", "packed_color"};
    std::array<std::size_t, 4> packedField{};
    for (std::size_t f = 0; f < kPacked.size(); ++f) {
        const auto i = vertex.find(kPacked[f]);
        if (!i) throw unsupported(std::string("missing vertex property '") + kPacked[f] + "'");
        const PlyType t = vertex.properties[*i].type;
        if (t != PlyType::UInt32 && t != PlyType::Int32) throw unsupported(std::string("'") + kPacked[f] + "' is not a 32-bit integer");
        packedField[f] = *i;
    }
    if (chunk.count != (vertex.count + kChunkSize - 1) / kChunkSize)
        throw Error(name + ": corrupt compressed PLY (" + std::to_string(chunk.count) + " chunks for " + std::to_string(vertex.count) +
                    " splats)");
    std::vector<std::size_t> rest;
    int degree = 0;
    if (shElement) {
        rest = restProperties(*shElement, name);
        degree = *degreeForRestCount(rest.size());
        for (std::size_t k : rest)
            if (shElement->properties[k].type != PlyType::UInt8) throw unsupported("SH coefficients are not 8-bit");
        if (shElement->count != vertex.count) throw Error(name + ": corrupt compressed PLY (sh rows differ from vertex rows)");
    }
    const std::size_t restPerChannel = rest.size() / 3;

    std::vector<float> chunks;
    std::vector<std::uint32_t> packed;
    std::vector<std::uint8_t> shBytes;
    PlyData data(bytes, header, name);
    for (const PlyElement& e : header.elements) {
        if (&e == &chunk) {
            data.read(e, [&](std::size_t i, const PlyData::Row& row) {
                if (i == 0) chunks.resize(std::size_t(e.count) * 18);
                for (std::size_t f = 0; f < 18; ++f) chunks[i * 18 + f] = f < 12 || chunkColours ? float(row[chunkField[f]]) : 0.0f;
            });
        } else if (&e == &vertex) {
            data.read(e, [&](std::size_t i, const PlyData::Row& row) {
                if (i == 0) packed.resize(std::size_t(e.count) * 4);
                for (std::size_t f = 0; f < 4; ++f) packed[i * 4 + f] = std::uint32_t(std::int64_t(row[packedField[f]]));
            });
        } else if (&e == shElement) {
            data.read(e, [&](std::size_t i, const PlyData::Row& row) {
                if (i == 0) shBytes.resize(std::size_t(e.count) * rest.size());
                for (std::size_t k = 0; k < rest.size(); ++k)
                    shBytes[i * rest.size() + k] = std::uint8_t(std::clamp(row[rest[k]], 0.0, 255.0));
            });
        } else {
            data.skip(e);
        }
    }

    const std::size_t n = std::size_t(vertex.count);
    core::GaussianCloud cloud;
    cloud.resize(n, degree);
    const int coeffs = cloud.coeffCount();
    const auto unorm = [](std::uint32_t v, int bits) { return float(v & ((1u << bits) - 1)) / float((1u << bits) - 1); };
    const auto lerp = [](float a, float b, float t) { return a * (1.0f - t) + b * t; };
    const float kSqrt2 = std::sqrt(2.0f);
    for (std::size_t i = 0; i < n; ++i) {
        const float* c = chunks.data() + (i / kChunkSize) * 18;
        const std::uint32_t* p = packed.data() + i * 4;
        const glm::vec3 pt(unorm(p[0] >> 21, 11), unorm(p[0] >> 11, 10), unorm(p[0], 11));
        cloud.positions[i] = {lerp(c[0], c[3], pt.x), lerp(c[1], c[4], pt.y), lerp(c[2], c[5], pt.z)};
        const glm::vec3 st(unorm(p[2] >> 21, 11), unorm(p[2] >> 11, 10), unorm(p[2], 11));
        cloud.logScales[i] = {lerp(c[6], c[9], st.x), lerp(c[7], c[10], st.y), lerp(c[8], c[11], st.z)};

        const std::array<float, 3> abc = {(unorm(p[1] >> 20, 10) - 0.5f) * kSqrt2, (unorm(p[1] >> 10, 10) - 0.5f) * kSqrt2,
                                          (unorm(p[1], 10) - 0.5f) * kSqrt2};
        const float largest = std::sqrt(std::max(0.0f, 1.0f - (abc[0] * abc[0] + abc[1] * abc[1] + abc[2] * abc[2])));
        const std::size_t which = p[1] >> 30;
        std::array<float, 4> q{};  // rot_0..rot_3 = w, x, y, z
        for (std::size_t k = 0, j = 0; k < 4; ++k) q[k] = k == which ? largest : abc[j++];
        cloud.rotations[i] = {q[0], q[1], q[2], q[3]};

        float* sh = cloud.sh.data() + i * std::size_t(coeffs) * 3;
        for (int ch = 0; ch < 3; ++ch) {
            const float t = unorm(p[3] >> (24 - 8 * ch), 8);
            const float colour = chunkColours ? lerp(c[12 + ch], c[15 + ch], t) : t;
            sh[ch] = (colour - 0.5f) / core::kShC0;
        }
        cloud.opacityLogits[i] = alphaByteToLogit(p[3] & 0xFF);
        if (!rest.empty()) {
            const std::uint8_t* b = shBytes.data() + i * rest.size();
            for (std::size_t ch = 0; ch < 3; ++ch) {
                for (std::size_t k = 0; k < restPerChannel; ++k) {
                    const std::uint8_t v = b[ch * restPerChannel + k];
                    const float unit = v == 0 ? 0.0f : v == 255 ? 1.0f : (float(v) + 0.5f) / 256.0f;
                    sh[(k + 1) * 3 + ch] = (unit - 0.5f) * 8.0f;
                }
            }
        }
    }
    cloud.checkFinite(name);
    return cloud;
}

// Reads the start of a file, enough for any sane PLY header.
std::vector<std::uint8_t> readHead(const std::filesystem::path& path, std::size_t maxBytes) {
    std::ifstream f(path, std::ios::binary);
    std::vector<std::uint8_t> bytes(maxBytes);
    if (!f) return {};
    f.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(maxBytes));
    bytes.resize(std::size_t(f.gcount()));
    return bytes;
}

} // namespace

void validatePlyStructure(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    const std::string name = displayName(path);
    const PlyHeader header = parseHeader(bytes, name);
    PlyData data(bytes, header, name);
    for (const PlyElement& e : header.elements) data.skip(e);
}

bool looksLikeSplatPly(const std::filesystem::path& path) {
    constexpr std::size_t kMaxHeaderBytes = 1 << 20;
    const std::vector<std::uint8_t> head = readHead(path, kMaxHeaderBytes);
    try {
        const PlyHeader header = parseHeader(head, displayName(path));
        const PlyElement* vertex = header.find("vertex");
        if (!vertex) return false;
        const PlyElement* face = header.find("face");
        if (face && face->count > 0) return false;
        if (isCompressedLayout(header)) return true;
        return vertex->find("f_dc_0") && vertex->find("opacity") && vertex->find("scale_0") && vertex->find("rot_0");
    } catch (const Error&) {
        return false;
    }
}

core::GaussianCloud readSplatPly(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    const std::string name = displayName(path);
    const PlyHeader header = parseHeader(bytes, name);
    if (!header.find("vertex")) throw Error(name + ": not a Gaussian splat PLY (no vertex element)");
    core::GaussianCloud cloud = isCompressedLayout(header) ? readCompressed(bytes, header, name) : readStandard(bytes, header, name);
    cloud.validate(name);
    return cloud;
}

PointCloud readPointPly(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    const std::string name = displayName(path);
    const PlyHeader header = parseHeader(bytes, name);
    const PlyElement* vertex = header.find("vertex");
    if (!vertex) throw Error(name + ": not a point cloud PLY (no vertex element)");
    std::array<std::size_t, 3> xyz{}, rgb{};
    for (int k = 0; k < 3; ++k) {
        const auto i = vertex->find(std::string(1, "xyz"[k]));
        if (!i) throw Error(name + ": not a point cloud PLY (missing vertex property '" + std::string(1, "xyz"[k]) + "')");
        xyz[std::size_t(k)] = *i;
    }
    bool hasColor = true;
    for (int k = 0; k < 3; ++k) {
        const auto i = vertex->find(std::array<const char*, 3>{"red", "green", "blue"}[std::size_t(k)]);
        hasColor = hasColor && i.has_value();
        rgb[std::size_t(k)] = i.value_or(0);
    }
    const bool byteColor = hasColor && vertex->properties[rgb[0]].type == PlyType::UInt8;
    PointCloud cloud;
    PlyData data(bytes, header, name);
    for (const PlyElement& e : header.elements) {
        if (&e != vertex) {
            data.skip(e);
            continue;
        }
        cloud.positions.resize(std::size_t(e.count));
        if (hasColor) cloud.colors.resize(std::size_t(e.count));
        data.read(e, [&](std::size_t i, const PlyData::Row& row) {
            const glm::vec3 p = {float(row[xyz[0]]), float(row[xyz[1]]), float(row[xyz[2]])};
            if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z))
                throw Error(name + ": point " + std::to_string(i) + " is not finite");
            cloud.positions[i] = p;
            if (hasColor) {
                const glm::vec3 c = {float(row[rgb[0]]), float(row[rgb[1]]), float(row[rgb[2]])};
                cloud.colors[i] = glm::clamp(byteColor ? c / 255.0f : c, 0.0f, 1.0f);
            }
        });
        break;
    }
    return cloud;
}

void writeSplatPly(const core::GaussianCloud& cloud, const std::filesystem::path& path) {
    const std::string name = displayName(path);
    cloud.validate(name);
    cloud.checkFinite(name);
    const std::size_t coeffs = std::size_t(cloud.coeffCount());
    const std::size_t restPerChannel = coeffs - 1;

    std::string header = "ply\nformat binary_little_endian 1.0\nelement vertex " + std::to_string(cloud.size()) + "\n";
    for (const char* p : {"x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"}) header += std::string("property float ") + p + "\n";
    for (std::size_t k = 0; k < restPerChannel * 3; ++k) header += "property float f_rest_" + std::to_string(k) + "\n";
    for (const char* p : {"opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"})
        header += std::string("property float ") + p + "\n";
    header += "end_header\n";

    const std::size_t floatsPerRow = 9 + restPerChannel * 3 + 8;
    BinaryWriter out(std::vector<std::uint8_t>(header.begin(), header.end()));
    out.reserve(header.size() + cloud.size() * floatsPerRow * sizeof(float));
    std::vector<float> row(floatsPerRow);
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const float* sh = cloud.sh.data() + i * coeffs * 3;
        float* r = row.data();
        const glm::vec3& p = cloud.positions[i];
        *r++ = p.x;
        *r++ = p.y;
        *r++ = p.z;
        *r++ = 0.0f;  // normals: unused, written as zeros like the reference trainer
        *r++ = 0.0f;
        *r++ = 0.0f;
        for (std::size_t c = 0; c < 3; ++c) *r++ = sh[c];
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t k = 1; k < coeffs; ++k) *r++ = sh[k * 3 + c];
        *r++ = cloud.opacityLogits[i];
        for (int c = 0; c < 3; ++c) *r++ = cloud.logScales[i][c];
        for (int c = 0; c < 4; ++c) *r++ = cloud.rotations[i][c];
        out.putArray(row);
    }

    writeFileBytes(path, out.bytes());
}

} // namespace kiln::io
