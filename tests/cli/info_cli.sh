#!/usr/bin/env bash
# `kiln info` on real samples: counts match the files.
source "$(dirname "$0")/lib.sh"
j() { "$KILN" info "$1" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
[ "$(j "$TESTDATA/gltf/Duck/Duck.glb" 'd["vertices"], d["triangles"], len(d["materials"]), len(d["textures"])')" = "2399 4212 1 1" ] && pass || fail "Duck counts"
[ "$(j "$TESTDATA/gltf/2CylinderEngine/2CylinderEngine.glb" 'd["triangles"]')" = "121496" ] && pass || fail "2CylinderEngine triangles"
[ "$(j "$TESTDATA/splats/biker_inria_sub20.ply" 'd["kind"], d["splats"], d["shDegree"]')" = "gaussians 7638 3" ] && pass || fail "biker ply"
[ "$(j "$TESTDATA/splats/biker.spz" 'd["kind"]')" = "gaussians" ] && pass || fail "biker spz"
"$KILN" info "$TESTDATA/gltf/Duck/Duck.glb" | grep -q "triangles:  4212" && pass || fail "plain text output"
"$KILN" info 2>/dev/null && fail "info without a file succeeded" || pass
# Every core by default (Debian's LibTorch starts with one intra-op thread).
"$KILN" --version | grep -q "compute threads: $(nproc)," && pass || fail "--version: compute threads is not $(nproc): $("$KILN" --version)"
# OpenBLAS kernels: where OpenBLAS falls back to its generic kernels on a CPU with AVX2, Kiln picks
# better ones (models/compute.h); the user's OPENBLAS_CORETYPE is kept.
if env -u OPENBLAS_CORETYPE KILN_OMP_REEXEC=0 "$KILN" --version | grep -q "BLAS: OpenBLAS Prescott" && grep -qw avx2 /proc/cpuinfo; then
  v=$(env -u OPENBLAS_CORETYPE -u KILN_OMP_REEXEC "$KILN" --version)
  grep -q "chosen by Kiln" <<<"$v" && ! grep -q "BLAS: OpenBLAS Prescott" <<<"$v" && pass || fail "--version: OpenBLAS kept its generic kernels: $v"
fi
v=$(env -u KILN_OMP_REEXEC OPENBLAS_CORETYPE=Sandybridge "$KILN" --version)
grep -q "BLAS: OpenBLAS Sandybridge (OPENBLAS_CORETYPE=Sandybridge from the environment)" <<<"$v" && pass || fail "--version: the user's OPENBLAS_CORETYPE: $v"
finish
