#!/usr/bin/env bash
# Model packs, `kiln matte` and `kiln upscale` as a user types them: bad input ends in one clear
# error with nothing written; the fallbacks (GrabCut, bicubic) always work; the packs, when
# installed (scripts/kiln.sh test installs them), are used by default.
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir packs_cli)
lego="$TESTDATA/mv/lego_train/train/r_3.png"
photo="$TESTDATA/mv/bird_colmap/images/001.jpg"

# Unknown pack: names the known ones, downloads nothing.
err=$(KILN_PACKS_DIR="$dir/p" "$KILN" models install dall-e 2>&1); rc=$?
[ $rc = 1 ] && grep -q "dall-e" <<<"$err" && grep -q "isnet" <<<"$err" && [ ! -e "$dir/p" ] && pass || fail "unknown pack ($rc): $err"

# A truncated tarball: one error naming it, no folder, no staging left.
head -c 3000 "$TESTDATA/gltf/Duck/Duck.glb" | gzip -c | head -c 1000 > "$dir/bad.tgz"
err=$("$KILN" models install esrgan-slim --from "$dir/bad.tgz" --dir "$dir/p" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "bad.tgz" <<<"$err" && [ -z "$(ls -A "$dir/p")" ] && pass || fail "truncated tarball ($rc): $err; left: $(ls -A "$dir/p")"
[ "$(wc -l <<<"$err")" = 1 ] && pass || fail "truncated tarball: more than one line: $err"

KILN_PACKS_DIR="$dir/p" "$KILN" models packs | grep -q "esrgan-slim.*not installed" && pass || fail "packs lists esrgan-slim as not installed"

# matte: a file that is not an image stops the run before anything is written.
echo "not an image" > "$dir/notes.png"
err=$("$KILN" matte "$lego" "$dir/notes.png" -o "$dir/m1" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "notes.png" <<<"$err" && [ ! -e "$dir/m1" ] && pass || fail "matte of a non-image ($rc): $err"

# matte: the image's own alpha is used as is; GrabCut works without any pack.
"$KILN" matte "$lego" -o "$dir/m2" > "$dir/m2.log" 2>&1 && grep -q "(alpha" "$dir/m2.log" && [ -s "$dir/m2/r_3.png" ] && pass || fail "matte with alpha: $(cat "$dir/m2.log")"
"$KILN" matte "$photo" -o "$dir/m3" --method grabcut > "$dir/m3.log" 2>&1 && grep -q "grabcut" "$dir/m3.log" && [ -s "$dir/m3/001.png" ] && pass ||
  fail "matte by grabcut: $(cat "$dir/m3.log")"
# A blank image: no object, one clear error.
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"P6\n64 48\n255\n" + bytes([128]) * (64 * 48 * 3))' "$dir/blank.ppm"
err=$("$KILN" matte "$dir/blank.ppm" -o "$dir/m4" --method grabcut 2>&1); rc=$?
[ $rc = 1 ] && grep -q "blank.ppm" <<<"$err" && grep -q "no object" <<<"$err" && [ ! -e "$dir/m4/blank.png" ] && pass || fail "blank image ($rc): $err"
err=$("$KILN" matte "$photo" -o "$dir/m5" --method magic 2>&1); [ $? = 1 ] && grep -q "magic" <<<"$err" && pass || fail "bad method: $err"
# Kiln's own network (bundled): auto takes it for an image without alpha; a blank image has no object.
if "$KILN" models list 2>/dev/null | grep -q "kiln-matting"; then
  "$KILN" matte "$photo" -o "$dir/m7" > "$dir/m7.log" 2>&1 && grep -q "(kiln at 160 px" "$dir/m7.log" && grep -q "model: kiln-matting" "$dir/m7.log" &&
    [ -s "$dir/m7/001.png" ] && pass || fail "matte by Kiln's network: $(cat "$dir/m7.log")"
  err=$("$KILN" matte "$dir/blank.ppm" -o "$dir/m8" --method kiln 2>&1); rc=$?
  [ $rc = 1 ] && grep -q "blank.ppm: the matte finds no object (kiln" <<<"$err" && [ ! -e "$dir/m8/blank.png" ] && pass || fail "blank image, kiln ($rc): $err"
  err=$("$KILN" matte "$photo" -o "$dir/m9" --method kiln --resolution 100 2>&1); [ $? = 1 ] && grep -q "multiple of 32" <<<"$err" && [ ! -e "$dir/m9" ] && pass ||
    fail "kiln at 100 px: $err"
else
  echo "SKIP: no bundled matting model"
fi
err=$("$KILN" matte "$photo" -o "$dir/m5" --method isnet --model "$dir/nowhere" 2>&1); [ $? = 1 ] && grep -q "nowhere" <<<"$err" && pass || fail "missing model: $err"

# upscale: bicubic always; sizes checked; bad scale refused.
"$KILN" upscale "$TESTDATA/backgrounds/kodim05.jpg" -o "$dir/up3.png" --scale 3 --method bicubic > "$dir/up3.log" 2>&1 &&
  grep -q "2304 x 1536" "$dir/up3.log" && [ -s "$dir/up3.png" ] && pass || fail "bicubic x3: $(cat "$dir/up3.log")"
err=$("$KILN" upscale "$TESTDATA/backgrounds/kodim05.jpg" -o "$dir/up5.png" --scale 5 2>&1); [ $? = 1 ] && grep -q "scale" <<<"$err" && [ ! -e "$dir/up5.png" ] && pass || fail "scale 5: $err"
err=$("$KILN" upscale "$dir/notes.png" -o "$dir/upn.png" 2>&1); [ $? = 1 ] && grep -q "notes.png" <<<"$err" && [ ! -e "$dir/upn.png" ] && pass || fail "upscale non-image: $err"
err=$("$KILN" upscale "$TESTDATA/backgrounds/kodim05.jpg" -o "$dir/up3.png" --scale 2 --method bicubic 2>&1); [ $? = 1 ] && grep -q "exists" <<<"$err" && pass || fail "no --force: $err"

# views-to-3d --matte: 4 lego views flattened onto a photo (no alpha left) are matted before fitting.
mkdir -p "$dir/flat/train"
for i in 0 1 2 3; do
  oiiotool "$TESTDATA/mv/lego_train/train/r_$i.png" --resize 200x200 "$TESTDATA/backgrounds/kodim0$((i + 2)).jpg" --cut 200x200+200+100 \
    --ch R,G,B,A=1.0 --over --ch R,G,B -o "$dir/flat/train/r_$i.jpg" 2>/dev/null
done
python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
t["frames"] = t["frames"][:4]
json.dump(t, open(sys.argv[2], "w"))' "$TESTDATA/mv/lego_train/transforms_train.json" "$dir/flat/transforms.json"
if [ -s "$dir/flat/train/r_3.jpg" ]; then
  "$KILN" views-to-3d "$dir/flat" -o "$dir/flat.ply" --matte grabcut --iterations 20 --up z > "$dir/flat.log" 2>&1 &&
    grep -q "backgrounds removed from 4 views by GrabCut" "$dir/flat.log" && [ -s "$dir/flat.ply" ] && pass || fail "views-to-3d --matte grabcut: $(cat "$dir/flat.log")"
  # kiln render --camera-from: through input view 2's camera, at that view's size.
  "$KILN" render "$dir/flat.ply" --camera-from "$dir/flat:2" --up z -o "$dir/through2.png" > "$dir/through.log" 2>&1 &&
    python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(24); assert struct.unpack(">II", b[16:24]) == (200, 200)' "$dir/through2.png" &&
    grep -q "camera of view 2 (train/r_2.jpg, 200 x 200" "$dir/through.log" && pass || fail "render --camera-from: $(cat "$dir/through.log")"
  err=$("$KILN" render "$dir/flat.ply" --camera-from "$dir/flat:9" -o "$dir/through9.png" 2>&1); [ $? = 1 ] && grep -q "view 9 is out of range (the set has 4 views" <<<"$err" &&
    [ ! -e "$dir/through9.png" ] && pass || fail "camera index out of range: $err"
  err=$("$KILN" render "$dir/flat.ply" --camera-from "$dir/flat:1" --views 4 -o "$dir/through1.png" 2>&1); [ $? = 1 ] && grep -q "cannot be combined" <<<"$err" && pass ||
    fail "--camera-from with --views: $err"
  err=$("$KILN" views-to-3d "$dir/flat" -o "$dir/flat2.ply" --matte magic 2>&1); [ $? = 1 ] && grep -q -- "--matte" <<<"$err" && [ ! -e "$dir/flat2.ply" ] && pass ||
    fail "views-to-3d --matte magic: $err"
else
  fail "oiiotool could not flatten the lego views"
fi

# Licence ledger: a generated asset's GLB says what made it; kiln info shows it; an import does not.
if "$KILN" pipelines | grep -q "^procedural"; then
  "$KILN" procedural "a red wooden chair" -o "$dir/chair.glb" --seed 2 > /dev/null 2>&1
  info=$("$KILN" info "$dir/chair.glb")
  grep -q "made by Kiln" <<<"$info" && grep -q "prompt: *a red wooden chair" <<<"$info" && grep -q "seed: *2" <<<"$info" && pass || fail "info of a generated asset: $info"
  "$KILN" info "$dir/chair.glb" --json | python3 -c "import json,sys; p=json.load(sys.stdin)['provenance']; assert p['source'] == 'generate:procedural', p" && pass ||
    fail "info --json provenance"
fi
"$KILN" info "$TESTDATA/gltf/Duck/Duck.glb" | grep -q "made by Kiln" && fail "an import claims to be made by Kiln" || pass

# With the packs installed (the default folder), they are there to choose (auto takes Kiln's own
# matting network, bundled, before them).
if "$KILN" models packs | grep -q "isnet .*  installed"; then
  "$KILN" matte "$photo" -o "$dir/m6" --method isnet > "$dir/m6.log" 2>&1 && grep -q "isnet at 512 px" "$dir/m6.log" && grep -q "licence MIT" "$dir/m6.log" && pass ||
    fail "matte by the IS-Net pack: $(cat "$dir/m6.log")"
else
  echo "SKIP: isnet pack not installed"
fi
if "$KILN" models packs | grep -q "esrgan-slim .*  installed"; then
  "$KILN" upscale "$TESTDATA/gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.png" -o "$dir/truck2.png" --scale 2 > "$dir/t2.log" 2>&1 &&
    grep -q "esrgan-slim 1.0.0 x2" "$dir/t2.log" && pass || fail "upscale by the pack: $(cat "$dir/t2.log")"
  "$KILN" models verify "$("$KILN" models packs | sed -n 's/.*folder \(.*\))$/\1/p')/esrgan-slim" | grep -q "1 model folder(s) verified" && pass || fail "installed pack verifies"
else
  echo "SKIP: esrgan-slim pack not installed"
fi
finish
