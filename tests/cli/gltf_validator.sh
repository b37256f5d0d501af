#!/usr/bin/env bash
# Every GLB Kiln writes passes the Khronos glTF validator with 0 errors and no unused objects.
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir gltf_validator)
files=()
for s in Box/Box.glb BoxTextured/BoxTextured.glb Duck/Duck.glb CesiumMilkTruck/glTF/CesiumMilkTruck.gltf \
         2CylinderEngine/2CylinderEngine.glb VertexColorTest/glTF/VertexColorTest.gltf TwoCubes/TwoCubes.glb \
         BoxDraco/Box_Draco.glb BoxVertexColors/BoxVertexColors.glb MultiUVTest/glTF/MultiUVTest.gltf; do
  name=$(basename "${s%.*}")
  "$KILN" convert "$TESTDATA/gltf/$s" "$dir/$name.glb" >/dev/null && files+=("$dir/$name.glb") || fail "convert $s"
done
"$KILN" convert "$TESTDATA/gltf/Duck/Duck.glb" "$dir/Duck_zup.glb" --up z --scale 100 >/dev/null && files+=("$dir/Duck_zup.glb")
"$KILN" convert "$TESTDATA/gltf/Duck/Duck.glb" "$dir/Duck_text.gltf" >/dev/null && files+=("$dir/Duck_text.gltf")
if node "$SCRIPTS/validate_gltf.mjs" --no-unused "${files[@]}"; then PASSES=$((PASSES + ${#files[@]})); else fail "validator reported errors"; fi
finish
