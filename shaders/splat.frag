#version 450

layout(location = 0) in vec3 inColor;
layout(location = 1) in vec3 inConic;
layout(location = 2) in vec2 inCenter;
layout(location = 3) in float inOpacity;

layout(push_constant) uniform Draw {
    mat4 model;
    ivec4 info;
} draw;

layout(location = 0) out vec4 outColor;

void main() {
    vec2 d = gl_FragCoord.xy - inCenter;
    int debug = draw.info.y;
    if (debug == 1) {
        if (dot(d, d) > 4.0) discard;
        outColor = vec4(inColor, 1.0);
        return;
    }
    float power = -0.5 * (inConic.x * d.x * d.x + inConic.z * d.y * d.y) - inConic.y * d.x * d.y;
    if (power > 0.0) discard;
    if (debug == 2) {
        if (power < -0.5) discard;  // inside 1 sigma
        outColor = vec4(inColor, 1.0);
        return;
    }
    // Opacity clamp and cut-off of the reference rasterizer (forward.cu).
    float alpha = min(0.99, inOpacity * exp(power));
    if (alpha < 1.0 / 255.0) discard;
    outColor = vec4(inColor * alpha, alpha);  // premultiplied, blended back to front
}
