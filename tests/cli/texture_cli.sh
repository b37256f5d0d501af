#!/usr/bin/env bash
# kiln texture as an artist uses it: new textures painted into a mesh's own UV layout. Asserted:
# the input glTF's accessors keep their bytes, the named colour lands in the texture, the GLBs pass
# the Khronos validator and open in Blender with the new images, every DCC preset's FBX keeps the
# new base colour, and bad input is one clear error with nothing written. Exit 77 (skipped) when the checkout has no bundled models.
source "$(dirname "$0")/lib.sh"
[ -d "$MODELS/text-to-3d" ] && [ -d "$MODELS/shape-autoencoder" ] || { echo "no bundled models: skipped"; exit 77; }
dir=$(fresh_dir texture_cli)
duck="$TESTDATA/gltf/Duck/Duck.glb"
truck="$TESTDATA/gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"
multi="$TESTDATA/gltf/MultiUVTest/glTF/MultiUVTest.gltf"

"$KILN" texture "$duck" "a blue plastic duck" -o "$dir/duck.glb" --resolution 512 > "$dir/duck.txt" 2>&1 && grep -q "byte for byte" "$dir/duck.txt" \
  && pass || { cat "$dir/duck.txt"; fail "texture Duck"; }
"$KILN" texture "$truck" "a red painted metal truck" -o "$dir/truck.glb" --resolution 512 > "$dir/truck.txt" 2>&1 && pass || { cat "$dir/truck.txt"; fail "texture CesiumMilkTruck"; }
# Variants: seeds 3 and 4, written as OUT and OUT_v2, both keeping the input's buffers, different maps.
"$KILN" texture "$duck" "a red painted duck" -o "$dir/var.glb" --resolution 256 --seed 3 --variants 2 > "$dir/var.txt" 2>&1 \
  && [ -s "$dir/var.glb" ] && [ -s "$dir/var_v2.glb" ] && [ "$(grep -c 'byte for byte' "$dir/var.txt")" = 2 ] && ! cmp -s "$dir/var.glb" "$dir/var_v2.glb" \
  && pass || { cat "$dir/var.txt"; fail "--variants 2"; }
"$KILN" texture "$multi" "a green plastic box" -o "$dir/multiuv.glb" --resolution 256 > "$dir/multi.txt" 2>&1 && pass || { cat "$dir/multi.txt"; fail "texture MultiUVTest"; }

# Every accessor of the input reads the same bytes in the output; the base colour is the prompt's.
python3 "$SCRIPTS/gltf_same_accessors.py" "$duck" "$dir/duck.glb" "$truck" "$dir/truck.glb" "$multi" "$dir/multiuv.glb" "$duck" "$dir/var_v2.glb" && pass || fail "accessors byte for byte"

# A UDIM layout (an OBJ cube with faces in tiles 1001, 1002 and 1011): one material and one map
# set per tile (leather: with a normal map), the UVs kept as they were (beyond 1: the glTF sampler repeats, so every viewer
# draws each tile's map); a triangle across a tile border is refused (below).
python3 - "$dir" <<'PY' || fail "write the UDIM cubes"
import sys
faces = [((0,0,1),(1,0,0),(0,1,0)), ((0,0,-1),(-1,0,0),(0,1,0)), ((1,0,0),(0,0,-1),(0,1,0)),
         ((-1,0,0),(0,0,1),(0,1,0)), ((0,1,0),(1,0,0),(0,0,-1)), ((0,-1,0),(1,0,0),(0,0,1))]
