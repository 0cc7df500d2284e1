#!/bin/bash
# GET /metrics: Prometheus text that promtool accepts, on the socket and
# on TCP without a token; per instance the state (1 for the current one,
# 0 for the others), health and restarts; per service the desired count
# and whether it runs; a valid (empty) histogram of probe durations;
# the agent link; droverd's and the agent's process metrics, read from
# /proc and plausible.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_manifest m 'instances: 2' 'restart: {policy: always, backoff: {initial: 0s}}'
write_manifest idle 'instances: 1'
start_droverd --listen "127.0.0.1:$port"
wait_for "m ready" all_ready m 2
wait_for "idle ready" all_ready idle 1
ctl stop idle >/dev/null || fail "stop idle failed"
wait_state idle 0 exited

old=$(inst pid m 1)
kill -9 "$old"
wait_for "m/1 restarted" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status m | python3 -c 'import json,sys; i=json.load(sys.stdin)[\"services\"][0][\"instances\"][1]; print(i[\"restarts\"], i[\"state\"])')\" = '1 ready' ]"

curl -sf -D "$TMP/headers" --unix-socket "$DROVER_SOCKET" http://drover/metrics > "$TMP/metrics" ||
	fail "GET /metrics on the socket failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/headers" ||
	fail "wrong content type: $(cat "$TMP/headers")"
out=$(promtool check metrics < "$TMP/metrics" 2>&1) || fail "promtool check metrics: $out"
[ -z "$out" ] || fail "promtool has remarks: $out"
curl -sf "http://127.0.0.1:$port/metrics" > "$TMP/metrics-tcp" || fail "GET /metrics over TCP without a token failed"
promtool check metrics < "$TMP/metrics-tcp" >/dev/null 2>&1 || fail "promtool refuses the TCP answer"

agent=$(agent_pid) || fail "no agent process"
python3 - "$TMP/metrics" "$DROVERD_PID" "$agent" <<'PY' || fail "the metrics do not say what they should"
import os, re, sys, time
text, dpid, apid = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
samples = {}
for line in text.splitlines():
    if line.startswith("#") or not line:
        continue
    m = re.fullmatch(r'([a-z_]+)(\{[^}]*\})? (\S+)', line)
    assert m, line
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
    samples[(m.group(1), tuple(sorted(labels.items())))] = float(m.group(3))

def get(name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))

states = ["waiting", "pending", "starting", "running", "ready", "stopping",
          "exited", "backoff", "failed", "crashloop"]
for svc, idx, cur in (("m", "0", "ready"), ("m", "1", "ready"), ("idle", "0", "exited")):
    for st in states:
        v = get("drover_instance_state", service=svc, instance=idx, state=st)
        assert v == (1 if st == cur else 0), (svc, idx, st, v)
    assert get("drover_instance_health", service=svc, instance=idx, health="none") == 1
assert get("drover_instance_restarts_total", service="m", instance="0") == 0
assert get("drover_instance_restarts_total", service="m", instance="1") == 1
assert get("drover_service_instances_desired", service="m") == 2
assert get("drover_service_instances_desired", service="idle") == 1
assert get("drover_service_enabled", service="m") == 1
assert get("drover_service_enabled", service="idle") == 0
assert get("drover_services") == 2
assert get("drover_agent_connected") == 1
assert get("drover_events_total") > 0
for svc in ("m", "idle"):
    assert get("drover_health_check_duration_seconds_bucket", service=svc, le="+Inf") == 0
    assert get("drover_health_check_duration_seconds_count", service=svc) == 0
assert "# TYPE drover_health_check_duration_seconds histogram" in text
assert "# TYPE drover_rollout_progress gauge" in text

now = time.time()
for proc, pid in (("droverd", dpid), ("agent", apid)):
    rss = get("process_resident_memory_bytes", process=proc)
    assert rss and 1 << 20 < rss < 1 << 31, (proc, rss)
    fds = get("process_open_fds", process=proc)
    assert fds and abs(fds - len(os.listdir("/proc/%s/fd" % pid))) <= 3, (proc, fds)
    start = get("process_start_time_seconds", process=proc)
    assert start and now - 3600 < start <= now + 1, (proc, start, now)
    assert get("process_cpu_seconds_total", process=proc) >= 0
    assert get("process_max_fds", process=proc) > 0
PY
pass
