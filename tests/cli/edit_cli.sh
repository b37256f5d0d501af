#!/usr/bin/env bash
# kiln edit as an artist uses it: "make it blue" on real meshes in appearance mode keeps every
# buffer of the glTF byte for byte and turns the renders' hue blue (the glTF validator and Blender
# accept the files); a mesh without UVs gets vertex colours; a kept box keeps its triangles; a
# shape edit makes a new surface with the kept part copied; variants; bad input is one clear error
# with nothing written. Exit 77 (skipped) when the checkout has no bundled models.
source "$(dirname "$0")/lib.sh"
[ -d "$MODELS/text-to-3d" ] && [ -d "$MODELS/shape-autoencoder" ] || { echo "no bundled models: skipped"; exit 77; }
dir=$(fresh_dir edit_cli)
duck="$TESTDATA/gltf/Duck/Duck.glb"
truck="$TESTDATA/gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"
engine="$TESTDATA/gltf/2CylinderEngine/2CylinderEngine.glb"

# The mean colour of a GLB's first material's base-colour image (R G B, 0..255), by oiiotool.
base_colour() {
  python3 - "$1" "$dir/base.png" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<I", data, 12)[0]
doc = json.loads(data[20:20 + n])
rest = 20 + n
bin = data[rest + 8: rest + 8 + struct.unpack_from("<I", data, rest)[0]]
tex = doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"]["index"]
view = doc["bufferViews"][doc["images"][doc["textures"][tex]["source"]]["bufferView"]]
open(sys.argv[2], "wb").write(bin[view.get("byteOffset", 0): view.get("byteOffset", 0) + view["byteLength"]])
PY
  oiiotool "$dir/base.png" --printstats | sed -n 's/.*Stats Avg: *\([0-9.]*\) \([0-9.]*\) \([0-9.]*\).*/\1 \2 \3/p' | head -1
}
bluer() { awk -v c="$1" 'BEGIN { split(c, v, " "); exit !(v[3] > 1.5 * v[1]) }'; }

"$KILN" edit "$duck" "make it blue" -o "$dir/duck.glb" --strength 0.8 > "$dir/duck.txt" 2>&1 && grep -q "byte for byte" "$dir/duck.txt" \
  && ! grep -q "does not know" "$dir/duck.txt" && pass || { cat "$dir/duck.txt"; fail "edit Duck"; }
"$KILN" edit "$truck" "make it blue" -o "$dir/truck.glb" --strength 0.8 --resolution 512 > "$dir/truck.txt" 2>&1 && pass || { cat "$dir/truck.txt"; fail "edit CesiumMilkTruck"; }
python3 "$SCRIPTS/gltf_same_accessors.py" "$duck" "$dir/duck.glb" "$truck" "$dir/truck.glb" && pass || fail "accessors byte for byte"
before=$(base_colour "$duck") after=$(base_colour "$dir/duck.glb")
! bluer "$before" && bluer "$after" && pass || fail "the duck's base colour went blue: $before -> $after"

# "make the wheels red" names the truck's wheels material: only it changes; the truck's own
# material keeps its texture (not rewritten), and --whole repaints everything.
"$KILN" edit "$truck" "make the wheels red" -o "$dir/wheels.glb" --resolution 256 > "$dir/wheels.txt" 2>&1 \
  && grep -q "names 'wheels': only those change" "$dir/wheels.txt" && ! grep -q "does not know" "$dir/wheels.txt" \
  && python3 - "$truck" "$dir/wheels.glb" <<'PY' && pass || { cat "$dir/wheels.txt"; fail "the instruction's named part"; }
import json, struct, sys
src = json.load(open(sys.argv[1]))
data = open(sys.argv[2], "rb").read()
doc = json.loads(data[20:20 + struct.unpack_from("<I", data, 12)[0]])
name = lambda d, m: d["images"][d["textures"][m["pbrMetallicRoughness"]["baseColorTexture"]["index"]]["source"]].get("name", "")
changed = [m["name"] for m in doc["materials"] if "pbrMetallicRoughness" in m and "baseColorTexture" in m["pbrMetallicRoughness"] and name(doc, m).endswith("_basecolor")]
assert changed == ["wheels"], changed
PY

# A part the mesh has no name for: a chair from kiln generate is one unnamed mesh, so "make the
# legs red" is found by the part segmenter on its shape; the rest is kept.
if [ -d "$MODELS/part-segmenter" ]; then
  "$KILN" generate "a wooden chair" -o "$dir/chair.glb" --candidates 1 > "$dir/chair.txt" 2>&1 \
    && "$KILN" edit "$dir/chair.glb" "make the legs red" -o "$dir/legs.glb" --resolution 256 > "$dir/legs.txt" 2>&1 \
    && grep -q "the part segmenter (kiln-part-segmenter" "$dir/legs.txt" && grep -q "kept [1-9][0-9]* triangles" "$dir/legs.txt" \
    && pass || { cat "$dir/chair.txt" "$dir/legs.txt"; fail "unnamed part found by the part segmenter"; }
fi

