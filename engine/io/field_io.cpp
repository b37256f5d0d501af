#include "io/field_io.h"

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"

#include <cmath>
#include <cstring>

namespace kiln::io {

namespace {

constexpr char kMagic[8] = {'K', 'F', 'I', 'E', 'L', 'D', 0, 0};

} // namespace

bool isFieldPath(const std::filesystem::path& path) { return lowerExtension(path) == ".kfield"; }

core::RadianceField loadField(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    BinaryReader in(bytes, displayName(path));
    const auto magic = in.bytes(8, "magic");
    if (std::memcmp(magic.data(), kMagic, 8) != 0) in.fail("not a Kiln radiance field (bad magic)");
    const auto version = in.read<std::uint32_t>("version");
    if (version != kFieldVersion) in.fail("unsupported .kfield version " + std::to_string(version) + " (this Kiln reads version " + std::to_string(kFieldVersion) + ")");
    core::RadianceField f;
    for (int a = 0; a < 3; ++a) f.resolution[a] = in.read<std::int32_t>("resolution");
    for (int a = 0; a < 3; ++a)
        if (f.resolution[a] < 2 || f.resolution[a] > 1024)
            in.fail("bad header: resolution " + std::to_string(f.resolution.x) + "x" + std::to_string(f.resolution.y) + "x" + std::to_string(f.resolution.z) + " (each axis must be 2..1024)");
    glm::vec3 lo, hi;
    for (int a = 0; a < 3; ++a) lo[a] = in.read<float>("bounds");
    for (int a = 0; a < 3; ++a) hi[a] = in.read<float>("bounds");
    for (int a = 0; a < 3; ++a)
        if (!std::isfinite(lo[a]) || !std::isfinite(hi[a]) || !(hi[a] > lo[a])) in.fail("bad header: empty or non-finite bounds");
    f.bounds.extend(lo);
    f.bounds.extend(hi);
    const std::size_t n = f.cellCount();
    // Check the size before allocating: a corrupt header must not ask for gigabytes.
    if (in.remaining() < n * 16) in.fail("truncated (expected " + std::to_string(n * 16) + " bytes of cell data, found " + std::to_string(in.remaining()) + ")");
    if (in.remaining() > n * 16) in.fail("corrupt (" + std::to_string(in.remaining() - n * 16) + " unexpected bytes after the cell data)");
    f.density.resize(n);
    f.color.resize(n);
    std::memcpy(f.density.data(), in.bytes(n * 4, "density").data(), n * 4);
    std::memcpy(static_cast<void*>(f.color.data()), in.bytes(n * 12, "colour").data(), n * 12);
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(f.density[i]) || f.density[i] < 0.0f) in.fail("corrupt (density of cell " + std::to_string(i) + " is negative or not finite)");
        for (int c = 0; c < 3; ++c)
            if (!std::isfinite(f.color[i][c])) in.fail("corrupt (colour of cell " + std::to_string(i) + " is not finite)");
    }
    f.validate(displayName(path));
    return f;
}

void saveField(const core::RadianceField& f, const std::filesystem::path& path, bool overwrite) {
    f.validate(displayName(path));
    BinaryWriter out;
    out.reserve(8 + 4 + 12 + 24 + f.cellCount() * 16);
    out.putArray(std::span<const char>(kMagic));
    out.put(kFieldVersion);
    for (int a = 0; a < 3; ++a) out.put(std::int32_t(f.resolution[a]));
    for (int a = 0; a < 3; ++a) out.put(f.bounds.min[a]);
    for (int a = 0; a < 3; ++a) out.put(f.bounds.max[a]);
    out.putArray(f.density);
    out.putArray(f.color);
    writeAtomically(path, overwrite, [&](const std::filesystem::path& temp) { writeFileBytes(temp, out.bytes()); });
}

} // namespace kiln::io
