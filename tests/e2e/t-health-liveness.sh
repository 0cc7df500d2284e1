#!/bin/bash
# Liveness failing restarts the instance, as a crash: the stop is logged
# with the probe's reason, the exit leads to backoff (restart.backoff),
# last_error says why, restarts counts it, and the restart limit applies
# (action fail: failed); with restart policy never it stays exited.
# Readiness failing does not restart: the same process goes running, and
# ready again once the probe passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
. "$(dirname "$0")/lib-health.sh"

base=$(free_ports 4) || skip "no free ports"
health_server "$base" 4
probe='http: {port: "${PORT}", path: /healthz}, interval: 200ms, timeout: 150ms, unhealthy_threshold: 2'
service live '["/bin/sleep", "100000"]' "ports: {base: $base}" \
	"health: {liveness: {$probe}}" \
	'restart: {backoff: {initial: 700ms, jitter: 0}}'
service rdy '["/bin/sleep", "100000"]' "ports: {base: $((base + 1))}" \
	"health: {readiness: {$probe}}"
service lim '["/bin/sleep", "100000"]' "ports: {base: $((base + 2))}" \
	"health: {liveness: {$probe}}" \
	'restart: {backoff: {initial: 50ms, jitter: 0}, limit: {burst: 2, interval: 1m, action: fail}}'
service never '["/bin/sleep", "100000"]' "ports: {base: $((base + 3))}" \
	"health: {$probe}" 'restart: {policy: never}'
start_droverd
for s in live rdy lim never; do
	wait_for "$s ready and passing" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status $s | python3 -c 'import json,sys; i=json.load(sys.stdin)[\"services\"][0][\"instances\"][0]; print(i[\"state\"], i[\"health\"])')\" = 'ready passing' ]"
done
live_pid=$(inst pid live 0)
rdy_pid=$(inst pid rdy 0)

answer all 503
# live: stopped for the probe, then a crash's backoff, then a new process.
wait_for "live/0 restarted" bash -c "p=\$(\"$DROVER_BIN/droverctl\" -o json status live | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"pid\"])'); [ \"\$p\" != 0 ] && [ \"\$p\" != $live_pid ]"
transitions live/0 | grep -Eq "service live/0: ready -> stopping \(pid $live_pid, liveness failing: http 503 after [0-9]+ ms, SIGTERM\)$" ||
	fail "no stop for the liveness probe: $(transitions live/0)"
transitions live/0 | grep -Eq "service live/0: stopping -> backoff \(pid $live_pid killed by SIGTERM; next start in 700ms\)$" ||
	fail "the liveness stop did not lead to backoff: $(transitions live/0)"
case "$(inst last_error live 0)" in
"liveness failing: http 503 after "*" ms") ;;
*) fail "last_error: $(inst last_error live 0)" ;;
esac
[ "$(inst restarts live 0)" -ge 1 ] || fail "restarts $(inst restarts live 0)"

# rdy: the same process, running, failing; never stopped.
wait_for "rdy/0 failing" health_is rdy 0 failing
wait_state rdy 0 running
[ "$(inst pid rdy 0)" = "$rdy_pid" ] || fail "readiness failing replaced rdy/0"
[ "$(inst restarts rdy 0)" = 0 ] || fail "rdy/0 restarts $(inst restarts rdy 0)"
! transitions rdy/0 | grep -q -- '-> stopping' || fail "rdy/0 was stopped: $(transitions rdy/0)"
transitions rdy/0 | grep -Eq 'service rdy/0: ready -> running \(readiness failing: http 503 after [0-9]+ ms\)$' ||
	fail "no running line naming the probe: $(transitions rdy/0)"

# lim: liveness restarts count toward the limit: 2 restarts, then failed.
WAIT_SECS=30 wait_state lim 0 failed
case "$(inst last_error lim 0)" in
"restart limit hit: 2 restarts within 60s") ;;
*) fail "lim/0 last_error: $(inst last_error lim 0)" ;;
esac
[ "$(count_to lim/0 stopping)" = 3 ] || fail "lim/0 stops: $(state_seq lim/0)"

# never: stopped for the probe, and not started again.
wait_state never 0 exited
sleep 1
[ "$(inst state never 0)" = exited ] && [ "$(inst pid never 0)" = 0 ] ||
	fail "never/0 was started again: $(state_seq never/0)"

answer all 200
wait_for "rdy/0 ready again" inst_is rdy 0 ready
[ "$(inst pid rdy 0)" = "$rdy_pid" ] || fail "rdy/0 changed process"
WAIT_SECS=30 wait_for "live/0 ready and passing" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status live | python3 -c 'import json,sys; i=json.load(sys.stdin)[\"services\"][0][\"instances\"][0]; print(i[\"state\"], i[\"health\"])')\" = 'ready passing' ]"
alive "$(inst pid live 0)" || fail "live/0 is not running"
pass
