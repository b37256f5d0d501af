#!/usr/bin/env bash
# Plug-ins: the procedural plug-in loads from a plug-in folder and runs as a pipeline; a corrupt
# .so, a plug-in for another ABI version and one whose registration fails are refused with a reason.
source "$(dirname "$0")/lib.sh"
dir=$(fresh_dir plugins)
cp "$PLUGIN" "$dir/"
cp "$WRONG_ABI_PLUGIN" "$dir/libkiln_wrong_abi.so"
cp "$FAILING_PLUGIN" "$dir/libkiln_failing_plugin.so"
head -c 4096 /dev/urandom > "$dir/libkiln_corrupt.so"
printf 'not an ELF file' > "$dir/libkiln_text.so"
json=$(KILN_PLUGIN_PATH="$dir" "$KILN" plugins --json) && pass || fail "kiln plugins exited $?"
check() { python3 -c "import json,sys; p={x['file'].split('/')[-1]: x for x in json.loads(sys.argv[1])}; $1" "$json" && pass || fail "$2: $json"; }
check "sys.exit(0 if p['libkiln_procedural.so']['loaded'] and 'procedural' in p['libkiln_procedural.so']['message'] else 1)" "procedural plug-in loads"
check "m=p['libkiln_wrong_abi.so']; sys.exit(0 if not m['loaded'] and 'ABI version 999' in m['message'] and 'rebuild' in m['message'] else 1)" "wrong ABI refused"
check "m=p['libkiln_corrupt.so']; sys.exit(0 if not m['loaded'] and 'not a loadable shared library' in m['message'] else 1)" "corrupt .so refused"
check "m=p['libkiln_text.so']; sys.exit(0 if not m['loaded'] else 1)" "text file refused"
check "m=p['libkiln_failing_plugin.so']; sys.exit(0 if not m['loaded'] and 'registered twice' in m['message'] else 1)" "failing registration refused"
# The failing plug-in leaves nothing behind; the procedural one is listed as a pipeline.
pipes=$(KILN_PLUGIN_PATH="$dir" "$KILN" pipelines --json) && pass || fail "kiln pipelines exited $?"
python3 -c "import json,sys; ids=[p['id'] for p in json.loads(sys.argv[1])]; sys.exit(0 if 'procedural' in ids and 'failing-first' not in ids else 1)" "$pipes" \
  && pass || fail "pipelines after loading: $pipes"
# The plug-in's pipeline runs from the CLI like a built-in one.
out="$dir/chair.glb"
KILN_PLUGIN_PATH="$dir" "$KILN" procedural "a red wooden chair" -o "$out" --seed 2 >/dev/null && [ -s "$out" ] && pass || fail "procedural run"
info=$("$KILN" info "$out" --json) && python3 -c "import json,sys; sys.exit(0 if json.loads(sys.argv[1])['triangles'] > 10 else 1)" "$info" \
  && pass || fail "procedural output: $info"
err=$(KILN_PLUGIN_PATH="$dir" "$KILN" procedural "a dragon" -o "$dir/x.glb" 2>&1); [ $? = 1 ] && echo "$err" | grep -q "names no category" \
  && [ ! -e "$dir/x.glb" ] && pass || fail "unknown category: $err"
finish
