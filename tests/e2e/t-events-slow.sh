#!/bin/bash
# Slow event stream clients: four clients that never read while an
# instance restarts with no delay (thousands of events) cost droverd at
# most its bound each, fall out of the event ring and are dropped (their
# connection ends, drover_event_streams_dropped_total counts them), while
# a client that reads keeps every event. droverd's RSS stays within a
# generous bound: 20,000 events held for each of four clients would be
# some 25 MB more.
#
# Under ASan the freed-memory quarantine would grow the RSS by design, so
# droverd gets a small one for this test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
export PYTHONPATH=$DROVER_SRC/tests/e2e
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

N=${SLOW_EVENTS:-20000}
write_manifest calm 'instances: 1'
start_droverd
wait_for "calm ready" all_ready calm 1

metric() {
	curl -sf --unix-socket "$DROVER_SOCKET" http://drover/metrics |
		awk -v m="$1" '$1 == m { print $2 }'
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DROVERD_PID/status"; }

# Warm up: the ring fills once, so that its memory is in the baseline.
service churn '["/bin/true"]' \
	'restart: {policy: always, backoff: {initial: 0s}, limit: {burst: 10000, interval: 1s}}'
ctl apply -f "$MAN/churn.yaml" >/dev/null || fail "apply churn failed"
wait_for "a full ring" bash -c "[ \"\$(curl -sf --unix-socket $DROVER_SOCKET http://drover/metrics | awk '\$1 == \"drover_events_total\" { print \$2 }')\" -ge 3000 ]"
ctl stop churn >/dev/null || fail "stop churn failed"
wait_state churn 0 exited
rss0=$(rss_kb)
start=$(metric drover_events_total)
log "baseline: RSS ${rss0} kB, $start events"

python3 - "$DROVER_SOCKET" "$N" "$DROVER_BIN/droverctl" <<'PY' || fail "slow clients were not dropped, or the reader missed events"
import socket, subprocess, sys, time
from sse import Stream, get_json
sock, n, ctl = sys.argv[1], int(sys.argv[2]), sys.argv[3]
start = get_json("/api/v1/events?follow=0", unix=sock)[1]["events"][-1]["id"]

def metric(name):
    c = __import__("sse").connection(unix=sock)
    c.request("GET", "/metrics")
    for line in c.getresponse().read().decode().splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))

# Four clients that ask for the stream and never read a byte.
slow = []
for _ in range(4):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(sock)
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: drover\r\n"
              b"Accept: text/event-stream\r\n\r\n")
    slow.append(s)
deadline = time.monotonic() + 20
while metric("drover_event_streams") < 4:
    assert time.monotonic() < deadline, "the slow clients were not taken"
    time.sleep(0.05)

# One client that reads everything.
reader = Stream(unix=sock)
assert reader.status == 200
subprocess.run([ctl, "start", "churn"], check=True, stdout=subprocess.DEVNULL)
ids = []
for e in reader.events(until=lambda e: e["id"] >= start + n, timeout=600):
    ids.append(e["id"])
subprocess.run([ctl, "stop", "churn"], check=True, stdout=subprocess.DEVNULL)
assert ids == list(range(ids[0], ids[0] + len(ids))), "the reader missed events"
assert metric("drover_event_streams_dropped_total") >= 4, \
    metric("drover_event_streams_dropped_total")

# Each slow client's connection was closed: after what was sent, EOF.
for s in slow:
    s.settimeout(20)
    got = 0
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        got += len(b)
    assert got < 4 * 1024 * 1024, got   # at most its bound and the socket's
    s.close()
assert metric("drover_event_streams") == 1
reader.close()
PY

rss1=$(rss_kb)
log "after $N events with 4 stuck clients: RSS ${rss1} kB"
[ "$rss1" -le $((rss0 + 12 * 1024)) ] ||
	fail "droverd's RSS grew from ${rss0} kB to ${rss1} kB with stuck clients"
grep -q "dropping a client" "$TMP/droverd.log" || fail "droverd did not log the drops"
ctl status >/dev/null || fail "droverd does not answer after the drops"
pass
