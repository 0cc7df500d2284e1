#!/bin/bash
# restart.policy: always restarts any exit; on-failure restarts a non-zero
# exit or a signal, not an exit listed in exit_codes; never restarts
# nothing. An instance left alone by its policy stays `exited`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

quick='backoff: {initial: 50ms, multiplier: 1, jitter: 0}, limit: {burst: 1000}'
service always '["/bin/sh", "-c", "exit 0"]' "restart: {policy: always, $quick}"
service onf-zero '["/bin/sh", "-c", "exit 0"]' "restart: {policy: on-failure, $quick}"
service onf-three '["/bin/sh", "-c", "exit 3"]' "restart: {policy: on-failure, $quick}"
service onf-codes '["/bin/sh", "-c", "exit 3"]' "restart: {policy: on-failure, exit_codes: [0, 3], $quick}"
service onf-signal '["/bin/sleep", "100000"]' "restart: {policy: on-failure, $quick}"
service never '["/bin/sh", "-c", "exit 1"]' "restart: {policy: never, $quick}"
service never-kill '["/bin/sleep", "100000"]' "restart: {policy: never, $quick}"
start_droverd

restarted() { [ "$(inst restarts "$1" 0)" -ge "$2" ]; }

# always: a clean exit is restarted too, again and again.
wait_for "always restarted 3 times" restarted always 3
state_seq always/0 | grep -qx 'ready->backoff' || fail "always: no ready->backoff: $(state_seq always/0)"
transitions always/0 | grep -q 'exit status 0; next start in 50ms' ||
	fail "always: the backoff line does not name the exit"

# on-failure: non-zero exit restarts; so does a signal.
wait_for "onf-three restarted 3 times" restarted onf-three 3
transitions onf-three/0 | grep -q 'exit status 3; next start in 50ms' ||
	fail "onf-three: no backoff after exit status 3"

wait_state onf-signal 0 ready
p=$(inst pid onf-signal 0)
kill -TERM "$p"
wait_for "onf-signal restarted" restarted onf-signal 1
wait_state onf-signal 0 ready
[ "$(inst pid onf-signal 0)" != "$p" ] || fail "onf-signal: same pid after restart"
transitions onf-signal/0 | grep -q "pid $p killed by SIGTERM; next start in 50ms" ||
	fail "onf-signal: the restart does not name the signal"

# Exits the policy accepts: exited, and left alone.
wait_state onf-zero 0 exited
wait_state onf-codes 0 exited
wait_state never 0 exited
wait_state never-kill 0 ready
p=$(inst pid never-kill 0)
kill -KILL "$p"
wait_state never-kill 0 exited
transitions never/0 | grep -q 'ready -> exited (pid [0-9]* exit status 1)' ||
	fail "never: exit not logged: $(transitions never/0)"
transitions never-kill/0 | grep -q "ready -> exited (pid $p killed by SIGKILL)" ||
	fail "never-kill: exit not logged"

# Well past several backoff delays, none of them was started again.
sleep 1
for s in onf-zero onf-codes never never-kill; do
	inst_is "$s" 0 exited || fail "$s: left exited, now $(inst state "$s" 0)"
	[ "$(inst restarts "$s" 0)" = 0 ] || fail "$s: restarts $(inst restarts "$s" 0)"
	[ "$(inst pid "$s" 0)" = 0 ] || fail "$s: has a pid"
	[ "$(count_to "$s/0" starting)" = 1 ] || fail "$s: started $(count_to "$s/0" starting) times"
done
# The table says so too.
ctl status onf-zero | grep -E 'onf-zero/0 +- +exited' >/dev/null ||
	fail "status table: $(ctl status onf-zero)"
pass
