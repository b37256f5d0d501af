#version 450
// Wireframe overlay: a constant display colour drawn with polygon mode LINE over the shaded mesh.
layout(location = 0) out vec4 outColor;
void main() { outColor = vec4(0.05, 0.05, 0.06, 1.0); }
