#!/bin/bash
# A change of live settings only (restart policy, backoff, stop, logs
# rotation...) makes a new revision that the instances switch to without a
# restart; a change of what runs (env, command) replaces them.
. "$(dirname "$0")/lib.sh"

write_manifest svc 'instances: 2' 'env: {MODE: a}' 'restart: {backoff: {initial: 100ms}}'
start_droverd
wait_for "svc ready" all_ready svc 2
rev1=$(svc_field revision svc)
before=$(pids svc)

write_manifest svc 'instances: 2' 'env: {MODE: a}' 'restart: {backoff: {initial: 2s}}' \
	'stop: {timeout: 3s}' 'logs: {max_size: 1M, keep: 2}'
out=$(ctl apply -f "$MAN/svc.yaml") || fail "apply failed: $out"
echo "$out" | grep -q "svc: updated" || fail "not updated: $out"
rev2=$(svc_field revision svc)
[ "$rev2" != "$rev1" ] || fail "a live change made no new revision"
wait_for "instances on the new revision" bash -c "
	\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c '
import json, sys
s = json.load(sys.stdin)[\"services\"][0]
sys.exit(0 if all(i[\"revision\"] == \"$rev2\" for i in s[\"instances\"]) else 1)'"
[ "$(pids svc)" = "$before" ] || fail "a live change restarted instances: $before -> $(pids svc)"
[ "$(inst restarts svc 0)" = 0 ] || fail "a live change counted a restart"
grep -q "svc/0: revision $rev1 -> $rev2 applied live" "$TMP/droverd.log" ||
	fail "the agent did not log the live change"

# The new live setting is in force: a crash now waits the new 2 s backoff.
kill -9 "$(inst pid svc 0)"
wait_for "svc/0 in backoff" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"state\"])')\" = backoff ]"
ms=$(inst next_start_ms svc 0)
[ "${ms:-0}" -gt 1000 ] || fail "backoff is ${ms} ms, want the new 2s (>1000)"
wait_for "svc ready" all_ready svc 2

# A change of what runs replaces the instances.
before=$(pids svc)
write_manifest svc 'instances: 2' 'env: {MODE: b}' 'restart: {backoff: {initial: 2s}}' \
	'stop: {timeout: 3s}' 'logs: {max_size: 1M, keep: 2}'
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply failed"
wait_for "svc replaced" bash -c "
	\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c '
import json, sys
s = json.load(sys.stdin)[\"services\"][0]
old = set(\"$before\".split())
now = set(\"%d:%d\" % (i[\"index\"], i[\"pid\"]) for i in s[\"instances\"] if i[\"state\"] == \"ready\")
sys.exit(0 if len(now) == 2 and not (now & old) else 1)'"
pass
