#!/bin/bash
# The probe types and their settings, each instance checked on its own
# port (${PORT}): http status ranges and body, tcp connect, exec with the
# instance's environment and its output kept; a service without probes
# has health "none"; checks of many instances started together are
# spread over the interval.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
. "$(dirname "$0")/lib-health.sh"

base=$(free_ports 4) || skip "no free ports"
closed=$(free_ports 1) || skip "no free port"
kept=$(free_ports 1) || skip "no free port"
health_server "$base" 3
health_server "$kept" 1 --keep-alive --hits "$TMP/kept.hits"
answer $((base + 1)) 503
answer $((base + 2)) 503
fast='interval: 200ms, timeout: 150ms, unhealthy_threshold: 1'
# Instance 0 on a port that answers 200, instance 1 on one that answers 503.
service ports '["/bin/sleep", "100000"]' 'instances: 2' "ports: {base: $base}" \
	"health: {readiness: {http: {port: \"\${PORT}\", path: /healthz}, $fast}}"
service status '["/bin/sleep", "100000"]' \
	"health: {readiness: {http: {port: $((base + 2)), path: /x, status: 500-503}, $fast}}"
service body '["/bin/sleep", "100000"]' \
	"health: {readiness: {http: {port: $base, body: absent}, $fast}}"
service tcp '["/bin/sleep", "100000"]' \
	"health: {readiness: {tcp: {port: $base}, $fast}}"
service tcpno '["/bin/sleep", "100000"]' \
	"health: {readiness: {tcp: {port: $closed, host: localhost}, $fast}}"
script show 'echo "i=$INSTANCE p=$PORT s=$SERVICE m=$MODE"; exit $INSTANCE'
service ex '["/bin/sleep", "100000"]' 'instances: 2' "ports: {base: $((base + 10))}" \
	'env: {MODE: probe}' "health: {liveness: {exec: {command: [\"$TMP/show\"]}, $fast, on_unhealthy: none}}"
service plain '["/bin/sleep", "100000"]'
service keep '["/bin/sleep", "100000"]' \
	"health: {readiness: {http: {port: $kept}, $fast}}"
service spread '["/bin/sleep", "100000"]' 'instances: 20' \
	"health: {readiness: {tcp: {port: $base}, interval: 4s, timeout: 1s}}"
start_droverd

msg() { hjson "$1" "$2" 'i["health_last"]["message"]'; }
wait_for "ports/0 passing" health_is ports 0 passing
wait_for "ports/1 failing" health_is ports 1 failing
[ "$(msg ports 1)" = "http 503" ] || fail "ports/1: $(msg ports 1)"
wait_state ports 0 ready
wait_state ports 1 running

wait_for "status passing on 503" health_is status 0 passing
[ "$(msg status 0)" = "http 503" ] || fail "status/0: $(msg status 0)"

wait_for "body failing" health_is body 0 failing
[ "$(msg body 0)" = 'http 200, body without "absent"' ] || fail "body/0: $(msg body 0)"

wait_for "tcp passing" health_is tcp 0 passing
[ "$(msg tcp 0)" = "tcp connected" ] || fail "tcp/0: $(msg tcp 0)"
wait_for "tcpno failing" health_is tcpno 0 failing
[ "$(msg tcpno 0)" = "tcp connect: Connection refused" ] || fail "tcpno/0: $(msg tcpno 0)"

wait_for "ex/0 passing" health_is ex 0 passing
wait_for "ex/1 failing" health_is ex 1 failing
out=$(hjson ex 1 'repr(i["health_last"]["output"])')
[ "$out" = "'i=1 p=$((base + 11)) s=ex m=probe\\n'" ] || fail "ex/1 output: $out"
[ "$(msg ex 1)" = "exec exit status 1 (\"i=1 p=$((base + 11)) s=ex m=probe\")" ] || fail "ex/1: $(msg ex 1)"
[ "$(inst state ex 1)" = ready ] || fail "ex/1 (liveness only, on_unhealthy none) is $(inst state ex 1)"

[ "$(hjson plain 0 '[i["health"], i["health_failures"], i["health_last"], i["health_results"]]')" = \
	'["none", 0, null, []]' ] || fail "plain/0: $(hjson plain 0 'i')"
ctl status plain | grep -E 'plain/0 +[0-9]+ +ready +none ' >/dev/null || fail "table: $(ctl status plain)"

# A server that keeps the connection open is checked on it: many checks,
# few connections (the server logs requests, ss counts connections).
wait_for "keep passing" health_is keep 0 passing
sleep 2
reqs=$(wc -l < "$TMP/kept.hits")
conns=$(ss -Htn state established "( sport = :$kept )" 2>/dev/null | wc -l)
log "keep/0: $reqs requests, $conns connection(s) open"
[ "$reqs" -ge 5 ] || fail "keep/0: $reqs checks in 2 s"
[ "$conns" = 1 ] || fail "keep/0 holds $conns connections, want the one kept"
# One that then closes connections without answering: the request found
# its kept connection closed, is sent again on a new one, and fails.
answer "$kept" close
wait_for "keep failing" health_is keep 0 failing
[ "$(msg keep 0)" = "http connection closed without an answer" ] || fail "keep/0: $(msg keep 0)"
answer "$kept" 200
wait_for "keep passing again" health_is keep 0 passing

# 20 instances started together: their first checks (the reports that
# made them pass) come at offsets spread over the 4 s interval.
all_spread_reported() {
	status_json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == "spread":
        t = [i["health_last"]["time"] for i in s["instances"] if i["health"] == "passing"]
        if len(t) < 20:
            sys.exit(1)
        print(max(t) - min(t))'
}
WAIT_SECS=30 wait_for "the spread instances passing" all_spread_reported
span=$(all_spread_reported)
log "the first checks of 20 instances spanned ${span}ms of a 4s interval"
[ "$span" -ge 1000 ] || fail "the first checks of 20 instances came within ${span}ms"
pass
