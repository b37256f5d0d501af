# Shared helpers for the CLI tests (sourced).
set -u
FAILS=0
PASSES=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { PASSES=$((PASSES + 1)); }
finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
fresh_dir() { rm -rf "$OUT/$1"; mkdir -p "$OUT/$1"; echo "$OUT/$1"; }
