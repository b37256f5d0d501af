#!/usr/bin/env bash
# Every broken file must end in one clear error: non-zero exit, a message naming the file,
# no crash (exit code >= 128 means a signal), and no output file.
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir bad_input)

check_bad() {
  local f="$1" name out rc err
  name=$(basename "$f")
  out="$dir/out.glb"
  rm -f "$out"
  err=$(timeout 60 "$KILN" convert "$f" "$out" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 0 ]; then fail "$name: converted without error"; return; fi
  if [ $rc -ge 124 ]; then fail "$name: crashed or hung (exit $rc): $err"; return; fi
  if ! grep -qF -- "$name" <<<"$err"; then fail "$name: error does not name the file: $err"; return; fi
  if [ "$(wc -l <<<"$err")" -ne 1 ]; then fail "$name: more than one line of error output: $err"; return; fi
  if [ -e "$out" ] || ls -A "$dir" | grep -q .; then fail "$name: left files behind: $(ls -A "$dir")"; rm -rf "${dir:?}"/* "$dir"/.kiln-tmp-*; return; fi
  pass
}

# tinygltf's issue-440 fixture is the repaired, valid file (Khronos validator: 0 errors); it loads.
while IFS= read -r -d '' f; do
  [ "$(basename "$f")" = zero-sized-bin-chunk-issue-440.glb ] && continue
  check_bad "$f"
done < <(find "$TESTDATA/gltf-bad" "$TESTDATA/mesh-bad" -type f ! -name '*.bin' ! -name '*.png' ! -name '*.json' ! -name '*.txt' -print0 | sort -z)

# Truncated splat files and random bytes with known extensions.
work=$(fresh_dir bad_input_work)
for src in "$TESTDATA/splats/biker_inria_sub20.ply" "$TESTDATA/splats/biker.spz"; do
  for n in 0 10 200 1500 100000; do
    f="$work/trunc$n-$(basename "$src")"
    head -c $n "$src" > "$f"
    check_bad "$f"
  done
done
for ext in glb gltf obj fbx ply stl dae spz splat; do
  f="$work/random.$ext"
  head -c 4096 /dev/urandom > "$f"
  check_bad "$f"
done
check_bad "$work/does-not-exist.glb"
finish
