#pragma once

// The real spherical-harmonic basis up to degree 3 and its gradient, on plain floats so the CPU
// code and the CUDA kernels share one definition (core/sh.h wraps it for glm vectors). Signs and
// constants are those of the 3DGS reference renderer (Kerbl et al. 2023, computeColorFromSH).
#include "core/host_device.h"

namespace kiln::core {

inline constexpr float kShBasisC0 = 0.28209479177387814f;

// (x, y, z) must be unit length; writes 16 values.
KILN_HD void shBasis(float x, float y, float z, float out[16]) {
    constexpr float C1 = 0.4886025119029199f;
    constexpr float C2[5] = {1.0925484305920792f, -1.0925484305920792f, 0.31539156525252005f, -1.0925484305920792f, 0.5462742152960396f};
    constexpr float C3[7] = {-0.5900435899266435f, 2.890611442640554f, -0.4570457994644658f, 0.3731763325901154f,
                             -0.4570457994644658f, 1.445305721320277f, -0.5900435899266435f};
    const float xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
    out[0] = kShBasisC0;
    out[1] = -C1 * y;
    out[2] = C1 * z;
    out[3] = -C1 * x;
    out[4] = C2[0] * xy;
    out[5] = C2[1] * yz;
    out[6] = C2[2] * (2.0f * zz - xx - yy);
    out[7] = C2[3] * xz;
    out[8] = C2[4] * (xx - yy);
    out[9] = C3[0] * y * (3.0f * xx - yy);
    out[10] = C3[1] * xy * z;
    out[11] = C3[2] * y * (4.0f * zz - xx - yy);
    out[12] = C3[3] * z * (2.0f * zz - 3.0f * xx - 3.0f * yy);
    out[13] = C3[4] * x * (4.0f * zz - xx - yy);
    out[14] = C3[5] * z * (xx - yy);
    out[15] = C3[6] * x * (xx - 3.0f * yy);
}

// Partial derivatives of the 16 basis functions with respect to x, y and z (treated as
// independent), evaluated at the unit direction: out[k * 3 + j] = d b_k / d axis_j.
KILN_HD void shBasisGradients(float x, float y, float z, float out[48]) {
    constexpr float C1 = 0.4886025119029199f;
    constexpr float C2[5] = {1.0925484305920792f, -1.0925484305920792f, 0.31539156525252005f, -1.0925484305920792f, 0.5462742152960396f};
    constexpr float C3[7] = {-0.5900435899266435f, 2.890611442640554f, -0.4570457994644658f, 0.3731763325901154f,
                             -0.4570457994644658f, 1.445305721320277f, -0.5900435899266435f};
    const float xx = x * x, yy = y * y, zz = z * z;
    const float g[48] = {
        0.0f, 0.0f, 0.0f,
        0.0f, -C1, 0.0f,
        0.0f, 0.0f, C1,
        -C1, 0.0f, 0.0f,
        C2[0] * y, C2[0] * x, 0.0f,
        0.0f, C2[1] * z, C2[1] * y,
        -2.0f * C2[2] * x, -2.0f * C2[2] * y, 4.0f * C2[2] * z,
        C2[3] * z, 0.0f, C2[3] * x,
        2.0f * C2[4] * x, -2.0f * C2[4] * y, 0.0f,
        C3[0] * 6.0f * x * y, C3[0] * (3.0f * xx - 3.0f * yy), 0.0f,
        C3[1] * y * z, C3[1] * x * z, C3[1] * x * y,
        C3[2] * (-2.0f * x * y), C3[2] * (4.0f * zz - xx - 3.0f * yy), C3[2] * 8.0f * y * z,
        C3[3] * (-6.0f * x * z), C3[3] * (-6.0f * y * z), C3[3] * (6.0f * zz - 3.0f * xx - 3.0f * yy),
        C3[4] * (4.0f * zz - 3.0f * xx - yy), C3[4] * (-2.0f * x * y), C3[4] * 8.0f * x * z,
        C3[5] * 2.0f * x * z, -C3[5] * 2.0f * y * z, C3[5] * (xx - yy),
        C3[6] * (3.0f * xx - 3.0f * yy), C3[6] * (-6.0f * x * y), 0.0f,
    };
    for (int k = 0; k < 48; ++k) out[k] = g[k];
}

} // namespace kiln::core
