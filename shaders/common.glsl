// Shared by every Kiln shader: per-frame uniforms (set 0) and colour helpers.
layout(set = 0, binding = 0) uniform Frame {
    mat4 view;
    mat4 proj;          // Vulkan clip space: y down, depth 0..1
    mat4 viewProj;
    mat4 invViewProj;
    vec4 cameraPos;     // xyz world
    vec4 viewport;      // width, height, focal length in pixels, time
    vec4 lightDir[3];   // direction towards the light, world space
    vec4 lightColor[3]; // linear radiance
    vec4 skyColor;      // environment term: hemisphere sky / ground
    vec4 groundColor;
    ivec4 mode;         // x: shading mode, y: splat debug mode
} frame;

// Kiln's colour targets hold display-referred (sRGB-encoded) values so splats and fields blend
// exactly as the 3DGS / NeRF image formation does; lit meshes encode explicitly.
vec3 linearToSrgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
}
vec3 srgbToLinear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(vec3(0.04045), c));
}

const int kModeLit = 0;
const int kModeUnlit = 1;
const int kModeNormals = 2;
const int kModeUvChecker = 3;
