#!/bin/bash
# restart.limit: past `burst` restarts within `interval`, action fail puts
# the instance in `failed` (a warning in the agent's log, last_error says
# why) until `droverctl start`; action slow puts it in `crashloop` and
# keeps retrying at backoff.max until a start stays up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

# Each crashes until its file exists.
script lim "[ -e $TMP/lim.ok ] && exec sleep 100000; exit 1"
script slow "[ -e $TMP/slow.ok ] && exec sleep 100000; exit 1"
service lim "[\"$TMP/lim\"]" \
	'restart: {backoff: {initial: 0s, max: 1s}, limit: {burst: 3, interval: 1m, action: fail}}'
service slow "[\"$TMP/slow\"]" \
	'restart: {backoff: {initial: 0s, max: 1s}, limit: {burst: 2, interval: 1m, action: slow}}'
start_droverd

# --- action: fail
wait_state lim 0 failed
[ "$(inst last_error lim 0)" = "restart limit hit: 3 restarts within 60s" ] ||
	fail "lim: last_error '$(inst last_error lim 0)'"
[ "$(inst restarts lim 0)" = 3 ] || fail "lim: restarts $(inst restarts lim 0), want 3"
[ "$(inst pid lim 0)" = 0 ] || fail "lim: failed with a pid"
grep -E "drover-agent\[[0-9]+\]: warn: service lim/0: ready -> failed \(pid [0-9]+ exit status 1; restart limit hit: 3 restarts within 60s\)" \
	"$TMP/droverd.log" >/dev/null || fail "lim: no warning line for the limit: $(transitions lim/0 | tail -n 2)"
ctl status lim | grep -E 'lim/0 +- +failed .*restart limit hit' >/dev/null ||
	fail "lim: status table: $(ctl status lim)"
# It stays failed: nothing starts it again by itself.
sleep 1.5
inst_is lim 0 failed || fail "lim: left failed, now $(inst state lim 0)"
[ "$(count_to lim/0 starting)" = 4 ] || fail "lim: started $(count_to lim/0 starting) times, want 4"
# start clears it.
touch "$TMP/lim.ok"
ctl start lim >/dev/null || fail "start lim failed"
wait_for "lim ready after start" all_ready lim 1
[ -z "$(inst last_error lim 0)" ] || fail "lim: last_error kept after start: $(inst last_error lim 0)"
state_seq lim/0 | grep -qx 'failed->starting' || fail "lim: no failed->starting"

# --- action: slow
wait_state slow 0 crashloop
[ "$(inst last_error slow 0)" = "restart limit hit: 2 restarts within 60s" ] ||
	fail "slow: last_error '$(inst last_error slow 0)'"
status_json | python3 -c '
import json, sys
i = [s for s in json.load(sys.stdin)["services"] if s["name"] == "slow"][0]["instances"][0]
sys.exit(0 if i["state"] != "crashloop" or 0 < i["next_start_ms"] <= 1000 else 1)' ||
	fail "slow: next_start_ms not within (0, 1000] in crashloop"
WAIT_SECS=30 wait_for "3 slow retries" bash -c "[ \$(grep -F 'service slow/0: ' $TMP/droverd.log | grep -c -- '-> crashloop') -ge 3 ]"
# Every retry after the limit waits backoff.max, and it never goes fast
# again: after the first crashloop, only the crashloop cycle.
delays slow/0 | while read -r d; do
	[ "$d" = 1000 ] || fail "slow: announced delay ${d}ms, want 1000"
done || exit 1
gaps slow/0 | while read -r want took; do
	[ "$took" -ge 980 ] || fail "slow: retried after ${took}ms, want >= 1000"
done || exit 1
bad=$(state_seq slow/0 | sed -n '/->crashloop/,$p' |
	grep -vxE 'ready->crashloop|crashloop->starting|starting->running|running->ready')
[ -z "$bad" ] || fail "slow: left the crash loop: $bad"
[ "$(count_to slow/0 starting)" -ge 5 ] || fail "slow: too few starts"
# Fixed, it comes up on the next retry and stays.
touch "$TMP/slow.ok"
WAIT_SECS=10 wait_for "slow ready after its fix" all_ready slow 1
p=$(inst pid slow 0)
sleep 1.5
[ "$(inst pid slow 0)" = "$p" ] && inst_is slow 0 ready || fail "slow: did not stay up"
pass
