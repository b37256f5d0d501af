#include "io/export_presets.h"

#include "core/error.h"

#include <glm/geometric.hpp>

#include <algorithm>
#include <cctype>

namespace kiln::io {

glm::vec3 axisVector(Axis axis) {
    switch (axis) {
    case Axis::PosX: return {1, 0, 0};
    case Axis::NegX: return {-1, 0, 0};
    case Axis::PosY: return {0, 1, 0};
    case Axis::NegY: return {0, -1, 0};
    case Axis::PosZ: return {0, 0, 1};
    case Axis::NegZ: return {0, 0, -1};
    }
    return {0, 1, 0};
}

std::string axisName(Axis axis) {
    static const char* kNames[] = {"+X", "-X", "+Y", "-Y", "+Z", "-Z"};
    return kNames[static_cast<int>(axis)];
}

std::string FileFrame::describe() const {
    std::string units = unitsPerMetre == 1.0 ? "metres" : unitsPerMetre == 100.0 ? "centimetres" : std::to_string(unitsPerMetre) + " units per metre";
    return axisName(up) + " up, front " + axisName(front) + ", " + units;
}

core::Similarity kilnToFrame(const FileFrame& frame) {
    // Kiln's +Y goes to `up`, +Z (the front of a glTF asset) to `front`, +X to up x front, which
    // keeps the rotation proper (det +1) for any perpendicular pair.
    const glm::vec3 up = axisVector(frame.up), front = axisVector(frame.front);
    if (std::abs(glm::dot(up, front)) > 0.5f) throw Error("export frame: up " + axisName(frame.up) + " and front " + axisName(frame.front) + " are not perpendicular");
    core::Similarity xf;
    xf.rotation = glm::mat3(glm::cross(up, front), up, front);
    xf.scale = float(frame.unitsPerMetre);
    return xf;
}

bool ExportPreset::allowsFormat(const std::string& ext) const {
    if (std::find(formats.begin(), formats.end(), ext) != formats.end()) return true;
    return allowsSplats && (ext == ".ply" || ext == ".spz" || ext == ".splat");
}

FileFrame ExportPreset::frameFor(const std::string& ext) const {
    if (ext == ".glb" || ext == ".gltf") return FileFrame{};
    return frame;
}

const std::vector<ExportPreset>& exportPresets() {
    static const std::vector<ExportPreset> kPresets = [] {
        std::vector<ExportPreset> p;
        // Blender is +Z up with the front of a model facing -Y; its FBX importer reads the axis
        // metadata, so writing its native frame gives objects with identity transforms.
        p.push_back({"blender", "Blender", {".glb", ".gltf", ".fbx"}, {Axis::PosZ, Axis::NegY, 1.0}, 0.01, 1000.0,
                     "glTF (+Y up, metres) or FBX in Blender's own frame (+Z up, front -Y, metres)", false});
        // Unreal's FBX importer expects +Z up, front -Y (right-handed; it mirrors Y into its
        // left-handed frame, so the front then faces +Y, or +X with "Force Front XAxis"), cm.
        p.push_back({"unreal", "Unreal Engine", {".fbx", ".glb"}, {Axis::PosZ, Axis::NegY, 100.0}, 0.01, 1000.0,
                     "FBX +Z up, front -Y, centimetres; GLB stays glTF (+Y up, metres) and Unreal converts it", false});
        // Unity is +Y up, front +Z, metres (left-handed; its importer mirrors X).
        p.push_back({"unity", "Unity", {".fbx", ".glb"}, {Axis::PosY, Axis::PosZ, 1.0}, 0.01, 1000.0,
                     "FBX +Y up, front +Z, metres; GLB glTF (+Y up, metres)", false});
        // Maya's default scene is +Y up, front +Z, centimetres.
        p.push_back({"maya", "Autodesk Maya", {".fbx"}, {Axis::PosY, Axis::PosZ, 100.0}, 0.01, 1000.0,
                     "FBX +Y up, front +Z, centimetres", false});
        p.push_back({"generic", "Generic", {".glb", ".gltf", ".obj", ".ply", ".stl"}, {Axis::PosY, Axis::PosZ, 1.0}, 0.01, 1000.0,
                     "GLB/glTF, OBJ+MTL, PLY, STL as Kiln holds it (+Y up, metres; --up/--scale adjust); splats as .ply/.spz/.splat", true});
        return p;
    }();
    return kPresets;
}

std::string exportPresetNames() {
    std::string names;
    for (const auto& p : exportPresets()) names += (names.empty() ? "" : ", ") + p.name;
    return names;
}

const ExportPreset& exportPreset(const std::string& name) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    for (const auto& p : exportPresets())
        if (p.name == lower) return p;
    throw Error("unknown export preset '" + name + "' (valid: " + exportPresetNames() + ")");
}

const ExportPreset& defaultExportPreset(const std::string& ext) {
    const ExportPreset& generic = exportPreset("generic");
    if (generic.allowsFormat(ext)) return generic;
    for (const auto& p : exportPresets())
        if (p.allowsFormat(ext)) return p;
    return generic;  // no preset writes it: the export says so
}

std::string presetsWriting(const std::string& ext) {
    std::string names;
    for (const auto& p : exportPresets())
        if (std::find(p.formats.begin(), p.formats.end(), ext) != p.formats.end()) names += (names.empty() ? "" : ", ") + p.name;
    return names;
}

} // namespace kiln::io
