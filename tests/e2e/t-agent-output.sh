#!/bin/bash
# Output written while no worker runs is neither lost nor fatal: a
# service writes numbered lines without pause (enough to fill a 64 KiB
# pipe many times over while the worker is down); the worker is killed
# three times in a row (the keeper backs off longer each time and drains
# the pipe meanwhile). The log then holds every number, in order, once,
# and the writer is the same process: no SIGPIPE, no restart.
. "$(dirname "$0")/lib.sh"

N=300000
cat > "$TMP/writer.py" <<PY
import sys, time
w = sys.stdout.write
i = 0
while i < $N:
    w("".join("%08d\n" % k for k in range(i, min(i + 500, $N))))
    sys.stdout.flush()
    i += 500
    time.sleep(0.005)
time.sleep(100000)
PY
printf 'name: writer\ncommand: ["python3", "%s"]\nlogs: {max_size: 100M}\n' "$TMP/writer.py" > "$MAN/writer.yaml"
start_droverd
wait_for "writer ready" all_ready writer 1
pid=$(inst pid writer 0)
log=$STATE/logs/writer.0.log
wait_for "the first lines" test -s "$log"

for round in 1 2 3; do
	w=$(agent_pid)
	[ "$w" != 0 ] || fail "no worker (round $round)"
	kill -9 "$w"
	wait_for "a new worker (round $round)" other_agent "$w"
done
WAIT_SECS=60 wait_for "all $N lines" bash -c "[ \$(wc -l < '$log') -ge $N ]"
[ "$(inst pid writer 0)" = "$pid" ] || fail "the writer was replaced: $pid -> $(inst pid writer 0)"
alive "$pid" || fail "the writer $pid died"
[ "$(inst restarts writer 0)" = 0 ] || fail "the writer restarted"
python3 - "$log" "$N" <<'PY' || fail "the log is not every line once, in order"
import sys
lines = open(sys.argv[1]).read().split("\n")
n = int(sys.argv[2])
assert lines[-1] == "", "a partial last line"
got = lines[:-1]
for k, l in enumerate(got):
    if l != "%08d" % k:
        sys.exit("line %d is %r" % (k, l))
assert len(got) == n, "%d lines, want %d" % (len(got), n)
PY
grep -q 'keeper: starting a new worker' "$TMP/droverd.log" || fail "the keeper did not restart the worker"
pass
