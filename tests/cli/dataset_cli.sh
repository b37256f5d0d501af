#!/usr/bin/env bash
# `kiln dataset build`: files and manifest of a small dataset, refusal of a used folder, bad options.
source "$(dirname "$0")/lib.sh"
root=$(fresh_dir dataset_cli)
ds="$root/ds"

out=$("$KILN" dataset build --count 40 --out "$ds" --views 1 --view-size 64 --splats 512 --seed 7 2>&1); rc=$?
[ $rc -eq 0 ] && pass || fail "build failed (exit $rc): $out"
grep -q "40 items" <<<"$out" && pass || fail "summary does not count 40 items: $out"

python3 - "$ds" <<'PY' && pass || fail "manifest or files wrong"
import json, os, sys
ds = sys.argv[1]
d = json.load(open(os.path.join(ds, "dataset.json")))
assert d["format"] == "kiln-dataset" and d["version"] == 1 and d["seed"] == 7, d.get("format")
cats = d["categories"]
assert len(cats) >= 18 and len(d["palette"]) >= 12 and len(d["materials"]) == 5
items = d["items"]
assert len(items) == 40
split = {}
for i, it in enumerate(items):
    assert it["id"] == "%06d" % i
    assert it["category"] == cats[i % len(cats)] and it["categoryIndex"] == i % len(cats)
    for key in ("mesh", "splats", "views"):
        p = os.path.join(ds, it[key])
        assert os.path.isfile(p) and os.path.getsize(p) > 0, p
    assert open(os.path.join(ds, it["views"]), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert open(os.path.join(ds, it["mesh"]), "rb").read(4) == b"glTF"
    head = open(os.path.join(ds, it["splats"]), "rb").read(400).decode("latin1")
    assert head.startswith("ply") and "element vertex 512" in head and "f_dc_0" in head, head[:200]
    assert it["split"] in ("train", "val")
    for text in [it["caption"]] + it["paraphrases"]:
        assert it["category"] in text and it["colour"] in text, text
    assert len(it["paraphrases"]) >= 3
    key = (it["category"], it["style"], it["colour"])
    assert split.setdefault(key, it["split"]) == it["split"], key
assert len(os.listdir(os.path.join(ds, "meshes"))) == 40
PY

# The same command again is refused, naming the folder, and leaves the dataset alone.
err=$("$KILN" dataset build --count 5 --out "$ds" --views 0 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] && [ $rc -lt 124 ] && pass || fail "existing dataset not refused (exit $rc)"
grep -qF -- "$ds" <<<"$err" && grep -q -- "--force" <<<"$err" && pass || fail "refusal does not name the folder and --force: $err"
[ "$(python3 -c "import json;print(len(json.load(open('$ds/dataset.json'))['items']))")" = 40 ] && pass || fail "refused build changed the dataset"

# With --force it is replaced.
"$KILN" dataset build --count 5 --out "$ds" --views 0 --splats 64 --force >/dev/null 2>&1 && pass || fail "--force rebuild failed"
[ "$(python3 -c "import json;print(len(json.load(open('$ds/dataset.json'))['items']))")" = 5 ] && pass || fail "--force did not replace the manifest"
[ ! -e "$ds/views" ] && [ ! -e "$ds/meshes/000039.glb" ] && pass || fail "--force left old dataset files"

# Bad option values: one clear line naming the option, exit 1, nothing written.
check_bad() {
  local opt="$1" dir="$root/bad" err rc
  rm -rf "$dir"
  shift
  err=$("$KILN" dataset build --out "$dir" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 1 ]; then fail "$*: exit $rc (want 1): $err"; return; fi
  if [ "$(wc -l <<<"$err")" -ne 1 ]; then fail "$*: more than one line of error: $err"; return; fi
  if ! grep -q -- "$opt" <<<"$err"; then fail "$*: error does not name $opt: $err"; return; fi
  if [ -e "$dir" ]; then fail "$*: left $dir behind"; return; fi
  pass
}
check_bad --count --count 0
check_bad --count --count abc
check_bad --count --count -3
check_bad --splats --count 4 --splats 0
check_bad --views --count 4 --views -1
check_bad --view-size --count 4 --view-size 2
check_bad --val-fraction --count 4 --val-fraction 0.9
check_bad --val-fraction --count 4 --val-fraction nan
check_bad --seed --count 4 --seed -5
check_bad --bogus --count 4 --bogus 1
check_bad usage --views 2
"$KILN" dataset 2>/dev/null && fail "dataset without build succeeded" || pass
finish
