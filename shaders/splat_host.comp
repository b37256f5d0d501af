#version 450
// The host splat path's result over the scene pass: per pixel the splats' premultiplied colour
// and transmittance, drawn on the CPU (engine/render/splat_host.cpp), composited as
// colour + T x under, what splat_tiles.comp writes for the same splats.
#include "common.glsl"

layout(local_size_x = 16, local_size_y = 16) in;  // kHostTile: one workgroup per covered tile
layout(set = 2, binding = 0, rgba16f) uniform image2D target;
layout(std430, set = 2, binding = 1) readonly buffer HostPixels { vec4 pixels[]; };  // rgb, transmittance; row-major
// The indirect dispatch's arguments, then the tiles some splat reached: x | y << 16.
layout(std430, set = 2, binding = 2) readonly buffer HostTiles { uvec4 dispatchArgs; uint tiles[]; };

void main() {
    uint tile = tiles[gl_WorkGroupID.x];
    ivec2 px = ivec2(tile & 0xffffu, tile >> 16) * 16 + ivec2(gl_LocalInvocationID.xy);
    int width = int(frame.viewport.x);
    if (px.x >= width || px.y >= int(frame.viewport.y)) return;
    vec4 s = pixels[px.y * width + px.x];
    if (s.a == 1.0) return;
    vec4 under = imageLoad(target, px);
    imageStore(target, px, vec4(s.rgb + s.a * under.rgb, (1.0 - s.a) + s.a * under.a));
}
