#include "core/sh.h"

namespace kiln::core {

void evalShBasis(const glm::vec3& d, float out[16]) {
    constexpr float kC0 = 0.28209479177387814f;
    constexpr float kC1 = 0.4886025119029199f;
    constexpr float kC2[5] = {1.0925484305920792f, -1.0925484305920792f, 0.31539156525252005f, -1.0925484305920792f, 0.5462742152960396f};
    constexpr float kC3[7] = {-0.5900435899266435f, 2.890611442640554f, -0.4570457994644658f, 0.3731763325901154f,
                              -0.4570457994644658f, 1.445305721320277f, -0.5900435899266435f};
    const float x = d.x, y = d.y, z = d.z;
    const float xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
    out[0] = kC0;
    out[1] = -kC1 * y;
    out[2] = kC1 * z;
    out[3] = -kC1 * x;
    out[4] = kC2[0] * xy;
    out[5] = kC2[1] * yz;
    out[6] = kC2[2] * (2.0f * zz - xx - yy);
    out[7] = kC2[3] * xz;
    out[8] = kC2[4] * (xx - yy);
    out[9] = kC3[0] * y * (3.0f * xx - yy);
    out[10] = kC3[1] * xy * z;
    out[11] = kC3[2] * y * (4.0f * zz - xx - yy);
    out[12] = kC3[3] * z * (2.0f * zz - 3.0f * xx - 3.0f * yy);
    out[13] = kC3[4] * x * (4.0f * zz - xx - yy);
    out[14] = kC3[5] * z * (xx - yy);
    out[15] = kC3[6] * x * (xx - 3.0f * yy);
}

} // namespace kiln::core
