#!/bin/bash
# Probe settings are live: a new revision that changes only them is
# applied to the running process (same pid) and its checks follow the new
# settings at once; with the readiness probe removed, a running instance
# is ready again and its health "none".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
. "$(dirname "$0")/lib-health.sh"

base=$(free_ports 1) || skip "no free port"
health_server "$base" 1
svc() {
	service lv '["/bin/sleep", "100000"]' "ports: {base: $base}" "$@"
}
svc "health: {readiness: {http: {port: \"\${PORT}\", path: /a}, interval: 200ms, timeout: 150ms, unhealthy_threshold: 4}}"
start_droverd
wait_for "lv passing" health_is lv 0 passing
wait_state lv 0 ready
pid=$(inst pid lv 0)

# Only the threshold changes (and the path): live, same process, and the
# new threshold is the one in force.
svc "health: {readiness: {http: {port: \"\${PORT}\", path: /b}, interval: 200ms, timeout: 150ms, unhealthy_threshold: 1}}"
out=$(ctl apply -f "$MAN/lv.yaml") || fail "apply: $out"
wait_for "the live change" grep -q "service lv/0: revision .* applied live" "$TMP/droverd.log"
answer all 503
wait_state lv 0 running
[ "$(inst pid lv 0)" = "$pid" ] || fail "a live change of the probe replaced the process"
! transitions lv/0 | grep -q 'readiness check failed (1 in a row)' ||
	fail "the old threshold (4) is still in force: $(transitions lv/0)"
[ "$(inst health_failures lv 0)" = 1 ] || fail "health_failures $(inst health_failures lv 0), want 1"

# No probe any more: ready, health none, same process.
svc
out=$(ctl apply -f "$MAN/lv.yaml") || fail "apply: $out"
wait_state lv 0 ready
wait_for "lv health none" health_is lv 0 none
[ "$(inst pid lv 0)" = "$pid" ] || fail "removing the probe replaced the process"
transitions lv/0 | grep -Eq 'service lv/0: running -> ready \(no readiness probe any more\)$' ||
	fail "no ready line: $(transitions lv/0)"
# and back: a probe again, checking at once, on the same process
svc "health: {readiness: {tcp: {port: \"\${PORT}\"}, interval: 200ms, timeout: 150ms}}"
out=$(ctl apply -f "$MAN/lv.yaml") || fail "apply: $out"
wait_for "lv passing on tcp" health_is lv 0 passing
[ "$(hjson lv 0 'i["health_last"]["type"]')" = tcp ] || fail "health_last: $(hjson lv 0 'i["health_last"]')"
[ "$(inst pid lv 0)" = "$pid" ] || fail "adding a probe replaced the process"
[ "$(inst state lv 0)" = ready ] || fail "lv/0 is $(inst state lv 0)"
pass
