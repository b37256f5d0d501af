#version 450
#include "common.glsl"

layout(location = 0) in vec3 inPosition;
layout(location = 1) in vec4 inColor;

// Grid and gizmo lines: `transform` maps line vertices to clip space directly.
layout(push_constant) uniform Draw {
    mat4 transform;
} draw;

layout(location = 0) out vec4 outColor;

void main() {
    outColor = inColor;
    gl_Position = draw.transform * vec4(inPosition, 1.0);
}
