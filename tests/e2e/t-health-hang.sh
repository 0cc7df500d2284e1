#!/bin/bash
# A probe that hangs past its timeout is abandoned and counts as a
# failure, and nothing else waits for it: with 100 instances whose http
# checks hang on a server that accepts and never answers, `droverctl
# status` still answers at once, and a crash of another service is
# still restarted at once. An exec probe that hangs is killed (its
# process group) at the timeout: such processes do not pile up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
. "$(dirname "$0")/lib-health.sh"

n=100
base=$(free_ports $n) || skip "no $n free ports"
echo hang > "$TMP/control"
health_server "$base" $n
service hung '["/bin/sleep", "100000"]' "instances: $n" "ports: {base: $base}" \
	'health: {readiness: {http: {port: "${PORT}", path: /healthz}, interval: 1s, timeout: 300ms, unhealthy_threshold: 1}}'
script slowcheck 'echo checking; exec sleep 1000'
service slow '["/bin/sleep", "100000"]' \
	"health: {liveness: {exec: {command: [\"$TMP/slowcheck\"]}, interval: 500ms, timeout: 200ms, unhealthy_threshold: 2, on_unhealthy: none}}"
service other '["/bin/sleep", "100000"]' 'restart: {backoff: {initial: 0s}}'
start_droverd

all_timed_out() {
	status_json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == "hung":
        ok = [i for i in s["instances"] if i["health"] == "failing"
              and i["health_last"]["message"] == "http timeout"
              and i["health_last"]["duration_ms"] >= 300]
        sys.exit(0 if len(ok) == int(sys.argv[1]) else 1)
sys.exit(1)' "$n"
}
WAIT_SECS=60 wait_for "$n http checks timed out" all_timed_out
[ "$(inst state hung 7)" = running ] || fail "hung/7 is $(inst state hung 7)"

# The loop answers while the checks keep hanging: every status call is
# quick (generous bound: 2 s; it takes milliseconds).
slowest=0
for i in $(seq 20); do
	t0=$(date +%s%N)
	ctl status >/dev/null || fail "status failed"
	t=$((($(date +%s%N) - t0) / 1000000))
	[ "$t" -gt "$slowest" ] && slowest=$t
	sleep 0.1
done
log "slowest of 20 status calls while $n checks hang: ${slowest}ms"
[ "$slowest" -lt 2000 ] || fail "droverctl status took ${slowest}ms while checks hang"

# Supervision goes on: a killed instance of another service is back at once.
old=$(inst pid other 0)
t0=$(date +%s%N)
kill -9 "$old"
wait_for "other/0 restarted" bash -c "p=\$(\"$DROVER_BIN/droverctl\" -o json status other | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"pid\"])'); [ \"\$p\" != 0 ] && [ \"\$p\" != $old ]"
t=$((($(date +%s%N) - t0) / 1000000))
log "other/0 restarted ${t}ms after its kill"
[ "$t" -lt 3000 ] || fail "a crash took ${t}ms to restart while checks hang"

# The exec probe: timed out, killed, counted.
wait_for "slow/0 failing" health_is slow 0 failing
[ "$(hjson slow 0 'i["health_last"]["message"]')" = "exec timeout" ] ||
	fail "slow/0 health_last: $(hjson slow 0 'i["health_last"]')"
sleep 2
left=$(for p in $(marked_pids); do cat /proc/$p/cmdline 2>/dev/null | tr '\0' ' '; echo; done | grep -c '^sleep 1000 $')
[ "$left" -le 1 ] || fail "$left hung exec probes are still running"
[ "$(inst state slow 0)" = ready ] || fail "slow/0 is $(inst state slow 0)"
pass
