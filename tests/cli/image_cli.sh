#!/usr/bin/env bash
# kiln image-to-3d as an artist uses it: a render with its own alpha, and a photo-like composite
# over a real photograph (matted by Kiln), each to a watertight textured GLB the glTF validator and
# Blender accept; two photos of one object read jointly; variants by seed; a given mask; bad input
# is one clear error with nothing written. Exit 77 (skipped) when the checkout has no bundled
# image-to-3d model.
source "$(dirname "$0")/lib.sh"
[ -d "$MODELS/image-to-3d" ] && [ -d "$MODELS/shape-autoencoder" ] || { echo "no bundled image-to-3d model: skipped"; exit 77; }
dir=$(fresh_dir image_cli)
lego="$TESTDATA/mv/lego_train/train"

# A lego view with its alpha: the alpha is the matte.
"$KILN" image-to-3d "$lego/r_0.png" -o "$dir/lego.glb" --candidates 1 --texture-size 512 --shape-steps 6 > "$dir/lego.txt" 2>&1 \
  && grep -q "alpha matte" "$dir/lego.txt" && grep -q "(watertight)" "$dir/lego.txt" && grep -q "stages: matting" "$dir/lego.txt" \
  && grep -q "shape pulled towards the photo's silhouette" "$dir/lego.txt" \
  && pass || { cat "$dir/lego.txt"; fail "image-to-3d lego r_0 (alpha)"; }

# The same object over a Kodak photograph (no alpha): Kiln removes the background.
oiiotool "$lego/r_1.png" --resize 320x320 -o "$dir/view.png" && oiiotool "$TESTDATA/backgrounds/kodim20.jpg" --cut 320x320+100+50 -o "$dir/bg.png" \
  && oiiotool "$dir/view.png" "$dir/bg.png" --ch R,G,B,A=1.0 --over --ch R,G,B -o "$dir/photo.jpg" || fail "making the composite"
"$KILN" image-to-3d "$dir/photo.jpg" -o "$dir/photo.glb" --candidates 1 --texture-size 512 > "$dir/photo.txt" 2>&1 \
  && grep -Eq "$([ -d "$MODELS/matting" ] && echo "kiln matte" || echo "(grabcut|isnet) matte")" "$dir/photo.txt" && pass || { cat "$dir/photo.txt"; fail "image-to-3d of a composite"; }

# Two photos read jointly, two variants (OUT, OUT_v2), and splats.
"$KILN" image-to-3d "$lego/r_0.png" "$lego/r_5.png" -o "$dir/two.glb" --variants 2 --candidates 1 --texture-size 256 > "$dir/two.txt" 2>&1 \
  && [ -s "$dir/two.glb" ] && [ -s "$dir/two_v2.glb" ] && ! cmp -s "$dir/two.glb" "$dir/two_v2.glb" && pass || { cat "$dir/two.txt"; fail "two photos, two variants"; }
"$KILN" image-to-3d "$lego/r_0.png" -o "$dir/lego.ply" --candidates 1 > "$dir/ply.txt" 2>&1 && [ -s "$dir/lego.ply" ] && pass || { cat "$dir/ply.txt"; fail "splats out"; }

# A mask given on the command line (white = object) instead of matting.
oiiotool "$dir/view.png" --ch A -o "$dir/mask.png" && "$KILN" image-to-3d "$dir/photo.jpg" --mask "$dir/mask.png" -o "$dir/masked.glb" --candidates 1 \
  --texture-size 256 > "$dir/masked.txt" 2>&1 && grep -q "the mask mask.png" "$dir/masked.txt" && pass || { cat "$dir/masked.txt"; fail "--mask"; }

node "$SCRIPTS/validate_gltf.mjs" "$dir/lego.glb" "$dir/photo.glb" "$dir/two.glb" "$dir/masked.glb" > "$dir/validator.txt" 2>&1 \
  && pass || { cat "$dir/validator.txt"; fail "glTF validator"; }

blender_imports 2 "$dir/lego.glb" "$dir/photo.glb"

# Bad input: one clear error each, nothing written.
echo "not a picture" > "$dir/notes.png"
expect_error "notes.png" "$dir/x1.glb" "$KILN" image-to-3d "$dir/notes.png" -o "$dir/x1.glb"
oiiotool --create 64x64 4 -o "$dir/clear.png"
expect_error "no object" "$dir/x2.glb" "$KILN" image-to-3d "$dir/clear.png" -o "$dir/x2.glb"
oiiotool --create 32x16 1 -o "$dir/small_mask.png"
expect_error "--mask small_mask.png: 32x16" "$dir/x3.glb" "$KILN" image-to-3d "$dir/photo.jpg" --mask "$dir/small_mask.png" -o "$dir/x3.glb"
expect_error "4" "$dir/x4.glb" "$KILN" image-to-3d "$lego/r_0.png" "$lego/r_1.png" "$lego/r_2.png" "$lego/r_3.png" "$lego/r_4.png" -o "$dir/x4.glb"
expect_error "unknown option" "$dir/x5.glb" "$KILN" image-to-3d "$lego/r_0.png" -o "$dir/x5.glb" --colour blue
expect_error "no such image file" "$dir/x6.glb" "$KILN" image-to-3d "$dir/missing.png" -o "$dir/x6.glb"
oiiotool --create 320x320 1 -o "$dir/black_mask.png"
expect_error "no object" "$dir/x7.glb" "$KILN" image-to-3d "$dir/photo.jpg" --mask "$dir/black_mask.png" -o "$dir/x7.glb"
expect_error "image" "$dir/x8.glb" "$KILN" image-to-3d -o "$dir/x8.glb"
expect_error "shape-steps" "$dir/x9.glb" "$KILN" image-to-3d "$lego/r_0.png" -o "$dir/x9.glb" --shape-steps 500
finish
