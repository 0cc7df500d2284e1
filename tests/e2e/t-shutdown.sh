#!/bin/bash
# shutdown stops droverd only (services keep running, a new droverd finds
# them with the same pids); shutdown --all stops the agent and services too.
. "$(dirname "$0")/lib.sh"

write_manifest web 'instances: 2'
start_droverd
wait_for "web ready" all_ready web 2
before=$(pids web)

ctl shutdown >/dev/null || fail "shutdown failed"
wait_exit "$DROVERD_PID" 10 || fail "droverd did not exit"
for pair in $before; do alive "${pair#*:}" || fail "instance $pair died with droverd"; done

start_droverd
wait_for "web ready after droverd restart" all_ready web 2
[ "$(pids web)" = "$before" ] || fail "droverd restart restarted services: $before -> $(pids web)"

# kill -9 of droverd: the same.
kill -9 "$DROVERD_PID"; wait "$DROVERD_PID" 2>/dev/null
for pair in $before; do alive "${pair#*:}" || fail "instance $pair died with droverd (kill -9)"; done
start_droverd
wait_for "web ready after kill -9" all_ready web 2
[ "$(pids web)" = "$before" ] || fail "droverd kill -9 restarted services: $before -> $(pids web)"

agent=$(curl -s --unix-socket "$DROVER_SOCKET" http://drover/api/v1/agents |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["agents"][0]["pid"])')
ctl shutdown --all >/dev/null || fail "shutdown --all failed"
wait_exit "$DROVERD_PID" 30 || fail "droverd did not exit"
for pair in $before; do
	p=${pair#*:}
	WAIT_SECS=15 wait_for "instance $p to exit" bash -c "! [ -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
done
WAIT_SECS=15 wait_for "the agent to exit" bash -c "! [ -d /proc/$agent ] || grep -q '^State:.*Z' /proc/$agent/status"
[ ! -S "$DROVER_SOCKET" ] || fail "control socket left behind"
pass
