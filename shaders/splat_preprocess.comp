#version 450
#include "common.glsl"

// 3D Gaussian splatting, per splat once per frame (Kerbl et al. 2023): the projection, the 2D
// covariance (EWA), the view-dependent SH colour and the screen-space quad that covers the splat,
// written to `projected` for splat.vert, which only reads them (it used to redo all of this for
// each of a quad's four corners: the viewport was vertex-bound, issue 20).
layout(local_size_x = 256) in;
struct Splat {
    vec4 positionOpacity;  // xyz world (model applied on upload), w opacity logit
    vec4 rotation;         // quaternion w, x, y, z
    vec4 logScale;         // xyz
    vec4 sh[12];           // 16 RGB coefficients, coefficient-major, packed as 48 floats
};
layout(std430, set = 1, binding = 0) readonly buffer Splats { Splat splats[]; };
// One per splat, in the cloud's own order (splat.vert reads them through `order`).
struct Projected {
    vec4 centerDepth;   // xy: centre in pixels, z: clip depth, w: 1 drawn, 0 culled
    vec4 axes;          // xy: first quad axis times its extent (pixels), zw: the second
    vec4 conicOpacity;  // inverse 2D covariance (a, b, c) as the fragment shader takes it, opacity
    vec4 color;         // rgb
};
layout(std430, set = 1, binding = 2) writeonly buffer ProjectedSplats { Projected projected[]; };
// With the GPU sort (info.w = 1): the back-to-front sort's input, keys of the view-space depth
// (ascending = farthest first, the CPU sort's keys) and the identity order it permutes.
layout(std430, set = 1, binding = 1) writeonly buffer Order { uint order[]; };
layout(std430, set = 1, binding = 3) writeonly buffer SortKeys { uint sortKeys[]; };

layout(push_constant) uniform Draw {
    mat4 model;
    ivec4 info;  // x: SH degree, y: debug mode (0 normal, 1 centres, 2 ellipsoids), z: splat count, w: 1 = GPU sort
} draw;

float shCoeff(uint splat, int k, int c) {
    int i = k * 3 + c;
    return splats[splat].sh[i / 4][i % 4];
}

vec3 shColor(uint s, vec3 d, int degree) {
    // Real SH basis with the reference renderer's constants and signs (forward.cu).
    const float C0 = 0.28209479177387814, C1 = 0.4886025119029199;
    const float C2[5] = float[](1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396);
    const float C3[7] = float[](-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
                                -0.4570457994644658, 1.445305721320277, -0.5900435899266435);
    float b[16];
    float x = d.x, y = d.y, z = d.z, xx = x * x, yy = y * y, zz = z * z;
    b[0] = C0;
    b[1] = -C1 * y; b[2] = C1 * z; b[3] = -C1 * x;
    b[4] = C2[0] * x * y; b[5] = C2[1] * y * z; b[6] = C2[2] * (2.0 * zz - xx - yy); b[7] = C2[3] * x * z; b[8] = C2[4] * (xx - yy);
    b[9] = C3[0] * y * (3.0 * xx - yy); b[10] = C3[1] * x * y * z; b[11] = C3[2] * y * (4.0 * zz - xx - yy);
    b[12] = C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy); b[13] = C3[4] * x * (4.0 * zz - xx - yy);
    b[14] = C3[5] * z * (xx - yy); b[15] = C3[6] * x * (xx - 3.0 * yy);
    int count = (degree + 1) * (degree + 1);
    vec3 c = vec3(0.5);
    for (int k = 0; k < count; ++k) c += b[k] * vec3(shCoeff(s, k, 0), shCoeff(s, k, 1), shCoeff(s, k, 2));
    return max(c, vec3(0.0));
}

mat3 quatToMat(vec4 q) {
    q = normalize(q);
    float w = q.x, x = q.y, y = q.z, z = q.w;
    // Column-major: columns are the images of the basis vectors.
    return mat3(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y),
                2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x),
                2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y));
}

mat3 scaleMatrix(vec3 s) { return mat3(s.x, 0.0, 0.0, 0.0, s.y, 0.0, 0.0, 0.0, s.z); }

