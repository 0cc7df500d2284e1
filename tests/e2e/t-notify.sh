#!/bin/bash
# readiness.notify: an instance is `running` after its exec and `ready`
# only once it sent READY=1 on NOTIFY_SOCKET (with systemd's own client,
# systemd-notify, run by the instance's shell: a process of its cgroup or
# process group, not its main pid); STATUS= is its status_text, in the
# JSON and in the table's MESSAGE column. An instance that never sends
# READY=1 stays running. A message from a process that is not the
# instance's (the test's own systemd-notify) changes nothing. Only
# instances with readiness.notify (or a watchdog) get NOTIFY_SOCKET.
# RELOADING=1 makes it running until READY=1 again, STOPPING=1 running
# for good. With a readiness probe too, it is ready only while both say
# so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
command -v systemd-notify >/dev/null || skip "systemd-notify is not installed"

# The instance waits for $TMP/go-NAME before it says it is ready.
script warm.sh 'echo "NOTIFY_SOCKET=$NOTIFY_SOCKET"
while [ ! -e "$GO" ]; do sleep 0.05; done
systemd-notify --ready --status="warmed up" || echo "systemd-notify failed"
while [ ! -e "$GO.reload" ]; do sleep 0.05; done
systemd-notify RELOADING=1 STATUS=reloading
while [ ! -e "$GO.reloaded" ]; do sleep 0.05; done
systemd-notify --ready --status="reloaded"
while [ ! -e "$GO.stop" ]; do sleep 0.05; done
systemd-notify STOPPING=1 --status="going away"
exec sleep 100000'
service warm "[\"$TMP/warm.sh\"]" 'readiness: {notify: true}' \
	"env: {GO: \"$TMP/go-warm\"}"
script mute.sh 'echo "NOTIFY_SOCKET=$NOTIFY_SOCKET"; exec sleep 100000'
service mute "[\"$TMP/mute.sh\"]" 'readiness: {notify: true}'
script plain.sh 'echo "NOTIFY_SOCKET=${NOTIFY_SOCKET-unset}"; exec sleep 100000'
service plain "[\"$TMP/plain.sh\"]"
# notify and a readiness probe: both must agree.
script both.sh 'systemd-notify --ready; exec sleep 100000'
service both "[\"$TMP/both.sh\"]" 'readiness: {notify: true}' \
	"health: {readiness: {exec: {command: [test, -e, \"$TMP/probe-ok\"]}, interval: 200ms, timeout: 200ms}}"
start_droverd
wait_for "plain ready" all_ready plain 1
wait_state warm 0 running
wait_state mute 0 running
grep -qx "NOTIFY_SOCKET=unset" "$STATE/logs/plain.0.log" ||
	fail "an instance without readiness.notify got a NOTIFY_SOCKET: $(cat "$STATE/logs/plain.0.log")"
wait_for "warm's NOTIFY_SOCKET in its log" grep -q "^NOTIFY_SOCKET=/" "$STATE/logs/warm.0.log"
sock=$(sed -n 's/^NOTIFY_SOCKET=//p' "$STATE/logs/warm.0.log")
[ -S "$sock" ] || fail "NOTIFY_SOCKET $sock is not a socket"

# A foreign process saying READY=1 for them changes nothing. Without
# --no-block systemd-notify waits for the agent to have read the message
# (BARRIER=1): the agent answers every barrier, even a stranger's.
NOTIFY_SOCKET=$sock timeout 10 systemd-notify --ready --status="foreign" ||
	fail "the foreign systemd-notify got no answer to its barrier"
# (Not tried: systemd-notify --pid=PID run as root, which sends PID's
# credentials; a privileged sender can pass for any process.)
pid=$(inst pid warm 0)
sleep 0.5
inst_is warm 0 running || fail "warm is $(inst state warm 0) after a foreign READY=1"
inst_is mute 0 running || fail "mute is $(inst state mute 0) after a foreign READY=1"
[ -z "$(inst status_text warm 0)" ] || fail "a foreign STATUS= was taken: $(inst status_text warm 0)"

# The instance's own READY=1.
touch "$TMP/go-warm"
wait_state warm 0 ready
[ "$(inst status_text warm 0)" = "warmed up" ] ||
	fail "status_text is '$(inst status_text warm 0)', want 'warmed up'"
[ "$(inst pid warm 0)" = "$pid" ] || fail "warm was restarted"
ctl status warm | grep -E "warm/0 .* ready .*warmed up" >/dev/null ||
	fail "the table does not show the status: $(ctl status warm)"
grep -q "systemd-notify failed" "$STATE/logs/warm.0.log" &&
	fail "the instance's systemd-notify failed"
state_seq warm/0 | tr '\n' ' ' | grep -q "starting->running running->ready" ||
	fail "warm went $(state_seq warm/0 | tr '\n' ' ')"

# RELOADING=1: running until READY=1 again.
touch "$TMP/go-warm.reload"
wait_state warm 0 running
[ "$(inst status_text warm 0)" = reloading ] || fail "status_text is '$(inst status_text warm 0)'"
touch "$TMP/go-warm.reloaded"
wait_state warm 0 ready
[ "$(inst status_text warm 0)" = reloaded ] || fail "status_text is '$(inst status_text warm 0)'"
# STOPPING=1: not ready any more.
touch "$TMP/go-warm.stop"
wait_state warm 0 running
[ "$(inst status_text warm 0)" = "going away" ] || fail "status_text is '$(inst status_text warm 0)'"

# both: READY=1 was sent, but the probe fails: running until it passes;
# then the probe alone moves it.
wait_for "both's READY=1" grep -q "service both/0: READY=1; the probes are yet to pass" "$TMP/droverd.log"
sleep 0.5
inst_is both 0 running || fail "both is $(inst state both 0) with its probe failing"
touch "$TMP/probe-ok"
wait_state both 0 ready
rm "$TMP/probe-ok"
wait_state both 0 running
touch "$TMP/probe-ok"
wait_state both 0 ready

# mute never says anything: still running, never restarted.
inst_is mute 0 running || fail "mute is $(inst state mute 0)"
[ "$(inst restarts mute 0)" = 0 ] || fail "mute was restarted"
[ -z "$(inst status_text mute 0)" ] || fail "mute has a status_text"

# A restart clears what the last process said.
rm -f "$TMP"/go-warm*	# (the old process no longer looks)
ctl restart warm >/dev/null || fail "restart warm failed"
wait_for "a new warm process" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status warm | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"pid\"])')\" != $pid ]"
wait_state warm 0 running
[ -z "$(inst status_text warm 0)" ] || fail "status_text survived a restart: $(inst status_text warm 0)"
touch "$TMP/go-warm"
wait_state warm 0 ready
pass
