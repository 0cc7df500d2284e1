#!/bin/bash
# Upgrading in place restarts no service. The binaries are copies in a
# private directory; each upgrade first replaces the file there (as a
# package manager does: a new file renamed over the old one), then asks:
# - `droverctl upgrade agent`, and SIGUSR2 to the agent's keeper: the
#   keeper execs the new binary (same pid), a new worker of it replaces
#   the old one (a new pid);
# - `droverctl upgrade droverd`, and SIGUSR2 to droverd: droverd execs
#   the new binary, same pid.
# Every time: the instances keep their pids and restart counts, the
# running processes are the new files, and supervision still works.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/bin"
for b in droverd drover-agent droverctl; do cp "$DROVER_BIN/$b" "$TMP/bin/"; done
DROVER_BIN=$TMP/bin

# replace NAME: a new file (same program) renamed over the old one.
replace() {
	cp "$TMP/bin/$1" "$TMP/bin/.$1.new"
	mv "$TMP/bin/.$1.new" "$TMP/bin/$1"
}
# current PID: it runs the file now at its path (not a replaced one).
current() { ! readlink "/proc/$1/exe" | grep -q deleted; }

write_manifest svc 'instances: 2' 'restart: {backoff: {initial: 0s}}'
start_droverd
wait_for "svc ready" all_ready svc 2
p=$(inst pid svc 0)
kill -9 "$p"
wait_for "svc/0 restarted" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"restarts\"])')\" = 1 ]"
wait_for "svc ready" all_ready svc 2
pids0=$(pids svc)

check_services() {
	wait_for "svc ready ($1)" all_ready svc 2
	[ "$(pids svc)" = "$pids0" ] || fail "$1: instances replaced: $pids0 -> $(pids svc)"
	[ "$(inst restarts svc 0)" = 1 ] || fail "$1: restarts of svc/0: $(inst restarts svc 0)"
	[ "$(inst restarts svc 1)" = 0 ] || fail "$1: restarts of svc/1: $(inst restarts svc 1)"
}

upgrade_agent() {	# how...
	local worker keeper
	worker=$(agent_pid)
	keeper=$(awk '{print $4}' /proc/"$worker"/stat)
	replace drover-agent
	current "$keeper" && fail "the keeper still runs the file that was replaced?"
	"$@"
	wait_for "a new worker ($*)" other_agent "$worker"
	worker=$(agent_pid)
	alive "$keeper" || fail "$*: the keeper is gone"
	[ "$(awk '{print $4}' /proc/"$worker"/stat)" = "$keeper" ] || fail "$*: the new worker is not the keeper's child"
	current "$keeper" || fail "$*: the keeper runs the old binary"
	current "$worker" || fail "$*: the worker runs the old binary"
	check_services "$*"
}
upgrade_agent ctl upgrade agent
upgrade_agent bash -c "kill -USR2 \$(awk '{print \$4}' /proc/$(agent_pid)/stat)"

upgrade_droverd() {
	replace droverd
	"$@"
	wait_for "droverd to run the new binary ($*)" current "$DROVERD_PID"
	wait_for "droverd to answer ($*)" ctl status
	wait_for "the agent link ($*)" bash -c "curl -sf --unix-socket '$DROVER_SOCKET' http://drover/healthz | grep -q '\"connected\"'"
	alive "$DROVERD_PID" || fail "$*: droverd's pid changed"
	check_services "$*"
}
upgrade_droverd ctl upgrade droverd
upgrade_droverd kill -USR2 "$DROVERD_PID"

ctl upgrade nonsense >/dev/null 2>&1 && fail "upgrade of nonsense succeeded"

# Supervision goes on: a crash is restarted by the new worker.
p=$(inst pid svc 1)
kill -9 "$p"
wait_for "svc/1 restarted" bash -c "q=\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][1][\"pid\"])'); [ \"\$q\" != 0 ] && [ \"\$q\" != $p ]"
wait_for "svc ready" all_ready svc 2
pass
