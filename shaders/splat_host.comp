#version 450
// The host splat path's result over the scene pass: per pixel the splats' premultiplied colour
// and transmittance, drawn on the CPU (engine/render/splat_host.cpp), composited as
// colour + T x under, what splat_tiles.comp writes for the same splats.
#include "common.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 2, binding = 0, rgba16f) uniform image2D target;
layout(std430, set = 2, binding = 1) readonly buffer HostPixels { vec4 pixels[]; };  // rgb, transmittance; row-major

void main() {
    ivec2 px = ivec2(gl_GlobalInvocationID.xy);
    int width = int(frame.viewport.x);
    if (px.x >= width || px.y >= int(frame.viewport.y)) return;
    vec4 s = pixels[px.y * width + px.x];
    if (s.a == 1.0) return;
    vec4 under = imageLoad(target, px);
    imageStore(target, px, vec4(s.rgb + s.a * under.rgb, (1.0 - s.a) + s.a * under.a));
}
