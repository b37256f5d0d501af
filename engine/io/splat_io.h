#pragma once

#include "core/gaussian_cloud.h"

#include <filesystem>

namespace kiln::io {

// Gaussian splat file formats. Readers throw kiln::Error("<file>: <reason>") on anything
// malformed (truncation, missing properties, bad header, non-finite data where it matters).
// Writers write exactly the path they are given; callers wrap them in writeAtomically().

// INRIA 3DGS PLY (binary little endian; properties read by name, order free, normals optional).
// Also reads PlayCanvas "compressed" PLY (chunked, quantised); anything else is "unsupported variant".
bool looksLikeSplatPly(const std::filesystem::path& path);  // header has 3DGS properties and no faces
core::GaussianCloud readSplatPly(const std::filesystem::path& path);
void writeSplatPly(const core::GaussianCloud& cloud, const std::filesystem::path& path);

// antimatter15 .splat: 32 bytes per splat, degree 0 only (higher SH is dropped on write).
core::GaussianCloud readSplatFile(const std::filesystem::path& path);
void writeSplatFile(const core::GaussianCloud& cloud, const std::filesystem::path& path);

// Niantic SPZ (gzip): versions 1-3 read, version 2 written. SPZ stores RUB axes; Kiln's clouds
// use the PLY convention (RDF), so y and z (and matching rotation/SH terms) flip on the way.
core::GaussianCloud readSpz(const std::filesystem::path& path);
void writeSpz(const core::GaussianCloud& cloud, const std::filesystem::path& path);

} // namespace kiln::io
