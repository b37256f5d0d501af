#include "models/safetensors.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace kiln::models {

namespace {

struct DTypeName {
    DType dtype;
    const char* name;
    std::size_t size;
};
constexpr DTypeName kDTypes[] = {{DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
                                 {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
                                 {DType::U8, "U8", 1},   {DType::Bool, "BOOL", 1}};

// A header this large is not a weight file (the format's own readers cap it at 100 MB).
constexpr std::uint64_t kMaxHeader = 100u << 20;

DType dtypeFromString(const std::string& s, const std::string& where) {
    for (const auto& d : kDTypes)
        if (s == d.name) return d.dtype;
    throw Error(where + ": unknown dtype '" + s + "'");
}

} // namespace

const char* toString(DType dtype) {
    for (const auto& d : kDTypes)
        if (d.dtype == dtype) return d.name;
    return "?";
}

std::size_t dtypeSize(DType dtype) {
    for (const auto& d : kDTypes)
        if (d.dtype == dtype) return d.size;
    return 0;
}

std::int64_t TensorData::elementCount() const {
    std::int64_t n = 1;
    for (const auto s : shape) n *= s;
    return n;
}

const TensorData* SafetensorsFile::find(const std::string& name) const {
    for (const auto& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

SafetensorsFile parseSafetensors(std::span<const std::uint8_t> bytes, const std::string& name) {
    io::BinaryReader reader(bytes, name);
    const auto headerSize = reader.read<std::uint64_t>("safetensors header length");
    if (headerSize > kMaxHeader || headerSize > reader.remaining())
        throw Error(name + ": truncated or not a safetensors file (header of " + std::to_string(headerSize) + " bytes, file has " +
                    std::to_string(reader.remaining()) + " after the length)");
    const auto headerBytes = reader.bytes(std::size_t(headerSize), "safetensors header");
    const auto data = bytes.subspan(reader.offset());
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(headerBytes.begin(), headerBytes.end());
    } catch (const nlohmann::json::exception&) {
        throw Error(name + ": damaged safetensors header (not JSON)");
    }
    if (!header.is_object()) throw Error(name + ": damaged safetensors header (not a JSON object)");

    SafetensorsFile file;
    struct Range {
        std::uint64_t begin, end;
        std::size_t tensor;
    };
    std::vector<Range> ranges;
    for (const auto& [key, value] : header.items()) {
        const std::string where = name + ": tensor '" + key + "'";
        if (key == "__metadata__") {
            if (!value.is_object()) throw Error(name + ": __metadata__ is not an object");
            for (const auto& [mk, mv] : value.items()) {
                if (!mv.is_string()) throw Error(name + ": __metadata__ value '" + mk + "' is not a string");
                file.metadata[mk] = mv.get<std::string>();
            }
            continue;
        }
        if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets") ||
            !value["dtype"].is_string() || !value["shape"].is_array() || !value["data_offsets"].is_array() || value["data_offsets"].size() != 2)
            throw Error(where + ": needs dtype, shape and data_offsets");
        TensorData t;
        t.name = key;
        t.dtype = dtypeFromString(value["dtype"].get<std::string>(), where);
        std::uint64_t count = 1;
        for (const auto& s : value["shape"]) {
            if (!s.is_number_unsigned()) throw Error(where + ": shape entries must be whole numbers >= 0");
            const auto dim = s.get<std::uint64_t>();
            if (dim > 0 && count > std::numeric_limits<std::uint64_t>::max() / 16 / dim) throw Error(where + ": shape is too large");
            count *= dim;
            t.shape.push_back(std::int64_t(dim));
        }
        const auto& off = value["data_offsets"];
        if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) throw Error(where + ": data_offsets must be whole numbers");
        const auto b = off[0].get<std::uint64_t>(), e = off[1].get<std::uint64_t>();
        if (e < b || e > data.size())
            throw Error(where + ": data range " + std::to_string(b) + ".." + std::to_string(e) + " lies outside the file's " +
                        std::to_string(data.size()) + " data bytes (truncated?)");
        if (e - b != count * dtypeSize(t.dtype))
            throw Error(where + ": " + std::to_string(e - b) + " bytes do not hold its shape (" + std::to_string(count) + " x " +
                        toString(t.dtype) + ")");
        ranges.push_back({b, e, file.tensors.size()});
        file.tensors.push_back(std::move(t));
    }
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
    std::uint64_t cursor = 0;
    for (const auto& r : ranges) {
        if (r.begin != cursor)
            throw Error(name + ": tensor '" + file.tensors[r.tensor].name + "' " + (r.begin < cursor ? "overlaps another" : "leaves a gap in the data"));
        cursor = r.end;
    }
    if (cursor != data.size())
        throw Error(name + ": " + std::to_string(data.size() - cursor) + " bytes after the last tensor (damaged file)");
    // File order, then copy the bytes out of the (possibly mapped) buffer.
    std::vector<TensorData> ordered;
    ordered.reserve(ranges.size());
    for (const auto& r : ranges) {
        TensorData& t = file.tensors[r.tensor];
        t.bytes.assign(data.begin() + std::ptrdiff_t(r.begin), data.begin() + std::ptrdiff_t(r.end));
        ordered.push_back(std::move(t));
    }
    file.tensors = std::move(ordered);
    return file;
}

SafetensorsFile readSafetensors(const std::filesystem::path& path) {
    const auto bytes = io::readFileBytes(path);
    return parseSafetensors(bytes, path.string());
}

std::vector<std::uint8_t> encodeSafetensors(const SafetensorsFile& file) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
    std::uint64_t offset = 0;
    for (const auto& t : file.tensors) {
        if (t.name.empty() || t.name == "__metadata__") throw Error("safetensors: invalid tensor name '" + t.name + "'");
        if (header.contains(t.name)) throw Error("safetensors: tensor '" + t.name + "' appears twice");
        if (std::uint64_t(t.elementCount()) * dtypeSize(t.dtype) != t.bytes.size())
            throw Error("safetensors: tensor '" + t.name + "' has " + std::to_string(t.bytes.size()) + " bytes for its shape");
        header[t.name] = {{"dtype", toString(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
        offset += t.bytes.size();
    }
    std::string text = header.dump();
    // The data starts 8-byte aligned (padding the header with spaces, as the reference writer does).
    while ((text.size() % 8) != 0) text += ' ';
    std::vector<std::uint8_t> out;
    out.reserve(8 + text.size() + offset);
    const std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t(n >> (8 * i)));
    out.insert(out.end(), text.begin(), text.end());
    for (const auto& t : file.tensors) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
    return out;
}

void writeSafetensors(const SafetensorsFile& file, const std::filesystem::path& path, bool overwrite) {
    const auto bytes = encodeSafetensors(file);
    io::writeAtomically(path, overwrite, [&](const std::filesystem::path& tmp) { io::writeFileBytes(tmp, bytes); });
}

} // namespace kiln::models
