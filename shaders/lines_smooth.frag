#version 450
// Grid lines drawn as smooth lines (VK_EXT_line_rasterization) in a single-sample scene pass:
// straight alpha, because the rasterizer multiplies each fragment's alpha by the line's coverage
// of the pixel and the pipeline blends with SRC_ALPHA (lines.frag premultiplies instead).
layout(location = 0) in vec4 inColor;
layout(location = 0) out vec4 outColor;
void main() { outColor = inColor; }
