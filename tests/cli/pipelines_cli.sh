#!/usr/bin/env bash
# Pipelines from the CLI: `kiln pipelines --json` lists every pipeline with its schema, commands
# parse their options from it, and bad options are one clear error with nothing written.
# Also `kiln models verify|pack` on a packed folder and on a damaged copy. Checks that need the
# bundled text -> 3D models run when resources/models holds them (the checkout ships them).
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir pipelines)
json=$("$KILN" pipelines --json) && pass || fail "kiln pipelines --json exited $?"
bundled=0; [ -d "$MODELS/text-to-3d" ] && [ -d "$MODELS/shape-autoencoder" ] && bundled=1
python3 - "$json" "$bundled" <<'PY' && pass || fail "pipelines json: $json"
import json, sys
p = {x["id"]: x for x in json.loads(sys.argv[1])}
assert {"text-to-3d", "views-to-3d"} <= set(p), p.keys()
t = p["text-to-3d"]
assert t["name"] == "Text" and t["modelSlots"] == ["text-to-3d", "shape-autoencoder"], t
# Available exactly when both slots have a model; otherwise the reason names the missing slot.
assert t["available"] == (sys.argv[2] == "1"), t
assert t["available"] or "no model for the" in t["unavailableReason"], t
steps = [o for o in t["options"] if o["name"] == "steps"][0]
assert steps["type"] == "int" and steps["default"] == 16 and steps["min"] == 1 and steps["max"] == 1000, steps
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
bad "--candidates must be a whole number from 1 to 16, not '0'" text-to-3d "a red chair" -o "$dir/a.glb" --candidates 0
bad "unknown option --stepz" text-to-3d "a red chair" -o "$dir/a.glb" --stepz 3
bad "empty prompt" text-to-3d "  " -o "$dir/a.glb"
bad "no output" text-to-3d "a red chair"
bad "--quality must be draft, standard or high" text-to-3d "a red chair" -o "$dir/a.glb" --quality ultra
bad "a.xyz: text-to-3d writes" text-to-3d "a red chair" -o "$dir/a.xyz"
bad "makes no field output with --representation splats" views-to-3d "$TESTDATA/mv/lego_train" -o "$dir/l.kfield"
bad "--representation must be splats or field" reconstruct "$TESTDATA/mv/lego_train" -o "$dir/l.ply" --representation mesh
[ -z "$(ls -A "$dir")" ] && pass || fail "files left behind: $(ls "$dir")"
# A preset and an explicit option together: the explicit one wins (8 steps, not draft's 12).
if [ $bundled = 1 ]; then
  "$KILN" text-to-3d "a red wooden chair" -o "$dir/c.ply" --quality draft --steps 8 --seed 5 | grep -q "8 steps" && pass || fail "explicit option over preset"
  KILN_PACKS_DIR="$OUT/no-packs" "$KILN" models verify | grep -q "6 model folder(s) verified" && pass || fail "bundled models verify (text-to-3d, image-to-3d, shape-autoencoder, judge, matting, part-segmenter)"
fi
# Models: a packed folder verifies; a damaged or truncated copy is one error naming the file, and
# a pipeline given the damaged folder refuses it before anything is written.
mkdir -p "$dir/m"
head -c 65536 /dev/urandom > "$dir/m/weights.safetensors"
echo '{"format": "kiln-text-to-latent"}' > "$dir/m/config.json"
"$KILN" models pack "$dir/m" --slot text-to-3d --name test-model --version 1 --licence MIT | grep -q "2 files" && pass || fail "pack"
"$KILN" models verify "$dir/m" | grep -q "1 model folder(s) verified" && pass || fail "packed folder verifies"
echo '{"steps": 10' > "$dir/recipe.json"
bad "recipe.json: not JSON" models pack "$dir/m" --slot text-to-3d --name x --version 2 --licence MIT --recipe "$dir/recipe.json"
echo '{"steps": 10}' > "$dir/recipe.json"
"$KILN" models pack "$dir/m" --slot text-to-3d --name test-model --version 1 --licence MIT --recipe "$dir/recipe.json" >/dev/null \
  && python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['recipe'] == {'steps': 10}" "$dir/m/manifest.json" && pass || fail "recipe stored as JSON"
cp -r "$dir/m" "$dir/t"
truncate -s 1000 "$dir/t/weights.safetensors"
err=$("$KILN" models verify "$dir/t" 2>&1); [ $? = 1 ] && echo "$err" | grep -q "weights.safetensors" && pass || fail "truncated: $err"
# Flip byte 100 (writing a fixed 'X' there left the file unchanged whenever the random byte was
# already 'X', one run in 256, and the tamper checks failed).
python3 -c "import sys; f = open(sys.argv[1], 'r+b'); f.seek(100); b = f.read(1)[0]; f.seek(100); f.write(bytes([b ^ 0xFF]))" "$dir/m/weights.safetensors"
err=$("$KILN" models verify "$dir/m" 2>&1); [ $? = 1 ] && echo "$err" | grep -q "weights.safetensors: checksum mismatch" && pass || fail "tampered: $err"
mkdir -p "$dir/lib/ae" && cp "$dir/t/config.json" "$dir/lib/ae/" && head -c 4096 /dev/urandom > "$dir/lib/ae/weights.safetensors"
"$KILN" models pack "$dir/lib/ae" --slot shape-autoencoder --name test-ae --version 1 --licence MIT >/dev/null || fail "pack the autoencoder"
err=$(KILN_MODEL_PATH="$dir/lib" "$KILN" generate "a red chair" -o "$dir/t.ply" --model "$dir/m" 2>&1); [ $? = 1 ] && echo "$err" | grep -q "weights.safetensors: checksum mismatch" && [ ! -e "$dir/t.ply" ] \
  && pass || fail "generate with a tampered model: $err"
finish
