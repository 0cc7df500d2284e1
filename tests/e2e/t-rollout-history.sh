#!/bin/bash
# Every applied manifest is a revision in the service's history (bounded by
# deploy.history); `rollout undo` makes an earlier one current again.
. "$(dirname "$0")/lib.sh"

mode_of() {	# the MODE an instance of svc really runs with
	tr '\0' '\n' < "/proc/$(inst pid svc 0)/environ" | sed -n 's/^MODE=//p'
}
on_revision() {	# on_revision REV: every instance ready on it
	ctl -o json status svc | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
sys.exit(0 if s["instances"] and all(i["revision"] == sys.argv[1] and i["state"] == "ready" for i in s["instances"]) else 1)' "$1"
}

revs=()
for m in a b c; do
	write_manifest svc "env: {MODE: $m}" 'deploy: {history: 4}'
	if [ "$m" = a ]; then start_droverd; else ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply $m"; fi
	revs+=("$(svc_field revision svc)")
done
wait_for "svc on revision c" on_revision "${revs[2]}"
[ "$(mode_of)" = c ] || fail "not running MODE=c"

out=$(ctl rollout history svc) || fail "history failed"
[ "$(echo "$out" | grep -c '^[0-9a-f]\{16\} ')" = 3 ] || fail "history does not list 3 revisions: $out"
echo "$out" | tail -n1 | grep -q "^${revs[2]} .*(current)" || fail "the newest is not marked current: $out"
echo "$out" | grep -q "^${revs[0]} .*apply $MAN/svc.yaml" || fail "no cause for the first revision: $out"

ctl rollout undo svc >/dev/null || fail "undo failed"
[ "$(svc_field revision svc)" = "${revs[1]}" ] || fail "undo did not bring back revision b"
wait_for "svc back on revision b" on_revision "${revs[1]}"
[ "$(mode_of)" = b ] || fail "undo does not run MODE=b"
ctl rollout history svc | tail -n1 | grep -q "rollback to ${revs[1]}" || fail "no rollback cause"

ctl rollout undo --to-revision "${revs[0]:0:8}" svc >/dev/null || fail "undo --to-revision failed"
wait_for "svc back on revision a" on_revision "${revs[0]}"
[ "$(mode_of)" = a ] || fail "undo --to-revision does not run MODE=a"

# history: 4 keeps the newest 4 of the 5 entries, across a droverd restart.
kill "$DROVERD_PID"; wait "$DROVERD_PID"
start_droverd
n=$(ctl -o json rollout history svc | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["revisions"]))')
[ "$n" = 4 ] || fail "history keeps $n entries, want 4"
ctl rollout undo --to-revision ffffffff svc 2>/dev/null; [ $? -eq 1 ] || fail "undo to an unknown revision did not exit 1"
ctl rollout frob svc 2>/dev/null; [ $? -eq 2 ] || fail "an unknown rollout subcommand did not exit 2"
ctl rollout undo nosuch 2>/dev/null; [ $? -eq 1 ] || fail "undo of an unknown service did not exit 1"
pass
