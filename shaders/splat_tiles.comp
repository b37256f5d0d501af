#version 450
#include "common.glsl"

// 3D Gaussian splatting in compute (issue 20): one workgroup per 4x4 pixel tile, one invocation
// per pixel. Each tile's splats arrive front to back (binned on the host from the frame's depth
// order, splat_tiles.cpp); a pixel blends them front to back and stops once it is opaque, the
// early termination of the reference rasterizer (forward.cu). The result is composited over the
// mesh colour already in the target, exactly as back-to-front "over" blending of the same splats
// would: colour + transmittance * target. Per splat it matches splat.vert/splat.frag: the same
// preprocessed record (splat_preprocess.comp), the same oriented quad, the same alpha clamp and
// cut-off, and the same depth test against the resolved mesh depth (LESS_OR_EQUAL).
layout(local_size_x = 4, local_size_y = 4) in;  // kSplatTile
struct Projected {
    vec4 centerDepth;   // xy: centre in pixels, z: clip depth, w: 1 drawn, 0 culled
    vec4 axes;          // xy: first quad axis times its extent (pixels), zw: the second
    vec4 conicOpacity;  // inverse 2D covariance (a, b, c), opacity
    vec4 color;         // rgb
};
layout(std430, set = 1, binding = 2) readonly buffer ProjectedSplats { Projected projected[]; };
layout(set = 0, binding = 1) uniform sampler2D sceneDepth;
layout(set = 2, binding = 0, rgba16f) uniform image2D target;
layout(std430, set = 2, binding = 1) readonly buffer TileRanges { uvec2 ranges[]; };  // first entry, count
layout(std430, set = 2, binding = 2) readonly buffer TileList { uint entries[]; };     // splat indices, front to back

layout(push_constant) uniform Draw {
    mat4 model;
    ivec4 info;  // x: SH degree, y: debug mode, z: splat count, w: tiles across
} draw;

void main() {
    ivec2 px = ivec2(gl_GlobalInvocationID.xy);
    if (px.x >= int(frame.viewport.x) || px.y >= int(frame.viewport.y)) return;
    uvec2 range = ranges[gl_WorkGroupID.y * uint(draw.info.w) + gl_WorkGroupID.x];
    if (range.y == 0u) return;
    float meshDepth = texelFetch(sceneDepth, px, 0).r;
    vec2 p = vec2(px) + 0.5;  // the pixel centre, gl_FragCoord.xy of the raster path
    vec3 color = vec3(0.0);
    float transmittance = 1.0;
    uint end = range.x + range.y;
    for (uint k = range.x; k < end; ++k) {
        Projected s = projected[entries[k]];
        if (s.centerDepth.w == 0.0) continue;  // culled by the preprocess
        vec2 d = p - s.centerDepth.xy;
        vec3 conic = s.conicOpacity.xyz;
        float power = -0.5 * (conic.x * d.x * d.x + conic.z * d.y * d.y) - conic.y * d.x * d.y;
        float alpha = min(0.99, s.conicOpacity.w * exp(power));
        if (power > 0.0 || alpha < 1.0 / 255.0 || s.centerDepth.z > meshDepth) continue;
        // Inside the splat's oriented quad (the raster path covers only it).
        vec2 a1 = s.axes.xy, a2 = s.axes.zw;
        if (abs(dot(d, a1)) > dot(a1, a1) || abs(dot(d, a2)) > dot(a2, a2)) continue;
        color += transmittance * alpha * s.color.rgb;
        transmittance *= 1.0 - alpha;
        if (transmittance < 1.0e-4) break;
    }
    if (transmittance == 1.0) return;
    vec4 under = imageLoad(target, px);
    imageStore(target, px, vec4(color + transmittance * under.rgb, (1.0 - transmittance) + transmittance * under.a));
}
