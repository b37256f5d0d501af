#pragma once

#include "core/transform.h"

#include <glm/vec3.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::io {

// A signed coordinate axis.
enum class Axis : std::uint8_t { PosX, NegX, PosY, NegY, PosZ, NegZ };

glm::vec3 axisVector(Axis axis);
std::string axisName(Axis axis);  // "+Y", "-Z"

// The frame a file's coordinates are written in: which way is up, which way the front of the
// asset faces, and how many file units make a metre. Always right-handed; the third axis is
// up x front. Kiln's own frame is glTF's: +Y up, front +Z, metres.
struct FileFrame {
    Axis up = Axis::PosY;
    Axis front = Axis::PosZ;
    double unitsPerMetre = 1.0;  // 1 = metres, 100 = centimetres

    // Centimetres per file unit, as FBX GlobalSettings/UnitScaleFactor stores it.
    double fbxUnitScaleFactor() const { return 100.0 / unitsPerMetre; }
    std::string describe() const;  // "+Z up, front -Y, centimetres"
};

// Similarity taking Kiln's frame (+Y up, front +Z, metres) to `frame`.
core::Similarity kilnToFrame(const FileFrame& frame);

// An export target: the formats a DCC tool imports best and the axis/unit convention it expects.
// One registry serves `kiln convert --preset` and the studio's export dialog.
struct ExportPreset {
    std::string name;                  // "unreal"
    std::string title;                 // "Unreal Engine"
    std::vector<std::string> formats;  // lower-case extensions with dot; the first is the default
    // Convention for formats that carry no fixed frame of their own (FBX, OBJ, PLY, STL). glTF is
    // +Y up, front +Z, metres by specification, so .glb/.gltf are written in that frame for every
    // preset and the importer (Blender, Unreal, Unity) converts on its side.
    FileFrame frame;
    // Largest dimension outside this range (metres) draws an "implausible size" warning.
    double minPlausibleSize = 0.01;
    double maxPlausibleSize = 1000.0;
    std::string notes;                 // one line for --help and the export dialog
    bool allowsSplats = false;         // writes Gaussian splat formats (.ply, .spz, .splat)

    bool allowsFormat(const std::string& ext) const;
    // The frame the data is written in for this extension (glTF: the glTF frame).
    FileFrame frameFor(const std::string& ext) const;
};

// All presets, in display order: blender, unreal, unity, maya, generic.
const std::vector<ExportPreset>& exportPresets();

// Looks a preset up by name (case-insensitive). Unknown names are a kiln::Error listing the
// valid ones.
const ExportPreset& exportPreset(const std::string& name);

// The preset an export without one uses: generic, or for a format generic does not write, the
// first preset (in display order) that does; so an .fbx gets blender's (+Z up, metres).
const ExportPreset& defaultExportPreset(const std::string& ext);

// "blender, unreal, unity, maya, generic"
std::string exportPresetNames();

// Presets that write `ext`, comma-separated ("blender, unreal, unity, maya" for .fbx).
std::string presetsWriting(const std::string& ext);

} // namespace kiln::io
