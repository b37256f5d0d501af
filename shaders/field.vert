#version 450
// Full-screen triangle for the radiance-field ray marcher.
layout(location = 0) out vec2 outNdc;
void main() {
    vec2 p = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);
    outNdc = p * 2.0 - 1.0;
    gl_Position = vec4(outNdc, 0.0, 1.0);
}
