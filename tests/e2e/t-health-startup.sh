#!/bin/bash
# startup gating: while the startup probe has not passed, liveness and
# readiness do not run (neither their script nor their server sees a
# check), the instance is running and its health unknown; once startup
# passes they run, and readiness makes it ready. A startup probe that
# never passes restarts the instance start_period +
# unhealthy_threshold * interval after its start (here 400ms + 3 * 200ms).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
. "$(dirname "$0")/lib-health.sh"

base=$(free_ports 1) || skip "no free port"
health_server "$base" 1 --hits "$TMP/hits"
script started "[ -e $TMP/go ]"
script live "echo \$INSTANCE >> $TMP/live.hits"
service gated '["/bin/sleep", "100000"]' "ports: {base: $base}" \
	'health:' \
	"  startup: {exec: {command: [\"$TMP/started\"]}, interval: 200ms, timeout: 150ms, unhealthy_threshold: 100}" \
	"  liveness: {exec: {command: [\"$TMP/live\"]}, interval: 200ms, timeout: 150ms}" \
	'  readiness: {http: {port: "${PORT}", path: /ready}, interval: 200ms, timeout: 150ms}'
service never '["/bin/sleep", "100000"]' \
	'health: {startup: {exec: {command: ["/bin/false"]}, interval: 200ms, timeout: 150ms, start_period: 400ms, unhealthy_threshold: 3}}' \
	'restart: {backoff: {initial: 30s, max: 30s}}'
start_droverd

wait_state gated 0 running
pid=$(inst pid gated 0)
# Startup fails meanwhile: its failures are counted and shown.
wait_for "gated/0 with startup failures" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status gated | python3 -c 'import json,sys; i=json.load(sys.stdin)[\"services\"][0][\"instances\"][0]; print(i[\"health_failures\"] >= 3 and i[\"health_last\"][\"kind\"])')\" = startup ]"
sleep 1
[ ! -e "$TMP/live.hits" ] || fail "liveness ran before startup passed"
[ ! -s "$TMP/hits" ] || fail "readiness ran before startup passed: $(cat "$TMP/hits")"
[ "$(inst state gated 0)" = running ] || fail "gated/0 is $(inst state gated 0) before startup passed"
[ "$(inst health gated 0)" = unknown ] || fail "gated/0 health $(inst health gated 0) before startup passed"
kinds=$(hjson gated 0 'sorted({r["kind"] for r in i["health_results"]})')
[ "$kinds" = '["startup"]' ] || fail "results of other kinds before startup passed: $kinds"

touch "$TMP/go"
wait_state gated 0 ready
wait_for "gated/0 passing" health_is gated 0 passing
wait_for "liveness to run" test -s "$TMP/live.hits"
[ -s "$TMP/hits" ] || fail "readiness never reached the server"
[ "$(inst pid gated 0)" = "$pid" ] || fail "gated/0 was restarted"
# Neither ran before startup passed.
t_start=$(log_ms "$(transitions gated/0 | grep -F 'running -> ready' | head -n1)")
first_http=$(awk 'NR == 1 {printf "%.0f", $2 * 1000}' "$TMP/hits")
[ "$first_http" -ge $((t_start - 1000)) ] || fail "a readiness check came long before startup passed"
transitions gated/0 | grep -Eq 'service gated/0: running -> ready \(readiness passing: http 200 after [0-9]+ ms\)$' ||
	fail "ready line: $(transitions gated/0 | grep -F -- '-> ready')"
hjson gated 0 '[r["kind"] for r in i["health_results"]]' | grep -q readiness ||
	fail "no readiness result: $(hjson gated 0 'i["health_results"]')"

# never: restarted at its deadline, 400ms + 3 * 200ms = 1s after start.
WAIT_SECS=20 wait_state never 0 backoff
line=$(transitions never/0 | grep -F -- '-> stopping' | head -n1)
echo "$line" | grep -Eq 'service never/0: running -> stopping \(pid [0-9]+, startup did not pass within 1s, SIGTERM\)$' ||
	fail "stop line: $line"
transitions never/0 | grep -Eq 'service never/0: health unknown -> failing \(startup did not pass within 1s\)$' ||
	fail "no health line for the deadline: $(transitions never/0)"
t0=$(log_ms "$(transitions never/0 | grep -F -- '-> running (pid' | head -n1)")
t1=$(log_ms "$line")
[ $((t1 - t0)) -ge 950 ] && [ $((t1 - t0)) -le 4000 ] ||
	fail "never/0 stopped $((t1 - t0))ms after start, want about 1000"
[ "$(inst last_error never 0)" = "startup did not pass within 1s" ] ||
	fail "never/0 last_error: $(inst last_error never 0)"
log "never/0 stopped $((t1 - t0))ms after its start"
pass
