#!/bin/bash
# health-cpu.sh — what health checks cost the agent: N instances (1000
# by default), each with an http check every second against its own
# port of one health_server.py, and the agent's CPU (utime + stime from
# /proc/<pid>/stat) over SECS seconds (30) once they all pass. Prints the
# agent's share of one core and its RSS, and the server's share.
# KEEP_ALIVE=1: the server keeps connections open (an HTTP/1.1 server's
# default), so checks reuse them; otherwise it closes each one and every
# check makes a new TCP connection.
#
#   DROVER_BIN=build-opt [KEEP_ALIVE=1] bash tests/bench/health-cpu.sh [N] [SECS]
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/lib-supervise.sh"

n=${1:-1000}
secs=${2:-30}
base=$((10000 + RANDOM % 21000))	# below the ephemeral ports
echo 200 > "$TMP/control"
python3 "$DROVER_SRC/tests/e2e/health_server.py" --ports "$base-$((base + n - 1))" \
	--control "$TMP/control" --ready "$TMP/server" ${KEEP_ALIVE:+--keep-alive} &
disown
wait_for "the health server" test -s "$TMP/server"
server=$(cat "$TMP/server")
service fleet '["/bin/sleep", "100000"]' "instances: $n" "ports: {base: $base}" \
	'health: {http: {port: "${PORT}", path: /healthz}, interval: 1s, timeout: 500ms}'
start_droverd
WAIT_SECS=120 wait_for "$n instances ready and passing" bash -c "
	\"$DROVER_BIN/droverctl\" -o json status fleet | python3 -c '
import json, sys
s = json.load(sys.stdin)[\"services\"][0]
ok = [i for i in s[\"instances\"] if i[\"state\"] == \"ready\" and i[\"health\"] == \"passing\"]
sys.exit(0 if len(ok) == $n else 1)'"
agent=$(agent_pid) || fail "no agent"
sleep 2		# past the first checks' reports

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
a0=$(ticks "$agent"); s0=$(ticks "$server"); t0=$(date +%s.%N)
sleep "$secs"
a1=$(ticks "$agent"); s1=$(ticks "$server"); t1=$(date +%s.%N)
python3 - "$a0" "$a1" "$s0" "$s1" "$t0" "$t1" "$hz" "$n" <<'PY'
import sys
a0, a1, s0, s1 = (int(x) for x in sys.argv[1:5])
t0, t1 = float(sys.argv[5]), float(sys.argv[6])
hz, n = int(sys.argv[7]), int(sys.argv[8])
wall = t1 - t0
print("instances %d, http check every 1s each, %.1f s measured" % (n, wall))
print("agent:  %.2f%% of one core (%d ticks)" % (100.0 * (a1 - a0) / hz / wall, a1 - a0))
print("server: %.2f%% of one core" % (100.0 * (s1 - s0) / hz / wall))
PY
grep -c "health passing -> failing" "$TMP/droverd.log" | sed 's/^/health failures during the run: /'
awk '/^VmRSS/ {print "agent RSS: " $2 " kB"}' "/proc/$agent/status"
pass
