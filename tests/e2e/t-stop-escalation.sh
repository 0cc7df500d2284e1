#!/bin/bash
# Stopping: stop.signal goes to the instance's process group; a process
# that ignores it gets SIGKILL (the whole group) after stop.timeout; one
# that handles it stops on its own, well before its timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

# Ignores TERM, and so do its children (an ignored signal stays ignored
# across exec).
script deaf "trap '' TERM; sleep 100000 & echo \$! > $TMP/deaf.child; wait; wait"
# Cleans up on TERM (its sleeping child gets TERM with the group).
script polite "trap 'echo bye > $TMP/polite.bye; exit 0' TERM; sleep 100000 & wait"
service deaf "[\"$TMP/deaf\"]" 'stop: {signal: SIGTERM, timeout: 1s}'
service polite "[\"$TMP/polite\"]" 'stop: {signal: SIGTERM, timeout: 60s}'
start_droverd
wait_for "deaf ready" all_ready deaf 1
wait_for "polite ready" all_ready polite 1
wait_for "deaf's child" test -s "$TMP/deaf.child"
deaf=$(inst pid deaf 0); child=$(cat "$TMP/deaf.child")
polite=$(inst pid polite 0)

t0=$(date +%s%N)
ctl stop deaf >/dev/null || fail "stop deaf failed"
wait_state deaf 0 exited
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 900 ] || fail "deaf stopped after ${ms}ms, before its 1s timeout"
[ "$ms" -le 15000 ] || fail "deaf took ${ms}ms to stop with a 1s timeout"
alive "$deaf" && fail "deaf ($deaf) still runs"
wait_exit "$child" 5 || fail "deaf's child $child survived the SIGKILL of the group"
transitions deaf/0 | grep -q "ready -> stopping (pid $deaf, disabled, SIGTERM)" ||
	fail "no stopping line for deaf"
grep -q "warn: service deaf/0: pid $deaf did not stop in time, sending SIGKILL" "$TMP/droverd.log" ||
	fail "no SIGKILL warning for deaf"
transitions deaf/0 | grep -q "stopping -> exited (pid $deaf killed by SIGKILL)" ||
	fail "deaf's exit is not a SIGKILL: $(transitions deaf/0 | tail -n 1)"

t0=$(date +%s%N)
ctl stop polite >/dev/null || fail "stop polite failed"
wait_state polite 0 exited
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -le 10000 ] || fail "polite took ${ms}ms to stop on TERM"
[ "$(cat "$TMP/polite.bye" 2>/dev/null)" = bye ] || fail "polite's TERM handler did not run"
transitions polite/0 | grep -q "stopping -> exited (pid $polite exit status 0)" ||
	fail "polite did not exit by itself: $(transitions polite/0 | tail -n 1)"
grep -q "service polite/0: pid $polite did not stop in time" "$TMP/droverd.log" &&
	fail "polite was sent SIGKILL"
[ "$(inst restarts polite 0)" = 0 ] || fail "a stop counted as a restart"
pass
