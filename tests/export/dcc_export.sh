#!/usr/bin/env bash
# DCC hand-off: every export preset x format x sample is written with `kiln convert --preset` and
# imported into Blender headless (one Blender process for all files, see blender_check.py), which
# checks object, vertex and face counts, world size and placement in Blender units, materials,
# image textures found, UVs and vertex colours against Blender's own import of the source.
# Exits 77 (CTest: skipped) only when Blender is not installed; scripts/kiln.sh installs it.
source "$(dirname "$0")/../cli/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
BLENDER="$(command -v "${BLENDER:-blender}" || true)"
if [ -z "$BLENDER" ]; then
  echo "SKIP: blender not installed (apt-get install blender python3-numpy)"
  exit 77
fi
dir=$(fresh_dir dcc_export)

# Two assets of Kiln's own procedural library (textured atlas, one material per part), made by
# the procedural plug-in from prompts.
"$KILN" procedural "a chair with a dark wooden seat and black metal legs" -o "$dir/LibChair.glb" --seed 3 --texture-size 512 --force >/dev/null \
  && pass || fail "procedural chair"
"$KILN" procedural "a blue ceramic teapot" -o "$dir/LibTeapot.glb" --seed 5 --texture-size 512 --force >/dev/null && pass || fail "procedural teapot"
declare -A SAMPLES=(
  [Duck]="$TESTDATA/gltf/Duck/Duck.glb"
  [CesiumMilkTruck]="$TESTDATA/gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"
  [BoxVertexColors]="$TESTDATA/gltf/BoxVertexColors/BoxVertexColors.glb"
  [LibChair]="$dir/LibChair.glb"
  [LibTeapot]="$dir/LibTeapot.glb"
)
# The formats each preset writes (README "Export presets"); variants add options to a preset.
PRESET_FORMATS=(
  "blender:glb gltf fbx"
  "unreal:fbx glb"
  "unity:fbx glb"
  "maya:fbx"
  "generic:glb gltf obj ply stl"
)
VARIANTS=(
  "blender-beside:blender:fbx:--fbx-textures beside"
  "unreal-7500:unreal:fbx:--fbx-version 7500"
)

cases="$dir/cases.tsv"
: >"$cases"
export_one() {  # label preset ext sample [options...]
  local label=$1 preset=$2 ext=$3 sample=$4; shift 4
  local src=${SAMPLES[$sample]} out="$dir/$label/$sample.$ext"
  mkdir -p "$dir/$label"
  if "$KILN" convert "$src" "$out" --preset "$preset" "$@" >"$out.log" 2>"$out.err"; then
    printf '%s\t%s\t%s\t%s\n' "$out" "$sample" "$src" "$out.log" >>"$cases"
    pass
  else
    fail "kiln convert $sample --preset $preset to .$ext: $(cat "$out.err")"
  fi
}
for entry in "${PRESET_FORMATS[@]}"; do
  preset=${entry%%:*}
  for ext in ${entry#*:}; do
    for sample in Duck CesiumMilkTruck BoxVertexColors LibChair LibTeapot; do export_one "$preset" "$preset" "$ext" "$sample"; done
  done
done
for v in "${VARIANTS[@]}"; do
  IFS=: read -r label preset ext opts <<<"$v"
  # shellcheck disable=SC2086
  for sample in Duck CesiumMilkTruck BoxVertexColors; do export_one "$label" "$preset" "$ext" "$sample" $opts; done
done

# Textures beside the FBX are real files, referenced by relative name.
for sample in Duck CesiumMilkTruck; do
  f="$dir/blender-beside/$sample.fbx"
  tex=$(ls "$dir/blender-beside/${sample}_"*.png 2>/dev/null | head -1)
  [ -n "$tex" ] && grep -qaF "$(basename "$tex")" "$f" && ! grep -qaF "$dir" "$f" && pass || fail "$sample.fbx: texture not beside the file by relative name"
done

python3 "$here/make_expectations.py" "$KILN" "$cases" "$dir/expectations.json" || fail "expectations"
if "$BLENDER" -b --factory-startup --python-exit-code 1 --python "$here/blender_check.py" -- "$dir/expectations.json" \
    >"$dir/blender.log" 2>&1; then
  pass
else
  fail "Blender checks (log: $dir/blender.log)"
fi
grep -E '^(ok|FAIL|     |[0-9]+ files)' "$dir/blender.log"
finish
