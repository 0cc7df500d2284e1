#!/bin/bash
# Output capture holds no fd per restart: an instance that prints to
# stdout and stderr and exits at once, restarted with no delay, leaves
# the agent's fd count flat from 200 to 1000 restarts, its lines all in
# the file; deleting the service gives back every fd it took (pipe and
# file). droverd likewise holds nothing for a logs request once answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

service idle '["/bin/sleep", "100000"]'
start_droverd
wait_for "idle ready" all_ready idle 1
agent=$(agent_pid) || fail "no agent process"
afds() { ls "/proc/$agent/fd" | wc -l; }
dfds() { ls "/proc/$DROVERD_PID/fd" | wc -l; }
a0=$(afds)
d0=$(dfds)

script flap.sh 'echo "flap out"; echo "flap err" >&2; exit 1'
service flap "[\"$TMP/flap.sh\"]" \
	'restart: {policy: always, backoff: {initial: 0s}, limit: {burst: 10000, interval: 1s}}'
ctl apply -f "$MAN/flap.yaml" >/dev/null || fail "apply flap failed"
WAIT_SECS=120 wait_for "200 restarts" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status flap | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"restarts\"])')\" -ge 200 ]"
a1=$(afds)
WAIT_SECS=120 wait_for "1000 restarts" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status flap | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"restarts\"])')\" -ge 1000 ]"
a2=$(afds)
log "agent fds: $a0 before flap, $a1 at 200 restarts, $a2 at 1000"
[ "$a2" -le $((a1 + 2)) ] || fail "agent fds grew from $a1 to $a2 over 800 restarts"
n=$(grep -c '^flap err$' "$STATE/logs/flap.0.log")
[ "$n" -ge 1000 ] || fail "only $n stderr lines for 1000 runs in the file"

for i in 1 2 3; do ctl logs -n 5 flap >/dev/null || fail "logs flap failed"; done
ctl delete flap >/dev/null || fail "delete flap failed"
wait_for "flap gone" bash -c "! \"$DROVER_BIN/droverctl\" status flap >/dev/null 2>&1"
wait_for "agent fds back to $a0 after the delete" bash -c "[ \$(ls /proc/$agent/fd | wc -l) -le $((a0 + 1)) ]"
wait_for "droverd fds back to $d0" bash -c "[ \$(ls /proc/$DROVERD_PID/fd | wc -l) -le $((d0 + 1)) ]"
pass
