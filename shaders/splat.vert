#version 450
#include "common.glsl"

// 3D Gaussian splatting image formation (Kerbl et al. 2023): each splat is an instanced quad
// covering its projected 2D Gaussian, drawn back to front in the order given by `order` (sorted on
// the CPU by view depth). The per-splat work (projection, EWA covariance, SH colour, the quad's
// axes) was done once this frame by splat_preprocess.comp.
struct Projected {
    vec4 centerDepth;   // xy: centre in pixels, z: clip depth, w: 1 drawn, 0 culled
    vec4 axes;          // xy: first quad axis times its extent (pixels), zw: the second
    vec4 conicOpacity;  // inverse 2D covariance (a, b, c), opacity
    vec4 color;         // rgb
};
layout(std430, set = 1, binding = 1) readonly buffer Order { uint order[]; };
layout(std430, set = 1, binding = 2) readonly buffer ProjectedSplats { Projected projected[]; };

layout(push_constant) uniform Draw {
    mat4 model;
    ivec4 info;  // x: SH degree, y: debug mode, z: splat count
} draw;

layout(location = 0) out vec3 outColor;
layout(location = 1) out vec3 outConic;   // inverse 2D covariance (a, b, c)
layout(location = 2) out vec2 outCenter;  // pixels
layout(location = 3) out float outOpacity;

void main() {
    Projected p = projected[order[gl_InstanceIndex]];
    if (p.centerDepth.w == 0.0) {
        gl_Position = vec4(0.0, 0.0, 2.0, 1.0);  // culled: outside the clip volume
        return;
    }
    outColor = p.color.rgb;
    outConic = p.conicOpacity.xyz;
    outCenter = p.centerDepth.xy;
    outOpacity = p.conicOpacity.w;
    vec2 corner = vec2((gl_VertexIndex & 1) == 0 ? -1.0 : 1.0, (gl_VertexIndex & 2) == 0 ? -1.0 : 1.0);
    vec2 pixel = p.centerDepth.xy + corner.x * p.axes.xy + corner.y * p.axes.zw;
    gl_Position = vec4(pixel / frame.viewport.xy * 2.0 - 1.0, p.centerDepth.z, 1.0);
}
