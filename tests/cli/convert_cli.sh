#!/usr/bin/env bash
# `kiln convert`: formats, --force, --up, --scale, and bad options.
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir convert)
duck="$TESTDATA/gltf/Duck/Duck.glb"

for ext in glb gltf obj ply stl; do
  if "$KILN" convert "$duck" "$dir/duck.$ext" >/dev/null 2>&1 && [ -s "$dir/duck.$ext" ]; then pass; else fail "convert to .$ext"; fi
done
[ -f "$dir/duck.mtl" ] && pass || fail "OBJ without .mtl"
grep -q '^map_Kd .*\.png' "$dir/duck.mtl" && ! grep -q '\*0' "$dir/duck.mtl" && pass || fail "MTL texture reference: $(grep map_ "$dir/duck.mtl")"
tex=$(awk '/^map_Kd/{print $2}' "$dir/duck.mtl")
[ -f "$dir/$tex" ] && pass || fail "texture file $tex missing beside OBJ"

# Existing output is refused without --force and left untouched.
echo precious > "$dir/keep.glb"
if "$KILN" convert "$duck" "$dir/keep.glb" 2>/dev/null; then fail "overwrote without --force"; else pass; fi
[ "$(cat "$dir/keep.glb")" = precious ] && pass || fail "existing file changed"
"$KILN" convert "$duck" "$dir/keep.glb" --force >/dev/null && [ "$(head -c 4 "$dir/keep.glb")" = glTF ] && pass || fail "--force did not overwrite"

# --scale and --up change the bounds as expected.
size() { "$KILN" info "$1" --json | python3 -c 'import json,sys; print(" ".join("%.4f" % v for v in json.load(sys.stdin)["bounds"]["size"]))'; }
read -r sx sy sz <<<"$(size "$duck")"
"$KILN" convert "$duck" "$dir/big.glb" --scale 100 >/dev/null
read -r bx by bz <<<"$(size "$dir/big.glb")"
python3 -c "import sys; sys.exit(0 if abs($bx-100*$sx)<1e-2*$bx and abs($by-100*$sy)<1e-2*$by else 1)" && pass || fail "--scale 100: $sx $sy -> $bx $by"
"$KILN" convert "$duck" "$dir/zup.glb" --up z >/dev/null
read -r zx zy zz <<<"$(size "$dir/zup.glb")"
python3 -c "import sys; sys.exit(0 if abs($zz-$sy)<1e-3 and abs($zy-$sz)<1e-3 else 1)" && pass || fail "--up z: $sx $sy $sz -> $zx $zy $zz"

# Splats: PLY -> SPZ -> PLY keeps the count.
"$KILN" convert "$TESTDATA/splats/biker_inria_sub20.ply" "$dir/b.spz" >/dev/null && "$KILN" convert "$dir/b.spz" "$dir/b.ply" >/dev/null && pass || fail "splat convert"
n=$("$KILN" info "$dir/b.ply" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["splats"])')
[ "$n" = 7638 ] && pass || fail "splat count after PLY->SPZ->PLY: $n"
"$KILN" convert "$dir/b.spz" "$dir/b_z.spz" --up z >/dev/null && pass || fail "splat --up z"

# Bad options: clear error, non-zero exit, nothing written.
for args in "--scale -1" "--scale abc" "--up x" "--bogus"; do
  # shellcheck disable=SC2086
  if "$KILN" convert "$duck" "$dir/bad.glb" $args 2>/dev/null; then fail "accepted $args"; else pass; fi
  [ -e "$dir/bad.glb" ] && fail "$args left a file" || pass
done
# A splat cloud to a mesh format explains the conversion it needs.
err=$("$KILN" convert "$TESTDATA/splats/biker.spz" "$dir/biker.obj" 2>&1) && fail "splats to OBJ accepted" || { grep -q "mesh" <<<"$err" && pass || fail "unclear: $err"; }
# kiln render --splat-sort: both depth sorts render; anything else is a clear error and no file.
for sort in cpu gpu; do
  "$KILN" render "$TESTDATA/splats/biker_inria_sub20.ply" --splat-sort $sort --size 96x64 -o "$dir/sort_$sort.png" > /dev/null 2>&1 && [ -s "$dir/sort_$sort.png" ] \
    && pass || fail "render --splat-sort $sort"
done
err=$("$KILN" render "$TESTDATA/splats/biker_inria_sub20.ply" --splat-sort fast -o "$dir/sort_bad.png" 2>&1) && fail "--splat-sort fast accepted" ||
  { grep -q -- '--splat-sort "fast" is not auto, cpu or gpu' <<<"$err" && [ ! -e "$dir/sort_bad.png" ] && pass || fail "unclear: $err"; }
ls -A "$dir" | grep -q '^\.kiln-tmp' && fail "temporary folders left behind" || pass
finish
