#!/bin/bash
# The listen sockets and the NOTIFY_SOCKET outlive the agent's worker:
# the keeper holds them, so while the worker is killed (twice) and
# replaced by an upgrade, a client connecting all the while is never
# refused nor cut (no instance is touched: the same pids answer), the
# instances keep the same sockets, the new worker holds those very
# sockets and the unix socket's file stays. An instance with
# readiness.notify is adopted ready. Afterwards a killed instance is
# restarted on the same sockets.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

P1=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SRV="[\"python3\", \"$DROVER_SRC/tests/e2e/listen_server.py\"]"
service web "$SRV" 'instances: 2' 'restart: {backoff: {initial: 0s}}' \
	'listen:' \
	"  - {name: http, address: \"127.0.0.1:$P1\"}" \
	"  - {name: admin, address: \"unix:$TMP/sock/web.sock\"}"
script note.sh 'echo ok; python3 -c "
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b\"READY=1\", os.environ[\"NOTIFY_SOCKET\"])
time.sleep(100000)"'
service note "[\"$TMP/note.sh\"]" 'readiness: {notify: true}'
start_droverd
wait_for "web ready" all_ready web 2
wait_for "note ready" all_ready note 1

sock_inode() { readlink "/proc/$1/fd/$2" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'; }
holds() {	# PID INODE
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f")" = "socket:[$2]" ] && return 0
	done
	return 1
}
http=$(sock_inode "$(inst pid web 0)" 3)
admin=$(sock_inode "$(inst pid web 0)" 4)
[ -n "$http" ] && [ -n "$admin" ] || fail "web/0's fds 3 and 4 are not sockets"
pids0=$(pids web)
note0=$(inst pid note 0)

python3 "$DROVER_SRC/tests/e2e/listen_client.py" "$TMP/stop" "127.0.0.1:$P1" "$TMP/sock/web.sock" \
	>"$TMP/client.json" 2>"$TMP/client.err" &
sleep 0.3
for round in 1 2; do
	w=$(agent_pid) || fail "no worker"
	kill -9 "$w"
	wait_for "a new worker (kill $round)" other_agent "$w"
	sleep 0.3
done
w=$(agent_pid)
ctl upgrade agent >/dev/null || fail "upgrade agent failed"
wait_for "a new worker (upgrade)" other_agent "$w"
wait_for "web ready" all_ready web 2
sleep 0.3
touch "$TMP/stop"
wait_for "the client to stop" test -s "$TMP/client.json"
count() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/client.json" "$1"; }
log "client: $(cat "$TMP/client.json")"
[ "$(count refused)" = 0 ] || fail "$(count refused) connections refused"
[ "$(count cut)" = 0 ] || fail "$(count cut) connections cut"
[ "$(count other)" = 0 ] || fail "$(count other) connections failed: $(count errors)"
[ "$(count answered)" -ge 20 ] || fail "only $(count answered) connections answered"
[ "$(pids web)" = "$pids0" ] || fail "web's instances were replaced: $pids0 -> $(pids web)"
w=$(agent_pid)
holds "$w" "$http" || fail "the new worker does not hold the http socket"
holds "$w" "$admin" || fail "the new worker does not hold the admin socket"
[ -S "$TMP/sock/web.sock" ] || fail "the unix socket's file is gone"
[ "$(inst pid note 0)" = "$note0" ] || fail "note was replaced"
wait_for "note ready (adopted)" all_ready note 1

old=$(inst pid web 1)
kill -9 "$old"
wait_for "web/1 restarted" bash -c "q=\$(\"$DROVER_BIN/droverctl\" -o json status web | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][1][\"pid\"])'); [ \"\$q\" != 0 ] && [ \"\$q\" != $old ]"
wait_for "web ready" all_ready web 2
[ "$(sock_inode "$(inst pid web 1)" 3)" = "$http" ] || fail "the restarted web/1 has another http socket"
[ "$(sock_inode "$(inst pid web 1)" 4)" = "$admin" ] || fail "the restarted web/1 has another admin socket"
pass
