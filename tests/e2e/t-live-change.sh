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

out=$(ctl diff -f "$MAN/svc.yaml") || fail "diff failed: $out"
[ "$out" = "svc: unchanged" ] || fail "diff of the applied file: $out"
write_manifest svc 'instances: 2' 'env: {MODE: a}' 'restart: {backoff: {initial: 2s}}' \
	'stop: {timeout: 3s}' 'logs: {max_size: 1M, keep: 2}'
# diff says what apply will do, and changes nothing.
out=$(ctl diff -f "$MAN/svc.yaml") || fail "diff failed: $out"
echo "$out" | head -n1 | grep -qx "svc: live" || fail "diff does not class it live: $out"
echo "$out" | grep -E '^  restart.backoff.initial +"100ms" -> "2s"  \(live\)$' >/dev/null ||
	fail "diff does not show the backoff field: $out"
echo "$out" | grep -q 'stop.timeout .*(live)' || fail "diff does not show stop.timeout: $out"
[ "$(svc_field revision svc)" = "$rev1" ] || fail "diff changed the revision"
printf 'name: other\ncommand: ["/bin/true"]\n' > "$TMP/other.yaml"
out=$(ctl -o json diff -f "$TMP/other.yaml" -f "$MAN/svc.yaml") || fail "diff -o json failed"
python3 -c '
import json, sys
d = {e["service"]: e for e in json.loads(sys.argv[1])}
assert d["other"]["change"] == "new service", d
assert d["svc"]["change"] == "live", d
assert {f["class"] for f in d["svc"]["fields"]} == {"live"}, d' "$out" || fail "diff -o json: $out"
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
out=$(ctl diff -f "$MAN/svc.yaml")
echo "$out" | grep -qx "svc: rollout" || fail "an env change is not a rollout: $out"
echo "$out" | grep -q 'env.MODE .*"a" -> "b"  (rollout)' || fail "diff does not show env.MODE: $out"
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply failed"
wait_for "svc replaced" bash -c "
	\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c '
import json, sys
s = json.load(sys.stdin)[\"services\"][0]
old = set(\"$before\".split())
now = set(\"%d:%d\" % (i[\"index\"], i[\"pid\"]) for i in s[\"instances\"] if i[\"state\"] == \"ready\")
sys.exit(0 if len(now) == 2 and not (now & old) else 1)'"
pass
