#include "io/splat_io.h"

#include "core/error.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace kiln::io {

namespace {

// antimatter15/splat layout (convert.py): float32 position[3], float32 linear scale[3],
// uint8 rgba (rgb = 0.5 + C0 * f_dc, a = sigmoid(opacity)), uint8 rotation w,x,y,z (q * 128 + 128).
constexpr std::size_t kRecordSize = 32;
// Linear scales of zero (or denormal) would give -inf log scales; this keeps them finite.
constexpr float kMinLinearScale = 1e-30f;

std::uint8_t toUint8(float x) { return std::uint8_t(std::clamp(std::round(x), 0.0f, 255.0f)); }

// Byte alpha -> logit. Bytes 0 and 255 stand for |logit| beyond the 8-bit range; they decode to a
// quarter step inside it so the result is finite and re-encodes to the same byte.
float alphaByteToLogit(std::uint8_t b) {
    const float a = std::clamp(float(b) / 255.0f, 0.25f / 255.0f, 254.75f / 255.0f);
    return std::log(a / (1.0f - a));
}

} // namespace

core::GaussianCloud readSplatFile(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    const std::string name = displayName(path);
    if (bytes.empty()) throw Error(name + ": empty .splat file");
    if (bytes.size() % kRecordSize != 0)
        throw Error(name + ": not a .splat file or truncated (size " + std::to_string(bytes.size()) + " is not a multiple of 32 bytes)");
    const std::size_t n = bytes.size() / kRecordSize;
    core::GaussianCloud cloud;
    cloud.resize(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t* r = bytes.data() + i * kRecordSize;
        float f[6];
        std::memcpy(f, r, sizeof(f));
        for (int c = 0; c < 3; ++c) {
            if (!std::isfinite(f[c]) || !std::isfinite(f[3 + c]) || f[3 + c] < 0.0f)
                throw Error(name + ": invalid position or scale at splat " + std::to_string(i));
        }
        cloud.positions[i] = {f[0], f[1], f[2]};
        cloud.logScales[i] = {std::log(std::max(f[3], kMinLinearScale)), std::log(std::max(f[4], kMinLinearScale)),
                              std::log(std::max(f[5], kMinLinearScale))};
        for (int c = 0; c < 3; ++c) cloud.sh[i * 3 + std::size_t(c)] = (float(r[24 + c]) / 255.0f - 0.5f) / core::kShC0;
        cloud.opacityLogits[i] = alphaByteToLogit(r[27]);
        glm::vec4 q(0.0f);
        for (int c = 0; c < 4; ++c) q[c] = (float(r[28 + c]) - 128.0f) / 128.0f;
        const float norm = std::sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
        cloud.rotations[i] = norm > 0.0f ? q / norm : glm::vec4(1.0f, 0.0f, 0.0f, 0.0f);
    }
    return cloud;
}

void writeSplatFile(const core::GaussianCloud& cloud, const std::filesystem::path& path) {
    const std::string name = displayName(path);
    cloud.validate(name);
    const std::size_t coeffs = std::size_t(cloud.coeffCount());
    BinaryWriter out;
    out.reserve(cloud.size() * kRecordSize);
    for (std::size_t i = 0; i < cloud.size(); ++i) {
        const glm::vec3& p = cloud.positions[i];
        const glm::vec3 s = glm::vec3(std::exp(cloud.logScales[i].x), std::exp(cloud.logScales[i].y), std::exp(cloud.logScales[i].z));
        const float* sh = cloud.sh.data() + i * coeffs * 3;
        const float opacity = cloud.opacityLogits[i];
        glm::vec4 q = cloud.rotations[i];
        const float norm = std::sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
        bool finite = std::isfinite(opacity) && std::isfinite(norm);
        for (int c = 0; c < 3; ++c) finite = finite && std::isfinite(p[c]) && std::isfinite(s[c]) && std::isfinite(sh[c]);
        if (!finite) throw Error(name + ": non-finite splat attribute at splat " + std::to_string(i));

        out.put(p);
        out.put(s);
        for (int c = 0; c < 3; ++c) out.put(toUint8((0.5f + core::kShC0 * sh[c]) * 255.0f));
        out.put(toUint8(255.0f / (1.0f + std::exp(-opacity))));
        q = norm > 0.0f ? q / norm : glm::vec4(1.0f, 0.0f, 0.0f, 0.0f);
        for (int c = 0; c < 4; ++c) out.put(toUint8(q[c] * 128.0f + 128.0f));
    }
    writeFileBytes(path, out.bytes());
}

} // namespace kiln::io
