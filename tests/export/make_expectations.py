"""Writes the expectations JSON blender_check.py reads, from what the source samples hold.

usage: make_expectations.py KILN CASES.tsv OUT.json
CASES.tsv: one exported file per line: file <TAB> sample name <TAB> source path <TAB> convert log

Per format, what Blender 3.4's importers make of a file (the rules the checks encode):
  vertices   glTF and PLY keep Kiln's vertices; FBX control points, OBJ positions (Assimp's
             writer) and STL (Blender merges) are welded by position, as `kiln convert` reports
  frame      glTF, FBX (axis metadata) and OBJ (+Y up by convention) land in Blender's +Z-up
             frame; PLY and STL carry no convention, so Blender shows Kiln's +Y-up data as is
  normals    the file's own (custom normals) for glTF, FBX and OBJ
  materials  none in PLY and STL
  images     every texture of the source, where the format has materials; FBX and OBJ materials
             (Phong) have no metallic-roughness or occlusion slot, so maps used only there stay behind
  colours    all but STL (OBJ: RGB only); UVs all but STL, and glTF keeps only UV sets a
             texture samples
"""

import json
import re
import subprocess
import sys


def main():
    kiln, cases_path, out_path = sys.argv[1:4]
    info_cache = {}
    cases = []
    references = {}
    with open(cases_path) as f:
        for line in f:
            if not line.strip():
                continue
            path, sample, source, log = line.rstrip("\n").split("\t")
            references[sample] = source
            if source not in info_cache:
                info_cache[source] = json.loads(subprocess.check_output([kiln, "info", source, "--json"]))
            info = info_cache[source]
            with open(log) as lf:
                report = lf.read()
            m = re.search(r"vertices (\d+) \((\d+) welded by position\)", report)
            if not m:
                raise SystemExit("%s: no export check in %s" % (path, log))
            welded = int(m.group(2))
            ext = path.rsplit(".", 1)[1].lower()
            attrs = info["attributes"]
            has_materials = ext not in ("ply", "stl")
            textures = len(info["textures"])
            classic = {"baseColor", "normal", "emissive"}
            carried = textures if ext in ("glb", "gltf") else sum(1 for t in info["textures"] if classic & set(t.get("uses", [])) or not t.get("uses"))
            sx, sy, sz = info["bounds"]["size"]
            raw = ext in ("ply", "stl")
            cases.append({
                "file": path,
                "reference": sample,
                "objects": 1,
                "faces": info["triangles"],
                "vertices": info["vertices"] if ext in ("glb", "gltf", "ply") else welded,
                "size": [sx, sy, sz] if raw else [sx, sz, sy],
                "frame": "raw" if raw else "blender",
                "materials": len(info["materials"]) if has_materials else 0,
                "images": carried if has_materials else 0,
                # Blender keeps the file's normals as custom normals for glTF, FBX and OBJ; its
                # PLY and STL importers compute their own
                "normals": bool(attrs["normals"]) and ext not in ("ply", "stl"),
                "vertex_colors": bool(attrs["colors"]) and ext != "stl",
                # OBJ colours are RGB per position ("v x y z r g b"): no alpha, one colour where
                # glTF corners meet
                "color_channels": 3 if ext == "obj" else 4,
                "uvs": bool(attrs["uv0"]) and ext != "stl" and not (ext in ("glb", "gltf") and textures == 0),
            })
    with open(out_path, "w") as f:
        json.dump({"references": references, "cases": cases}, f, indent=1)


main()
