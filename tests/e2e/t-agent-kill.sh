#!/bin/bash
# kill -9 of the agent's worker: the instances run on (same pids, no
# second copy), the keeper starts a new worker which adopts them with
# their state and restart counts, and supervises them: a later crash is
# restarted, and so is an instance that crashed while no worker ran (its
# exit status in last_error).
. "$(dirname "$0")/lib.sh"

printf 'name: svc\ncommand: ["/bin/sleep", "424242"]\ninstances: 2\nrestart: {backoff: {initial: 0s}}\n' > "$MAN/svc.yaml"
start_droverd
wait_for "svc ready" all_ready svc 2

# A restart first, so that there is a count to keep.
p=$(inst pid svc 1)
kill -9 "$p"
wait_for "svc/1 restarted" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][1][\"restarts\"])')\" = 1 ]"
wait_for "svc ready" all_ready svc 2

running() { pgrep -f '^/bin/sleep 424242$' | while read -r p; do alive "$p" && echo "$p"; done | wc -l; }
# two: exactly two copies run (else say which, and their parents)
two() {
	[ "$(running)" = 2 ] && return 0
	for q in $(pgrep -f '^/bin/sleep 424242$'); do
		log "pid $q: $(grep -E '^(State|PPid)' /proc/"$q"/status | tr '\n\t' '  ')"
	done
	fail "$(running) copies run, want 2 ($*)"
}

old=$(pids svc)
worker=$(agent_pid)
[ "$worker" != 0 ] || fail "no agent pid"
keeper=$(awk '{print $4}' /proc/"$worker"/stat)
[ "$(cat /proc/"$keeper"/comm)" = drover-agent ] || fail "the worker's parent is not the keeper"
kill -9 "$worker"
wait_for "a new worker" other_agent "$worker"
wait_for "svc ready under the new worker" all_ready svc 2
[ "$(pids svc)" = "$old" ] || fail "pids changed: $old -> $(pids svc)"
two
[ "$(inst restarts svc 1)" = 1 ] || fail "restarts of svc/1: $(inst restarts svc 1), want 1 (kept)"
[ "$(inst restarts svc 0)" = 0 ] || fail "restarts of svc/0: $(inst restarts svc 0), want 0"
grep -q 'adopted pid' "$TMP/droverd.log" "$STATE/agent.log" 2>/dev/null ||
	grep -rq 'adopted pid' "$TMP" || fail "no 'adopted' log line"
alive "$keeper" || fail "the keeper died"

# The new worker supervises the adopted instances: a crash is restarted.
p=$(inst pid svc 0)
kill -9 "$p"
wait_for "svc/0 restarted" bash -c "q=\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"pid\"])'); [ \"\$q\" != 0 ] && [ \"\$q\" != $p ]"
wait_for "svc ready" all_ready svc 2
two after a restart
[ "$(inst restarts svc 0)" = 1 ] || fail "restarts of svc/0: $(inst restarts svc 0), want 1"

# An instance that dies while no worker runs: the keeper is stopped so
# that no worker can start, the worker killed, then the instance.
worker=$(agent_pid)
p=$(inst pid svc 1)
kill -STOP "$keeper"
kill -9 "$worker"
kill -9 "$p"
sleep 0.3
kill -CONT "$keeper"
wait_for "a new worker" other_agent "$worker"
wait_for "svc/1 restarted by the new worker" bash -c "q=\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][1][\"pid\"])'); [ \"\$q\" != 0 ] && [ \"\$q\" != $p ]"
wait_for "svc ready" all_ready svc 2
err=$(inst last_error svc 1)
case "$err" in
*"pid $p killed by SIGKILL"*) ;;
*) fail "last_error of svc/1 does not say how it ended: '$err'" ;;
esac
[ "$(inst restarts svc 1)" = 2 ] || fail "restarts of svc/1: $(inst restarts svc 1), want 2"
two

# kill -9 of the keeper: the worker becomes the keeper and starts a new
# worker, which adopts the instances (the ones the old keeper held are
# now nobody's children: their exit comes through a pidfd).
worker=$(agent_pid)
old=$(pids svc)
kill -9 "$keeper"
wait_for "a new worker" other_agent "$worker"
wait_for "svc ready" all_ready svc 2
[ "$(pids svc)" = "$old" ] || fail "pids changed when the keeper died: $old -> $(pids svc)"
[ "$(awk '{print $4}' /proc/"$(agent_pid)"/stat)" = "$worker" ] || fail "the old worker is not the new keeper"
two
p=$(inst pid svc 1)
kill -9 "$p"
wait_for "svc/1 restarted" bash -c "q=\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][1][\"pid\"])'); [ \"\$q\" != 0 ] && [ \"\$q\" != $p ]"
wait_for "svc ready" all_ready svc 2
two
pass
