#!/usr/bin/env bash
# `kiln convert --preset`: the export check it prints, warnings on stderr, clear errors, and
# every FBX it writes re-imported by Assimp's own command-line tool (assimp info), every GLB
# through the Khronos validator with no unused objects.
source "$(dirname "$0")/../cli/lib.sh"
dir=$(fresh_dir presets_cli)
duck="$TESTDATA/gltf/Duck/Duck.glb"
truck="$TESTDATA/gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf"
box="$TESTDATA/gltf/BoxVertexColors/BoxVertexColors.glb"

# The report: frame, counts, size, topology, textures on stdout; nothing on stderr for a sane asset.
out=$("$KILN" convert "$duck" "$dir/duck_unreal.fbx" --preset unreal 2>"$dir/stderr.txt") && pass || fail "unreal FBX export"
grep -qF "export check (unreal preset, +Z up, front -Y, centimetres)" <<<"$out" && pass || fail "frame line: $out"
grep -qF "triangles 4212, vertices 2399 (2108 welded by position)" <<<"$out" && pass || fail "counts: $out"
grep -qF "size 1.655 x 1.54 x 1.153 m" <<<"$out" && pass || fail "size: $out"
grep -qF "non-manifold edges 0, open boundary edges 0 in 0 holes, degenerate triangles 0" <<<"$out" && pass || fail "topology: $out"
grep -qF "textures 1: texture0 512x512" <<<"$out" && pass || fail "textures: $out"
[ ! -s "$dir/stderr.txt" ] && pass || fail "unexpected stderr: $(cat "$dir/stderr.txt")"
# The file: binary FBX 7.4 header, version 7400.
[ "$(head -c 20 "$dir/duck_unreal.fbx")" = "Kaydara FBX Binary  " ] && pass || fail "FBX magic"
[ "$(od -An -tu4 -j23 -N4 "$dir/duck_unreal.fbx" | tr -d ' ')" = 7400 ] && pass || fail "FBX version"
"$KILN" convert "$duck" "$dir/duck_7500.fbx" --preset unreal --fbx-version 7500 >/dev/null && \
  [ "$(od -An -tu4 -j23 -N4 "$dir/duck_7500.fbx" | tr -d ' ')" = 7500 ] && pass || fail "--fbx-version 7500"

# No --preset: an .fbx gets the blender preset, and says so; the file is the one --preset blender
# writes (same file name: embedded textures are named after it).
mkdir -p "$dir/default" "$dir/blender"
out=$("$KILN" convert "$duck" "$dir/default/duck.fbx" 2>"$dir/stderr.txt") && pass || fail "FBX export without --preset: $(cat "$dir/stderr.txt")"
grep -qxF "note: no --preset given; .fbx uses the blender preset (+Z up, front -Y, metres)" <<<"$out" && pass || fail "no preset note: $out"
grep -qF "export check (blender preset, +Z up, front -Y, metres)" <<<"$out" && pass || fail "default FBX frame line: $out"
"$KILN" convert "$duck" "$dir/blender/duck.fbx" --preset blender >/dev/null && cmp -s "$dir/default/duck.fbx" "$dir/blender/duck.fbx" && pass ||
  fail "default FBX differs from --preset blender"
# ...while other formats keep generic, without a note.
out=$("$KILN" convert "$duck" "$dir/default/duck.glb") && ! grep -q "^note:" <<<"$out" && grep -qF "export check (generic preset" <<<"$out" && pass ||
  fail "default GLB: $out"

# An implausible size warns on stderr and still writes.
"$KILN" convert "$duck" "$dir/tiny.fbx" --preset unity --scale 0.001 >/dev/null 2>"$dir/stderr.txt" && [ -s "$dir/tiny.fbx" ] && pass || fail "scaled export"
grep -q "^kiln convert: warning: size .* is implausibly small for Unity" "$dir/stderr.txt" && pass || fail "no size warning: $(cat "$dir/stderr.txt")"

# Clear errors, non-zero exit, nothing written.
expect_error() {  # pattern args...
  local pattern=$1; shift
  local err
  if err=$("$KILN" convert "$@" 2>&1 >/dev/null); then fail "accepted: $*"; return; fi
  grep -qF -- "$pattern" <<<"$err" && pass || fail "'$*': error lacks '$pattern': $err"
}
expect_error "is written by --preset blender, unreal, unity, maya" "$duck" "$dir/e1.fbx" --preset generic
expect_error "valid: blender, unreal, unity, maya, generic" "$duck" "$dir/e2.glb" --preset houdini
expect_error "--up only applies to --preset generic" "$duck" "$dir/e3.fbx" --preset maya --up z
expect_error "preset 'maya' writes .fbx, not '.obj'" "$duck" "$dir/e4.obj" --preset maya
expect_error "--fbx-textures must be 'embed' or 'beside'" "$duck" "$dir/e5.fbx" --preset maya --fbx-textures url
expect_error "convert the cloud to a mesh" "$TESTDATA/splats/biker.spz" "$dir/e6.fbx" --preset unreal
expect_error "convert the cloud to a mesh" "$TESTDATA/splats/biker.spz" "$dir/e7.glb"
ls "$dir"/e* >/dev/null 2>&1 && fail "errors left files: $(ls "$dir"/e*)" || pass

# Assimp's own tool re-imports every FBX preset for every sample, with its faces, materials and
# embedded textures.
for preset in blender unreal unity maya; do
  for spec in "Duck:$duck:4212:1:1" "CesiumMilkTruck:$truck:3624:4:1" "BoxVertexColors:$box:12:1:0"; do
    IFS=: read -r name src faces materials textures <<<"$spec"
    f="$dir/${name}_$preset.fbx"
    "$KILN" convert "$src" "$f" --preset "$preset" >/dev/null || { fail "export $name $preset"; continue; }
    # -r: raw, without the post-processing that merges look-alike materials
    info=$(assimp info "$f" -r 2>&1) || { fail "assimp info $name $preset: $info"; continue; }
    grep -q "^Faces: *$faces$" <<<"$info" && grep -q "^Materials: *$materials$" <<<"$info" &&
      grep -q "^Textures (embed.): *$textures$" <<<"$info" && pass ||
      fail "assimp info $name $preset: $(grep -E '^(Faces|Materials|Textures)' <<<"$info" | tr '\n' ' ')"
  done
done

# GLBs of every preset that writes them: 0 errors and no unused objects.
if command -v node >/dev/null && [ -d "$SCRIPTS/node_modules/gltf-validator" ]; then
  glbs=()
  for preset in blender unreal unity generic; do
    for spec in "Duck:$duck" "CesiumMilkTruck:$truck" "BoxVertexColors:$box"; do
      IFS=: read -r name src <<<"$spec"
      "$KILN" convert "$src" "$dir/${name}_$preset.glb" --preset "$preset" >/dev/null && glbs+=("$dir/${name}_$preset.glb") || fail "glb $name $preset"
    done
  done
  "$KILN" convert "$truck" "$dir/truck_text.gltf" --preset blender >/dev/null && glbs+=("$dir/truck_text.gltf")
  node "$SCRIPTS/validate_gltf.mjs" --no-unused "${glbs[@]}" >"$dir/validator.log" && pass || fail "validator: $(cat "$dir/validator.log")"
  grep -c ": 0 errors, 0 warnings, 0 infos$" "$dir/validator.log" | grep -qx "${#glbs[@]}" && pass || fail "validator messages: $(cat "$dir/validator.log")"
fi
ls -A "$dir" | grep -q '^\.kiln-tmp' && fail "temporary folders left behind" || pass
finish
