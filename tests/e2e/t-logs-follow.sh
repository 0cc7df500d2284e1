#!/bin/bash
# logs -f: the backlog, then each line as the instance writes it, across
# rotations of the file; without an index, every instance's lines with
# their prefix. SIGINT or SIGTERM ends a follower with exit 0, and droverd
# frees what it held (its fd count comes back).
#
# The service runs whatever shell the test drops into $TMP/say.<index>,
# so the test decides when it prints and what.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

script mark.sh 'echo "started $INSTANCE"
while :; do
	if [ -e "'"$TMP"'/say.$INSTANCE" ]; then
		mv "'"$TMP"'/say.$INSTANCE" "'"$TMP"'/run.$INSTANCE"
		. "'"$TMP"'/run.$INSTANCE"
	fi
	sleep 0.05
done'
service mark "[\"$TMP/mark.sh\"]" 'instances: 2' 'logs: {max_size: 4K, keep: 3}'
start_droverd
wait_for "mark ready" all_ready mark 2

# say INDEX SHELL: make instance INDEX run SHELL.
say() {
	printf '%s\n' "$2" > "$TMP/say.tmp"
	mv "$TMP/say.tmp" "$TMP/say.$1"
}
dfds() { ls "/proc/$DROVERD_PID/fd" | wc -l; }
base=$(dfds)

"$DROVER_BIN/droverctl" logs -f mark/0 > "$TMP/out0" 2> "$TMP/err0" &
f0=$!
wait_for "the backlog" grep -qx "started 0" "$TMP/out0"
say 0 'echo marker-one'
wait_for "marker-one in the follower's output" grep -qx marker-one "$TMP/out0"

# A burst that rotates the file several times; the follower carries on.
say 0 'i=0; while [ $i -lt 300 ]; do echo "burst $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done; echo marker-two'
wait_for "marker-two after rotations" grep -qx marker-two "$TMP/out0"
[ -e "$STATE/logs/mark.0.log.1" ] || fail "the burst did not rotate mark/0's file"
say 0 'echo marker-three'
wait_for "marker-three in the file after the rotation" grep -qx marker-three "$TMP/out0"
python3 - "$TMP/out0" <<'PY' || fail "the follower's lines are out of order"
import sys
lines = open(sys.argv[1]).read().splitlines()
nums = [int(l.split()[1]) for l in lines if l.startswith("burst ")]
assert nums == sorted(nums) and len(set(nums)) == len(nums), nums
order = [lines.index(m) for m in ("marker-one", "marker-two", "marker-three")]
assert order == sorted(order), order
PY
grep -q "mark/" "$TMP/out0" && fail "a follower of mark/0 printed prefixed lines"
grep -q "started 1" "$TMP/out0" && fail "a follower of mark/0 printed mark/1's output"

# Every instance, prefixed.
"$DROVER_BIN/droverctl" logs -f mark > "$TMP/outall" 2> "$TMP/errall" &
fa=$!
wait_for "mark/1's backlog" grep -qx "mark/1 | started 1" "$TMP/outall"
say 1 'echo marker-four'
wait_for "marker-four of mark/1" grep -qx "mark/1 | marker-four" "$TMP/outall"
say 0 'echo marker-five'
wait_for "marker-five of mark/0" grep -qx "mark/0 | marker-five" "$TMP/outall"
wait_for "marker-five in the first follower too" grep -qx marker-five "$TMP/out0"
bad=$(grep -v -E '^mark/[01] \| ' "$TMP/outall")
[ -z "$bad" ] || fail "unprefixed lines from logs -f mark: $bad"

# Signals end followers cleanly; droverd lets go of them.
kill -INT "$f0"
wait_exit "$f0" 10 || fail "logs -f did not end on SIGINT"
wait "$f0"; rc=$?
[ "$rc" = 0 ] || fail "logs -f exited $rc on SIGINT: $(cat "$TMP/err0")"
kill -TERM "$fa"
wait_exit "$fa" 10 || fail "logs -f did not end on SIGTERM"
wait "$fa"; rc=$?
[ "$rc" = 0 ] || fail "logs -f exited $rc on SIGTERM: $(cat "$TMP/errall")"
wait_for "droverd's fds back to $base" bash -c "[ \$(ls /proc/$DROVERD_PID/fd | wc -l) -le $base ]"

# A follower that goes away without a word is noticed too.
"$DROVER_BIN/droverctl" logs -f mark/1 > "$TMP/out1" &
f1=$!
wait_for "mark/1 followed" grep -qx "marker-four" "$TMP/out1"
kill -9 "$f1"
wait "$f1" 2>/dev/null
wait_for "droverd's fds back to $base after a killed follower" bash -c "[ \$(ls /proc/$DROVERD_PID/fd | wc -l) -le $base ]"
ctl status >/dev/null || fail "droverd does not answer after its followers left"
pass
