#version 450
#include "common.glsl"

layout(location = 0) in vec3 inPosition;
layout(location = 1) in vec3 inNormal;
layout(location = 2) in vec2 inUv0;
layout(location = 3) in vec4 inColor;

layout(push_constant) uniform Draw {
    mat4 model;
    vec4 baseColor;
    vec4 emissiveMetallic;   // rgb emissive, a metallic
    vec4 params;             // x roughness, y alpha cutoff, z alpha mode (0 opaque 1 mask 2 blend), w texture flags
} draw;

layout(location = 0) out vec3 outWorldPos;
layout(location = 1) out vec3 outNormal;
layout(location = 2) out vec2 outUv0;
layout(location = 3) out vec4 outColor;

void main() {
    vec4 world = draw.model * vec4(inPosition, 1.0);
    outWorldPos = world.xyz;
    outNormal = mat3(transpose(inverse(draw.model))) * inNormal;
    outUv0 = inUv0;
    outColor = inColor;
    gl_Position = frame.viewProj * world;
}
