#!/bin/bash
# Health thresholds, on an http readiness probe against a server whose
# answer the test flips: unknown -> passing after exactly
# healthy_threshold passes; passing -> failing after exactly
# unhealthy_threshold failures, each one logged on the way
# ("readiness check failed (N in a row)") and the transition in one shape,
# `service hc/0: health passing -> failing (http 503 after N ms)`;
# failing -> passing after exactly healthy_threshold passes. Readiness
# follows (ready <-> running) on the same process. The status JSON carries
# health_failures, health_last and the last results; the table shows
# "failing (3): http 503".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
. "$(dirname "$0")/lib-health.sh"

base=$(free_ports 1) || skip "no free port"
health_server "$base" 1
service hc '["/bin/sleep", "100000"]' "ports: {base: $base}" \
	'health:' \
	'  readiness:' \
	'    http: {port: "${PORT}", path: /healthz, body: ok}' \
	'    interval: 200ms' \
	'    timeout: 150ms' \
	'    healthy_threshold: 2' \
	'    unhealthy_threshold: 3'
start_droverd

wait_for "hc/0 passing" health_is hc 0 passing
wait_state hc 0 ready
pid=$(inst pid hc 0)
# Two passes made it pass: the report of the transition holds just them.
got=$(hjson hc 0 '[(r["ok"], r["kind"], r["type"], r["message"]) for r in i["health_results"]]')
[ "$got" = '[[true, "readiness", "http", "http 200"], [true, "readiness", "http", "http 200"]]' ] ||
	fail "results when it became passing: $got"
[ "$(health_seq hc/0 | tr '\n' ' ')" = "unknown->passing " ] ||
	fail "health transitions: $(health_seq hc/0)"
[ "$(state_seq hc/0 | tr '\n' ' ')" = "pending->starting starting->running running->ready " ] ||
	fail "states: $(state_seq hc/0)"

answer all 503
wait_for "hc/0 failing" health_is hc 0 failing
line=$(transitions hc/0 | grep -F 'health passing -> failing')
echo "$line" | grep -Eq 'service hc/0: health passing -> failing \(http 503 after [0-9]+ ms\)$' ||
	fail "transition line: $line"
# Exactly 3: two failures logged on the way, the third is the transition.
fails=$(transitions hc/0 | sed -n 's/.*readiness check failed (\([0-9]*\) in a row): http 503 after [0-9]* ms$/\1/p' | tr '\n' ' ')
[ "$fails" = "1 2 " ] || fail "failures before the transition: '$fails', want '1 2 '"
[ "$(inst health_failures hc 0)" = 3 ] || fail "health_failures $(inst health_failures hc 0), want 3"
last=$(hjson hc 0 '[i["health_last"][k] for k in ("ok", "kind", "type", "message")]')
[ "$last" = '[false, "readiness", "http", "http 503"]' ] || fail "health_last: $last"
hjson hc 0 'i["health_last"]["duration_ms"] >= 0 and i["health_last"]["time"] > 1.7e12' | grep -qx true ||
	fail "health_last duration/time: $(hjson hc 0 'i["health_last"]')"
wait_state hc 0 running
[ "$(inst pid hc 0)" = "$pid" ] || fail "readiness failing replaced the process"
ctl status hc | grep -E "hc/0 +$pid +running +failing \(3\): http 503 " >/dev/null ||
	fail "status table: $(ctl status hc)"

answer all 200
wait_for "hc/0 passing again" health_is hc 0 passing
# Exactly 2 passes after the failures.
got=$(hjson hc 0 '[r["ok"] for r in i["health_results"]][-3:]')
[ "$got" = '[false, true, true]' ] || fail "results when it passed again: $got (want a failure, then 2 passes)"
[ "$(hjson hc 0 'len(i["health_results"])')" = 5 ] || fail "the ring keeps 5 results: $(hjson hc 0 'i["health_results"]')"
wait_state hc 0 ready
[ "$(inst pid hc 0)" = "$pid" ] || fail "the process changed"
[ "$(inst restarts hc 0)" = 0 ] || fail "restarts $(inst restarts hc 0)"
[ "$(inst health_failures hc 0)" = 0 ] || fail "health_failures $(inst health_failures hc 0), want 0"
[ "$(health_seq hc/0 | tr '\n' ' ')" = "unknown->passing passing->failing failing->passing " ] ||
	fail "health transitions: $(health_seq hc/0)"
transitions hc/0 | grep -Eq 'service hc/0: running -> ready \(readiness passing: http 200 after [0-9]+ ms\)$' ||
	fail "no ready line naming the probe: $(transitions hc/0)"
ctl status hc | grep -E "hc/0 +$pid +ready +passing +0 " >/dev/null || fail "status table: $(ctl status hc)"
pass
