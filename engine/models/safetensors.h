#pragma once

// safetensors (Hugging Face's weight format): an 8-byte little-endian header length, a JSON
// header naming every tensor's dtype, shape and byte range, then the raw little-endian data.
// Torch-free, so the parser runs in the sanitizer build and in tools that never load a network.

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace kiln::models {

enum class DType : std::uint8_t { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

const char* toString(DType dtype);  // the safetensors spelling: "F32", "I64", ...
std::size_t dtypeSize(DType dtype);

struct TensorData {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> bytes;  // little-endian, row-major

    std::int64_t elementCount() const;
};

struct SafetensorsFile {
    std::map<std::string, std::string> metadata;  // "__metadata__"
    std::vector<TensorData> tensors;              // in file order

    const TensorData* find(const std::string& name) const;
};

// Parses and validates (header size within the file, JSON object, known dtypes, shapes whose
// byte size equals the range, ranges inside the data that neither overlap nor leave gaps).
// Throws kiln::Error("<name>: <reason>").
SafetensorsFile parseSafetensors(std::span<const std::uint8_t> bytes, const std::string& name);
SafetensorsFile readSafetensors(const std::filesystem::path& path);

std::vector<std::uint8_t> encodeSafetensors(const SafetensorsFile& file);
// Atomic (io::writeAtomically); refuses an existing file unless `overwrite`.
void writeSafetensors(const SafetensorsFile& file, const std::filesystem::path& path, bool overwrite);

} // namespace kiln::models
