#!/bin/bash
# Who may change what. Over TCP anyone may read; a change needs the
# bearer token of --token-file (401 with WWW-Authenticate otherwise, and
# always when droverd has no token). On the control socket root may
# change anything, a local user outside the `drover` group only read
# (403 on every change), and a member of `drover` (supplementary or
# primary group) change too. Needs root, to run curl as another user.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (runs requests as another local user)"
command -v runuser >/dev/null || skip "runuser (util-linux) not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"

# A local user of our own, and the drover group; both go again at exit
# when this test made them.
made_user= made_group=
if ! getent group drover >/dev/null; then
	groupadd -r drover || fail "groupadd drover failed"
	made_group=1
fi
if ! id drovertest >/dev/null 2>&1; then
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin drovertest ||
		fail "useradd drovertest failed"
	made_user=1
fi
gpasswd -d drovertest drover >/dev/null 2>&1
auth_cleanup() {
	local rc=$?
	[ -n "$made_user" ] && userdel drovertest 2>/dev/null
	[ -n "$made_group" ] && groupdel drover 2>/dev/null
	(exit "$rc")
	cleanup
}
trap auth_cleanup EXIT
chmod 755 "$TMP" "$RUN"	# the socket is 0666; its directory must be reachable

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$port
BODY='{"name":"%s","command":["/bin/sleep","100000"]}'
write_manifest a
start_droverd --listen "127.0.0.1:$port"

# code [curl args...]: the HTTP status of one request
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }
# as_user CMD...: run CMD as drovertest, with its own groups
as_user() { runuser -u drovertest -- "$@"; }
sock() { echo --unix-socket "$DROVER_SOCKET"; }
expect() {
	local want=$1 what=$2 got
	shift 2
	got=$("$@")
	[ "$got" = "$want" ] || fail "$what: HTTP $got, want $want ($(cat "$TMP/body" 2>/dev/null))"
}

# TCP without a configured token: reads yes, changes never.
expect 200 "TCP GET services" code "$URL/api/v1/services"
expect 200 "TCP GET metrics" code "$URL/metrics"
expect 200 "TCP GET dashboard" code "$URL/"
expect 401 "TCP PUT without a token file" code -X PUT -d "$(printf "$BODY" t1)" "$URL/api/v1/services/t1"
expect 401 "TCP PUT with a token but no token file" code -X PUT -H "Authorization: Bearer x" -d "$(printf "$BODY" t1)" "$URL/api/v1/services/t1"
expect 401 "TCP restart" code -X POST "$URL/api/v1/services/a/restart"
expect 401 "TCP shutdown" code -X POST "$URL/api/v1/shutdown"
curl -s -D - -o /dev/null -X DELETE "$URL/api/v1/services/a" | grep -qi '^www-authenticate: bearer' ||
	fail "a 401 without WWW-Authenticate"
ctl status a >/dev/null || fail "a TCP request changed something"

# The socket, as a user outside the drover group: reads yes, changes 403.
as_user true || fail "cannot run commands as drovertest"
expect 200 "socket GET services as drovertest" as_user curl -s -o /dev/null -w '%{http_code}' $(sock) http://drover/api/v1/services
expect 200 "socket GET events as drovertest" as_user curl -s -o /dev/null -w '%{http_code}' $(sock) 'http://drover/api/v1/events?follow=0'
for req in "PUT /api/v1/services/t2" "DELETE /api/v1/services/a" \
	"POST /api/v1/services/a/restart" "POST /api/v1/services/a/stop" \
	"POST /api/v1/shutdown"; do
	set -- $req
	expect 403 "$req as drovertest" as_user curl -s -o /dev/null -w '%{http_code}' $(sock) \
		-X "$1" -d "$(printf "$BODY" t2)" "http://drover$2"
done
out=$(as_user env DROVER_SOCKET="$DROVER_SOCKET" "$DROVER_BIN/droverctl" restart a 2>&1) &&
	fail "droverctl restart as drovertest succeeded"
echo "$out" | grep -q "only root and the drover group" || fail "droverctl did not say why: $out"
as_user env DROVER_SOCKET="$DROVER_SOCKET" "$DROVER_BIN/droverctl" status a >/dev/null ||
	fail "droverctl status as drovertest failed"
ctl status t2 >/dev/null 2>&1 && fail "drovertest created a service"
[ "$(curl -s $(sock) http://drover/api/v1/services/a | python3 -c 'import json,sys; print(json.load(sys.stdin)["enabled"])')" = True ] ||
	fail "drovertest stopped a"

# A member of drover may change things: as a supplementary group...
gpasswd -a drovertest drover >/dev/null || fail "gpasswd -a failed"
expect 201 "socket PUT as a member of drover" as_user curl -s -o /dev/null -w '%{http_code}' $(sock) \
	-X PUT -d "$(printf "$BODY" t3)" http://drover/api/v1/services/t3
gpasswd -d drovertest drover >/dev/null || fail "gpasswd -d failed"
expect 403 "socket DELETE after leaving drover" as_user curl -s -o /dev/null -w '%{http_code}' $(sock) \
	-X DELETE http://drover/api/v1/services/t3
# ... and as the primary group.
expect 200 "socket DELETE with drover as primary group" \
	setpriv --reuid=drovertest --regid=drover --clear-groups \
	curl -s -o /dev/null -w '%{http_code}' $(sock) -X DELETE http://drover/api/v1/services/t3

# With a token file: the token, and only it, makes TCP changes.
ctl shutdown >/dev/null || fail "shutdown failed"
wait_exit "$DROVERD_PID" 20 || fail "droverd did not stop"
python3 -c 'import secrets; print(secrets.token_hex(24))' > "$TMP/token"
chmod 600 "$TMP/token"
tok=$(cat "$TMP/token")
start_droverd --listen "127.0.0.1:$port" --token-file "$TMP/token"
expect 200 "TCP GET with a token file" code "$URL/api/v1/services"
expect 401 "TCP PUT without the token" code -X PUT -d "$(printf "$BODY" t4)" "$URL/api/v1/services/t4"
expect 401 "TCP PUT with a wrong token" code -X PUT -H "Authorization: Bearer ${tok}x" -d "$(printf "$BODY" t4)" "$URL/api/v1/services/t4"
expect 401 "TCP PUT with a prefix of the token" code -X PUT -H "Authorization: Bearer ${tok:0:10}" -d "$(printf "$BODY" t4)" "$URL/api/v1/services/t4"
expect 401 "TCP PUT with the token as Basic" code -X PUT -H "Authorization: Basic $tok" -d "$(printf "$BODY" t4)" "$URL/api/v1/services/t4"
ctl status t4 >/dev/null 2>&1 && fail "a wrong token created a service"
expect 201 "TCP PUT with the token" code -X PUT -H "Authorization: Bearer $tok" -d "$(printf "$BODY" t4)" "$URL/api/v1/services/t4"
expect 200 "TCP restart with the token" code -X POST -H "Authorization: Bearer $tok" "$URL/api/v1/services/t4/restart"
expect 200 "TCP DELETE with the token" code -X DELETE -H "Authorization: Bearer $tok" "$URL/api/v1/services/t4"
# The socket does not take tokens: drovertest stays read-only there.
expect 403 "socket PUT as drovertest with the token" as_user curl -s -o /dev/null -w '%{http_code}' $(sock) \
	-H "Authorization: Bearer $tok" -X PUT -d "$(printf "$BODY" t5)" http://drover/api/v1/services/t5
pass