void cull(uint s) { projected[s].centerDepth = vec4(0.0); }

void main() {
    uint s = gl_GlobalInvocationID.x;
    if (s >= uint(draw.info.z)) return;
    Splat sp = splats[s];
    vec3 world = (draw.model * vec4(sp.positionOpacity.xyz, 1.0)).xyz;
    vec4 pc = frame.view * vec4(world, 1.0);
    if (draw.info.w == 1) {
        // Float bits to an order-preserving unsigned key: ascending key = most negative z = farthest.
        uint bits = floatBitsToUint(pc.z);
        sortKeys[s] = (bits & 0x80000000u) != 0u ? ~bits : (bits | 0x80000000u);
        order[s] = s;
    }
    float depth = -pc.z;
    float znear = frame.proj[3][2] / frame.proj[2][2];  // near plane recovered from the projection
    if (depth <= abs(znear)) { cull(s); return; }

    float f = frame.viewport.z;
    vec2 size = frame.viewport.xy;
    vec2 center = vec2(f * pc.x / depth, -f * pc.y / depth) + 0.5 * size;

    mat3 rs = quatToMat(sp.rotation) * scaleMatrix(exp(sp.logScale.xyz));
    mat3 cov3 = rs * transpose(rs);
    mat3 w = mat3(frame.view) * mat3(draw.model);
    // EWA splatting (Zwicker et al. 2002): Jacobian of the pixel mapping at the splat centre.
    // u = f x / -z, v = -f y / -z  =>  rows (f/d, 0, f x/d^2) and (0, -f/d, -f y/d^2).
    mat3 j = mat3(f / depth, 0.0, 0.0,
                  0.0, -f / depth, 0.0,
                  f * pc.x / (depth * depth), -f * pc.y / (depth * depth), 0.0);
    mat3 t = j * w;
    mat3 cov2 = t * cov3 * transpose(t);
    // Low-pass filter of the reference renderer: every splat covers at least ~one pixel.
    float a = cov2[0][0] + 0.3, b = cov2[1][0], c = cov2[1][1] + 0.3;
    float det = a * c - b * b;
    if (det <= 0.0) { cull(s); return; }
    float opacity = 1.0 / (1.0 + exp(-sp.positionOpacity.w));
    // Fragments with alpha < 1/255 are discarded, so the quad only needs to reach the ellipse
    // where opacity * exp(-r^2/2) = 1/255: r = sqrt(2 ln(255 opacity)) standard deviations
    // (capped at 3 as in the reference). An oriented quad along the ellipse axes covers far
    // fewer pixels than the reference's square bound for elongated splats.
    float k = min(3.0, sqrt(max(0.0, 2.0 * log(255.0 * opacity))));
    int debug = draw.info.y;
    if (k <= 0.0 && debug == 0) { cull(s); return; }
    float mid = 0.5 * (a + c);
    float disc = sqrt(max(0.0, mid * mid - det));
    float lambda1 = mid + disc, lambda2 = max(mid - disc, 1e-6);
    vec2 axis1 = abs(b) > 1e-9 ? normalize(vec2(b, lambda1 - a)) : (a >= c ? vec2(1.0, 0.0) : vec2(0.0, 1.0));
    vec2 axis2 = vec2(-axis1.y, axis1.x);
    vec2 extent = vec2(k * sqrt(lambda1), k * sqrt(lambda2)) + 1.0;  // +1 px: pixel centres near the rim
    if (debug == 1) { axis1 = vec2(1.0, 0.0); axis2 = vec2(0.0, 1.0); extent = vec2(2.0); }
    if (debug == 2) extent = vec2(sqrt(lambda1), sqrt(lambda2)) + 1.0;

    vec3 dir = normalize(world - frame.cameraPos.xyz);
    vec4 clipCenter = frame.proj * pc;
    projected[s].centerDepth = vec4(center, clipCenter.z / clipCenter.w, 1.0);
    projected[s].axes = vec4(extent.x * axis1, extent.y * axis2);
    projected[s].conicOpacity = vec4(vec3(c, -b, a) / det, opacity);
    projected[s].color = vec4(shColor(s, dir, draw.info.x), 1.0);
}
