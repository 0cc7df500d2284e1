# lib-health.sh — helpers for the health-check tests (sourced after lib.sh
# and lib-supervise.sh): the test's own HTTP/TCP server, and the health
# fields of the status JSON.

# free_ports N: a base port with N free ports from it, below the
# ephemeral range (so that no outgoing connection takes one meanwhile).
free_ports() {
	python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(10000, 32000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)
PY
}

# health_server BASE N [ARGS...]: serve HTTP on ports BASE..BASE+N-1, each
# answering what $TMP/control (or $TMP/control.PORT) says: a status
# code, "hang" or "close" (see health_server.py); 200 to begin with.
# Returns once every port listens.
health_server() {
	local base=$1 n=$2
	shift 2
	[ -e "$TMP/control" ] || echo 200 > "$TMP/control"
	rm -f "$TMP/server.ready"
	python3 "$DROVER_SRC/tests/e2e/health_server.py" \
		--ports "$base-$((base + n - 1))" --control "$TMP/control" \
		--ready "$TMP/server.ready" "$@" >>"$TMP/server.log" 2>&1 &
	disown
	wait_for "the health server on $base-$((base + n - 1))" test -s "$TMP/server.ready"
}

# answer PORT|all WHAT: what the server answers on PORT (or every port).
answer() {
	if [ "$1" = all ]; then
		echo "$2" > "$TMP/control"
	else
		echo "$2" > "$TMP/control.$1"
	fi
}

# hjson SVC IDX EXPR: a Python expression over the instance `i` (a dict),
# printed; e.g. hjson api 0 'i["health_last"]["message"]'.
hjson() {
	status_json | python3 -c '
import json, sys
svc, idx = sys.argv[1], int(sys.argv[2])
for s in json.load(sys.stdin)["services"]:
    if s["name"] == svc:
        for i in s["instances"]:
            if i["index"] == idx:
                v = eval(sys.argv[3])
                print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$@"
}

# health_is SVC IDX HEALTH: the instance's health is HEALTH now.
health_is() { [ "$(inst health "$1" "$2")" = "$3" ]; }

# health_seq SVC/IDX: the agent's health transitions, "from->to", in order.
health_seq() {
	transitions "$1" | sed -n 's/.*service [^:]*: health \([a-z]*\) -> \([a-z]*\) .*/\1->\2/p'
}

# log_ms LINE: the unix ms of a log line's timestamp.
log_ms() {
	python3 -c '
import sys
from datetime import datetime, timezone
t = sys.argv[1].split()[0]
print(int(datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000))' "$1"
}
