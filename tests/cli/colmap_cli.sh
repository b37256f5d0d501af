#!/usr/bin/env bash
# views-to-3d on a folder of photos without poses: COLMAP poses them (once; a second run reuses
# the poses), the fit runs on the posed photos; without COLMAP it is one clear error and no file.
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir colmap_cli)
mkdir -p "$dir/photos"
for i in $(seq 1 2 31); do cp "$TESTDATA/mv/bird_colmap/images/$(printf '%03d' "$i").jpg" "$dir/photos/"; done
export XDG_CACHE_HOME="$dir/cache"

# No COLMAP on PATH: the error names the folder and the fix; nothing is written.
err=$(PATH=/nonexistent "$KILN" views-to-3d "$dir/photos" -o "$dir/none.ply" --iterations 20 --resolution 64 2>&1); rc=$?
[ $rc = 1 ] && grep -q "photos: the photos have no poses" <<<"$err" && grep -q "COLMAP is not installed" <<<"$err" && [ ! -e "$dir/none.ply" ] && pass ||
  fail "without colmap (rc $rc): $err"

if command -v colmap >/dev/null; then
  "$KILN" views-to-3d "$dir/photos" -o "$dir/bird.ply" --iterations 60 --resolution 64 > "$dir/first.log" 2>&1 && pass || fail "posing + fit: $(tail -5 "$dir/first.log")"
  grep -Eq "posed (1[4-6]) of 16 photos with COLMAP" "$dir/first.log" && pass || fail "posing note: $(cat "$dir/first.log")"
  "$KILN" info "$dir/bird.ply" | grep -q "splats" && pass || fail "bird.ply is not a splat file"
  "$KILN" views-to-3d "$dir/photos" -o "$dir/bird2.ply" --iterations 20 --resolution 64 > "$dir/second.log" 2>&1 &&
    grep -q "poses from an earlier COLMAP run" "$dir/second.log" && pass || fail "second run did not reuse the poses: $(cat "$dir/second.log")"
else
  echo "colmap is not installed: posing not tested (scripts/kiln.sh installs it)"
fi
finish
