"""Imports files Kiln exported into Blender and checks what an artist would see.

Run by tests/export/dcc_export.sh, one Blender process for all files:
  blender -b --factory-startup --python-exit-code 1 --python blender_check.py -- EXPECTATIONS.json

EXPECTATIONS.json:
  {"references": {"Duck": "/path/Duck.glb", ...},          # source samples, imported with Blender's
                                                           # own glTF importer as the reference
   "cases": [{"file": "out/unreal/Duck.fbx", "reference": "Duck",
              "objects": 1, "faces": 4212, "vertices": 2108,  # mesh objects and their totals
              "size": [x, y, z],                           # world bounding box, Blender units (m)
              "frame": "blender" | "raw",                  # raw: format has no axis convention,
                                                           # Blender shows Kiln's +Y-up data as is
              "materials": 1, "images": 1,                 # material slots, image textures with pixels
              "vertex_colors": false, "uvs": true,
              "normals": true}, ...]}                      # the file's own normals reach Blender

Besides the explicit numbers, every case is compared with the reference import of its sample:
world bounding box (placement and orientation, not only size), UV range and mean (flipped V), mean
corner normal (custom normals from the file, rotated with it) and mean vertex colour per corner
(catches sRGB/linear mix-ups). Prints one line per file and exits 1
if any check failed.
"""

import json
import math
import os
import sys

import numpy

# Debian's numpy 1.24 dropped the numpy.bool alias that Blender 3.4's glTF importer still uses.
if not hasattr(numpy, "bool"):
    numpy.bool = bool

import bpy  # noqa: E402
from mathutils import Vector  # noqa: E402


def reset():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    # read_factory_settings resets the add-ons too; the importers used below ship enabled.


def import_file(path):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".fbx":
        result = bpy.ops.import_scene.fbx(filepath=path)
    elif ext in (".glb", ".gltf"):
        result = bpy.ops.import_scene.gltf(filepath=path)
    elif ext == ".obj":
        result = bpy.ops.wm.obj_import(filepath=path)
    elif ext == ".ply":
        result = bpy.ops.import_mesh.ply(filepath=path)
    elif ext == ".stl":
        result = bpy.ops.import_mesh.stl(filepath=path)
    else:
        raise ValueError("no importer for " + path)
    if "FINISHED" not in result:
        raise RuntimeError("import of %s returned %s" % (path, result))


def measure():
    """What the scene holds: mesh objects, totals, world bounds, materials, images, UVs, colours."""
    meshes = [o for o in bpy.context.scene.objects if o.type == "MESH"]
    info = {"objects": len(meshes), "faces": 0, "vertices": 0, "materials": set(), "images": set(),
            "uv_min": None, "uv_max": None, "uv_sum": numpy.zeros(2), "uv_count": 0, "color_sum": [0.0] * 4, "color_count": 0, "has_colors": False,
            "has_uvs": False, "custom_normals": True, "normal_sum": numpy.zeros(3), "normal_abs_sum": numpy.zeros(3),
            "normal_count": 0}
    lo = [math.inf] * 3
    hi = [-math.inf] * 3
    for o in meshes:
        me = o.data
        info["faces"] += len(me.polygons)
        info["vertices"] += len(me.vertices)
        mw = o.matrix_world
        for v in me.vertices:
            p = mw @ v.co
            for k in range(3):
                lo[k] = min(lo[k], p[k])
                hi[k] = max(hi[k], p[k])
        for slot in o.material_slots:
            if slot.material:
                info["materials"].add(slot.material.name)
                if slot.material.node_tree:
                    for node in slot.material.node_tree.nodes:
                        if node.type == "TEX_IMAGE" and node.image and node.image.size[0] > 0 and node.image.size[1] > 0:
                            info["images"].add(node.image.name)
        # Corner normals in world space, as shading sees them (custom normals where the file had them).
        info["custom_normals"] = info["custom_normals"] and me.has_custom_normals
        me.calc_normals_split()
        normals = numpy.empty(len(me.loops) * 3, dtype=numpy.float32)
        me.loops.foreach_get("normal", normals)
        rotation = numpy.array(o.matrix_world.to_3x3().normalized())
        world = normals.reshape(-1, 3) @ rotation.T
        info["normal_sum"] = info["normal_sum"] + world.sum(axis=0, dtype=numpy.float64)
        info["normal_abs_sum"] = info["normal_abs_sum"] + numpy.abs(world).sum(axis=0, dtype=numpy.float64)
        info["normal_count"] += len(world)
        if me.uv_layers:
            info["has_uvs"] = True
            uv = numpy.empty(len(me.loops) * 2, dtype=numpy.float32)
            me.uv_layers[0].data.foreach_get("uv", uv)
            uv = uv.reshape(-1, 2)
            if len(uv):
                info["uv_sum"] = info["uv_sum"] + uv.sum(axis=0, dtype=numpy.float64)
                info["uv_count"] += len(uv)
                mn, mx = uv.min(axis=0), uv.max(axis=0)
                info["uv_min"] = mn if info["uv_min"] is None else numpy.minimum(info["uv_min"], mn)
                info["uv_max"] = mx if info["uv_max"] is None else numpy.maximum(info["uv_max"], mx)
        if me.color_attributes:
            info["has_colors"] = True
            attr = me.color_attributes[0]
            values = numpy.empty(len(attr.data) * 4, dtype=numpy.float32)
            attr.data.foreach_get("color", values)  # linear, whatever the storage
            values = values.reshape(-1, 4)
            if attr.domain == "POINT":  # per corner, so formats with either domain compare
                corner_vertex = numpy.empty(len(me.loops), dtype=numpy.int32)
                me.loops.foreach_get("vertex_index", corner_vertex)
                values = values[corner_vertex]
            info["color_sum"] = [a + b for a, b in zip(info["color_sum"], values.sum(axis=0).tolist())]
            info["color_count"] += len(values)
    info["min"], info["max"] = lo, hi
    return info


