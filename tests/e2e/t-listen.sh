#!/bin/bash
# listen: the agent binds a service's sockets once and passes them to
# every instance as fds 3... with LISTEN_FDS, LISTEN_FDNAMES and
# LISTEN_PID (the instance's own pid), as sd_listen_fds() expects. The
# sockets stay bound while instances are killed (SIGKILL) and restarted
# (droverctl restart): a client connecting all the while is never
# refused, with two instances and with one (connections wait in the
# backlog for the next process), over TCP and a unix socket; every
# connection is answered except the one a killed process may have had
# in hand (at most one per kill). A live change of the revision keeps
# the socket; a new address is bound anew and the old one closed. A
# socket that cannot be bound fails the instance with the reason;
# deleting the service closes its sockets.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
SRV="[\"python3\", \"$DROVER_SRC/tests/e2e/listen_server.py\"]"
many='restart: {backoff: {initial: 0s}, limit: {burst: 1000}}'
service web "$SRV" 'instances: 2' "$many" \
	'listen:' \
	"  - {name: http, address: \"127.0.0.1:$P1\"}" \
	"  - {name: admin, address: \"unix:$TMP/sock/web.sock\"}"
service solo "$SRV" "$many" \
	'listen:' "  - {name: http, address: \"127.0.0.1:$P2\"}"
start_droverd
wait_for "web ready" all_ready web 2
wait_for "solo ready" all_ready solo 1
agent=$(agent_pid) || fail "no agent process"

