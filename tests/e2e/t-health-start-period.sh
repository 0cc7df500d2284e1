#!/bin/bash
# start_period: failures within it of the process start do not count.
# Against a server that always answers 503, `sp` (start_period 2s) is
# checked from the start (the server sees the requests) but logs its
# first counted failure only once 2 s have passed, and is restarted for
# liveness only after start_period + unhealthy_threshold checks; `nosp`,
# the same without start_period, is restarted well before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
. "$(dirname "$0")/lib-health.sh"

base=$(free_ports 2) || skip "no free ports"
echo 503 > "$TMP/control"
health_server "$base" 2 --hits "$TMP/hits"
probe='http: {port: "${PORT}", path: /healthz}, interval: 200ms, timeout: 150ms, unhealthy_threshold: 2'
service sp '["/bin/sleep", "100000"]' "ports: {base: $base}" \
	"health: {liveness: {$probe, start_period: 2s}}" 'restart: {backoff: {initial: 30s, max: 30s}}'
service nosp '["/bin/sleep", "100000"]' "ports: {base: $((base + 1))}" \
	"health: {liveness: {$probe}}" 'restart: {backoff: {initial: 30s, max: 30s}}'
start_droverd
WAIT_SECS=30 wait_state sp 0 backoff
wait_state nosp 0 backoff

# ms from the instance's "-> running" to its first line matching $2
after_start() {
	local t0 t1
	t0=$(log_ms "$(transitions "$1" | grep -F -- '-> running (pid' | head -n1)")
	t1=$(log_ms "$(transitions "$1" | grep -E -- "$2" | head -n1)")
	echo $((t1 - t0))
}
first=$(after_start sp/0 'liveness check failed \(1 in a row\)')
stop=$(after_start sp/0 '-> stopping')
[ "$first" -ge 1950 ] || fail "sp/0 counted a failure ${first}ms after its start, within start_period 2s"
[ "$first" -le 6000 ] || fail "sp/0 counted its first failure only after ${first}ms"
[ "$stop" -ge $((first + 150)) ] || fail "sp/0 stopped ${stop}ms after start, first failure at ${first}ms"
[ "$stop" -le 8000 ] || fail "sp/0 stopped only ${stop}ms after start"
# It was checked (and failed) within the start period all the same.
t0=$(log_ms "$(transitions sp/0 | grep -F -- '-> running (pid' | head -n1)")
early=$(awk -v p="$base" -v t="$t0" '$1 == p && $2 * 1000 < t + 1900' "$TMP/hits" | wc -l)
[ "$early" -ge 5 ] || fail "sp/0 was checked $early times in its start period, want >= 5"
case "$(inst last_error sp 0)" in
"liveness failing: http 503 after "*) ;;
*) fail "sp/0 last_error: $(inst last_error sp 0)" ;;
esac

nstop=$(after_start nosp/0 '-> stopping')
log "sp/0: first counted failure ${first}ms, stopped ${stop}ms after its start; nosp/0 stopped after ${nstop}ms"
[ "$nstop" -lt 1900 ] || fail "nosp/0 (no start_period) stopped only ${nstop}ms after start"
pass
