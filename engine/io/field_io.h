#pragma once

#include "core/radiance_field.h"

#include <cstdint>
#include <filesystem>

namespace kiln::io {

// ".kfield": a baked radiance field (core::RadianceField) on disk, little-endian:
//   char[8]  magic "KFIELD\0\0"
//   u32      version (1)
//   i32 x 3  resolution
//   f32 x 6  bounds min, max
//   f32      density per cell (x fastest, then y, then z)
//   f32 x 3  linear RGB per cell
// Nothing follows. The field's own RadianceField::validate limits (2..1024 cells per axis) apply.
inline constexpr std::uint32_t kFieldVersion = 1;

bool isFieldPath(const std::filesystem::path& path);

// Throws kiln::Error naming the file: missing, not a .kfield (magic), unknown version, bad or
// oversized header, truncated or trailing data, non-finite or negative values.
core::RadianceField loadField(const std::filesystem::path& path);

// Atomic (io/atomic_write.h); refuses an existing file unless `overwrite`.
void saveField(const core::RadianceField& field, const std::filesystem::path& path, bool overwrite = false);

} // namespace kiln::io
