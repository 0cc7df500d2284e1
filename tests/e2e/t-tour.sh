#!/bin/bash
# The README's five-minute tour on the example manifests: version 2 of
# api stops at its canary with both versions answering on the one port,
# completes once promoted (nothing else restarted), and a version that
# never gets ready is rolled back by itself, the old instances serving
# all along.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
curl -s -m 1 http://127.0.0.1:8090/ >/dev/null 2>&1 && skip "port 8090 is taken here"
rm -rf "$MAN"; ln -s "$root/manifests/examples" "$MAN"
start_droverd
WAIT_SECS=60 wait_for "api ready" all_ready api 2
wait_for "processor ready" all_ready processor 2
others=$(for s in collector processor loader web; do pids "$s"; done)

sed 's/VERSION: "1"/VERSION: "2"/' manifests/examples/api.yaml > "$TMP/api.yaml"
ctl diff -f "$TMP/api.yaml" | grep -q "rollout" || fail "diff does not class VERSION as a rollout"
ctl apply -f "$TMP/api.yaml" >/dev/null || fail "apply v2"
WAIT_SECS=30 wait_for "the canary" rollout_state_is api canary
versions() { for _ in $(seq 1 30); do curl -s -m 2 http://127.0.0.1:8090/; echo; done | python3 -c '
import json, sys
print(" ".join(sorted({json.loads(l)["version"] for l in sys.stdin if l.strip()})))'; }
[ "$(versions)" = "1 2" ] || fail "at the canary, versions answering: $(versions)"
ctl rollout promote api >/dev/null || fail "promote"
WAIT_SECS=60 ctl rollout status --watch api >/dev/null || fail "v2 did not complete"
[ "$(versions)" = "2" ] || fail "after the rollout: $(versions)"
v2=$(svc_field revision api)
[ "$(for s in collector processor loader web; do pids "$s"; done)" = "$others" ] || fail "rolling out api moved another service"

old=$(pids api)
sed 's|command: .*|command: ["sleep", "3600"]|' "$TMP/api.yaml" > "$TMP/api-broken.yaml"
ctl apply -f "$TMP/api-broken.yaml" >/dev/null || fail "apply broken"
sampler_start api
WAIT_SECS=90 ctl rollout status --watch api >/dev/null && fail "a never-ready version completed"
sampler_stop
[ "$(svc_field revision api)" = "$v2" ] || fail "not rolled back to $v2"
ctl rollout history api | tail -n1 | grep -q "rollback to $v2 (rollout of .* failed: instance .* not healthy within 20s)" ||
	fail "history: $(ctl rollout history api | tail -n1)"
[ "$(pids api)" = "$old" ] || fail "old instances replaced: $old -> $(pids api)"
[ "$(versions)" = "2" ] || fail "after the rollback: $(versions)"
pass
