#!/usr/bin/env bash
# Pipelines from the CLI: `kiln pipelines --json` lists every pipeline with its schema, commands
# parse their options from it, and bad options are one clear error with nothing written.
# Also `kiln models list|verify` on the bundled model and on a damaged copy.
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir pipelines)
json=$("$KILN" pipelines --json) && pass || fail "kiln pipelines --json exited $?"
python3 - "$json" <<'PY' && pass || fail "pipelines json: $json"
import json, sys
p = {x["id"]: x for x in json.loads(sys.argv[1])}
assert {"text-to-3d", "views-to-3d"} <= set(p), p.keys()
t = p["text-to-3d"]
assert t["name"] == "Text" and t["modelSlots"] == ["text-to-3d"] and t["available"], t
steps = [o for o in t["options"] if o["name"] == "steps"][0]
assert steps["type"] == "int" and steps["default"] == 32 and steps["min"] == 1 and steps["max"] == 1000, steps
assert [x["name"] for x in t["presets"]] == ["draft", "standard", "high"]
v = p["views-to-3d"]
rep = [o for o in v["options"] if o["name"] == "representation"][0]
assert rep["choices"] == ["splats", "field"] and rep["choiceOutputs"]["field"] == ["field", "mesh"], rep
PY
"$KILN" text-to-3d --help | grep -q -- "--guidance X" && pass || fail "text-to-3d --help"
"$KILN" --help | grep -q "kiln views-to-3d" && pass || fail "--help lists the pipelines"
# Bad options: one line naming the option; nothing written.
bad() {
  local want="$1"; shift
  err=$("$KILN" "$@" 2>&1); local rc=$?
  [ $rc = 1 ] && echo "$err" | grep -qF -- "$want" && [ "$(echo "$err" | wc -l)" = 1 ] && pass || fail "$* -> rc $rc: $err (wanted '$want')"
}
bad "--steps must be a whole number from 1 to 1000, not '0'" generate "a red chair" -o "$dir/a.glb" --steps 0
bad "--guidance must be a number from 0 to 20" text-to-3d "a red chair" -o "$dir/a.glb" --guidance 50
bad "unknown option --stepz" text-to-3d "a red chair" -o "$dir/a.glb" --stepz 3
bad "empty prompt" text-to-3d "  " -o "$dir/a.glb"
bad "no output" text-to-3d "a red chair"
bad "--quality must be draft, standard or high" text-to-3d "a red chair" -o "$dir/a.glb" --quality ultra
bad "a.xyz: text-to-3d writes" text-to-3d "a red chair" -o "$dir/a.xyz"
bad "makes no field output with --representation splats" views-to-3d "$TESTDATA/mv/lego_train" -o "$dir/l.kfield"
bad "--representation must be splats or field" reconstruct "$TESTDATA/mv/lego_train" -o "$dir/l.ply" --representation mesh
[ -z "$(ls -A "$dir")" ] && pass || fail "files left behind: $(ls "$dir")"
# A preset and an explicit option together: the explicit one wins (8 steps, not draft's 12).
"$KILN" text-to-3d "a red wooden chair" -o "$dir/c.ply" --quality draft --steps 8 --seed 5 | grep -q "8 steps" && pass || fail "explicit option over preset"
# Models: the bundled model verifies; a damaged copy is one error naming the file.
"$KILN" models verify | grep -q "verified" && pass || fail "bundled models verify"
cp -r "$MODELS/text-to-3d" "$dir/m"
"$KILN" models verify "$dir/m" >/dev/null && pass || fail "copy verifies"
printf 'X' | dd of="$dir/m/weights.safetensors" bs=1 seek=100 conv=notrunc 2>/dev/null
err=$("$KILN" models verify "$dir/m" 2>&1); [ $? = 1 ] && echo "$err" | grep -q "weights.safetensors: checksum mismatch" && pass || fail "tampered: $err"
err=$("$KILN" generate "a red chair" -o "$dir/t.ply" --model "$dir/m" 2>&1); [ $? = 1 ] && echo "$err" | grep -q "checksum mismatch" && [ ! -e "$dir/t.ply" ] \
  && pass || fail "generate with a tampered model: $err"
finish
