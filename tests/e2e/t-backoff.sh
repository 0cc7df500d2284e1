#!/bin/bash
# restart.backoff: the delay starts at `initial`, grows by `multiplier`
# per consecutive crash, stops at `max`, and returns to `initial` once a
# start stayed up for `reset_after`; `jitter` spreads it. The announced
# delays are exact (jitter 0); the measured ones are at least that, with
# a generous upper bound. In backoff, status shows the time left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

# Runs 1-4 and 6 crash at once; run 5 stays up 2 s (> reset_after) and
# then crashes; from run 7 on it stays up.
script grow "n=\$(cat $TMP/runs 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > $TMP/runs
[ \$n -eq 5 ] && sleep 2 && exit 1
[ \$n -ge 7 ] && exec sleep 100000
exit 1"
service grow "[\"$TMP/grow\"]" \
	'restart: {backoff: {initial: 200ms, multiplier: 3, max: 1s, jitter: 0, reset_after: 1s}, limit: {burst: 100}}'
service jit '["/bin/sh", "-c", "exit 1"]' \
	'restart: {backoff: {initial: 100ms, multiplier: 1, max: 10s, jitter: 0.5}, limit: {burst: 1000}}'
start_droverd

# While it waits 1 s, the table counts down and the JSON says how long.
table_shows_backoff() { ctl status grow | grep -E 'grow/0 +- +backoff \([0-9]+\.[0-9]s\)'; }
wait_for "status table showing backoff (N.Ns)" table_shows_backoff
json_backoff() {
	status_json | python3 -c '
import json, sys, time
for s in json.load(sys.stdin)["services"]:
    if s["name"] == "grow":
        i = s["instances"][0]
        ok = i["state"] == "backoff" and i["pid"] == 0 and 0 < i["next_start_ms"] <= 1000 \
            and 0 < i["next_start"] - time.time() * 1000 <= 1000 + 500
        sys.exit(0 if ok else 1)
sys.exit(1)'
}
wait_for "status JSON in backoff with 0 < next_start_ms <= 1000" json_backoff

WAIT_SECS=60 wait_for "grow to stay up (run 7)" bash -c "[ \"\$(cat $TMP/runs 2>/dev/null)\" = 7 ]"
wait_state grow 0 ready

got=$(delays grow/0 | tr '\n' ' ')
[ "$got" = "200 600 1000 1000 200 600 " ] ||
	fail "announced delays: got '$got', want '200 600 1000 1000 200 600 ' (grow x3, cap 1s, reset after a 2 s run)"
# Each wait lasted at least its delay, and not absurdly longer.
gaps grow/0 | while read -r want took; do
	[ "$took" -ge $((want - 20)) ] || fail "waited ${took}ms for a ${want}ms backoff"
	[ "$took" -le $((want + 5000)) ] || fail "waited ${took}ms for a ${want}ms backoff"
done || exit 1
[ "$(gaps grow/0 | wc -l)" = 6 ] || fail "expected 6 measured waits: $(gaps grow/0)"
# The sequence of states of one crash: ready -> backoff -> starting.
seq=$(state_seq grow/0 | tr '\n' ' ')
case "$seq" in
"pending->starting starting->running running->ready ready->backoff backoff->starting starting->running running->ready ready->backoff "*) ;;
*) fail "state sequence: $seq" ;;
esac
[ "$(count_to grow/0 backoff)" = 6 ] || fail "expected 6 backoffs: $seq"
[ "$(inst restarts grow 0)" = 6 ] || fail "restarts $(inst restarts grow 0), want 6"

# jitter 0.5 around a constant 100ms: within [50, 150], and not constant.
WAIT_SECS=30 wait_for "8 jittered delays" bash -c "[ \$(grep -F 'service jit/0: ' $TMP/droverd.log | grep -c 'next start in') -ge 8 ]"
d=$(delays jit/0 | head -n 8)
for x in $d; do
	[ "$x" -ge 50 ] && [ "$x" -le 150 ] || fail "jittered delay ${x}ms outside [50, 150]: $(echo $d)"
done
[ "$(echo "$d" | sort -u | wc -l)" -gt 1 ] || fail "jitter 0.5 gave 8 equal delays: $(echo $d)"
pass
