#!/usr/bin/env bash
# `kiln dataset build` (library v2): files, manifest, splits and edit pairs of a small dataset;
# refusal of a used folder; bad options; `kiln dataset sheet`.
source "$(dirname "$0")/lib.sh"
root=$(fresh_dir dataset_cli)
ds="$root/ds"

out=$("$KILN" dataset build --count 50 --out "$ds" --views 2 --view-size 64 --texture-size 128 --samples 512 --edits 5 --seed 7 2>&1); rc=$?
[ $rc -eq 0 ] && pass || fail "build failed (exit $rc): $out"
grep -q "50 items" <<<"$out" && grep -q "5 edit pairs" <<<"$out" && pass || fail "summary: $out"

python3 - "$ds" <<'PY' && pass || fail "manifest or files wrong"
import json, os, struct, sys
ds = sys.argv[1]
d = json.load(open(os.path.join(ds, "dataset.json")))
assert d["format"] == "kiln-dataset" and d["version"] == 2 and d["seed"] == "7", d.get("format")
items = d["items"]
assert len(items) == 50
splits = set()
for i, it in enumerate(items):
    assert it["id"] == "%06d" % i
    splits.add(it["split"])
    for key in ("mesh", "samples"):
        p = os.path.join(ds, it[key])
        assert os.path.isfile(p) and os.path.getsize(p) > 0, p
    assert open(os.path.join(ds, it["mesh"]), "rb").read(4) == b"glTF"
    raw = open(os.path.join(ds, it["samples"]), "rb").read()
    assert raw[:4] == b"KSMP" and struct.unpack("<I", raw[8:12])[0] == 512, it["samples"]
    views = os.path.join(ds, it["views"])
    t = json.load(open(views))
    assert len(t["frames"]) == 2 and "camera_angle_x" in t
    vdir = os.path.dirname(views)
    for f in ("rgba_00.png", "depth_00.exr", "normal_00.png", "parts_00.png", "rgba_01.png"):
        assert os.path.isfile(os.path.join(vdir, f)), f
    assert it["params"]["category"] in it["caption"], it["caption"]
    assert len(it["paraphrases"]) >= 3 and len(it["parts"]) >= 1
assert splits <= {"train", "val", "val-triple", "test-category"}, splits
assert set(d["heldOutCategories"]) == {"teapot", "lantern", "birdhouse"}
for it in items:
    if it["params"]["category"] in d["heldOutCategories"]:
        assert it["split"] == "test-category", it
edits = d["edits"]
assert len(edits) == 5
for e in edits:
    assert e["instruction"] and e["kind"] in ("recolour", "material", "proportion", "style", "category")
    assert os.path.isfile(os.path.join(ds, e["mesh"])) and os.path.isfile(os.path.join(ds, e["samples"]))
PY

# The same command again is refused, naming the folder, and leaves the dataset alone.
err=$("$KILN" dataset build --count 5 --out "$ds" 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] && [ $rc -lt 124 ] && pass || fail "existing dataset not refused (exit $rc)"
grep -qF -- "$ds" <<<"$err" && grep -q -- "--force" <<<"$err" && pass || fail "refusal does not name the folder and --force: $err"
[ "$(python3 -c "import json;print(len(json.load(open('$ds/dataset.json'))['items']))")" = 50 ] && pass || fail "refused build changed the dataset"

# With --force it is replaced (here without meshes or samples: parameters and captions only).
"$KILN" dataset build --count 5 --out "$ds" --no-meshes --samples 0 --force >/dev/null 2>&1 && pass || fail "--force rebuild failed"
[ "$(python3 -c "import json;print(len(json.load(open('$ds/dataset.json'))['items']))")" = 5 ] && pass || fail "--force did not replace the manifest"
[ ! -e "$ds/views" ] && [ ! -e "$ds/meshes" ] && [ ! -e "$ds/edits" ] && pass || fail "--force left old dataset files"

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
check_bad --texture-size --count 4 --texture-size 300
check_bad --texture-size --count 4 --texture-size 32
check_bad --samples --count 4 --samples -1
check_bad --views --count 4 --views -1
check_bad --view-size --count 4 --view-size 2
check_bad --edits --count 4 --edits 9
check_bad --val-fraction --count 4 --val-fraction 0.9
check_bad --seed --count 4 --seed -5
check_bad --bogus --count 4 --bogus 1
check_bad usage --views 2
"$KILN" dataset 2>/dev/null && fail "dataset without build succeeded" || pass

# kiln bench latent on a dataset's split: a bad split, a split without a dataset, too few items.
bench_bad() {
  local want="$1" err rc
  shift
  err=$("$KILN" bench latent "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 1 ]; then fail "bench latent $*: exit $rc (want 1): $err"; return; fi
  if [ "$(wc -l <<<"$err")" -ne 1 ]; then fail "bench latent $*: more than one line of error: $err"; return; fi
  grep -qF -- "$want" <<<"$err" && pass || fail "bench latent $*: error does not say '$want': $err"
}
bench_bad "--split" --split train
bench_bad "--split" --data "$ds" --split test
bench_bad "too few 'train' items" --data "$ds" --split train --repeat 50
bench_bad "--refine" --data "$ds" --split val --refine -1
bench_bad "--refine-lr" --data "$ds" --split val --refine 5 --refine-lr 0

# The contact sheet: one thumbnail per category and style.
sheet="$root/sheet.png"
"$KILN" dataset sheet -o "$sheet" --size 48 >/dev/null 2>&1 && [ -s "$sheet" ] && pass || fail "sheet"
head -c 8 "$sheet" | od -An -c | grep -q "P   N   G" && pass || fail "sheet is not a PNG"
finish
