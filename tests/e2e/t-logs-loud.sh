#!/bin/bash
# A service that writes as fast as it can (100 KB lines, without pause)
# does not slow the supervision of another: while it runs, and while a
# follower of it reads nothing (its pipe full), a killed instance of
# the other service is replaced within a generous 5 s each time, and
# droverd answers `status`. The loud instance itself is never blocked for
# good: its file keeps growing and rotating.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

script loud.py 'import sys
line = "x" * 100000 + "\n"
w = sys.stdout.write
while True:
    w(line)'
sed -i '1s|.*|#!/usr/bin/env python3|' "$TMP/loud.py"
service loud "[\"$TMP/loud.py\"]" 'logs: {max_size: 1M, keep: 2}'
service calm '["/bin/sleep", "100000"]' 'instances: 2' \
	'restart: {policy: always, backoff: {initial: 0s}}'
start_droverd
wait_for "calm ready" all_ready calm 2
wait_for "loud's output rotated" test -e "$STATE/logs/loud.0.log.1"

# A follower that never reads (nothing reads the fifo it writes to
# once the pipe is full): droverd must not wait for it either.
mkfifo "$TMP/fifo"
"$DROVER_BIN/droverctl" logs -f loud/0 > "$TMP/fifo" &
follower=$!
exec 3< "$TMP/fifo"

loudpid=$(inst pid loud 0)
for round in 1 2 3; do
	old=$(inst pid calm 0)
	kill -9 "$old"
	WAIT_SECS=5 wait_for "calm/0 replaced (round $round) while loud writes" \
		bash -c "p=\$(\"$DROVER_BIN/droverctl\" -o json status calm | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin)[\"services\"][0][\"instances\"] if i[\"index\"] == 0][0][\"pid\"])'); [ \"\$p\" != 0 ] && [ \"\$p\" != $old ]"
	WAIT_SECS=5 wait_for "status to answer" ctl status
done
[ "$(inst restarts calm 1)" = 0 ] || fail "calm/1 was restarted"
[ "$(inst pid loud 0)" = "$loudpid" ] || fail "loud/0 was restarted"
s1=$(stat -c %Y.%s "$STATE/logs/loud.0.log" 2>/dev/null)
wait_for "loud's file to keep changing" bash -c "[ \"\$(stat -c %Y.%s '$STATE/logs/loud.0.log' 2>/dev/null)\" != '$s1' ]"
files=$(ls "$STATE/logs" | grep -c '^loud\.0\.log')
[ "$files" -le 2 ] || fail "$files files for loud/0 with keep 2"
kill "$follower"
wait_exit "$follower" 10 || fail "the stuck follower did not end on SIGTERM"
exec 3<&-
pass
