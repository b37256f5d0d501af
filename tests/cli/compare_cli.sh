#!/usr/bin/env bash
# `kiln compare`: a mesh against itself is ~0 apart; non-meshes and missing files are clean errors.
source "$(dirname "$0")/lib.sh"
DUCK="$TESTDATA/gltf/Duck/Duck.glb"
out=$("$KILN" compare "$DUCK" "$DUCK" --samples 20000) && pass || fail "compare Duck Duck exited $?"
echo "$out" | grep -q "chamfer distance:" && pass || fail "no chamfer line: $out"
rel=$(echo "$out" | sed -n 's/^chamfer distance: [0-9.]*  (\([0-9.]*\) %.*/\1/p')
python3 -c "import sys; sys.exit(0 if float('$rel') < 0.5 else 1)" && pass || fail "Duck vs itself: $rel % of the diagonal"
[ "$(echo "$out" | grep -c "watertight")" = "2" ] && pass || fail "watertightness of both meshes"
"$KILN" compare "$DUCK" "$TESTDATA/splats/biker.spz" 2>/dev/null; [ $? = 1 ] && pass || fail "splat input not a clean error"
err=$("$KILN" compare "$DUCK" /nonexistent.glb 2>&1); [ $? = 1 ] && echo "$err" | grep -q "nonexistent.glb" && pass || fail "missing file: $err"
"$KILN" compare "$DUCK" 2>/dev/null; [ $? = 1 ] && pass || fail "one argument accepted"
finish
