#!/bin/bash
# kiln-studio --bench-orbit: both phases report presented frames, and bad arguments are clear errors.
source "$(dirname "$0")/../cli/lib.sh"
out=$("$XVFB_RUN" -a -s "-screen 0 1920x1080x24" "$STUDIO" --bench-orbit "$TESTDATA/splats/biker_inria_sub20.ply" 1.5 2>&1)
rc=$?
echo "$out" | grep -v XDG_RUNTIME
[ $rc -eq 0 ] && pass || fail "bench-orbit exited $rc"
echo "$out" | grep -q "viewport 1280x720, 7638 splats" && pass || fail "header does not name the viewport size and the cloud"
for phase in "blocking-frames orbit, adaptive off" "blocking-frames orbit, adaptive on" "async-frames orbit, adaptive off" \
             "async-frames orbit, adaptive on"; do
  frames=$(echo "$out" | grep "$phase" | awk '{print $5}')
  [ -n "$frames" ] && [ "$frames" -gt 2 ] && pass || fail "$phase: frames '$frames'"
done
err=$("$XVFB_RUN" -a "$STUDIO" --bench-orbit "$TESTDATA/splats/biker_inria_sub20.ply" forever 2>&1)
rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q 'SECONDS "forever"' && pass || fail "a bad duration: rc $rc, $err"
err=$("$XVFB_RUN" -a "$STUDIO" --bench-orbit /nonexistent/cloud.ply 1 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "/nonexistent/cloud.ply" && pass || fail "a missing file: rc $rc, $err"
finish
