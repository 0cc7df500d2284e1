#!/bin/bash
# The state of the manifests applied at start-up is written once the agent
# has its assignment; a droverd killed before that loses nothing (the files
# are applied again, to the same revisions) and one killed after it finds
# every service in its state dir, with no instance restarted.
. "$(dirname "$0")/lib.sh"

for i in $(seq 1 20); do write_manifest "s$i"; done

# No agent: the state files wait; kill -9 before they are written.
start_droverd --agent none
revs1=$(ctl -o json status | python3 -c 'import json,sys; print(" ".join(s["revision"] for s in json.load(sys.stdin)["services"]))')
[ "$(echo $revs1 | wc -w)" = 20 ] || fail "not 20 services: $revs1"
kill -9 "$DROVERD_PID"; wait "$DROVERD_PID" 2>/dev/null

start_droverd
revs2=$(ctl -o json status | python3 -c 'import json,sys; print(" ".join(s["revision"] for s in json.load(sys.stdin)["services"]))')
[ "$revs1" = "$revs2" ] || fail "revisions differ after a kill before the state was written"
for i in $(seq 1 20); do wait_for "s$i ready" all_ready "s$i" 1; done
WAIT_SECS=10 wait_for "20 state files" bash -c "[ \$(ls '$STATE/services' | grep -c '\.json\$') = 20 ]"
python3 -c 'import json,sys; h=json.load(open(sys.argv[1])); assert len(h)==20, h' "$STATE/manifests.json" ||
	fail "manifests.json does not record the 20 files"
before=$(for i in $(seq 1 20); do pids "s$i"; done)

kill -9 "$DROVERD_PID"; wait "$DROVERD_PID" 2>/dev/null
start_droverd
for i in $(seq 1 20); do wait_for "s$i ready" all_ready "s$i" 1; done
after=$(for i in $(seq 1 20); do pids "s$i"; done)
[ "$before" = "$after" ] || fail "instances restarted across a droverd kill -9"
grep -q "loaded 20 services" "$TMP/droverd.log" || fail "the second start did not load 20 services from the state dir"
pass
