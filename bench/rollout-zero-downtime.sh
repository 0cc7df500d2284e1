#!/bin/bash
# Zero downtime, measured: a rolling redeploy of a 4-instance HTTP service
# that shares one listen socket and says READY=1, under continuous load
# from wrk. Prints requests, failed requests (socket errors and non-2xx)
# and latency percentiles for a steady-state run and for a run during
# which the service is rolled out to a new revision.
#
# usage: bench/rollout-zero-downtime.sh [BUILD_DIR]   (default: build)
#   DURATION   seconds of the steady-state run (default 10)
#   CONNS      wrk connections (default 32)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:-$here/../build}" && pwd)
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
PORT=${PORT:-18391}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/drover-bench.XXXXXX)
export DROVER_SOCKET=$tmp/run/droverd.sock
ctl() { "$bin/droverctl" "$@"; }
cleanup() {
	ctl shutdown --all >/dev/null 2>&1 || true
	sleep 0.5
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/manifests"

manifest() {	# manifest V
	cat > "$tmp/manifests/web.yaml" <<EOM
name: web
command: ["python3", "$here/http-service.py"]
env: {V: "$1"}
instances: 4
listen:
  - {name: http, address: "127.0.0.1:$PORT"}
readiness: {notify: true}
stop: {timeout: 10s}
deploy: {max_surge: 1, max_unavailable: 0, min_healthy_time: 1s}
EOM
}

manifest 1
"$bin/droverd" --manifests "$tmp/manifests" --run-dir "$tmp/run" \
	--state-dir "$tmp/state" --listen none
for _ in $(seq 1 200); do
	n=$(ctl -o json status web 2>/dev/null | python3 -c 'import json,sys; print(sum(i["state"]=="ready" for i in json.load(sys.stdin)["services"][0]["instances"]))' 2>/dev/null || echo 0)
	[ "$n" = 4 ] && break
	sleep 0.1
done
[ "$n" = 4 ] || { echo "web did not become ready" >&2; exit 1; }

# wrk's summary as one line: requests errors p50 p99 (ms)
run_wrk() {	# run_wrk SECONDS OUT
	wrk -t2 -c"$CONNS" -d"${1}s" --latency "http://127.0.0.1:$PORT/" > "$2" 2>&1
}
summarize() {	# summarize LABEL FILE
	python3 - "$@" <<'PY'
import re, sys
label, path = sys.argv[1], sys.argv[2]
t = open(path).read()
req = int(re.search(r"(\d+) requests in", t).group(1))
errs = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
non2xx = int(non2xx.group(1)) if non2xx else 0
def pct(p):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, t)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)
print("%-22s requests %7d  req/s %8s  failed %d (socket errors %d, non-2xx %d)  p50 %.2f ms  p99 %.2f ms"
      % (label, req, rps, errs + non2xx, errs, non2xx, pct(50), pct(99)))
PY
}

run_wrk "$DURATION" "$tmp/steady.txt"
summarize "steady state" "$tmp/steady.txt"

# the rollout: wrk runs from before the apply to after the last old
# instance is gone
manifest 2
run_wrk $((DURATION + 20)) "$tmp/rollout.txt" &
wrk_pid=$!
sleep 2
start=$(date +%s.%N)
ctl apply -f "$tmp/manifests/web.yaml" >/dev/null
ctl rollout status --watch web >/dev/null || { echo "the rollout failed" >&2; exit 1; }
end=$(date +%s.%N)
wait "$wrk_pid"
summarize "during the rollout" "$tmp/rollout.txt"
python3 -c "print('rollout of 4 instances took %.1f s (min_healthy_time 1s each); wrk ran %d s around it' % ($end - $start, $DURATION + 20))"
new=$(ctl -o json status web | python3 -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin)["services"][0]["instances"] if i["state"]=="ready"))')
echo "ready instances after the rollout: $new"