for name, across in (("udim", False), ("across", True)):
    v, vt, f = [], [], []
    for i, (n, a, b) in enumerate(faces):
        tile = (0, 0) if i < 3 else (1, 0) if i < 5 else (0, 1)  # (u, v up): 1001, 1002, 1011
        for s, t in ((0, 0), (1, 0), (1, 1), (0, 1)):
            v.append([0.5 * n[k] + (s - 0.5) * a[k] + (t - 0.5) * b[k] for k in range(3)])
            vt.append((tile[0] + 0.05 + 0.3 * (i % 3) + 0.28 * s + (0.8 if across and i == 0 else 0), tile[1] + 0.1 + 0.8 * t))
        f.append([4 * i + 1 + k for k in range(4)])
    with open(f"{sys.argv[1]}/{name}.obj", "w") as o:
        o.write(f"mtllib {name}.mtl\nusemtl paint\n")
        o.writelines("v %f %f %f\n" % tuple(p) for p in v)
        o.writelines("vt %f %f\n" % t for t in vt)
        o.writelines("f " + " ".join(f"{k}/{k}" for k in q) + "\n" for q in f)
    open(f"{sys.argv[1]}/{name}.mtl", "w").write("newmtl paint\nKd 0.8 0.8 0.8\n")
PY
"$KILN" texture "$dir/udim.obj" "a brown leather chest" -o "$dir/udim.glb" --resolution 256 > "$dir/udim.txt" 2>&1 \
  && grep -q "UDIM tiles 1001, 1002, 1011" "$dir/udim.txt" && pass || { cat "$dir/udim.txt"; fail "texture a UDIM layout"; }
python3 - "$dir/udim.glb" <<'PY' && pass || fail "UDIM: a material and maps per tile, UVs kept"
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<I", data, 12)[0]
doc = json.loads(data[20:20 + n])
mats = doc["materials"]
assert sorted(m["name"] for m in mats) == ["paint", "paint.1002", "paint.1011"], [m.get("name") for m in mats]
images = {mat["pbrMetallicRoughness"]["baseColorTexture"]["index"] for mat in mats}
assert len(images) == 3, images
# Leather has relief: each tile also gets a normal map.
assert len({mat["normalTexture"]["index"] for mat in mats}) == 3, mats
prims = [p for m in doc["meshes"] for p in m["primitives"]]
uv = doc["accessors"][prims[0]["attributes"]["TEXCOORD_0"]]
assert all(s.get("wrapS", 10497) == 10497 for s in doc.get("samplers", [])), doc.get("samplers")
assert max(a["max"][0] for a in [doc["accessors"][p["attributes"]["TEXCOORD_0"]] for p in prims]) > 1.0, "UVs moved into the unit square"
print("UDIM:", len(mats), "materials,", len(images), "base colour maps")
PY

# 0 errors, and no object left unused by the replaced textures.
node "$SCRIPTS/validate_gltf.mjs" "$dir/duck.glb" "$dir/truck.glb" "$dir/multiuv.glb" "$dir/udim.glb" > "$dir/validator.txt" 2>&1 && ! grep -q UNUSED_OBJECT "$dir/validator.txt" \
  && pass || { cat "$dir/validator.txt"; fail "glTF validator"; }

# Blender opens them with the new texture; the duck's base colour is blue.
BLENDER="$(command -v "${BLENDER:-blender}" || true)"
if [ -n "$BLENDER" ]; then
  cat > "$dir/check.py" <<'PY'
import sys, numpy
numpy.bool = bool
import bpy
files = sys.argv[sys.argv.index("--") + 1:]
for f in files:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=f)
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    assert meshes, f
    images = [i for i in bpy.data.images if i.size[0] > 0]
    assert images, f
    if f.endswith("duck.glb"):
        mat = meshes[0].active_material
        tex = [n for n in mat.node_tree.nodes if n.type == "TEX_IMAGE" and n.outputs["Color"].is_linked
               and any(l.to_socket.name == "Base Color" for l in n.outputs["Color"].links)]
        assert tex, "no base colour texture"
        px = numpy.array(tex[0].image.pixels[:]).reshape(-1, 4)
        r, g, b = px[:, 0].mean(), px[:, 1].mean(), px[:, 2].mean()
        print(f, "mean base colour", r, g, b)
        assert b > 1.5 * r, (r, g, b)
    if f.endswith("udim.glb"):
        mats = {m.name for o in meshes for m in o.data.materials}
        assert len(mats) == 3 and len(images) >= 3, (mats, len(images))
    print(f, ":", len(meshes), "mesh objects,", len(images), "images")
