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
# `kiln` is a launcher: it sets the environment LibTorch's libraries read when they load and starts
# the engine once (before, the engine re-executed itself and loaded its ~300 libraries twice).
v=$(env -u KILN_OMP_REEXEC -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY "$KILN" --version)
grep -q "OpenMP wait policy: GOMP_SPINCOUNT=10000,.*environment: set by the kiln launcher" <<<"$v" && pass || fail "--version through the launcher: $v"
# The engine started directly still sets it, by re-executing itself.
v=$(env -u KILN_OMP_REEXEC -u GOMP_SPINCOUNT -u OMP_WAIT_POLICY "$(dirname "$KILN")/kiln-engine" --version)
grep -q "OpenMP wait policy: GOMP_SPINCOUNT=10000,.*environment: re-executed once" <<<"$v" && pass || fail "--version of kiln-engine alone: $v"
# A launcher without its engine says so.
d=$(fresh_dir launcher_alone)
cp "$KILN" "$d/kiln"
err=$("$d/kiln" --version 2>&1); rc=$?
[ $rc -eq 127 ] && grep -q "kiln: cannot start $d/kiln-engine: No such file or directory" <<<"$err" && pass || fail "launcher without its engine: rc $rc: $err"
finish
