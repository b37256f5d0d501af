# Shared helpers for the CLI tests (sourced).
set -u
FAILS=0
PASSES=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { PASSES=$((PASSES + 1)); }
finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
fresh_dir() { rm -rf "$OUT/$1"; mkdir -p "$OUT/$1"; echo "$OUT/$1"; }

# expect_error FRAGMENT OUTPUT COMMAND...: the command fails, its message holds FRAGMENT, and
# OUTPUT was not written. Uses the caller's $dir for its log.
expect_error() {
  local fragment=$1 out=$2
  shift 2
  if "$@" > "$dir/err.txt" 2>&1; then fail "expected an error: $*"; return; fi
  grep -q -- "$fragment" "$dir/err.txt" && [ ! -e "$out" ] && pass || { cat "$dir/err.txt"; fail "error should name '$fragment': $*"; }
}

# blender_imports MIN_IMAGES FILE...: Blender (when installed) imports each glTF with at least one
# mesh object and MIN_IMAGES images. Uses the caller's $dir.
blender_imports() {
  local images=$1
  shift
  local blender
  blender="$(command -v "${BLENDER:-blender}" || true)"
  [ -n "$blender" ] || return 0
  cat > "$dir/blender_imports.py" <<'PY'
import sys, numpy
numpy.bool = bool
import bpy
args = sys.argv[sys.argv.index("--") + 1:]
images = int(args[0])
for f in args[1:]:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=f)
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    assert meshes and len(bpy.data.images) >= images, f
    print(f, ":", len(meshes), "mesh objects,", len(bpy.data.images), "images")
PY
  "$blender" -b --factory-startup --python-exit-code 1 --python "$dir/blender_imports.py" -- "$images" "$@" \
    > "$dir/blender.txt" 2>&1 && pass || { tail -20 "$dir/blender.txt"; fail "Blender import"; }
}
