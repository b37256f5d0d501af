#!/usr/bin/env bash
# Runs Kiln's two GPU measurements on a machine with an NVIDIA GPU and none of Kiln's build
# dependencies, from binaries built on the development machine:
#   kiln-render-bench  the viewport benchmark (Vulkan only): every splat path and sort, with --check
#   kiln-cuda-bench    the CUDA splat rasterizer against its CPU emulation, then timed
# usage: bench/gpu_run.sh BIN_DIR TESTDATA_DIR OUT_DIR
# BIN_DIR holds both programs (and lib/ with any shared library the GPU machine lacks);
# TESTDATA_DIR holds splats/biker.spz. Logs go to OUT_DIR.
set -u
bin=$1 data=$2 out=$3
mkdir -p "$out"
export LD_LIBRARY_PATH="$bin/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv || true
    nproc
    ldconfig -p | grep -c libvulkan || true
    for f in /usr/local/nvidia/share/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json; do
        [ -e "$f" ] && echo "ICD: $f"
    done
} >"$out/machine.txt" 2>&1
cat "$out/machine.txt"

echo "== kiln-cuda-bench"
timeout 150 "$bin/kiln-cuda-bench" --repeat 20 2>&1 | tee "$out/cuda_bench.txt"
echo "rc=${PIPESTATUS[0]}" | tee -a "$out/cuda_bench.txt"

echo "== kiln-render-bench"
timeout 200 "$bin/kiln-render-bench" --testdata "$data" --repeat 10 --check --sorts cpu,gpu --paths raster,compute --scales 1,0.25 \
    --lod 300000 2>&1 | tee "$out/render_bench.txt"
echo "rc=${PIPESTATUS[0]}" | tee -a "$out/render_bench.txt"
