#!/usr/bin/env bash
# The bundled text -> 3D models (resources/models) on held-out prompts of the procedural library:
# the training dataset's split is rebuilt (parameters only, deterministic for its seed), and
# `kiln eval text-to-3d` generates one held-out caption per category. Asserted: the judge finds the
# asked category, colour and material about as often as it did when the models were measured
# (resources/models/text-to-3d/eval.json, the full evaluation), every mesh is watertight, the
# autoencoder reconstructs held-out assets, and a prompt becomes a textured GLB.
# Exit 77 (skipped) when the checkout has no bundled models.
source "$(dirname "$0")/lib.sh"
[ -d "$MODELS/text-to-3d" ] && [ -d "$MODELS/shape-autoencoder" ] && [ -d "$MODELS/judge" ] || { echo "no bundled models: skipped"; exit 77; }
dir=$(fresh_dir text_to_3d_bundled)
KILN_PACKS_DIR="$OUT/no-packs" "$KILN" models verify | grep -q "6 model folder(s) verified" && pass || fail "bundled models verify (text-to-3d, image-to-3d, shape-autoencoder, judge, matting, part-segmenter)"
data=$(python3 -c "import json; print(json.load(open('$MODELS/text-to-3d/config.json'))['training']['data'])")
count=$(python3 -c "import json; print(json.load(open('$MODELS/text-to-3d/config.json'))['training']['datasetCount'])")
seed=$(python3 -c "import json; print(json.load(open('$MODELS/text-to-3d/config.json'))['training']['datasetSeed'])")
"$KILN" dataset build --count "$count" --seed "$seed" --no-meshes --samples 0 --out "$dir/ds" >/dev/null && pass || fail "dataset split ($data)"
# The held-out assets are reconstructed from either of the autoencoder's two token counts, no other.
expect_error "reconstruction-tokens 100" "$dir/odd.json" "$KILN" eval text-to-3d --data "$dir/ds" --per-category 1 --seeds 2 --reconstruction-tokens 100 --json "$dir/odd.json"
"$KILN" eval text-to-3d --data "$dir/ds" --per-category 1 --references 6 --reconstructions 12 --diversity-prompts 0 --seeds 2 \
  --latency-runs 1 --resolution 96 --json "$dir/eval.json" > "$dir/eval.txt" 2>&1 && pass || { cat "$dir/eval.txt"; fail "eval"; }
cat "$dir/eval.txt"
python3 - "$dir/eval.json" "$MODELS/text-to-3d/eval.json" <<'PY' && pass || fail "held-out quality"
import json, sys
r = json.load(open(sys.argv[1]))
full = json.load(open(sys.argv[2]))
def flat(e):
    return {"prompts": e["prompts"], "category": e["accuracy"]["category"], "colour": e["accuracy"]["colour"],
            "material": e["accuracy"]["material"], "watertight": e["meshes"]["watertightFraction"],
            "fScore": e["autoencoder"]["fScore1pct"]}
r, full = flat(r), flat(full)
print("CI sample:", r)
print("full evaluation:", full)
# One prompt per category is a small sample: allow 15 points below the full evaluation.
for k in ("category", "colour", "material"):
    assert r[k] >= full[k] - 0.15, (k, r[k], full[k])
assert r["watertight"] == 1.0, r["watertight"]
assert r["fScore"] >= full["fScore"] - 0.1, (r["fScore"], full["fScore"])
# The distance median comes with its bootstrap interval over the prompts, which holds it.
dist = json.load(open(sys.argv[1]))["distanceToData"]
lo, hi = dist["medianRatio95"]
assert 0.0 < lo <= dist["medianRatio"] <= hi, dist
# Every reconstructed asset carries its own distance to the data, and the median is theirs.
rec = json.load(open(sys.argv[1]))["autoencoder"]
ratios = sorted(a["distanceRatio"] for a in rec["assets"])
assert len(ratios) == 12 and all(0.0 < x < 1e6 for x in ratios), ratios
assert abs(rec["distanceToDataMedianRatio"] - 0.5 * (ratios[5] + ratios[6])) < 1e-9, rec["distanceToDataMedianRatio"]
PY
"$KILN" generate "a tall blue ceramic vase" -o "$dir/vase.glb" --quality draft --seed 2 | grep -q "wrote" && pass || fail "generate"
"$KILN" info "$dir/vase.glb" --json | python3 -c "
import json, sys
i = json.load(sys.stdin)
assert i['triangles'] > 500 and len(i['textures']) >= 2, i" && pass || fail "vase.glb is a textured mesh"
finish
