#!/bin/bash
# Rotation: a service that writes 2000 lines at once with logs.max_size 4K
# and keep 3 leaves at most 3 files (.log, .log.1, .log.2), none more than
# one line over 4096 bytes, the newest lines in .log and the lines in
# order across the files; `logs -n` reaches back into the rotated files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

script burst.sh 'i=0; while [ $i -lt 2000 ]; do echo "line $i of a burst that fills files fast"; i=$((i+1)); done; echo done-writing; exec sleep 100000'
service rot "[\"$TMP/burst.sh\"]" 'logs: {max_size: 4K, keep: 3}'
start_droverd
L=$STATE/logs

wait_for "the last line" grep -qx done-writing "$L/rot.0.log"
files=$(ls "$L" | grep -c '^rot\.0\.log')
[ "$files" -le 3 ] || fail "$files files for rot/0, want at most 3: $(ls "$L")"
[ -e "$L/rot.0.log.2" ] || fail "no .log.2 after 2000 lines: $(ls "$L")"
[ ! -e "$L/rot.0.log.3" ] || fail "a .log.3 exists with keep 3"
[ "$(tail -n 1 "$L/rot.0.log")" = done-writing ] || fail "the newest line is not last in .log"
for f in "$L"/rot.0.log*; do
	size=$(stat -c %s "$f")
	longest=$(awk '{ if (length($0) + 1 > m) m = length($0) + 1 } END { print m + 0 }' "$f")
	[ "$size" -le $((4096 + longest)) ] ||
		fail "$f is $size bytes, over 4096 plus a line ($longest)"
	[ "$size" -ge 4096 ] || [ "$f" = "$L/rot.0.log" ] ||
		fail "rotated $f is only $size bytes"
done
# Oldest to newest, the files hold consecutive lines.
cat "$L/rot.0.log.2" "$L/rot.0.log.1" "$L/rot.0.log" | python3 -c '
import sys
lines = sys.stdin.read().splitlines()
assert lines[-1] == "done-writing", lines[-1]
nums = [int(l.split()[1]) for l in lines[:-1]]
assert nums[-1] == 1999, nums[-1]
assert nums == list(range(nums[0], 2000)), "lines missing or out of order"
' || fail "the rotated files do not hold consecutive lines"

# logs -n reads back through .log.1 and .log.2, in order.
total=$(cat "$L"/rot.0.log* | wc -l)
want=$((total - 5))
got=$(ctl logs -n "$want" rot/0 | wc -l)
[ "$got" = "$want" ] || fail "logs -n $want printed $got lines"
ctl logs -n "$want" rot/0 | cmp -s - <(cat "$L/rot.0.log.2" "$L/rot.0.log.1" "$L/rot.0.log" | tail -n "$want") ||
	fail "logs -n $want does not print the files' last $want lines in order"
got=$(ctl logs -n 100000 rot/0 | wc -l)
[ "$got" = "$total" ] || fail "logs -n 100000 printed $got lines of $total"
pass
