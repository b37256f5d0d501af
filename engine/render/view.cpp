#include "render/view.h"

#include "core/error.h"

namespace kiln::render {

const char* toString(ShadingMode mode) {
    switch (mode) {
    case ShadingMode::Lit: return "lit";
    case ShadingMode::Unlit: return "unlit";
    case ShadingMode::Normals: return "normals";
    case ShadingMode::UvChecker: return "uv";
    case ShadingMode::Wireframe: return "wire";
    case ShadingMode::SplatCenters: return "centers";
    case ShadingMode::SplatEllipsoids: return "ellipsoids";
    }
    return "lit";
}

ShadingMode shadingModeFromString(const std::string& name) {
    for (ShadingMode m : {ShadingMode::Lit, ShadingMode::Unlit, ShadingMode::Normals, ShadingMode::UvChecker, ShadingMode::Wireframe,
                          ShadingMode::SplatCenters, ShadingMode::SplatEllipsoids})
        if (name == toString(m)) return m;
    throw Error("unknown shading mode '" + name + "' (use lit, unlit, normals, uv, wire, centers or ellipsoids)");
}

} // namespace kiln::render
