#!/usr/bin/env bash
# kiln-render-bench and kiln-cuda-bench, the programs copied to a GPU machine that has none of
# Kiln's libraries: they need only what such a machine has (Vulkan's loader, the C/C++ runtime;
# CUDA's runtime is linked in), they run, and they fail clearly.
source "$(dirname "$0")/lib.sh"
allowed=" libvulkan.so.1 libz.so.1 libzstd.so.1 libstdc++.so.6 libm.so.6 libgcc_s.so.1 libc.so.6 ld-linux-x86-64.so.2 "
needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
for lib in $(needed "$RENDER_BENCH"); do
  [[ "$allowed" == *" $lib "* ]] && pass || fail "kiln-render-bench needs $lib"
done

out=$("$RENDER_BENCH" --testdata "$TESTDATA" --repeat 1 --paths raster --sorts cpu --check 2>&1)
rc=$?
[ $rc -eq 0 ] && pass || fail "kiln-render-bench exited $rc: $out"
# Every path against the raster path with the CPU sort, on this device: well above 40 dB.
for p in "raster, gpu sort" "compute, cpu sort"; do
  db=$(sed -n "s/^check: \[$p\] PSNR \([0-9.]*\) dB.*/\1/p" <<<"$out")
  [ -n "$db" ] && python3 -c "import sys; sys.exit(0 if float('$db') >= 40 else 1)" && pass || fail "--check [$p]: '$db' dB: $out"
done
grep -Eq '^biker.spz \[raster, cpu sort\] +[0-9.]+ ms/frame +[0-9.]+ fps' <<<"$out" && pass || fail "no biker row: $out"
grep -q "2CylinderEngine.glb: not drawn" <<<"$out" && pass || fail "the mesh row is not reported as skipped: $out"

# `kiln bench render` is the same benchmark with the mesh row: it takes the same options.
out=$("$KILN" bench render --testdata "$TESTDATA" --repeat 1 --paths host --sorts cpu --scales 0.25 --check 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q "^check: \[host, cpu sort\] PSNR" <<<"$out" && grep -Eq "^2CylinderEngine.glb +[0-9.]+ ms/frame" <<<"$out" && pass ||
  fail "kiln bench render --check: rc $rc: $out"

out=$("$RENDER_BENCH" --testdata "$OUT/nowhere" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "nowhere/splats/biker.spz" <<<"$out" && pass || fail "missing input: rc $rc: $out"
out=$("$RENDER_BENCH" --bogus 2>&1) && fail "an unknown option was accepted: $out" || pass

if [ -n "${CUDA_BENCH:-}" ]; then
  for lib in $(needed "$CUDA_BENCH"); do
    [[ "$allowed" == *" $lib "* ]] && pass || fail "kiln-cuda-bench needs $lib"
  done
  out=$("$CUDA_BENCH" --repeat 1 2>&1)
  rc=$?
  if [ $rc -eq 2 ]; then
    grep -q "^kiln-cuda-bench: not measured: CUDA" <<<"$out" && pass || fail "no GPU, but no reason given: $out"
  else
    [ $rc -eq 0 ] && grep -q " agree: " <<<"$out" && ! grep -q DISAGREE <<<"$out" && pass || fail "on a GPU: rc $rc: $out"
  fi
  "$CUDA_BENCH" --repeat 0 >/dev/null 2>&1 && fail "--repeat 0 was accepted" || pass
fi
finish