# No UVs (the engine): the edit goes into vertex colours, and they are blue.
"$KILN" edit "$engine" "make it blue" -o "$dir/engine.glb" --strength 0.8 > "$dir/engine.txt" 2>&1 && grep -q "vertex colours" "$dir/engine.txt" \
  && pass || { cat "$dir/engine.txt"; fail "edit 2CylinderEngine (vertex colours)"; }

# A kept box: the duck's head (above y = 1.05 in its units) keeps its triangles and texels.
"$KILN" edit "$duck" "make it red" -o "$dir/head.glb" --strength 0.8 --keep-box -1,1.05,-1,2,2,1 > "$dir/head.txt" 2>&1 \
  && grep -q "kept [1-9][0-9]* triangles" "$dir/head.txt" && grep -q "texels as they were" "$dir/head.txt" \
  && pass || { cat "$dir/head.txt"; fail "--keep-box"; }

# A keep mask in UV space (white on the left half of the texture): those triangles are kept.
python3 -c "
import sys
w = h = 64
open(sys.argv[1], 'wb').write(b'P5 %d %d 255\\n' % (w, h) + bytes(255 if x < w // 2 else 0 for y in range(h) for x in range(w)))
" "$dir/mask.pgm"
"$KILN" edit "$duck" "make it red" -o "$dir/mask.glb" --strength 0.8 --keep-mask "$dir/mask.pgm" --resolution 256 > "$dir/mask.txt" 2>&1 \
  && grep -q "kept [1-9][0-9]* triangles" "$dir/mask.txt" && pass || { cat "$dir/mask.txt"; fail "--keep-mask"; }

# Variants: OUT and OUT_v2, different maps, both keeping the buffers.
"$KILN" edit "$duck" "make it green" -o "$dir/var.glb" --strength 0.8 --variants 2 --resolution 256 > "$dir/var.txt" 2>&1 \
  && [ -s "$dir/var.glb" ] && [ -s "$dir/var_v2.glb" ] && ! cmp -s "$dir/var.glb" "$dir/var_v2.glb" \
  && python3 "$SCRIPTS/gltf_same_accessors.py" "$duck" "$dir/var_v2.glb" > /dev/null && pass || { cat "$dir/var.txt"; fail "--variants 2"; }

# A shape edit of the duck, its head kept: a new surface, the head's triangles copied; the duck
# described as it is (--source), so the edit moves it by the texts' difference (FlowEdit).
"$KILN" edit "$duck" "a red rock" -o "$dir/shape.glb" --mode shape --source "a yellow plastic rock" --faces 8000 --keep-box -1,1.05,-1,2,2,1 > "$dir/shape.txt" 2>&1 \
  && grep -q "a new surface of" "$dir/shape.txt" && grep -q "by FlowEdit" "$dir/shape.txt" && grep -q "strength 0.80" "$dir/shape.txt" \
  && grep -q "kept [1-9][0-9]* triangles" "$dir/shape.txt" && pass || { cat "$dir/shape.txt"; fail "--mode shape"; }

node "$SCRIPTS/validate_gltf.mjs" "$dir/duck.glb" "$dir/truck.glb" "$dir/engine.glb" "$dir/head.glb" "$dir/shape.glb" > "$dir/validator.txt" 2>&1 \
  && pass || { cat "$dir/validator.txt"; fail "glTF validator"; }

blender_imports 0 "$dir/duck.glb" "$dir/engine.glb" "$dir/shape.glb"

# Bad input: one clear error each, nothing written.
expect_error "empty prompt" "$dir/x1.glb" "$KILN" edit "$duck" " " -o "$dir/x1.glb"
expect_error "--strength" "$dir/x2.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x2.glb" --strength 1.5
expect_error "--strength" "$dir/x3.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x3.glb" --strength -0.5
expect_error "keeps every triangle" "$dir/x4.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x4.glb" --keep-box -1000,-1000,-1000,1000,1000,1000
expect_error "keeps nothing" "$dir/x5.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x5.glb" --keep-box 5000,5000,5000,5001,5001,5001
expect_error "--keep-box" "$dir/x6.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x6.glb" --keep-box 1,2,3
expect_error "Gaussian splats" "$dir/x7.glb" "$KILN" edit "$TESTDATA/splats/$(ls "$TESTDATA/splats" | grep -m1 '\.ply$')" "make it blue" -o "$dir/x7.glb"
expect_error "no such file" "$dir/x0.glb" "$KILN" edit "$duck" "make it red" -o "$dir/x0.glb" --keep-mask "$dir/no-mask.png"
expect_error "appearance mode keeps the shape" "$dir/x11.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x11.glb" --source "a yellow rock"
expect_error "--source" "$dir/x12.glb" "$KILN" edit "$duck" "a red rock" -o "$dir/x12.glb" --mode shape --source "xyzzy plugh"
expect_error "--mode" "$dir/x8.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x8.glb" --mode colour
expect_error "unknown option" "$dir/x9.glb" "$KILN" edit "$duck" "make it blue" -o "$dir/x9.glb" --colour blue
printf 'v 0 0 0\nv 1 0 0\nv 0 1 0\n' > "$dir/points.obj"
expect_error "no faces" "$dir/x10.glb" "$KILN" edit "$dir/points.obj" "make it blue" -o "$dir/x10.glb"
finish
