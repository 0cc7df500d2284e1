#!/bin/bash
# readiness.watchdog: the instance gets WATCHDOG_USEC and WATCHDOG_PID
# (its own pid) with NOTIFY_SOCKET; one that stops sending WATCHDOG=1
# is stopped and restarted as a crash (restarts counts it, last_error
# says why); one that keeps sending is never restarted; WATCHDOG=trigger
# is a failure too. The pings come from systemd-notify, a child of the
# instance's shell.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
command -v systemd-notify >/dev/null || skip "systemd-notify is not installed"

# ping.sh N: N pings (forever when N is 0) 0.2 s apart, then silence.
script ping.sh 'echo "WATCHDOG_USEC=$WATCHDOG_USEC WATCHDOG_PID=$WATCHDOG_PID pid=$$"
i=0
while [ "$1" = 0 ] || [ $i -lt "$1" ]; do
	systemd-notify WATCHDOG=1 || echo "systemd-notify failed"
	i=$((i + 1))
	sleep 0.2
done
echo silent
exec sleep 100000'
fast='restart: {backoff: {initial: 0s}}'
service lapse "[\"$TMP/ping.sh\", \"5\"]" 'readiness: {watchdog: 1s}' "$fast"
service steady "[\"$TMP/ping.sh\", \"0\"]" 'readiness: {watchdog: 2s}' "$fast"
script trigger.sh 'sleep 0.5; systemd-notify WATCHDOG=trigger; exec sleep 100000'
service trigger "[\"$TMP/trigger.sh\"]" 'readiness: {watchdog: 1h}' "$fast"
start_droverd

# Without readiness.notify, ready at the exec as before.
wait_for "lapse ready" all_ready lapse 1
wait_for "steady ready" all_ready steady 1
pid=$(inst pid steady 0)
wait_for "steady's environment in its log" grep -q "^WATCHDOG_USEC=" "$STATE/logs/steady.0.log"
grep -qx "WATCHDOG_USEC=2000000 WATCHDOG_PID=$pid pid=$pid" "$STATE/logs/steady.0.log" ||
	fail "steady's environment: $(head -1 "$STATE/logs/steady.0.log") (pid $pid)"

WAIT_SECS=60 wait_for "lapse restarted" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status lapse | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"restarts\"])')\" -ge 1 ]"
err=$(inst last_error lapse 0)
case $err in
"watchdog timeout (no WATCHDOG=1 within 1s)") ;;
*) fail "lapse's last_error is '$err'" ;;
esac
grep -q "^silent" "$STATE/logs/lapse.0.log" || fail "lapse was stopped before it fell silent"
transitions lapse/0 | grep -q "stopping (pid [0-9]*, watchdog timeout" ||
	fail "no stop for the watchdog: $(transitions lapse/0)"

WAIT_SECS=60 wait_for "trigger restarted" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status trigger | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"restarts\"])')\" -ge 1 ]"
[ "$(inst last_error trigger 0)" = "watchdog triggered (WATCHDOG=trigger)" ] ||
	fail "trigger's last_error is '$(inst last_error trigger 0)'"

# Meanwhile steady went on pinging: the same process, never restarted.
[ "$(inst pid steady 0)" = "$pid" ] || fail "steady was restarted"
[ "$(inst restarts steady 0)" = 0 ] || fail "steady counts restarts"
inst_is steady 0 ready || fail "steady is $(inst state steady 0)"
grep -q "systemd-notify failed" "$STATE/logs/steady.0.log" && fail "a ping failed"
pass
