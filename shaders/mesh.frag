#version 450
#include "common.glsl"

layout(location = 0) in vec3 inWorldPos;
layout(location = 1) in vec3 inNormal;
layout(location = 2) in vec2 inUv0;
layout(location = 3) in vec4 inColor;

layout(push_constant) uniform Draw {
    mat4 model;
    vec4 baseColor;
    vec4 emissiveMetallic;
    vec4 params;
} draw;

layout(set = 1, binding = 0) uniform sampler2D baseColorTex;
layout(set = 1, binding = 1) uniform sampler2D metallicRoughnessTex;
layout(set = 1, binding = 2) uniform sampler2D normalTex;
layout(set = 1, binding = 3) uniform sampler2D emissiveTex;
layout(set = 1, binding = 4) uniform sampler2D occlusionTex;

layout(location = 0) out vec4 outColor;

const float kPi = 3.14159265359;
const uint kHasNormalMap = 1u;

// Normal mapping without stored tangents: cotangent frame from screen-space derivatives
// (Schüler, "Normal Mapping Without Precomputed Tangents", ShaderX5 2006).
vec3 perturbNormal(vec3 n, vec3 p, vec2 uv, vec3 mapped) {
    vec3 dp1 = dFdx(p), dp2 = dFdy(p);
    vec2 duv1 = dFdx(uv), duv2 = dFdy(uv);
    vec3 dp2perp = cross(dp2, n), dp1perp = cross(n, dp1);
    vec3 t = dp2perp * duv1.x + dp1perp * duv2.x;
    vec3 b = dp2perp * duv1.y + dp1perp * duv2.y;
    float invmax = inversesqrt(max(dot(t, t), dot(b, b)));
    if (isinf(invmax) || isnan(invmax)) return n;
    mat3 tbn = mat3(t * invmax, b * invmax, n);
    return normalize(tbn * (mapped * 2.0 - 1.0));
}

// GGX / Trowbridge-Reitz distribution, Smith-Schlick visibility, Schlick Fresnel
// (glTF 2.0 specification, Appendix B).
vec3 brdf(vec3 n, vec3 v, vec3 l, vec3 albedo, float metallic, float roughness) {
    vec3 h = normalize(v + l);
    float ndl = max(dot(n, l), 0.0), ndv = max(dot(n, v), 1e-4), ndh = max(dot(n, h), 0.0), vdh = max(dot(v, h), 0.0);
    float a = roughness * roughness, a2 = a * a;
    float d = a2 / (kPi * pow(ndh * ndh * (a2 - 1.0) + 1.0, 2.0));
    float k = a / 2.0;
    float vis = 0.25 / ((ndl * (1.0 - k) + k) * (ndv * (1.0 - k) + k));
    vec3 f0 = mix(vec3(0.04), albedo, metallic);
    vec3 f = f0 + (1.0 - f0) * pow(1.0 - vdh, 5.0);
    vec3 diffuse = (1.0 - f) * (1.0 - metallic) * albedo / kPi;
    return (diffuse + f * d * vis) * ndl;
}

void main() {
    vec4 base = draw.baseColor * texture(baseColorTex, inUv0) * inColor;
    if (draw.params.z == 1.0 && base.a < draw.params.y) discard;
    vec3 n = normalize(inNormal);
    if (!gl_FrontFacing) n = -n;
    uint flags = uint(draw.params.w);
    if ((flags & kHasNormalMap) != 0u) n = perturbNormal(n, inWorldPos, inUv0, texture(normalTex, inUv0).rgb);

    int mode = frame.mode.x;
    vec3 color;
    if (mode == kModeNormals) {
        color = n * 0.5 + 0.5;
        outColor = vec4(color, 1.0);  // already display values
        return;
    } else if (mode == kModeUvChecker) {
        vec2 c = floor(inUv0 * 8.0);
        float checker = mod(c.x + c.y, 2.0);
        color = mix(vec3(0.15, 0.15, 0.18), vec3(0.9, 0.55, 0.2), checker);
        outColor = vec4(color, 1.0);
        return;
    } else if (mode == kModeUnlit) {
        color = base.rgb;
    } else {
        vec4 mr = texture(metallicRoughnessTex, inUv0);
        float metallic = clamp(draw.emissiveMetallic.a * mr.b, 0.0, 1.0);
        float roughness = clamp(draw.params.x * mr.g, 0.04, 1.0);
        vec3 v = normalize(frame.cameraPos.xyz - inWorldPos);
        color = vec3(0.0);
        for (int i = 0; i < 3; ++i) color += brdf(n, v, normalize(frame.lightDir[i].xyz), base.rgb, metallic, roughness) * frame.lightColor[i].rgb;
        // Environment term: hemisphere irradiance for diffuse, the same sky tinted by an analytic
        // split-sum approximation for specular (Karis, "Physically Based Shading on Mobile", 2014).
        float up = n.y * 0.5 + 0.5;
        vec3 irradiance = mix(frame.groundColor.rgb, frame.skyColor.rgb, up);
        vec3 r = reflect(-v, n);
        vec3 envSpec = mix(frame.groundColor.rgb, frame.skyColor.rgb, r.y * 0.5 + 0.5);
        float ndv = max(dot(n, v), 1e-4);
        vec4 c0 = vec4(-1.0, -0.0275, -0.572, 0.022), c1 = vec4(1.0, 0.0425, 1.04, -0.04);
        vec4 rr = roughness * c0 + c1;
        float a004 = min(rr.x * rr.x, exp2(-9.28 * ndv)) * rr.x + rr.y;
        vec2 ab = vec2(-1.04, 1.04) * a004 + rr.zw;
        vec3 f0 = mix(vec3(0.04), base.rgb, metallic);
        float ao = texture(occlusionTex, inUv0).r;
        color += ao * ((1.0 - metallic) * base.rgb * irradiance + envSpec * (f0 * ab.x + ab.y));
    }
    color += draw.emissiveMetallic.rgb * texture(emissiveTex, inUv0).rgb;
    outColor = vec4(linearToSrgb(color), draw.params.z == 2.0 ? base.a : 1.0);
}