PY
  "$BLENDER" -b --factory-startup --python-exit-code 1 --python "$dir/check.py" -- "$dir/duck.glb" "$dir/truck.glb" "$dir/multiuv.glb" "$dir/udim.glb" \
    > "$dir/blender.txt" 2>&1 && pass || { tail -20 "$dir/blender.txt"; fail "Blender import"; }
else
  echo "blender not installed: Blender check skipped"
fi

# The new maps survive every DCC preset's FBX (base colour embedded; Assimp reads it back).
for preset in blender unreal unity maya; do
  "$KILN" convert "$dir/duck.glb" "$dir/duck_$preset.fbx" --preset "$preset" > "$dir/convert_$preset.txt" 2>&1 \
    && "$KILN" info "$dir/duck_$preset.fbx" | grep -q "basecolor.png 512x512" && pass || { cat "$dir/convert_$preset.txt"; fail "FBX ($preset) keeps the new base colour"; }
done
if [ -n "$BLENDER" ]; then
  cat > "$dir/check_fbx.py" <<'PY'
import sys
import bpy
f = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.fbx(filepath=f)
images = [i for i in bpy.data.images if i.size[0] == 512]
assert images, [i.name for i in bpy.data.images]
px = images[0].pixels[:]
r = sum(px[0::4]) / (len(px) / 4)
b = sum(px[2::4]) / (len(px) / 4)
print(f, "mean red", r, "blue", b)
assert b > 1.5 * r, (r, b)
PY
  "$BLENDER" -b --factory-startup --python-exit-code 1 --python "$dir/check_fbx.py" -- "$dir/duck_blender.fbx" > "$dir/blender_fbx.txt" 2>&1 \
    && pass || { tail -20 "$dir/blender_fbx.txt"; fail "Blender imports the textured FBX"; }
fi

# Bad input: one clear error each, nothing written.
"$KILN" convert "$duck" "$dir/duck.stl" >/dev/null || fail "convert to STL"
expect_error "crosses the border of UDIM tile" "$dir/x0.glb" "$KILN" texture "$dir/across.obj" "a red chest" -o "$dir/x0.glb"
expect_error "--unwrap" "$dir/x1.glb" "$KILN" texture "$dir/duck.stl" "a red duck" -o "$dir/x1.glb"
expect_error "power of two" "$dir/x2.glb" "$KILN" texture "$duck" "a red duck" -o "$dir/x2.glb" --resolution 1000
expect_error "empty prompt" "$dir/x3.glb" "$KILN" texture "$duck" " " -o "$dir/x3.glb"
expect_error "no word the model knows" "$dir/x4.glb" "$KILN" texture "$duck" "the zxqv" -o "$dir/x4.glb"
expect_error "splats" "$dir/x5.glb" "$KILN" texture "$TESTDATA/splats/$(ls "$TESTDATA/splats" | grep -m1 '\.ply$')" "a red thing" -o "$dir/x5.glb"
expect_error "unknown option" "$dir/x6.glb" "$KILN" texture "$duck" "a red duck" -o "$dir/x6.glb" --colour red
expect_error "no such file" "$dir/x7.glb" "$KILN" texture "$duck" "a red duck" -o "$dir/x7.glb" --photo "$dir/no-such-photo.png"
expect_error "YAW,PITCH" "$dir/x8.glb" "$KILN" texture "$duck" "a red duck" -o "$dir/x8.glb" --photo "$TESTDATA/mv/lego_train/train/$(ls "$TESTDATA/mv/lego_train/train" | grep -m1 '\.png$')" --photo-view front
# A mesh without UVs is laid out when asked.
"$KILN" texture "$dir/duck.stl" "a red duck" -o "$dir/unwrapped.glb" --unwrap --resolution 256 > "$dir/unwrap.txt" 2>&1 \
  && grep -q "laid out new ones" "$dir/unwrap.txt" && pass || { cat "$dir/unwrap.txt"; fail "--unwrap"; }
finish
