#version 450
#include "common.glsl"

// Wireframe overlay: positions only (the mesh vertex buffers bound as for shading).
layout(location = 0) in vec3 inPosition;

layout(push_constant) uniform Draw {
    mat4 model;
    vec4 baseColor;
    vec4 emissiveMetallic;
    vec4 params;
} draw;

void main() { gl_Position = frame.viewProj * (draw.model * vec4(inPosition, 1.0)); }
