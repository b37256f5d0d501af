#pragma once

#include "core/gaussian_cloud.h"

#include <filesystem>

namespace kiln::io {

// Gaussian splat file formats. Readers throw kiln::Error("<file>: <reason>") on anything
// malformed (truncation, missing properties, bad header, non-finite data where it matters).
// Writers write exactly the path they are given; callers wrap them in writeAtomically().

// INRIA 3DGS PLY (binary either endian or ASCII; properties read by name in any order and numeric
// type, normals and extra properties ignored; f_rest count gives SH degree 0-3). Also reads the
// PlayCanvas "compressed" PLY (chunked, quantised). Writes binary little endian, INRIA layout.
// looksLikeSplatPly: the header has the 3DGS (or compressed) vertex properties and no faces.
// Walks a PLY file's header and every element (mesh or splat) without interpreting it; throws
// kiln::Error when the header is malformed or the data does not match it.
void validatePlyStructure(const std::filesystem::path& path);
bool looksLikeSplatPly(const std::filesystem::path& path);
core::GaussianCloud readSplatPly(const std::filesystem::path& path);
// A point cloud PLY (x, y, z and optionally red, green, blue of any numeric type; 8-bit colours
// map to [0, 1]), e.g. nerfstudio's ply_file_path or COLMAP's exported points. Faces are ignored.
struct PointCloud {
    std::vector<glm::vec3> positions;
    std::vector<glm::vec3> colors;  // empty when the file has none
};
PointCloud readPointPly(const std::filesystem::path& path);
void writeSplatPly(const core::GaussianCloud& cloud, const std::filesystem::path& path);

// antimatter15 .splat: 32 bytes per splat, degree 0 only (higher SH is dropped on write).
core::GaussianCloud readSplatFile(const std::filesystem::path& path);
void writeSplatFile(const core::GaussianCloud& cloud, const std::filesystem::path& path);

// Niantic SPZ: versions 1-3 (gzip, or stored raw) and 4 (zstd streams) read, version 3 (gzip)
// written. SPZ stores RUB axes; Kiln's clouds use the PLY convention (RDF), so y and z (and matching
// rotation/SH terms) flip on the way. SH degree 4 files are rejected (Kiln holds 0-3).
core::GaussianCloud readSpz(const std::filesystem::path& path);
void writeSpz(const core::GaussianCloud& cloud, const std::filesystem::path& path);

} // namespace kiln::io