def reference_in_frame(ref, frame):
    """Reference bounds in the frame the case is checked in. Blender's glTF importer maps glTF
    (x, y, z) to (x, -z, y); a raw file keeps Kiln's (x, y, z), i.e. Blender (X, Z, -Y)."""
    lo, hi = ref["min"], ref["max"]
    if frame == "raw":
        return [lo[0], lo[2], -hi[1]], [hi[0], hi[2], -lo[1]]
    return lo, hi


def check_case(case, ref, failures):
    name = case["file"]
    errors = []

    def expect(what, got, want):
        if got != want:
            errors.append("%s %s, expected %s" % (what, got, want))

    def near(what, got, want, tol):
        if any(abs(g - w) > tol for g, w in zip(got, want)):
            errors.append("%s %s, expected %s (tolerance %g)" % (what, [round(x, 4) for x in got], [round(x, 4) for x in want], tol))

    got = measure()
    expect("mesh objects", got["objects"], case["objects"])
    expect("faces", got["faces"], case["faces"])
    expect("vertices", got["vertices"], case["vertices"])
    expect("faces vs Blender's import of the source", got["faces"], ref["faces"])
    size = [h - l for l, h in zip(got["min"], got["max"])]
    scale = max(case["size"])
    near("size (Blender units)", size, case["size"], 1e-3 * scale)
    ref_lo, ref_hi = reference_in_frame(ref, case["frame"])
    near("bounds min vs source", got["min"], ref_lo, 1e-3 * scale)
    near("bounds max vs source", got["max"], ref_hi, 1e-3 * scale)
    expect("materials", len(got["materials"]), case["materials"])
    if case["materials"]:
        expect("materials vs source", len(got["materials"]), len(ref["materials"]))
    expect("image textures found", len(got["images"]), case["images"])
    expect("vertex colours", got["has_colors"], case["vertex_colors"])
    if case["vertex_colors"] and got["color_count"] and ref["color_count"]:
        channels = case.get("color_channels", 4)
        mean = [s / got["color_count"] for s in got["color_sum"]][:channels]
        ref_mean = [s / ref["color_count"] for s in ref["color_sum"]][:channels]
        near("mean linear vertex colour vs source", mean, ref_mean, 0.01)
    if case.get("normals"):  # the file's normals, per corner, not ones Blender recomputed
        expect("custom normals", got["custom_normals"], True)
        if got["normal_count"] == ref["normal_count"]:
            near("mean corner normal vs source", list(got["normal_sum"] / got["normal_count"]),
                 list(ref["normal_sum"] / ref["normal_count"]), 0.01)
            near("mean |corner normal| vs source", list(got["normal_abs_sum"] / got["normal_count"]),
                 list(ref["normal_abs_sum"] / ref["normal_count"]), 0.01)
        else:
            errors.append("corners %d, source %d" % (got["normal_count"], ref["normal_count"]))
    expect("UVs", got["has_uvs"], case["uvs"])
    if case["uvs"] and got["uv_min"] is not None and ref["uv_min"] is not None:
        near("UV min vs source", list(got["uv_min"]), list(ref["uv_min"]), 1e-3)
        near("UV max vs source", list(got["uv_max"]), list(ref["uv_max"]), 1e-3)
        if got["uv_count"] == ref["uv_count"]:  # same corners: the mean UV catches flips and shifts
            near("mean UV vs source", list(got["uv_sum"] / got["uv_count"]), list(ref["uv_sum"] / ref["uv_count"]), 1e-3)

    summary = "%d object(s), %d vertices, %d faces, size %s m, %d material(s), %d image(s)%s%s" % (
        got["objects"], got["vertices"], got["faces"], " x ".join("%.4g" % s for s in size),
        len(got["materials"]), len(got["images"]), ", colours" if got["has_colors"] else "", ", UVs" if got["has_uvs"] else "")
    if errors:
        failures.append(name)
        print("FAIL %s: %s" % (name, summary))
        for e in errors:
            print("     " + e)
    else:
        print("ok   %s: %s" % (name, summary))


def main():
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    if len(args) != 1:
        print("usage: blender -b --factory-startup --python-exit-code 1 --python blender_check.py -- EXPECTATIONS.json")
        sys.exit(2)
    with open(args[0]) as f:
        spec = json.load(f)

    refs = {}
    for key, path in spec["references"].items():
        reset()
        import_file(path)
        refs[key] = measure()

    failures = []
    for case in spec["cases"]:
        reset()
        try:
            import_file(case["file"])
        except Exception as e:  # an importer that throws is a failed case, not a crashed run
            failures.append(case["file"])
            print("FAIL %s: import failed: %s" % (case["file"], e))
            continue
        check_case(case, refs[case["reference"]], failures)

    print("%d files checked in Blender %s, %d failed" % (len(spec["cases"]), bpy.app.version_string, len(failures)))
    sys.exit(1 if failures else 0)


main()