# sock_inode PID FD: the socket an fd of a process is ("" if none).
sock_inode() { readlink "/proc/$1/fd/$2" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'; }
# agent_has INODE: the agent holds that socket.
agent_has() {
	local f
	for f in /proc/"$agent"/fd/*; do
		[ "$(readlink "$f")" = "socket:[$1]" ] && return 0
	done
	return 1
}

# The environment and fds of each instance, exactly.
for i in 0 1; do
	pid=$(inst pid web "$i")
	wait_for "web/$i's report" grep -q "^fds " "$STATE/logs/web.$i.log"
	line=$(grep "^env " "$STATE/logs/web.$i.log" | tail -1)
	[ "$line" = "env LISTEN_FDS=2 LISTEN_FDNAMES=http:admin LISTEN_PID=$pid pid=$pid" ] ||
		fail "web/$i (pid $pid): $line"
	# python itself opens one (listing /proc/self/fd)
	fds=$(grep "^fds " "$STATE/logs/web.$i.log" | tail -1)
	[ "$fds" = "fds 0 1 2 3 4 5" ] || fail "web/$i has fds: $fds"
done
http=$(sock_inode "$(inst pid web 0)" 3)
admin=$(sock_inode "$(inst pid web 0)" 4)
[ -n "$http" ] && [ -n "$admin" ] || fail "web/0's fds 3 and 4 are not sockets"
[ "$(sock_inode "$(inst pid web 1)" 3)" = "$http" ] || fail "web/1's fd 3 is another socket"
[ "$(sock_inode "$(inst pid web 1)" 4)" = "$admin" ] || fail "web/1's fd 4 is another socket"
agent_has "$http" || fail "the agent does not hold the http socket"
agent_has "$admin" || fail "the agent does not hold the admin socket"
[ -S "$TMP/sock/web.sock" ] || fail "no unix socket file"
grep -q "^env LISTEN_FDS=1 LISTEN_FDNAMES=http LISTEN_PID=$(inst pid solo 0) " "$STATE/logs/solo.0.log" ||
	fail "solo: $(grep "^env" "$STATE/logs/solo.0.log")"

# client_start NAME ADDR...: a client in the background, until stopped.
client_start() {
	local name=$1
	shift
	python3 "$DROVER_SRC/tests/e2e/listen_client.py" "$TMP/stop-$name" "$@" \
		>"$TMP/client-$name.json" 2>"$TMP/client-$name.err" &
}
# client_stop NAME: stop it, and print its counts.
client_stop() {
	touch "$TMP/stop-$1"
	wait_for "the $1 client to stop" test -s "$TMP/client-$1.json"
	cat "$TMP/client-$1.json"
}
# count NAME FIELD
count() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/client-$1.json" "$2"; }
# new_pid SVC IDX OLD: a process other than OLD is ready.
new_pid() {
	local p
	p=$(inst pid "$1" "$2")
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$3" ] && inst_is "$1" "$2" ready
}
# kill_rounds SVC INSTANCES N: SIGKILL instance (k mod INSTANCES) N times, each
# time waiting for its replacement to be ready.
kill_rounds() {
	local svc=$1 count=$2 n=$3 k idx old
	for ((k = 0; k < n; k++)); do
		idx=$((k % count))
		old=$(inst pid "$svc" "$idx")
		sleep 0.2
		kill -9 "$old"
		wait_for "a new $svc/$idx" new_pid "$svc" "$idx" "$old"
	done
}

client_start web "127.0.0.1:$P1" "$TMP/sock/web.sock"
client_start solo "127.0.0.1:$P2"
kill_rounds web 2 8
kill_rounds solo 1 8
for r in 1 2; do
	old0=$(inst pid web 0)
	old1=$(inst pid web 1)
	ctl restart web >/dev/null || fail "restart web failed"
	wait_for "web restarted" bash -c "$(declare -f inst inst_is new_pid status_json ctl); new_pid web 0 $old0 && new_pid web 1 $old1"
	old=$(inst pid solo 0)
	ctl restart solo >/dev/null || fail "restart solo failed"
	wait_for "solo restarted" bash -c "$(declare -f inst inst_is new_pid status_json ctl); new_pid solo 0 $old"
done
sleep 0.5
log "web client: $(client_stop web)"
log "solo client: $(client_stop solo)"
for c in web solo; do
	[ "$(count $c refused)" = 0 ] || fail "$c: $(count $c refused) connections refused"
	[ "$(count $c other)" = 0 ] || fail "$c: $(count $c other) connections failed: $(count $c errors)"
	[ "$(count $c cut)" -le 8 ] || fail "$c: $(count $c cut) connections cut, for 8 kills"
	[ "$(count $c answered)" -ge 100 ] || fail "$c: only $(count $c answered) connections answered"
done
# Both instances of web answered, and several generations of them.
[ "$(count web pids | tr -cd , | wc -c)" -ge 8 ] || fail "web answered from too few processes: $(count web pids)"
# The same sockets all along.
[ "$(sock_inode "$(inst pid web 0)" 3)" = "$http" ] || fail "the http socket changed"
[ "$(sock_inode "$(inst pid web 1)" 4)" = "$admin" ] || fail "the admin socket changed"

# A live change keeps the socket; a change of the address rebinds.
solo=$(sock_inode "$(inst pid solo 0)" 3)
agent_has "$solo" || fail "the agent does not hold solo's socket"
service solo "$SRV" "$many" 'stop: {timeout: 5s}' \
	'listen:' "  - {name: http, address: \"127.0.0.1:$P2\"}"
ctl apply -f "$MAN/solo.yaml" >/dev/null || fail "apply solo (live) failed"
wait_for "solo's new revision" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status solo | python3 -c 'import json,sys; s=json.load(sys.stdin)[\"services\"][0]; print(s[\"revision\"] == s[\"instances\"][0][\"revision\"])')\" = True ]"
agent_has "$solo" || fail "a live change closed solo's socket"
P3=$(free_port)
service solo "$SRV" "$many" 'stop: {timeout: 5s}' \
	'listen:' "  - {name: web, address: \"127.0.0.1:$P3\"}"
ctl apply -f "$MAN/solo.yaml" >/dev/null || fail "apply solo (new address) failed"
wait_for "solo on the new port" python3 -c 'import socket,sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2); assert s.recv(64).endswith(b"\n")' "$P3"
wait_for "the agent to close solo's old socket" bash -c "! ls -l /proc/$agent/fd | grep -q 'socket:\[$solo\]'"
wait_for "the old port refused" python3 -c 'import socket,sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$P2"
grep -q "^env LISTEN_FDS=1 LISTEN_FDNAMES=web " "$STATE/logs/solo.0.log" || fail "solo's new name is not in LISTEN_FDNAMES"

# Deleting the service closes its sockets: the port is free again.
ctl delete web >/dev/null || fail "delete web failed"
wait_for "web gone" bash -c "! \"$DROVER_BIN/droverctl\" status web >/dev/null 2>&1"
wait_for "the agent to close the http socket" bash -c "! ls -l /proc/$agent/fd | grep -q 'socket:\[$http\]'"
[ -e "$TMP/sock/web.sock" ] && fail "the unix socket file is left after the delete"
# A port that is taken fails the instance, with the reason. (The port
# has connections in TIME_WAIT: binding it needs SO_REUSEADDR.)
python3 -c 'import socket,sys,time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("bound", flush=True); time.sleep(1000)' "$P1" >"$TMP/holder" 2>&1 &
holder=$!
wait_for "the holder to bind" grep -q bound "$TMP/holder"
service clash "$SRV" 'listen:' "  - {name: http, address: \"127.0.0.1:$P1\"}"
ctl apply -f "$MAN/clash.yaml" >/dev/null || fail "apply clash failed"
wait_state clash 0 failed
err=$(inst last_error clash 0)
[ "$err" = "listen http 127.0.0.1:$P1: Address already in use" ] || fail "clash's last_error: $err"
kill "$holder"
pass
