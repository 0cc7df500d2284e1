#!/bin/bash
# Malformed API requests get a 4xx with a JSON error; the daemon keeps serving.
. "$(dirname "$0")/lib.sh"

write_manifest svc
start_droverd
wait_for "svc ready" all_ready svc 1

# req EXPECTED_CODE CURL_ARGS...: the status code and a JSON error body.
req() {
	local want=$1 code
	shift
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$DROVER_SOCKET" "$@")
	[ "$code" = "$want" ] || fail "$* answered $code, want $want: $(head -c 300 "$TMP/body")"
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"] and e["message"]' "$TMP/body" ||
		fail "$* gave no JSON error: $(head -c 300 "$TMP/body")"
}
req 400 -X PUT -d '{not json' http://drover/api/v1/services/svc
req 400 -X PUT -d '[1,2]' http://drover/api/v1/services/svc
req 400 -X PUT -d '{"command":["/bin/true"]}' http://drover/api/v1/services/BAD_NAME
req 409 -X PUT -d '{"name":"other","command":["/bin/true"]}' http://drover/api/v1/services/svc
req 404 http://drover/api/v1/services/nosuch
req 404 http://drover/api/v1/nothing
req 405 -X DELETE http://drover/api/v1/services
req 404 -X POST http://drover/api/v1/services/nosuch/restart
req 400 -X POST -d 'garbage' http://drover/api/v1/shutdown

# A body over 1 MiB is refused.
head -c 2000000 /dev/zero | tr '\0' 'a' > "$TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DROVER_SOCKET" \
	-X PUT --data-binary @"$TMP/big" http://drover/api/v1/services/svc)
[ "$code" = 413 ] || fail "a 2 MB body answered $code, want 413"

# Garbage on the socket does not hurt.
python3 - "$DROVER_SOCKET" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"\x00\xff garbage \r\n\r\n"); s.settimeout(5)
try: s.recv(100)
except Exception: pass
s.close()
PY

# Still serving, and the service is untouched.
curl -sf --unix-socket "$DROVER_SOCKET" http://drover/healthz | grep -q '"ok"' || fail "healthz failed"
all_ready svc 1 || fail "svc is not ready any more"
[ "$(inst restarts svc 0)" = 0 ] || fail "svc was restarted"

# A YAML manifest can be PUT too (curl scripting).
printf 'command: ["/bin/sleep", "100000"]\ninstances: 2\n' > "$TMP/y.yaml"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$DROVER_SOCKET" -X PUT \
	-H 'Content-Type: application/yaml' --data-binary @"$TMP/y.yaml" http://drover/api/v1/services/viayaml)
[ "$code" = 201 ] || fail "YAML PUT answered $code: $(cat "$TMP/body")"
wait_for "viayaml ready" all_ready viayaml 2

# curl and droverctl -o json show the same services.
a=$(curl -s --unix-socket "$DROVER_SOCKET" http://drover/api/v1/services | python3 -c 'import json,sys; print(sorted(s["name"] for s in json.load(sys.stdin)["services"]))')
b=$(ctl -o json status | python3 -c 'import json,sys; print(sorted(s["name"] for s in json.load(sys.stdin)["services"]))')
[ "$a" = "$b" ] || fail "curl and droverctl disagree: $a vs $b"
pass
