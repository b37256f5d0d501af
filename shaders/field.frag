#version 450
#include "common.glsl"

// Emission-absorption ray marching of a density + colour grid (Max 1995; NeRF's quadrature,
// Mildenhall et al. 2020 eq. 3), stopped at the mesh depth and when transmittance runs out.
layout(location = 0) in vec2 inNdc;

layout(set = 0, binding = 1) uniform sampler2D sceneDepth;
layout(set = 1, binding = 0) uniform sampler3D field;  // rgb colour, a density

layout(push_constant) uniform Draw {
    mat4 worldToGrid;   // world -> [0,1]^3 grid coordinates
    vec4 params;        // x: step count across the diagonal, y: world units per grid unit (avg)
} draw;

layout(location = 0) out vec4 outColor;

void main() {
    vec4 nearW = frame.invViewProj * vec4(inNdc, 0.0, 1.0);
    vec4 farW = frame.invViewProj * vec4(inNdc, 1.0, 1.0);
    vec3 ro = nearW.xyz / nearW.w;
    vec3 rdw = farW.xyz / farW.w - ro;
    // Mesh depth along this ray, as a fraction of the near->far segment.
    float sceneZ = texelFetch(sceneDepth, ivec2(gl_FragCoord.xy), 0).r;
    vec4 hitW = frame.invViewProj * vec4(inNdc, sceneZ, 1.0);
    vec3 hit = hitW.xyz / hitW.w;
    float tScene = dot(hit - ro, rdw) / dot(rdw, rdw);

    vec3 o = (draw.worldToGrid * vec4(ro, 1.0)).xyz;
    vec3 d = (draw.worldToGrid * vec4(rdw, 0.0)).xyz;
    vec3 inv = 1.0 / d;
    vec3 t0 = (vec3(0.0) - o) * inv, t1 = (vec3(1.0) - o) * inv;
    float tEnter = max(max(min(t0.x, t1.x), min(t0.y, t1.y)), max(min(t0.z, t1.z), 0.0));
    float tExit = min(min(max(t0.x, t1.x), max(t0.y, t1.y)), min(max(t0.z, t1.z), tScene));
    if (tExit <= tEnter) discard;

    float gridLen = length(d);                       // grid units per unit t
    float worldLen = length(rdw);                    // world units per unit t
    float dt = 1.7320508 / draw.params.x / gridLen;  // step in t
    vec3 color = vec3(0.0);
    float transmittance = 1.0;
    for (float t = tEnter + 0.5 * dt; t < tExit; t += dt) {
        vec4 s = texture(field, o + d * t);
        float stepLen = min(dt, tExit - (t - 0.5 * dt)) * worldLen;
        float alpha = 1.0 - exp(-max(s.a, 0.0) * stepLen);
        color += transmittance * alpha * s.rgb;
        transmittance *= 1.0 - alpha;
        if (transmittance < 0.01) { transmittance = 0.0; break; }  // early ray termination
    }
    outColor = vec4(color, 1.0 - transmittance);  // premultiplied over the scene
}
